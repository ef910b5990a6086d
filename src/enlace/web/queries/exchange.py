"""Read model of the exchange page: each partner, what went each way, what was refused, and
what of each partner's release sequence this node does not hold.

Refusals are read from the audit log in both of the shapes it holds: one `refusal` entry per
page of a sync (exchange protocol 2: counts by reason, the first ids, the first message of
each reason), and, in stores older than protocol 2, one `refusal` entry per refused object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

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
from enlace.web.queries.describe import titles_of

RECENT = 25
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

    @property
    def not_held_total(self) -> int:
        """Items partners released to this node that it does not hold, all partners."""
        return sum(p.not_held_total for p in self.partners)


def partner_standings(uow: UnitOfWork) -> list[PartnerStanding]:
    """Each registered partner with its last sync, what went each way, and what of its
    release sequence this node does not hold."""
    partners = uow.partners.all()
    connection = uow.connection  # the counts below are this page's own read model
    released: dict[str, int] = dict(
        connection.execute(
            select(releases.c.partner, func.count()).group_by(releases.c.partner)
        ).all()
    )
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


def exchange_view(store: Store, *, recent: int = RECENT) -> ExchangeView:
    """The exchange page: partners, the latest movements each way, the latest refusals."""
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        released_rows = connection.execute(
            select(
                releases.c.partner,
                releases.c.record_id,
                records.c.kind,
                releases.c.modified,
                releases.c.released_at,
            )
            .select_from(
                releases.join(
                    records,
                    and_(
                        records.c.id == releases.c.record_id,
                        records.c.modified == releases.c.modified,
                    ),
                )
            )
            .order_by(releases.c.released_at.desc(), releases.c.record_id)
            .limit(recent)
        ).all()
        received_rows = connection.execute(
            select(
                records.c.received_from,
                records.c.id,
                records.c.kind,
                records.c.modified,
                records.c.added_at,
            )
            .where(records.c.received_from.is_not(None))
            .order_by(records.c.added_at.desc(), records.c.id)
            .limit(recent)
        ).all()
        refusals = _refusals(connection, actions=REFUSAL_ACTIONS, limit=recent)
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
            released=tuple(Movement(*row, revoked=row[1] in revoked) for row in released_rows),
            received=tuple(Movement(*row, revoked=row[1] in revoked) for row in received_rows),
            refusals=tuple(refusals),
            gaps=tuple(gaps),
            titles=titles_of(connection, named),
            witnessing=tuple(partner_witnessing(uow, [p.party for p in standings])),
            alerts=alert_summary(uow),
        )


def _refusals(
    connection: Connection, *, actions: tuple[str, ...], limit: int | None
) -> list[Refusal]:
    query = (
        select(audit_log).where(audit_log.c.action.in_(actions)).order_by(audit_log.c.seq.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        _refusal(int(row.seq), row.at, row.action, row.actor, row.subject, _detail(row.detail))
        for row in connection.execute(query)
    ]


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
