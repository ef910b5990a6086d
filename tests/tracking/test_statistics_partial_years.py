"""A statistics file with fewer months of a fiscal year than the node holds is refused.

The file here is CBP's fy19_fy22 edition cut at a line boundary inside FY2022: every line
left is valid, so only the month count tells it is short.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from enlace.cli.node_commands import init
from enlace.cli.stats_commands import build_stats_app
from enlace.node.setup import open_node
from enlace.store.tables import audit_log, cbp_drug_seizures
from enlace.tracking.cbp_data import shipped_cbp_folder

OLDER = Path(str(shipped_cbp_folder())) / "cbp_fy19_fy22.csv"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("init")(init)
    app.add_typer(build_stats_app(), name="stats")
    return app


def _cut_inside_fy2022(tmp_path: Path) -> tuple[Path, int]:
    """The file cut after the first line of FY2022's fourth month; (path, months kept)."""
    lines = OLDER.read_text(encoding="utf-8").splitlines(keepends=True)
    months: list[str] = []
    for number, line in enumerate(lines[1:], start=1):
        year, month = line.split(",", 2)[:2]
        if year == "2022" and month not in months:
            months.append(month)
            if len(months) == 4:
                cut = tmp_path / "cbp_fy19_fy22.csv"  # the same name, as a re-download would
                cut.write_text("".join(lines[: number + 1]), encoding="utf-8")
                return cut, 4
    raise AssertionError("FY2022 has fewer than four months in the shipped file")


def _stored(node: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            rows = sorted(tuple(r) for r in uow.connection.execute(select(cbp_drug_seizures)))
            audit = [
                tuple(r)
                for r in uow.connection.execute(
                    select(audit_log.c.action, audit_log.c.subject, audit_log.c.detail).order_by(
                        audit_log.c.seq
                    )
                )
            ]
        return rows, audit
    finally:
        store.close()


def test_a_file_cut_inside_a_fiscal_year_is_refused_and_changes_nothing(
    app: typer.Typer, tmp_path: Path
) -> None:
    node = tmp_path / "node"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--party", "US", "--node", str(node)]).exit_code == 0
    full = runner.invoke(app, ["stats", "import", str(OLDER), "--node", str(node)])
    assert full.exit_code == 0, full.output
    before = _stored(node)
    cut, kept = _cut_inside_fy2022(tmp_path)

    refused = runner.invoke(app, ["stats", "import", str(cut), "--node", str(node)])

    assert refused.exit_code == 1
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1, refused.output
    assert f"FY2022: {kept} month(s) in the file, 12 stored" in lines[0]
    assert "--replace-partial" in lines[0]
    assert "Traceback" not in refused.output
    assert _stored(node) == before


def test_with_replace_partial_the_cut_file_is_accepted_and_audited(
    app: typer.Typer, tmp_path: Path
) -> None:
    node = tmp_path / "node"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--party", "US", "--node", str(node)]).exit_code == 0
    assert runner.invoke(app, ["stats", "import", str(OLDER), "--node", str(node)]).exit_code == 0
    cut, kept = _cut_inside_fy2022(tmp_path)

    accepted = runner.invoke(
        app, ["stats", "import", str(cut), "--replace-partial", "--node", str(node)]
    )

    assert accepted.exit_code == 0, accepted.output
    assert "FY2022" in accepted.output
    _, audit = _stored(node)
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            months_2022 = uow.statistics.months_held()[2022]
    finally:
        store.close()
    assert len(months_2022) == kept
    action, subject, detail = audit[-1]
    assert (action, subject) == ("stats-import", "cbp_fy19_fy22.csv")
    recorded = json.loads(str(detail))
    assert recorded["fiscal_years_replaced_partial"] == {"2022": [kept, 12]}
    assert recorded["fiscal_years_written"] == [2022]
