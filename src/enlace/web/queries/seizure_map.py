"""Read model of the seizure map (mapa de decomisos): seizures (decomisos, aseguramientos)
and firearm recoveries counted by state (entidad federativa) and border port (puerto
fronterizo), with the map's filters.

Counted in the database over the newest version of each record (`records.latest`), revoked
ones left out, the fields read from the stored STIX JSON (SQLite `json_extract`,
PostgreSQL `json_to_record` on the text cast to json): one grouped query per kind, so the
database returns one row per (state, port) whatever the number of records. A seizure counts in the
state its `state` names and, when it names one, at its `port_code`; a recovery is a firearm
record with a `recovery_state` or a `recovery_date`, counted in its `recovery_state`.
Records that name no state are counted apart ("no state"), so the counts add up to what the
records list finds for the same kind and owner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    FromClause,
    Text,
    and_,
    cast,
    column,
    func,
    or_,
    select,
    true,
)
from sqlalchemy import type_coerce as coerce

from enlace.model.records import Firearm, Seizure
from enlace.model.vocabulary import DrugType, SeizedCategory
from enlace.store.store import Store
from enlace.store.tables import records

# What the map's kind filter offers: the record kinds' own words (records.kind), a recovery
# being a firearm recovered (recuperación de arma).
MAP_KINDS = ("seizure", "recovery")
CATEGORIES = tuple(category.value for category in SeizedCategory)
DRUGS = tuple(drug.value for drug in DrugType)


@dataclass(frozen=True, slots=True)
class MapFilter:
    """What the map counts; every field optional ("" or None: any)."""

    kind: str = ""  # "" | "seizure" | "recovery"
    category: str = ""  # a SeizedCategory value: seizures only
    drug: str = ""  # a DrugType value: drug seizures only
    owner: str = ""  # the party that owns the record
    since: date | None = None  # seizure or recovery date on or after
    until: date | None = None  # ... and on or before

    @property
    def seizures_only(self) -> bool:
        """Category and drug are seizures' fields: with either, no recovery is counted."""
        return bool(self.category or self.drug)


@dataclass(frozen=True, slots=True)
class StateCount:
    """Seizures and recoveries in one state."""

    seizures: int = 0
    recoveries: int = 0

    @property
    def total(self) -> int:
        """Both together."""
        return self.seizures + self.recoveries


@dataclass(frozen=True, slots=True)
class MapCounts:
    """The counts the map draws and its table lists."""

    states: dict[str, StateCount] = field(default_factory=dict)  # ISO 3166-2 → counts
    ports: dict[str, int] = field(default_factory=dict)  # CBP port code → seizures there
    no_state: StateCount = StateCount()  # records that name no state

    @property
    def seizures(self) -> int:
        """Every seizure counted, with a state or without."""
        return sum(c.seizures for c in self.states.values()) + self.no_state.seizures

    @property
    def recoveries(self) -> int:
        """Every recovery counted, with a state or without."""
        return sum(c.recoveries for c in self.states.values()) + self.no_state.recoveries

    @property
    def largest(self) -> int:
        """The largest count of one state (the legend's top), 0 when none."""
        return max((c.total for c in self.states.values()), default=0)


def map_counts(store: Store, wanted: MapFilter) -> MapCounts:
    """Seizures and recoveries by state and by port, as `wanted` filters them."""
    seizures: dict[tuple[str | None, str | None], int] = {}
    recoveries: dict[str | None, int] = {}
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        if wanted.kind in ("", "seizure"):
            seizures = _seizure_rows(connection, wanted)
        if wanted.kind in ("", "recovery") and not wanted.seizures_only:
            recoveries = _recovery_rows(connection, wanted)
    states: dict[str, list[int]] = {}
    ports: dict[str, int] = {}
    no_state = [0, 0]
    for (state, port), count in seizures.items():
        (states.setdefault(state, [0, 0]) if state else no_state)[0] += count
        if port:
            ports[port] = ports.get(port, 0) + count
    for state, count in recoveries.items():
        (states.setdefault(state, [0, 0]) if state else no_state)[1] += count
    return MapCounts(
        states={code: StateCount(*pair) for code, pair in sorted(states.items())},
        ports=dict(sorted(ports.items())),
        no_state=StateCount(*no_state),
    )


