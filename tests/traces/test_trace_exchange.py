"""Trace requests between in-process nodes (MX, US, CA) synced over ASGI, on SQLite and
PostgreSQL: the full round, the partner-only release, and each hostile input refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from enlace.exchange.signing import sign_record
from enlace.model.markings import Markings
from enlace.model.records import TraceRequest, TraceResponse
from enlace.model.records.base import new_id
from enlace.model.records.traces import TraceState
from enlace.store.versions import StoredVersion
from enlace.traces.answers import respond_to_trace, response_id, set_dealer_policy
from enlace.traces.errors import TraceError
from enlace.traces.queue import list_traces, trace_detail, trace_indicators
from enlace.traces.requests import add_trace_information, close_trace, request_trace
from support.parties import Node, party_nodes, pull

pytestmark = pytest.mark.usefixtures("database")

FIREARM = {
    "make": "Colt",
    "serial": "AB12345",
    "model": "Super",
    "caliber": ".38 Super",
    "recovery_state": "MX-SIN",
    "recovery_date": "2025-08-30",
    "case_reference": "FGR/SIN/0042/2025",
}
ANSWER = {
    "outcome": "traced",
    "first_sale_state": "US-TX",
    "dealer": "Lone Star Guns, Houston",
    "purchase_date": "2024-02-01",
}


@pytest.fixture
def nodes(new_store_url: Callable[[], str]) -> Iterator[dict[str, Node]]:
    with party_nodes({p: new_store_url() for p in ("MX", "US", "CA")}) as made:
        yield made


def ask(mx: Node, partner: str = "US") -> str:
    step = request_trace(
        mx.store, partner=partner, firearm=FIREARM, signing_key=mx.key, actor="analyst"
    )
    return step.request_id


def actions(node: Node, subject: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    with node.store.unit_of_work() as uow:
        return [
            (e.action, orjson.loads(e.detail_json or "{}"))
            for e in uow.audit.entries()
            if subject is None or e.subject == subject
        ]


def held(node: Node, record_id: str) -> int:
    with node.store.unit_of_work() as uow:
        return len(uow.records.versions(record_id))


def test_a_trace_is_asked_answered_and_closed_across_two_nodes(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    request_id = ask(mx)
    pull(us, mx)
    [queued] = list_traces(us.store, direction="incoming")
    assert (queued.request.id, queued.state) == (request_id, TraceState.SUBMITTED)
    assert queued.request.make == "Colt"
    assert queued.request.owner == "MX"

    respond_to_trace(
        us.store,
        request_id=request_id,
        status="information-requested",
        answer={"question": "¿Número de serie completo? / Full serial please"},
        signing_key=us.key,
        actor="liaison",
    )
    pull(mx, us)
    [mine] = list_traces(mx.store, direction="outgoing")
    assert mine.state is TraceState.IN_PROGRESS
    assert mine.information_requested
    add_trace_information(
        mx.store,
        request_id=request_id,
        information="Serial AB12345, frame only",
        signing_key=mx.key,
        actor="analyst",
    )
    pull(us, mx)
    assert trace_detail(us.store, request_id=request_id).request.additional_information

    step = respond_to_trace(
        us.store,
        request_id=request_id,
        status="answered",
        answer=ANSWER,
        signing_key=us.key,
        actor="liaison",
    )
    assert step.state is TraceState.ANSWERED
    pull(mx, us)
    answered = trace_detail(mx.store, request_id=request_id)
    assert answered.state is TraceState.ANSWERED
    assert answered.response is not None
    assert answered.response.first_sale_state == "US-TX"
    assert answered.response.time_to_crime_days == 576  # 2024-02-01 to 2025-08-30
    assert answered.response.owner == "US"

    close_trace(mx.store, request_id=request_id, signing_key=mx.key, actor="analyst")
    pull(us, mx)
    assert trace_detail(us.store, request_id=request_id).state is TraceState.CLOSED
    assert trace_detail(mx.store, request_id=request_id).state is TraceState.CLOSED

    mx_steps = [a for a, _ in actions(mx) if a.startswith("trace-")]
    us_steps = [a for a, _ in actions(us) if a.startswith("trace-")]
    assert mx_steps == [
        "trace-request",
        "trace-received",
        "trace-information",
        "trace-received",
        "trace-close",
    ]
    assert us_steps == [
        "trace-received",
        "trace-response",
        "trace-received",
        "trace-response",
        "trace-received",
    ]
    outgoing, incoming = trace_indicators(mx.store)
    assert (outgoing.requests, outgoing.answered, outgoing.answer_rate) == (1, 1, 1.0)
    assert incoming.requests == 0
    _, us_incoming = trace_indicators(us.store)
    assert us_incoming.answered == 1
    assert us_incoming.median_days is not None


def test_a_trace_request_reaches_only_the_partner_asked(nodes: dict[str, Node]) -> None:
    mx, _us, ca = nodes["MX"], nodes["US"], nodes["CA"]
    request_id = ask(mx)
    with mx.store.unit_of_work() as uow:
        row = uow.records.latest(request_id)
    assert row is not None
    assert row.releasable_to == ("US",)
    pull(ca, mx, from_start=True)
    assert held(ca, request_id) == 0
    assert list_traces(ca.store) == []


def test_the_asked_party_cannot_close_and_the_requester_cannot_answer(
    nodes: dict[str, Node],
) -> None:
    mx, us = nodes["MX"], nodes["US"]
    request_id = ask(mx)
    pull(us, mx)
    with pytest.raises(TraceError, match="only the party asked answers"):
        respond_to_trace(
            mx.store, request_id=request_id, status="in-progress", signing_key=mx.key, actor="a"
        )
    with pytest.raises(TraceError, match="only the requester"):
        close_trace(us.store, request_id=request_id, signing_key=us.key, actor="l")
    assert held(us, response_id(request_id)) == 0


def test_an_answer_stands_and_a_closed_trace_stays_closed(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    request_id = ask(mx)
    pull(us, mx)
    respond_to_trace(
        us.store,
        request_id=request_id,
        status="answered",
        answer={"outcome": "not-traceable", "reason": "Serial obliterated"},
        signing_key=us.key,
        actor="liaison",
    )
    with pytest.raises(TraceError, match="already answered"):
        respond_to_trace(
            us.store, request_id=request_id, status="in-progress", signing_key=us.key, actor="l"
        )
    close_trace(mx.store, request_id=request_id, signing_key=mx.key, actor="analyst")
    with pytest.raises(TraceError, match="closed"):
        close_trace(mx.store, request_id=request_id, signing_key=mx.key, actor="analyst")
    pull(us, mx)
    with pytest.raises(TraceError, match="closed"):
        respond_to_trace(
            us.store, request_id=request_id, status="in-progress", signing_key=us.key, actor="l"
        )


def test_a_bad_field_writes_nothing(nodes: dict[str, Node]) -> None:
    mx = nodes["MX"]
    before = len(actions(mx))
    with pytest.raises(TraceError, match=r"make.*at most 200"):
        request_trace(
            mx.store,
            partner="US",
            firearm={**FIREARM, "make": "x" * 201},
            signing_key=mx.key,
            actor="analyst",
        )
    with pytest.raises(TraceError, match="not a registered partner"):
        request_trace(mx.store, partner="GT", firearm=FIREARM, signing_key=mx.key, actor="a")
    with pytest.raises(TraceError, match="recovery_date"):
        request_trace(
            mx.store,
            partner="US",
            firearm={**FIREARM, "recovery_date": "yesterday"},
            signing_key=mx.key,
            actor="a",
        )
    assert list_traces(mx.store) == []
    assert len(actions(mx)) == before


def test_a_dealer_is_withheld_where_the_answering_policy_says_so(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    request_id = ask(mx)
    pull(us, mx)
    set_dealer_policy(us.store, policy="withhold", actor="admin")
    with pytest.raises(TraceError, match="withholds the selling dealer"):
        respond_to_trace(
            us.store,
            request_id=request_id,
            status="answered",
            answer=ANSWER,
            signing_key=us.key,
            actor="l",
        )
    without = {k: v for k, v in ANSWER.items() if k != "dealer"}
    respond_to_trace(
        us.store,
        request_id=request_id,
        status="answered",
        answer=without,
        signing_key=us.key,
        actor="l",
    )


# --- hostile partners: versions forced into the release channel, past every local check ---


def force_release(
    node: Node, partner: str, record: Any, stix: dict[str, Any] | None = None
) -> None:
    """Store `record` on `node` and release it to `partner` signed, skipping every rule."""
    version = StoredVersion.of(record, stix=stix)
    obj = stix if stix is not None else record.to_stix()
    with node.store.unit_of_work() as uow:
        uow.records.add([version], added_at=uow.started_at)
        uow.releases.insert(
            record_id=version.id,
            modified=version.modified,
            partner=partner,
            released_at=uow.started_at,
            signature=sign_record(obj, node.key),
        )
        uow.commit()


def response(
    owner: str, request_id: str, *, to: str, status: str = "answered", at: int = 0
) -> TraceResponse:
    moment = datetime(2026, 1, 1, tzinfo=UTC).replace(second=at)
    values: dict[str, object] = {"request_ref": request_id, "status": status}
    if status == "answered":
        values |= {"outcome": "traced", "first_sale_state": "US-AZ"}
    return TraceResponse.from_values(
        id=response_id(request_id),
        owner=owner,
        markings=Markings.build(tlp="amber", releasable_to=to, handling="H2"),
        created=datetime(2026, 1, 1, tzinfo=UTC),
        modified=moment,
        created_by_ref=None,
        values=values,
    )


def request(
    owner: str, asked: str, *, to: str, status: str = "submitted", at: int = 0, id: str = ""
) -> TraceRequest:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    return TraceRequest.from_values(
        id=id or new_id(TraceRequest.STIX_TYPE),
        owner=owner,
        markings=Markings.build(tlp="amber", releasable_to=to, handling="H2"),
        created=moment,
        modified=moment.replace(second=at),
        created_by_ref=None,
        values={"requested_of": asked, "status": status, "make": "Glock"},
    )


def refusals(node: Node) -> dict[str, int]:
    found: dict[str, int] = {}
    for action, detail in actions(node):
        if action == "refusal":
            for reason, count in detail["reasons"].items():
                found[reason] = found.get(reason, 0) + count
    return found


def test_an_answer_to_a_request_never_sent_is_refused(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    invented = new_id(TraceRequest.STIX_TYPE)
    force_release(us, "MX", response("US", invented, to="MX"))
    report = pull(mx, us)
    assert report.refused == {"trace-not-addressed": 1}
    assert held(mx, response_id(invented)) == 0
    assert refusals(mx) == {"trace-not-addressed": 1}
    assert list_traces(mx.store) == []


def test_an_answer_from_a_party_not_asked_is_refused(nodes: dict[str, Node]) -> None:
    mx, ca = nodes["MX"], nodes["CA"]
    request_id = ask(mx, "US")
    force_release(ca, "MX", response("CA", request_id, to="MX"))
    report = pull(mx, ca)
    assert report.refused == {"trace-wrong-party": 1}
    assert held(mx, response_id(request_id)) == 0
    assert trace_detail(mx.store, request_id=request_id).state is TraceState.SUBMITTED


def test_a_status_going_backwards_is_refused(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    request_id = ask(mx)
    pull(us, mx)
    force_release(us, "MX", response("US", request_id, to="MX", status="answered", at=1))
    force_release(us, "MX", response("US", request_id, to="MX", status="in-progress", at=2))
    report = pull(mx, us)
    assert report.refused == {"trace-status-backwards": 1}
    assert held(mx, response_id(request_id)) == 1
    assert trace_detail(mx.store, request_id=request_id).state is TraceState.ANSWERED


def test_a_closed_request_reopened_is_refused(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    closed = request("MX", "US", to="US", status="closed", at=5)
    reopened = request("MX", "US", to="US", status="submitted", at=9, id=closed.id)
    force_release(mx, "US", closed)
    force_release(mx, "US", reopened)
    report = pull(us, mx)
    assert report.refused == {"trace-status-backwards": 1}
    assert held(us, closed.id) == 1


def test_a_request_forged_by_a_third_party_is_refused(nodes: dict[str, Node]) -> None:
    us, ca = nodes["US"], nodes["CA"]
    as_mx = request("MX", "US", to="US")  # CA claims MX asked
    not_for_us = request("CA", "MX", to="US")  # CA's request to MX, sent to US
    force_release(ca, "US", as_mx)
    force_release(ca, "US", not_for_us)
    report = pull(us, ca)
    assert report.refused == {"wrong-owner": 1, "trace-not-addressed": 1}
    assert held(us, as_mx.id) == held(us, not_for_us.id) == 0
    assert list_traces(us.store) == []


def test_an_oversized_field_is_refused(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    record = request("MX", "US", to="US")
    stix = record.to_stix()
    stix["make"] = "Colt " + "x" * 5000
    force_release(mx, "US", record, stix=stix)
    report = pull(us, mx)
    assert report.refused == {"malformed": 1}
    assert held(us, record.id) == 0
    [(_, detail)] = [(a, d) for a, d in actions(us) if a == "refusal"]
    assert "at most 200 characters" in detail["messages"]["malformed"]


def test_the_meeting_report_and_the_tracking_page_show_trace_turnaround(
    nodes: dict[str, Node],
) -> None:
    from datetime import date

    from enlace.reports.queries import build_report_data
    from enlace.reports.render import render_html
    from enlace.store.versions import StoredVersion as Version
    from enlace.web.queries.tracking import tracking_view
    from support.reports import meeting

    mx, us = nodes["MX"], nodes["US"]
    with mx.store.unit_of_work() as uow:
        uow.records.add(
            [Version.of(meeting("next", meeting_date="2026-12-20"))], added_at=uow.started_at
        )
        uow.commit()
    answered, waiting = ask(mx), ask(mx)
    pull(us, mx)
    respond_to_trace(
        us.store, request_id=answered, status="answered", answer=ANSWER, signing_key=us.key,
        actor="l",
    )  # fmt: skip
    pull(mx, us)
    assert trace_detail(mx.store, request_id=waiting).state is TraceState.SUBMITTED
    data = build_report_data(mx.store, meeting_id=None, indicators=(), today=date(2026, 12, 1))
    [outgoing] = data.traces
    assert (outgoing.direction, outgoing.requests, outgoing.answered) == ("outgoing", 2, 1)
    assert outgoing.answer_rate == 0.5
    spanish, english = render_html(data, "es"), render_html(data, "en")
    assert "Rastreo de armas" in spanish
    assert "Solicitudes que hicimos" in spanish
    assert "50 %" in spanish
    assert "Firearm traces" in english
    assert "Requests we made" in english
    view = tracking_view(mx.store, meeting_id=None, today=date(2026, 12, 1))
    assert view.traces == data.traces
