"""Read model of the tracking page (seguimiento): meetings, commitments and actions by
status with the overdue flagged, and the indicators — the same data as the meeting report
(`enlace.reports.queries`), so the page and the downloaded report never disagree."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from enlace.model.records import Meeting
from enlace.reports.data import MeetingItem, ReportData
from enlace.reports.errors import NoMeeting
from enlace.reports.queries import build_report_data
from enlace.store.store import Store
from enlace.traces.errors import TraceError
from enlace.traces.queue import TraceIndicators, trace_indicators
from enlace.tracking.indicators.series import IndicatorSeries
from enlace.tracking.indicators.snapshot import default_indicators


@dataclass(frozen=True, slots=True)
class TrackingView:
    """The meetings the node holds and the report data of the one shown (None: no meeting)."""

    meetings: tuple[MeetingItem, ...]
    data: ReportData | None
    indicators: tuple[IndicatorSeries, ...]
    # Firearm trace turnaround and answer rate, of the directions with requests (issue 18).
    traces: tuple[TraceIndicators, ...] = ()


def node_indicators(store: Store, *, today: date) -> list[IndicatorSeries]:
    """The default indicators over the node's records and statistics, as kept ready since
    the data last changed (enlace.tracking.indicators.snapshot)."""
    return default_indicators(store, today=today)


def meetings(store: Store) -> list[MeetingItem]:
    """Every current meeting the node holds, earliest first."""
    with store.unit_of_work() as uow:  # only reads
        found = [
            Meeting.from_stix(row.stix_object())
            for row in uow.records.iter_latest(kind=Meeting.KIND)
            if not row.revoked
        ]
    items = [
        MeetingItem(
            id=m.id,
            title=m.title,
            mechanism=m.mechanism.value,
            sequence=m.sequence,
            meeting_date=m.meeting_date,
            meeting_month=m.meeting_month,
            place=m.place,
            mx_agencies=m.mx_agencies,
            us_agencies=m.us_agencies,
            owner=m.owner,
        )
        for m in found
    ]
    return sorted(items, key=lambda m: (m.sort_date, m.id))


def tracking_view(store: Store, *, meeting_id: str | None, today: date) -> TrackingView:
    """The tracking page for `meeting_id` (None: the next meeting). NoMeeting when the
    node holds meetings but not `meeting_id`."""
    held = meetings(store)
    series = tuple(node_indicators(store, today=today))
    try:
        traces = tuple(t for t in trace_indicators(store) if t.requests)
    except TraceError:  # a store with no node party yet holds no trace of its own either
        traces = ()
    if not held:
        return TrackingView(meetings=(), data=None, indicators=series, traces=traces)
    data = build_report_data(store, meeting_id=meeting_id, indicators=(), today=today)
    data = dataclasses.replace(data, indicators=series)
    return TrackingView(meetings=tuple(held), data=data, indicators=series, traces=traces)


def next_meeting(store: Store, *, today: date) -> ReportData | None:
    """The next meeting's report data without indicators, or None when there is none."""
    try:
        return build_report_data(store, meeting_id=None, indicators=(), today=today)
    except NoMeeting:
        return None
