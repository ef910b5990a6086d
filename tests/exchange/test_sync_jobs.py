"""The scheduled sync as jobs (issue 19): on a PostgreSQL node, `enlace serve --sync-every
--workers` puts one sync job per partner per period on the node's queue and real `enlace
worker` processes run them; the records are those the in-process sync stores, and a worker
killed with SIGKILL mid-job loses nothing: another worker's sweep puts the job back on the
queue, it resumes at the last stored page, and every record is stored once."""

from __future__ import annotations

import itertools
import signal
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import select, text

from enlace.jobs.queue import defer_sync, job_queue
from enlace.node.setup import initialise_node, open_node
from enlace.store.store import Store
from enlace.store.tables import records
from support import timing
from support.exchange import TO_MX
from support.nodes import add_phones, cli, counts, free_port, serving
from support.proxy import Answer, Seen, Tamper, TamperingProxy
from support.workers import working

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PHONES = 24


def nodes(tmp_path: Path, mx_database: str, *others: str) -> tuple[Path, str, Path, int]:
    """US, with PHONES phone records released to MX; MX on PostgreSQL (and the `others`
    MX folders on SQLite), not yet registering US. Returns US's folder, its public key, its
    invite token for MX and how many versions it released to MX (its agencies too)."""
    us = tmp_path / "us"
    us_key = initialise_node(us, party="US").public_key
    mx_key = initialise_node(tmp_path / "mx", party="MX", database_url=mx_database).public_key
    for name in others:
        initialise_node(tmp_path / name, party="MX")
    cli("partner", "add", "--party", "MX", "--url", "http://127.0.0.1:1", "--key", mx_key,
        "--node", str(us))  # fmt: skip
    token = tmp_path / "for-mx.token"
    cli("partner", "invite", "--party", "MX", "--token-out", str(token), "--node", str(us))
    add_phones(us, [f"+1 915 555 {i:04d}" for i in range(PHONES)], owner="US", markings=TO_MX)
    cli("release", "--partner", "MX", "--all", "--node", str(us))
    released = counts(us, "MX")[2]
    assert released >= PHONES
    return us, us_key, token, released


def register_us(mx: Path, url: str, us_key: str, token: Path) -> None:
    cli("partner", "add", "--party", "US", "--url", url, "--key", us_key,
        "--outbound-token-file", str(token), "--node", str(mx))  # fmt: skip


def received(node: Path) -> set[tuple[str, str, str]]:
    """(id, modified, content digest) of every version `node` received from US."""
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            rows = uow.connection.execute(
                select(records.c.id, records.c.modified, records.c.content_digest).where(
                    records.c.received_from == "US"
                )
            )
            return {(r.id, r.modified, r.content_digest) for r in rows}
    finally:
        store.close()


def sync_jobs(database: str) -> list[tuple[str, int]]:
    """(status, attempts) of each sync job on the node's queue, oldest first."""
    store = Store.open(database, migrate=False)
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT status, attempts FROM procrastinate_jobs ORDER BY id")
            )
            return [(str(r.status), int(r.attempts)) for r in rows]
    finally:
        store.close()


def runs(database: str) -> list[tuple[float, float]]:
    """(start, end) of each run of a job, in seconds since the epoch, in start order, from
    the queue's events (a run ends in success, failure or back on the queue)."""
    store = Store.open(database, migrate=False)
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT job_id, type, EXTRACT(EPOCH FROM at)::float AS at "
                    "FROM procrastinate_events ORDER BY at, id"
                )
            )
            started: dict[int, float] = {}
            found = []
            for row in rows:
                if row.type == "started":
                    started[row.job_id] = row.at
                elif row.type in ("succeeded", "failed", "deferred_for_retry"):
                    found.append((started.pop(row.job_id), row.at))
            return sorted(found)
    finally:
        store.close()


def test_scheduled_sync_jobs_on_two_workers_store_what_the_in_process_sync_stores(
    tmp_path: Path, database_url: str
) -> None:
    us, us_key, token, released = nodes(tmp_path, database_url, "mx-in-process")
    mx, alone = tmp_path / "mx", tmp_path / "mx-in-process"
    with serving(us, free_port()) as us_url:
        register_us(mx, us_url, us_key, token)
        register_us(alone, us_url, us_key, token)
        cli("sync", "US", "--node", str(alone))  # in process, as without workers
        with ExitStack() as stack:
            workers = [stack.enter_context(working(mx, f"worker-{n}")) for n in (1, 2)]
            stack.enter_context(serving(mx, free_port(), "--sync-every", "0.5", "--workers"))
            timing.wait_until(
                lambda: counts(mx, "US")[0] >= released,
                what="the workers to sync MX from US",
                timeout=30,
                interval=0.2,
                detail=lambda: (tmp_path / "worker-1.log").read_text(),
            )
            assert all(worker.poll() is None for worker in workers)
    assert received(mx) == received(alone)
    assert len(received(mx)) == released
    assert counts(mx, "US") == counts(alone, "US")
    # A job per period (none deferred while one waited), each run once, successfully, and
    # never two at once for the partner, though two workers were taking jobs.
    assert set(sync_jobs(database_url)) == {("succeeded", 1)}
    periods = runs(database_url)
    assert len(periods) == len(sync_jobs(database_url))
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(periods))


def _slow(seconds: float) -> Tamper:
    def tamper(answer: Answer, _seen: Seen) -> Answer:
        time.sleep(seconds)
        return answer

    return tamper


def test_a_worker_killed_mid_job_loses_nothing_and_stores_each_record_once(
    tmp_path: Path, database_url: str
) -> None:
    us, us_key, token, released = nodes(tmp_path, database_url)
    mx = tmp_path / "mx"
    with serving(us, free_port()) as us_url, TamperingProxy(us_url) as proxy:
        # A slow partner: each page of objects takes a while, so the job is caught mid-way.
        proxy.tamper("/objects/", _slow(0.5))
        register_us(mx, proxy.url, us_key, token)
        app = job_queue(database_url)
        with app.open():
            assert defer_sync(app, "US", page_size=4)
            assert not defer_sync(app, "US", page_size=4)  # one waiting per partner
        with working(mx, "worker-1") as first:
            timing.wait_until(
                lambda: 0 < counts(mx, "US")[0] < released,
                what="the first worker to store some pages, not all",
                timeout=30,
                interval=0.05,
                detail=lambda: (tmp_path / "worker-1.log").read_text(),
            )
            with working(mx, "worker-2"):
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=timing.timeout(10))
                stored_when_killed = counts(mx, "US")[0]
                timing.wait_until(
                    lambda: counts(mx, "US")[0] >= released,
                    what="the second worker to finish the killed worker's job",
                    timeout=30,
                    interval=0.2,
                    detail=lambda: (tmp_path / "worker-2.log").read_text(),
                )
        second_log = (tmp_path / "worker-2.log").read_text()
    assert stored_when_killed < released
    assert "queued again" in second_log
    # One job, its first attempt cut short, its second successful.
    assert sync_jobs(database_url) == [("succeeded", 2)]
    assert len(received(mx)) == released
    received_count, signatures, _ = counts(mx, "US")  # also verifies the audit log
    assert received_count == signatures == released
