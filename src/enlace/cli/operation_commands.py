"""`enlace operation ...`: planned operations and their deconfliction with partners
(desconflicto de operativos, docs/deconfliction.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir, command_group
from enlace.cli.terminal import safe_text

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)
_DATE = ["%Y-%m-%d"]


def build_operation_app() -> typer.Typer:
    """The `enlace operation` sub-command group."""
    operation = command_group(
        "operation",
        "Planned operations (operativos) and their private deconfliction with partners: "
        "a notice with a contact when a partner works the same target, or the same area on "
        "the same day.",
    )
    operation.command("add")(add)
    operation.command("list")(list_operations)
    operation.command("cancel")(cancel)
    operation.command("check")(check)
    operation.command("notices")(notices)
    return operation


@user_errors
def add(
    reference: Annotated[str, typer.Option(help="The agency's own reference of the operation.")],
    agency: Annotated[str, typer.Option(help="The agency running it, e.g. FGR or ATF.")],
    contact: Annotated[
        str,
        typer.Option(
            help="The liaison officer's name and phone or e-mail: the only thing a partner "
            "with an overlapping operation learns."
        ),
    ],
    lat: Annotated[float, typer.Option(help="Latitude of the area's centre (-90 to 90).")],
    lon: Annotated[float, typer.Option(help="Longitude of the area's centre (-180 to 180).")],
    starts: Annotated[datetime, typer.Option(formats=_DATE, help="First day (UTC), YYYY-MM-DD.")],
    ends: Annotated[
        datetime, typer.Option(formats=_DATE, help="Last day (UTC), YYYY-MM-DD; 31 days at most.")
    ],
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            help="A target identifier as KIND:IDENTIFIER (phone, vin, plate, firearm, curp, "
            "rfc, org-name), e.g. 'phone:+52 55 1234 5678' or 'firearm:COLT|AB1234'. Repeatable.",
        ),
    ] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Register a planned operation (operativo); partners never receive it."""
    from enlace.matching.operations import register_operation
    from enlace.node.setup import open_node

    _, store = open_node(node)
    try:
        operation = register_operation(
            store,
            reference=reference,
            agency=agency,
            contact=contact,
            targets=target or [],
            latitude=lat,
            longitude=lon,
            starts=starts.date(),
            ends=ends.date(),
            actor="cli",
        )
    finally:
        store.close()
    console.print(f"registered {operation.id} ({safe_text(operation.reference)})")


@user_errors
def list_operations(node: NodeDir = DEFAULT_NODE) -> None:
    """This node's operations: id, reference, agency, window, status."""
    from enlace.matching.operations import list_operations as listed
    from enlace.node.setup import open_node

    _, store = open_node(node)
    try:
        found = listed(store)
    finally:
        store.close()
    # One line each, not a table: the id is what `operation cancel` takes, whole.
    for op in found:
        console.print(
            f"{op.id}  {safe_text(op.reference)}  {safe_text(op.agency)}  "
            f"{op.starts}..{op.ends}  {op.status}  contact: {safe_text(op.contact)}"
        )
    console.print(f"{len(found)} operation(s)")


@user_errors
def cancel(
    operation_id: Annotated[str, typer.Argument(help="The operation's id (operation--...).")],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Cancel an operation: it takes no part in later checks."""
    from enlace.matching.operations import cancel_operation
    from enlace.node.setup import open_node

    _, store = open_node(node)
    try:
        cancel_operation(store, operation_id=operation_id, actor="cli")
    finally:
        store.close()
    console.print(f"cancelled {safe_text(operation_id)}")


@user_errors
def check(
    partner: Annotated[str, typer.Argument(help="The partner to check with, e.g. US.")],
    workers: Annotated[
        int | None, typer.Option(min=0, help="Blinding processes (default: one per CPU).")
    ] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Check this node's active operations against PARTNER's, privately (PSI)."""
    from enlace.matching.deconfliction import check_operations
    from enlace.model.parties import party_code
    from enlace.node.setup import open_node

    code = party_code(partner)
    config, store = open_node(node)
    try:
        outcome = check_operations(
            store, partner=code, key_dir=config.key_dir, workers=workers, actor="cli"
        )
    finally:
        store.close()
    console.print(safe_text(outcome.summary()))


@user_errors
def notices(node: NodeDir = DEFAULT_NODE) -> None:
    """Deconfliction notices (avisos de desconflicto): our operation, the partner, its contact."""
    from enlace.matching.operations import deconfliction_notices
    from enlace.node.setup import open_node

    _, store = open_node(node)
    try:
        found = deconfliction_notices(store)
    finally:
        store.close()
    table = Table("at", "operation", "partner", "in common", "partner's contact")
    for notice in found:
        table.add_row(
            notice.at,
            safe_text(notice.reference),
            notice.partner,
            notice.matched_on,
            safe_text(notice.partner_contact or "(awaiting the partner's contact)"),
        )
    console.print(table)
    console.print(f"{len(found)} notice(s)")
