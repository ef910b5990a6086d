"""Read models of the records pages: search, and one record with its provenance.

Only reads; the one write the records pages make (auditing that a user read a partner's
record) is the use case `enlace.users.access_log.audit_record_read`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    column,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    true,
)

from enlace.exchange.errors import ExchangeError
from enlace.exchange.signing import verify_record
from enlace.model.identifiers import IdentifierKind, InvalidIdentifier, normalise
from enlace.model.markings import Tlp
from enlace.reports.queries import format_timestamp_of_day
from enlace.store.repositories.statements import Revocation
from enlace.store.search_index import fold_words
from enlace.store.store import Store
from enlace.store.tables import record_identifiers, records, releases
from enlace.store.unit_of_work import UnitOfWork
from enlace.store.versions import StoredRow
from enlace.web.parameters import FIRST_DAY, LAST_DAY
from enlace.web.queries.describe import properties, record_title, shown_value
from enlace.web.queries.record_links import RecordLinks, record_links_of

PAGE_SIZE = 50
# A filtered list counts its matches up to this many and then says "more than": counting
# every match of a broad filter would read millions of rows on each request.
COUNT_CAP = 10_000
# Pages further than this are refused with a hint to narrow the search: a page is found by
# skipping the rows before it, which grows with its number.
DEEPEST_PAGE = 2_000
# The orders the list offers, each served by an index of newest versions (see tables.py).
SORTS = ("modified", "kind", "owner")
_RECORD_ID = re.compile(
    r"[a-z][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
_IDENTITY_ID = re.compile(r"identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_LONGEST_QUERY = 200

SignatureStatus = Literal[
    "verified",  # received, and the owner's signature checks with the partner's key now
    "invalid",  # received, and it no longer checks: the stored content changed
    "missing",  # received, but no signature kept
    "unknown-partner",  # received from a party no longer registered: cannot be checked
    "own-signed",  # made here and released: signed by this node on release
    "own-unreleased",  # made here, never released: signed when it is
]


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """What a search asks for; every field optional."""

    text: str = ""  # an id, an identifier (VIN, phone, serial...), or words of the record
    kind: str = ""
    owner: str = ""
    tlp: str = ""
    origin: str = ""  # "" | "own" | "received"
    agency: str = ""  # the id of the authoring agency (created_by_ref)
    since: date | None = None  # version modified on or after
    until: date | None = None  # ... and on or before
    page: int = 1
    sort: str = ""  # one of SORTS, "-" first for the other way; "" newest first (or by rank)


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """One row of the search results: the newest version of a record."""

    id: str
    kind: str
    title: str
    owner: str
    received_from: str | None
    tlp: str
    releasable_to: tuple[str, ...]
    handling: str
    evaluation: str
    modified: str
    revoked: bool


@dataclass(frozen=True, slots=True)
class RecordPage:
    """A page of search results and where it sits among them."""

    rows: tuple[RecordSummary, ...]
    total: int  # COUNT_CAP + 1 when `more` (counting stopped there)
    page: int
    pages: int
    more: bool = False  # more than COUNT_CAP records match: the total was not counted out
    too_deep: bool = False  # the page asked for is past DEEPEST_PAGE: no rows, narrow instead


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One stored version of a record."""

    modified: str
    added_at: str
    revoked: bool
    received_from: str | None


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """Where a version of this node's record went."""

    partner: str
    modified: str
    released_at: str


@dataclass(frozen=True, slots=True)
class RecordDetail:
    """Everything the record page shows."""

    row: StoredRow
    title: str
    author_ref: str | None
    author_name: str | None
    fields: tuple[tuple[str, str], ...]
    versions: tuple[VersionInfo, ...]
    releases: tuple[ReleaseInfo, ...]
    signature: SignatureStatus
    signature_detail: str | None
    received_at: str | None
    stix_pretty: str
    handling_note: str | None = None
    release_options: tuple[str, ...] = field(default=())  # partners it may be released to now
    revocation: Revocation | None = None  # its owner's tombstone, when it revoked the record
    links: RecordLinks = field(default_factory=RecordLinks)  # matches, relationships, ...

    @property
    def is_partners(self) -> bool:
        """Whether it is another party's record (received), whose reading is audited."""
        return self.row.received_from is not None


