"""Reviewing a proposal item by item: accept, reject or correct each proposed meeting,
commitment and action, in one audited unit of work per review.

A communiqué read for review is kept by the digest of its text, so the same text under
another file name is recognised as the document already read: what was decided for it stays
decided and nothing is stored twice. What is neither accepted nor rejected stays pending;
the review page (/web/tracking/review) and a later `tracking ingest --accept` decide it.

An accepted meeting that is one the node already holds (same mechanism and sequence, or same
mechanism and date, or a date in the month it was announced for) is not stored again: the
held record gets a new version with this document among its sources, and the held meeting's
date and place once it took place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from enlace.model.markings import Markings
from enlace.model.records import Commitment, Meeting, Record, record_from_stix
from enlace.model.timestamps import format_timestamp, utc_now
from enlace.store.repositories.tracking_documents import TrackingDocumentRow
from enlace.store.store import Store
from enlace.store.unit_of_work import UnitOfWork
from enlace.store.versions import StoredVersion
from enlace.tracking.confirm import (
    DEFAULT_MARKINGS,
    action_record,
    commitment_record,
    meeting_record,
)
from enlace.tracking.edit import later_than, with_changes
from enlace.tracking.errors import TrackingError
from enlace.tracking.proposal import Proposal, proposal_from_json, without_repeats

ACCEPTED = "accepted"
REJECTED = "rejected"
# An edit of a proposed commitment may say it is the same commitment as one held (its text
# in the other language): its text is added to the held record, nothing new is stored.
SAME_AS = "same_as"


def text_digest(text: str) -> str:
    """The SHA-256 of a communiqué's text, line ends and trailing blanks ignored: the same
    text saved by another editor is the same document."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ReviewReport:
    """What one review decided and stored."""

    source_document: str
    content_sha256: str
    already_read_as: str | None  # the name the same text was read under before
    accepted: dict[str, str] = field(default_factory=dict)  # key -> record id
    rejected: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()  # after this review
    reconciled: dict[str, str] = field(default_factory=dict)  # key -> held meeting id
    already_decided: tuple[str, ...] = ()  # asked again, decided the same before
    written: int = 0


@dataclass(frozen=True, slots=True)
class PendingDocument:
    """A communiqué kept for review, with its proposal and the decisions so far."""

    content_sha256: str
    proposal: Proposal
    decisions: dict[str, dict[str, Any]]

    @property
    def pending(self) -> tuple[str, ...]:
        """The keys not yet accepted or rejected."""
        return tuple(k for k in _keys(self.proposal) if k not in self.decisions)

    def decided(self, decision: str) -> tuple[str, ...]:
        """The keys decided `decision` (ACCEPTED or REJECTED), in the proposal's order."""
        return tuple(
            k for k in _keys(self.proposal) if self.decisions.get(k, {}).get("decision") == decision
        )


