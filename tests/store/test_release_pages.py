"""A partner's pages of released versions (what `enlace sync` reads), on SQLite and PostgreSQL.

A page after a cursor is read in windows of sequence numbers (ReleaseRepository.page): each
version once, in order, however statements (tombstones, consents) interleave with them in
the partner's sequence; and on PostgreSQL a page reads about one window of rows whatever
plan the planner picks (the sync of 1,000,000 versions in bench/scale_bench.py was quadratic
when it read and sorted everything after the cursor for each page).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from enlace.exchange.release import release_record
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support.exchange import CREATED, MX_KEY, add, mx_node, phone

AT = "2026-12-04T00:00:00.000Z"


def _release(store: Store, numbers: list[str], modified: datetime = CREATED) -> None:
    records = [phone(n, modified=modified) for n in numbers]
    add(store, *[StoredVersion.of(r) for r in records])
    with store.unit_of_work() as uow:
        for r in records:
            assert release_record(uow, record_id=r.id, partner="US", signing_key=MX_KEY, actor="t")
        uow.commit()


def _statements(store: Store, count: int) -> None:
    with store.unit_of_work() as uow:
        for i in range(count):
            uow.releases.add_statement(
                partner="US", kind="consent", record_id=f"x--{i}", statement="{}",
                digest="d", signature="s", at=AT,
            )  # fmt: skip
        uow.commit()


def _pages(store: Store, limit: int) -> list[list[int]]:
    pages: list[list[int]] = []
    after: int | None = None
    while True:
        with store.unit_of_work() as uow:
            page = uow.releases.page("US", after=after, version="all", limit=limit)
        if not page:
            return pages
        pages.append([r.sequence for r in page])
        after = page[-1].sequence


def test_pages_hold_each_version_once_in_order_across_statements(store: Store) -> None:
    mx_node(store)
    _release(store, [f"+52 55 1000 {i:04d}" for i in range(3)])  # 1..3
    _statements(store, 5)  # 4..8: a window of two numbers holds no version
    _release(store, [f"+52 55 2000 {i:04d}" for i in range(4)])  # 9..12
    _statements(store, 1)  # 13
    _release(store, ["+52 55 3000 0000"])  # 14
    _statements(store, 3)  # 15..17: the sequence ends with statements

    assert _pages(store, 2) == [[1, 2], [3, 9], [10, 11], [12, 14]]
    assert _pages(store, 5) == [[1, 2, 3, 9, 10], [11, 12, 14]]
    assert _pages(store, 100) == [[1, 2, 3, 9, 10, 11, 12, 14]]


def test_newest_and_oldest_versions_page_across_windows(store: Store) -> None:
    # Three records, each released in two versions; the newest of each are numbers 4..6,
    # so a window of two numbers holding older versions only holds nothing to send.
    mx_node(store)
    numbers = [f"+52 55 5000 {i:04d}" for i in range(3)]
    _release(store, numbers)  # 1..3
    _release(store, numbers, modified=CREATED + timedelta(days=1))  # 4..6

    def pages(version: str, limit: int) -> list[list[int]]:
        found: list[list[int]] = []
        after: int | None = None
        while True:
            with store.unit_of_work() as uow:
                page = uow.releases.page("US", after=after, version=version, limit=limit)
            if not page:
                return found
            found.append([r.sequence for r in page])
            after = page[-1].sequence

    assert pages("last", 2) == [[4, 5], [6]]
    assert pages("first", 2) == [[1, 2], [3]]
    assert pages("all", 4) == [[1, 2, 3, 4], [5, 6]]
    with store.unit_of_work() as uow:
        one = uow.releases.page("US", ids=[phone(numbers[0]).id], version="last", limit=10)
    assert [r.sequence for r in one] == [4]


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_page_reads_one_window_of_rows_whatever_the_plan(store: Store) -> None:
    # 3,000 versions released and never analyzed; the planner told not to walk an index in
    # order (as it chose, wrongly, with no statistics): the page still reads a window.
    mx_node(store)
    _release(store, [f"+52 55 4000 {i:04d}" for i in range(3000)])
    with store.unit_of_work() as uow:
        connection = uow.connection
        connection.execute(text("SET LOCAL enable_indexscan = off"))
        page = uow.releases.page("US", after=100, version="all", limit=10)
        read = connection.execute(
            text(
                "SELECT coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0) "
                "FROM pg_stat_xact_user_tables "
                "WHERE relname = 'releases' AND schemaname = current_schema()"
            )
        ).scalar_one()
    assert [r.sequence for r in page] == list(range(101, 111))
    assert read <= 20, f"one page of 10 read {read} release rows"
