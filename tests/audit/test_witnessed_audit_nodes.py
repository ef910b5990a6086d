"""Witnessed audit between real nodes (issue 13): `enlace serve` processes on loopback, syncing
with `enlace sync`; one node's operator rewrites its audit log with full database access —
recomputing the chain and rebuilding the tree, as a careful forger would — and its partner
detects it at the next sync, whichever of them pulls. Both keep the evidence."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.node.keys import public_key_hex
from enlace.node.setup import open_node
from enlace.store.repositories.audit import GENESIS_HASH, entry_hash
from enlace.store.repositories.witness import AuditAlert
from support import timing
from support.nodes import cli, enlace, free_port, serving

pytestmark = pytest.mark.e2e

Entry = dict[str, Any]  # at, actor, action, subject, detail


def make_nodes(
    tmp_path: Path, parties: Sequence[str], urls: dict[str, dict[str, str]]
) -> dict[str, Path]:
    """Node folders for `parties`, registered pairwise; `urls[here][there]` is the URL at
    which `here` reaches `there`."""
    dirs = {p: tmp_path / p.lower() for p in parties}
    keys = {}
    for party in parties:
        cli("init", "--party", party, "--node", str(dirs[party]))
        keys[party] = public_key_hex(dirs[party] / "keys")
    for here, there in itertools.permutations(parties, 2):
        cli("partner", "add", "--party", there, "--url", urls[here][there], "--key", keys[there],
            "--node", str(dirs[here]))  # fmt: skip
    for server, puller in itertools.permutations(parties, 2):
        invite = tmp_path / f"{puller}-pulls-{server}.token"
        cli("partner", "invite", "--party", puller, "--token-out", str(invite),
            "--node", str(dirs[server]))  # fmt: skip
        cli("partner", "add", "--party", server, "--url", urls[puller][server],
            "--key", keys[server], "--outbound-token-file", str(invite),
            "--node", str(dirs[puller]))  # fmt: skip
    return dirs


def sync(puller: Path, server: str) -> str:
    """`enlace sync SERVER` on the node `puller`; its whole output (stdout and stderr)."""
    result = CliRunner().invoke(build_app(), ["sync", server, "--node", str(puller)])
    assert result.exit_code == 0, result.output
    return result.output


def alerts(node: Path) -> list[AuditAlert]:
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            return uow.witness.alerts(limit=100)
    finally:
        store.close()


def cosigned_sizes(node: Path, partner: str) -> tuple[int | None, int | None]:
    """(the largest checkpoint of `node` that `partner` countersigned, the largest checkpoint
    of `partner` that `node` countersigned)."""
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            mine = uow.witness.latest_cosigned(partner)
            theirs = uow.witness.latest_witnessed(partner)
            return (mine.size if mine else None, theirs.size if theirs else None)
    finally:
        store.close()


def rewrite_log(node: Path, change: Callable[[list[Entry]], list[Entry]]) -> None:
    """What an operator with write access to the database can do: change the entries, then
    recompute every hash of the chain and rebuild the Merkle tree from scratch, so that the
    node's own `audit verify` finds nothing wrong."""
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            entries = [
                {"at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject,
                 "detail": e.detail}
                for e in uow.audit.entries()
            ]  # fmt: skip
            changed = change(entries)
            uow.connection.execute(text("DELETE FROM audit_log"))
            prev = GENESIS_HASH
            for seq, entry in enumerate(changed, start=1):
                digest = entry_hash(seq=seq, prev_hash=prev, **entry)
                uow.connection.execute(
                    text(
                        "INSERT INTO audit_log VALUES (:seq, :at, :actor, :action, :subject, "
                        ":detail, :prev, :hash)"
                    ),
                    {**entry, "seq": seq, "prev": prev, "hash": digest,
                     "detail": None if entry["detail"] is None else _json(entry["detail"])},
                )  # fmt: skip
                prev = digest
            uow.audit_tree.rebuild()
            assert uow.audit.verify().ok  # the node's own check is satisfied
            assert uow.audit_tree.check().ok
            uow.commit()
    finally:
        store.close()


def _json(value: Any) -> str:
    from enlace.canonical import canonical_json

    return canonical_json(value).decode("utf-8")


def forged(n: int, tag: str) -> list[Entry]:
    return [
        {"at": "2026-12-01T10:00:00.000000Z", "actor": "cli", "action": "import",
         "subject": f"{tag}-{i}.csv", "detail": {"rows": i}}
        for i in range(n)
    ]  # fmt: skip


