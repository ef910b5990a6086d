"""CBP drug seizure statistics in the store: editions replace fiscal years, queries sum months."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select

from enlace.store.repositories.settings import data_written
from enlace.store.tables import cbp_drug_seizures


@dataclass(frozen=True, slots=True)
class CbpRow:
    """One published line: a fiscal year's month for one place, component and drug."""

    fiscal_year: int
    month: int  # calendar month, 1-12
    component: str
    region: str
    land_filter: str
    area: str
    drug_type: str
    event_count: int
    quantity_lbs: float


@dataclass(frozen=True, slots=True)
class CbpMonthTotal:
    """Seizure events and pounds of one fiscal year's month, summed over matching rows."""

    fiscal_year: int
    month: int
    event_count: int
    quantity_lbs: float


# Filter name -> column: what an indicator over the statistics may select on.
CBP_FILTER_COLUMNS = {
    "region": cbp_drug_seizures.c.region,
    "component": cbp_drug_seizures.c.component,
    "land_filter": cbp_drug_seizures.c.land_filter,
    "area": cbp_drug_seizures.c.area,
    "drug_type": cbp_drug_seizures.c.drug_type,
}


class CbpStatisticsRepository:
    """Reads and writes of `cbp_drug_seizures` over one connection; never commits."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def editions_by_year(self) -> dict[int, int]:
        """Fiscal year -> the edition its stored rows come from."""
        rows = self._connection.execute(
            select(cbp_drug_seizures.c.fiscal_year, func.max(cbp_drug_seizures.c.edition)).group_by(
                cbp_drug_seizures.c.fiscal_year
            )
        )
        return {int(year): int(edition) for year, edition in rows}

    def replace_fiscal_year(
        self, fiscal_year: int, rows: Sequence[CbpRow], *, edition: int, source_file: str
    ) -> int:
        """Put `rows` in place of every stored row of `fiscal_year`; return how many were removed."""
        data_written(self._connection)
        removed = self._connection.execute(
            delete(cbp_drug_seizures).where(cbp_drug_seizures.c.fiscal_year == fiscal_year)
        ).rowcount
        if rows:
            self._connection.execute(
                insert(cbp_drug_seizures),
                [
                    {
                        "fiscal_year": row.fiscal_year,
                        "month": row.month,
                        "component": row.component,
                        "region": row.region,
                        "land_filter": row.land_filter,
                        "area": row.area,
                        "drug_type": row.drug_type,
                        "event_count": row.event_count,
                        "quantity_lbs": row.quantity_lbs,
                        "edition": edition,
                        "source_file": source_file,
                    }
                    for row in rows
                ],
            )
        return int(removed)

    def rows_of_year(self, fiscal_year: int) -> list[CbpRow]:
        """Every stored row of a fiscal year (to compare an edition with what is held)."""
        c = cbp_drug_seizures.c
        result = self._connection.execute(
            select(
                c.fiscal_year,
                c.month,
                c.component,
                c.region,
                c.land_filter,
                c.area,
                c.drug_type,
                c.event_count,
                c.quantity_lbs,
            ).where(c.fiscal_year == fiscal_year)
        )
        return [
            CbpRow(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], int(r[7]), float(r[8]))
            for r in result
        ]

    def months_held(self) -> dict[int, set[int]]:
        """Fiscal year -> the months (1-12, calendar numbering) it holds any row for."""
        c = cbp_drug_seizures.c
        held: dict[int, set[int]] = {}
        for year, month in self._connection.execute(select(c.fiscal_year, c.month).distinct()):
            held.setdefault(int(year), set()).add(int(month))
        return held

    def count_rows(self) -> int:
        """How many rows are stored."""
        return int(
            self._connection.execute(
                select(func.count()).select_from(cbp_drug_seizures)
            ).scalar_one()
        )

    def month_totals(self, filters: Mapping[str, Iterable[str]]) -> list[CbpMonthTotal]:
        """Events and pounds per (fiscal year, month) over the rows matching every filter.

        `filters` maps a name of CBP_FILTER_COLUMNS to the values allowed (any of them).
        """
        c = cbp_drug_seizures.c
        query = select(c.fiscal_year, c.month, func.sum(c.event_count), func.sum(c.quantity_lbs))
        for name, values in filters.items():
            query = query.where(CBP_FILTER_COLUMNS[name].in_(list(values)))
        query = query.group_by(c.fiscal_year, c.month).order_by(c.fiscal_year, c.month)
        return [
            CbpMonthTotal(int(year), int(month), int(events or 0), float(pounds or 0.0))
            for year, month, events, pounds in self._connection.execute(query)
        ]


__all__ = ["CBP_FILTER_COLUMNS", "CbpMonthTotal", "CbpRow", "CbpStatisticsRepository"]
