"""A large import killed with SIGKILL while it writes leaves the store as it was before."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import psutil
import pytest

from enlace.files.converting import PARALLEL_MIN_BYTES
from enlace.node.setup import initialise_node
from support import timing

pytestmark = pytest.mark.e2e

HEADER = "type,id,agency,tlp,releasable_to,handling,evaluation,number,make,serial\n"


def _large_file(path: Path) -> Path:
    # Large enough for the bulk path (worker processes, rollback journal).
    rows = [HEADER]
    n = 0
    size = len(HEADER)
    while size < PARALLEL_MIN_BYTES + (1 << 20):
        row = f"firearm,,DEFENSA,amber,US,H0,B2,,Colt,SN{n:09d}-A\n"
        rows.append(row)
        size += len(row)
        n += 1
    path.write_text("".join(rows), encoding="utf-8")
    return path


def _count(database: Path) -> tuple[int, str, str]:
    with closing(sqlite3.connect(str(database))) as connection:
        records = connection.execute("SELECT count(*) FROM records").fetchone()[0]
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
    return int(records), str(mode), str(check)


def test_a_bulk_import_killed_midway_writes_nothing_and_can_be_run_again(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    database = node / "enlace.sqlite"
    before, _, _ = _count(database)
    csv_file = _large_file(tmp_path / "firearms.csv")
    rows = csv_file.read_text(encoding="utf-8").count("\n") - 1
    command = [sys.executable, "-m", "enlace", "import", "--node", str(node), str(csv_file)]

    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = database.with_name(database.name + "-journal")
    timing.wait_until(
        lambda: journal.exists() or process.poll() is not None,
        what="the import to write with a rollback journal",
        timeout=60,
        interval=0.01,
    )
    assert journal.exists(), "the import never wrote with a rollback journal"
    # Part of the test: a random moment, somewhere in the middle of the writing.
    time.sleep(random.uniform(0.0, 0.5))
    workers = timing.wait_until(
        lambda: psutil.Process(process.pid).children(recursive=True),
        what="the worker processes a large import converts in",
    )
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=timing.timeout(30))
    assert process.returncode == -signal.SIGKILL
    # Its worker processes notice and leave rather than sleep for ever.
    _, alive = psutil.wait_procs(workers, timeout=timing.timeout(10))
    assert not alive, f"worker processes left behind: {[p.pid for p in alive]}"

    # The next connection rolls the journal back: nothing of the import, a sound store
    # (still marked for a rollback journal until Enlace opens it and puts WAL back).
    assert _count(database) == (before, "delete", "ok")
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=timing.timeout(300), check=False
    )
    assert result.returncode == 0, result.stderr
    assert _count(database) == (before + rows, "wal", "ok")
