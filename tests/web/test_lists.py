"""Lists that work: the shared pieces (enlace.web.listing) and the matching, exchange and audit
lists' sorting, paging, filters and exports, read from real SQLite and PostgreSQL stores.

The pages themselves (links, CSV downloads, roles, languages) are in test_pages_lists.py.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert

from enlace.store.repositories.matches import Match
from enlace.store.store import Store
from enlace.store.tables import records, releases
from enlace.web.listing import (
    EXPORT_LIMIT,
    ListState,
    Pager,
    Sort,
    csv_chunks,
    pager,
    read_sort,
    safe_cell,
)
from enlace.web.parameters import BadParameter
from enlace.web.queries.audit import AuditFilter, audit_rows, audit_view
from enlace.web.queries.describe import titles_of
from enlace.web.queries.exchange import (
    DEFAULT_SORT,
    exchange_view,
    movement_rows,
    refusal_rows,
)
from enlace.web.queries.matching import MatchFilter, match_rows, matching_view
from support.pages import mx_node


def parsed(chunks: Iterator[bytes]) -> list[list[str]]:
    """A CSV download read back: the BOM first, then rows."""
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


# --- the shared pieces ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")']
)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_after_an_apostrophe(
    cell: str,
) -> None:
    assert safe_cell(cell) == "'" + cell
    rows = parsed(csv_chunks(["a"], [[cell]]))
    assert rows == [["a"], ["'" + cell]]


def test_other_cells_are_written_as_they_are_and_accents_survive() -> None:
    assert safe_cell(None) == ""
    assert safe_cell(12) == "12"
    rows = parsed(csv_chunks(["Título"], [["Hernández, José"], ['a"b\nc'], [None]]))
    assert rows == [["Título"], ["Hernández, José"], ['a"b\nc'], [""]]


def test_an_export_stops_at_its_limit_and_is_written_in_chunks() -> None:
    chunks = list(csv_chunks(["n"], ([n] for n in range(2_000)), limit=1_200))
    assert len(chunks) > 2  # streamed: the header, then a chunk per 500 rows
    rows = parsed(iter(chunks))
    assert len(rows) == 1 + 1_200
    assert rows[-1] == ["1199"]
    assert EXPORT_LIMIT >= 10_000


def test_a_sort_is_one_of_the_columns_allowed_and_a_direction() -> None:
    columns = ("found", "partner")
    assert read_sort("", "", columns=columns, default="found") == Sort("found", True)
    assert read_sort("partner", "asc", columns=columns, default="found") == Sort("partner", False)
    assert read_sort("PARTNER", "", columns=columns, default="found") == Sort("partner", True)
    for sort, direction in (("stix", ""), ("found;drop table x", ""), ("found", "up")):
        with pytest.raises(BadParameter):
            read_sort(sort, direction, columns=columns, default="found")


def test_a_page_past_the_last_is_the_last_and_links_keep_the_filters() -> None:
    shown = pager(99, total=101, size=50)
    assert (shown.page, shown.pages, shown.offset) == (3, 3, 100)
    assert pager(1, total=0, size=50).pages == 1
    state = ListState(
        path="/web/x",
        anchor="list",
        sort=Sort("found", True),
        pager=shown,
        filters={"partner": "US", "kind": ""},
        export_path="/web/x/export",
    )
    assert state.link(page=2) == "/web/x?partner=US&sort=found&dir=desc&page=2#list"
    assert state.sort_link("found") == "/web/x?partner=US&sort=found&dir=asc&page=1#list"
    assert state.sort_link("partner") == "/web/x?partner=US&sort=partner&dir=asc&page=1#list"
    assert state.export_link == "/web/x/export?partner=US&sort=found&dir=desc"
    assert state.sort.aria_sort("found") == "descending"
    assert state.sort.aria_sort("partner") == "none"
    assert not state.export_cut
    assert ListState("/", "a", Sort("x", False), Pager(1, 1, EXPORT_LIMIT + 1)).export_cut


# --- matching --------------------------------------------------------------------------------

FOUND = "2025-09-{:02d}T10:00:00.000000Z"


def with_matches(store: Store) -> dict[str, str]:
    ids = mx_node(store)
    found = [
        Match("US", "phone", ids["own"], f"h{n:03d}", "run-a", FOUND.format(1 + n % 20))
        for n in range(60)
    ]
    found += [
        Match("CA", "vin", ids["received"], f"v{n:03d}", "run-b", FOUND.format(25))
        for n in range(5)
    ]
    found.append(Match("US", "vin", ids["tampered"], '=HYPERLINK("x")', "run-c", FOUND.format(28)))
    with store.unit_of_work() as uow:
        uow.matches.add_matches(found)
        uow.commit()
    return ids


def test_the_matches_list_pages_through_every_match(store: Store) -> None:
    with_matches(store)
    first = matching_view(store)
    assert (first.pager.total, first.pager.pages, len(first.matches)) == (66, 2, 50)
    second = matching_view(store, page=2)
    assert len(second.matches) == 16
    seen = {(m.partner, m.partner_handle) for m in (*first.matches, *second.matches)}
    assert len(seen) == 66  # no match on two pages, none left out
    assert first.matches[0].run_id == "run-c"  # newest first
    assert matching_view(store, page=9).pager.page == 2


def test_the_matches_list_filters_by_partner_kind_and_run(store: Store) -> None:
    with_matches(store)

    def total(**wanted: str) -> int:
        return matching_view(store, wanted=MatchFilter(**wanted)).pager.total

    assert total(partner="CA") == 5
    assert total(kind="vin") == 6
    assert total(run="run-a") == 60
    assert total(partner="US", kind="vin") == 1
    assert total(partner="US", kind="vin", run="run-a") == 0
    only = matching_view(store, wanted=MatchFilter(run="run-b"))
    assert {m.run_id for m in only.matches} == {"run-b"}


def test_the_matches_list_sorts_by_a_column_either_way(store: Store) -> None:
    with_matches(store)
    by_partner = matching_view(store, sort=Sort("partner", False))
    assert [m.partner for m in by_partner.matches[:5]] == ["CA"] * 5
    backwards = matching_view(store, sort=Sort("partner", True))
    assert backwards.matches[0].partner == "US"
    oldest = matching_view(store, sort=Sort("found", False))
    assert oldest.matches[0].found_at == FOUND.format(1)


def test_the_matches_export_holds_every_match_in_the_list_order(store: Store) -> None:
    ids = with_matches(store)
    order = Sort("found", False)
    rows = list(match_rows(store, wanted=MatchFilter(partner="US"), sort=order))
    assert len(rows) == 61
    shown = [*matching_view(store, wanted=MatchFilter(partner="US"), sort=order).matches]
    shown += matching_view(store, wanted=MatchFilter(partner="US"), sort=order, page=2).matches
    assert [r[6] for r in rows] == [m.partner_handle for m in shown]
    with store.unit_of_work() as uow:
        title = titles_of(uow.connection, [ids["own"]])[ids["own"]]
    assert rows[0][3:5] == (ids["own"], title)
    written = parsed(csv_chunks(["h"] * 7, rows))
    assert [row[6] for row in written if "HYPERLINK" in row[6]] == ['\'=HYPERLINK("x")']


# --- exchange --------------------------------------------------------------------------------


def with_releases(store: Store) -> dict[str, str]:
    ids = mx_node(store)
    with store.unit_of_work() as uow:
        versions = uow.connection.execute(
            records.select().where(records.c.received_from.is_(None))
        ).all()
        uow.connection.execute(
            insert(releases),
            [
                {
                    "record_id": v.id,
                    "modified": v.modified,
                    "partner": partner,
                    "released_at": f"2025-10-{n + 1:02d}T00:00:00.000000Z",
                    "signature": "0" * 128,
                    "sequence": n + 1,
                }
                for n, (v, partner) in enumerate((v, p) for v in versions for p in ("US", "CA"))
            ],
        )
        for n in range(30):
            uow.audit.append(
                actor="sync",
                action="release-refused",
                subject="=1+1" if n == 0 else f"US-{n}",
                detail={"partner": "US", "reason": "not releasable"},
            )
        uow.commit()
    return ids


def test_the_exchange_lists_page_and_sort_each_on_its_own(store: Store) -> None:
    with_releases(store)
    view = exchange_view(store)
    assert view.pagers["released"].total == 8  # 4 versions of MX's records, to 2 partners
    assert view.pagers["refusals"].total == 31
    assert (len(view.refusals), view.pagers["refusals"].pages) == (25, 2)
    older = exchange_view(store, chosen="refusals", sort=DEFAULT_SORT, page=2)
    assert len(older.refusals) == 6
    assert older.refusals[-1].action == "refusal"  # mx_node's, the oldest
    assert older.pagers["released"].page == 1  # the other lists stay on their first page
    by_partner = exchange_view(store, chosen="released", sort=Sort("partner", False))
    assert [m.partner for m in by_partner.released] == ["CA"] * 4 + ["US"] * 4
    assert by_partner.sorts["received"] == DEFAULT_SORT
    received = exchange_view(store, chosen="received", sort=Sort("kind", False))
    assert [m.kind for m in received.received] == ["phone", "vehicle"]


def test_the_exchange_exports_hold_every_row_in_the_list_order(store: Store) -> None:
    with_releases(store)
    released = list(movement_rows(store, chosen="released", sort=Sort("when", False)))
    assert [m.at for m, _ in released] == sorted(m.at for m, _ in released)
    assert len(released) == 8
    assert all(title for _, title in released)
    received = list(movement_rows(store, chosen="received", sort=DEFAULT_SORT))
    assert {m.partner for m, _ in received} == {"US"}
    assert len(received) == 2
    refusals = list(refusal_rows(store, sort=DEFAULT_SORT))
    assert len(refusals) == 31
    assert refusals[-2][0].subject == "=1+1"  # seq 2, after mx_node's refusal
    written = parsed(csv_chunks(["s"], [[r.subject] for r, _ in refusals]))
    assert ["'=1+1"] in written


# --- audit -----------------------------------------------------------------------------------


def logged_on(store: Store, monkeypatch: pytest.MonkeyPatch, day: date, **entry: str) -> None:
    """One entry appended as on `day` (noon UTC)."""
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    monkeypatch.setattr("enlace.store.repositories.audit.utc_now", lambda: moment)
    with store.unit_of_work() as uow:
        uow.audit.append(**entry)  # type: ignore[arg-type]
        uow.commit()


@pytest.fixture
def audited(store: Store, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    ids = mx_node(store)  # one refusal entry, dated now (after the ones below)
    entries = [
        (date(2025, 1, 10), "ana", "login", "ana"),
        (date(2025, 1, 10), "ana", "record-read", ids["own"]),
        (date(2025, 2, 1), "beto", "record-read", ids["own"]),
        (date(2025, 2, 1), "beto", "release", ids["national"]),
        (date(2025, 3, 15), "ana", "release", ids["own"]),
        (date(2025, 3, 31), "=cmd|'/C calc'!A0", "login-failure", "@evil"),
    ]
    for day, actor, action, subject in entries:
        logged_on(store, monkeypatch, day, actor=actor, action=action, subject=subject)
    return ids


def seqs(store: Store, wanted: AuditFilter) -> list[int]:
    return [e.seq for e in audit_view(store, wanted=wanted).entries]


def test_the_audit_log_filters_by_actor(store: Store, audited: dict[str, str]) -> None:
    assert seqs(store, AuditFilter(actor="ana")) == [6, 3, 2]
    assert seqs(store, AuditFilter(actor="nobody")) == []


def test_the_audit_log_filters_by_record(store: Store, audited: dict[str, str]) -> None:
    assert seqs(store, AuditFilter(subject=audited["own"])) == [6, 4, 3]


def test_the_audit_log_filters_by_action(store: Store, audited: dict[str, str]) -> None:
    assert seqs(store, AuditFilter(action="release")) == [6, 5]
    # An action neither known nor in the log filters nothing (the old page's behaviour).
    assert audit_view(store, action="no-such-action").action == ""
    assert audit_view(store, wanted=AuditFilter(action="release"), known=()).action == "release"


def test_the_audit_log_filters_by_dates_both_included(
    store: Store, audited: dict[str, str]
) -> None:
    assert seqs(store, AuditFilter(since=date(2025, 2, 1), until=date(2025, 3, 15))) == [6, 5, 4]
    assert seqs(store, AuditFilter(until=date(2025, 1, 10))) == [3, 2]
    assert seqs(store, AuditFilter(since=date(2025, 3, 31), until=date(2025, 3, 31))) == [7]
    assert 1 in seqs(store, AuditFilter(since=date(2025, 4, 1)))  # mx_node's, dated today


def test_the_audit_log_filters_combined(store: Store, audited: dict[str, str]) -> None:
    own = audited["own"]
    assert seqs(store, AuditFilter(actor="ana", subject=own, action="record-read")) == [3]
    assert seqs(store, AuditFilter(actor="ana", since=date(2025, 2, 1))) == [6]
    both = AuditFilter(
        actor="beto", action="release", since=date(2025, 2, 1), until=date(2025, 2, 1)
    )
    assert seqs(store, both) == [5]
    assert seqs(store, AuditFilter(actor="beto", until=date(2025, 1, 31))) == []


def test_the_audit_log_names_the_records_it_is_about_and_sorts_by_seq(
    store: Store, audited: dict[str, str]
) -> None:
    view = audit_view(store, wanted=AuditFilter(subject=audited["own"]))
    with store.unit_of_work() as uow:
        title = titles_of(uow.connection, [audited["own"]])[audited["own"]]
    assert view.titles == {audited["own"]: title}
    assert "ana" not in audit_view(store, wanted=AuditFilter(actor="ana")).titles
    oldest = audit_view(store, sort=Sort("seq", False))
    assert [e.seq for e in oldest.entries][:3] == [1, 2, 3]


def test_the_audit_log_pages_with_the_filter(store: Store, audited: dict[str, str]) -> None:
    view = audit_view(store, wanted=AuditFilter(actor="ana"), page_size=2)
    assert (view.total, view.pages, [e.seq for e in view.entries]) == (3, 2, [6, 3])
    last = audit_view(store, wanted=AuditFilter(actor="ana"), page_size=2, page=5)
    assert (last.page, [e.seq for e in last.entries]) == (2, [2])


def test_a_long_list_is_counted_only_up_to_the_cap(
    store: Store, audited: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # At ten million entries counting them all would cost every page view seconds: the count
    # stops at the cap and the pager says "more than".
    monkeypatch.setattr("enlace.web.listing.COUNT_CAP", 4)
    view = audit_view(store, page_size=2)
    assert (view.total, view.pager.more, view.pages) == (4, True, 2)
    assert [e.seq for e in view.entries] == [7, 6]
    exact = audit_view(store, wanted=AuditFilter(actor="ana"), page_size=2)
    assert (exact.total, exact.pager.more) == (3, False)
    exchange = exchange_view(store)
    assert exchange.pagers["released"].more is False


def test_the_audit_export_holds_the_filtered_entries_with_titles(
    store: Store, audited: dict[str, str]
) -> None:
    rows = list(audit_rows(store, wanted=AuditFilter(actor="ana")))
    assert [e.seq for e, _ in rows] == [6, 3, 2]
    assert rows[0][1]
    assert rows[2][1] == ""
    every = list(audit_rows(store, wanted=AuditFilter(), sort=Sort("seq", False)))
    assert [e.seq for e, _ in every] == list(range(1, 8))
    written = parsed(csv_chunks(["actor", "subject"], [[e.actor, e.subject] for e, _ in every]))
    assert ["'=cmd|'/C calc'!A0", "'@evil"] in written
