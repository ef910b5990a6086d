"""`enlace trace ...`: firearm trace requests between nodes (solicitudes de rastreo).

Each command parses its options, calls one use case of `enlace.traces` and prints the result;
a step reaches the partner at its next sync (`enlace sync`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir, command_group
from enlace.cli.terminal import safe_text

if TYPE_CHECKING:
    from nacl.signing import SigningKey

    from enlace.store.store import Store
    from enlace.traces.queue import TraceIndicators, TraceSummary
    from enlace.traces.requests import TraceStep

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)
R = TypeVar("R")
ACTOR = "cli"


def build_trace_app() -> typer.Typer:
    """The `enlace trace` sub-command group."""
    trace = command_group(
        "trace",
        "Firearm trace requests between nodes: ask a partner, answer, close, list.",
    )
    trace.command("request")(request)
    trace.command("answer")(answer)
    trace.command("inform")(inform)
    trace.command("close")(close)
    trace.command("list")(list_traces_command)
    trace.command("indicators")(indicators)
    trace.command("policy")(policy)
    return trace


def _open(node: Path, *, key: bool = True) -> tuple[Store, SigningKey | None]:
    from enlace.node.keys import load_signing_key
    from enlace.node.setup import open_node

    config, store = open_node(node)
    return store, load_signing_key(config.key_dir) if key else None


def _run(node: Path, use: Callable[[Store], R]) -> R:
    """Run one use case on the node's store, closed after (also when the use case refuses)."""
    store, _ = _open(node, key=False)
    try:
        return use(store)
    finally:
        store.close()


def _step(node: Path, use: Callable[[Store, SigningKey], TraceStep]) -> None:
    """Run one signed step of a trace with the node's key and print where the trace stands."""
    store, key = _open(node)
    assert key is not None
    try:
        step = use(store, key)
    finally:
        store.close()
    console.print(
        f"trace {step.request_id}: {step.state.value} "
        f"(version {step.modified} of {step.record_id}; the partner receives it at its next sync)"
    )


def _given(**options: object) -> dict[str, object]:
    """The options the user gave: an option left out is not sent, not sent as empty."""
    return {name: value for name, value in options.items() if value is not None}


