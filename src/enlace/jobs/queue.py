"""A node's job queue: the Procrastinate application on its PostgreSQL database, its tasks,
and deferring them.

The queue's tables live next to the node's own (store migration 0020), reached through the
node's database URL, search path included: a job's results, the records and audit entries
it stores, commit in the same database as the job's own state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url

from enlace.exchange.release import ReleaseBatch, release_batch
from enlace.exchange.sync_client import DEFAULT_PAGE_SIZE, sync_node_partner
from enlace.jobs.blinding import blind_stored_chunk
from enlace.jobs.name_keys import derive_stored_chunk
from enlace.matching.watchlists import check_watchlists
from enlace.node.errors import NodeError
from enlace.node.keys import load_signing_key
from enlace.store.store import Store
from enlace.tracking.indicators.snapshot import refresh_indicators

log = logging.getLogger("enlace.jobs")

SYNC_TASK = "enlace.sync_partner"
# A failing sync (the partner is down) is tried again after 4 s, 16 s, 64 s, 256 s and
# 1024 s (Procrastinate waits exponential_wait ** tries), then left failed: a later period's
# job tries again.
SYNC_RETRY = procrastinate.RetryStrategy(max_attempts=6, exponential_wait=4)
WATCH_TASK = "enlace.check_watchlists"
# One check of every watchlist at a time, and at most one waiting (docs/watchlists.md): a
# check that fails is not retried by the queue; the next period's job checks again.
WATCH_LOCK = "watchlists"
BLIND_TASK = "enlace.blind_chunk"
# A chunk whose job failed (the database unreachable a moment) is tried again at once, then
# after 2 s and 4 s; the run waiting for it gives up after its own bound.
BLIND_RETRY = procrastinate.RetryStrategy(max_attempts=4, exponential_wait=2)
NAME_KEYS_TASK = "enlace.derive_name_keys"
# As a blinding chunk's: a chunk whose job failed on an error (the database unreachable a
# moment) is tried again at once, then after 2 s and 4 s; the run waits for it as long as
# for its blinding.
NAME_KEYS_RETRY = procrastinate.RetryStrategy(max_attempts=4, exponential_wait=2)
RELEASE_TASK = "enlace.release_batch"
# A batch that failed on an error (the database restarted) is tried twice more; a batch
# whose worker died is put back by the stalled-job sweep, whatever its attempts.
REPORT_TASK = "enlace.render_report"
# A report that failed on an error is tried twice more; one whose worker died is put back by
# the stalled-job sweep. A report that cannot be made (no such meeting) fails each time.
REPORT_RETRY = procrastinate.RetryStrategy(max_attempts=3, wait=2)
RELEASE_RETRY = procrastinate.RetryStrategy(max_attempts=3, wait=2)


class JobQueueError(NodeError):
    """The node cannot use a job queue (it is not on PostgreSQL)."""


@dataclass(frozen=True, slots=True)
class WorkerNode:
    """What a worker's jobs work on: the node's store and key folder."""

    store: Store
    key_dir: Path
    webhook_url: str | None = None  # where watchlist alerts are POSTed (node.json)


def queue_conninfo(store_url: str) -> str:
    """The libpq connection string of the node's database URL (a SQLAlchemy URL), with its
    query (search path, TLS mode, application name) kept; JobQueueError unless PostgreSQL."""
    url = make_url(store_url)
    if url.get_backend_name() != "postgresql":
        raise JobQueueError(
            "workers need a PostgreSQL node (node.json's database_url): a SQLite node runs "
            "everything in the 'enlace serve' process"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def job_queue(store_url: str) -> procrastinate.App:
    """The Procrastinate application of the node whose database is at `store_url` (not yet
    opened), with the node's tasks."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            # Few connections: a worker's jobs use the store's own pool for their work.
            conninfo=queue_conninfo(store_url),
            min_size=1,
            max_size=4,
        )
    )
    app.task(name=SYNC_TASK, pass_context=True, retry=SYNC_RETRY)(_sync_partner)
    app.task(name=WATCH_TASK, pass_context=True)(_check_watchlists)
    app.task(name=BLIND_TASK, pass_context=True, retry=BLIND_RETRY)(_blind_chunk)
    app.task(name=NAME_KEYS_TASK, pass_context=True, retry=NAME_KEYS_RETRY)(_derive_name_keys)
    app.task(name=RELEASE_TASK, pass_context=True, retry=RELEASE_RETRY)(_release_batch)
    app.task(name=REPORT_TASK, pass_context=True, retry=REPORT_RETRY)(_render_report)
    return app


def sync_lock(party: str) -> str:
    """The lock of `party`'s sync jobs: one runs at a time, one waits at most."""
    return f"sync:{party}"


