"""`enlace audit verify` and `enlace audit show` as a security officer runs them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from enlace.node.config import DATABASE_NAME
from support import timing

pytestmark = pytest.mark.e2e


def _enlace(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "enlace", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
        timeout=timing.timeout(120),
    )


@pytest.fixture
def node(tmp_path: Path) -> Path:
    folder = tmp_path / "mx"
    assert _enlace("init", "--party", "MX", "--node", str(folder), cwd=tmp_path).returncode == 0
    return folder


def test_verify_on_a_fresh_node_passes_and_prints_the_hash_to_record(node: Path) -> None:
    result = _enlace("audit", "verify", "--node", str(node), cwd=node.parent)
    assert result.returncode == 0, result.stderr
    assert "audit log intact: 2 entries; latest entry 2 has hash " in result.stdout
    with closing(sqlite3.connect(node / DATABASE_NAME)) as db, db:
        (head,) = db.execute("SELECT entry_hash FROM audit_log WHERE seq = 2").fetchone()
    assert head in result.stdout
    assert "record this hash outside node MX" in result.stdout
    assert result.stderr == ""


def test_verify_after_tampering_fails_naming_the_entry(node: Path) -> None:
    with closing(sqlite3.connect(node / DATABASE_NAME)) as db, db:
        db.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 1")
    result = _enlace("audit", "verify", "--node", str(node), cwd=node.parent)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "audit log TAMPERED at entry 1 (edited): entry 1 was altered" in result.stderr
    assert "intact: 2 entries" not in result.stdout


def test_verify_after_deleting_an_entry_fails_naming_it(node: Path) -> None:
    with closing(sqlite3.connect(node / DATABASE_NAME)) as db, db:
        db.execute("DELETE FROM audit_log WHERE seq = 1")
    result = _enlace("audit", "verify", "--node", str(node), cwd=node.parent)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "entry 1 is missing" in result.stderr


def test_show_lists_the_newest_entries(node: Path) -> None:
    result = _enlace("audit", "show", "--node", str(node), "--limit", "1", cwd=node.parent)
    assert result.returncode == 0, result.stderr
    assert "agencies-added" in result.stdout
    assert "│ init" not in result.stdout
    assert "1 of 2 entries shown" in result.stdout
    everything = _enlace("audit", "show", "--node", str(node), cwd=node.parent)
    assert "init" in everything.stdout
    assert "2 of 2 entries shown" in everything.stdout


def test_audit_on_a_folder_that_is_no_node_is_one_clear_message(tmp_path: Path) -> None:
    result = _enlace("audit", "verify", "--node", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "is not an Enlace node" in result.stderr
