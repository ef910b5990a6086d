"""A large release as jobs (issue 19): on a PostgreSQL node, `enlace release --all --queue`
puts one job per batch of records on the node's queue and real `enlace worker` processes
release them. What is released — which versions, their signatures — is what the in-process
release gives; sequence numbers run 1..N with no gap in commit order; and a worker killed
with SIGKILL in the middle of a batch loses nothing and releases nothing twice."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from enlace.exchange.release import plan_release_batches, release_everything_allowed
from enlace.jobs.queue import RELEASE_TASK, defer_release, job_queue
from enlace.jobs.release import release_by_workers
from enlace.node.config import NodeConfig
from enlace.node.keys import load_signing_key, public_key_hex
from enlace.node.setup import initialise_node, open_node
from enlace.store.store import Store
from enlace.store.tables import releases
from support import timing
from support.exchange import TO_US
from support.nodes import add_phones, cli, counts, enlace
from support.workers import blocked_on, jobs, working

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PHONES = 45
BATCH = 10  # records per job: 45 phones and the node's agencies make several batches


def node_with_phones(node: Path, database_url: str | None, *, key_from: Path | None) -> None:
    """MX's node with PHONES phone records releasable to US, and US registered; with
    `key_from`, the signing key of that node (so the two sign alike)."""
    if key_from is not None:
        source = NodeConfig.load(key_from).key_dir
        node.mkdir(mode=0o700)
        shutil.copytree(source, node / source.name)
    initialise_node(node, party="MX", database_url=database_url)
    if key_from is not None:
        assert public_key_hex(NodeConfig.load(node).key_dir) == public_key_hex(
            NodeConfig.load(key_from).key_dir
        )
    us_key = initialise_node(node.parent / "us", party="US").public_key
    cli("partner", "add", "--party", "US", "--url", "http://127.0.0.1:1", "--key", us_key,
        "--node", str(node))  # fmt: skip
    add_phones(node, [f"+52 55 5555 {i:04d}" for i in range(PHONES)], owner="MX", markings=TO_US)


def released(node: Path) -> list[tuple[str, str, str, int]]:
    """(record id, modified, signature, sequence) of each version released to US."""
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            rows = uow.connection.execute(
                select(
                    releases.c.record_id,
                    releases.c.modified,
                    releases.c.signature,
                    releases.c.sequence,
                )
                .where(releases.c.partner == "US")
                .order_by(releases.c.sequence)
            )
            return [(r.record_id, r.modified, r.signature, int(r.sequence)) for r in rows]
    finally:
        store.close()


def phones_released(node: Path) -> set[tuple[str, str, str]]:
    """(record id, modified, signature) of the phone versions released (the agencies a node
    makes at init carry its own creation time: they differ between two nodes)."""
    return {(r, m, s) for r, m, s, _ in released(node) if r.startswith("enlace-phone-number--")}


def test_a_release_by_two_workers_releases_what_the_in_process_release_does(
    tmp_path: Path, database_url: str
) -> None:
    mx = tmp_path / "mx"
    alone = tmp_path / "mx-in-process"
    node_with_phones(mx, database_url, key_from=None)
    node_with_phones(alone, None, key_from=mx)  # SQLite: in process, as without workers
    config, store = open_node(alone)
    try:
        expected = release_everything_allowed(
            store, partner="US", signing_key=load_signing_key(config.key_dir), actor="cli"
        )
    finally:
        store.close()

    config, store = open_node(mx)
    try:
        with working(mx, "worker-1") as first, working(mx, "worker-2") as second:
            outcome = release_by_workers(
                store,
                store_url=config.store_url,
                partner="US",
                actor="cli",
                batch_size=BATCH,
                poll_every=0.1,
            )
            # The command line's way, now that everything is released: nothing new.
            again = cli("release", "--partner", "US", "--all", "--queue", "--node", str(mx))
            assert first.poll() is None
            assert second.poll() is None
    finally:
        store.close()
    assert outcome.released == expected >= PHONES
    assert len(outcome.jobs) > 1  # one per batch
    assert "0 record version(s) newly released to US" in again
    assert "batch job(s) queued; waiting for the node's workers" in again
    assert jobs(database_url, RELEASE_TASK)[: len(outcome.jobs)] == [("succeeded", 1)] * len(
        outcome.jobs
    )
    # The same versions, signed alike; every number from 1 to N given once.
    assert phones_released(mx) == phones_released(alone)
    assert len(phones_released(mx)) == PHONES
    assert [row[3] for row in released(mx)] == list(range(1, expected + 1))
    assert len({row[0] for row in released(mx)}) == expected
    assert counts(mx, "US")[2] == expected  # the audit log verifies too


def test_a_release_on_a_sqlite_node_is_not_put_on_a_queue(tmp_path: Path) -> None:
    mx = tmp_path / "mx"
    node_with_phones(mx, None, key_from=None)
    result = enlace("release", "--partner", "US", "--all", "--queue", "--node", str(mx))
    assert result.returncode != 0
    assert "workers need a PostgreSQL node" in result.stdout + result.stderr
    assert released(mx) == []


def _waiting_for_the_counter(database_url: str) -> bool:
    # A worker's transaction is blocked on the lock the test holds on the counters table:
    # it has read and signed its batch, and waits to take sequence numbers.
    return blocked_on(database_url, "release_counters")


def test_a_worker_killed_mid_batch_loses_nothing_and_releases_each_version_once(
    tmp_path: Path, database_url: str
) -> None:
    mx = tmp_path / "mx"
    node_with_phones(mx, database_url, key_from=None)
    config, store = open_node(mx)
    blocker = Store.open(database_url, migrate=False)
    try:
        batches = plan_release_batches(store, partner="US", actor="cli", size=BATCH)
        assert len(batches) > 2
        with blocker.engine.connect() as hold:
            # Nobody may take sequence numbers while the test holds this lock: the first
            # worker's batch stops between signing and committing, where it is killed.
            hold.execute(text("LOCK TABLE release_counters IN EXCLUSIVE MODE"))
            app = job_queue(database_url)
            with app.open():
                ids = defer_release(app, "US", batches, actor="cli")
            with working(mx, "worker-1") as first:
                timing.wait_until(
                    lambda: _waiting_for_the_counter(database_url),
                    what="the first worker to be in the middle of a batch",
                    timeout=30,
                    interval=0.05,
                    detail=lambda: (tmp_path / "worker-1.log").read_text(),
                )
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=timing.timeout(10))
            hold.rollback()  # the lock is let go
        assert released(mx) == []  # the killed batch committed nothing
        with working(mx, "worker-2"):
            timing.wait_until(
                lambda: all(
                    status == "succeeded" for status, _ in jobs(database_url, RELEASE_TASK)
                ),
                what="the second worker to run every batch, the killed one again",
                timeout=60,
                interval=0.2,
                detail=lambda: (tmp_path / "worker-2.log").read_text(),
            )
        second_log = (tmp_path / "worker-2.log").read_text()
    finally:
        blocker.close()
        store.close()
    assert "queued again" in second_log
    statuses = jobs(database_url, RELEASE_TASK)
    assert len(statuses) == len(ids)
    assert sorted(attempts for _, attempts in statuses) == [1] * (len(ids) - 1) + [2]
    rows = released(mx)
    assert len({(r, m) for r, m, _, _ in rows}) == len(rows)  # each version once
    assert [row[3] for row in rows] == list(range(1, len(rows) + 1))  # no gap
    assert len(phones_released(mx)) == PHONES
    config_store = open_node(mx)[1]
    try:
        left = release_everything_allowed(
            config_store,
            partner="US",
            signing_key=load_signing_key(config.key_dir),
            actor="cli",
        )
    finally:
        config_store.close()
    assert left == 0  # the jobs released everything the in-process release would
    assert counts(mx, "US")[2] == len(rows)
