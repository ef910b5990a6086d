"""`enlace audit verify`, `enlace audit show` and `enlace audit alerts`: the node's
tamper-evident audit log, and the alerts witnessing raised about it or a partner's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir, command_group
from enlace.cli.terminal import safe_text

if TYPE_CHECKING:
    from enlace.store.repositories.audit import AuditEntry
    from enlace.store.repositories.witness import AuditAlert

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)


def build_audit_app() -> typer.Typer:
    """The `enlace audit` sub-command group."""
    audit = command_group(
        "audit",
        "The node's append-only, hash-chained audit log: verify it, show it.",
    )
    audit.command("verify")(verify)
    audit.command("show")(show)
    audit.command("alerts")(alerts)
    return audit


@user_errors
def verify(node: NodeDir = DEFAULT_NODE) -> None:
    """Check every entry of the audit log; exit 1 naming the first edited, deleted or moved one."""
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            result = uow.audit.verify()
    finally:
        store.close()
    if result.ok:
        console.print(safe_text(result.message, lines=True))
        if result.last_seq is not None:
            console.print(
                f"record this hash outside node {config.party} (e.g. in the meeting minutes); "
                "a later verify must show the same entry with the same hash, or the log was "
                "rewritten"
            )
        return
    stderr.print(f"[bold red]error:[/] {safe_text(result.message, lines=True)}")
    raise typer.Exit(1)


@user_errors
def show(
    node: NodeDir = DEFAULT_NODE,
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest entries.")] = 20,
) -> None:
    """Print the newest entries of the audit log, oldest first."""
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            audit = uow.audit
            entries = audit.latest(limit)
            total = audit.count()
    finally:
        store.close()
    console.print(entries_table(f"Audit log of node {config.party} ({node})", entries))
    console.print(f"{len(entries)} of {total} entries shown; run 'enlace audit verify' to check")


def entries_table(title: str, entries: list[AuditEntry]) -> Table:
    """A table of audit entries; hashes shortened to their first 12 hex digits."""
    table = Table(title=safe_text(title))
    for column in ("seq", "at", "actor", "action", "subject", "detail", "hash"):
        # Fold rather than cut: an auditor must see every character of what was logged.
        table.add_column(column, justify="right" if column == "seq" else "left", overflow="fold")
    for entry in entries:
        table.add_row(
            str(entry.seq),
            entry.at,
            safe_text(entry.actor, spelt=True),
            safe_text(entry.action, spelt=True),
            safe_text(entry.subject or "", spelt=True),
            safe_text(entry.detail_json or "", spelt=True),
            entry.entry_hash[:12],
        )
    return table


@user_errors
def alerts(
    node: NodeDir = DEFAULT_NODE,
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest alerts.")] = 1000,
) -> None:
    """Print the alerts witnessing raised, newest first, each with its evidence as kept."""
    from enlace.exchange.witness_status import alert_summary
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            summary = alert_summary(uow, newest=limit)
    finally:
        store.close()
    if not summary.total:
        console.print(f"no audit alert on node {config.party}")
        return
    console.print(f"Audit alerts of node {config.party} ({safe_text(node)}), newest first")
    for alert in summary.newest:
        console.print(alert_block(alert))
    console.print(f"{len(summary.newest)} of {summary.total} alerts shown")


def alert_block(alert: AuditAlert) -> str:
    """One alert as lines: what, whose log, who found it, its message and its evidence as
    kept, every character of which is shown (an auditor compares it with the partner's)."""
    from enlace.exchange.witness_status import alert_kind

    return "\n".join(
        [
            f"[bold red]alert {alert.id}[/] · {safe_text(alert.raised_at)} · "
            f"{safe_text(alert_kind(alert.kind), spelt=True)}",
            f"  whose log: {safe_text(alert.party, spelt=True)} · "
            f"found by: {safe_text(alert.reporter, spelt=True)}",
            f"  message: {safe_text(alert.message, spelt=True)}",
            f"  evidence: {safe_text(alert.evidence, spelt=True)}",
        ]
    )