def clean_filter(raw: dict[str, str]) -> RecordFilter:
    """A RecordFilter from query parameters; anything unusable is dropped, never fatal."""
    kind = raw.get("kind", "").strip().lower()
    owner = raw.get("owner", "").strip().upper()
    tlp = raw.get("tlp", "").strip().lower()
    origin = raw.get("origin", "").strip().lower()
    agency = raw.get("agency", "").strip().lower()
    try:
        page = max(1, min(int(raw.get("page", "1") or "1"), 100_000))
    except ValueError:
        page = 1
    return RecordFilter(
        text=raw.get("q", "").strip()[:_LONGEST_QUERY],
        kind=kind if kind.replace("-", "").isalpha() else "",
        owner=owner if len(owner) == 2 and owner.isalpha() else "",
        tlp=tlp if tlp in {t.value for t in Tlp} else "",
        origin=origin if origin in ("own", "received") else "",
        agency=agency if _IDENTITY_ID.fullmatch(agency) else "",
        since=_day(raw.get("since")),
        until=_day(raw.get("until")),
        page=page,
        sort=clean_sort(raw.get("sort")),
    )


def clean_sort(raw: str | None) -> str:
    """A `sort` parameter as the list can order: "kind", "-owner"...; anything else is
    ignored ("", the default order), never a failure (a bookmark may carry an old one)."""
    text = (raw or "").strip().lower()
    return text if text.lstrip("-") in SORTS and text.count("-") <= 1 else ""


def search_records(store: Store, wanted: RecordFilter) -> RecordPage:
    """The newest version of every record matching `wanted`, one page: newest first, or best
    match first for words, or in the order `wanted.sort` names."""
    return _search_page(store, wanted, PAGE_SIZE)


# The records export gives at most this many rows (the first, in the list's order): what the
# list counts and pages through (COUNT_CAP); a larger extract is `enlace export`'s work.
EXPORT_ROWS = 10_000


def record_rows(store: Store, wanted: RecordFilter) -> tuple[RecordSummary, ...]:
    """The first EXPORT_ROWS records of the list `wanted` describes, in its order."""
    return _search_page(store, dataclasses.replace(wanted, page=1), EXPORT_ROWS).rows


