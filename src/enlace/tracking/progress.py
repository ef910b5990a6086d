"""Recording progress: a commitment's or an action's new status, due date or evidence.

Progress is a new version of the record (same id, a later `modified`), as for any record:
the earlier versions stay, so the report and an auditor can show how a commitment moved
from announced to delivered. Only the node that owns the record issues versions of it;
a partner's commitment is updated by that partner and arrives by sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from enlace.model.errors import RecordError
from enlace.model.records import Action, Commitment, record_from_stix
from enlace.model.records.tracking import evidence_list
from enlace.model.timestamps import utc_now
from enlace.model.vocabulary import TrackingStatus
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from enlace.tracking.errors import TrackingError


@dataclass(frozen=True, slots=True)
class ProgressReport:
    """What recording progress changed."""

    record_id: str
    kind: str
    status_before: str
    status_after: str
    modified: str


def record_progress(
    store: Store,
    record_id: str,
    *,
    party: str,
    status: TrackingStatus | None = None,
    due_date: date | None = None,
    evidence: Sequence[str] = (),
    actor: str = "cli",
) -> ProgressReport:
    """Issue a new version of commitment or action `record_id` owned by `party`; audited.

    `evidence` is added to the action's evidence (record ids, or indicator observations
    written "indicator:<id>@<period>"); commitments carry no evidence of their own.
    Raises TrackingError, writing nothing, when the record is not this node's commitment or
    action, or when nothing would change.
    """
    with store.unit_of_work() as uow:
        row = uow.records.latest(record_id)
        if row is None:
            raise TrackingError(f"{record_id}: no such record in this node")
        record = record_from_stix(row.stix_object())
        if not isinstance(record, Commitment | Action):
            raise TrackingError(
                f"{record_id}: a {row.kind}, not a commitment or an action; only those have "
                "a status to update"
            )
        if row.received_from is not None or record.owner != party:
            raise TrackingError(
                f"{record_id}: owned by {record.owner}; only its owner's node records its "
                "progress (it arrives here by sync)"
            )
        if evidence and isinstance(record, Commitment):
            raise TrackingError(
                "--evidence: commitments carry no evidence; record it on one of its actions"
            )
        changes: dict[str, object] = {}
        if status is not None and status is not record.status:
            changes["status"] = status
        if due_date is not None and due_date != record.due_date:
            changes["due_date"] = due_date
        if isinstance(record, Action):
            try:
                checked = evidence_list(list(evidence), "evidence") if evidence else ()
            except RecordError as error:
                raise TrackingError(f"--evidence: {error}") from None
            added = tuple(e for e in dict.fromkeys(checked) if e not in record.evidence)
            if added:
                changes["evidence"] = (*record.evidence, *added)
        if not changes:
            raise TrackingError(f"{record_id}: nothing to change (status, due date, evidence)")
        updated = record.with_version(modified=_after(record.modified), **changes)
        version = StoredVersion.of(updated)
        uow.records.add([version], added_at=uow.started_at)
        report = ProgressReport(
            record_id=record_id,
            kind=row.kind,
            status_before=record.status.value,
            status_after=updated.status.value,
            modified=version.modified,
        )
        uow.audit.append(
            actor=actor,
            action="tracking-progress",
            subject=record_id,
            detail={
                "kind": row.kind,
                "modified": version.modified,
                "changed": sorted(changes),
                "status": updated.status.value,
            },
        )
        uow.commit()
    return report


def _after(previous: datetime) -> datetime:
    # A new version must be later than the one it follows, even within one microsecond.
    now = utc_now()
    return now if now > previous else previous + timedelta(microseconds=1)
