"""`enlace status`: what the node holds and, per partner, what of its releases is not held."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.node.setup import initialise_node, open_node
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from support.parties import Node, lossy_channel, pull, register_all, released


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.output


def test_status_shows_each_partners_sequence_and_warns_of_what_is_not_held(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "us"
    initialise_node(folder, party="US")
    _, us_store = open_node(folder)
    mx_store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    mx, us = Node("MX", mx_store), Node("US", us_store)
    try:
        register_all([mx, us])
        code, out = run("status", "--node", str(folder))
        assert code == 0, out
        assert "not synced yet" in out
        assert "WARNING" not in out
        released(mx, "US", *(f"+52 55 9800 {n:04d}" for n in range(6)))
        tamper, harmed = lossy_channel()
        first = pull(us, mx, tamper=tamper)
        assert set(harmed) == {"dropped", "forged"}
        assert first.not_held == {"bad-signature": 1, "missing": 1}

        code, out = run("status", "--node", str(folder))
        assert code == 0, out
        assert "Partner MX: what it released to this node" in out
        assert "verified up to 6 of 6" in out
        assert re.search(r"not held\s*│\s*2\b", out)
        assert re.search(r"bad-signature\s*│\s*1\b", out)
        assert re.search(r"missing\s*│\s*1\b", out)
        assert (
            "WARNING: 2 item(s) MX released to this node are not held (1 bad-signature, "
            "1 missing): they are asked for again at each sync ('enlace sync MX')"
        ) in out
        assert "actions 'sequence-gap' and 'refusal'" in out

        again = pull(us, mx)  # the channel is clean now: both are fetched again and held
        assert (again.filled, again.not_held_total) == (2, 0)
        code, out = run("status", "--node", str(folder))
        assert code == 0, out
        assert "verified up to 6 of 6" in out
        assert re.search(r"not held\s*│\s*0\b", out)
        assert "WARNING" not in out
    finally:
        mx_store.close()
        us_store.close()
