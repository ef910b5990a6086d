"""Read model of the seizure map (mapa de decomisos): seizures (decomisos, aseguramientos)
and firearm recoveries counted by state (entidad federativa) and border port (puerto
fronterizo), with the map's filters.

Read from `map_counts` (enlace.store.map_counts), which the store keeps in step with the
newest, unrevoked version of each record: one grouped query summing month rows for the whole
months of the period and day rows for its partial months at the ends, so the work is bounded
by the places, kinds and months in use, not by the records held. A seizure counts in the
state its `state` names and, when it names one, at its `port_code`; a recovery is a firearm
record with a `recovery_state` or a `recovery_date`, counted in its `recovery_state`.
Records that name no state are counted apart ("no state"), so the counts add up to what the
records list finds for the same kind and owner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from enlace.model.records import Firearm, Seizure
from enlace.model.vocabulary import DrugType, SeizedCategory
from enlace.store.map_counts import DAY, MONTH
from enlace.store.store import Store
from enlace.store.tables import map_counts as map_counts_table

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
    kinds = tuple(
        kind
        for kind in MAP_KINDS
        if wanted.kind in ("", kind) and not (kind == "recovery" and wanted.seizures_only)
    )
    rows: list[tuple[str, str, str, int]] = []
    if kinds:
        with store.unit_of_work() as uow:  # only reads
            rows = _rows(uow.connection, wanted, kinds)
    states: dict[str, list[int]] = {}
    ports: dict[str, int] = {}
    no_state = [0, 0]
    for kind, state, port, count in rows:
        side = 0 if kind == "seizure" else 1
        (states.setdefault(state, [0, 0]) if state else no_state)[side] += count
        if port:
            ports[port] = ports.get(port, 0) + count
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


def _period(wanted: MapFilter) -> ColumnElement[bool]:
    """Which rows of `map_counts` a period sums: month rows for the whole months inside it,
    day rows for the days of the partial months at its ends (at most two months of them);
    without a period, every month row (undated recoveries too)."""
    since, until = wanted.since, wanted.until
    grain, period = map_counts_table.c.grain, map_counts_table.c.period
    if since is None and until is None:
        return grain == MONTH
    # The whole months inside the period, as their first days (None: unbounded that side).
    first = None if since is None else (since if since.day == 1 else _next_month(since))
    last = None if until is None else _last_whole_month(until)
    days: list[tuple[date | None, date | None]] = []  # inclusive ranges of day rows
    parts: list[ColumnElement[bool]] = []
    if first is None or last is None or first <= last:
        months = [grain == MONTH, period != ""]
        if first is not None:
            months.append(period >= first.isoformat()[:7])
        if last is not None:
            months.append(period <= last.isoformat()[:7])
        parts.append(and_(*months))
        if since is not None and first is not None and since < first:
            days.append((since, first - timedelta(days=1)))
        if until is not None and not _is_month_end(until):
            days.append((_month_of(until), until))
    else:  # no whole month inside: the days, at most two partial months of them
        days.append((since, until))
    for low, high in days:
        # Dates are stored YYYY-MM-DD: text order is date order.
        bounds = [grain == DAY]
        if low is not None:
            bounds.append(period >= low.isoformat())
        if high is not None:
            bounds.append(period <= high.isoformat())
        parts.append(and_(*bounds))
    return or_(*parts)


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _last_whole_month(until: date) -> date:
    # The first day of the last month that ends on or before `until`.
    if _is_month_end(until):
        return _month_of(until)
    return _month_of(_month_of(until) - timedelta(days=1))


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def _rows(
    connection: Connection, wanted: MapFilter, kinds: tuple[str, ...]
) -> list[tuple[str, str, str, int]]:
    # (kind, state, port, count) summed over the rows the filters select.
    table = map_counts_table
    conditions = [table.c.kind.in_(kinds), table.c.records != 0, _period(wanted)]
    if wanted.owner:
        conditions.append(table.c.owner == wanted.owner)
    if wanted.category:
        conditions.append(table.c.category == wanted.category)
    if wanted.drug:
        conditions.append(table.c.drug == wanted.drug)
    query = (
        select(table.c.kind, table.c.state, table.c.port, func.sum(table.c.records))
        .where(and_(*conditions))
        .group_by(table.c.kind, table.c.state, table.c.port)
    )
    return [(row[0], row[1], row[2], int(row[3])) for row in connection.execute(query)]


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
