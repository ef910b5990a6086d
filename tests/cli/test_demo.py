"""`enlace demo`, the main job, run for real: two `enlace serve` servers, release, sync."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert "TAMPERED" not in first
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
        assert again[1] == row(first, f"released to {partner}")[1]
        assert row(second, f"received from {partner}")[0] == 0
        assert row(second, f"refused from {partner}") == (0, 0)
        assert f"audit verify {party}: intact" in second
    assert "imported 0 new version(s)" in second
    assert "comunicado-conjunto.es.txt: already ingested" in second
    assert f"report (es): {folder / 'mx' / 'reports' / 'report-es.pdf'}" in second
    assert all(refuses_connections(port) for port in served_ports(second))
