"""PSI runs blinded by real `enlace worker` processes (issue 19): two real node servers on
loopback, both on PostgreSQL, the responder answering with its blinding on its queue (one
worker), the requester blinding on its own queue (two workers): the run finds what a run
blinded in process finds, on firearms and on persons' names, whose keys the workers derive
too. A worker killed with SIGKILL in the middle of a chunk loses nothing: the sweep of the
worker started after it puts the chunk back on the queue, the run completes with the same
links, and each chunk is stored once."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from enlace.jobs.blinding_pool import QueueBlindingPool, queued_chunks
from enlace.jobs.name_keys_queue import queued_name_key_chunks
from enlace.jobs.queue import BLIND_TASK
from enlace.matching.blinding import BlindingPool
from enlace.matching.kinds import parse_kind
from enlace.matching.requester import MatchOutcome, match_partner
from enlace.model.records import Firearm, Person, Record, derived_id
from enlace.node.config import NodeConfig
from enlace.store.store import Store
from enlace.synth import SynthConfig, generate
from support import timing
from support.exchange import CREATED, TO_MX, TO_US
from support.matching import ServedNode, agree, handle_records, load, requester_token, served_nodes
from support.workers import working

if TYPE_CHECKING:  # at run time "conftest" may name another folder's conftest
    from conftest import PostgresServer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

SHARED, EACH = 300, 1500  # serials both hold; firearms each holds
CHUNK = 500  # items per job: several jobs a step, each long enough to be killed in
NAME_CHUNK = 15  # persons per name key job: several jobs a set


def firearms(owner: str, serials: list[str]) -> list[Record]:
    return [
        Firearm.from_values(
            id=derived_id("enlace-firearm", "blinding-jobs", owner, serial),
            owner=owner,
            markings=TO_MX if owner == "US" else TO_US,
            created=CREATED,
            modified=CREATED,
            created_by_ref=None,
            values={"make": "Colt", "serial": serial},
        )
        for serial in serials
    ]


def node_folder(tmp_path: Path, party: str, url: str) -> Path:
    """A node folder whose node.json names the served node's database, for its workers."""
    folder = tmp_path / party.lower()
    (folder / "keys").mkdir(parents=True)
    NodeConfig(directory=folder, party=party, database_url=url).save()
    return folder


def persons() -> dict[str, list[Record]]:
    """Synthetic MX and US persons, some of them the same person written differently."""
    records = generate(SynthConfig(seed=11, scale=400)).records
    return {party: [r for r in records[party] if isinstance(r, Person)] for party in records}


def links(outcome: MatchOutcome, responder: ServedNode) -> set[tuple[str, str]]:
    handles = handle_records(responder.store, "MX")
    return {(m.record_id, handles[m.partner_handle]) for m in outcome.matches}


def blind_jobs_doing(store: Store) -> list[int]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id FROM procrastinate_jobs WHERE task_name = :task AND status = 'doing'"),
            {"task": BLIND_TASK},
        )
        return [int(row[0]) for row in rows]


