"""`bench/graph_bench.py` keeps working: it builds its node, finds every read of the graph's
query served by an index, and serves each page it times. Speed is not asserted (see
bench/README.md); this only keeps the bench from rotting as the page changes."""

from __future__ import annotations

import pytest

import graph_bench
from enlace.store.store import Store
from enlace.web.queries.neighbourhood import DRAWN

NEIGHBOURS = 60


@pytest.mark.e2e
def test_the_bench_builds_its_hub_explains_and_times_every_page(
    store: Store, database: str
) -> None:
    built = graph_bench.build(store, NEIGHBOURS)
    assert built.records == 1 + NEIGHBOURS + 3 * graph_bench.BEYOND
    assert graph_bench.explain(store, built.hub) == []  # no table read whole
    assert graph_bench.explain(store, built.neighbour) == []
    timed = graph_bench.time_pages(store, database, built, 1)
    assert [t.nodes for t in timed] == [DRAWN, DRAWN, 0]  # two full pictures, the record page
    assert all(len(t.seconds) == 1 for t in timed)
