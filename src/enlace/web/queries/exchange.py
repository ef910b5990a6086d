"""Read model of the exchange page: each partner, what went each way, what was refused, and
what of each partner's release sequence this node does not hold.

Refusals are read from the audit log in both of the shapes it holds: one `refusal` entry per
page of a sync (exchange protocol 2: counts by reason, the first ids, the first message of
each reason), and, in stores older than protocol 2, one `refusal` entry per refused object.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from enlace.exchange.witness_status import (
    AlertSummary,
    PartnerWitnessing,
    alert_summary,
    partner_witnessing,
)
from enlace.store.repositories.sync_state import SequenceGap
from enlace.store.store import Store
from enlace.store.tables import audit_log, records, releases, sync_cursors
from enlace.store.unit_of_work import UnitOfWork
from enlace.web.listing import EXPORT_LIMIT, Pager, Sort, capped_count, order_by, pager
from enlace.web.queries.describe import titles_of

RECENT = 25  # rows a page of each list shows
_BATCH = 500  # rows an export reads (and names) at a time
IDS_SHOWN = 5  # of an aggregated refusal, per reason
# Audit actions the refusals table lists: objects refused on arrival (a page's entry, or an
# object's in older stores), numbers of a partner's sequence found not held, and releases,
# revocations and onward-release consents this node refused.
REFUSAL_ACTIONS = (
    "refusal",
    "sequence-gap",
    "release-refused",
    "revocation-refused",
    "consent-refused",
)

# The lists the page pages, sorts and exports (the `list` parameter), each with the columns
# it sorts by (the `sort` parameter) and its default order: newest first.
LIST_COLUMNS: dict[str, dict[str, ColumnElement[Any]]] = {
    "released": {
        "when": releases.c.released_at,
        "partner": releases.c.partner,
        "kind": records.c.kind,
        "record": releases.c.record_id,
    },
    "received": {
        "when": records.c.added_at,
        "partner": records.c.received_from,
        "kind": records.c.kind,
        "record": records.c.id,
    },
    "refusals": {"when": audit_log.c.seq},
}
DEFAULT_SORT = Sort("when", descending=True)


@dataclass(frozen=True, slots=True)
class PartnerStanding:
    """Where this node stands with one partner."""

    party: str
    url: str
    added_at: str
    last_sync: str | None  # when this node last pulled from it
    last_added: str | None  # date_added of the newest version received
    released: int  # versions released to it
    received: int  # versions received from it
    refused: int  # objects from it refused on arrival
    sequence: int = 0  # its release sequence to this node is verified up to here
    highest: int = 0  # the highest number of that sequence it declared
    not_held: tuple[tuple[str, int], ...] = ()  # numbers of it not held here, by reason

    @property
    def not_held_total(self) -> int:
        """How many items it released to this node are not held here."""
        return sum(n for _, n in self.not_held)


@dataclass(frozen=True, slots=True)
class Movement:
    """One record version that went to, or came from, a partner."""

    partner: str
    record_id: str
    kind: str
    modified: str
    at: str
    revoked: bool = False  # its owner revoked the record since (a tombstone is held)


@dataclass(frozen=True, slots=True)
class RefusedItems:
    """What one audit entry says was refused (or is not held) for one reason."""

    reason: str  # a reason code (receiving.REFUSAL_REASONS, "missing"), or a sentence
    count: int
    ids: tuple[str, ...]  # the first ids named for it, when the entry names them
    message: str | None  # the first message given for it


@dataclass(frozen=True, slots=True)
class Refusal:
    """An audit entry of a refusal — of objects on arrival, a release, a revocation, a
    consent — or of numbers of a partner's sequence found not held, with the reasons."""

    seq: int
    at: str
    action: str
    actor: str
    subject: str | None
    partner: str | None
    items: tuple[RefusedItems, ...]
    refused: int  # objects (or numbers) the entry counts: 1 for an entry of one object
    aggregated: bool = False  # one entry for a page of a sync (exchange protocol 2)
    sequences: tuple[int, ...] = ()  # of a sequence-gap entry: the first numbers not held

    @property
    def reason(self) -> str:
        """The (first) reason."""
        return self.items[0].reason if self.items else ""

    @property
    def message(self) -> str | None:
        """The (first) message."""
        return self.items[0].message if self.items else None


@dataclass(frozen=True, slots=True)
class ExchangeView:
    """Everything the exchange page shows."""

    partners: tuple[PartnerStanding, ...]
    released: tuple[Movement, ...]
    received: tuple[Movement, ...]
    refusals: tuple[Refusal, ...]
    gaps: tuple[SequenceGap, ...]  # the first numbers not held of each partner's sequence
    titles: dict[str, str]  # record id -> its title, for the records named above
    witnessing: tuple[PartnerWitnessing, ...] = ()  # each partner's, in the partners' order
    alerts: AlertSummary = AlertSummary(0, ())
    pagers: dict[str, Pager] = field(default_factory=dict)  # of each list (LIST_COLUMNS)
    sorts: dict[str, Sort] = field(default_factory=dict)

    @property
    def not_held_total(self) -> int:
        """Items partners released to this node that it does not hold, all partners."""
        return sum(p.not_held_total for p in self.partners)