def map_owners(store: Store) -> list[str]:
    """The parties that own seizures or firearms held here: the owner filter's choices."""
    with store.unit_of_work() as uow:  # only reads
        rows = uow.records.holdings()
    kinds = (Seizure.KIND, Firearm.KIND)
    return sorted({owner for kind, owner, count in rows if kind in kinds and count})


class _Fields:
    """The top-level properties of the stored STIX JSON a query reads, as text columns
    (NULL when absent), and what the query selects them from."""

    def __init__(self, connection: Connection, names: tuple[str, ...]) -> None:
        self.source: FromClause = records
        self.columns: dict[str, ColumnElement[str]]
        if connection.dialect.name == "sqlite":
            # SQLite keeps JSON as text: json_extract reads it where it is (a CAST to JSON
            # would give the text numeric affinity).
            self.columns = {name: coerce(records.c.stix, JSON)[name].as_string() for name in names}
            return
        # PostgreSQL: json_to_record parses each row's text once into all the fields (a
        # cast per field would parse it once per field), as the indicators do.
        parsed = (
            func.json_to_record(cast(records.c.stix, JSON))
            .table_valued(*(column(name, Text) for name in names))
            .render_derived(name="s", with_types=True)
        )
        self.source = records.join(parsed, true())
        self.columns = {name: parsed.c[name] for name in names}

    def __getitem__(self, name: str) -> ColumnElement[str]:
        return self.columns[name]


def _common(wanted: MapFilter, kind: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        records.c.kind == kind,
        records.c.latest == true(),
        records.c.revoked == False,  # noqa: E712 (SQL, not Python)
    ]
    if wanted.owner:
        conditions.append(records.c.owner == wanted.owner)
    return conditions


def _period(day: ColumnElement[str], wanted: MapFilter) -> list[ColumnElement[bool]]:
    # Dates are stored YYYY-MM-DD: text order is date order.
    conditions = []
    if wanted.since is not None:
        conditions.append(day >= wanted.since.isoformat())
    if wanted.until is not None:
        conditions.append(day <= wanted.until.isoformat())
    return conditions


def _seizure_rows(
    connection: Connection, wanted: MapFilter
) -> dict[tuple[str | None, str | None], int]:
    fields = _Fields(connection, ("state", "port_code", "seizure_date", "category", "drug_type"))
    state, port = fields["state"], fields["port_code"]
    conditions = _common(wanted, Seizure.KIND)
    conditions += _period(fields["seizure_date"], wanted)
    if wanted.category:
        conditions.append(fields["category"] == wanted.category)
    if wanted.drug:
        conditions.append(fields["drug_type"] == wanted.drug)
    query = (
        select(state, port, func.count())
        .select_from(fields.source)
        .where(and_(*conditions))
        .group_by(state, port)
    )
    return {(row[0], row[1]): int(row[2]) for row in connection.execute(query)}


def _recovery_rows(connection: Connection, wanted: MapFilter) -> dict[str | None, int]:
    fields = _Fields(connection, ("recovery_state", "recovery_date"))
    state, day = fields["recovery_state"], fields["recovery_date"]
    conditions = _common(wanted, Firearm.KIND)
    conditions.append(or_(state.is_not(None), day.is_not(None)))
    conditions += _period(day, wanted)
    query = (
        select(state, func.count())
        .select_from(fields.source)
        .where(and_(*conditions))
        .group_by(state)
    )
    return {row[0]: int(row[1]) for row in connection.execute(query)}


__all__ = [
    "CATEGORIES",
    "DRUGS",
    "MAP_KINDS",
    "MapCounts",
    "MapFilter",
    "StateCount",
    "map_counts",
    "map_owners",
]
