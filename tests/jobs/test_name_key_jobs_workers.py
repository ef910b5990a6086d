"""A run's name keys derived by real `enlace worker` processes (issue 19), one of them killed
with SIGKILL in the middle of a chunk: the chunk's job is put back on the queue by the sweep
of the worker started after it, the run gets the keys it derives in process, and nothing of
its batch is left behind."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from enlace.jobs.blinding_pool import QueueBlindingPool
from enlace.jobs.name_keys_queue import queued_name_key_chunks
from enlace.matching.names.keys import NameKeyKind
from enlace.matching.names.store import own_name_keys
from enlace.model.records import Person
from enlace.node.config import NodeConfig
from enlace.store.store import Store
from enlace.store.tables import name_key_chunks
from enlace.store.versions import StoredVersion
from enlace.synth import SynthConfig, generate
from support import timing
from support.workers import blocked_on, working

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

CHUNK = 4  # records per job: several jobs


def test_a_worker_killed_mid_chunk_loses_nothing_and_the_run_gets_the_in_process_keys(
    tmp_path: Path, database_url: str
) -> None:
    node = tmp_path / "mx"
    (node / "keys").mkdir(parents=True)
    NodeConfig(directory=node, party="MX", database_url=database_url).save()
    store = Store.open(database_url)
    blocker = Store.open(database_url, migrate=False)
    try:
        persons = [
            StoredVersion.of(r)
            for r in generate(SynthConfig(seed=3, scale=300)).records["MX"]
            if isinstance(r, Person)
        ]
        assert len(persons) > 2 * CHUNK
        with store.unit_of_work() as uow:
            uow.records.add(persons, added_at=uow.started_at)
            uow.commit()
            expected = own_name_keys(uow.connection, "MX", NameKeyKind.PERSON)
        done: dict[str, dict[str, list[str]]] = {}
        with QueueBlindingPool(
            store, database_url, chunk_records=CHUNK, inline_below=1, local_workers=0
        ) as pool:

            def run() -> None:
                with store.unit_of_work() as uow:
                    done["keys"] = pool.name_keys(uow.connection, "MX", NameKeyKind.PERSON)

            runner = threading.Thread(target=run)
            runner.start()
            try:
                timing.wait_until(
                    lambda: queued_name_key_chunks(store), what="the run to cut its chunks"
                )
                with blocker.engine.connect() as hold:
                    # No worker may store a chunk while the test holds the chunks' rows: the
                    # first worker derives its chunk's keys and waits to store them, where it
                    # is killed.
                    hold.execute(select(name_key_chunks.c.chunk).with_for_update())
                    with working(node, "worker-1") as first:
                        timing.wait_until(
                            lambda: blocked_on(database_url, "name_key_chunks"),
                            what="the first worker to be in the middle of a chunk",
                            timeout=30,
                            detail=lambda: (tmp_path / "worker-1.log").read_text(),
                        )
                        first.send_signal(signal.SIGKILL)
                        first.wait(timeout=timing.timeout(10))
                    hold.rollback()  # the rows are let go
                with working(node, "worker-2"):
                    runner.join(timeout=timing.timeout(60))
                    assert not runner.is_alive(), "the run did not get its keys"
            finally:
                runner.join()
        second_log = (tmp_path / "worker-2.log").read_text()
        assert "queued again" in second_log
        assert "Starting job enlace.derive_name_keys" in second_log
        assert done["keys"] == expected
        # The batch's rows and jobs went with the run.
        assert queued_name_key_chunks(store) == 0
    finally:
        blocker.close()
        store.close()
