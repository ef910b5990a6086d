"""The trace part of `enlace demo`: MX asks US to trace one of MX's recovered firearms
(solicitud de rastreo), US's liaison answers, MX closes; each step reaches the other node at
the next sync. Run again, the demo finds its trace by the case reference and does not ask twice.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from rich.console import Console

from enlace.cli.demo_exchange import sync_from
from enlace.cli.terminal import safe_text
from enlace.model.records import Firearm, record_from_stix
from enlace.model.records.traces import TraceState
from enlace.node.keys import load_signing_key
from enlace.node.setup import open_node
from enlace.traces.answers import respond_to_trace
from enlace.traces.queue import TraceSummary, list_traces, trace_detail
from enlace.traces.requests import close_trace, request_trace

# The demo's trace is the one with this case reference: a second run finds it, not a new one.
DEMO_CASE = "FGR/DEMO/RASTREO/0001"
# The answer the US liaison gives: first retail sale in Texas, some two years before recovery.
FIRST_SALE_STATE = "US-TX"
BEFORE_RECOVERY = timedelta(days=700)


def run_trace_demo(
    nodes: dict[str, Path], console: Console, *, requester: str, asked: str
) -> str | None:
    """`requester` asks `asked` to trace one of its recovered firearms; `asked` answers;
    `requester` closes. Both nodes must be serving. Returns the firearm's record id."""
    firearm = _recovered_firearm(nodes[requester])
    if firearm is None:
        console.print(f"{requester} holds no recovered firearm of its own: no trace to show")
        return None
    summary = _demo_trace(nodes[requester], "outgoing")
    if summary is None:
        config, store = open_node(nodes[requester])
        try:
            step = request_trace(
                store,
                partner=asked,
                firearm={"case_reference": DEMO_CASE},
                firearm_id=firearm.id,
                signing_key=load_signing_key(config.key_dir),
                actor="demo",
            )
        finally:
            store.close()
        console.print(
            f"{requester} asks {asked} to trace firearm {firearm.id} "
            f"(solicitud de rastreo {step.request_id}): {step.state.value}"
        )
        _sync(console, nodes, asked, requester)
        summary = _demo_trace(nodes[requester], "outgoing")
        assert summary is not None
    else:
        console.print(
            f"{requester} already asked {asked} to trace (solicitud de rastreo "
            f"{summary.request.id}): {summary.state.value}"
        )
    request_id = summary.request.id
    incoming = _demo_trace(nodes[asked], "incoming")
    if incoming is not None and incoming.state in (TraceState.SUBMITTED, TraceState.IN_PROGRESS):
        assert incoming.request.recovery_date is not None
        config, store = open_node(nodes[asked])
        try:
            step = respond_to_trace(
                store,
                request_id=request_id,
                status="answered",
                answer={
                    "outcome": "traced",
                    "first_sale_state": FIRST_SALE_STATE,
                    "purchase_date": (incoming.request.recovery_date - BEFORE_RECOVERY).isoformat(),
                },
                signing_key=load_signing_key(config.key_dir),
                actor="demo",
            )
        finally:
            store.close()
        console.print(f"{asked}'s liaison answers trace {request_id}: {step.state.value}")
        _sync(console, nodes, requester, asked)
    summary = _trace(nodes[requester], request_id)
    response = summary.response
    if response is not None and response.outcome is not None:
        console.print(
            f"{requester} reads the answer: {response.outcome.value}, first sold in "
            f"{response.first_sale_state}, time to crime {response.time_to_crime_days} day(s)"
        )
    if summary.state is TraceState.ANSWERED:
        config, store = open_node(nodes[requester])
        try:
            step = close_trace(
                store,
                request_id=request_id,
                signing_key=load_signing_key(config.key_dir),
                actor="demo",
            )
        finally:
            store.close()
        console.print(f"{requester} closes trace {request_id}: {step.state.value}")
        _sync(console, nodes, asked, requester)
        summary = _trace(nodes[requester], request_id)
    elif summary.state is TraceState.CLOSED:
        console.print(f"trace {request_id} already closed: nothing asked or answered twice")
    turnaround = summary.turnaround_days
    if turnaround is not None:
        console.print(
            f"trace {request_id} {summary.state.value}; turnaround (request to answer) "
            f"{turnaround * 86_400:.1f} s ({turnaround:.4f} day(s))"
        )
    return firearm.id


def _sync(console: Console, nodes: dict[str, Path], party: str, partner: str) -> None:
    report = sync_from(nodes[party], partner)
    console.print(f"{party} syncs from {partner}: {safe_text(report.summary())}")


def _demo_trace(node: Path, direction: str) -> TraceSummary | None:
    _, store = open_node(node)
    try:
        found = list_traces(store, direction=direction)
    finally:
        store.close()
    return next((s for s in found if s.request.case_reference == DEMO_CASE), None)


def _trace(node: Path, request_id: str) -> TraceSummary:
    _, store = open_node(node)
    try:
        return trace_detail(store, request_id=request_id)
    finally:
        store.close()


def _recovered_firearm(node: Path) -> Firearm | None:
    """The node's first firearm (by id) of its own with a recovery date: the same each run."""
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            party = uow.settings.get("party")
            for row in uow.records.iter_latest(kind=Firearm.KIND):
                if row.received_from is not None or row.owner != party or row.revoked:
                    continue
                firearm = record_from_stix(row.stix_object())
                if isinstance(firearm, Firearm) and firearm.recovery_date is not None:
                    return firearm
    finally:
        store.close()
    return None
