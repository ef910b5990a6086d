"""`enlace stats import` and `enlace indicators show` on a real node folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from enlace.cli.node_commands import init
from enlace.cli.stats_commands import build_indicators_app, build_stats_app

ROW = "2023,OCT,Office of Field Operations,Southwest Border,Land Only,SAN DIEGO FIELD OFFICE,Fentanyl,120,1500.25"
HEADER = "FY,Month (abbv),Component,Region,Land Filter,Area of Responsibility,Drug Type,Count of Event,Sum Qty (lbs)"


@pytest.fixture
def app() -> typer.Typer:
    """The command groups of this test, registered as `enlace` registers them."""
    app = typer.Typer()
    app.command("init")(init)
    app.add_typer(build_stats_app(), name="stats")
    app.add_typer(build_indicators_app(), name="indicators")
    return app


@pytest.fixture
def node(app: typer.Typer, tmp_path: Path) -> Path:
    folder = tmp_path / "node"
    assert CliRunner().invoke(app, ["init", "--party", "US", "--node", str(folder)]).exit_code == 0
    return folder


def test_imported_statistics_show_as_indicator_json(
    app: typer.Typer, node: Path, tmp_path: Path
) -> None:
    csv_path = tmp_path / "cbp.csv"
    csv_path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    runner = CliRunner()
    imported = runner.invoke(app, ["stats", "import", str(csv_path), "--node", str(node)])
    assert imported.exit_code == 0, imported.output
    assert "stored fiscal years: FY2023" in imported.output
    shown = runner.invoke(app, ["indicators", "show", "--json", "--node", str(node)])
    assert shown.exit_code == 0, shown.output
    series = {s["id"]: s for s in json.loads(shown.output)}
    month = series["cbp-fentanyl-swb-month"]
    assert month["points"] == [{"period": "2022-10", "start": "2022-10-01", "value": 1500.25}]
    assert series["cbp-fentanyl-swb-fy"]["points"][0]["period"] == "FY2023"
    assert series["cbp-meth-swb-fy"]["points"] == []


def test_indicator_file_with_unknown_field_is_one_line_and_exit_1(
    app: typer.Typer, node: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[indicator]]\nid = "x"\nname_es = "x"\nname_en = "x"\nunit = "kg"\n'
        'source = "records"\nmeasure = "sum"\nperiod = "month"\nscope = "all"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["indicators", "show", "--file", str(bad), "--node", str(node)]
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        "error: bad.toml, indicator 'x', field 'scope': unknown field; allowed: id, name_es, "
        "name_en, unit, source, measure, period, filters, baseline, target, commitment, direction"
    ]


def test_table_output_names_each_indicator_with_baseline_and_target(
    app: typer.Typer, node: Path
) -> None:
    result = CliRunner().invoke(
        app, ["indicators", "show", "--node", str(node)], env={"COLUMNS": "160"}
    )
    assert result.exit_code == 0, result.output
    assert "Fentanyl seized at the Southwest border, pounds per fiscal year (CBP)" in result.output
    assert "Fentanilo asegurado en la frontera suroeste" in result.output
    assert "target 30,000.0" in result.output
