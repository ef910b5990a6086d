"""The watchlist part of `enlace demo`: an MX analyst watches a firearm the US holds (as if
reported stolen) and one it does not; a check by private matching raises one alert, and a
second check (or the demo run again) raises none."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from enlace.cli.terminal import safe_text
from enlace.matching.kinds import own_identifiers
from enlace.matching.watchlists import add_to_watchlist, check_watchlists, watchlist_alerts
from enlace.model.identifiers import IdentifierKind
from enlace.node.setup import open_node

# A serial no synthetic record carries: the watched identifier the partner does not hold.
NOT_HELD = "GLOCK|DEMO000000"


def run_watchlist_demo(
    nodes: dict[str, Path], console: Console, *, watcher: str, holder: str, owner: str
) -> None:
    """`owner` (an analyst of `watcher`) watches one of `holder`'s firearms and one serial
    nobody holds; `watcher` checks twice. Both nodes must be serving."""
    _, holder_store = open_node(nodes[holder])
    try:
        with holder_store.unit_of_work() as uow:
            held = sorted(own_identifiers(uow.connection, holder, IdentifierKind.FIREARM))
    finally:
        holder_store.close()
    if not held:
        console.print(f"{holder} holds no firearm of its own: no watchlist to show")
        return
    config, store = open_node(nodes[watcher])
    try:
        for identifier in (held[0], NOT_HELD):
            add_to_watchlist(
                store, owner=owner, kind="firearm", identifier=identifier, actor="demo"
            )
        console.print(
            f"{watcher}: analyst {owner} watches firearms {safe_text(held[0])} (reported stolen; "
            f"{holder} holds it) and {NOT_HELD} (nobody does)"
        )
        for attempt in ("first", "second"):
            report = check_watchlists(store, config.key_dir, partners=[holder], actor="demo")
            console.print(f"{watcher} watchlist check ({attempt}): {safe_text(report.summary())}")
        for alert in watchlist_alerts(store, owner=owner, limit=5):
            console.print(
                f"  alert (alerta) for {owner}: {alert.kind} {safe_text(alert.label)} is held by "
                f"{alert.partner} (handle {' '.join(alert.handles)}); {holder} learned only "
                "which of its records matched"
            )
    finally:
        store.close()
