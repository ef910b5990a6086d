"""`enlace serve --sync-every SECONDS --workers`: every period, one sync job per partner on
the node's queue, for the workers to run (instead of `PeriodicSync` syncing in process).

Several servers may each run this schedule: a partner's job waiting (or retrying after a
failure) is not deferred again (its queueing lock), so the syncs do not multiply.
"""

from __future__ import annotations

import logging
import threading

import procrastinate

from enlace.jobs.queue import defer_sync, defer_watch, job_queue
from enlace.store.store import Store

log = logging.getLogger("enlace.jobs")


class ScheduledSyncJobs:
    """A background thread deferring a sync job for every registered partner every
    `seconds`; errors (the database unreachable a while) are logged, and the next period
    tries again."""

    def __init__(self, store: Store, store_url: str, seconds: float) -> None:
        self._store = store
        self._seconds = seconds
        self._app: procrastinate.App = job_queue(store_url)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="enlace-sync-jobs", daemon=True)
        self.runs = 0

    def start(self) -> None:
        """Open the queue and start deferring in the background."""
        self._app.open()
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop deferring; close the queue."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        self._app.close()

    def run_once(self) -> dict[str, bool]:
        """Defer this period's jobs: by partner, whether a job was put on the queue (False:
        one was waiting already)."""
        with self._store.unit_of_work() as uow:
            parties = [p.party for p in uow.partners.all()]
        deferred = {party: defer_sync(self._app, party) for party in parties}
        self.runs += 1
        log.info(
            "scheduled sync: jobs deferred for %s",
            ", ".join(p for p, new in deferred.items() if new) or "no partner (all waiting)",
        )
        return deferred

    def _loop(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self.run_once()
            except Exception:  # the server must keep running
                log.exception("deferring the scheduled sync jobs failed")


class ScheduledWatchJobs:
    """`serve --watch-every SECONDS --workers`: a background thread deferring one check of
    every watchlist every `seconds`, for the workers to run; errors are logged."""

    def __init__(self, store_url: str, seconds: float) -> None:
        self._seconds = seconds
        self._app: procrastinate.App = job_queue(store_url)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="enlace-watch-jobs", daemon=True)
        self.runs = 0

    def start(self) -> None:
        """Open the queue and start deferring in the background."""
        self._app.open()
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop deferring; close the queue."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        self._app.close()

    def run_once(self) -> bool:
        """Defer this period's check; False when one was waiting already."""
        deferred = defer_watch(self._app)
        self.runs += 1
        log.info("scheduled watchlist check: %s", "job deferred" if deferred else "one waiting")
        return deferred

    def _loop(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self.run_once()
            except Exception:  # the server must keep running
                log.exception("deferring the scheduled watchlist check failed")
