"""Reading what a meeting progress report shows from a node's store (read-only).

Meetings, commitments and actions are the records of enlace.model.records.tracking; the
newest version of each is read and validated, revoked ones are left out. What was exchanged comes from the `releases` table
(this node's releases to each partner) and from `records.received_from` / `added_at`
(versions received from each partner).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TypeVar

from sqlalchemy import Connection, and_, func, select

from enlace.model.markings import most_restrictive
from enlace.model.records import Action, Commitment, Meeting, Record
from enlace.model.records.tracking import is_indicator_observation
from enlace.model.timestamps import format_timestamp
from enlace.reports.catalogue import KIND
from enlace.reports.data import (
    STATUS_ORDER,
    ActionItem,
    CommitmentItem,
    ExchangeFlow,
    MeetingItem,
    ReportData,
)
from enlace.reports.errors import NoMeeting
from enlace.store.repositories.records import RecordRepository
from enlace.store.store import Store
from enlace.store.tables import records, releases
from enlace.store.versions import StoredRow
from enlace.traces.queue import indicators_in
from enlace.tracking.indicators.definitions import IndicatorDefinition
from enlace.tracking.indicators.series import IndicatorSeries, compute_indicators

R = TypeVar("R", bound=Record)


def build_report_data(
    store: Store,
    *,
    meeting_id: str | None,
    indicators: Sequence[IndicatorSeries],
    today: date,
) -> ReportData:
    """Gather the report of a meeting: `meeting_id`, or the next one when None.

    The next meeting is the first dated on or after `today`; when every meeting is past,
    the latest. Raise NoMeeting when the node holds no meeting, or not `meeting_id`.
    """
    with store.unit_of_work() as uow:  # only reads: nothing to commit
        party = uow.settings.get("party") or ""
        meeting_records = _current(uow.records.iter_latest(kind=Meeting.KIND), Meeting)
        commitment_records = _current(uow.records.iter_latest(kind=Commitment.KIND), Commitment)
        action_records = _current(uow.records.iter_latest(kind=Action.KIND), Action)
        meetings = {m.id: _meeting(m) for m in meeting_records}
        meeting = _chosen_meeting(meetings, meeting_id=meeting_id, today=today)
        earlier = [m for m in meetings.values() if m.sort_date < meeting.sort_date]
        previous = max(earlier, key=lambda m: (m.sort_date, m.id)) if earlier else None
        since = previous.sort_date if previous is not None else None
        exchange = exchanged_since(uow.connection, since)
        evidence_titles = _evidence_titles(uow.records, action_records)
        traces = indicators_in(uow, party) if party else ()
    shown: list[Record] = [m for m in meeting_records if m.id == meeting.id]
    # Every commitment agreed up to the meeting reported on (or at no known meeting): a
    # progress report follows what is still owed from earlier meetings too.
    agreed = []
    for commitment in commitment_records:
        agreed_at = meetings.get(commitment.meeting_ref or "")
        if agreed_at is None or agreed_at.sort_date <= meeting.sort_date:
            agreed.append(commitment)
    agreed_ids = {c.id for c in agreed}
    actions_of: dict[str, list[ActionItem]] = {}
    for action in action_records:
        if action.commitment_ref in agreed_ids:
            actions_of.setdefault(action.commitment_ref, []).append(_action(action, today))
            shown.append(action)
    shown.extend(agreed)
    commitments = sorted(
        (
            _commitment(
                c,
                tuple(sorted(actions_of.get(c.id, []), key=_attention_order)),
                meetings.get(c.meeting_ref or ""),
                today,
            )
            for c in agreed
        ),
        key=_attention_order,
    )
    return ReportData(
        party=party,
        meeting=meeting,
        previous_meeting=previous,
        commitments=tuple(commitments),
        indicators=tuple(indicators),
        exchange=tuple(exchange),
        exchange_since=since,
        markings=most_restrictive(r.markings for r in shown) if shown else None,
        today=today,
        evidence_titles=evidence_titles,
        traces=tuple(t for t in traces if t.requests),
    )


def meeting_report(
    store: Store,
    *,
    meeting_id: str | None,
    definitions: Sequence[IndicatorDefinition],
    today: date,
) -> ReportData:
    """Use case: the report of a meeting (`build_report_data`) with the indicators of
    `definitions` computed over the node's data — what `enlace report` writes, in process
    or on a worker (enlace.jobs.report). The meeting is found first: a node with none is
    told so (NoMeeting) before any indicator is computed."""
    data = build_report_data(store, meeting_id=meeting_id, indicators=(), today=today)
    series = compute_indicators(store, definitions, today=today)
    return dataclasses.replace(data, indicators=tuple(series))


def _evidence_titles(
    repository: RecordRepository, actions: Iterable[Action]
) -> dict[str, tuple[str, str]]:
    titles: dict[str, tuple[str, str]] = {}
    for action in actions:
        for item in action.evidence:
            if is_indicator_observation(item) or item in titles:
                continue
            row = repository.latest(item)
            if row is not None:
                titles[item] = record_title(row.kind, row.stix_object())
    return titles


def record_title(kind: str, stix: Mapping[str, object]) -> tuple[str, str]:
    """(Spanish, English) of how a reader names a record: its own title, name, text or
    description, shortened, after the name of its kind."""

    def text(*names: str) -> str | None:
        for name in names:
            value = stix.get(name)
            if isinstance(value, str) and value.strip():
                value = " ".join(value.split())
                return value if len(value) <= 80 else value[:79].rstrip() + "…"
        return None

    common = ("title", "name", "number", "serial", "description")
    spanish = text("text_es", "description_es", *common) or text("text_en", "description_en")
    english = text("text_en", "description_en", *common) or text("text_es", "description_es")
    kind_es, kind_en = KIND.get(kind, (kind, kind))
    return (
        f"{kind_es}: {spanish}" if spanish else kind_es,
        f"{kind_en}: {english}" if english else kind_en,
    )


def exchanged_since(connection: Connection, since: date | None) -> list[ExchangeFlow]:
    """Versions released to and received from each partner since `since` (all when None);
    received records their owner revoked are left out."""
    start = format_timestamp_of_day(since) if since is not None else None
    released_query = (
        select(releases.c.partner, records.c.kind, func.count())
        .select_from(
            releases.join(
                records,
                and_(
                    records.c.id == releases.c.record_id, records.c.modified == releases.c.modified
                ),
            )
        )
        .group_by(releases.c.partner, records.c.kind)
    )
    received_query = (
        select(records.c.received_from, records.c.kind, func.count())
        # A record its owner revoked is held as revoked, and reported as nothing: its owner
        # withdrew it, so it is not counted among what the partner gave.
        .where(records.c.received_from.is_not(None), records.c.revoked.is_(False))
        .group_by(records.c.received_from, records.c.kind)
    )
    if start is not None:
        released_query = released_query.where(releases.c.released_at >= start)
        received_query = received_query.where(records.c.added_at >= start)
    flows = [
        ExchangeFlow(partner=p, direction="released", kind=k, versions=int(n))
        for p, k, n in connection.execute(released_query)
    ]
    flows += [
        ExchangeFlow(partner=p, direction="received", kind=k, versions=int(n))
        for p, k, n in connection.execute(received_query)
    ]
    return sorted(flows, key=lambda f: (f.partner, f.direction, -f.versions, f.kind))


def format_timestamp_of_day(day: date) -> str:
    """The stored timestamp text of midnight UTC at the start of `day` (it sorts as text)."""
    return format_timestamp(datetime(day.year, day.month, day.day, tzinfo=UTC))


def _chosen_meeting(
    meetings: Mapping[str, MeetingItem], *, meeting_id: str | None, today: date
) -> MeetingItem:
    if meeting_id is not None:
        found = meetings.get(meeting_id)
        if found is None:
            raise NoMeeting(
                f"no meeting {meeting_id!r} in this node; run 'enlace report' without "
                "--meeting for the next meeting"
            )
        return found
    if not meetings:
        raise NoMeeting(
            "this node holds no meeting (reunión) to report on: ingest a communiqué first "
            "('enlace tracking ingest FILE --accept')"
        )
    ordered = sorted(meetings.values(), key=lambda m: (m.sort_date, m.id))
    upcoming = [m for m in ordered if m.is_on_or_after(today)]
    return upcoming[0] if upcoming else ordered[-1]


def _attention_order(item: CommitmentItem | ActionItem) -> tuple[bool, bool, int, date, str]:
    # Overdue first; then commitments with an overdue action; then by status and due date.
    late_action = isinstance(item, CommitmentItem) and any(a.overdue for a in item.actions)
    rank = STATUS_ORDER.index(item.status) if item.status in STATUS_ORDER else len(STATUS_ORDER)
    return (not item.overdue, not late_action, rank, item.due_date or date.max, item.id)


def _meeting(meeting: Meeting) -> MeetingItem:
    return MeetingItem(
        id=meeting.id,
        title=meeting.title,
        mechanism=meeting.mechanism.value,
        sequence=meeting.sequence,
        meeting_date=meeting.meeting_date,
        meeting_month=meeting.meeting_month,
        place=meeting.place,
        mx_agencies=meeting.mx_agencies,
        us_agencies=meeting.us_agencies,
        owner=meeting.owner,
    )


def _commitment(
    commitment: Commitment,
    actions: tuple[ActionItem, ...],
    agreed_at: MeetingItem | None,
    today: date,
) -> CommitmentItem:
    return CommitmentItem(
        id=commitment.id,
        text_es=commitment.text_es,
        text_en=commitment.text_en,
        theme=commitment.theme.value,
        responsible=commitment.responsible.value,
        lead_agencies=commitment.lead_agencies,
        due_date=commitment.due_date,
        status=commitment.status.value,
        overdue=commitment.is_overdue(today=today),
        agreed_at=agreed_at,
        actions=actions,
    )


def _action(action: Action, today: date) -> ActionItem:
    return ActionItem(
        id=action.id,
        description_es=action.description_es,
        description_en=action.description_en,
        owner_agency=action.owner_agency,
        due_date=action.due_date,
        status=action.status.value,
        overdue=action.is_overdue(today=today),
        evidence=action.evidence,
    )


def _current(store_rows: Iterable[StoredRow], cls: type[R]) -> list[R]:
    # The newest version of each record, parsed and validated; revoked ones are left out.
    return [cls.from_stix(row.stix_object()) for row in store_rows if not row.revoked]
