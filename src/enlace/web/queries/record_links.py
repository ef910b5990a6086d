"""Read model of what a record is linked to, for its page: matches and hit notices with
partners, relationships at either end, and other records holding the same identifiers.

Every list is read by index (``matches.record_id``, ``hit_notices.record_id``,
``record_links`` by either end, ``record_identifiers`` by kind and key) and bounded, so the
page costs the same on a node of ten million records as on a small one. A linked record is
shown only when this node holds it: every record held here may be read by whoever opens
records pages (the markings bind what leaves the node, not who reads it here), and a
record not held is named only by the id the relationship gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Select, and_, func, select

from enlace.store.store import Store
from enlace.store.tables import (
    disclosure_requests,
    hit_notices,
    match_handles,
    matches,
    record_identifiers,
    record_links,
    records,
)
from enlace.web.queries.describe import record_title

SHOWN = 20  # of each list: matches, hit notices, relationships each way, records per identifier
COUNTED = 1000  # beyond this, "and more than N": counting a hub's every link would be slow
_IDENTIFIERS = 20  # identifiers of one record looked up (records carry a handful)


@dataclass(frozen=True, slots=True)
class LinkedRecord:
    """Another record this node holds, as a link names it."""

    id: str
    title: str
    kind: str
    owner: str
    received_from: str | None
    revoked: bool


@dataclass(frozen=True, slots=True)
class MatchLine:
    """A match (we asked, the partner holds it too) or a hit notice (the partner asked)."""

    partner: str
    kind: str  # of identifier: vin, phone...
    handle: str  # a match: the partner's handle; a hit notice: ours, given to the partner
    at: str
    run_id: str
    request_status: str | None  # the newest disclosure request about it: pending, approved...


@dataclass(frozen=True, slots=True)
class RelationshipLine:
    """A relationship naming this record at one end, and the record at the other."""

    relationship_id: str
    relationship_type: str
    outgoing: bool  # this record is its source
    other_id: str
    other: LinkedRecord | None  # None when this node does not hold the other end


@dataclass(frozen=True, slots=True)
class SameIdentifier:
    """Other records whose newest version holds one of this record's identifiers."""

    kind: str
    key: str
    records: tuple[LinkedRecord, ...]
    more: int  # how many more than shown (at most COUNTED)


@dataclass(frozen=True, slots=True)
class RecordLinks:
    """Everything the record page shows beyond the record itself."""

    matches: tuple[MatchLine, ...] = ()
    more_matches: int = 0
    hit_notices: tuple[MatchLine, ...] = ()
    more_hit_notices: int = 0
    relationships: tuple[RelationshipLine, ...] = ()
    more_relationships: int = 0
    same_identifiers: tuple[SameIdentifier, ...] = ()

    @property
    def requestable(self) -> tuple[MatchLine, ...]:
        """Matches a disclosure may be asked for: none asked yet, or the last one refused."""
        return tuple(m for m in self.matches if m.request_status in (None, "refused"))


def record_links_of(connection: Connection, record_id: str, modified: str) -> RecordLinks:
    """What `record_id` (newest version `modified`) is linked to, each list bounded."""
    found_matches, more_matches = _matches(connection, record_id)
    notices, more_notices = _hit_notices(connection, record_id)
    relationships, more_relationships = _relationships(connection, record_id)
    return RecordLinks(
        matches=found_matches,
        more_matches=more_matches,
        hit_notices=notices,
        more_hit_notices=more_notices,
        relationships=relationships,
        more_relationships=more_relationships,
        same_identifiers=_same_identifiers(connection, record_id, modified),
    )


def holds_match(store: Store, record_id: str, partner: str, handle: str) -> bool:
    """Whether this node holds a match of `record_id` with `partner`'s record `handle`: a
    disclosure is asked from the record page only for a match it shows."""
    query = select(matches.c.record_id).where(
        matches.c.record_id == record_id,
        matches.c.partner == partner,
        matches.c.partner_handle == handle,
    )
    with store.unit_of_work() as uow:  # only reads
        return uow.connection.execute(query.limit(1)).first() is not None


def _matches(connection: Connection, record_id: str) -> tuple[tuple[MatchLine, ...], int]:
    mine = matches.c.record_id == record_id
    rows = connection.execute(
        select(matches)
        .where(mine)
        .order_by(matches.c.found_at.desc(), matches.c.partner, matches.c.partner_handle)
        .limit(SHOWN)
    ).all()
    # What we asked each partner about its records behind these handles (outgoing requests
    # keep the partner's handle, not our record).
    asked: dict[tuple[str, str], str] = {}
    if rows:
        requests = connection.execute(
            select(
                disclosure_requests.c.partner,
                disclosure_requests.c.handle,
                disclosure_requests.c.status,
            )
            .where(
                disclosure_requests.c.direction == "outgoing",
                disclosure_requests.c.handle.in_({row.partner_handle for row in rows}),
            )
            .order_by(disclosure_requests.c.id)
        )
        asked = {(partner, handle): status for partner, handle, status in requests}
    lines = tuple(
        MatchLine(
            partner=row.partner,
            kind=row.kind,
            handle=row.partner_handle,
            at=row.found_at,
            run_id=row.run_id,
            request_status=asked.get((row.partner, row.partner_handle)),
        )
        for row in rows
    )
    return lines, _more(connection, select(matches.c.record_id).where(mine), len(lines))


