"""The scheduled sync of ``enlace serve --sync-every``: every partner every period, each in a
thread of its own (`sync_all_partners`), a failing one less and less often."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from enlace.exchange.sync_client import DEFAULT_PAGE_SIZE, SyncReport, sync_all_partners
from enlace.store.store import Store

log = logging.getLogger("enlace.sync")

# The longest a scheduled sync waits before trying a failing partner again.
MAX_BACKOFF_SECONDS = 3600.0


class PeriodicSync:
    """A background thread syncing every partner every `seconds`; errors are logged only.

    The partners of a round are synced at once, each on its own: one that is slow or stuck
    delays none of the others, though the next round starts once the slowest has ended.

    A partner that fails is tried again after twice the period, then four times, and so on
    up to MAX_BACKOFF_SECONDS, and every period again once it answers: a partner down for a
    day is not hammered, and the log gets one line per try, not one per period.
    """

    def __init__(
        self,
        store: Store,
        key_dir: Path,
        seconds: float,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        after_changes: Callable[[], object] | None = None,
    ) -> None:
        self._store = store
        # Called once after a round that stored or revoked something (the caller refreshes
        # what the pages keep ready, such as the indicators: a layer above this one).
        self._after_changes = after_changes
        self._key_dir = key_dir
        self._seconds = seconds
        self._page_size = page_size
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="enlace-sync", daemon=True)
        self._failures: dict[str, int] = {}  # failures in a row, by partner
        self._retry_at: dict[str, float] = {}  # monotonic time of a failed partner's next try
        self.runs = 0

    def start(self) -> None:
        """Start syncing in the background."""
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop and wait for it (a page being stored is finished first)."""
        self._stop.set()
        self._thread.join(timeout=timeout)

    def run_once(self, now: float | None = None) -> dict[str, SyncReport | Exception]:
        """One scheduled round over the partners that are due at `now` (monotonic seconds)."""
        now = time.monotonic() if now is None else now
        outcome = sync_all_partners(
            self._store,
            self._key_dir,
            page_size=self._page_size,
            actor="serve",
            due=lambda party: self._retry_at.get(party, now) <= now,
        )
        self.runs += 1
        for party, result in outcome.items():
            if isinstance(result, SyncReport):
                self._failures.pop(party, None)
                self._retry_at.pop(party, None)
                log.info("%s", result.summary())
                continue
            failures = self._failures.get(party, 0) + 1
            self._failures[party] = failures
            # Never sooner than the period itself (a period above the cap stays as it is).
            backoff = min(self._seconds * 2 ** min(failures, 30), MAX_BACKOFF_SECONDS)
            wait = max(backoff, self._seconds)
            self._retry_at[party] = now + wait
            log.error(
                "scheduled sync from %s failed (%d time(s) in a row; next try in %.0f s): %s",
                party,
                failures,
                wait,
                result,
            )
        changed = any(
            isinstance(result, SyncReport) and (result.received or result.revoked)
            for result in outcome.values()
        )
        if changed and self._after_changes is not None:
            try:
                self._after_changes()
            except Exception:  # the round's records are stored; the next view computes them
                log.exception("refreshing after the scheduled sync failed")
        return outcome

    def _loop(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self.run_once()
            except Exception:  # the server must keep running
                log.exception("scheduled sync failed")
