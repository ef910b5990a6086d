"""`enlace demo`, the main job, run for real: two `enlace serve` servers, release, sync."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.cli.report_commands import demo_report
from enlace.node.setup import initialise_node
from enlace.tracking.statistics_csv import CBP_COLUMNS
from support import timing

pytestmark = pytest.mark.e2e


def run_demo(folder: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "enlace", "demo", "--folder", str(folder), "--scale", "300"],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
        timeout=timing.timeout(90),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    return output


def row(output: str, label: str) -> tuple[int, int]:
    """(this run, in total) of a row of the per-node table."""
    found = re.findall(rf"{re.escape(label)}\s*\W\s*(\d+)\s*\W\s*(\d+)", output)
    assert len(found) == 1, (label, output)
    return int(found[0][0]), int(found[0][1])


def served_ports(output: str) -> list[int]:
    ports = [int(p) for p in re.findall(r"serving at http://127\.0\.0\.1:(\d+)/taxii2/", output)]
    assert len(ports) == 2, output
    return ports


def refuses_connections(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(timing.timeout(2))
        return probe.connect_ex(("127.0.0.1", port)) != 0


def assert_deconfliction(output: str) -> None:
    notices = re.findall(
        r"(MX|US) deconfliction notice \(aviso de deconflicción\): operation (\S+) .*contact (.+)",
        output,
    )
    assert [(party, operation) for party, operation, _ in notices] == [
        ("MX", "DEMO-OP-TORMENTA"),
        ("US", "DEMO-HOU-0117"),
    ], output
    assert notices[0][2].startswith("SA John Miller")  # US's contact, told to MX
    assert notices[1][2].startswith("Cmdte. Laura Ríos")  # and MX's, told to US
    assert "MX: operation DEMO-OP-SURESTE got no notice" in output
    assert "US: operation DEMO-SEA-0042 got no notice" in output


def test_demo_exchanges_both_ways_and_runs_again(tmp_path: Path) -> None:
    folder = tmp_path / "demo-nodes"
    first = run_demo(folder)
    for party, partner in (("MX", "US"), ("US", "MX")):
        released = row(first, f"released to {partner}")
        received_by_partner = row(first, f"received from {party}")
        assert released[0] > 0
        assert released == received_by_partner
        assert row(first, f"refused from {partner}") == (0, 0)
        assert re.search(rf"audit verify {party}: intact — audit log intact: \d+ entries", first)
        national_only = re.search(r"kept home: national only[^\d\n]*(\d+)", first)
        assert national_only is not None
        assert int(national_only.group(1)) > 0
        # The synthetic relationships take their source's markings: some name a record the
        # partner may not hold, and are withheld (the reference rule).
        names_withheld = re.search(
            rf"kept home: names a record {partner} may not hold[^\d\n]*(\d+)", first
        )
        assert names_withheld is not None
        assert int(names_withheld.group(1)) > 0
    assert "TAMPERED" not in first
    # The watchlist step: one alert for the watched firearm the US holds, none on a recheck.
    assert "MX watchlist check (first): checked with US: 1 new alert(s)" in first
    assert "MX watchlist check (second): checked with US: 0 new alert(s)" in first
    assert len(re.findall(r"alert \(alerta\) for demo: firearm", first)) == 1
    # The trace step: asked, answered by the US liaison, synced back, closed by MX.
    assert re.search(
        r"MX asks US to trace firearm enlace-firearm--\S+ \(solicitud de rastreo", first
    )
    assert re.search(r"US's liaison answers trace enlace-trace-request--\S+: answered", first)
    assert re.search(r"MX reads the answer: traced, first sold in US-TX, time to crime \d+ ", first)
    assert re.search(r"MX closes trace enlace-trace-request--\S+: closed", first)
    assert re.search(
        r"trace enlace-trace-request--\S+ closed; turnaround \(request to answer\)", first
    )
    # Deconfliction: one notice on each side, naming the other's contact; none for the others.
    assert_deconfliction(first)
    # The pages listed at the end: a record's link graph and the map.
    assert re.search(r"http://127\.0\.0\.1:8000/web/records/enlace-firearm--[\w-]+/graph", first)
    assert "http://127.0.0.1:8000/web/map" in first
    assert all(refuses_connections(port) for port in served_ports(first))
    for node, partner in (("mx", "US"), ("us", "MX")):
        token = folder / node / "keys" / "partners" / f"{partner}.token"
        assert token.stat().st_mode & 0o777 == 0o600
        assert token.read_text().strip() not in first
        assert not list((folder / node).glob("invite-for-*"))

    # Final step: the bilingual progress report of the MX node's next meeting.
    for lang in ("es", "en"):
        for suffix in ("html", "pdf"):
            report = folder / "mx" / "reports" / f"report-{lang}.{suffix}"
            assert report.stat().st_size > 0
            assert f"report ({lang}): {report}" in first

    second = run_demo(folder)
    for party, partner in (("MX", "US"), ("US", "MX")):
        again = row(second, f"released to {partner}")
        assert again[0] == 0
        # The trace's steps were released after the first run's table: MX's request and
        # close, US's answer; nothing else since.
        trace_versions = {"US": 2, "MX": 1}[partner]
        assert again[1] == row(first, f"released to {partner}")[1] + trace_versions
        assert row(second, f"received from {partner}")[0] == 0
        assert row(second, f"refused from {partner}") == (0, 0)
        assert f"audit verify {party}: intact" in second
    assert "imported 0 new version(s)" in second
    assert "MX watchlist check (first): checked with US: 0 new alert(s)" in second
    assert len(re.findall(r"alert \(alerta\) for demo: firearm", second)) == 1
    assert "comunicado-conjunto.es.txt: already ingested" in second
    # Run again: the trace is not asked again, the operations not registered twice.
    assert "MX asks US to trace firearm" not in second
    assert "US's liaison answers" not in second
    assert re.search(r"trace enlace-trace-request--\S+ already closed", second)
    assert not re.search(r"operation \S+ registered \(target", second)
    assert len(re.findall(r"already registered \(target", second)) == 4
    assert "1 overlap(s) with US's operations (0 new)" in second
    assert_deconfliction(second)
    assert f"report (es): {folder / 'mx' / 'reports' / 'report-es.pdf'}" in second
    assert all(refuses_connections(port) for port in served_ports(second))


@pytest.mark.parametrize("given_by", ["option", "environment"])
def test_demo_refuses_a_missing_cbp_folder_before_making_any_node(
    tmp_path: Path, given_by: str
) -> None:
    folder, absent = tmp_path / "demo-nodes", tmp_path / "no-cbp-here"
    args = ["demo", "--folder", str(folder)]
    env: dict[str, str | None] = {"ENLACE_CBP_DATA": str(absent)}
    if given_by == "option":
        args += ["--cbp-data", str(absent)]
        env = {"ENLACE_CBP_DATA": None}  # unset: the option alone names the folder
    result = CliRunner().invoke(build_app(), args, env=env)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        f"error: CBP statistics folder {absent} does not exist or is not a folder; expected a "
        "folder of CBP's 'Nationwide Drug Seizures' CSV files as published (e.g. "
        "cbp_fy20_fy23.csv)"
    ]
    assert not folder.exists()


def test_demo_report_imports_the_cbp_folder_given_instead_of_the_shipped_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node, cbp = tmp_path / "mx", tmp_path / "cbp"
    initialise_node(node, party="MX")
    cbp.mkdir()
    (cbp / "cbp_fy23_only.csv").write_text(
        ",".join(CBP_COLUMNS) + "\n2023,OCT,Office of Field Operations,Southwest Border,"
        "Land Only,SAN DIEGO FIELD OFFICE,Fentanyl,120,1500.25\n",
        encoding="utf-8",
    )
    demo_report(node, today=date(2026, 1, 1), cbp_data=cbp)
    output = capsys.readouterr().out
    assert "cbp_fy23_only.csv: edition FY2023, 1 rows read" in output
    assert "stored fiscal years: FY2023" in output
    assert "cbp_fy20_fy23.csv" not in output
    assert (node / "reports" / "report-en.pdf").stat().st_size > 0
