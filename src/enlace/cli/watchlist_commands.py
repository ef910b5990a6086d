"""`enlace watchlist ...`: an analyst's watchlist (lista de vigilancia), its checks and alerts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir, command_group
from enlace.cli.terminal import safe_text
from enlace.matching.kind_names import EXACT_KIND_NAMES

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)
_KINDS_HELP = (
    f"Kind of identifier: {', '.join(EXACT_KIND_NAMES)} (a firearm as 'MAKE|SERIAL', a plate "
    "as 'COUNTRY|STATE|NUMBER', a phone in E.164)."
)
_OWNER_HELP = "The analyst whose watchlist it is (a username)."


def build_watchlist_app() -> typer.Typer:
    """The `enlace watchlist` sub-command group."""
    watchlist = command_group(
        "watchlist",
        "Watchlists (listas de vigilancia): identifiers checked privately against partners' "
        "holdings; a new hit raises one alert (alerta).",
    )
    watchlist.command("add")(add)
    watchlist.command("remove")(remove)
    watchlist.command("list")(list_entries)
    watchlist.command("check")(check)
    watchlist.command("alerts")(alerts)
    return watchlist


@user_errors
def add(
    identifier: Annotated[str, typer.Argument(help="The identifier, as written.")],
    kind: Annotated[str, typer.Option("--kind", help=_KINDS_HELP)],
    owner: Annotated[str, typer.Option("--owner", help=_OWNER_HELP)],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Put IDENTIFIER on OWNER's watchlist."""
    from enlace.matching.watchlists import add_to_watchlist
    from enlace.node.setup import open_node

    _, store = open_node(node)
    try:
        done = add_to_watchlist(store, owner=owner, kind=kind, identifier=identifier, actor="cli")
    finally:
        store.close()
    entry = done.entry
    said = "added" if done.added else "already on the watchlist"
    console.print(
        f"{said}: entry {entry.id}, {entry.kind} {safe_text(entry.key)} ({safe_text(owner)})"
    )


@user_errors
def remove(
    entry: Annotated[
        int, typer.Argument(min=1, help="The entry's number (enlace watchlist list).")
    ],
    owner: Annotated[str, typer.Option("--owner", help=_OWNER_HELP)],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Take ENTRY off OWNER's watchlist: no longer checked; its alerts are kept."""
    from enlace.matching.watchlists import remove_from_watchlist
    from enlace.node.setup import open_node

    _, store = open_node(node)
    try:
        removed = remove_from_watchlist(store, owner=owner, entry_id=entry, actor="cli")
    finally:
        store.close()
    console.print(
        f"removed: entry {removed.id}, {removed.kind} {safe_text(removed.key)} "
        f"({safe_text(owner)}); its alerts are kept"
    )


@user_errors
def list_entries(
    owner: Annotated[
        str | None, typer.Option("--owner", help=_OWNER_HELP + " Default: all.")
    ] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """The identifiers watched: entry, owner, kind, match key, as written, since when."""
    from enlace.matching.watchlists import watchlist_entries
    from enlace.node.setup import open_node

    _, store = open_node(node)
    try:
        entries = watchlist_entries(store, owner=owner)
    finally:
        store.close()
    table = Table("entry", "owner", "kind", "key", "as written", "added at")
    for e in entries:
        table.add_row(str(e.id), *map(safe_text, (e.owner, e.kind, e.key, e.label)), e.added_at)
    console.print(table)
    console.print(f"{len(entries)} watched identifier(s)")


@user_errors
def check(
    partner: Annotated[
        list[str] | None,
        typer.Option("--partner", help="Check with this partner only. Repeatable; default all."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=0, help="Blinding processes (default: in process).")
    ] = 0,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Check every watchlist against partners' holdings now (PSI, under the agreements)."""
    from enlace.matching.watchlists import check_watchlists
    from enlace.model.parties import party_code
    from enlace.node.setup import open_node

    partners = [party_code(p) for p in partner] if partner else None
    config, store = open_node(node)
    try:
        report = check_watchlists(
            store,
            config.key_dir,
            partners=partners,
            webhook_url=config.webhook_url,
            workers=workers,
            actor="cli",
        )
    finally:
        store.close()
    console.print(safe_text(report.summary()))
    if report.webhook is not None:
        console.print(
            f"webhook: {len(report.webhook.sent)} sent, {len(report.webhook.failed)} left for "
            "the next check"
        )
    for party, why in sorted(report.problems.items()):
        stderr.print(f"[bold red]error:[/] {safe_text(party)}: {safe_text(why, lines=True)}")
    if report.problems:
        raise typer.Exit(1)


@user_errors
def alerts(
    owner: Annotated[
        str | None, typer.Option("--owner", help=_OWNER_HELP + " Default: all.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Alerts (alertas): which partner holds which watched identifier, since when."""
    from enlace.matching.watchlists import watchlist_alerts
    from enlace.node.setup import open_node

    _, store = open_node(node)
    try:
        found = watchlist_alerts(store, owner=owner, limit=limit)
    finally:
        store.close()
    table = Table("alert", "raised at", "owner", "kind", "watched", "partner", "partner handles")
    for a in found:
        table.add_row(
            str(a.id),
            a.raised_at,
            *map(safe_text, (a.owner, a.kind, a.label, a.partner, " ".join(a.handles))),
        )
    console.print(table)
    console.print(f"{len(found)} alert(s)")
