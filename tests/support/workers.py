"""`enlace worker` subprocesses of a node, for the end-to-end tests of jobs (issue 19)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from enlace.store.store import Store
from support import timing

# Short heartbeats and stall timeout, so that a killed worker's job is back within seconds.
WORKER_OPTIONS = ("--heartbeat-every", "0.5", "--stalled-after", "3", "--poll-every", "0.5")


@contextmanager
def working(node: Path, name: str, *, stop_within: float = 20) -> Iterator[subprocess.Popen[bytes]]:
    """`enlace worker` of `node` in a subprocess, logging to `<name>.log`; SIGTERM at the
    end (unless the test killed it), which it must obey within `stop_within` seconds (scaled
    like every test timeout) with exit status 0."""
    log = node.parent / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "enlace", "worker", "--node", str(node), *WORKER_OPTIONS],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=timing.timeout(stop_within))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail(f"enlace worker did not stop on SIGTERM: {log.read_text()}")
            assert code == 0, log.read_text()


def jobs(database: str, task: str) -> list[tuple[str, int]]:
    """(status, attempts) of each job of `task` on the node's queue, oldest first."""
    store = Store.open(database, migrate=False)
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT status, attempts FROM procrastinate_jobs WHERE task_name = :task "
                    "ORDER BY id"
                ),
                {"task": task},
            )
            return [(str(r.status), int(r.attempts)) for r in rows]
    finally:
        store.close()


def blocked_on(database: str, table: str) -> bool:
    """Whether a session of the node's database waits for a lock, in a statement on `table`:
    a worker held mid-job by a lock the test took, so that a kill lands inside the job."""
    store = Store.open(database, migrate=False)
    try:
        with store.engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query ILIKE :statement"
                ),
                {"statement": f"%{table}%"},
            )
            return int(found.scalar_one()) > 0
    finally:
        store.close()