def review(
    store: Store,
    proposal: Proposal,
    *,
    content_sha256: str,
    party: str,
    accept: Collection[str] | Literal["all"] = (),
    reject: Collection[str] = (),
    edits: Mapping[str, Mapping[str, object]] = {},
    markings: Markings = DEFAULT_MARKINGS,
    actor: str = "cli",
) -> ReviewReport:
    """Keep `proposal` for review (if its text is new) and apply the decisions; audited
    `tracking-review`, in one unit of work.

    `accept` is keys or "all" (every key not rejected and not decided before); an edited
    key is accepted with its edits. Raises TrackingError, storing nothing, for an unknown
    key, a key both accepted and rejected, a key decided otherwise before, an action whose
    commitment is not accepted, or a commitment whose meeting is still pending.
    """
    now = utc_now()
    given_name = proposal.source_document  # the held text's name may be another
    with store.unit_of_work() as uow:
        held = uow.tracking_documents.get(content_sha256)
        if held is not None:
            proposal = proposal_from_json(held.proposal)
            decisions = dict(held.decisions)
        else:
            proposal = without_repeats(proposal)
            decisions = {}
        keys = _keys(proposal)
        name = proposal.source_document
        rejecting = set(reject)
        accepting = (
            {k for k in keys if k not in decisions and k not in rejecting}
            if accept == "all"
            else set(accept)
        ) | set(edits)
        for key in sorted(accepting | rejecting):
            if key not in keys:
                raise TrackingError(
                    f"{key}: no such proposal in {name}; its proposals are {', '.join(keys)}"
                )
        both = accepting & rejecting
        if both:
            raise TrackingError(f"{', '.join(sorted(both))}: both accepted and rejected")
        repeated: list[str] = []
        for key in sorted(accepting | rejecting):
            before = decisions.get(key, {}).get("decision")
            wanted = ACCEPTED if key in accepting else REJECTED
            if before is None:
                continue
            if before != wanted or (wanted == ACCEPTED and key in edits):
                where = f" as {decisions[key]['record_id']}" if before == ACCEPTED else ""
                raise TrackingError(
                    f"{key}: already {before}{where}; correct a stored record with "
                    "'enlace tracking edit'"
                )
            repeated.append(key)
        accepting -= set(repeated)
        rejecting -= set(repeated)
        records, reconciled = _accepted_records(
            uow, proposal, decisions, accepting, edits, party=party, markings=markings, now=now
        )
        for key in rejecting:
            decisions[key] = {"decision": REJECTED}
        versions = [StoredVersion.of(r) for r in records.values()]
        held_digests = uow.records.latest_digests(v.id for v in versions)
        fresh = [v for v in versions if held_digests.get(v.id, ("", ""))[1] != v.content_digest]
        written = uow.records.add(fresh, added_at=uow.started_at) if fresh else 0
        for key, record in records.items():
            decisions[key] = {
                "decision": ACCEPTED,
                "record_id": record.id,
                "edits": {k: str(v) for k, v in edits.get(key, {}).items()},
            }
        stamp = format_timestamp(now)
        uow.tracking_documents.put(
            TrackingDocumentRow(
                content_sha256=content_sha256,
                source_document=name,
                proposal=proposal.to_json(),
                decisions=decisions,
                added_at=held.added_at if held else stamp,
                updated_at=stamp,
            )
        )
        report = ReviewReport(
            source_document=given_name,
            content_sha256=content_sha256,
            already_read_as=held.source_document if held else None,
            accepted={k: r.id for k, r in records.items()},
            rejected=tuple(k for k in keys if k in rejecting),
            pending=tuple(k for k in keys if k not in decisions),
            reconciled=reconciled,
            already_decided=tuple(k for k in keys if k in repeated),
            written=written,
        )
        uow.audit.append(
            actor=actor,
            action="tracking-review",
            subject=given_name,
            detail={
                "content_sha256": content_sha256,
                "already_read_as": report.already_read_as,
                "accepted": report.accepted,
                "edited": sorted(k for k in edits if k in records),
                "rejected": list(report.rejected),
                "pending": list(report.pending),
                "reconciled": report.reconciled,
                "written": written,
            },
        )
        uow.commit()
    return report


@dataclass(frozen=True, slots=True)
class HeldCommitment:
    """A commitment this node holds, as the review page offers it for "same as"."""

    id: str
    text_es: str | None
    text_en: str | None


@dataclass(frozen=True, slots=True)
class ReviewView:
    """What the review page shows: the documents with items pending, and the commitments
    held that a proposal in the other language may be the translation of."""

    documents: tuple[PendingDocument, ...]
    commitments: tuple[HeldCommitment, ...]


def pending_documents(store: Store) -> ReviewView:
    """The communiqués kept for review that still have an item pending, oldest first, and
    this node's commitments lacking the text in one language."""
    with store.unit_of_work() as uow:
        rows = uow.tracking_documents.all()
        # Only this node's own commitments: a partner's arrives by sync and is not ours to
        # version.
        held = [
            record_from_stix(r.stix_object())
            for r in uow.records.iter_latest(kind=Commitment.KIND)
            if r.received_from is None
        ]
    found = [
        PendingDocument(row.content_sha256, proposal_from_json(row.proposal), row.decisions)
        for row in rows
    ]
    return ReviewView(
        documents=tuple(doc for doc in found if doc.pending),
        commitments=tuple(
            HeldCommitment(c.id, c.text_es, c.text_en)
            for c in held
            if isinstance(c, Commitment) and not c.revoked and not (c.text_es and c.text_en)
        ),
    )


def held_document(store: Store, content_sha256: str) -> PendingDocument | None:
    """The communiqué kept for review under this digest, if any."""
    with store.unit_of_work() as uow:
        row = uow.tracking_documents.get(content_sha256)
    if row is None:
        return None
    return PendingDocument(row.content_sha256, proposal_from_json(row.proposal), row.decisions)


def _keys(proposal: Proposal) -> tuple[str, ...]:
    return (
        *(m.key for m in proposal.meetings),
        *(c.key for c in proposal.commitments),
        *(a.key for a in proposal.actions),
    )