def partner_standings(uow: UnitOfWork) -> list[PartnerStanding]:
    """Each registered partner with its last sync, what went each way, and what of its
    release sequence this node does not hold."""
    partners = uow.partners.all()
    connection = uow.connection  # the counts below are this page's own read model
    released = uow.releases.released_counts()
    received: dict[str, int] = dict(
        connection.execute(
            select(records.c.received_from, func.count())
            .where(records.c.received_from.is_not(None))
            .group_by(records.c.received_from)
        ).all()
    )
    cursors = {
        row.partner: row
        for row in connection.execute(
            select(
                sync_cursors.c.partner,
                sync_cursors.c.updated_at,
                sync_cursors.c.last_added,
                sync_cursors.c.sequence,
                sync_cursors.c.highest,
            )
        )
    }
    refused = refused_on_arrival(connection)
    standings = []
    for p in partners:
        cursor = cursors.get(p.party)
        not_held = sorted(uow.gaps.counts(p.party).items(), key=lambda item: (-item[1], item[0]))
        standings.append(
            PartnerStanding(
                party=p.party,
                url=p.url,
                added_at=p.added_at,
                last_sync=cursor.updated_at if cursor else None,
                last_added=cursor.last_added if cursor else None,
                released=int(released.get(p.party, 0)),
                received=int(received.get(p.party, 0)),
                refused=refused.get(p.party, 0),
                sequence=int(cursor.sequence or 0) if cursor else 0,
                highest=int(cursor.highest or 0) if cursor else 0,
                not_held=tuple(not_held),
            )
        )
    return standings


def refused_on_arrival(connection: Connection) -> dict[str, int]:
    """Partner -> how many objects from it were refused on arrival: the count of each page's
    `refusal` entry, and 1 for each entry of one object (stores older than protocol 2)."""
    counts: dict[str, int] = {}
    query = select(audit_log.c.detail).where(audit_log.c.action == "refusal")
    for (text,) in connection.execute(query):
        detail = _detail(text)
        partner = detail.get("partner")
        if isinstance(partner, str):
            counts[partner] = counts.get(partner, 0) + _refused_count(detail)
    return counts


def exchange_view(
    store: Store,
    *,
    recent: int = RECENT,
    chosen: str = "",
    sort: Sort = DEFAULT_SORT,
    page: int = 1,
) -> ExchangeView:
    """The exchange page: partners, and one page of each list — releases, receipts,
    refusals — newest first; the `chosen` list (LIST_COLUMNS) at `page`, in `sort` order."""
    sorts = {name: sort if name == chosen else DEFAULT_SORT for name in LIST_COLUMNS}
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        counts = {
            "released": capped_count(connection, _released_query(releases.c.record_id)),
            "received": capped_count(connection, _received_query(records.c.id)),
            "refusals": capped_count(connection, _refusals_query(audit_log.c.seq)),
        }
        pagers = {
            name: pager(page if name == chosen else 1, total=total, size=recent, more=more)
            for name, (total, more) in counts.items()
        }

        def one_page(name: str, query: Select[Any]) -> Select[Any]:
            ordered = query.order_by(*_order(name, sorts[name]))
            return ordered.limit(recent).offset(pagers[name].offset)

        released_rows = connection.execute(one_page("released", _released_query())).all()
        received_rows = connection.execute(one_page("received", _received_query())).all()
        refusals = [
            _refusal_of(row) for row in connection.execute(one_page("refusals", _refusals_query()))
        ]
        standings = partner_standings(uow)
        gaps = [
            gap for p in standings if p.not_held_total for gap in uow.gaps.of(p.party, limit=recent)
        ]
        moved = [row[1] for row in (*released_rows, *received_rows)]
        revoked = uow.revocations.revoked_among(sorted(set(moved)))
        named = list(moved)
        named += [r.subject for r in refusals if r.subject is not None]
        named += [i for r in refusals for item in r.items for i in item.ids]
        named += [g.subject for g in gaps if g.subject is not None]
        return ExchangeView(
            partners=tuple(standings),
            released=tuple(_movement(row, revoked) for row in released_rows),
            received=tuple(_movement(row, revoked) for row in received_rows),
            refusals=tuple(refusals),
            gaps=tuple(gaps),
            titles=titles_of(connection, named),
            witnessing=tuple(partner_witnessing(uow, [p.party for p in standings])),
            alerts=alert_summary(uow),
            pagers=pagers,
            sorts=sorts,
        )


