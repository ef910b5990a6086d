"""Read model of the exchange page: each partner, what went each way, what was refused."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from enlace.store.store import Store
from enlace.store.tables import audit_log, records, releases, sync_cursors
from enlace.store.unit_of_work import UnitOfWork
from enlace.web.queries.describe import titles_of

RECENT = 25
# Audit actions that are a refusal: of a received version, of a release, of a revocation.
REFUSAL_ACTIONS = ("refusal", "release-refused", "revocation-refused")


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
    refused: int  # versions from it refused on arrival


@dataclass(frozen=True, slots=True)
class Movement:
    """One record version that went to, or came from, a partner."""

    partner: str
    record_id: str
    kind: str
    modified: str
    at: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused version, release or revocation, with its reason (from the audit log)."""

    seq: int
    at: str
    action: str
    actor: str
    subject: str | None
    partner: str | None
    reason: str
    message: str | None


@dataclass(frozen=True, slots=True)
class ExchangeView:
    """Everything the exchange page shows."""

    partners: tuple[PartnerStanding, ...]
    released: tuple[Movement, ...]
    received: tuple[Movement, ...]
    refusals: tuple[Refusal, ...]
    titles: dict[str, str]  # record id -> its title, for the records named above


def partner_standings(uow: UnitOfWork) -> list[PartnerStanding]:
    """Each registered partner with its last sync and what went each way."""
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
            select(sync_cursors.c.partner, sync_cursors.c.updated_at, sync_cursors.c.last_added)
        )
    }
    refused: dict[str, int] = {}
    for refusal in _refusals(connection, actions=("refusal",), limit=None):
        if refusal.partner is not None:
            refused[refusal.partner] = refused.get(refusal.partner, 0) + 1
    return [
        PartnerStanding(
            party=p.party,
            url=p.url,
            added_at=p.added_at,
            last_sync=cursors[p.party].updated_at if p.party in cursors else None,
            last_added=cursors[p.party].last_added if p.party in cursors else None,
            released=int(released.get(p.party, 0)),
            received=int(received.get(p.party, 0)),
            refused=refused.get(p.party, 0),
        )
        for p in partners
    ]


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
        named = [row[1] for row in (*released_rows, *received_rows)]
        named += [r.subject for r in refusals if r.subject is not None]
        return ExchangeView(
            partners=tuple(partner_standings(uow)),
            released=tuple(Movement(*row) for row in released_rows),
            received=tuple(Movement(*row) for row in received_rows),
            refusals=tuple(refusals),
            titles=titles_of(connection, named),
        )


def _refusals(
    connection: Connection, *, actions: tuple[str, ...], limit: int | None
) -> list[Refusal]:
    query = (
        select(audit_log).where(audit_log.c.action.in_(actions)).order_by(audit_log.c.seq.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    found = []
    for row in connection.execute(query):
        detail = _detail(row.detail)
        found.append(
            Refusal(
                seq=int(row.seq),
                at=row.at,
                action=row.action,
                actor=row.actor,
                subject=row.subject,
                partner=detail.get("partner") if isinstance(detail.get("partner"), str) else None,
                reason=str(detail.get("reason", "")),
                message=str(detail["message"]) if "message" in detail else None,
            )
        )
    return found


def _detail(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