def defer_sync(app: procrastinate.App, party: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> bool:
    """Put a sync of `party` on the (opened) queue; False when one is already waiting, or
    retrying after a failure: its turn is this period's."""
    lock = sync_lock(party)
    deferrer = app.configure_task(SYNC_TASK, lock=lock, queueing_lock=lock)
    try:
        deferrer.defer(party=party, page_size=page_size)
    except AlreadyEnqueued:
        return False
    return True


def defer_watch(app: procrastinate.App) -> bool:
    """Put a check of every watchlist on the (opened) queue; False when one is waiting."""
    deferrer = app.configure_task(WATCH_TASK, lock=WATCH_LOCK, queueing_lock=WATCH_LOCK)
    try:
        deferrer.defer()
    except AlreadyEnqueued:
        return False
    return True


def defer_release(
    app: procrastinate.App, partner: str, batches: list[ReleaseBatch], *, actor: str
) -> list[int]:
    """Put one job per batch of a release to `partner` on the (opened) queue; their ids."""
    deferrer = app.configure_task(RELEASE_TASK)
    return [
        deferrer.defer(partner=partner, after=batch.after, upto=batch.upto, actor=actor)
        for batch in batches
    ]


def _release_batch(
    context: procrastinate.JobContext,
    partner: str,
    after: str | None,
    upto: str | None,
    actor: str = "worker",
) -> None:
    """The job: release one batch of records to `partner` in one unit of work. A retry
    (its worker died, before or after the commit) releases only what is not released yet:
    each version once, sequence numbers taken at commit, without a gap."""
    node: Any = context.additional_context["node"]
    if not isinstance(node, WorkerNode):
        raise TypeError("the worker runs its jobs with a WorkerNode")
    released = release_batch(
        node.store,
        partner=partner,
        batch=ReleaseBatch(after, upto),
        signing_key=load_signing_key(node.key_dir),
        actor=actor,
    )
    log.info("release to %s of records (%s, %s]: %d new", partner, after, upto, released)


def defer_report(
    app: procrastinate.App,
    request_id: str,
    *,
    meeting_id: str | None,
    languages: list[str],
    definitions_toml: str | None,
    today: date,
) -> int:
    """Put the rendering of a meeting's report on the (opened) queue; the job's id. The
    indicator definitions go as text (None: the ones Enlace ships): the worker may run on a
    machine without the caller's file."""
    return app.configure_task(REPORT_TASK).defer(
        request_id=request_id,
        meeting_id=meeting_id,
        languages=",".join(languages),  # e.g. "es,en"
        definitions_toml=definitions_toml,
        today=today.isoformat(),
    )


def _render_report(
    context: procrastinate.JobContext,
    request_id: str,
    meeting_id: str | None,
    languages: str,
    definitions_toml: str | None,
    today: str,
) -> None:
    """The job: render the report (HTML and PDF, each language) and keep the files in the
    node's database under `request_id`, in one transaction: run again after its worker
    died, it leaves one copy."""
    node: Any = context.additional_context["node"]
    if not isinstance(node, WorkerNode):
        raise TypeError("the worker runs its jobs with a WorkerNode")
    # Imported here: the renderer (WeasyPrint) is slow to import, and a server that only
    # defers jobs never needs it.
    from enlace.jobs.report import render_for_request

    render_for_request(
        node.store,
        request_id=request_id,
        meeting_id=meeting_id,
        languages=languages.split(","),
        definitions_toml=definitions_toml,
        today=date.fromisoformat(today),
    )
    log.info("report %s rendered (%s)", request_id, ", ".join(languages))


def _check_watchlists(context: procrastinate.JobContext) -> None:
    """The job: `enlace watchlist check` against every partner. Alerts are committed with
    the run that found them, so a check cut short by a dead worker raises nothing twice."""
    node: Any = context.additional_context["node"]
    if not isinstance(node, WorkerNode):
        raise TypeError("the worker runs its jobs with a WorkerNode")
    report = check_watchlists(
        node.store, node.key_dir, webhook_url=node.webhook_url, actor="worker"
    )
    log.info("watchlist check: %s", report.summary())
    for party, why in sorted(report.problems.items()):
        log.error("watchlist check with %s failed: %s", party, why)


def _sync_partner(
    context: procrastinate.JobContext, party: str, page_size: int = DEFAULT_PAGE_SIZE
) -> None:
    """The job: pull what `party` released to this node, as `enlace sync` does. Each page is
    stored with its audit entries and the partner's cursor in one transaction, so a retry
    after a worker died resumes at the last stored page and stores nothing twice."""
    node: Any = context.additional_context["node"]
    if not isinstance(node, WorkerNode):
        raise TypeError("the worker runs its jobs with a WorkerNode")
    report = sync_node_partner(node.store, node.key_dir, party, page_size=page_size, actor="worker")
    log.info("%s", report.summary())
    if report.received or report.revoked:
        try:
            refresh_indicators(node.store, today=date.today())
        except Exception:  # the records are stored; the next view computes the indicators
            log.exception("refreshing after the sync from %s failed", party)


def _blind_chunk(context: procrastinate.JobContext, batch_id: str, chunk: int) -> None:
    """The job: one chunk of a PSI run's blinding (enlace.jobs.blinding), stored once."""
    node: Any = context.additional_context["node"]
    if not isinstance(node, WorkerNode):
        raise TypeError("the worker runs its jobs with a WorkerNode")
    if not blind_stored_chunk(node.store, batch_id, chunk):
        log.info(
            "blinding chunk %s of batch %s: nothing to do (done, or run ended)", chunk, batch_id
        )


def _derive_name_keys(context: procrastinate.JobContext, batch_id: str, chunk: int) -> None:
    """The job: one chunk of a PSI run's name keys (enlace.jobs.name_keys), stored once."""
    node: Any = context.additional_context["node"]
    if not isinstance(node, WorkerNode):
        raise TypeError("the worker runs its jobs with a WorkerNode")
    if not derive_stored_chunk(node.store, batch_id, chunk):
        log.info(
            "name key chunk %s of batch %s: nothing to do (done, or run ended)", chunk, batch_id
        )
