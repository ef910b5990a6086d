"""`enlace partner add|list` and `enlace release` through the command line."""

from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.node.setup import initialise_node, open_node
from enlace.store.versions import StoredVersion
from support.exchange import NATIONAL, US_KEY, US_TOKEN, phone


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.output


def test_partner_add_list_and_release(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    ok, national = phone("+52 55 6000 0001"), phone("+52 55 6000 0002", markings=NATIONAL)
    _, store = open_node(node)
    with store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(ok), StoredVersion.of(national)], added_at=uow.started_at)
        uow.commit()
    store.close()
    token_file = tmp_path / "us.token"
    token_file.write_text(US_TOKEN + "\n")
    key = US_KEY.verify_key.encode().hex()
    base = ["--node", str(node)]
    code, out = run(
        "partner", "add", "--party", "us", "--url", "https://us.example", "--key", key,
        "--token-file", str(token_file), *base,
    )  # fmt: skip
    assert code == 0, out
    assert "partner US added" in out
    code, out = run("partner", "list", *base)
    assert code == 0
    assert "Partners of node MX" in out
    assert "│ US" in out
    code, out = run("release", "--partner", "US", ok.id, *base)
    assert code == 0, out
    assert "1 record version(s) newly released" in out
    code, out = run("release", "--partner", "US", national.id, *base)
    assert code == 1
    assert "national only" in out
    code, out = run("release", "--partner", "US", "--all", *base)
    assert code == 0
    # Only MX's eight agencies remain: 'partner add' made them releasable to US.
    assert "8 record version(s)" in out
    code, out = run("release", "--partner", "CA", "--all", *base)
    assert code == 1
    assert "not a registered partner" in out
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            partner = uow.partners.get("US")
            assert partner is not None
            assert partner.token_hash == hashlib.sha256(US_TOKEN.encode()).hexdigest()
            assert uow.releases.count("US") == 1 + 8
            actions = [e.action for e in uow.audit.entries()]
            assert uow.audit.verify().ok
    finally:
        store.close()
    assert actions.count("release") == 1 + 8
    assert actions.count("release-refused") == 2
    assert "partner-added" in actions
    assert "agencies-shared" in actions
    assert US_TOKEN not in " ".join(actions)


def test_bad_key_and_short_token_are_clear_errors(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    token_file = tmp_path / "t"
    token_file.write_text("short")
    code, out = run(
        "partner", "add", "--party", "US", "--url", "u", "--key", "abc",
        "--token-file", str(token_file), "--node", str(node),
    )  # fmt: skip
    assert code == 1
    assert "not an Ed25519 public key" in out
    code, out = run("release", "--partner", "US", "--node", str(node))
    assert code == 1
    assert "either --all or one or more record ids" in out


def test_revoke_through_the_command_line(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    owned, received = phone("+52 55 6000 0003"), phone("+1 520 555 0100", owner="US")
    _, store = open_node(node)
    with store.unit_of_work() as uow:
        uow.partners.put(
            party="US",
            url="https://us.example",
            verify_key_hex=US_KEY.verify_key.encode().hex(),
            token_hash=hashlib.sha256(US_TOKEN.encode()).hexdigest(),
            added_at=uow.started_at,
        )
        uow.records.add(
            [StoredVersion.of(owned), StoredVersion.of(received, received_from="US")],
            added_at=uow.started_at,
        )
        uow.commit()
    store.close()
    base = ["--node", str(node)]
    assert run("release", "--partner", "US", owned.id, *base)[0] == 0
    code, out = run("revoke", owned.id, *base)
    assert code == 0, out
    assert "revoked" in out
    assert "tombstone (no content) was newly sent to 1 party(ies)" in out
    code, out = run("revoke", received.id, *base)
    assert code == 1
    assert "received from US" in out
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            newest = uow.records.latest(owned.id)
            assert newest is not None
            assert newest.revoked
            assert len(uow.releases.page("US", version="all")) == 1  # the revoked one: not
            assert uow.releases.statement_sent("US", "tombstone", owned.id)  # a tombstone
            actions = [e.action for e in uow.audit.entries()]
    finally:
        store.close()
    assert "revocation" in actions
    assert actions[-1] == "revocation-refused"
