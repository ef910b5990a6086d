"""`enlace status`: what the node holds; per partner, what of its releases is not held and
how far each side countersigned the other's audit log; the alerts witnessing raised."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enlace.cli import node_commands
from enlace.cli.app import build_app
from enlace.node.setup import initialise_node, open_node
from enlace.store.engine import sqlite_url
from enlace.store.repositories.witness import Cosigned, Witnessed
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


# --- issue 13: audit-log witnessing and its alerts ---------------------------------------

# A partner's text as an alert may quote it: terminal controls, a bidi override, rich markup
# and HTML, none of which may act on the officer's terminal.
HOSTILE = (
    "\x1b[2J\x1b[31mborrado\x1b[0m [bold red]FORGED[/] \u202etxt.exe\u202c\x9b2J\x7f "
    "<script>alert(1)</script>\r\nerror: forged line"
)
AT = "2026-12-03T04:53:58.123456Z"


def witnessing_node(tmp_path: Path, *partners: str) -> Path:
    """A node made with `enlace init`, with `partners` registered (no sync yet)."""
    folder = tmp_path / "mx"
    code, out = run("init", "--party", "MX", "--node", str(folder))
    assert code == 0, out
    _, store = open_node(folder)
    try:
        with store.unit_of_work() as uow:
            for party in partners:
                uow.partners.put(
                    party=party,
                    url=f"http://{party.lower()}.invalid",
                    verify_key_hex="11" * 32,
                    token_hash=f"{party}-token".ljust(64, "0"),
                    added_at=uow.started_at,
                )
            uow.commit()
    finally:
        store.close()
    return folder


def raise_alerts(folder: Path, alerts: list[tuple[str, str, str]]) -> None:
    """Raise (kind, party, message) alerts, oldest first, as witnessing does."""
    _, store = open_node(folder)
    try:
        with store.unit_of_work() as uow:
            for n, (kind, party, message) in enumerate(alerts):
                uow.witness.raise_alert(
                    party=party,
                    reporter="US" if party == "MX" else "MX",
                    kind=kind,
                    message=message,
                    evidence={"n": n, "root": "ab" * 32, "quoted": message},
                    at=f"2026-12-0{1 + n % 3}T0{n}:00:00.000000Z",
                )
            uow.commit()
    finally:
        store.close()


def test_status_shows_how_far_each_side_countersigned_and_no_alert_without_alerts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Wide enough that no cell is wrapped (the console is made when its module is imported).
    monkeypatch.setattr(node_commands.console, "width", 200)
    folder = witnessing_node(tmp_path, "US", "CA")
    _, store = open_node(folder)
    try:
        with store.unit_of_work() as uow:
            uow.witness.add_cosigned(Cosigned("US", 1234, "ab" * 32, "note", AT))
            uow.witness.add_cosigned(Cosigned("US", 1500, "cd" * 32, "note", AT))
            uow.witness.add_witnessed(
                Witnessed("US", "US", 987, "ef" * 32, "note", "2026-12-02T01:02:03.000000Z", None)
            )
            uow.commit()
    finally:
        store.close()

    code, out = run("status", "--node", str(folder))

    assert code == 0, out
    assert "Audit log witnessing: newest checkpoint countersigned" in out
    assert re.search(r"US\s*│\s*1,500 entries, 2026-12-03 04:53 UTC\s*│\s*987 entries", out)
    assert re.search(r"CA\s*│\s*not yet\s*│\s*not yet", out)
    assert "ALERT" not in out
    assert "Partner US:" in out  # the rest is still there
    assert "record version(s) stored" in out


def test_status_raises_an_alert_block_with_the_newest_and_partner_text_inert(
    tmp_path: Path,
) -> None:
    folder = witnessing_node(tmp_path, "US")
    raise_alerts(
        folder,
        [
            ("truncated", "US", "oldest: size 40 cosigned, 12 shown"),
            ("inconsistent", "US", "second"),
            ("bad-checkpoint", "US", "third"),
            ("split-view", "US", "fourth"),
            ("refused-by-partner", "MX", f"US said: {HOSTILE}"),
            ("rewritten", "US", "sixth"),
            ("a-kind-from-a-newer-node", "US", "newest"),
        ],
    )

    code, out = run("status", "--node", str(folder))

    assert code == 0, out
    assert (
        "ALERT: 7 audit alert(s): a partner's audit log failed witnessing, or a partner "
        "refused this node's checkpoint. Newest first:"
    ) in out
    assert "a-kind-from-a-newer-node  (log of US, found by MX)" in out
    assert "rewritten: a size already countersigned now has another root" in out
    assert "refused by the partner: it would not countersign our checkpoint  (log of MX, " in out
    assert "split view: another partner was shown a different history" in out
    assert "bad checkpoint" in out  # the fifth newest
    assert "oldest" not in out
    assert "inconsistent" not in out
    assert "… and 2 older alert(s)" in out
    assert "'enlace audit alerts'" in out
    assert "contact the partner's liaison officer" in out
    # The partner's text: shown, but inert.
    for control in ("\x1b", "\x9b", "\x7f", "\u202e", "\u202c", "\r"):
        assert control not in out
    assert "[bold red]FORGED[/]" in out  # shown as written, not applied
    assert "<script>alert(1)</script>" in out  # plain text on a terminal
    assert "\nerror: forged line" not in out  # its new line cannot start a line of ours


def test_audit_alerts_lists_every_alert_with_its_evidence_spelt_out(tmp_path: Path) -> None:
    folder = witnessing_node(tmp_path, "US")
    code, out = run("audit", "alerts", "--node", str(folder))
    assert code == 0, out
    assert "no audit alert on node MX" in out

    raise_alerts(folder, [("rewritten", "US", f"root changed {HOSTILE}")] * 7)
    code, out = run("audit", "alerts", "--node", str(folder))

    assert code == 0, out
    assert "7 of 7 alerts shown" in out
    assert len(re.findall(r"^alert \d+ · ", out, flags=re.MULTILINE)) == 7
    assert "whose log: US · found by: MX" in out
    assert '"root":"' + "ab" * 32 in out
    assert "\\x1b[2J" in out  # the message's controls spelt out for the auditor
    for control in ("\x1b", "\x9b", "\u202e", "\r"):
        assert control not in out
    code, out = run("audit", "alerts", "--node", str(folder), "--limit", "2")
    assert "2 of 7 alerts shown" in out
