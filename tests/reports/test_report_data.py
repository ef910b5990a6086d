"""What a meeting's progress report gathers from the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest

from enlace.model.markings import HandlingCode, Tlp
from enlace.reports.errors import NoMeeting
from enlace.reports.queries import build_report_data
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support.reports import TODAY, action, commitment, fentanyl_series, tracking_node


def test_next_meeting_is_the_first_on_or_after_today(store: Store) -> None:
    node = tracking_node(store)
    data = build_report_data(store, meeting_id=None, indicators=(), today=TODAY)
    assert data.meeting.id == node.next_meeting  # February 2026, month only
    assert data.previous_meeting is not None
    assert data.previous_meeting.id == node.previous_meeting
    # The day of the earlier meeting: it is next until it has passed.
    on_the_day = build_report_data(store, meeting_id=None, indicators=(), today=date(2026, 1, 9))
    assert on_the_day.meeting.id == node.previous_meeting


def test_when_every_meeting_is_past_the_latest_is_reported(store: Store) -> None:
    node = tracking_node(store)
    data = build_report_data(store, meeting_id=None, indicators=(), today=date(2026, 11, 1))
    assert data.meeting.id == node.next_meeting


def test_a_meeting_asked_for_by_id_is_reported(store: Store) -> None:
    node = tracking_node(store)
    data = build_report_data(store, meeting_id=node.previous_meeting, indicators=(), today=TODAY)
    assert data.meeting.id == node.previous_meeting
    assert data.previous_meeting is None
    assert data.exchange_since is None


def test_no_meeting_or_an_unknown_one_is_a_clear_error(store: Store) -> None:
    with pytest.raises(NoMeeting, match="holds no meeting"):
        build_report_data(store, meeting_id=None, indicators=(), today=TODAY)
    tracking_node(store)
    with pytest.raises(NoMeeting, match="no meeting 'enlace-meeting--nope'"):
        build_report_data(store, meeting_id="enlace-meeting--nope", indicators=(), today=TODAY)


def test_overdue_commitments_come_first_then_by_status(store: Store) -> None:
    node = tracking_node(store)
    data = build_report_data(store, meeting_id=None, indicators=(), today=TODAY)
    order = [c.id for c in data.commitments]
    assert order == [node.overdue, node.stalled, node.in_progress, node.delivered]
    flagged = {c.id: c.overdue for c in data.commitments}
    # Due 2025-11-30 but delivered: not overdue; due 2025-12-31 and in progress: overdue.
    assert flagged == {
        node.overdue: True,
        node.stalled: False,
        node.in_progress: False,
        node.delivered: False,
    }
    overdue = data.commitments[0]
    assert [a.overdue for a in overdue.actions] == [True]
    assert data.overdue_counts() == (1, 1)
    assert data.status_counts()["in-progress"] == (2, 0)
    assert data.status_counts()["delivered"] == (1, 1)


def test_exchange_is_counted_each_way_since_the_previous_meeting(store: Store) -> None:
    tracking_node(store)
    data = build_report_data(store, meeting_id=None, indicators=(), today=TODAY)
    assert data.exchange_since == date(2026, 1, 9)
    counted = {(f.partner, f.direction, f.kind): f.versions for f in data.exchange}
    # Three phones released to US, one before the previous meeting; four seizures received
    # from US, one before it.
    assert counted == {("US", "released", "phone"): 2, ("US", "received", "seizure"): 3}


def test_a_received_record_its_owner_revoked_is_not_counted(store: Store) -> None:
    tracking_node(store)
    with store.unit_of_work() as uow:
        held = [r for r in uow.records.iter_latest() if r.received_from == "US"]
        newest = max(held, key=lambda r: r.added_at)
        uow.revocations.mark_revoked([newest.id], "US")
        uow.commit()
    data = build_report_data(store, meeting_id=None, indicators=(), today=TODAY)
    counted = {(f.partner, f.direction, f.kind): f.versions for f in data.exchange}
    assert counted[("US", "received", "seizure")] == 2  # three, less the revoked one


def test_the_report_carries_the_most_restrictive_marking_of_what_it_shows(store: Store) -> None:
    tracking_node(store)
    data = build_report_data(store, meeting_id=None, indicators=(), today=TODAY)
    assert data.markings is not None
    assert data.markings.tlp is Tlp.AMBER_STRICT
    assert data.markings.handling is HandlingCode.H2
    assert data.markings.releasable_to == frozenset({"MX", "US"})


def test_indicator_series_are_passed_through_in_order(store: Store) -> None:
    tracking_node(store)
    series = fentanyl_series()
    data = build_report_data(store, meeting_id=None, indicators=[series], today=TODAY)
    assert data.indicators == (series,)


def test_commitments_agreed_after_the_reported_meeting_are_left_out(store: Store) -> None:
    node = tracking_node(store)
    later = commitment(
        "agreed-at-ministerial",
        text_en="Review the results of the implementation group",
        theme="other",
        status="announced",
        meeting_ref=node.next_meeting,
    )
    with store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(later)], added_at="2026-02-01T00:00:00.000000Z")
        uow.commit()
    earlier = build_report_data(store, meeting_id=node.previous_meeting, indicators=(), today=TODAY)
    assert later.id not in {c.id for c in earlier.commitments}
    assert node.stalled in {c.id for c in earlier.commitments}  # agreed at no known meeting
    ministerial = build_report_data(store, meeting_id=node.next_meeting, indicators=(), today=TODAY)
    assert later.id in {c.id for c in ministerial.commitments}


def test_a_commitment_with_an_overdue_action_comes_right_after_the_overdue_ones(
    store: Store,
) -> None:
    node = tracking_node(store)
    late = action(
        "late-tracing",
        commitment_ref=node.in_progress,
        description_en="Enter the Sonora firearms in eTrace",
        owner_agency="FGR",
        due_date="2026-01-10",
        status="in-progress",
    )
    with store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(late)], added_at="2026-01-11T00:00:00.000000Z")
        uow.commit()
    data = build_report_data(store, meeting_id=None, indicators=(), today=TODAY)
    assert [c.id for c in data.commitments] == [
        node.overdue,
        node.in_progress,
        node.stalled,
        node.delivered,
    ]
