"""A partner's text printed on the liaison officer's terminal stays text: no ESC sequence, no
carriage return, no bidi override and no rich markup reaches the screen as such."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enlace.cli import match_commands
from enlace.cli.app import build_app
from enlace.cli.serve_commands import InertFormatter
from enlace.cli.terminal import plain_text, safe_text
from enlace.node.setup import initialise_node, open_node

HOSTILE = "\x1b[2J\x1b[31mborrado\x1b[0m [bold red]FORGED[/] \u202etxt.exe\u202c\x9b2J\x7f"


def test_a_partners_refusal_reason_comes_out_inert_in_match_requests(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Wide enough that no cell is wrapped (the console is made when its module is imported).
    monkeypatch.setattr(match_commands.console, "width", 400)
    node = tmp_path / "mx"
    initialise_node(node, party="MX", database_url=store_url)
    _config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            request = uow.disclosures.add(
                direction="outgoing",
                partner="US",
                handle="ab" * 16,
                record_id=None,
                reason=f"needed for {HOSTILE}",
                at="2026-01-02T03:04:05.000000Z",
                remote_id=7,
            )
            uow.disclosures.decide(
                request, status="refused", at="2026-01-03T00:00:00Z", by="US", reason=HOSTILE
            )
            uow.commit()
    finally:
        store.close()
    result = CliRunner().invoke(
        build_app(), ["match", "requests", "--all", "--node", str(node)], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 0, result.output
    output = result.output
    for control in ("\x1b", "\x9b", "\x7f", "\u202e", "\u202c", "\r"):
        assert control not in output
    assert "[bold red]FORGED[/]" in output  # the markup shown as written, not applied
    assert "borrado" in output


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("\x1b[2J\x1b[31mX", "[2J[31mX"),
        ("a\tb\nc\rd", "a b c d"),
        ("left\u202eright\u2066x\u2069", "leftrightx"),
        ("C1\x85\x9bend", "C1end"),
        ("línea\u2028nueva", "línea nueva"),
        ("Cártel de Sinaloa", "Cártel de Sinaloa"),
    ],
)
def test_plain_text_removes_every_control_and_keeps_the_rest(given: str, shown: str) -> None:
    assert plain_text(given) == shown


def test_safe_text_escapes_rich_markup_and_keeps_lines_only_when_asked() -> None:
    assert safe_text("[bold red]x[/]") == "\\[bold red]x\\[/]"
    assert safe_text("one\ntwo", lines=True) == "one\ntwo"
    assert safe_text("one\ntwo") == "one two"


def test_the_audit_log_spells_controls_out_for_the_auditor() -> None:
    assert safe_text("a\x1b[2Jb\u202e", spelt=True) == "a\\x1b[2Jb\\u202e"


def test_the_servers_log_lines_show_a_partners_text_inert() -> None:
    """`enlace serve` logs why a scheduled sync failed, which the partner may have written:
    its ESC sequences and new lines reach the operator's terminal as nothing and a space."""
    formatter = InertFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord(
        "enlace.sync", logging.ERROR, __file__, 1,
        "scheduled sync from %s failed: %s", ("US", "\x1b[2J\x1b[31mgone\nINFO forged line"),
        None,
    )  # fmt: skip
    line = formatter.format(record)
    assert line == "ERROR scheduled sync from US failed: [2J[31mgone INFO forged line"
    assert "\x1b" not in line
    assert "\n" not in line
