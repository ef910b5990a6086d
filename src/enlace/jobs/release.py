"""`enlace release --all --queue`: a large release as jobs on a PostgreSQL node's queue, one
batch of records per job, run by the node's `enlace worker` processes.

Each batch is the unit of work `release_everything_allowed` goes through in process (the
same ids, the same release rule, the same record signatures: Ed25519 is deterministic), so
what is released is the same either way. What differs: each batch commits on its own, so a
worker that dies loses at most its batch's uncommitted work (the job is retried, and what
was committed is not released twice), and the partner may sync the first batches while the
last ones are still being signed. Sequence numbers stay gap-free in commit order: a batch
takes its numbers from the partner's counter row, locked from the moment they are taken to
the commit (enlace.store.repositories.releases).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from procrastinate.jobs import Status

from enlace.exchange.release import plan_release_batches
from enlace.jobs.queue import defer_release, job_queue
from enlace.node.errors import NodeError
from enlace.store.store import BULK_ROWS, Store

_DONE = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.ABORTED})


class ReleaseJobsFailed(NodeError):
    """Some batch jobs of a release ended failed (the others are released and stay so)."""


@dataclass(frozen=True, slots=True)
class QueuedRelease:
    """What `release_by_workers` did: its jobs, and the versions newly released by them."""

    jobs: tuple[int, ...]
    released: int


def release_by_workers(
    store: Store,
    *,
    store_url: str,
    partner: str,
    actor: str,
    batch_size: int = 1000,
    poll_every: float = 0.5,
    queued: Callable[[int], object] | None = None,
) -> QueuedRelease:
    """Use case: release to `partner` every owned record its markings allow, as one job per
    batch on the node's queue, and wait until the workers have run them all.

    ReleaseRefused (its audit entry committed) when `partner` may not be released to;
    JobQueueError on a SQLite node; ReleaseJobsFailed when a batch failed for good. The
    count is the growth of the partner's release sequence while the jobs ran: releases
    to `partner` made meanwhile by others are counted too. `queued` is told how many jobs
    were put on the queue, before the wait (which lasts until a worker has run them).
    """
    batches = plan_release_batches(store, partner=partner, actor=actor, size=batch_size)
    app = job_queue(store_url)
    with store.unit_of_work() as uow:
        before = uow.releases.count(partner)
    with app.open():
        ids = defer_release(app, partner, batches, actor=actor)
        if queued is not None:
            queued(len(ids))
        pending = set(ids)
        failed: list[int] = []
        while pending:
            for job_id in sorted(pending):
                status = app.job_manager.get_job_status(job_id)
                if status in _DONE:
                    pending.discard(job_id)
                    if status != Status.SUCCEEDED:
                        failed.append(job_id)
            if pending:
                time.sleep(poll_every)
    with store.unit_of_work() as uow:
        after = uow.releases.count(partner)
    if after - before >= BULK_ROWS:
        store.refresh_planner_statistics()
    if failed:
        raise ReleaseJobsFailed(
            f"release to {partner}: job(s) {', '.join(map(str, sorted(failed)))} failed "
            f"({after - before} version(s) released by the others); see the workers' logs and "
            "run the release again: what is released is not released twice"
        )
    return QueuedRelease(tuple(ids), after - before)