@user_errors
def request(
    partner: Annotated[str, typer.Option("--partner", help="The partner asked to trace, e.g. US.")],
    make: Annotated[str | None, typer.Option("--make", help="Manufacturer (marca).")] = None,
    serial: Annotated[str | None, typer.Option("--serial", help="Serial number.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model.")] = None,
    caliber: Annotated[str | None, typer.Option("--caliber", help="Caliber (calibre).")] = None,
    firearm_type: Annotated[
        str | None, typer.Option("--type", help="pistol, revolver, rifle, shotgun, ...")
    ] = None,
    importer: Annotated[str | None, typer.Option("--importer", help="Importer.")] = None,
    recovery_state: Annotated[
        str | None, typer.Option("--recovery-state", help="Where recovered, ISO 3166-2 (MX-SIN).")
    ] = None,
    recovery_date: Annotated[
        str | None, typer.Option("--recovery-date", help="When recovered, YYYY-MM-DD.")
    ] = None,
    case_reference: Annotated[
        str | None, typer.Option("--case", help="Your case or file number.")
    ] = None,
    circumstances: Annotated[
        str | None, typer.Option("--circumstances", help="How and where it was recovered.")
    ] = None,
    firearm: Annotated[
        str | None,
        typer.Option("--firearm", help="A firearm record held here whose description fills in."),
    ] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Ask a partner to trace a recovered firearm (solicitud de rastreo)."""
    from enlace.traces.requests import request_trace

    given = _given(
        make=make, serial=serial, model=model, caliber=caliber, firearm_type=firearm_type,
        importer=importer, recovery_state=recovery_state, recovery_date=recovery_date,
        case_reference=case_reference, circumstances=circumstances,
    )  # fmt: skip
    _step(
        node,
        lambda store, key: request_trace(
            store, partner=partner, firearm=given, firearm_id=firearm, signing_key=key, actor=ACTOR
        ),
    )


@user_errors
def answer(
    request_id: Annotated[str, typer.Argument(help="The trace request's id.")],
    status: Annotated[
        str,
        typer.Option("--status", help="in-progress, information-requested or answered."),
    ],
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="traced or not-traceable (answered).")
    ] = None,
    first_sale_state: Annotated[
        str | None, typer.Option("--state", help="State of first retail sale, e.g. US-TX.")
    ] = None,
    dealer: Annotated[
        str | None, typer.Option("--dealer", help="The selling dealer, as policy allows.")
    ] = None,
    purchase_date: Annotated[
        str | None, typer.Option("--purchase-date", help="Date of first sale, YYYY-MM-DD.")
    ] = None,
    time_to_crime: Annotated[
        int | None,
        typer.Option("--time-to-crime", help="Days from sale to recovery (default: computed)."),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it cannot be traced.")] = None,
    question: Annotated[
        str | None, typer.Option("--question", help="What more information is needed.")
    ] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Work a partner's trace request: in progress, ask for more, or answer."""
    from enlace.traces.answers import respond_to_trace

    given = _given(
        outcome=outcome, first_sale_state=first_sale_state, dealer=dealer,
        purchase_date=purchase_date, time_to_crime_days=time_to_crime, reason=reason,
        question=question,
    )  # fmt: skip
    _step(
        node,
        lambda store, key: respond_to_trace(
            store, request_id=request_id, status=status, answer=given, signing_key=key, actor=ACTOR
        ),
    )


@user_errors
def inform(
    request_id: Annotated[str, typer.Argument(help="Your trace request's id.")],
    information: Annotated[str, typer.Option("--information", help="What the partner asked for.")],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Add the information the partner asked for to your trace request."""
    from enlace.traces.requests import add_trace_information

    _step(
        node,
        lambda store, key: add_trace_information(
            store, request_id=request_id, information=information, signing_key=key, actor=ACTOR
        ),
    )


@user_errors
def close(
    request_id: Annotated[str, typer.Argument(help="Your trace request's id.")],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Close your trace request (only the requester closes)."""
    from enlace.traces.requests import close_trace

    _step(
        node,
        lambda store, key: close_trace(store, request_id=request_id, signing_key=key, actor=ACTOR),
    )


def _as_json(summary: TraceSummary) -> dict[str, object]:
    response = summary.response
    return {
        "request": summary.request.id,
        "direction": summary.direction,
        "requester": summary.request.owner,
        "requested_of": summary.request.requested_of,
        "status": summary.state.value,
        "information_requested": summary.information_requested,
        "make": summary.request.make,
        "serial": summary.request.serial,
        "requested_at": summary.requested_at.isoformat(),
        "answered_at": summary.answered_at.isoformat() if summary.answered_at else None,
        "response": response.to_stix() if response is not None else None,
    }


@user_errors
def list_traces_command(
    direction: Annotated[
        str | None, typer.Option("--direction", help="incoming (asked of us) or outgoing.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="submitted, in-progress, answered, closed.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the traces as JSON.")] = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """The node's traces, newest first: the liaison's queue and the analyst's requests."""
    from enlace.traces.queue import list_traces

    found = _run(node, lambda store: list_traces(store, direction=direction, state=status))
    if as_json:
        print(json.dumps([_as_json(s) for s in found], ensure_ascii=False, indent=2))
        return
    table = Table("request", "direction", "from → to", "status", "firearm", "requested", "answer")
    for s in found:
        response = s.response
        outcome = ""
        if response is not None and response.outcome is not None:
            outcome = response.outcome.value
            if response.first_sale_state:
                outcome += f" {response.first_sale_state}"
        state = s.state.value + (" (information requested)" if s.information_requested else "")
        table.add_row(
            s.request.id,
            s.direction,
            f"{s.request.owner} → {s.request.requested_of}",
            state,
            safe_text(f"{s.request.make} {s.request.serial or ''}".strip()),
            s.requested_at.date().isoformat(),
            outcome,
        )
    console.print(table)
    console.print(f"{len(found)} trace(s)")


def _indicator_line(ind: TraceIndicators) -> str:
    def days(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    rate = "-" if ind.answer_rate is None else f"{ind.answer_rate:.0%}"
    return (
        f"{ind.direction}: {ind.requests} request(s), {ind.answered} answered ({rate}); "
        f"turnaround median {days(ind.median_days)} days, 90th percentile {days(ind.p90_days)} days"
    )


@user_errors
def indicators(node: NodeDir = DEFAULT_NODE) -> None:
    """Trace turnaround (median and 90th percentile days to answer) and answer rate."""
    from enlace.traces.queue import trace_indicators

    outgoing, incoming = _run(node, trace_indicators)
    console.print(_indicator_line(outgoing))
    console.print(_indicator_line(incoming))


@user_errors
def policy(
    dealer: Annotated[
        str, typer.Option("--dealer", help="share or withhold the selling dealer in answers.")
    ],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Set whether this node's trace answers name the selling dealer."""
    from enlace.traces.answers import set_dealer_policy

    done = _run(node, lambda store: set_dealer_policy(store, policy=dealer, actor=ACTOR))
    console.print(f"dealer in trace answers: {done.policy}")
