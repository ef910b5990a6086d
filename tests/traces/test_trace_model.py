"""The trace records' own rules and the turnaround arithmetic, without a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from enlace.model.errors import RecordError
from enlace.model.markings import Markings
from enlace.model.records import TraceRequest, TraceResponse
from enlace.model.records.base import new_id
from enlace.model.records.traces import TraceState, status_rank, trace_state
from enlace.model.vocabulary import TraceRequestStatus, TraceResponseStatus
from enlace.traces.queue import TraceSummary, indicators_of, percentile

MOMENT = datetime(2026, 1, 1, tzinfo=UTC)
MARKED = Markings.build(tlp="amber", releasable_to="MX", handling="H2")


def response(**values: object) -> TraceResponse:
    return TraceResponse.from_values(
        id=new_id(TraceResponse.STIX_TYPE),
        owner="US",
        markings=MARKED,
        created=MOMENT,
        modified=MOMENT,
        created_by_ref=None,
        values={"request_ref": new_id(TraceRequest.STIX_TYPE), **values},
    )


def request(status: str = "submitted", **values: object) -> TraceRequest:
    return TraceRequest.from_values(
        id=new_id(TraceRequest.STIX_TYPE),
        owner="MX",
        markings=Markings.build(tlp="amber", releasable_to="US", handling="H2"),
        created=MOMENT,
        modified=MOMENT,
        created_by_ref=None,
        values={"requested_of": "US", "status": status, "make": "Colt", **values},
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"status": "answered"}, "outcome"),
        ({"status": "answered", "outcome": "traced"}, "first_sale_state"),
        ({"status": "answered", "outcome": "not-traceable"}, "reason"),
        ({"status": "information-requested"}, "question"),
        ({"status": "in-progress", "outcome": "traced"}, "outcome"),
        ({"status": "answered", "outcome": "traced", "first_sale_state": "TX"}, "first_sale_state"),
        ({"status": "in-progress", "time_to_crime_days": -1}, "time_to_crime_days"),
        ({"status": "in-progress", "dealer": "x" * 201}, "dealer"),
        ({"status": "in-progress", "question": "x" * 2001}, "question"),
    ],
)
def test_a_response_missing_or_overflowing_a_field_names_it(
    values: dict[str, object], field: str
) -> None:
    with pytest.raises(RecordError) as raised:
        response(**values)
    assert raised.value.field == field


def test_a_request_asks_a_partner_not_its_own_party() -> None:
    with pytest.raises(RecordError, match="requested_of"):
        request(requested_of="MX")


def test_statuses_only_move_forward() -> None:
    assert status_rank(TraceRequestStatus.CLOSED) > status_rank(TraceRequestStatus.SUBMITTED)
    assert status_rank(TraceResponseStatus.ANSWERED) > status_rank(
        TraceResponseStatus.INFORMATION_REQUESTED
    )
    assert status_rank(TraceResponseStatus.IN_PROGRESS) == status_rank(
        TraceResponseStatus.INFORMATION_REQUESTED
    )


def test_the_state_of_a_trace_follows_request_and_response() -> None:
    asked = request()
    assert trace_state(asked, None) is TraceState.SUBMITTED
    assert trace_state(asked, response(status="in-progress")) is TraceState.IN_PROGRESS
    done = response(status="answered", outcome="not-traceable", reason="Serial obliterated")
    assert trace_state(asked, done) is TraceState.ANSWERED
    assert trace_state(request("closed"), done) is TraceState.CLOSED


def test_percentile_is_the_nearest_rank() -> None:
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([float(n) for n in range(1, 12)], 0.9) == 10.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0


def test_turnaround_and_answer_rate_of_a_direction() -> None:
    def summary(days: float | None, direction: str = "outgoing") -> TraceSummary:
        answered = None if days is None else MOMENT + timedelta(days=days)
        return TraceSummary(request(), None, direction, TraceState.SUBMITTED, MOMENT, answered)

    found = [summary(d) for d in (1, 2, 3, 4, 10)] + [summary(None), summary(7, "incoming")]
    outgoing = indicators_of(found, "outgoing")
    assert (outgoing.requests, outgoing.answered) == (6, 5)
    assert outgoing.answer_rate == pytest.approx(5 / 6)
    assert outgoing.median_days == 3.0
    assert outgoing.p90_days == 10.0
    none = indicators_of([], "incoming")
    assert (none.answer_rate, none.median_days, none.p90_days) == (None, None, None)
