"""`enlace match ...` on real node folders served on loopback: one clear line on refusal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select
from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.cli.demo_matching import run_matching_demo
from enlace.model.markings import Markings
from enlace.model.records import PhoneNumber, derived_id
from enlace.node.setup import open_node
from enlace.store.tables import audit_log
from enlace.store.versions import StoredVersion
from support.exchange import CREATED
from support.matching import served_folders

pytestmark = pytest.mark.e2e

TO_MX = Markings.build(tlp="amber", releasable_to="MX US", handling="H2", evaluation="B2")
NUMBERS = ["+525512345678", "+525598765432", "+12025550123", "+13055550199"]


def phone(number: str, party: str) -> PhoneNumber:
    """A phone-number record of `party` (each party's record has its own id)."""
    return PhoneNumber.from_values(
        id=derived_id("enlace-phone-number", f"match-cli-{party}", number),
        owner=party,
        markings=TO_MX,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"number": number},
    )


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.output


@pytest.fixture
def folders(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """MX and US node folders, each served on loopback, registered with each other, each
    holding phone numbers of its own (two of them shared)."""
    with served_folders(tmp_path) as served:
        for party, node in served.items():
            numbers = NUMBERS[:3] if party == "MX" else NUMBERS[1:]
            with node.store.unit_of_work() as uow:
                uow.records.add(
                    [StoredVersion.of(phone(n, party)) for n in numbers],
                    added_at=uow.started_at,
                )
                uow.commit()
        yield {party: node.folder for party, node in served.items()}


def test_match_cli_refuses_in_one_line_then_matches_within_the_agreement(
    folders: dict[str, Path],
) -> None:
    mx, us = (["--node", str(folders[p])] for p in ("MX", "US"))
    code, out = cli("match", "run", "US", "--kind", "phone", *mx)
    assert code == 1
    assert out.strip() == (
        "error: US refused to match phone: no matching agreement with MX covers kind 'phone' "
        "(HTTP 403)"
    )
    code, out = cli(
        "match", "agreement", "set", "MX", "--kind", "phone", "--max-set-size", "2", *us
    )
    assert code == 0, out
    # A refused kind does not stop the others; each refusal is one line, and the exit is 1.
    code, out = cli("match", "run", "US", "--kind", "phone", "--kind", "vin", *mx)
    assert code == 1
    assert "Traceback" not in out
    assert out.splitlines() == [
        "vin: no vin identifiers of our own to match",
        "error: US refused to match phone: a set of 3 phone identifiers is larger than the "
        "agreement's cap of 2 per run (HTTP 413)",
    ]
    code, out = cli(
        "match", "agreement", "set", "MX", "--kind", "phone", "--kind", "vin",
        "--max-set-size", "10", "--runs-per-day", "3", *us,
    )  # fmt: skip
    assert code == 0, out
    code, out = cli("match", "agreement", "list", *us)
    assert "phone" in out
    assert "vin" in out
    code, out = cli("match", "run", "US", "--kind", "phone", "--kind", "vin", *mx)
    assert code == 0, out
    assert "phone: 2 shared identifier(s) out of our 3 and US's 3; 2 record link(s), 2 new" in out
    assert "vin: no vin identifiers of our own to match" in out
    handles = re.findall(r"US handle ([0-9a-f]{16})", out)
    assert len(handles) == 2
    code, out = cli("match", "list", *mx)
    assert "2 match(es)" in out
    code, out = cli("match", "hits", *us)
    assert "2 hit notice(s)" in out
    code, out = cli("match", "disclose", "US", handles[0], "--reason", "caso 7", *mx)
    assert code == 0, out
    assert "their request 1" in out
    code, out = cli("match", "requests", *us)
    assert "1 request(s)" in out
    assert "caso 7" in out
    code, out = cli("match", "requests", "--refresh", *mx)
    assert code == 0, out
    assert "US: no decision yet on this node's pending request(s)" in out
    code, out = cli("match", "refuse", "1", "--reason", "x" * 2001, *us)
    assert code == 1
    assert out.strip() == "error: the reason is 2,001 characters long; at most 2,000, please"
    code, out = cli("match", "refuse", "1", "--reason", "investigación abierta", *us)
    assert code == 0, out
    code, out = cli("match", "approve", "1", *us)
    assert code == 1
    assert out.strip() == "error: disclosure request 1 is already refused"
    # The requester learns the decision, and the owner's reason, when it asks.
    code, out = cli("match", "requests", "--refresh", "--all", *mx)
    assert code == 0, out
    assert f"US refused request 1 (handle {handles[0]}): their reason: investigación abierta" in out
    assert re.search(r"outgoing .* US .* refused", out)
    code, out = cli("match", "disclose", "US", handles[1], *mx)
    assert code == 0, out
    code, out = cli("match", "approve", "2", *us)
    assert code == 0, out
    code, out = cli("match", "requests", "--refresh", *mx)
    assert code == 0, out
    assert (
        f"US approved request 2 (handle {handles[1]}): the record arrives by 'enlace sync US'"
        in out
    )
    _, store = open_node(folders["MX"])
    try:
        with store.unit_of_work() as uow:
            outcomes = uow.connection.execute(
                select(audit_log.c.detail).where(audit_log.c.action == "disclosure-outcome")
            ).all()
    finally:
        store.close()
    assert len(outcomes) == 2


def test_match_partner_is_short_for_match_run(folders: dict[str, Path]) -> None:
    mx, us = (["--node", str(folders[p])] for p in ("MX", "US"))
    code, out = cli(
        "match", "agreement", "set", "MX", "--kind", "phone", "--max-set-size", "10", *us
    )
    assert code == 0, out
    code, out = cli("match", "US", "--kind", "phone", *mx)
    assert code == 0, out
    assert "phone: 2 shared identifier(s) out of our 3 and US's 3; 2 record link(s), 2 new" in out
    code, out = cli("match", "list", *mx)
    assert "2 match(es)" in out


def test_match_cli_names_the_kinds_it_knows(folders: dict[str, Path]) -> None:
    code, out = cli("match", "run", "US", "--kind", "shoe", "--node", str(folders["MX"]))
    assert code == 1
    assert out.strip() == (
        "error: unknown identifier kind 'shoe': expected one of firearm, vin, plate, phone, "
        "curp, org-name, rfc, person, organisation"
    )


def test_matching_demo_prints_what_each_side_found_and_learned(folders: dict[str, Path]) -> None:
    console = Console(record=True, width=200)
    run_matching_demo(folders, console)
    out = console.export_text()
    assert "MX matches with US (private set intersection)" in out
    assert "US matches with MX (private set intersection)" in out
    assert re.search(r"phone\s*\W\s*3\s*\W\s*3\s*\W\s*2\s*\W\s*2", out), out
    assert "MX learned: US's set size per kind" in out
    assert "US learned: MX's set size per kind and which of its own records matched" in out
    assert "hit notices (avisos de coincidencia) for their owners in total: phone 2" in out
    assert "US approves: enlace-phone-number--" in out
    assert "released to MX" in out
    assert "MX syncs from US: sync from US: 1 page(s), 1 version(s) received" in out


def test_agreement_modes_are_set_listed_and_run_from_the_command_line(
    folders: dict[str, Path],
) -> None:
    mx, us = (["--node", str(folders[p])] for p in ("MX", "US"))
    agreement = ["match", "agreement", "set", "MX", "--kind", "phone", "--max-set-size", "10"]
    agreement += ["--runs-per-day", "5"]
    code, out = cli(*agreement, "--mode", "bogus", *us)
    assert code == 1
    assert out.strip() == (
        "error: unknown matching mode 'bogus': expected one of links, count, threshold"
    )
    code, out = cli(*agreement, "--mode", "threshold", *us)
    assert code == 1
    assert out.strip() == (
        "error: threshold mode needs --threshold K: the least shared identifiers for links"
    )
    code, out = cli(*agreement, "--mode", "count", *us)
    assert code == 0, out
    assert out.strip().endswith("; count only (the partner learns how many, not which)")
    code, out = cli("match", "agreement", "list", *us)
    assert re.search(r"MX\s*│\s*phone\s*│\s*count\s*│", out), out
    code, out = cli("match", "run", "US", "--kind", "phone", *mx)
    assert code == 0, out
    assert out.strip() == "phone: US holds 2 of our 3 phone identifiers (count only, by agreement)"
    code, out = cli("match", "run", "US", "--kind", "phone", "--accept", "links", *mx)
    assert code == 1
    assert out.strip() == (
        "error: US answers phone in count mode, which this run does not accept (accepted: "
        "links); nothing was sent"
    )
    code, out = cli(*agreement, "--mode", "threshold", "--threshold", "3", *us)
    assert code == 0, out
    code, out = cli("match", "agreement", "list", *us)
    assert re.search(r"│\s*threshold 3\s*│", out), out
    code, out = cli("match", "US", "--kind", "phone", *mx)
    assert code == 0, out
    assert out.strip() == (
        "phone: US holds fewer than 3 of our 3 phone identifiers (threshold 3, by agreement): "
        "no links"
    )
