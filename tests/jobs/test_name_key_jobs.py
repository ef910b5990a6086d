"""A PSI run's name keys as jobs on a PostgreSQL node's queue (issue 19), with the jobs run
in this process as a worker runs them: the keys are those `own_name_keys` derives in
process, for persons and for organisations; a chunk done twice is stored once; a record that
cannot be read fails the run as in process; and nothing of a batch is left in the database
once the run has its keys or gives up."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import procrastinate
import pytest
from sqlalchemy import Connection, func, select, text

from enlace.jobs.blinding_pool import QueueBlindingPool
from enlace.jobs.name_keys import derive_stored_chunk
from enlace.jobs.name_keys_queue import (
    NameKeyJobsFailed,
    NameKeyJobsTimedOut,
    delete_abandoned_name_key_batches,
    queued_name_key_chunks,
)
from enlace.jobs.queue import NAME_KEYS_TASK, WorkerNode, job_queue
from enlace.matching.blinding import BlindingPool
from enlace.matching.kinds import own_identifiers
from enlace.matching.names.keys import NameKeyKind
from enlace.matching.names.store import own_name_keys, own_record_bounds
from enlace.model.errors import RecordError
from enlace.model.records import Company, CriminalOrganisation, Person
from enlace.store.store import Store
from enlace.store.tables import name_key_batches, name_key_chunks
from enlace.store.versions import StoredVersion
from enlace.synth import SynthConfig, generate
from support import timing

if TYPE_CHECKING:  # at run time "conftest" may name another folder's conftest
    from conftest import PostgresServer

pytestmark = pytest.mark.postgres

CHUNK = 2  # records per job: every kind's set is several jobs


@pytest.fixture
def store(postgres_server: PostgresServer) -> Iterator[Store]:
    """A node's store in a fresh PostgreSQL schema, with MX's synthetic persons and
    organisations and some of the US's (received: not MX's own)."""
    schema, url = postgres_server.new_schema()
    opened = Store.open(url)
    records = generate(SynthConfig(seed=3, scale=300)).records
    named = Person | Company | CriminalOrganisation
    versions = [StoredVersion.of(r) for r in records["MX"] if isinstance(r, named)] + [
        StoredVersion.of(r, received_from="US") for r in records["US"] if isinstance(r, named)
    ]
    try:
        with opened.unit_of_work() as uow:
            uow.records.add(versions, added_at=uow.started_at)
            uow.commit()
        yield opened
    finally:
        opened.close()
        postgres_server.drop_schema(schema)


def store_url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def queue_pool(store: Store, *, wait_seconds: float = 60) -> QueueBlindingPool:
    # Every set goes to the queue, CHUNK records a job.
    return QueueBlindingPool(
        store, store_url(store), chunk_records=CHUNK, inline_below=1, wait_seconds=wait_seconds
    )


def in_process(store: Store, kind: NameKeyKind) -> dict[str, list[str]]:
    with store.unit_of_work() as uow:
        return own_name_keys(uow.connection, "MX", kind)


def waiting_jobs(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task "
                    "AND status = 'todo'"
                ),
                {"task": NAME_KEYS_TASK},
            ).scalar_one()
        )


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


class Derivation:
    """A run's `name_keys` call in a thread, as the run's process waits for its jobs."""

    def __init__(self, pool: QueueBlindingPool, store: Store, kind: NameKeyKind) -> None:
        self.keys: dict[str, list[str]] | None = None
        self.error: BaseException | None = None
        self.progress: list[int] = []

        def derive() -> None:
            try:
                with store.unit_of_work() as uow:
                    self.keys = own_identifiers(uow.connection, "MX", kind, name_keys=self._call)
            except BaseException as error:
                self.error = error

        self._pool = pool
        self._thread = threading.Thread(target=derive)
        self._thread.start()

    def _call(self, connection: Connection, party: str, kind: NameKeyKind) -> dict[str, list[str]]:
        return self._pool.name_keys(connection, party, kind, self.progress.append)

    def result(self) -> dict[str, list[str]]:
        self._thread.join(timeout=timing.timeout(60))
        assert not self._thread.is_alive(), "the run did not get its keys"
        if self.error is not None:
            raise self.error
        assert self.keys is not None
        return self.keys


def jobs_queued(store: Store) -> int:
    return timing.wait_until(
        lambda: waiting_jobs(store), what="the run to put its chunks on the queue"
    )


def left_in_database(store: Store) -> tuple[int, int, int]:
    """(batches, chunks, name key jobs waiting) left in the node's database. A job that was
    running when its run ended is left as a finished job (its batch id and chunk number),
    deleted with the other finished jobs by the workers' pruning."""
    return queued_name_key_batches(store), queued_name_key_chunks(store), waiting_jobs(store)


