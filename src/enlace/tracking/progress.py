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
from pathlib import Path

from enlace.model.errors import RecordError
from enlace.model.records import Action, Commitment, record_from_stix
from enlace.model.records.tracking import evidence_list, is_indicator_observation
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
    indicators: Path | None = None,
    today: date | None = None,
) -> ProgressReport:
    """Issue a new version of commitment or action `record_id` owned by `party`; audited.

    `evidence` is added to the action's evidence (record ids, or indicator observations
    written "indicator:<id>@<period>"); commitments carry no evidence of their own.
    Raises TrackingError, writing nothing, when the record is not this node's commitment or
    action, when nothing would change, or when an evidence item names a record this node
    does not hold or an indicator period with no value (indicators of `indicators`, default
    the shipped definitions, computed as of `today`).
    """
    try:
        checked = evidence_list(list(evidence), "evidence") if evidence else ()
    except RecordError as error:
        raise TrackingError(f"--evidence: {error}") from None
    observations = [item for item in checked if is_indicator_observation(item)]
    if observations:
        _check_observations(store, observations, indicators, today or utc_now().date())
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
            for item in checked:
                if is_indicator_observation(item):
                    continue
                cited = uow.records.latest(item)
                if cited is None or cited.revoked:
                    raise TrackingError(
                        f"--evidence: {item}: no such record in this node"
                        + (" (revoked by its owner)" if cited is not None else "")
                        + "; expected the id of a record this node holds, or "
                        "'indicator:<indicator id>@<period>'"
                    )
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


def _check_observations(
    store: Store, observations: Sequence[str], indicators: Path | None, today: date
) -> None:
    """Refuse an indicator observation whose indicator is not defined or whose period has
    no value: evidence must point at a figure a reader can find in the report."""
    from enlace.tracking.indicators.definitions import (
        IndicatorDefinitionError,
        default_definitions_path,
        load_definitions,
    )
    from enlace.tracking.indicators.periods import label_example, period_start
    from enlace.tracking.indicators.series import compute_indicators

    path = indicators or default_definitions_path()
    try:
        definitions = {d.id: d for d in load_definitions(path)}
    except IndicatorDefinitionError as error:
        raise TrackingError(f"--evidence: {error}") from None
    wanted = []
    for item in observations:
        indicator_id, period = item.removeprefix("indicator:").split("@", 1)
        definition = definitions.get(indicator_id)
        if definition is None:
            raise TrackingError(
                f"--evidence: {item}: no indicator {indicator_id!r} in {path.name}; "
                "expected one of " + ", ".join(sorted(definitions))
            )
        if period_start(period, definition.period) is None:
            raise TrackingError(
                f"--evidence: {item}: {period!r} is not a {definition.period} period; "
                f"expected a period like {label_example(definition.period)!r}"
            )
        wanted.append((item, definition, period))
    computed = {s.id: s for s in compute_indicators(store, [d for _, d, _ in wanted], today=today)}
    for item, definition, period in wanted:
        series = computed[definition.id]
        if not any(point.period == period for point in series.points):
            held = (
                f"it has values from {series.points[0].period} to {series.points[-1].period}"
                if series.points
                else "it has no values yet"
            )
            raise TrackingError(
                f"--evidence: {item}: indicator {definition.id!r} has no value for {period}; {held}"
            )


def _after(previous: datetime) -> datetime:
    # A new version must be later than the one it follows, even within one microsecond.
    now = utc_now()
    return now if now > previous else previous + timedelta(microseconds=1)