def _accepted_records(
    uow: UnitOfWork,
    proposal: Proposal,
    decisions: Mapping[str, Mapping[str, Any]],
    accepting: set[str],
    edits: Mapping[str, Mapping[str, object]],
    *,
    party: str,
    markings: Markings,
    now: datetime,
) -> tuple[dict[str, Record], dict[str, str]]:
    # Meetings first, then commitments, then actions: each links to the one before.
    records: dict[str, Record] = {}
    reconciled: dict[str, str] = {}

    def decided_id(key: str) -> str | None:
        if key in records:
            return records[key].id
        before = decisions.get(key, {})
        return str(before["record_id"]) if before.get("decision") == ACCEPTED else None

    for m in proposal.meetings:
        if m.key not in accepting:
            continue
        meeting, _ = with_changes(
            meeting_record(proposal, m, party=party, markings=markings, now=now),
            edits.get(m.key, {}),
            modified=now,
        )
        same = _held_meeting(uow, meeting, party=party)
        if same is not None and same.id != meeting.id:
            meeting = _joined(same, meeting, held_now=not m.announced)
            reconciled[m.key] = same.id
        records[m.key] = meeting
    for c in proposal.commitments:
        if c.key not in accepting:
            continue
        meeting_ref = None
        if c.meeting_key is not None:
            meeting_ref = decided_id(c.meeting_key)
            if meeting_ref is None and c.meeting_key not in decisions:
                raise TrackingError(
                    f"{c.key}: its meeting {c.meeting_key} is still pending; accept or reject "
                    f"{c.meeting_key} first (or with it)"
                )
        changes = dict(edits.get(c.key, {}))
        same_as = changes.pop(SAME_AS, None)
        commitment, _ = with_changes(
            commitment_record(
                proposal, c, meeting_ref=meeting_ref, party=party, markings=markings, now=now
            ),
            changes,
            modified=now,
        )
        if same_as:
            commitment = _other_language(uow, str(same_as), commitment, party=party)
        records[c.key] = commitment
    for a in proposal.actions:
        if a.key not in accepting:
            continue
        commitment_ref = decided_id(a.commitment_key)
        if commitment_ref is None:
            raise TrackingError(
                f"{a.key}: its commitment {a.commitment_key} is not accepted; accept "
                f"{a.commitment_key} too, or reject {a.key}"
            )
        action, _ = with_changes(
            action_record(
                proposal, a, commitment_ref=commitment_ref, party=party, markings=markings, now=now
            ),
            edits.get(a.key, {}),
            modified=now,
        )
        records[a.key] = action
    return records, reconciled


def same_meeting(one: Meeting, other: Meeting) -> bool:
    """Whether two meetings are one: same mechanism, and the same sequence, or (no sequence
    telling them apart) the same date, or one's date in the month the other was announced
    for. Two meetings of different mechanisms on one day stay two."""
    if one.mechanism is not other.mechanism:
        return False
    if one.sequence is not None and other.sequence is not None:
        return one.sequence == other.sequence
    if one.meeting_date is not None and other.meeting_date is not None:
        return one.meeting_date == other.meeting_date
    return _month(one) is not None and _month(one) == _month(other)


def _month(meeting: Meeting) -> str | None:
    if meeting.meeting_date is not None:
        return meeting.meeting_date.isoformat()[:7]
    return meeting.meeting_month


def _held_meeting(uow: UnitOfWork, meeting: Meeting, *, party: str) -> Meeting | None:
    # Read to the end before choosing: leaving the stream early would leave PostgreSQL's
    # server-side cursor open until the garbage collector closes it.
    rows = list(uow.records.iter_latest(kind=Meeting.KIND))
    for row in rows:
        held = record_from_stix(row.stix_object())
        if (
            isinstance(held, Meeting)
            and not held.revoked
            and held.owner == party
            and row.received_from is None
            and same_meeting(held, meeting)
        ):
            return held
    return None


def _joined(held: Meeting, new: Meeting, *, held_now: bool) -> Meeting:
    # The report of the meeting once held says where and when it took place; an
    # announcement only fills in what the held record lacks.
    def pick(mine: Any, theirs: Any) -> Any:
        return (theirs or mine) if held_now else (mine or theirs)

    sources = tuple(
        dict.fromkeys(
            s for s in (*held.other_sources, new.source_document) if s and s != held.source_document
        )
    )
    meeting_date = pick(held.meeting_date, new.meeting_date)
    return held.with_version(
        modified=later_than(held.modified),
        sequence=held.sequence or new.sequence,
        meeting_date=meeting_date,
        meeting_month=None if meeting_date else pick(held.meeting_month, new.meeting_month),
        place=pick(held.place, new.place),
        mx_agencies=tuple(dict.fromkeys((*held.mx_agencies, *new.mx_agencies))),
        us_agencies=tuple(dict.fromkeys((*held.us_agencies, *new.us_agencies))),
        other_sources=sources,
    )


def _other_language(uow: UnitOfWork, record_id: str, new: Commitment, *, party: str) -> Commitment:
    row = uow.records.latest(record_id)
    held = record_from_stix(row.stix_object()) if row is not None else None
    if not isinstance(held, Commitment) or held.owner != party or held.revoked:
        raise TrackingError(f"{SAME_AS}: {record_id} is not a commitment this node holds")
    return held.with_version(
        modified=later_than(held.modified),
        text_es=held.text_es or new.text_es,
        text_en=held.text_en or new.text_en,
    )
