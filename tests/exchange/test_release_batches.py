"""A release cut into batches (the jobs of `enlace release --all --queue`), on SQLite and
PostgreSQL, run in process: the batches cover every record once, and released one by one
(in any order) they release what `release_everything_allowed` would, with
sequence numbers 1..N in commit order; a batch run twice releases nothing twice."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest

from enlace.exchange.release import (
    ReleaseRefused,
    plan_release_batches,
    release_batch,
    release_everything_allowed,
)
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support.exchange import MX_KEY, NATIONAL, add, mx_node, phone

NUMBERS = [f"+52 55 1234 {i:04d}" for i in range(23)]


def node_with_phones(store: Store) -> None:
    mx_node(store)
    add(store, *[StoredVersion.of(phone(n)) for n in NUMBERS])
    add(store, StoredVersion.of(phone("+52 55 9999 0000", markings=NATIONAL)))


def released(store: Store) -> list[tuple[str, str, str, int]]:
    with store.unit_of_work() as uow:
        page = uow.releases.page("US", version="all", limit=1000)
    return [(r.record_id, r.modified, r.signature, r.sequence) for r in page]


def test_batches_released_in_any_order_release_what_one_release_does(store: Store) -> None:
    node_with_phones(store)
    batches = plan_release_batches(store, partner="US", actor="tester", size=5)
    assert len(batches) >= 5
    assert batches[0].after is None
    assert batches[-1].upto is None
    assert all(a.upto == b.after for a, b in itertools.pairwise(batches))
    counts = [
        release_batch(store, partner="US", batch=b, signing_key=MX_KEY, actor="tester")
        for b in reversed(batches)  # any order: the jobs finish as they finish
    ]
    again = release_batch(store, partner="US", batch=batches[0], signing_key=MX_KEY, actor="t")
    assert again == 0  # a job run again after its worker died
    rows = released(store)
    assert sum(counts) == len(rows) == len(NUMBERS)
    assert [r[3] for r in rows] == list(range(1, len(rows) + 1))  # no gap
    assert release_everything_allowed(store, partner="US", signing_key=MX_KEY, actor="t") == 0


def test_a_release_to_an_unknown_partner_is_refused_before_any_batch(store: Store) -> None:
    node_with_phones(store)
    with pytest.raises(ReleaseRefused, match="ZZ"):
        plan_release_batches(store, partner="ZZ", actor="tester")
    with store.unit_of_work() as uow:
        last = list(uow.audit.entries())[-1]
    assert (last.action, last.subject) == ("release-refused", "ZZ")
    assert released(store) == []


def test_batches_released_at_once_by_several_threads_leave_no_gap(store: Store) -> None:
    # As the jobs of several workers do: each batch in its own transaction, at the same
    # time; the numbers still run 1..N, each version once.
    node_with_phones(store)
    batches = plan_release_batches(store, partner="US", actor="tester", size=3)
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(
            pool.map(
                lambda b: release_batch(
                    store, partner="US", batch=b, signing_key=MX_KEY, actor="tester"
                ),
                batches,
            )
        )
    rows = released(store)
    assert sum(counts) == len(rows) == len(NUMBERS)
    assert len({(r[0], r[1]) for r in rows}) == len(rows)
    assert [r[3] for r in rows] == list(range(1, len(rows) + 1))
    with store.unit_of_work() as uow:
        assert uow.audit.verify().ok
