"""Indicators over records, aggregated in the database: one scan per kind of record.

Every records indicator of one kind is computed by a single query over `records`: the newest
version of each record (no later `modified` for its id), not revoked, its fields read from the
stored STIX JSON (SQLite `json_extract`, PostgreSQL `jsonb`), summed per day with one
conditional column per indicator. The database returns at most one row per day that has
records, however many records there are, and Python then folds days into months, calendar
or fiscal years. Nothing is added to the import path: the JSON is read where it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from enlace.model.vocabulary import POUNDS_PER_KG
from enlace.tracking.indicators.definitions import RECORD_KIND_DATES, IndicatorDefinition

# The JSON fields each kind is filtered and summed on; the first is the date.
_FIELDS_BY_KIND = {
    "seizure": (
        "seizure_date",
        "category",
        "drug_type",
        "state",
        "port_code",
        "quantity",
        "unit",
    ),
    "laboratory": ("found_date", "state"),
    "custody-transfer": ("transfer_date",),
}
# Units a sum in the indicator's unit may add, and the factor each is multiplied by.
_CONVERSIONS: dict[str, dict[str, float]] = {
    "kg": {"kg": 1.0, "lbs": 1.0 / POUNDS_PER_KG},
    "lbs": {"lbs": 1.0, "kg": POUNDS_PER_KG},
    "count": {"count": 1.0},
}


@dataclass(frozen=True, slots=True)
class DayTotal:
    """What one day adds to each indicator: a value (None: no matching record) and skips."""

    day: date
    values: tuple[float | None, ...]
    skipped: tuple[int, ...]


def record_day_totals(
    connection: Connection, kind: str, definitions: Sequence[IndicatorDefinition]
) -> list[DayTotal]:
    """Per day, each definition's value over the newest, unrevoked records of `kind`."""
    query = _Query(connection.dialect.name, kind)
    columns: list[str] = []
    for definition in definitions:
        columns += query.aggregates(definition)
    sql = query.sql(columns)
    totals: list[DayTotal] = []
    for row in connection.execute(text(sql), query.parameters):
        if row[0] is None:
            continue
        try:
            day = date.fromisoformat(str(row[0]))
        except ValueError:
            continue  # a date the model would not have stored: nothing to place it in
        values = tuple(None if v is None else float(v) for v in row[1::2])
        skips = tuple(int(s or 0) for s in row[2::2])
        totals.append(DayTotal(day, values, skips))
    return totals


class _Query:
    """The SQL of one kind's scan, in the dialect of the connection, with bound values."""

    def __init__(self, dialect: str, kind: str) -> None:
        if kind not in RECORD_KIND_DATES:
            raise ValueError(f"no indicators over records of kind {kind!r}")
        self.dialect = dialect
        self.kind = kind
        self.fields = _FIELDS_BY_KIND[kind]
        self.parameters: dict[str, Any] = {"kind": kind}

    def field(self, name: str) -> str:
        """The SQL expression of a field of the record's JSON, in the outer query."""
        if self.dialect == "sqlite":
            return f"(s.v ->> {self.fields.index(name)})"
        return f"s.{name}"

    def column(self, name: str) -> str:
        """A column of `records` (owner, received_from), in the outer query."""
        return f"s.{name}" if self.dialect == "sqlite" else f"r.{name}"

    def bind(self, values: Sequence[str]) -> str:
        names = []
        for value in values:
            name = f"p{len(self.parameters)}"
            self.parameters[name] = value
            names.append(f":{name}")
        return ", ".join(names)

    def condition(self, definition: IndicatorDefinition) -> str:
        """The SQL condition a record must meet to count for `definition`."""
        parts = []
        for name, values in definition.filters:
            if name == "kind":
                continue
            if name == "owner":
                parts.append(f"{self.column('owner')} IN ({self.bind(values)})")
            elif name == "origin":
                if values[0] == "own":
                    parts.append(f"{self.column('received_from')} IS NULL")
                elif values[0] == "partners":
                    parts.append(f"{self.column('received_from')} IS NOT NULL")
            else:
                parts.append(f"{self.field(name)} IN ({self.bind(values)})")
        return " AND ".join(parts) or "1 = 1"

    def aggregates(self, definition: IndicatorDefinition) -> tuple[str, str]:
        """(value, skipped) aggregate expressions for one definition."""
        condition = self.condition(definition)
        if definition.measure == "count":
            return f"SUM(CASE WHEN {condition} THEN 1 END)", "0"
        unit, quantity = self.field("unit"), self.field("quantity")
        factors = _CONVERSIONS[definition.unit]
        # Units are our own constants, factors our own floats: written in the SQL.
        cases = " ".join(
            f"WHEN '{name}' THEN {quantity} * {factor!r}" for name, factor in factors.items()
        )
        accepted = ", ".join(f"'{name}'" for name in factors)
        value = f"SUM(CASE WHEN {condition} THEN CASE {unit} {cases} END END)"
        skipped = (
            f"SUM(CASE WHEN {condition} AND ({unit} IS NULL OR {unit} NOT IN ({accepted})) "
            "THEN 1 ELSE 0 END)"
        )
        return value, skipped

    def sql(self, columns: Sequence[str]) -> str:
        """The whole statement: newest unrevoked versions of the kind, summed per day."""
        newest = (
            "NOT EXISTS (SELECT 1 FROM records AS n WHERE n.id = r.id AND n.modified > r.modified)"
        )
        day = self.field(self.fields[0])
        if self.dialect == "sqlite":
            paths = ", ".join(f"'$.{name}'" for name in self.fields)
            # One json_extract with every path parses the JSON once per row; LIMIT -1 keeps
            # SQLite from flattening the subquery and so parsing it again per reference.
            source = (
                f"SELECT json_extract(r.stix, {paths}) AS v, r.owner AS owner, "
                "r.received_from AS received_from FROM records AS r "
                f"WHERE r.kind = :kind AND r.revoked = 0 AND {newest} LIMIT -1"
            )
            return f"SELECT {day} AS day, {', '.join(columns)} FROM ({source}) AS s GROUP BY {day}"
        # json_to_record parses each row's text once into typed fields, in a function the
        # planner keeps per row and may run in parallel workers (a jsonb cast in a subquery
        # would be repeated per field, or kept out of the parallel part).
        fields = ", ".join(f"{name} {_PG_TYPES.get(name, 'text')}" for name in self.fields)
        return (
            f"SELECT {day} AS day, {', '.join(columns)} FROM records AS r "
            f"CROSS JOIN LATERAL json_to_record(CAST(r.stix AS json)) AS s({fields}) "
            f"WHERE r.kind = :kind AND NOT r.revoked AND {newest} GROUP BY {day}"
        )


_PG_TYPES = {"quantity": "double precision"}

__all__ = ["DayTotal", "record_day_totals"]
