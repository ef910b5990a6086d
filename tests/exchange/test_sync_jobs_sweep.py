"""The stalled-job sweep of `enlace worker` (issue 19), on a real PostgreSQL queue in this
process: the job of a worker whose heartbeat stopped goes back on the queue, a live worker's
job stays with it, and a stale view of a job another worker took since changes nothing; a
failing sync job waits longer and longer before its next try, holding its partner's place in
the queue meanwhile; and the queue's tables exist on PostgreSQL nodes only."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import procrastinate
import pytest
from procrastinate.jobs import Job, Status
from sqlalchemy import inspect

from enlace.jobs.queue import SYNC_TASK, WorkerNode, defer_sync, job_queue, sync_lock
from enlace.jobs.worker import prune_finished_jobs, sweep_stalled_jobs
from enlace.store.store import Store

if TYPE_CHECKING:  # at run time "conftest" may name another folder's conftest
    from conftest import PostgresServer

pytestmark = pytest.mark.postgres

STALLED_AFTER = 30.0


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh PostgreSQL schema, migrated as a node's."""
    schema, url = postgres_server.new_schema()
    try:
        Store.open(url).close()
        yield url
    finally:
        postgres_server.drop_schema(schema)


async def _status(app: procrastinate.App, job_id: int) -> tuple[str, int | None]:
    row = await app.connector.execute_query_one_async(
        "SELECT status, worker_id FROM procrastinate_jobs WHERE id = %(id)s", id=job_id
    )
    return str(row["status"]), row["worker_id"]


async def _job(app: procrastinate.App, party: str) -> int:
    lock = sync_lock(party)
    deferrer = app.configure_task(SYNC_TASK, lock=lock, queueing_lock=lock)
    return await deferrer.defer_async(party=party)


async def _scenario(app: procrastinate.App) -> dict[str, Any]:
    manager = app.job_manager
    dead, live = await manager.register_worker(), await manager.register_worker()
    dead_job, live_job = await _job(app, "CA"), await _job(app, "US")
    taken = {}
    for worker in (dead, live):
        job = await manager.fetch_job(queues=None, worker_id=worker)
        assert job is not None
        assert job.id is not None
        taken[worker] = job
    # The first worker's heartbeat stopped an hour ago (it was killed).
    await app.connector.execute_query_async(
        "UPDATE procrastinate_workers SET last_heartbeat = NOW() - INTERVAL '1 hour' "
        "WHERE id = %(id)s",
        id=dead,
    )
    stale_view = list(await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER))
    swept = await sweep_stalled_jobs(app, STALLED_AFTER)
    after_sweep = {job: await _status(app, job) for job in (dead_job, live_job)}
    # The live worker takes the job back; a sweep that still sees the old "stalled" view
    # (it read the stalled jobs before the first sweep retried them) must leave it alone.
    retaken = await manager.fetch_job(queues=None, worker_id=live)

    async def stale(
        nb_seconds: int | None = None,
        queue: str | None = None,
        task_name: str | None = None,
        seconds_since_heartbeat: float = 30,
    ) -> list[Job]:
        return stale_view

    manager.get_stalled_jobs = stale  # type: ignore[method-assign]
    swept_again = await sweep_stalled_jobs(app, STALLED_AFTER)
    return {
        "ids": (dead_job, live_job),
        "taken": {worker: job.id for worker, job in taken.items()},
        "workers": (dead, live),
        "stale_view": [job.id for job in stale_view],
        "swept": swept,
        "after_sweep": after_sweep,
        "retaken": retaken.id if retaken else None,
        "swept_again": swept_again,
        "finally": await _status(app, dead_job),
    }


def test_the_sweep_requeues_only_the_jobs_of_silent_workers(database_url: str) -> None:
    app = job_queue(database_url)

    async def run() -> dict[str, Any]:
        async with app.open_async():
            return await _scenario(app)

    seen = asyncio.run(run())
    dead_job, live_job = seen["ids"]
    dead, live = seen["workers"]
    assert seen["taken"] == {dead: dead_job, live: live_job}
    assert seen["stale_view"] == [dead_job]
    assert seen["swept"] == [dead_job]
    assert seen["after_sweep"] == {dead_job: ("todo", dead), live_job: ("doing", live)}
    assert seen["retaken"] == dead_job
    assert seen["swept_again"] == []
    assert seen["finally"] == ("doing", live)


def test_the_job_queue_is_on_postgresql_nodes_only(store: Store, database: str) -> None:
    tables = {name for name in inspect(store.engine).get_table_names() if "procrastinate" in name}
    assert bool(tables) == (database == "postgresql")


def test_a_failing_sync_job_is_tried_again_later_and_keeps_its_partners_place(
    database_url: str, tmp_path: Path
) -> None:
    # CA is not a registered partner: its sync fails at once, as a partner that is down does.
    store = Store.open(database_url)
    app = job_queue(database_url)

    async def run() -> tuple[list[dict[str, Any]], bool]:
        async with app.open_async():
            await _job(app, "CA")
            await app.run_worker_async(
                wait=False,
                install_signal_handlers=False,
                additional_context={"node": WorkerNode(store=store, key_dir=tmp_path)},
            )
            rows = await app.connector.execute_query_all_async(
                "SELECT status, attempts, "
                "EXTRACT(EPOCH FROM scheduled_at - NOW())::float AS wait FROM procrastinate_jobs"
            )
        with app.open():
            again = defer_sync(app, "CA")
        return rows, again

    try:
        rows, deferred_again = asyncio.run(run())
    finally:
        store.close()
    (row,) = rows
    assert row["status"] == "todo"
    assert row["attempts"] == 1
    assert 0 < row["wait"] <= 4  # the first wait of the backoff: 4 seconds
    assert deferred_again is False  # the retry holds CA's place: no second job queued


def test_old_jobs_that_succeeded_are_deleted_and_failed_or_recent_ones_kept(
    database_url: str,
) -> None:
    app = job_queue(database_url)

    async def run() -> tuple[dict[str, int], set[int]]:
        async with app.open_async():
            manager = app.job_manager
            worker = await manager.register_worker()
            ids = {}
            for party, status in (("CA", Status.SUCCEEDED), ("US", Status.SUCCEEDED),
                                  ("GT", Status.FAILED)):  # fmt: skip
                await _job(app, party)
                job = await manager.fetch_job(queues=None, worker_id=worker)
                assert job is not None
                assert job.id is not None
                await manager.finish_job(job, status, delete_job=False)
                ids[party] = job.id
            # CA's success and GT's failure were eight days ago; US's just now.
            await app.connector.execute_query_async(
                "UPDATE procrastinate_events SET at = at - INTERVAL '192 hours' "
                "WHERE job_id = ANY(%(ids)s)",
                ids=[ids["CA"], ids["GT"]],
            )
            await prune_finished_jobs(app, keep_hours=168)
            rows = await app.connector.execute_query_all_async("SELECT id FROM procrastinate_jobs")
        return ids, {int(row["id"]) for row in rows}

    ids, left = asyncio.run(run())
    assert left == {ids["US"], ids["GT"]}
