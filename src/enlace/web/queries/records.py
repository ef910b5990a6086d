"""Read models of the records pages: search, and one record with its provenance.

Only reads; the one write the records pages make (auditing that a user read a partner's
record) is the use case `enlace.users.access_log.audit_record_read`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import orjson
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select

from enlace.exchange.errors import ExchangeError
from enlace.exchange.signing import verify_record
from enlace.model.markings import Tlp
from enlace.reports.queries import format_timestamp_of_day
from enlace.store.repositories.statements import Revocation
from enlace.store.store import Store
from enlace.store.tables import record_identifiers, records, releases
from enlace.store.unit_of_work import UnitOfWork
from enlace.store.versions import StoredRow
from enlace.web.parameters import FIRST_DAY, LAST_DAY
from enlace.web.queries.describe import properties, record_title, shown_value
from enlace.web.queries.record_links import RecordLinks, record_links_of

PAGE_SIZE = 50
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
    total: int
    page: int
    pages: int


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
    )


def search_records(store: Store, wanted: RecordFilter) -> RecordPage:
    """The newest version of every record matching `wanted`, newest first, one page."""
    conditions = _conditions(wanted)
    with store.unit_of_work() as uow:  # only reads
        count_query = select(func.count()).select_from(records).where(*conditions)
        total = int(uow.connection.execute(count_query).scalar_one())
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(wanted.page, pages)
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
            .where(*conditions)
            .order_by(records.c.modified.desc(), records.c.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
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
            for row in uow.connection.execute(query)
        )
    return RecordPage(rows=rows, total=total, page=page, pages=pages)


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
    newer = records.alias("newer")
    conditions: list[ColumnElement[bool]] = [
        ~exists().where(newer.c.id == records.c.id, newer.c.modified > records.c.modified)
    ]
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
    if wanted.text:
        conditions.append(_text_condition(wanted.text))
    return conditions


def _text_condition(text: str) -> ColumnElement[bool]:
    # An id, an identifier key (normalised forms are upper case, phones in E.164: the
    # typed text is compared squeezed of spaces and dashes too), or words in the record.
    squeezed = "".join(ch for ch in text if ch not in " -.()").upper()
    pattern = "%" + _escape_like(text.lower()) + "%"
    identifier_hit = exists().where(
        and_(
            record_identifiers.c.record_id == records.c.id,
            record_identifiers.c.modified == records.c.modified,
            or_(
                func.upper(record_identifiers.c.key).like(
                    "%" + _escape_like(squeezed) + "%", escape="\\"
                ),
                func.upper(record_identifiers.c.key).like(
                    "%" + _escape_like(text.upper()) + "%", escape="\\"
                ),
            ),
        )
    )
    return or_(
        records.c.id == text,
        identifier_hit,
        func.lower(records.c.stix).like(pattern, escape="\\"),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _day(raw: str | None) -> date | None:
    try:
        found = date.fromisoformat((raw or "").strip()) if raw and raw.strip() else None
    except ValueError:
        return None
    # A day at the end of the calendar could not be stepped past ('until' takes the next).
    return found if found is not None and FIRST_DAY <= found <= LAST_DAY else None