def edit_one(entries: list[Entry]) -> list[Entry]:
    entries[3] = {**entries[3], "subject": "nothing-happened-here"}
    return entries


def delete_newest(entries: list[Entry]) -> list[Entry]:
    return entries[:-6]


def rewrite_from_middle(entries: list[Entry]) -> list[Entry]:
    half = len(entries) // 2
    return entries[:half] + forged(len(entries), "middle")


def insert_forged(entries: list[Entry]) -> list[Entry]:
    return entries[:5] + forged(1, "inserted") + entries[5:]


def replace_whole(entries: list[Entry]) -> list[Entry]:
    return forged(len(entries) + 40, "replaced")


@contextmanager
def two_nodes(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """MX and US, registered both ways, serving; each has pulled from the other once, so
    each holds a checkpoint of the other that it countersigned."""
    ports = {"MX": free_port(), "US": free_port()}
    urls = {here: {there: f"http://127.0.0.1:{ports[there]}" for there in ports} for here in ports}
    dirs = make_nodes(tmp_path, ["MX", "US"], urls)
    with serving(dirs["MX"], ports["MX"]), serving(dirs["US"], ports["US"]):
        assert "countersigned" in sync(dirs["US"], "MX")
        assert "countersigned" in sync(dirs["MX"], "US")
        assert alerts(dirs["MX"]) == alerts(dirs["US"]) == []
        yield dirs


TAMPERING = {
    "an entry edited and the chain rehashed": (edit_one, {"inconsistent", "rewritten"}),
    "the newest entries deleted": (delete_newest, {"truncated"}),
    "the chain rewritten from the middle": (rewrite_from_middle, {"inconsistent"}),
    "a forged entry inserted and everything rehashed": (insert_forged, {"inconsistent"}),
    "the whole log replaced": (replace_whole, {"inconsistent"}),
}


# Each tampering caught when the witness pulls from the forger; one also the other way round
# (the forger pulls, and sends its rewritten checkpoint to be countersigned).
CASES = [pytest.param(t, "US", id=f"{t} (US pulls)") for t in TAMPERING] + [
    pytest.param("an entry edited and the chain rehashed", "MX", id="edited (MX pulls)"),
    pytest.param("the whole log replaced", "MX", id="replaced (MX pulls)"),
]


@pytest.mark.parametrize(("tampering", "puller"), CASES)
def test_a_rewritten_log_is_caught_by_the_partner_at_the_next_sync(
    tmp_path: Path, tampering: str, puller: str
) -> None:
    change, kinds = TAMPERING[tampering]
    with two_nodes(tmp_path) as dirs:
        countersigned, _ = cosigned_sizes(dirs["MX"], "US")
        assert countersigned is not None
        rewrite_log(dirs["MX"], change)
        # The forger's own check passes on the chain and tree it rebuilt, but asking the
        # partner what it countersigned shows the rewrite before any sync.
        asked = CliRunner().invoke(
            build_app(), ["audit", "verify", "--against-partner", "US", "--node", str(dirs["MX"])]
        )
        assert asked.exit_code == 1, asked.output
        assert "REWRITTEN" in asked.output or "were deleted" in asked.output
        other = "MX" if puller == "US" else "US"
        said = sync(dirs[puller], other)
        assert "AUDIT ALERT" in said
        # The witness (US) keeps the evidence, naming MX's log ...
        (found,) = [a for a in alerts(dirs["US"]) if a.party == "MX"]
        assert found.kind in kinds, found.message
        assert found.reporter == "US"
        assert "MX" in found.message
        assert "checkpoint" in found.evidence
        # ... and MX, refused, keeps it too: it cannot say it was not told.
        (told,) = [a for a in alerts(dirs["MX"]) if a.kind == "refused-by-partner"]
        assert (told.party, told.reporter) == ("MX", "US")
        assert found.kind in told.message


def test_entries_written_after_the_last_countersigned_size_and_deleted_before_the_next_sync_go_unseen(
    tmp_path: Path,
) -> None:
    # What witnessing cannot see, pinned: the entries after the size US last countersigned
    # were never shown to US, so deleting them (the log stays a prefix-consistent extension
    # of what US holds) passes.
    with two_nodes(tmp_path) as dirs:
        countersigned, _ = cosigned_sizes(dirs["MX"], "US")
        assert countersigned is not None
        _, store = open_node(dirs["MX"])
        try:
            with store.unit_of_work() as uow:
                for n in range(5):
                    uow.audit.append(actor="cli", action="import", subject=f"secret-{n}.csv")
                uow.commit()
                size = uow.audit_tree.size()
        finally:
            store.close()
        rewrite_log(dirs["MX"], lambda entries: entries[:countersigned])
        asked = cli("audit", "verify", "--against-partner", "US", "--node", str(dirs["MX"]))
        assert "consistent" in asked
        said = sync(dirs["US"], "MX")
        assert "AUDIT ALERT" not in said
        assert alerts(dirs["US"]) == []
        assert size > countersigned


def test_a_node_showing_two_histories_to_two_partners_is_caught_by_them(tmp_path: Path) -> None:
    # MX runs two copies of its node from one fork (same key, same registrations): CA talks
    # to one, US to the other, and each copy's log goes its own way. US and CA, partners of
    # each other, pass on to each other the newest checkpoint of MX they countersigned.
    parties = ["MX", "US", "CA"]
    ports = {p: free_port() for p in parties}
    fork_port = free_port()
    urls = {
        here: {there: f"http://127.0.0.1:{ports[there]}" for there in parties} for here in parties
    }
    urls["US"]["MX"] = f"http://127.0.0.1:{fork_port}"
    dirs = make_nodes(tmp_path, parties, urls)
    fork = tmp_path / "mx-fork"
    shutil.copytree(dirs["MX"], fork)
    with ExitStack() as running:
        for party in parties:
            running.enter_context(serving(dirs[party], ports[party]))
        running.enter_context(serving(fork, fork_port))
        # Each copy's history diverges: one imports a file, the other does not.
        _, store = open_node(fork)
        try:
            with store.unit_of_work() as uow:
                uow.audit.append(actor="cli", action="import", subject="only-us-sees-this.csv")
                uow.commit()
        finally:
            store.close()
        sync(dirs["CA"], "MX")  # CA countersigns the first copy's log
        sync(dirs["US"], "MX")  # US countersigns the fork's log
        assert alerts(dirs["US"]) == alerts(dirs["CA"]) == []
        sync(dirs["US"], "CA")  # they pass MX's checkpoints on to each other
        sync(dirs["CA"], "US")
        # At the next sync with MX (or already, if the sizes were equal), each finds that MX
        # cannot show its log as an extension of what the other countersigned.
        sync(dirs["US"], "MX")
        sync(dirs["CA"], "MX")
        for witness in ("US", "CA"):
            found = [a for a in alerts(dirs[witness]) if a.party == "MX"]
            assert found, f"{witness} did not catch MX's split view"
            assert {a.kind for a in found} == {"split-view"}
            assert all("different histories" in a.message for a in found)


def test_a_proof_countersigned_at_a_real_sync_checks_on_a_machine_with_no_node(
    tmp_path: Path,
) -> None:
    # MX proves an entry of its log with the checkpoint US countersigned at the sync; an
    # auditor with MX's and US's public keys only, no node anywhere, checks it.
    with two_nodes(tmp_path) as dirs:
        proof_file = tmp_path / "entry-3.json"
        made = enlace("audit", "prove", "3", "--out", str(proof_file), "--node", str(dirs["MX"]))
        assert made.returncode == 0, made.stderr
        assert "countersigned by US" in made.stderr
        auditor = tmp_path / "auditor"
        auditor.mkdir()
        keys = {p: public_key_hex(dirs[p] / "keys") for p in ("MX", "US")}
        checked = subprocess.run(
            [sys.executable, "-m", "enlace", "audit", "check-proof", str(proof_file),
             "--key", keys["MX"], "--witness-key", keys["US"]],
            cwd=auditor, env={k: v for k, v in os.environ.items() if k != "ENLACE_NODE"},
            capture_output=True, text=True, check=False, timeout=timing.timeout(60),
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "FAILED" not in checked.stdout
        assert "witness enlace-witness/US/" in checked.stdout
        # The same file with US's key given as MX's fails: the signature names the signer.
        wrong = subprocess.run(
            [sys.executable, "-m", "enlace", "audit", "check-proof", str(proof_file),
             "--key", keys["US"]],
            cwd=auditor, capture_output=True, text=True, check=False, timeout=timing.timeout(60),
        )  # fmt: skip
        assert wrong.returncode == 1
        assert "FAILED" in wrong.stdout + wrong.stderr
        assert "log signature" in wrong.stdout + wrong.stderr
