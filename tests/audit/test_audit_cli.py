"""`enlace audit verify`, `show`, `prove` and `check-proof` as a security officer and an
auditor run them."""

from __future__ import annotations

import base64
import copy
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from enlace.node.config import DATABASE_NAME
from enlace.node.setup import open_node
from support import timing
from support.audit_nodes import Node

pytestmark = pytest.mark.e2e


def _enlace(*args: str, cwd: Path, without_node: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    if without_node:  # an auditor's machine: no node folder named anywhere
        env.pop("ENLACE_NODE", None)
    return subprocess.run(
        [sys.executable, "-m", "enlace", *args],
        cwd=cwd,
        env=env,
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


# --- prove and check-proof: a proof made on the node, checked where there is none ---------


def _witness(folder: Path) -> Node:
    """The node in `folder` given entries and a countersignature of US at size 7, then one
    entry more (8), opened in the test."""
    _config, store = open_node(folder)
    opened = Node(folder=folder, store=store, partners={})
    opened.append(5)
    opened.add_partner("US")
    opened.countersign("US")
    opened.append(1)
    return opened


@pytest.fixture(scope="module")
def witnessed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """One witnessed node for the tests that only read it."""
    folder = tmp_path_factory.mktemp("witnessed") / "mx"
    made = _enlace("init", "--party", "MX", "--node", str(folder), cwd=folder.parent)
    assert made.returncode == 0, made.stderr
    opened = _witness(folder)
    try:
        yield opened
    finally:
        opened.store.close()


@pytest.fixture(scope="module")
def proof_of_4(witnessed: Node) -> dict[str, Any]:
    """What 'enlace audit prove 4' prints on the witnessed node."""
    made = _enlace("audit", "prove", "4", "--node", str(witnessed.folder), cwd=witnessed.folder)
    assert made.returncode == 0, made.stderr
    document: dict[str, Any] = json.loads(made.stdout)
    return document


def test_a_proof_made_on_the_node_checks_on_a_machine_with_no_node(
    witnessed: Node, tmp_path: Path
) -> None:
    proof_file = tmp_path / "entry-4.json"
    made = _enlace(
        "audit", "prove", "4", "--out", str(proof_file), "--node", str(witnessed.folder),
        cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert made.stdout == ""
    assert made.stderr.startswith(f"written to {proof_file}: proof of audit entry 4 in the ")
    assert "checkpoint of size 7, countersigned by US (enlace-witness/US/" in made.stderr
    auditor = tmp_path / "auditor"  # no node here, none named, none in the environment
    auditor.mkdir()
    checked = _enlace(
        "audit", "check-proof", str(proof_file),
        "--key", witnessed.log_key_hex, "--witness-key", witnessed.witness_key_hex("US"),
        cwd=auditor, without_node=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == ""
    lines = checked.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:6]] == [
        "ok     entry", "ok     leaf index", "ok     checkpoint size", "ok     inclusion",
        "ok     log signature", "ok     witness enlace-witness/US/" + witnessed.witness_key_hex("US")[:16],
    ]  # fmt: skip
    assert lines[6].startswith("proof holds: entry 4 is in the log enlace-audit/MX/")
    assert lines[6].endswith(
        "at size 7, countersigned by enlace-witness/US/" + witnessed.witness_key_hex("US")[:16]
    )


def test_prove_prints_the_proof_and_says_when_it_is_not_countersigned_yet(
    witnessed: Node, tmp_path: Path
) -> None:
    made = _enlace("audit", "prove", "8", "--node", str(witnessed.folder), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["tree_size"] == 8
    assert "signed by this node alone: NOT countersigned yet" in made.stderr
    proof_file = tmp_path / "p.json"
    proof_file.write_text(made.stdout)
    checked = _enlace(
        "audit", "check-proof", str(proof_file), "--key", witnessed.log_key_hex,
        cwd=tmp_path, without_node=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "NOT countersigned: the checkpoint is signed by the log alone" in checked.stdout


def _edited(document: dict[str, Any]) -> None:
    document["entry"]["subject"] = "vehicle--forged"


def _hash_changed(document: dict[str, Any]) -> None:
    document["inclusion_proof"][0] = base64.b64encode(b"\x00" * 32).decode()


def _size_changed(document: dict[str, Any]) -> None:
    document["tree_size"] = 8


@pytest.mark.parametrize(
    ("change", "key", "failed"),
    [
        (_edited, "log", ["entry", "inclusion"]),
        (_hash_changed, "log", ["inclusion"]),
        # The same hashes prove a leaf under a root whatever size is claimed: the size
        # check is what binds the proof to the checkpoint's size.
        (_size_changed, "log", ["checkpoint size"]),
        (None, "other", ["log signature"]),
        (None, "other-witness", ["witness"]),
    ],
)
def test_check_proof_fails_a_changed_proof_or_a_wrong_key_with_exit_1(
    witnessed: Node,
    proof_of_4: dict[str, Any],
    tmp_path: Path,
    change: Callable[[dict[str, Any]], None] | None,
    key: str,
    failed: list[str],
) -> None:
    document = copy.deepcopy(proof_of_4)
    if change is not None:
        change(document)
    proof_file = tmp_path / "p.json"
    proof_file.write_text(json.dumps(document))
    stranger = bytes(SigningKey.generate().verify_key).hex()
    log_key = stranger if key == "other" else witnessed.log_key_hex
    witness_key = stranger if key == "other-witness" else witnessed.witness_key_hex("US")
    checked = _enlace(
        "audit", "check-proof", str(proof_file), "--key", log_key, "--witness-key", witness_key,
        cwd=tmp_path, without_node=True,
    )  # fmt: skip
    assert checked.returncode == 1
    assert "Traceback" not in checked.stderr
    named = [line[len("FAILED ") :].split(":")[0] for line in checked.stderr.splitlines()[:-1]]
    assert [name.split(" ")[0] if name.startswith("witness") else name for name in named] == failed
    assert checked.stderr.splitlines()[-1] == (
        f"error: the proof of entry 4 does not hold ({len(failed)} check(s) failed)"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"format": ', "error: the proof file is not JSON: line 1 column 12: Expecting value"),
        (b"{}" + b" " * (1024 * 1024), "error: the proof file is larger than 1048576 bytes"),
        (None, "error: the proof's 'inclusion_proof' has 65 hashes; a proof has at most 64"),
    ],
)
def test_check_proof_refuses_a_malformed_file_in_one_line(
    witnessed: Node, proof_of_4: dict[str, Any], tmp_path: Path, content: bytes | None, message: str
) -> None:
    if content is None:
        document = copy.deepcopy(proof_of_4)
        document["inclusion_proof"] = [document["inclusion_proof"][0]] * 65
        content = json.dumps(document).encode()
    proof_file = tmp_path / "p.json"
    proof_file.write_bytes(content)
    checked = _enlace(
        "audit", "check-proof", str(proof_file), "--key", witnessed.log_key_hex,
        cwd=tmp_path, without_node=True,
    )  # fmt: skip
    assert checked.returncode == 1
    assert checked.stdout == ""
    (line,) = checked.stderr.splitlines()
    assert line.startswith(message)


def test_prove_an_entry_the_log_does_not_hold_is_one_clear_message(node: Path) -> None:
    result = _enlace("audit", "prove", "99", "--node", str(node), cwd=node.parent)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: there is no audit entry 99: the log of this node holds entries 1 to 2\n"
    )


def test_verify_reports_the_countersignatures_and_a_forged_one(node: Path) -> None:
    folder = node
    _witness(folder).store.close()
    intact = _enlace("audit", "verify", "--node", str(folder), cwd=folder.parent)
    assert intact.returncode == 0, intact.stderr
    assert "audit tree holds: the stored tree is the tree of the 8 entry hashes" in intact.stdout
    assert "countersignatures hold: 1 from US; the newest is for 7 entries" in intact.stdout
    with closing(sqlite3.connect(folder / DATABASE_NAME)) as db, db:
        # Forged in place of the partner's line: the stored cosignature no longer verifies.
        (note,) = db.execute("SELECT note FROM audit_cosignatures").fetchone()
        line = note.splitlines()[-1]
        blob = line.split(" ")[2]
        forged = base64.b64encode(base64.b64decode(blob)[:-1] + b"\x00").decode()
        db.execute("UPDATE audit_cosignatures SET note = ?", (note.replace(blob, forged),))
    result = _enlace("audit", "verify", "--node", str(folder), cwd=folder.parent)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "audit log intact: 8 entries" in result.stdout
    assert result.stderr == (
        "error: countersignature: the countersignature of US at size 7 does not verify with "
        "the key registered for US: it is forged or altered, or US's key was replaced since\n"
    )