def _search_page(store: Store, wanted: RecordFilter, size: int) -> RecordPage:
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        conditions = _conditions(wanted)
        source: Any = records
        rank: ColumnElement[Any] | None = None
        if wanted.text:
            found = _text_search(connection, wanted.text)
            if found is None:
                return RecordPage(rows=(), total=0, page=1, pages=1)
            source, condition, rank = found
            conditions.append(condition)
        # Words alone: the full-text index answers by itself (it holds newest versions
        # only, one row per record), counting and ranking without reading `records`.
        alone = rank is not None and not wanted.sort and _only_text(wanted)
        if alone:
            matched = select(_search.c.record_id).where(conditions[-1])
            total, more = _capped(connection, matched)
        else:
            total, more = _total(uow, wanted, source, conditions)
        # Past the counted matches the pages go on (each "next" while a page is full) up to
        # the deepest one served.
        pages = DEEPEST_PAGE if more else max(1, -(-total // size))
        page = min(wanted.page, pages)
        if page > DEEPEST_PAGE:
            return RecordPage(
                rows=(), total=total, page=page, pages=pages, more=more, too_deep=True
            )
        if alone and rank is not None:
            # Ranked while the matches are few enough to rank them all; past COUNT_CAP a
            # word is too common for its rank to mean much, and they come in index order.
            order = [] if more else [(rank, True)]
            keys = (
                select(
                    _search.c.record_id.label("kid"),
                    *(expression.label(f"k{n}") for n, (expression, _) in enumerate(order)),
                )
                .where(conditions[-1])
                .order_by(*(_way(expression, up) for expression, up in order))
                .limit(size)
                .offset((page - 1) * size)
                .subquery()
            )
            joined = and_(records.c.id == keys.c.kid, records.c.latest == true())
            ordered = [
                *(_way(keys.c[f"k{n}"], up) for n, (_, up) in enumerate(order)),
                records.c.modified.desc(),
                records.c.id.desc(),
            ]
        else:
            order = _order(wanted.sort, rank)
            # Find the page's keys first (from the index when the order has one), then read
            # those 50 rows: skipping the rows before a page then reads no stored JSON.
            keys = (
                select(
                    records.c.id.label("kid"),
                    records.c.modified.label("kmod"),
                    *(expression.label(f"k{n}") for n, (expression, _) in enumerate(order)),
                )
                .select_from(source)
                .where(*conditions)
                .order_by(*(_way(expression, up) for expression, up in order))
                .limit(size)
                .offset((page - 1) * size)
                .subquery()
            )
            joined = and_(records.c.id == keys.c.kid, records.c.modified == keys.c.kmod)
            ordered = [_way(keys.c[f"k{n}"], up) for n, (_, up) in enumerate(order)]
        query: Select[Any] = (
            select(
                records.c.id,
                records.c.kind,
                records.c.owner,
                records.c.received_from,
                records.c.tlp,
                records.c.releasable_to,
                records.c.handling,
                records.c.evaluation,
                records.c.modified,
                records.c.revoked,
                records.c.stix,
            )
            .join(keys, joined)
            .order_by(*ordered)
        )
        rows = tuple(
            RecordSummary(
                id=row.id,
                kind=row.kind,
                title=record_title(orjson.loads(row.stix)),
                owner=row.owner,
                received_from=row.received_from,
                tlp=row.tlp,
                releasable_to=tuple(row.releasable_to.split()),
                handling=row.handling,
                evaluation=row.evaluation,
                modified=row.modified,
                revoked=bool(row.revoked),
            )
            for row in connection.execute(query)
        )
    return RecordPage(rows=rows, total=total, page=page, pages=pages, more=more)


def _total(
    uow: UnitOfWork, wanted: RecordFilter, source: Any, conditions: list[ColumnElement[bool]]
) -> tuple[int, bool]:
    # (how many match, whether there are more than COUNT_CAP). No filter, or only a kind
    # and an owner: the counts kept per kind and owner say it exactly, at once.
    plain = RecordFilter(kind=wanted.kind, owner=wanted.owner, page=wanted.page, sort=wanted.sort)
    if wanted == plain:
        return (
            sum(
                count
                for kind, owner, count in uow.records.holdings()
                if wanted.kind in ("", kind) and wanted.owner in ("", owner)
            ),
            False,
        )
    return _capped(uow.connection, select(records.c.id).select_from(source).where(*conditions))


def _only_text(wanted: RecordFilter) -> bool:
    return replace(wanted, text="", page=1, sort="") == RecordFilter()


def _capped(connection: Connection, matching: Select[Any]) -> tuple[int, bool]:
    # Counting stops at COUNT_CAP + 1: enough to say "more than COUNT_CAP".
    limited = matching.limit(COUNT_CAP + 1).subquery()
    counted = int(connection.execute(select(func.count()).select_from(limited)).scalar_one())
    return counted, counted > COUNT_CAP


def _order(sort: str, rank: ColumnElement[Any] | None) -> list[tuple[ColumnElement[Any], bool]]:
    # (expression, ascending) in order. Every key goes the same way, so the index that
    # serves the order is read forwards or backwards; ties end on the id.
    column = sort.lstrip("-")
    up = bool(sort) and not sort.startswith("-")
    if rank is not None and not sort:
        return [(rank, True), (records.c.modified, False), (records.c.id, False)]
    first = [(records.c.kind, up)] if column == "kind" else []
    first = [(records.c.owner, up)] if column == "owner" else first
    return [*first, (records.c.modified, up), (records.c.id, up)]


def _way(expression: ColumnElement[Any], up: bool) -> ColumnElement[Any]:
    return expression.asc() if up else expression.desc()


@dataclass(frozen=True, slots=True)
class AgencyChoice:
    """An agency (dependencia) records can be authored by, for the search form."""

    id: str
    acronym: str
    name: str
    party: str


def search_choices(store: Store) -> tuple[list[str], list[str], list[AgencyChoice]]:
    """(kinds, owners, agencies) held, for the search form's lists."""
    with store.unit_of_work() as uow:
        held = uow.records.holdings()
        agencies = []
        for row in uow.records.iter_latest(kind="agency"):
            found = dict(properties(row.stix_object()))
            name = str(found.get("name") or row.id)
            acronym = str(found.get("acronym") or name)
            agencies.append(AgencyChoice(row.id, acronym, name, row.owner))
    agencies.sort(key=lambda a: (a.party, a.acronym))
    return (
        sorted({kind for kind, _, _ in held}),
        sorted({owner for _, owner, _ in held}),
        agencies,
    )


def agency_of_user(agencies: list[AgencyChoice], acronym: str | None, party: str) -> str:
    """The id of the user's own agency (by its acronym, in this node's party), or ''."""
    wanted = (acronym or "").strip().upper()
    for agency in agencies:
        if agency.party == party and wanted and agency.acronym.upper() == wanted:
            return agency.id
    return ""


def record_detail(store: Store, record_id: str, *, party: str) -> RecordDetail | None:
    """The record page's content for `record_id`, or None when this node does not hold it."""
    with store.unit_of_work() as uow:  # only reads
        stored = uow.records.versions(record_id)
        if not stored:
            return None
        row = stored[-1]
        obj = row.stix_object()
        author_ref = obj.get("created_by_ref")
        author = uow.records.latest(author_ref) if isinstance(author_ref, str) else None
        author_name = str(author.stix_object().get("name")) if author is not None else None
        released = uow.connection.execute(
            select(releases.c.partner, releases.c.modified, releases.c.released_at)
            .where(releases.c.record_id == record_id)
            .order_by(releases.c.released_at, releases.c.partner)
        ).all()
        signature, detail, received_at = _signature_status(uow, row, bool(released))
        partners = [p.party for p in uow.partners.all()]
        revocation = uow.revocations.get(record_id)
        links = record_links_of(uow.connection, record_id, row.modified)
    released_now = {r.partner for r in released if r.modified == row.modified}
    options: tuple[str, ...] = ()
    if row.received_from is None and row.owner == party and not row.revoked:
        options = tuple(p for p in partners if p in row.releasable_to and p not in released_now)
    handling_note = next((str(v) for k, v in _marking_extension(obj) if k == "handling_note"), None)
    return RecordDetail(
        row=row,
        title=record_title(obj),
        author_ref=author_ref if isinstance(author_ref, str) else None,
        author_name=author_name,
        fields=tuple((key, shown_value(value)) for key, value in properties(obj)),
        versions=tuple(
            VersionInfo(v.modified, v.added_at, v.revoked, v.received_from)
            for v in reversed(stored)
        ),
        releases=tuple(ReleaseInfo(r.partner, r.modified, r.released_at) for r in released),
        signature=signature,
        signature_detail=detail,
        received_at=received_at,
        stix_pretty=orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode(),
        handling_note=handling_note,
        release_options=options,
        revocation=revocation,
        links=links,
    )


def _signature_status(
    uow: UnitOfWork, row: StoredRow, released: bool
) -> tuple[SignatureStatus, str | None, str | None]:
    if row.received_from is None:
        return ("own-signed" if released else "own-unreleased"), None, None
    kept = uow.signatures.get(row.id, row.modified)
    if kept is None:
        return "missing", None, None
    partner = uow.partners.get(kept.signer_party)
    if partner is None:
        return "unknown-partner", kept.signer_party, kept.received_at
    try:
        verify_record(row.stix_object(), kept.signature, partner.verify_key_hex)
    except ExchangeError as error:
        return "invalid", str(error), kept.received_at
    return "verified", partner.verify_key_hex, kept.received_at


def _marking_extension(obj: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for body in (obj.get("extensions") or {}).values():
        if isinstance(body, dict) and "handling_code" in body:
            found.extend(body.items())
    return found


def _conditions(wanted: RecordFilter) -> list[ColumnElement[bool]]:
    # The same literal as the partial indexes' condition (tables.py), so that they apply.
    conditions: list[ColumnElement[bool]] = [records.c.latest == true()]
    if wanted.kind:
        conditions.append(records.c.kind == wanted.kind)
    if wanted.owner:
        conditions.append(records.c.owner == wanted.owner)
    if wanted.tlp:
        conditions.append(records.c.tlp == wanted.tlp)
    if wanted.agency:
        conditions.append(records.c.created_by_ref == wanted.agency)
    if wanted.origin == "own":
        conditions.append(records.c.received_from.is_(None))
    elif wanted.origin == "received":
        conditions.append(records.c.received_from.is_not(None))
    if wanted.since is not None:
        conditions.append(records.c.modified >= format_timestamp_of_day(wanted.since))
    if wanted.until is not None:
        conditions.append(records.c.modified < format_timestamp_of_day(wanted.until + timedelta(1)))
    return conditions


# The full-text index (enlace.store.search_index): one row per record id.
_search = table("record_search", column("record_id"), column("body"), column("rank"))


def _text_search(
    connection: Connection, text: str
) -> tuple[Any, ColumnElement[bool], ColumnElement[Any] | None] | None:
    """(what to read from, the condition, the rank to order by or None) for typed text, or
    None when it can match nothing.

    An id finds that record. An identifier (a VIN, a phone as people write it, a CURP...)
    is looked up in the identifier index, by its normalised key or as the start of one:
    every record holding it, of any party, comes out together. Anything else is words,
    found in the full-text index: all of them, in any order, accents and case ignored.
    """
    if _RECORD_ID.fullmatch(text):
        return records, records.c.id == text, None
    held = _identifier_condition(text)
    if held is not None and connection.execute(select(literal(1)).where(held).limit(1)).first():
        # Ids from the identifier index (it leads), each kept only while its newest
        # version is the one that holds the identifier.
        holders = select(record_identifiers.c.record_id).where(held)
        in_newest = exists().where(
            record_identifiers.c.record_id == records.c.id,
            record_identifiers.c.modified == records.c.modified,
            held,
        )
        return records, and_(records.c.id.in_(holders), in_newest), None
    words = fold_words(text)
    if not words:
        return None
    source = _search.join(records, records.c.id == _search.c.record_id)
    if connection.dialect.name == "sqlite":
        # Each word quoted: FTS5 reads them as words, never as its query operators.
        matched = _search.c.body.op("MATCH")(" ".join(f'"{word}"' for word in words))
        return source, matched, _search.c.rank  # bm25: lower is better
    query = func.plainto_tsquery(literal_column("'simple'::regconfig"), " ".join(words))
    rank = -func.ts_rank(_search.c.body, query)  # higher is better: negated, to sort up
    return source, _search.c.body.op("@@")(query), rank


def _identifier_condition(text: str) -> ColumnElement[bool] | None:
    # Identifiers hold digits (VINs, phones, CURPs, RFCs, serials); words without any are
    # names, which the full-text index answers. A key is looked up exactly as each kind
    # normalises the text, or as a prefix (a range on the index of keys) of the squeezed
    # text: "3HGCM8263", "AAAA800101" find the VINs and CURPs that start so.
    squeezed = "".join(ch for ch in text if ch not in " -.()/").upper()
    if not any(ch.isdigit() for ch in squeezed):
        return None
    keys: set[tuple[str, str]] = set()
    for kind in (IdentifierKind.VIN, IdentifierKind.CURP, IdentifierKind.RFC):
        with contextlib.suppress(InvalidIdentifier):
            keys.add((kind.value, normalise(kind, text)))
    for region in ("MX", "US"):
        with contextlib.suppress(InvalidIdentifier):
            keys.add(
                (
                    IdentifierKind.PHONE.value,
                    normalise(IdentifierKind.PHONE, text, default_region=region),
                )
            )
    found: list[ColumnElement[bool]] = [
        and_(record_identifiers.c.kind == kind, record_identifiers.c.key == key)
        for kind, key in sorted(keys)
    ]
    if len(squeezed) >= _SHORTEST_PREFIX:
        prefixes = [(kind.value, squeezed) for kind in _PREFIX_KINDS]
        if squeezed.lstrip("+").isdigit() and squeezed.startswith("+"):
            prefixes.append((IdentifierKind.PHONE.value, squeezed))  # "+52 551": E.164 start
        # The range reads the index; the substring check keeps only true prefixes whatever
        # the column's collation (a locale's may order "\uffff" oddly: a miss, never a
        # wrong record).
        found.extend(
            and_(
                record_identifiers.c.kind == kind,
                record_identifiers.c.key >= prefix,
                record_identifiers.c.key < prefix + "\uffff",
                func.substr(record_identifiers.c.key, 1, len(prefix)) == prefix,
            )
            for kind, prefix in prefixes
        )
    return or_(*found) if found else None


_PREFIX_KINDS = (IdentifierKind.VIN, IdentifierKind.CURP, IdentifierKind.RFC)
_SHORTEST_PREFIX = 6  # shorter, a prefix would find thousands of unrelated keys


def _day(raw: str | None) -> date | None:
    try:
        found = date.fromisoformat((raw or "").strip()) if raw and raw.strip() else None
    except ValueError:
        return None
    # A day at the end of the calendar could not be stepped past ('until' takes the next).
    return found if found is not None and FIRST_DAY <= found <= LAST_DAY else None
