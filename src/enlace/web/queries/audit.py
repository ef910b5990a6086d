"""Read model of the audit page: the log filtered by actor, record, action and dates, one page
at a time, with the titles of the records it names; its export; and, when asked, whether its
hash chain holds (a walk of the whole log: never done on a mere view of the page)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Select, select
from sqlalchemy.sql.elements import ColumnElement

from enlace.store.repositories.audit import AuditEntry, AuditVerification
from enlace.store.store import Store
from enlace.store.tables import audit_log
from enlace.web.listing import EXPORT_LIMIT, Pager, Sort, capped_count, order_by, pager
from enlace.web.queries.describe import titles_of

PAGE_SIZE = 100
# The log sorts by its sequence only: `at` follows it, and nothing else has an index.
AUDIT_COLUMNS: dict[str, ColumnElement[Any]] = {"seq": audit_log.c.seq}
AUDIT_SORT = Sort("seq", descending=True)
_BATCH = 500  # entries an export reads (and names) at a time
# A subject that is a record id (kind--UUID): the page shows the record's title next to it.
_RECORD_ID = re.compile(
    r"[a-z][a-z0-9-]{0,80}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries the page shows: by whom, about what, of which action, from and until
    which day (both included, UTC as the log is dated). Empty fields filter nothing."""

    actor: str = ""
    subject: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    def applied(self, query: Select[Any]) -> Select[Any]:
        """`query` narrowed to these entries."""
        if self.actor:
            query = query.where(audit_log.c.actor == self.actor)
        if self.subject:
            query = query.where(audit_log.c.subject == self.subject)
        if self.action:
            query = query.where(audit_log.c.action == self.action)
        # `at` is ISO 8601 text (…Z): it orders as the instants do, so days compare as text.
        if self.since is not None:
            query = query.where(audit_log.c.at >= self.since.isoformat())
        if self.until is not None:
            query = query.where(audit_log.c.at < (self.until + timedelta(days=1)).isoformat())
        return query


@dataclass(frozen=True, slots=True)
class AuditView:
    """One page of the log, as filtered."""

    entries: tuple[AuditEntry, ...]
    action: str  # the action filtered by ("" for all)
    total: int  # entries the filter holds
    page: int
    pages: int
    titles: dict[str, str]  # record id (a subject above) -> its newest version's title
    wanted: AuditFilter = AuditFilter()
    pager: Pager = Pager(1, PAGE_SIZE, 0)


def audit_view(
    store: Store,
    *,
    action: str = "",
    page: int = 1,
    wanted: AuditFilter | None = None,
    known: Collection[str] = (),
    sort: Sort = AUDIT_SORT,
    page_size: int = PAGE_SIZE,
) -> AuditView:
    """Entries as `wanted` (or of `action`) filters them, one page, by sequence (newest first
    unless `sort` says). An action neither `known` nor in the log filters nothing."""
    chosen = wanted if wanted is not None else AuditFilter(action=action)
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        if chosen.action and chosen.action not in known and not _logged(connection, chosen.action):
            chosen = AuditFilter(chosen.actor, chosen.subject, "", chosen.since, chosen.until)
        total, more = capped_count(connection, chosen.applied(select(audit_log.c.seq)))
        shown = pager(page, total=total, size=page_size, more=more)
        columns = _sort_columns(connection, chosen)
        query = chosen.applied(select(audit_log)).order_by(*order_by(sort, columns))
        rows = connection.execute(query.limit(page_size).offset(shown.offset)).all()
        entries = tuple(_entry(row) for row in rows)
        titles = titles_of(
            connection,
            [e.subject for e in entries if e.subject is not None and _is_record(e.subject)],
        )
    return AuditView(
        entries=entries,
        action=chosen.action,
        total=shown.total,
        page=shown.page,
        pages=shown.pages,
        titles=titles,
        wanted=chosen,
        pager=shown,
    )


def audit_rows(
    store: Store, *, wanted: AuditFilter, sort: Sort = AUDIT_SORT, limit: int = EXPORT_LIMIT
) -> Iterator[tuple[AuditEntry, str]]:
    """Every entry `wanted` filters (sorted, at most `limit`) with the title of the record it
    is about ("" when none), for the export: read as the file is written, in batches."""
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        columns = _sort_columns(connection, wanted)
        query = wanted.applied(select(audit_log)).order_by(*order_by(sort, columns)).limit(limit)
        result = connection.execution_options(yield_per=_BATCH).execute(query)
        for batch in result.partitions():
            entries = [_entry(row) for row in batch]
            titles = titles_of(
                connection,
                [e.subject for e in entries if e.subject is not None and _is_record(e.subject)],
            )
            for entry in entries:
                yield entry, titles.get(entry.subject or "", "")


def verify_log(store: Store, *, start: int = 1, limit: int | None = None) -> AuditVerification:
    """Walk the chain from entry `start` (`limit` entries at most): every entry's hash, and
    its link to the one before. Work in proportion to the entries walked, so done when
    someone asks, not on every view, and in steps on the web."""
    with store.unit_of_work() as uow:  # only reads
        return uow.audit.verify(start=start, limit=limit)


def _sort_columns(connection: Connection, wanted: AuditFilter) -> dict[str, ColumnElement[Any]]:
    """The sort's columns for `wanted`: a period that ended before the newest entry is sorted
    by `seq + 0`, an expression, not the column.

    Sorted by the column, PostgreSQL reads such a period by walking the log back from its
    newest entry until it has a page: it takes the period's entries for spread over the whole
    log, while they sit together (`at` follows `seq`), so for a month a few years back it
    walked millions of entries (bench/explain_bench.py). The expression has no index: the
    period's entries are read through the index on `at` and sorted, work in proportion to
    the period. A period reaching the newest entry keeps the column: the walk back from the
    newest entry is then the shortest way, a page's worth of entries.
    """
    if wanted.until is None:
        return AUDIT_COLUMNS
    newest = connection.execute(
        select(audit_log.c.at).order_by(audit_log.c.seq.desc()).limit(1)
    ).scalar()
    if newest is None or str(newest) < (wanted.until + timedelta(days=1)).isoformat():
        return AUDIT_COLUMNS
    return {"seq": audit_log.c.seq + 0}


def _logged(connection: Connection, action: str) -> bool:
    found = select(audit_log.c.seq).where(audit_log.c.action == action).limit(1)
    return connection.execute(found).first() is not None


def _is_record(subject: str) -> bool:
    return _RECORD_ID.fullmatch(subject) is not None


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        seq=int(row.seq),
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        detail_json=row.detail,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )
