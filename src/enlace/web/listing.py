"""What every list page shares: sorting by a column, paging with a page number, CSV export.

A list page (matching, exchange, audit; the records list may use them too) does four things
with these pieces, all generic:

1. reads its sort with `read_sort` (the `sort` and `dir` parameters, checked against the
   columns it allows: a bad value is a `BadParameter`, a clear 400, never SQL text) and
   orders its query with `order_by` (the chosen column, then a unique tiebreak so rows never
   move between pages);
2. counts its rows and makes a `Pager` (`pager`): the page shown, clamped to the last one,
   with its offset and the number of pages;
3. hands the template a `ListState` (the path, the section's anchor, the filters it keeps in
   every link, the sort and the pager), which the macros of macros.html turn into sortable
   column headers (`sort_header`, with aria-sort) and a pager with a "go to page" form
   (`pager`);
4. offers the same rows, filtered and sorted the same way, as CSV (`csv_response`): cells a
   spreadsheet would run as a formula are neutralised (`safe_cell`), the file is UTF-8 with a
   BOM (so Excel in Spanish shows accents right), streamed in chunks and cut at
   `EXPORT_LIMIT` rows.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any
from urllib.parse import quote

from fastapi.responses import StreamingResponse
from sqlalchemy import Connection, Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from enlace.web import parameters

ASCENDING, DESCENDING = "asc", "desc"
DIRECTIONS = (ASCENDING, DESCENDING)
# Rows one export holds at most: a spreadsheet opens that many quickly, and an export is one
# request's work. The page says when a filtered list holds more.
EXPORT_LIMIT = 100_000
_CHUNK_ROWS = 500  # rows written per chunk of the streamed file
# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google
# Sheets (OWASP, "CSV Injection"): such a cell is written after an apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Sort:
    """The column a list is ordered by, and which way."""

    column: str
    descending: bool

    @property
    def direction(self) -> str:
        """`desc` or `asc`, as the `dir` parameter writes it."""
        return DESCENDING if self.descending else ASCENDING

    def aria_sort(self, column: str) -> str:
        """The aria-sort value of `column`'s header: how the list is ordered by it."""
        if column != self.column:
            return "none"
        return "descending" if self.descending else "ascending"

    def next_direction(self, column: str) -> str:
        """The direction a click on `column`'s header asks for: the other way round when the
        list is ordered by it already, else ascending."""
        if column == self.column:
            return ASCENDING if self.descending else DESCENDING
        return ASCENDING


def read_sort(
    sort: str | None,
    direction: str | None,
    *,
    columns: Collection[str],
    default: str,
    descending: bool = True,
) -> Sort:
    """The sort the `sort` and `dir` parameters ask for, among `columns`; `default` (in
    `descending` order unless `dir` says) when absent. Anything else is a `BadParameter`."""
    column = parameters.choice(sort, name="sort", choices=columns) or default
    way = parameters.choice(direction, name="dir", choices=DIRECTIONS)
    return Sort(column, way == DESCENDING if way else descending)


def order_by(
    sort: Sort,
    columns: Mapping[str, ColumnElement[Any]],
    *tiebreak: ColumnElement[Any],
) -> list[ColumnElement[Any]]:
    """ORDER BY clauses: the chosen column, then `tiebreak` (a unique key, in the same
    direction) so that equal values keep one order and no row shows on two pages."""
    chosen = [columns[sort.column], *(c for c in tiebreak if c is not columns[sort.column])]
    return [c.desc() if sort.descending else c.asc() for c in chosen]


@dataclass(frozen=True, slots=True)
class Pager:
    """One page of a list: its number (1 to `pages`), its size, and the rows in all — or,
    when `more`, the rows counted before the count stopped at COUNT_CAP."""

    page: int
    size: int
    total: int
    more: bool = False

    @property
    def pages(self) -> int:
        """How many pages the list has (1 when it is empty)."""
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * self.size


def pager(page: int, *, total: int, size: int, more: bool = False) -> Pager:
    """The page asked for, or the last one when the list is shorter than that."""
    shown = Pager(1, size, total, more)
    return replace(shown, page=max(1, min(page, shown.pages)))


# A list's rows are counted up to here, no further: counting every row of a log or of the
# versions received at ten million rows would cost each page view seconds. Past it the page
# says "more than" and pages through the first COUNT_CAP rows in the order chosen (the other
# order reaches the other end).
COUNT_CAP = 10_000


def capped_count(connection: Connection, query: Select[Any]) -> tuple[int, bool]:
    """(rows of `query`, counted up to COUNT_CAP; whether there are more)."""
    limited = query.limit(COUNT_CAP + 1).subquery()
    found = int(connection.execute(select(func.count()).select_from(limited)).scalar_one())
    return min(found, COUNT_CAP), found > COUNT_CAP


@dataclass(frozen=True, slots=True)
class ListState:
    """What a template needs to draw a list's headers, pager and export link.

    `filters` are the parameters read for this list (its filters; on a page of several
    lists, the one meant): every link keeps them, and the sort, and goes to `anchor`.
    """

    path: str
    anchor: str
    sort: Sort
    pager: Pager
    filters: Mapping[str, str] = field(default_factory=dict)
    export_path: str | None = None

    def kept(self, **changes: str | int) -> dict[str, str]:
        """The parameters of a link to this list, with `changes`."""
        values: dict[str, str | int | None] = {**self.filters}
        values.update(sort=self.sort.column, dir=self.sort.direction, page=self.pager.page)
        values.update(changes)
        return {key: str(value) for key, value in values.items() if value not in (None, "")}

    def link(self, **changes: str | int) -> str:
        """A link to this list with `changes` (another page, another sort)."""
        query = parameters.query_string(self.kept(**changes))
        return f"{self.path}?{query}#{self.anchor}"

    def sort_link(self, column: str) -> str:
        """The link of `column`'s header: ordered by it (the other way when it already is),
        from the first page."""
        return self.link(sort=column, dir=self.sort.next_direction(column), page=1)

    @property
    def export_link(self) -> str | None:
        """The CSV of this list, filtered and sorted as shown (every page)."""
        if self.export_path is None:
            return None
        values = self.kept()
        values.pop("page", None)
        return f"{self.export_path}?{parameters.query_string(values)}"

    @property
    def export_limit(self) -> int:
        """Rows an export gives at most."""
        return EXPORT_LIMIT

    @property
    def export_cut(self) -> bool:
        """Whether the list holds more rows than an export gives."""
        return self.pager.total > EXPORT_LIMIT


def safe_cell(value: object) -> str:
    """A value as a CSV cell a spreadsheet shows as text: None is empty, and text that would
    start a formula (= + - @ tab, carriage return) is written after an apostrophe."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, limit: int = EXPORT_LIMIT
) -> Iterator[bytes]:
    """The CSV file in chunks: a UTF-8 BOM, the header, then at most `limit` rows of safe
    cells. `rows` is read as the chunks are (a query can stream it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    yield codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for written, row in enumerate(islice(rows, limit), start=1):
        writer.writerow([safe_cell(value) for value in row])
        if written % _CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    limit: int = EXPORT_LIMIT,
) -> StreamingResponse:
    """A CSV download of `rows` (streamed, at most `limit`), saved as `filename`."""
    return StreamingResponse(
        csv_chunks(header, rows, limit=limit),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",  # the file holds what the page holds: not for caches
        },
    )
