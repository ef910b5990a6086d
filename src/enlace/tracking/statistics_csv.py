"""Reading CBP's "Nationwide Drug Seizures" CSV: the exact header, then every row checked."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from enlace.store.repositories.statistics import CbpRow

CBP_COLUMNS = (
    "FY",
    "Month (abbv)",
    "Component",
    "Region",
    "Land Filter",
    "Area of Responsibility",
    "Drug Type",
    "Count of Event",
    "Sum Qty (lbs)",
)
MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
_TEXT_COLUMNS = ("Component", "Region", "Land Filter", "Area of Responsibility", "Drug Type")
_FIRST_FY, _LAST_FY = 1990, 2100


class StatisticsFileError(ValueError):
    """A statistics file that cannot be imported; the message says where and what was expected."""


@dataclass(frozen=True, slots=True)
class CbpEdition:
    """A whole file, checked: its rows and its edition (the latest fiscal year it covers)."""

    edition: int
    rows: tuple[CbpRow, ...]


def read_cbp_file(path: Path) -> CbpEdition:
    """Read and check a whole CBP CSV; raise StatisticsFileError at the first problem."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise StatisticsFileError(f"{path}: cannot read the file ({error.strerror})") from None
    with handle:
        try:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise StatisticsFileError(
                    f"{path.name}: the file is empty; expected the CBP header "
                    + ", ".join(CBP_COLUMNS)
                )
            positions = _check_header(path.name, header)
            rows: list[CbpRow] = []
            first_line: dict[tuple[object, ...], int] = {}
            for cells in reader:
                line = reader.line_num
                if not cells or all(not cell.strip() for cell in cells):
                    continue
                row = _parse_row(path.name, line, cells, positions, len(header))
                key = (
                    row.fiscal_year,
                    row.month,
                    row.component,
                    row.region,
                    row.land_filter,
                    row.area,
                    row.drug_type,
                )
                if key in first_line:
                    raise StatisticsFileError(
                        f"{path.name}, line {line}: the same fiscal year, month, component, "
                        f"region, land filter, area and drug type as line {first_line[key]}; "
                        "expected one row for each"
                    )
                first_line[key] = line
                rows.append(row)
        except UnicodeDecodeError:
            raise StatisticsFileError(
                f"{path.name}: not UTF-8 text; expected CBP's CSV as published"
            ) from None
        except csv.Error as error:
            raise StatisticsFileError(f"{path.name}: not readable as CSV ({error})") from None
    if not rows:
        raise StatisticsFileError(f"{path.name}: no data rows under the header")
    return CbpEdition(edition=max(row.fiscal_year for row in rows), rows=tuple(rows))


def _check_header(name: str, header: list[str]) -> dict[str, int]:
    cleaned = [cell.strip() for cell in header]
    missing = [column for column in CBP_COLUMNS if column not in cleaned]
    extra = [cell for cell in cleaned if cell not in CBP_COLUMNS]
    repeated = sorted({cell for cell in cleaned if cleaned.count(cell) > 1})
    if missing or extra or repeated:
        problems = []
        if missing:
            problems.append("missing " + ", ".join(repr(c) for c in missing))
        if extra:
            problems.append("unexpected " + ", ".join(repr(c) for c in extra))
        if repeated:
            problems.append("repeated " + ", ".join(repr(c) for c in repeated))
        raise StatisticsFileError(
            f"{name}, line 1: not CBP's Nationwide Drug Seizures header ("
            + "; ".join(problems)
            + "); expected the columns "
            + ", ".join(CBP_COLUMNS)
        )
    return {column: cleaned.index(column) for column in CBP_COLUMNS}


def _parse_row(
    name: str, line: int, cells: list[str], positions: dict[str, int], width: int
) -> CbpRow:
    if len(cells) != width:
        raise StatisticsFileError(
            f"{name}, line {line}: {len(cells)} cells; expected {width}, one per column"
        )

    def cell(column: str) -> str:
        return cells[positions[column]].strip()

    def bad(column: str, expected: str) -> StatisticsFileError:
        return StatisticsFileError(
            f"{name}, line {line}, column {column!r}: {cell(column)!r} is not valid; "
            f"expected {expected}"
        )

    try:
        fiscal_year = int(cell("FY"))
    except ValueError:
        raise bad("FY", f"a fiscal year such as 2023 ({_FIRST_FY}-{_LAST_FY})") from None
    if not _FIRST_FY <= fiscal_year <= _LAST_FY:
        raise bad("FY", f"a fiscal year such as 2023 ({_FIRST_FY}-{_LAST_FY})")
    month = MONTHS.get(cell("Month (abbv)"))
    if month is None:
        raise bad("Month (abbv)", "a month abbreviation: " + ", ".join(MONTHS))
    for column in _TEXT_COLUMNS:
        if not cell(column):
            raise bad(column, "text (the cell is empty)")
    try:
        events = int(cell("Count of Event"))
    except ValueError:
        raise bad("Count of Event", "a whole number of seizure events, 0 or more") from None
    if events < 0:
        raise bad("Count of Event", "a whole number of seizure events, 0 or more")
    try:
        pounds = float(cell("Sum Qty (lbs)"))
    except ValueError:
        raise bad("Sum Qty (lbs)", "a number of pounds such as 12.5, 0 or more") from None
    if not (pounds >= 0 and math.isfinite(pounds)):
        raise bad("Sum Qty (lbs)", "a number of pounds such as 12.5, 0 or more")
    return CbpRow(
        fiscal_year=fiscal_year,
        month=month,
        component=cell("Component"),
        region=cell("Region"),
        land_filter=cell("Land Filter"),
        area=cell("Area of Responsibility"),
        drug_type=cell("Drug Type"),
        event_count=events,
        quantity_lbs=pounds,
    )


__all__ = ["CBP_COLUMNS", "MONTHS", "CbpEdition", "StatisticsFileError", "read_cbp_file"]
