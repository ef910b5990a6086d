"""The scheduled watchlist check of ``enlace serve --watch-every``: every watchlist against
every partner every period, in a background thread; errors are logged, never raised."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from enlace.matching.watchlists import WatchlistCheck, check_watchlists
from enlace.store.store import Store

log = logging.getLogger("enlace.watchlists")


class PeriodicWatchlistCheck:
    """A background thread running `check_watchlists` every `seconds`.

    A partner that refuses or is down is logged and checked again at the next period (the
    agreement's runs per day cap how often it can be asked anyway); alerts the webhook did
    not take are sent again then too.
    """

    def __init__(
        self, store: Store, key_dir: Path, seconds: float, *, webhook_url: str | None = None
    ) -> None:
        self._store = store
        self._key_dir = key_dir
        self._seconds = seconds
        self._webhook_url = webhook_url
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="enlace-watch", daemon=True)
        self.runs = 0

    def start(self) -> None:
        """Start checking in the background."""
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop and wait for it (a run in progress is finished first)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def run_once(self) -> WatchlistCheck:
        """One scheduled check; its outcome is logged."""
        report = check_watchlists(
            self._store, self._key_dir, webhook_url=self._webhook_url, actor="serve"
        )
        self.runs += 1
        log.info("scheduled watchlist check: %s", report.summary())
        for party, why in sorted(report.problems.items()):
            log.error("scheduled watchlist check with %s failed: %s", party, why)
        return report

    def _loop(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self.run_once()
            except Exception:  # the server must keep running
                log.exception("scheduled watchlist check failed")
