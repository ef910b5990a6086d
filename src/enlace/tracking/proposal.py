"""What ingestion proposes: meetings, commitments and actions a person confirms or not.

Nothing here is a record yet. Each proposed item keeps its source sentence and the words
that justified it (`cues`), so the person confirming sees why it was proposed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from enlace.model.vocabulary import CommitmentTheme, MeetingMechanism, Responsible


@dataclass(frozen=True, slots=True)
class ProposedMeeting:
    """A meeting read from a communiqué: held, or announced as the next one."""

    key: str  # "m1", "m2": how commitments of the same proposal refer to it
    mechanism: MeetingMechanism
    sequence: int | None
    meeting_date: date | None
    meeting_month: str | None
    place: str | None
    mx_agencies: tuple[str, ...]
    us_agencies: tuple[str, ...]
    announced: bool  # True for "the next meeting": it has not happened yet
    source_sentence: str
    cues: tuple[str, ...]

    @property
    def title(self) -> str:
        """A title in English for listings, e.g. 'security-implementation-group #2'."""
        number = f" #{self.sequence}" if self.sequence else ""
        return f"{self.mechanism.value}{number}"


@dataclass(frozen=True, slots=True)
class ProposedCommitment:
    """A commitment read from a communiqué, in the document's language."""

    key: str  # "c1", ...
    text: str
    theme: CommitmentTheme
    responsible: Responsible
    lead_agencies: tuple[str, ...]
    due_date: date | None
    meeting_key: str | None
    source_sentence: str
    cues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProposedAction:
    """An action one agency takes under a commitment of the same proposal."""

    key: str  # "a1", ...
    commitment_key: str
    description: str
    owner_agency: str | None
    due_date: date | None
    source_sentence: str
    cues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Proposal:
    """Everything proposed from one document; stored only by `accept`."""

    source_document: str
    document_date: date
    language: str  # "es" or "en"
    meetings: tuple[ProposedMeeting, ...] = field(default=())
    commitments: tuple[ProposedCommitment, ...] = field(default=())
    actions: tuple[ProposedAction, ...] = field(default=())

    @property
    def size(self) -> int:
        """How many items are proposed."""
        return len(self.meetings) + len(self.commitments) + len(self.actions)

    def to_json(self) -> dict[str, Any]:
        """The proposal as plain JSON (dates ISO, enums by value)."""
        return {
            "source_document": self.source_document,
            "document_date": self.document_date.isoformat(),
            "language": self.language,
            "meetings": [
                {
                    "key": m.key,
                    "mechanism": m.mechanism.value,
                    "sequence": m.sequence,
                    "meeting_date": _iso(m.meeting_date),
                    "meeting_month": m.meeting_month,
                    "place": m.place,
                    "mx_agencies": list(m.mx_agencies),
                    "us_agencies": list(m.us_agencies),
                    "announced": m.announced,
                    "source_sentence": m.source_sentence,
                    "cues": list(m.cues),
                }
                for m in self.meetings
            ],
            "commitments": [
                {
                    "key": c.key,
                    "text": c.text,
                    "theme": c.theme.value,
                    "responsible": c.responsible.value,
                    "lead_agencies": list(c.lead_agencies),
                    "due_date": _iso(c.due_date),
                    "meeting_key": c.meeting_key,
                    "source_sentence": c.source_sentence,
                    "cues": list(c.cues),
                }
                for c in self.commitments
            ],
            "actions": [
                {
                    "key": a.key,
                    "commitment_key": a.commitment_key,
                    "description": a.description,
                    "owner_agency": a.owner_agency,
                    "due_date": _iso(a.due_date),
                    "source_sentence": a.source_sentence,
                    "cues": list(a.cues),
                }
                for a in self.actions
            ],
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def proposal_from_json(raw: dict[str, Any]) -> Proposal:
    """The proposal `Proposal.to_json` wrote (as kept for review); ProposalFileError when
    it is not."""
    from enlace.tracking.errors import ProposalFileError

    try:
        return Proposal(
            source_document=str(raw["source_document"]),
            document_date=date.fromisoformat(raw["document_date"]),
            language=str(raw["language"]),
            meetings=tuple(
                ProposedMeeting(
                    key=m["key"],
                    mechanism=MeetingMechanism(m["mechanism"]),
                    sequence=m["sequence"],
                    meeting_date=_day(m["meeting_date"]),
                    meeting_month=m["meeting_month"],
                    place=m["place"],
                    mx_agencies=tuple(m["mx_agencies"]),
                    us_agencies=tuple(m["us_agencies"]),
                    announced=bool(m["announced"]),
                    source_sentence=m["source_sentence"],
                    cues=tuple(m["cues"]),
                )
                for m in raw["meetings"]
            ),
            commitments=tuple(
                ProposedCommitment(
                    key=c["key"],
                    text=c["text"],
                    theme=CommitmentTheme(c["theme"]),
                    responsible=Responsible(c["responsible"]),
                    lead_agencies=tuple(c["lead_agencies"]),
                    due_date=_day(c["due_date"]),
                    meeting_key=c["meeting_key"],
                    source_sentence=c["source_sentence"],
                    cues=tuple(c["cues"]),
                )
                for c in raw["commitments"]
            ),
            actions=tuple(
                ProposedAction(
                    key=a["key"],
                    commitment_key=a["commitment_key"],
                    description=a["description"],
                    owner_agency=a["owner_agency"],
                    due_date=_day(a["due_date"]),
                    source_sentence=a["source_sentence"],
                    cues=tuple(a["cues"]),
                )
                for a in raw["actions"]
            ),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ProposalFileError(
            f"not a proposal as 'tracking ingest --json' writes: {error}"
        ) from None


def _day(raw: str | None) -> date | None:
    return date.fromisoformat(raw) if raw is not None else None


def without_repeats(proposal: Proposal) -> Proposal:
    """The proposal with an item whose sentence repeats an earlier item's of the same kind
    left out (a communiqué that says the same thing twice proposes it once); commitments
    and actions that referred to a left-out item refer to the one kept."""
    kept: dict[str, str] = {}  # key left out -> key kept

    def first(items: tuple[Any, ...]) -> tuple[Any, ...]:
        seen: dict[tuple[object, ...], str] = {}
        out = []
        for item in items:
            fields = item.__class__.__dataclass_fields__
            same = tuple(getattr(item, name) for name in fields if name not in ("key", "cues"))
            same = tuple(kept.get(v, v) if isinstance(v, str) else v for v in same)
            if same in seen:
                kept[item.key] = seen[same]
            else:
                seen[same] = item.key
                out.append(item)
        return tuple(out)

    from dataclasses import replace

    meetings = first(proposal.meetings)
    commitments = first(
        tuple(
            replace(c, meeting_key=kept.get(c.meeting_key, c.meeting_key)) if c.meeting_key else c
            for c in proposal.commitments
        )
    )
    actions = first(
        tuple(
            replace(a, commitment_key=kept.get(a.commitment_key, a.commitment_key))
            for a in proposal.actions
        )
    )
    return replace(proposal, meetings=meetings, commitments=commitments, actions=actions)
