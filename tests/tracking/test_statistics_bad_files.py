"""A CBP CSV of the wrong shape or with a bad row: one clear message, nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from enlace.cli.node_commands import init
from enlace.cli.stats_commands import build_stats_app
from enlace.store.store import Store
from enlace.store.tables import audit_log
from enlace.tracking.statistics import StatisticsFileError, import_cbp_statistics
from enlace.tracking.statistics_csv import CBP_COLUMNS

HEADER = ",".join(CBP_COLUMNS)
GOOD = [
    "2023,OCT,Office of Field Operations,Southwest Border,Land Only,SAN DIEGO FIELD OFFICE,Fentanyl,120,1500.25",
    "2023,NOV,U.S. Border Patrol,Southwest Border,Other,TUCSON SECTOR,Methamphetamine,40,2200.5",
]


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _held(store: Store) -> tuple[int, int]:
    """(statistics rows, audit entries) in the store."""
    with store.unit_of_work() as uow:
        rows = uow.statistics.count_rows()
        entries = uow.connection.execute(select(func.count()).select_from(audit_log)).scalar_one()
    return rows, int(entries)


def test_csv_missing_a_column_is_refused_naming_it(store: Store, tmp_path: Path) -> None:
    header = HEADER.replace(",Land Filter", "")
    rows = [line.replace(",Land Only", "").replace(",Other,", ",") for line in GOOD]
    path = _write(tmp_path, "short.csv", [header, *rows])
    with pytest.raises(StatisticsFileError) as caught:
        import_cbp_statistics(store, path)
    message = str(caught.value)
    assert "short.csv, line 1" in message
    assert "missing 'Land Filter'" in message
    assert "expected the columns FY, Month (abbv)" in message
    assert _held(store) == (0, 0)


def test_csv_with_an_extra_column_is_refused_naming_it(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path, "extra.csv", [HEADER + ",Port", *(line + ",2504" for line in GOOD)])
    with pytest.raises(StatisticsFileError, match=r"unexpected 'Port'"):
        import_cbp_statistics(store, path)
    assert _held(store) == (0, 0)


@pytest.mark.parametrize(
    ("bad_line", "column", "expected"),
    [
        (GOOD[1].replace(",NOV,", ",NOVEMBER,"), "Month (abbv)", "a month abbreviation: JAN"),
        (GOOD[1].replace(",40,", ",forty,"), "Count of Event", "a whole number of seizure events"),
        (GOOD[1].replace(",2200.5", ",-3"), "Sum Qty (lbs)", "a number of pounds"),
        (GOOD[1].replace("2023,", "FY23,", 1), "FY", "a fiscal year such as 2023"),
    ],
    ids=["month", "count", "pounds", "fiscal-year"],
)
def test_a_bad_row_names_file_line_column_and_stores_nothing(
    store: Store, tmp_path: Path, bad_line: str, column: str, expected: str
) -> None:
    path = _write(tmp_path, "bad.csv", [HEADER, GOOD[0], bad_line])
    with pytest.raises(StatisticsFileError) as caught:
        import_cbp_statistics(store, path)
    message = str(caught.value)
    assert f"bad.csv, line 3, column {column!r}" in message
    assert expected in message
    assert _held(store) == (0, 0)  # the good row before it was not stored either


def test_a_bad_file_after_a_good_one_leaves_the_good_one_as_it_was(
    store: Store, tmp_path: Path
) -> None:
    import_cbp_statistics(store, _write(tmp_path, "good.csv", [HEADER, *GOOD]))
    before = _held(store)
    revised = GOOD[0].replace(",120,", ",999,")
    with pytest.raises(StatisticsFileError):
        import_cbp_statistics(store, _write(tmp_path, "worse.csv", [HEADER, revised, GOOD[1][:-8]]))
    assert _held(store) == before == (2, 1)


def test_cli_prints_one_line_and_exits_1_for_a_bad_csv(tmp_path: Path) -> None:
    node = tmp_path / "node"
    runner = CliRunner()
    # The two command groups this test needs, as `enlace` registers them.
    app = typer.Typer()
    app.command("init")(init)
    app.add_typer(build_stats_app(), name="stats")
    assert runner.invoke(app, ["init", "--party", "US", "--node", str(node)]).exit_code == 0
    path = _write(tmp_path, "wrong.csv", ["a,b,c", "1,2,3"])
    result = runner.invoke(app, ["stats", "import", str(path), "--node", str(node)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("error: wrong.csv, line 1")
    assert "Traceback" not in result.output
