"""Read model of the matching page: matches, hit notices, disclosure requests, runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.sql.elements import ColumnElement

from enlace.store.repositories.disclosures import DisclosureRequest
from enlace.store.repositories.match_runs import MatchRun
from enlace.store.repositories.matches import HitNotice, Match
from enlace.store.store import Store
from enlace.store.tables import matches, partners
from enlace.web.listing import EXPORT_LIMIT, Pager, Sort, capped_count, order_by, pager
from enlace.web.queries.describe import titles_of

RECENT = 50
PAGE_SIZE = 50
# The columns the matches list sorts by (the `sort` parameter), and its default order.
MATCH_COLUMNS: dict[str, ColumnElement[Any]] = {
    "found": matches.c.found_at,
    "partner": matches.c.partner,
    "kind": matches.c.kind,
    "record": matches.c.record_id,
    "run": matches.c.run_id,
}
MATCH_SORT = Sort("found", descending=True)
_BATCH = 500  # rows an export reads (and names) at a time


@dataclass(frozen=True, slots=True)
class MatchFilter:
    """Which matches the list shows: of one partner, one kind of identifier, one run."""

    partner: str = ""
    kind: str = ""
    run: str = ""

    def applied(self, query: Select[Any]) -> Select[Any]:
        """`query` narrowed to these matches."""
        if self.partner:
            query = query.where(matches.c.partner == self.partner)
        if self.kind:
            query = query.where(matches.c.kind == self.kind)
        if self.run:
            query = query.where(matches.c.run_id == self.run)
        return query


@dataclass(frozen=True, slots=True)
class MatchingView:
    """Everything the matching page shows."""

    matches: tuple[Match, ...]  # our records that a partner also holds (we asked): one page
    hit_notices: tuple[HitNotice, ...]  # our records a partner matched (they asked)
    incoming: tuple[DisclosureRequest, ...]  # partners asking us to disclose, newest first
    outgoing: tuple[DisclosureRequest, ...]  # what we asked partners for
    runs: tuple[MatchRun, ...]
    titles: dict[str, str]  # record id -> its title, for the records named above
    pager: Pager = Pager(1, PAGE_SIZE, 0)  # the matches list's page
    partners: tuple[str, ...] = ()  # registered partners, for the filter

    @property
    def pending(self) -> int:
        """Incoming disclosure requests waiting for a decision."""
        return sum(1 for request in self.incoming if request.status == "pending")


def matching_view(
    store: Store,
    *,
    recent: int = RECENT,
    wanted: MatchFilter = MatchFilter(),
    sort: Sort = MATCH_SORT,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> MatchingView:
    """The matching page's content: one page of the matches (filtered, sorted), and the
    newest `recent` of each other list."""
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        total, more = capped_count(connection, wanted.applied(select(matches.c.run_id)))
        shown = pager(page, total=total, size=page_size, more=more)
        query = wanted.applied(select(matches)).order_by(*_match_order(sort))
        found = [
            Match(**row._mapping)
            for row in connection.execute(query.limit(page_size).offset(shown.offset))
        ]
        notices = uow.matches.hit_notices(limit=recent)
        requests = uow.disclosures.all()
        runs = uow.match_runs.recent(recent)
        named = [m.record_id for m in found] + [n.record_id for n in notices]
        named += [r.record_id for r in requests if r.record_id is not None]
        titles = titles_of(connection, named)
        parties = tuple(connection.execute(select(partners.c.party).order_by("party")).scalars())
    newest_first = sorted(requests, key=lambda r: r.id, reverse=True)
    incoming = [r for r in newest_first if r.direction == "incoming"]
    # Pending first: they wait for someone.
    incoming.sort(key=lambda r: r.status != "pending")
    return MatchingView(
        matches=tuple(found),
        hit_notices=tuple(notices),
        incoming=tuple(incoming[:recent]),
        outgoing=tuple(r for r in newest_first if r.direction == "outgoing")[:recent],
        runs=tuple(runs),
        titles=titles,
        pager=shown,
        partners=parties,
    )


def match_rows(
    store: Store, *, wanted: MatchFilter, sort: Sort, limit: int = EXPORT_LIMIT
) -> Iterator[tuple[str, ...]]:
    """Every match the list shows (filtered and sorted as it is, at most `limit`), for the
    export: found, partner, kind, record id, the record's title, run, the partner's handle.
    Read as the file is written, `_BATCH` rows at a time, each batch's titles looked up."""
    query = wanted.applied(select(matches)).order_by(*_match_order(sort)).limit(limit)
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        result = connection.execution_options(yield_per=_BATCH).execute(query)
        for batch in result.partitions():
            titles = titles_of(connection, [row.record_id for row in batch])
            for row in batch:
                yield (
                    row.found_at,
                    row.partner,
                    row.kind,
                    row.record_id,
                    titles.get(row.record_id, ""),
                    row.run_id,
                    row.partner_handle,
                )


def _match_order(sort: Sort) -> list[ColumnElement[Any]]:
    return order_by(
        sort,
        MATCH_COLUMNS,
        matches.c.found_at,
        matches.c.partner,
        matches.c.kind,
        matches.c.record_id,
        matches.c.partner_handle,
    )
