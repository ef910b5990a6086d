"""The deconfliction part of `enlace demo`: each node plans two operations, one overlapping
the other's (the same target phone) and one far from anything; MX checks against US by
private matching, and each side gets one notice (aviso de deconflicción) naming the other's
contact. Run again, the operations are not registered twice and no notice is added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

from enlace.cli.demo_matching import DEMO_MAX_SET_SIZE, DEMO_RUNS_PER_DAY
from enlace.cli.terminal import safe_text
from enlace.matching.agreements import agree_to_match
from enlace.matching.deconfliction import check_operations
from enlace.matching.operations import deconfliction_notices, list_operations, register_operation
from enlace.node.setup import open_node
from enlace.store.repositories.operations import ACTIVE


@dataclass(frozen=True, slots=True)
class DemoOperation:
    reference: str
    agency: str
    contact: str
    target: str
    latitude: float
    longitude: float
    overlaps: bool  # planned to overlap the other side's


# The same phone written two ways (Mexico City and Houston, far apart: the target overlaps);
# the others in Mérida and Seattle, on targets nobody else plans against.
OPERATIONS = {
    "MX": (
        DemoOperation(
            "DEMO-OP-TORMENTA", "FGR", "Cmdte. Laura Ríos, +52 55 5000 1111",
            "phone:(55) 1234-5678", 19.4326, -99.1332, True,
        ),
        DemoOperation(
            "DEMO-OP-SURESTE", "FGR", "Cmdte. Laura Ríos, +52 55 5000 1111",
            "phone:+52 999 000 1111", 20.9674, -89.5926, False,
        ),
    ),
    "US": (
        DemoOperation(
            "DEMO-HOU-0117", "ATF", "SA John Miller, jmiller@atf.example",
            "phone:+52 55 1234 5678", 29.76, -95.37, True,
        ),
        DemoOperation(
            "DEMO-SEA-0042", "ATF", "SA John Miller, jmiller@atf.example",
            "phone:+1 206 555 0100", 47.6062, -122.3321, False,
        ),
    ),
}  # fmt: skip
# Planned ten days ahead: still active (it ends today or later) when the demo runs again soon.
LEAD = timedelta(days=10)


def run_deconfliction_demo(
    nodes: dict[str, Path], console: Console, *, requester: str, responder: str
) -> None:
    """Both nodes register their demo operations; `responder` agrees to answer `requester`
    on kind `operation`; `requester` checks. Both nodes must be serving."""
    _, store = open_node(nodes[responder])
    try:
        agree_to_match(
            store,
            partner=requester,
            kinds=("operation",),
            max_set_size=DEMO_MAX_SET_SIZE,
            runs_per_day=DEMO_RUNS_PER_DAY,
            actor="demo",
        )
    finally:
        store.close()
    console.print(f"{responder} agrees to check operations with {requester} (acuerdo: operation)")
    ids: dict[str, dict[str, DemoOperation]] = {}
    for party in (requester, responder):
        ids[party] = _register(nodes[party], console, party, OPERATIONS[party])
    config, store = open_node(nodes[requester])
    try:
        outcome = check_operations(store, partner=responder, key_dir=config.key_dir, actor="demo")
    finally:
        store.close()
    console.print(f"{requester} checks its operations with {responder}: {outcome.summary()}")
    for party in (requester, responder):
        _, store = open_node(nodes[party])
        try:
            notices = [n for n in deconfliction_notices(store) if n.operation_id in ids[party]]
        finally:
            store.close()
        noticed = {n.operation_id for n in notices}
        for notice in notices:
            console.print(
                f"  {party} deconfliction notice (aviso de deconflicción): operation "
                f"{safe_text(notice.reference)} overlaps one of {notice.partner}'s on "
                f"{notice.matched_on}; contact {safe_text(notice.partner_contact or '-')}"
            )
        for operation_id, planned in ids[party].items():
            if operation_id not in noticed:
                console.print(f"  {party}: operation {planned.reference} got no notice")


def _register(
    node: Path, console: Console, party: str, planned: tuple[DemoOperation, ...]
) -> dict[str, DemoOperation]:
    """Register what is not registered yet (an active operation of the same reference);
    return the demo's operations by id."""
    _, store = open_node(node)
    try:
        held = {op.reference: op.id for op in list_operations(store) if op.status == ACTIVE}
        starts = date.today() + LEAD
        found: dict[str, DemoOperation] = {}
        for operation in planned:
            operation_id = held.get(operation.reference)
            state = "already registered"
            if operation_id is None:
                operation_id = register_operation(
                    store,
                    reference=operation.reference,
                    agency=operation.agency,
                    contact=operation.contact,
                    targets=(operation.target,),
                    latitude=operation.latitude,
                    longitude=operation.longitude,
                    starts=starts,
                    ends=starts + timedelta(days=1),
                    actor="demo",
                ).id
                state = "registered"
            found[operation_id] = operation
            console.print(
                f"{party} operation {operation.reference} {state} (target {operation.target}, "
                f"{operation.latitude:.2f}, {operation.longitude:.2f})"
            )
    finally:
        store.close()
    return found