def queued_name_key_batches(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(name_key_batches)).scalar_one()
        )


@pytest.mark.parametrize("kind", list(NameKeyKind))
def test_name_keys_from_jobs_are_the_in_process_keys(
    store: Store, tmp_path: Path, kind: NameKeyKind
) -> None:
    expected = in_process(store, kind)
    with store.unit_of_work() as uow:
        records, bounds = own_record_bounds(uow.connection, "MX", kind, CHUNK)
    assert records > 3 * CHUNK
    assert len(bounds) == (records - 1) // CHUNK
    with queue_pool(store) as pool:
        run = Derivation(pool, store, kind)
        # One job per CHUNK records, the last one fewer.
        assert jobs_queued(store) == len(bounds) + 1
        run_waiting_jobs(store, tmp_path)
        # The same dict, each key's holders in the same (sorted) order.
        assert run.result() == expected
        assert sum(run.progress) == records
    assert left_in_database(store) == (0, 0, 0)


def test_the_in_process_pool_derives_name_keys_in_process(store: Store) -> None:
    with BlindingPool(0) as pool, store.unit_of_work() as uow:
        for kind in NameKeyKind:
            assert pool.name_keys(uow.connection, "MX", kind) == own_name_keys(
                uow.connection, "MX", kind
            )
    assert left_in_database(store) == (0, 0, 0)


def test_a_chunk_derived_again_is_stored_once(store: Store, tmp_path: Path) -> None:
    expected = in_process(store, NameKeyKind.PERSON)
    with queue_pool(store) as pool:
        run = Derivation(pool, store, NameKeyKind.PERSON)
        jobs = jobs_queued(store)
        with store.engine.connect() as connection:
            (batch_id,) = connection.execute(select(name_key_batches.c.batch_id)).scalars()
        # A worker did chunk 2, then died before its job was marked done: the sweep puts the
        # job back and another worker does chunk 2 again.
        assert derive_stored_chunk(store, batch_id, 2) is True
        with store.engine.connect() as connection:
            first = connection.execute(
                select(name_key_chunks.c.output).where(
                    (name_key_chunks.c.batch_id == batch_id) & (name_key_chunks.c.chunk == 2)
                )
            ).scalar_one()
        assert derive_stored_chunk(store, batch_id, 2) is False
        run_waiting_jobs(store, tmp_path)  # every chunk's job, chunk 2's included
        assert run.result() == expected
        assert first is not None
    assert jobs > 2
    assert left_in_database(store) == (0, 0, 0)
    # A job of a batch its run has deleted finds nothing to do.
    assert derive_stored_chunk(store, batch_id, 2) is False


def test_a_record_that_cannot_be_read_fails_the_run_as_in_process(
    store: Store, tmp_path: Path
) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE records SET stix = :broken WHERE id = (SELECT min(id) FROM records "
                "WHERE kind = :kind AND owner = 'MX')"
            ),
            {"broken": '{"type": "identity"}', "kind": Person.KIND},
        )
    with pytest.raises(RecordError) as in_process_error:
        in_process(store, NameKeyKind.PERSON)
    with queue_pool(store) as pool:
        run = Derivation(pool, store, NameKeyKind.PERSON)
        jobs_queued(store)
        run_waiting_jobs(store, tmp_path)
        with pytest.raises(NameKeyJobsFailed) as failed:
            run.result()
    assert f"RecordError: {in_process_error.value}" in str(failed.value)
    assert left_in_database(store) == (0, 0, 0)


def test_a_run_that_gives_up_leaves_nothing_and_an_abandoned_batch_is_swept(
    store: Store, tmp_path: Path
) -> None:
    # No worker: the run waits its bound, then deletes its batch and its jobs.
    with queue_pool(store, wait_seconds=0.5) as pool:
        run = Derivation(pool, store, NameKeyKind.ORGANISATION)
        with pytest.raises(NameKeyJobsTimedOut, match="is an 'enlace worker' running"):
            run.result()
    assert left_in_database(store) == (0, 0, 0)
    # A batch whose run died without deleting it is deleted by the workers' sweep.
    with store.engine.begin() as connection:
        connection.execute(
            name_key_batches.insert().values(
                batch_id="ab" * 16,
                party="MX",
                kind="person",
                chunks=1,
                created_at="2000-01-01T00:00:00+00:00",
            )
        )
        connection.execute(
            name_key_chunks.insert().values(batch_id="ab" * 16, chunk=0, after_id=None)
        )
    assert delete_abandoned_name_key_batches(store, older_than=3600) == 1
    assert delete_abandoned_name_key_batches(store, older_than=3600) == 0
    assert left_in_database(store) == (0, 0, 0)
