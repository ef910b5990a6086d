"""The seizure map's counts kept ready (`map_counts`): how many newest, unrevoked seizures
and firearm recoveries this node holds per place, what and when, so the map (mapa de
decomisos) sums a bounded number of rows instead of reading every record's JSON.

A record version's contribution is its *map place*: for a seizure (kind "seizure") its
state, port code, category, drug type and seizure date; for a firearm that names a
`recovery_state` or a `recovery_date` (kind "recovery") that state and date. Read from the
top-level fields of its STIX object, as the map always read them; absent fields are "".

Each place is counted twice, at two grains, so a period filter with day precision sums
few rows whatever the node holds:

- grain "month": period "YYYY-MM" (or "" when the record has no date);
- grain "day": period "YYYY-MM-DD" (dated records only).

A period then reads month rows for the whole months inside it and day rows only for the
partial months at its ends (at most two months of days). Without a period, month rows alone.

Kept by the store in the unit of work that changes what is newest and unrevoked:
RecordRepository.add (a newer version moves its record's contribution, a revoked one takes
it away) and RevocationRepository.mark_revoked (a tombstone revokes every version held).
Migration 0024_map_counts filled it for the records held before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection

from enlace.store.dialect import PLACEHOLDERS

# (map kind, state, port, category, drug, date): a plain tuple, as StoredVersion carries it
# between processes (named tuples unpickle slower).
MapPlace = tuple[str, str, str, str, str, str]
MAP_RECORD_KINDS = ("seizure", "firearm")  # the record kinds (records.kind) that may count
MONTH, DAY = "month", "day"

_KEY = ("grain", "period", "kind", "owner", "state", "port", "category", "drug")


def map_place(kind: str, stix: Mapping[str, Any]) -> MapPlace | None:
    """Where a version of a record of `kind` counts on the map, or None if it does not."""
    if kind == "seizure":
        return (
            "seizure",
            _text(stix.get("state")),
            _text(stix.get("port_code")),
            _text(stix.get("category")),
            _text(stix.get("drug_type")),
            _text(stix.get("seizure_date")),
        )
    if kind == "firearm":
        state, day = _text(stix.get("recovery_state")), _text(stix.get("recovery_date"))
        if state or day:
            return ("recovery", state, "", "", "", day)
    return None


def map_place_of_text(kind: str, stix_text: str) -> MapPlace | None:
    """`map_place` of a stored version's STIX text (parsed only for the kinds that count)."""
    if kind not in MAP_RECORD_KINDS:
        return None
    return map_place(kind, orjson.loads(stix_text))


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def shift_map_counts(connection: Connection, changes: Mapping[tuple[str, MapPlace], int]) -> None:
    """Add each change (owner, place) -> +n/-n to both grains' rows, in the caller's
    transaction; rows that fall to zero are removed, so the table holds places in use only."""
    rows: dict[tuple[str, ...], int] = {}
    for (owner, place), n in changes.items():
        if not n:
            continue
        kind, state, port, category, drug, day = place
        for grain, period in ((MONTH, day[:7]), (DAY, day)):
            if grain == DAY and not day:
                continue
            key = (grain, period, kind, owner, state, port, category, drug)
            rows[key] = rows.get(key, 0) + n
    changed = [(key, n) for key, n in sorted(rows.items()) if n]
    if not changed:
        return
    p = PLACEHOLDERS[connection.dialect.paramstyle]
    columns = ", ".join(_KEY)
    connection.exec_driver_sql(
        f"INSERT INTO map_counts ({columns}, records) VALUES ({', '.join([p] * 9)}) "
        f"ON CONFLICT ({columns}) DO UPDATE SET records = map_counts.records + excluded.records",
        [(*key, n) for key, n in changed],
    )
    fallen = [key for key, n in changed if n < 0]
    if fallen:
        where = " AND ".join(f"{name} = {p}" for name in _KEY)
        connection.exec_driver_sql(f"DELETE FROM map_counts WHERE {where} AND records = 0", fallen)


def count_places(
    changes: dict[tuple[str, MapPlace], int], owner: str, place: MapPlace | None, n: int
) -> None:
    """Add n to (owner, place) in `changes` (nothing for a version that does not count)."""
    if place is not None:
        changes[(owner, place)] = changes.get((owner, place), 0) + n


def places_of_rows(rows: Iterable[tuple[str, str, str]]) -> dict[tuple[str, MapPlace], int]:
    """How many of the (kind, owner, STIX text) rows count at each (owner, place)."""
    changes: dict[tuple[str, MapPlace], int] = {}
    for kind, owner, text in rows:
        count_places(changes, owner, map_place_of_text(kind, text), 1)
    return changes


__all__ = [
    "DAY",
    "MAP_RECORD_KINDS",
    "MONTH",
    "MapPlace",
    "count_places",
    "map_place",
    "map_place_of_text",
    "places_of_rows",
    "shift_map_counts",
]