def movement_rows(
    store: Store, *, chosen: str, sort: Sort, limit: int = EXPORT_LIMIT
) -> Iterator[tuple[Movement, str]]:
    """Every release (`chosen` "released") or receipt ("received") in `sort` order, at most
    `limit`, with its record's title: read as the export is written, in batches."""
    query = _released_query() if chosen == "released" else _received_query()
    query = query.order_by(*_order(chosen, sort)).limit(limit)
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        result = connection.execution_options(yield_per=_BATCH).execute(query)
        for batch in result.partitions():
            ids = sorted({row[1] for row in batch})
            titles = titles_of(connection, ids)
            revoked = uow.revocations.revoked_among(ids)
            for row in batch:
                moved = _movement(row, revoked)
                yield moved, titles.get(moved.record_id, "")


def refusal_rows(
    store: Store, *, sort: Sort, limit: int = EXPORT_LIMIT
) -> Iterator[tuple[Refusal, str]]:
    """Every refusal in `sort` order (at most `limit`), with the title of the record it
    names: read as the export is written, in batches."""
    query = _refusals_query().order_by(*_order("refusals", sort)).limit(limit)
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        result = connection.execution_options(yield_per=_BATCH).execute(query)
        for batch in result.partitions():
            refusals = [_refusal_of(row) for row in batch]
            titles = titles_of(connection, [r.subject for r in refusals if r.subject])
            for refusal in refusals:
                yield refusal, titles.get(refusal.subject or "", "")


def _released_query(*columns: Any) -> Select[Any]:
    shown = columns or (
        releases.c.partner,
        releases.c.record_id,
        records.c.kind,
        releases.c.modified,
        releases.c.released_at,
    )
    # An outer join, though every release has its version: with an inner join on the two
    # columns PostgreSQL expected almost no row to match (it multiplies the two columns'
    # selectivities), so for a page of 25 it joined and sorted every release (2.5 s at
    # 3,000,000 versions, bench/explain_bench.py) instead of reading the newest from the index
    # on released_at and looking each one's version up.
    return select(*shown).select_from(
        releases.outerjoin(
            records,
            and_(records.c.id == releases.c.record_id, records.c.modified == releases.c.modified),
        )
    )


def _received_query(*columns: Any) -> Select[Any]:
    shown = columns or (
        records.c.received_from,
        records.c.id,
        records.c.kind,
        records.c.modified,
        records.c.added_at,
    )
    return select(*shown).where(records.c.received_from.is_not(None))


def _refusals_query(*columns: Any) -> Select[Any]:
    query = select(*columns) if columns else select(audit_log)
    return query.where(audit_log.c.action.in_(REFUSAL_ACTIONS))


def _order(name: str, sort: Sort) -> list[ColumnElement[Any]]:
    tiebreak = {
        "released": (releases.c.released_at, releases.c.record_id, releases.c.partner),
        "received": (records.c.added_at, records.c.id, records.c.modified),
        "refusals": (audit_log.c.seq,),
    }[name]
    return order_by(sort, LIST_COLUMNS[name], *tiebreak)


def _movement(row: Any, revoked: Collection[str]) -> Movement:
    partner, record_id, kind, modified, at = row
    return Movement(partner, record_id, kind, modified, at, revoked=record_id in revoked)


def _refusal_of(row: Any) -> Refusal:
    return _refusal(int(row.seq), row.at, row.action, row.actor, row.subject, _detail(row.detail))


def _refusal(
    seq: int, at: str, action: str, actor: str, subject: str | None, detail: dict[str, Any]
) -> Refusal:
    partner = detail.get("partner", detail.get("holder"))  # a consent names its holder
    reasons = detail.get("reasons")
    aggregated = isinstance(reasons, dict)  # a page's refusal entry, or a sequence-gap entry
    if isinstance(reasons, dict):
        ids = _mapping(detail.get("ids"))
        messages = _mapping(detail.get("messages"))
        items = tuple(
            RefusedItems(
                reason=str(reason),
                count=_count(n),
                ids=tuple(str(i) for i in _list(ids.get(reason))[:IDS_SHOWN]),
                message=str(messages[reason]) if reason in messages else None,
            )
            for reason, n in sorted(reasons.items(), key=lambda item: (-_count(item[1]), item[0]))
        )
    else:
        # One object (older stores), or a release, revocation or consent refused: one reason.
        items = (
            RefusedItems(
                reason=str(detail.get("reason", "")),
                count=1,
                ids=(subject,) if action == "refusal" and subject else (),
                message=str(detail["message"]) if "message" in detail else None,
            ),
        )
    sequences = tuple(n for n in _list(detail.get("sequences")) if isinstance(n, int))
    return Refusal(
        seq=seq,
        at=at,
        action=action,
        actor=actor,
        subject=subject,
        partner=partner if isinstance(partner, str) else None,
        items=items,
        refused=_refused_count(detail),
        aggregated=aggregated,
        sequences=sequences[:IDS_SHOWN],
    )


def _refused_count(detail: dict[str, Any]) -> int:
    # A page's entry says how many objects it refused ("refused"; a sequence-gap entry,
    # "count"); an entry of one object (older stores) counts 1.
    for key in ("refused", "count"):
        if key in detail:
            return _count(detail[key])
    reasons = detail.get("reasons")
    if isinstance(reasons, dict):
        return sum(_count(n) for n in reasons.values())
    return 1


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _detail(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
