"""The seizure map's counts (issue 18) as the query gives them, on SQLite and PostgreSQL:
equal, filter by filter, to the counts worked out in Python from the records themselves;
only newest, unrevoked versions; recoveries are recovered firearms."""

from __future__ import annotations

from datetime import date

import pytest

from enlace.store.store import Store
from enlace.web.queries.seizure_map import MapFilter, map_counts
from support.seizure_map import expected_counts, map_node

FILTERS = [
    MapFilter(),
    MapFilter(kind="seizure"),
    MapFilter(kind="recovery"),
    MapFilter(owner="MX"),
    MapFilter(owner="US", kind="seizure"),
    MapFilter(category="drug"),
    MapFilter(drug="fentanyl"),
    MapFilter(drug="cocaine", owner="MX"),
    MapFilter(category="firearm", kind="recovery"),  # recoveries have no category: none
    MapFilter(since=date(2024, 6, 1)),
    MapFilter(until=date(2024, 12, 31), kind="recovery"),
    MapFilter(since=date(2025, 1, 1), until=date(2025, 3, 31), drug="methamphetamine"),
    MapFilter(owner="ZZ"),  # no such owner: nothing
]


@pytest.mark.parametrize("wanted", FILTERS, ids=repr)
def test_the_counts_are_those_of_the_records_for_every_filter(
    store: Store, wanted: MapFilter
) -> None:
    data = map_node(store)
    counts = map_counts(store, wanted)
    states, ports, no_state = expected_counts(data, wanted)
    assert {code: (c.seizures, c.recoveries) for code, c in counts.states.items()} == states
    assert counts.ports == ports
    assert (counts.no_state.seizures, counts.no_state.recoveries) == no_state


def test_only_the_newest_unrevoked_version_counts(store: Store) -> None:
    data = map_node(store, seizures=2, firearms=0)
    counts = map_counts(store, MapFilter())
    # The first seizure moved to Zacatecas in its newest version; the second was revoked.
    assert counts.states == {"MX-ZAC": counts.states["MX-ZAC"]}
    assert counts.states["MX-ZAC"].seizures == 1
    assert counts.seizures == 1
    assert data.revoked not in {r.id for r in data.current}


def test_the_filters_split_the_whole(store: Store) -> None:
    map_node(store)
    whole = map_counts(store, MapFilter())
    by_kind = [map_counts(store, MapFilter(kind=k)) for k in ("seizure", "recovery")]
    assert whole.seizures == by_kind[0].seizures > 0
    assert whole.recoveries == by_kind[1].recoveries > 0
    by_owner = [map_counts(store, MapFilter(owner=o)) for o in ("MX", "US")]
    assert sum(c.seizures + c.recoveries for c in by_owner) == whole.seizures + whole.recoveries