def test_runs_blinded_by_worker_processes_find_what_in_process_runs_find_even_when_one_is_killed(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    schemas = {party: postgres_server.new_schema() for party in ("MX", "US")}
    urls = {party: url for party, (_, url) in schemas.items()}
    mx_serials = [f"MX{i:06d}" for i in range(EACH - SHARED)] + [
        f"SH{i:06d}" for i in range(SHARED)
    ]
    us_serials = [f"SH{i:06d}" for i in range(SHARED)] + [
        f"US{i:06d}" for i in range(EACH - SHARED)
    ]

    def on_queue(party: str, store: Store) -> BlindingPool | None:
        if party != "US":
            return None
        return QueueBlindingPool(
            store,
            urls[party],
            chunk_items=CHUNK,
            chunk_records=NAME_CHUNK,
            inline_below=1,
            local_workers=0,
        )

    try:
        with served_nodes(urls, blinding=on_queue) as nodes:
            mx, us = nodes["MX"], nodes["US"]
            named = persons()
            load(mx, firearms("MX", mx_serials) + named["MX"])
            load(us, firearms("US", us_serials) + named["US"])
            agree(us, "MX", kinds=("firearm", "person"), max_set_size=10 * EACH)
            mx_node, us_node = (node_folder(tmp_path, p, urls[p]) for p in ("MX", "US"))
            token = requester_token("MX", "US")

            def run(pool: BlindingPool | None, kind: str = "firearm") -> MatchOutcome:
                (outcome,) = match_partner(
                    mx.store, partner="US", token=token, kinds=[parse_kind(kind)],
                    workers=0, pool=pool,
                )  # fmt: skip
                return outcome

            with working(us_node, "us-worker", stop_within=30):
                in_process = run(None)
                expected = links(in_process, us)
                assert len(expected) == SHARED
                # Names: MX derives its keys in process, the US's workers derive the US's.
                names_in_process = run(None, "person")
                expected_names = links(names_in_process, us)
                assert expected_names
                with QueueBlindingPool(
                    mx.store,
                    urls["MX"],
                    chunk_items=CHUNK,
                    chunk_records=NAME_CHUNK,
                    inline_below=1,
                    local_workers=0,
                ) as pool:
                    with (
                        working(mx_node, "mx-worker-1", stop_within=30),
                        working(mx_node, "mx-worker-2", stop_within=30),
                    ):
                        on_workers = run(pool)
                        names_on_workers = run(pool, "person")
                    assert links(on_workers, us) == expected
                    assert on_workers.overlap == in_process.overlap == SHARED
                    assert links(names_on_workers, us) == expected_names
                    assert names_on_workers.overlap == names_in_process.overlap

                    # A worker killed in the middle of a chunk: the run waits; the worker
                    # started after it sweeps the dead worker's chunk back on the queue.
                    done: dict[str, MatchOutcome] = {}
                    runner = threading.Thread(target=lambda: done.update(run=run(pool)))
                    runner.start()
                    try:
                        stalled = kill_a_worker_mid_chunk(mx_node, mx.store)
                        with working(mx_node, "mx-survivor", stop_within=30):
                            runner.join(timeout=timing.timeout(180))
                            assert not runner.is_alive(), "the run did not complete"
                    finally:
                        runner.join()
                    survivor_log = (tmp_path / "mx-survivor.log").read_text()
                    assert f"job {stalled}" in survivor_log
                    assert "queued again" in survivor_log
                    assert links(done["run"], us) == expected
            # The responder's chunks were blinded, and its name keys derived, by its worker
            # process, not in process; the requester's name keys by its own workers.
            us_log = (tmp_path / "us-worker.log").read_text()
            assert "Starting job enlace.blind_chunk" in us_log
            assert "Starting job enlace.derive_name_keys" in us_log
            mx_logs = "".join((tmp_path / f"mx-worker-{i}.log").read_text() for i in (1, 2))
            assert "Starting job enlace.derive_name_keys" in mx_logs
            # Every batch's rows, its scalar with them, were deleted when its run had them.
            assert queued_chunks(mx.store) == 0
            assert queued_chunks(us.store) == 0
            assert queued_name_key_chunks(mx.store) == 0
            assert queued_name_key_chunks(us.store) == 0
    finally:
        for schema, _ in schemas.values():
            postgres_server.drop_schema(schema)


def kill_a_worker_mid_chunk(node: Path, store: Store) -> int:
    """Start a worker, SIGKILL it while it blinds a chunk; return the chunk's job id. A kill
    that lands between two chunks (the worker finished one just before) is tried again with
    a new worker: the kill itself is at a random moment."""
    for attempt in range(5):
        with working(node, f"mx-victim-{attempt}", stop_within=30) as victim:
            timing.wait_until(
                lambda: blind_jobs_doing(store), what="a worker to take a chunk", timeout=60
            )
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=timing.timeout(10))
        stalled = blind_jobs_doing(store)  # the dead worker's job, left "doing"
        if stalled:
            return stalled[0]
    pytest.fail("five workers in a row finished their chunk before the kill landed")
