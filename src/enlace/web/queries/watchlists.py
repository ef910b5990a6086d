"""Read model of the watchlist page: one analyst's watched identifiers and their alerts."""

from __future__ import annotations

from dataclasses import dataclass

from enlace.store.repositories.watchlists import WatchlistAlert, WatchlistEntry
from enlace.store.store import Store

SHOWN_ALERTS = 200


@dataclass(frozen=True, slots=True)
class WatchlistView:
    """Everything the watchlist page shows, for its owner only."""

    entries: tuple[WatchlistEntry, ...]  # oldest first
    alerts: tuple[WatchlistAlert, ...]  # newest first
    partners: tuple[str, ...]  # whom a check asks


def watchlist_view(store: Store, owner: str) -> WatchlistView:
    """`owner`'s entries and newest alerts, read in one unit of work (nothing committed)."""
    with store.unit_of_work() as uow:
        return WatchlistView(
            tuple(uow.watchlists.entries(owner=owner)),
            tuple(uow.watchlists.alerts(owner=owner, limit=SHOWN_ALERTS)),
            tuple(p.party for p in uow.partners.all()),
        )