def _hit_notices(connection: Connection, record_id: str) -> tuple[tuple[MatchLine, ...], int]:
    mine = hit_notices.c.record_id == record_id
    rows = connection.execute(
        select(hit_notices)
        .where(mine)
        .order_by(hit_notices.c.at.desc(), hit_notices.c.run_id)
        .limit(SHOWN)
    ).all()
    handles: dict[str, str] = {}
    requested: dict[str, str] = {}
    if rows:
        partners = {row.partner for row in rows}
        handles = {
            str(partner): str(handle)
            for partner, handle in connection.execute(
                select(match_handles.c.partner, match_handles.c.handle).where(
                    match_handles.c.partner.in_(partners), match_handles.c.record_id == record_id
                )
            )
        }
        requests = connection.execute(
            select(disclosure_requests.c.partner, disclosure_requests.c.status)
            .where(
                disclosure_requests.c.direction == "incoming",
                disclosure_requests.c.record_id == record_id,
            )
            .order_by(disclosure_requests.c.id)
        )
        requested = {str(partner): str(status) for partner, status in requests}
    lines = tuple(
        MatchLine(
            partner=row.partner,
            kind=row.kind,
            handle=handles.get(row.partner, ""),
            at=row.at,
            run_id=row.run_id,
            request_status=requested.get(row.partner),
        )
        for row in rows
    )
    return lines, _more(connection, select(hit_notices.c.record_id).where(mine), len(lines))


def _relationships(
    connection: Connection, record_id: str
) -> tuple[tuple[RelationshipLine, ...], int]:
    lines: list[RelationshipLine] = []
    more = 0
    for outgoing in (True, False):
        this_end = record_links.c.source_id if outgoing else record_links.c.target_id
        current = current_links(this_end == record_id)
        rows = connection.execute(
            current.order_by(record_links.c.relationship_id).limit(SHOWN)
        ).all()
        for row in rows:
            other = row.target_id if outgoing else row.source_id
            lines.append(
                RelationshipLine(row.relationship_id, row.relationship_type, outgoing, other, None)
            )
        more += _more(connection, current, len(rows))
    held = held_records(connection, {line.other_id for line in lines})
    shown = tuple(
        RelationshipLine(
            line.relationship_id,
            line.relationship_type,
            line.outgoing,
            line.other_id,
            held.get(line.other_id),
        )
        for line in lines
    )
    return shown, more


def current_links(at_this_end: Any) -> Select[Any]:
    # The newest version of each relationship, unless it was revoked: an older version may
    # have named other ends, and a revoked relationship is never shown as a link.
    newer = record_links.alias("newer")
    return (
        select(
            record_links.c.relationship_id,
            record_links.c.source_id,
            record_links.c.target_id,
            record_links.c.relationship_type,
        )
        .join(
            records,
            and_(
                records.c.id == record_links.c.relationship_id,
                records.c.modified == record_links.c.modified,
            ),
        )
        .where(
            at_this_end,
            records.c.revoked.is_(False),
            ~select(newer.c.relationship_id)
            .where(
                newer.c.relationship_id == record_links.c.relationship_id,
                newer.c.modified > record_links.c.modified,
            )
            .exists(),
        )
    )


def _same_identifiers(
    connection: Connection, record_id: str, modified: str
) -> tuple[SameIdentifier, ...]:
    keys = connection.execute(
        select(record_identifiers.c.kind, record_identifiers.c.key)
        .where(
            record_identifiers.c.record_id == record_id,
            record_identifiers.c.modified == modified,
        )
        .order_by(record_identifiers.c.kind, record_identifiers.c.key)
        .limit(_IDENTIFIERS)
    ).all()
    groups = []
    for kind, key in keys:
        newer = records.alias("newer")
        holders = (
            select(records.c.id)
            .join(
                record_identifiers,
                and_(
                    record_identifiers.c.record_id == records.c.id,
                    record_identifiers.c.modified == records.c.modified,
                ),
            )
            .where(
                record_identifiers.c.kind == kind,
                record_identifiers.c.key == key,
                records.c.id != record_id,
                records.c.revoked.is_(False),
                ~select(newer.c.id)
                .where(newer.c.id == records.c.id, newer.c.modified > records.c.modified)
                .exists(),
            )
        )
        ids = list(connection.execute(holders.order_by(records.c.id).limit(SHOWN)).scalars())
        if not ids:
            continue
        held = held_records(connection, set(ids))
        groups.append(
            SameIdentifier(
                kind=kind,
                key=key,
                records=tuple(held[i] for i in ids if i in held),
                more=_more(connection, holders, len(ids)),
            )
        )
    return tuple(groups)


def held_records(connection: Connection, ids: set[str]) -> dict[str, LinkedRecord]:
    """id -> its newest version, for the `ids` this node holds (a bounded few)."""
    found: dict[str, Any] = {}
    if not ids:
        return {}
    rows = connection.execute(
        select(
            records.c.id,
            records.c.modified,
            records.c.kind,
            records.c.owner,
            records.c.received_from,
            records.c.revoked,
            records.c.stix,
        ).where(records.c.id.in_(sorted(ids)))
    )
    for row in rows:
        if row.id not in found or row.modified > found[row.id].modified:
            found[row.id] = row
    return {
        record_id: LinkedRecord(
            id=record_id,
            title=record_title(orjson.loads(row.stix)),
            kind=row.kind,
            owner=row.owner,
            received_from=row.received_from,
            revoked=bool(row.revoked),
        )
        for record_id, row in found.items()
    }


def _more(connection: Connection, query: Select[Any], shown: int) -> int:
    """How many rows of `query` there are beyond the `shown` first, counted up to COUNTED."""
    if shown < SHOWN:
        return 0
    capped = query.limit(COUNTED + 1).subquery()
    total = int(connection.execute(select(func.count()).select_from(capped)).scalar_one())
    return max(0, min(total, COUNTED) - shown)
