"""CBP statistics import: the file's own totals come back, the newer edition wins, re-import is a no-op."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enlace.store.store import Store
from enlace.store.tables import audit_log
from enlace.tracking.cbp_data import shipped_cbp_folder
from enlace.tracking.indicators.definitions import (
    IndicatorDefinition,
    default_definitions_path,
    load_definitions,
)
from enlace.tracking.indicators.series import compute_indicators
from enlace.tracking.statistics import import_cbp_statistics

# The published files ship inside the package; run from the source tree (as the tests are),
# importlib.resources gives their folder as a folder on disk.
CBP = Path(str(shipped_cbp_folder()))
OLDER, NEWER = CBP / "cbp_fy19_fy22.csv", CBP / "cbp_fy20_fy23.csv"
TODAY = date(2026, 1, 1)
MONTH_NUMBERS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
        start=1,
    )
}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _rows_newer_winning() -> list[dict[str, str]]:
    """Every row of both files, each fiscal year from the file whose latest year is greatest."""
    by_file = {path: _read(path) for path in (OLDER, NEWER)}
    chosen: dict[str, Path] = {}
    for path, rows in by_file.items():
        latest = max(int(r["FY"]) for r in rows)
        for year in {r["FY"] for r in rows}:
            held = chosen.get(year)
            if held is None or latest > max(int(r["FY"]) for r in by_file[held]):
                chosen[year] = path
    return [r for year, path in chosen.items() for r in by_file[path] if r["FY"] == year]


def _expected(drug: str, key: str) -> dict[str, float]:
    """Southwest-border pounds of `drug` per fiscal year ('fy') or calendar month ('month')."""
    totals: dict[str, float] = defaultdict(float)
    for row in _rows_newer_winning():
        if row["Region"] != "Southwest Border" or row["Drug Type"] != drug:
            continue
        if key == "fy":
            label = f"FY{row['FY']}"
        else:
            month = MONTH_NUMBERS[row["Month (abbv)"]]
            year = int(row["FY"]) - 1 if month >= 10 else int(row["FY"])
            label = f"{year}-{month:02d}"
        totals[label] += float(row["Sum Qty (lbs)"])
    return dict(totals)


def _defaults() -> dict[str, IndicatorDefinition]:
    return {d.id: d for d in load_definitions(default_definitions_path())}


def _values(store: Store, definition: IndicatorDefinition) -> dict[str, float]:
    (series,) = compute_indicators(store, [definition], today=TODAY)
    return {p.period: p.value for p in series.points}


@pytest.mark.parametrize(
    "order", [(OLDER, NEWER), (NEWER, OLDER)], ids=["older-first", "newer-first"]
)
def test_cbp_import_reproduces_fiscal_year_totals_newer_edition_winning(
    store: Store, order: tuple[Path, Path]
) -> None:
    for path in order:
        import_cbp_statistics(store, path)
    defaults = _defaults()
    for indicator, drug in (
        ("cbp-fentanyl-swb-fy", "Fentanyl"),
        ("cbp-meth-swb-fy", "Methamphetamine"),
    ):
        expected = _expected(drug, "fy")
        got = _values(store, defaults[indicator])
        assert set(got) == set(expected) == {"FY2019", "FY2020", "FY2021", "FY2022", "FY2023"}
        for year, pounds in expected.items():
            assert got[year] == pytest.approx(pounds, rel=1e-12, abs=1e-9), (indicator, year)


def test_overlapping_years_come_from_the_newer_file(store: Store) -> None:
    import_cbp_statistics(store, NEWER)
    report = import_cbp_statistics(store, OLDER)
    assert report.written == (2019,)
    assert report.kept_newer == {2020: 2023, 2021: 2023, 2022: 2023}
    with store.unit_of_work() as uow:
        repository = uow.statistics
        assert repository.editions_by_year() == {
            2019: 2022,
            2020: 2023,
            2021: 2023,
            2022: 2023,
            2023: 2023,
        }


def test_month_indicator_reproduces_the_files_monthly_sums(store: Store) -> None:
    import_cbp_statistics(store, OLDER)
    import_cbp_statistics(store, NEWER)
    expected = _expected("Fentanyl", "month")
    got = _values(store, _defaults()["cbp-fentanyl-swb-month"])
    assert len(expected) == 60  # FY2019-FY2023, every month has fentanyl seizures
    assert set(got) == set(expected)
    for month, pounds in expected.items():
        assert got[month] == pytest.approx(pounds, rel=1e-12, abs=1e-9), month
    assert next(iter(got)) == "2018-10"  # October of FY2019 is in calendar 2018


def _audit_count(store: Store) -> int:
    with store.unit_of_work() as uow:
        return int(uow.connection.execute(select(func.count()).select_from(audit_log)).scalar_one())


def test_reimporting_the_same_file_changes_nothing(store: Store) -> None:
    first = import_cbp_statistics(store, NEWER)
    with store.unit_of_work() as uow:
        rows_before = uow.statistics.count_rows()
    entries = _audit_count(store)
    again = import_cbp_statistics(store, NEWER)
    assert first.written == (2020, 2021, 2022, 2023)
    assert again.written == ()
    assert again.unchanged == first.written
    assert not again.changed
    with store.unit_of_work() as uow:
        assert uow.statistics.count_rows() == rows_before == 9924
    assert _audit_count(store) == entries


def test_import_is_audited_as_stats_import(store: Store) -> None:
    import_cbp_statistics(store, OLDER)
    with store.unit_of_work() as uow:
        actions = uow.connection.execute(
            select(audit_log.c.action, audit_log.c.subject).order_by(audit_log.c.seq)
        ).all()
    assert [tuple(a) for a in actions] == [("stats-import", "cbp_fy19_fy22.csv")]
