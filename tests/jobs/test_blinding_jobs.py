"""A PSI run's blinding as jobs on a PostgreSQL node's queue (issue 19), with the jobs run
in this process as a worker runs them: the output is the in-process pool's, byte for byte,
for the same scalar; a chunk done twice is stored once; a value that is not a point is
refused as in process; and nothing of a batch (its secret scalar included) is left in the
database once the run has its output or gives up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import procrastinate
import pytest
from sqlalchemy import func, select, text

from enlace.jobs.blinding import blind_stored_chunk
from enlace.jobs.blinding_pool import QueueBlindingPool, delete_abandoned_batches, queued_chunks
from enlace.jobs.queue import BLIND_TASK, WorkerNode, job_queue
from enlace.matching.blinding import BlindingPool
from enlace.matching.group import POINT_BYTES, WireFormatError, fresh_scalar
from enlace.store.store import Store
from enlace.store.tables import blinding_batches, blinding_chunks

if TYPE_CHECKING:  # at run time "conftest" may name another folder's conftest
    from conftest import PostgresServer

pytestmark = pytest.mark.postgres

DOMAIN = b"enlace-test-domain"
KEYS = [f"key-{i}".encode() for i in range(250)]


@pytest.fixture
def store(postgres_server: PostgresServer) -> Iterator[Store]:
    """A node's store in a fresh PostgreSQL schema."""
    schema, url = postgres_server.new_schema()
    opened = Store.open(url)
    try:
        yield opened
    finally:
        opened.close()
        postgres_server.drop_schema(schema)


def queue_pool(store: Store) -> QueueBlindingPool:
    # Every set goes to the queue, in chunks of 40: 250 keys are 7 jobs.
    return QueueBlindingPool(store, store_url(store), chunk_items=40, inline_below=1)


def store_url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def run_waiting_jobs(store: Store, tmp_path: Path) -> None:
    """Run every job waiting on the node's queue, in this process, as a worker does."""
    app: procrastinate.App = job_queue(store_url(store))

    async def run() -> None:
        async with app.open_async():
            await app.run_worker_async(
                wait=False,
                install_signal_handlers=False,
                additional_context={"node": WorkerNode(store=store, key_dir=tmp_path)},
            )

    asyncio.run(run())


def left_in_database(store: Store) -> tuple[int, int, int]:
    """(batches, chunks, blinding jobs not running) left in the node's database."""
    with store.engine.connect() as connection:
        batches = connection.execute(select(func.count()).select_from(blinding_batches))
        jobs = connection.execute(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task "
                "AND status <> 'doing'"
            ),
            {"task": BLIND_TASK},
        )
        return int(batches.scalar_one()), queued_chunks(store), int(jobs.scalar_one())


def test_queued_blinding_is_the_in_process_blinding_byte_for_byte(
    store: Store, tmp_path: Path
) -> None:
    first, second = fresh_scalar(), fresh_scalar()
    with BlindingPool(0) as local:
        points = local.hash_and_blind(DOMAIN, KEYS, first)
        expected_twice = local.blind(points, second)
        expected_truncated = local.blind(points, second, width=12)
    with queue_pool(store) as pool:
        hashed = pool.start_hash_and_blind(DOMAIN, KEYS, first)
        run_waiting_jobs(store, tmp_path)
        progress: list[int] = []
        assert hashed.result(progress.append) == points
        assert sum(progress) == len(KEYS)
        twice = pool.start_blind(points, second)
        truncated = pool.start_blind(points, second, width=12)
        run_waiting_jobs(store, tmp_path)
        assert twice.result() == expected_twice
        assert truncated.result() == expected_truncated
    assert left_in_database(store) == (0, 0, 0)


def test_a_chunk_done_again_is_stored_once(store: Store, tmp_path: Path) -> None:
    scalar = fresh_scalar()
    with BlindingPool(0) as local:
        expected = local.hash_and_blind(DOMAIN, KEYS, scalar)
    with queue_pool(store) as pool:
        job = pool.start_hash_and_blind(DOMAIN, KEYS, scalar)
        with store.engine.connect() as connection:
            (batch_id,) = connection.execute(select(blinding_batches.c.batch_id)).scalars()
        # A worker did chunk 3, then died before its job was marked done: the sweep puts the
        # job back and another worker does chunk 3 again.
        assert blind_stored_chunk(store, batch_id, 3) is True
        assert blind_stored_chunk(store, batch_id, 3) is False
        run_waiting_jobs(store, tmp_path)  # every chunk's job, chunk 3's included
        with store.engine.connect() as connection:
            stored = connection.execute(
                select(func.count(blinding_chunks.c.output)).where(
                    blinding_chunks.c.batch_id == batch_id
                )
            ).scalar_one()
        assert stored == 7
        assert job.result() == expected
    assert left_in_database(store) == (0, 0, 0)


def test_a_value_that_is_not_a_point_is_refused_and_the_batch_deleted(
    store: Store, tmp_path: Path
) -> None:
    with BlindingPool(0) as local:
        points = bytearray(local.hash_and_blind(DOMAIN, KEYS, fresh_scalar()))
    points[100 * POINT_BYTES : 101 * POINT_BYTES] = b"\xff" * POINT_BYTES
    with queue_pool(store) as pool:
        job = pool.start_blind(bytes(points), fresh_scalar())
        run_waiting_jobs(store, tmp_path)
        with pytest.raises(WireFormatError):
            job.result()
    assert left_in_database(store) == (0, 0, 0)


def test_a_run_that_gives_up_leaves_nothing_and_workers_then_find_nothing_to_do(
    store: Store, tmp_path: Path
) -> None:
    with queue_pool(store) as pool:
        pool.start_hash_and_blind(DOMAIN, KEYS, fresh_scalar()).cancel()
        assert left_in_database(store) == (0, 0, 0)
        # A batch whose run died without deleting it is deleted by the workers' sweep.
        pool.start_hash_and_blind(DOMAIN, KEYS, fresh_scalar())
        assert delete_abandoned_batches(store, older_than=3600) == 0
        assert delete_abandoned_batches(store, older_than=-60) == 1
        run_waiting_jobs(store, tmp_path)  # its jobs find no batch: nothing stored
        assert left_in_database(store)[:2] == (0, 0)


def test_a_sqlite_node_has_no_blinding_queue(tmp_path: Path) -> None:
    from enlace.jobs.queue import JobQueueError
    from enlace.store.engine import sqlite_url

    url = sqlite_url(str(tmp_path / "node.db"))
    sqlite = Store.open(url)
    try:
        with pytest.raises(JobQueueError):
            QueueBlindingPool(sqlite, url)
    finally:
        sqlite.close()
