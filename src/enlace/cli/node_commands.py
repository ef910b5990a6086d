"""`enlace init` and `enlace status`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False)


@user_errors
def init(
    party: Annotated[str, typer.Option(help="Party code of this node, e.g. MX or US.")],
    node: NodeDir = DEFAULT_NODE,
    database_url: Annotated[
        str | None,
        typer.Option(help="PostgreSQL URL; default: a SQLite file in the node folder."),
    ] = None,
) -> None:
    """Create a node for a party: database, signing key (owner-only), agencies. Safe to rerun."""
    from enlace.node.setup import initialise_node

    report = initialise_node(node, party=party, database_url=database_url)
    verb = "created" if report.created_config else "already existed; completed"
    console.print(f"node {report.config.party} at {node} {verb}")
    console.print(f"  database: {_safe_url(report.config.store_url)}")
    key_note = "generated" if report.created_key else "kept (existing)"
    console.print(f"  signing key: {report.config.key_dir}/signing.key {key_note}, mode 600")
    console.print(f"  public key: {report.public_key}")
    added = ", ".join(report.agencies_added) or "none (all present)"
    console.print(f"  agencies added: {added}")


@user_errors
def status(node: NodeDir = DEFAULT_NODE) -> None:
    """Print what this node holds: records by kind and owner."""
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            holdings = uow.records.holdings()
            versions = uow.records.count_versions()
    finally:
        store.close()
    console.print(holdings_table(f"Node {config.party} ({node})", holdings))
    console.print(f"{versions} record version(s) stored")


def holdings_table(title: str, holdings: list[tuple[str, str, int]]) -> Table:
    """A table of (kind, owner, records)."""
    table = Table(title=title)
    table.add_column("kind")
    table.add_column("owner")
    table.add_column("records", justify="right")
    for kind, owner, count in holdings:
        table.add_row(kind, owner, f"{count:,}")
    return table


def _safe_url(url: str) -> str:
    # Never print a password that may be in a database URL.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url


__all__ = ["holdings_table", "init", "status"]
