"""`enlace partner invite`, `partner add --outbound-token-file` and `enlace sync` errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.node.setup import initialise_node, open_node
from enlace.partners.credentials import outbound_token_path, read_outbound_token
from enlace.store.repositories.partners import token_hash

US_KEY_HEX = "ab" * 32


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.output


def test_invite_flow_keeps_tokens_secret(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    public_key = initialise_node(node, party="MX").public_key
    base = ["--node", str(node)]
    invite_file = tmp_path / "for-us.token"
    code, out = run("partner", "invite", "--party", "US", "--token-out", str(invite_file), *base)
    assert code == 1
    assert "not a registered partner" in out
    assert "partner add --party US" in out
    assert not invite_file.exists()
    code, out = run(
        "partner", "add", "--party", "US", "--url", "http://127.0.0.1:1", "--key", US_KEY_HEX,
        *base,
    )  # fmt: skip
    assert code == 0, out
    assert "cannot pull from this node yet" in out
    code, out = run("partner", "invite", "--party", "US", "--token-out", str(invite_file), *base)
    assert code == 0, out
    token = invite_file.read_text().strip()
    assert len(token) >= 32
    assert invite_file.stat().st_mode & 0o777 == 0o600
    assert token not in out
    assert public_key in out
    assert "--party MX" in out
    theirs = tmp_path / "from-us.token"
    theirs.write_text("token-us-gave-us-0123456789\n")
    code, out = run(
        "partner", "add", "--party", "US", "--url", "http://127.0.0.1:1", "--key", US_KEY_HEX,
        "--outbound-token-file", str(theirs), *base,
    )  # fmt: skip
    assert code == 0, out
    assert "token-us-gave-us" not in out
    config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            partner = uow.partners.get("US")
            assert partner is not None
            assert partner.token_hash == token_hash(token)  # kept: no --token-file given
            entries = list(uow.audit.entries())
    finally:
        store.close()
    assert "partner-invited" in [e.action for e in entries]
    logged = " ".join(str(e.detail_json) for e in entries)
    assert token not in logged
    assert "token-us-gave-us" not in logged
    secret = outbound_token_path(config.key_dir, "US")
    assert secret.stat().st_mode & 0o777 == 0o600
    assert secret.parent.stat().st_mode & 0o777 == 0o700
    assert read_outbound_token(config.key_dir, "US") == "token-us-gave-us-0123456789"
    # The partner is registered but not listening: a clear error naming it and the URL.
    code, out = run("sync", "US", *base)
    assert code == 1
    assert "sync from US failed at http://127.0.0.1:1/taxii2/" in out
    assert "Traceback" not in out


def test_sync_without_an_outbound_token_or_partner_says_what_to_do(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    base = ["--node", str(node)]
    code, out = run("sync", "US", *base)
    assert code == 1
    assert "not a registered partner" in out or "no token to present to US" in out
    run(
        "partner", "add", "--party", "US", "--url", "http://127.0.0.1:1", "--key", US_KEY_HEX,
        *base,
    )  # fmt: skip
    code, out = run("sync", "US", *base)
    assert code == 1
    assert "no token to present to US" in out
    assert "--outbound-token-file" in out
    code, out = run("serve", "--sync-every", "0", *base)
    assert code == 1
    assert "--sync-every must be a positive number" in out


def test_workers_are_refused_on_a_sqlite_node(tmp_path: Path) -> None:
    # Refused before anything is opened or bound: the SQLite node runs everything in process.
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    base = ["--node", str(node)]
    # `serve --workers` alone hands the PSI blinding to the workers (issue 19): refused too.
    for args in (
        ["worker"],
        ["serve", "--sync-every", "5", "--workers"],
        ["serve", "--workers"],
        ["match", "run", "US", "--kind", "phone", "--on-workers"],
    ):
        code, out = run(*args, *base)
        assert code == 1, out
        assert "workers need a PostgreSQL node" in out
        assert "Traceback" not in out
    code, out = run("worker", "--heartbeat-every", "60", "--stalled-after", "10", *base)
    assert code == 1
    assert "--heartbeat-every must be shorter than --stalled-after" in out
