"""Correcting a meeting, commitment or action: any of its fields, as a new audited version.

A coordinator corrects what ingestion read wrong (a date, the mechanism, the theme) or adds
the text in the other language. The correction is a new version of the same record (the
earlier ones stay, as for progress); only the record's owner issues it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar, cast

from enlace.model.errors import RecordError
from enlace.model.records import Action, Commitment, Meeting, record_from_stix
from enlace.model.records.base import domain_fields
from enlace.model.timestamps import utc_now
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from enlace.tracking.errors import TrackingError

TrackedRecord = TypeVar("TrackedRecord", bound=Meeting | Commitment | Action)

# Short names a person types, by kind ("date" is a meeting's date, "due" a due date).
_ALIASES: dict[str, dict[str, str]] = {
    "meeting": {"date": "meeting_date", "month": "meeting_month"},
    "commitment": {"due": "due_date", "agencies": "lead_agencies", "text": "text_es"},
    "action": {"due": "due_date", "agency": "owner_agency", "responsible": "owner_agency"},
}
# Not corrected here: where a record came from is provenance, links are made by confirming,
# and status and evidence are progress (`tracking update`, which checks the evidence).
_NOT_EDITED = frozenset(
    {
        "source_document",
        "source_sentence",
        "other_sources",
        "meeting_ref",
        "commitment_ref",
        "status",
        "evidence",
    }
)


def editable_fields(kind: str) -> tuple[str, ...]:
    """The fields a person may correct on a record of `kind`."""
    cls = {"meeting": Meeting, "commitment": Commitment, "action": Action}[kind]
    return tuple(b.name for b in domain_fields(cls) if b.name not in _NOT_EDITED)


def field_name(kind: str, name: str) -> str:
    """The field `name` means on a record of `kind` ('due' -> 'due_date', dashes allowed)."""
    plain = name.strip().replace("-", "_")
    return _ALIASES.get(kind, {}).get(plain, plain)


def with_changes(
    record: TrackedRecord, changes: Mapping[str, object], *, modified: datetime
) -> tuple[TrackedRecord, tuple[str, ...]]:
    """`record` with `changes` (field -> value as typed; "" or None clears it), as a version
    dated `modified`, and the names of the fields that changed.

    Raises TrackingError naming the field when it is not one a person corrects, or when the
    value is not one the field takes.
    """
    kind = record.KIND
    allowed = editable_fields(kind)
    parsers = {b.name: b for b in domain_fields(type(record))}
    values: dict[str, object] = {}
    for raw_name, raw in changes.items():
        name = field_name(kind, raw_name)
        if name not in allowed:
            raise TrackingError(
                f"{raw_name}: not a field of a {kind} that can be corrected; "
                f"fields: {', '.join(allowed)}"
            )
        bound = parsers[name]
        blank = raw is None or (isinstance(raw, str) and not raw.strip())
        try:
            if blank:
                if bound.spec.required:
                    raise RecordError(name, raw, "a value (the field is required)")
                value: object = () if isinstance(getattr(record, name), tuple) else None
            else:
                value = bound.spec.parse(raw, name)
        except RecordError as error:
            raise TrackingError(f"{raw_name}: {error}") from None
        if value != getattr(record, name):
            values[name] = value
    try:
        updated = cast(TrackedRecord, record.with_version(modified=modified, **values))
    except RecordError as error:
        raise TrackingError(f"{record.id}: {error}") from None
    return updated, tuple(sorted(values))


@dataclass(frozen=True, slots=True)
class EditReport:
    """What a correction changed."""

    record_id: str
    kind: str
    changed: tuple[str, ...]
    modified: str


def edit_record(
    store: Store,
    record_id: str,
    changes: Mapping[str, object],
    *,
    party: str,
    actor: str = "cli",
) -> EditReport:
    """Issue a new version of meeting, commitment or action `record_id` with `changes`;
    audited `tracking-edit`. Raises TrackingError, writing nothing, when the record is not
    this node's, or nothing would change."""
    with store.unit_of_work() as uow:
        row = uow.records.latest(record_id)
        if row is None:
            raise TrackingError(f"{record_id}: no such record in this node")
        record = record_from_stix(row.stix_object())
        if not isinstance(record, Meeting | Commitment | Action):
            raise TrackingError(f"{record_id}: a {row.kind}, not a meeting, commitment or action")
        if row.received_from is not None or record.owner != party:
            raise TrackingError(
                f"{record_id}: owned by {record.owner}; only its owner's node corrects it "
                "(corrections arrive here by sync)"
            )
        if not changes:
            raise TrackingError(f"{record_id}: no field to change was given")
        updated, changed = with_changes(record, changes, modified=later_than(record.modified))
        if not changed:
            raise TrackingError(f"{record_id}: nothing to change (the values are those held)")
        version = StoredVersion.of(updated)
        uow.records.add([version], added_at=uow.started_at)
        uow.audit.append(
            actor=actor,
            action="tracking-edit",
            subject=record_id,
            detail={"kind": row.kind, "modified": version.modified, "changed": list(changed)},
        )
        uow.commit()
    return EditReport(record_id, row.kind, changed, version.modified)


def later_than(previous: datetime) -> datetime:
    """Now, or just after `previous`: a new version must be later than the one it follows,
    even within one microsecond."""
    now = utc_now()
    return now if now > previous else previous + timedelta(microseconds=1)


def tracked_record(store: Store, record_id: str) -> Meeting | Commitment | Action | None:
    """The newest version of meeting, commitment or action `record_id`, or None."""
    with store.unit_of_work() as uow:
        row = uow.records.latest(record_id)
    if row is None:
        return None
    record = record_from_stix(row.stix_object())
    return record if isinstance(record, Meeting | Commitment | Action) else None
