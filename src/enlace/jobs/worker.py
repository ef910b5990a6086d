"""`enlace worker`: a Procrastinate worker on a node's queue, and the stalled-job sweep.

Each worker records a heartbeat in the database every `heartbeat_every` seconds
(Procrastinate's own). A worker killed mid-job (SIGKILL, a machine lost) leaves its job
"doing" for ever: Procrastinate finds such jobs (`get_stalled_jobs`: the jobs of workers
whose heartbeat is older than `stalled_after`) but leaves retrying them to the application,
so every worker sweeps every `sweep_every` seconds and puts them back on the queue.

Finished jobs stay in the table until deleted: a sync every minute per partner is 1,440 rows
a day. Each worker, once an hour, deletes the jobs that succeeded more than
`keep_finished_hours` ago (what a sync stored is in the node's own tables and audit log; the
job row only said it ran); failed jobs stay for an operator to look at.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

import procrastinate

from enlace.jobs.blinding_pool import WAIT_SECONDS, delete_abandoned_batches
from enlace.jobs.name_keys_queue import delete_abandoned_name_key_batches
from enlace.jobs.queue import WorkerNode, job_queue

log = logging.getLogger("enlace.jobs")

# The job goes back on the queue only if it is still "doing" for the same (dead) worker: a
# job another sweep has retried already, and another worker has taken since, is left alone.
# Procrastinate's own retry does the rest (attempts + 1, status "todo", run at once).
_RETRY_IF_STILL_STALLED = """
WITH stalled AS (
    SELECT id FROM procrastinate_jobs
     WHERE id = %(job_id)s AND status = 'doing'
       AND worker_id IS NOT DISTINCT FROM %(worker_id)s::bigint
       FOR UPDATE
)
SELECT id, procrastinate_retry_job_v2(id, NOW(), NULL, NULL, NULL) FROM stalled
"""


async def sweep_stalled_jobs(app: procrastinate.App, stalled_after: float) -> list[int]:
    """Put back on the queue the jobs of workers silent for `stalled_after` seconds; return
    their ids."""
    retried = []
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        rows = await app.connector.execute_query_all_async(
            _RETRY_IF_STILL_STALLED, job_id=job.id, worker_id=job.worker_id
        )
        if rows and job.id is not None:
            retried.append(job.id)
            log.warning(
                "job %s (%s %s) was running on worker %s, silent for %.0f s: queued again",
                job.id,
                job.task_name,
                job.task_kwargs,
                job.worker_id,
                stalled_after,
            )
    return retried


PRUNE_EVERY = 3600.0  # seconds between two deletions of old finished jobs by one worker


async def prune_finished_jobs(app: procrastinate.App, keep_hours: int) -> None:
    """Delete the jobs that succeeded more than `keep_hours` hours ago."""
    await app.job_manager.delete_old_jobs(nb_hours=keep_hours)


def run_worker(
    store_url: str,
    node: WorkerNode,
    *,
    concurrency: int = 1,
    heartbeat_every: float = 10.0,
    stalled_after: float = 60.0,
    sweep_every: float | None = None,
    poll_every: float = 5.0,
    keep_finished_hours: int = 168,
) -> None:
    """Take the node's jobs until SIGTERM or SIGINT (the job in progress is finished first)."""
    app = job_queue(store_url)
    interval = sweep_every if sweep_every is not None else max(stalled_after / 4, 1.0)

    async def sweeping() -> None:
        pruned_at: float | None = None
        while True:
            try:
                await sweep_stalled_jobs(app, stalled_after)
                # A run that died waiting leaves its batches (a blinding one with its
                # scalar) behind: gone after twice the longest a run waits.
                await asyncio.to_thread(delete_abandoned_batches, node.store, 2 * WAIT_SECONDS)
                await asyncio.to_thread(
                    delete_abandoned_name_key_batches, node.store, 2 * WAIT_SECONDS
                )
                if pruned_at is None or time.monotonic() - pruned_at >= PRUNE_EVERY:
                    await prune_finished_jobs(app, keep_finished_hours)
                    pruned_at = time.monotonic()
            except Exception:  # the database unreachable a while: the next sweep tries again
                log.exception("the stalled-job sweep failed")
            await asyncio.sleep(interval)

    async def main() -> None:
        async with app.open_async():
            sweep = asyncio.create_task(sweeping(), name="enlace-stalled-job-sweep")
            try:
                await app.run_worker_async(
                    name=f"enlace-worker@{socket.gethostname()}:{os.getpid()}",
                    concurrency=concurrency,
                    additional_context={"node": node},
                    update_heartbeat_interval=heartbeat_every,
                    stalled_worker_timeout=stalled_after,
                    # A new job wakes the worker at once (LISTEN/NOTIFY); a job put back on
                    # the queue (a retry, the sweep) is found at the next poll.
                    fetch_job_polling_interval=poll_every,
                    install_signal_handlers=True,
                )
            finally:
                sweep.cancel()

    asyncio.run(main())
