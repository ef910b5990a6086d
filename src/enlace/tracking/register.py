"""The tracking register: meetings, commitments and actions held by the node, overdue flagged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from enlace.model.records import Action, Commitment, Meeting, record_from_stix
from enlace.model.vocabulary import TrackingStatus
from enlace.store.store import Store

_STATUS_ORDER = {
    TrackingStatus.STALLED: 0,
    TrackingStatus.ANNOUNCED: 1,
    TrackingStatus.IN_PROGRESS: 2,
    TrackingStatus.DELIVERED: 3,
}


@dataclass(frozen=True, slots=True)
class TrackedItem:
    """One line of the register: a meeting, commitment or action, as a coordinator reads it."""

    kind: str  # "meeting", "commitment", "action"
    id: str
    owner: str
    text: str
    status: str | None  # meetings have none
    when: str | None  # due date, or a meeting's date or month
    responsible: str | None
    overdue: bool
    # The documents it was read from: the first, then the others that told the same meeting
    # (reconciled), so a coordinator sees where each fact came from.
    sources: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The item as plain JSON."""
        return {
            "kind": self.kind,
            "id": self.id,
            "owner": self.owner,
            "text": self.text,
            "status": self.status,
            "when": self.when,
            "responsible": self.responsible,
            "overdue": self.overdue,
            "sources": list(self.sources),
        }


def tracking_register(store: Store, *, today: date) -> list[TrackedItem]:
    """Meetings by date, then commitments and actions: overdue first, then by status and due
    date. Revoked records are left out."""
    meetings: list[TrackedItem] = []
    duties: list[tuple[tuple[int, int, str], TrackedItem]] = []
    with store.unit_of_work() as uow:
        for kind in (Meeting.KIND, Commitment.KIND, Action.KIND):
            for row in uow.records.iter_latest(kind=kind):
                record = record_from_stix(row.stix_object())
                if record.revoked:
                    continue
                if isinstance(record, Meeting):
                    when = (
                        record.meeting_date.isoformat()
                        if record.meeting_date
                        else record.meeting_month
                    )
                    title = record.title or record.mechanism.value
                    place = f", {record.place}" if record.place else ""
                    meetings.append(
                        TrackedItem(
                            "meeting",
                            record.id,
                            record.owner,
                            title + place,
                            None,
                            when,
                            None,
                            False,
                            _sources(record.source_document, record.other_sources),
                        )
                    )
                elif isinstance(record, Commitment | Action):
                    item = _duty(record, today=today)
                    rank = (
                        0 if item.overdue else 1,
                        _STATUS_ORDER[record.status],
                        item.when or "9",
                    )
                    duties.append((rank, item))
    meetings.sort(key=lambda item: item.when or "")
    return meetings + [item for _, item in sorted(duties, key=lambda pair: pair[0])]


def _duty(record: Commitment | Action, *, today: date) -> TrackedItem:
    if isinstance(record, Commitment):
        text = record.text_es or record.text_en or ""
        responsible: str | None = record.responsible.value
    else:
        text = record.description_es or record.description_en or ""
        responsible = record.owner_agency
    return TrackedItem(
        kind=record.KIND,
        id=record.id,
        owner=record.owner,
        text=text,
        status=record.status.value,
        when=record.due_date.isoformat() if record.due_date else None,
        responsible=responsible,
        overdue=record.is_overdue(today=today),
        sources=_sources(record.source_document),
    )


def _sources(first: str | None, others: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for s in (first, *others) if s))
