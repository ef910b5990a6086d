"""Disclosure requests (solicitudes de divulgación), incoming and outgoing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from enlace.store.tables import (
    disclosure_requests,
)


@dataclass(frozen=True, slots=True)
class DisclosureRequest:
    """A solicitud de divulgación: a partner asks the owner to release a matched record."""

    id: int
    direction: str  # incoming (on the owner's node) or outgoing (on the requester's)
    partner: str
    handle: str
    record_id: str | None
    reason: str | None
    status: str  # pending, approved, refused
    requested_at: str
    decided_at: str | None
    decided_by: str | None
    decision_reason: str | None
    remote_id: int | None


class DisclosureRepository:
    """The disclosure_requests table."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(
        self,
        *,
        direction: str,
        partner: str,
        handle: str,
        record_id: str | None,
        reason: str | None,
        at: str,
        remote_id: int | None = None,
        status: str = "pending",
    ) -> int:
        """Record a request; return its id."""
        result = self._connection.execute(
            insert(disclosure_requests)
            .values(
                direction=direction,
                partner=partner,
                handle=handle,
                record_id=record_id,
                reason=reason,
                status=status,
                requested_at=at,
                remote_id=remote_id,
            )
            .returning(disclosure_requests.c.id)
        )
        return int(result.scalar_one())

    def get(self, request_id: int) -> DisclosureRequest | None:
        """The request `request_id`, or None."""
        row = self._connection.execute(
            select(disclosure_requests).where(disclosure_requests.c.id == request_id)
        ).first()
        return _request(row) if row else None

    def pending_for(self, partner: str, record_id: str) -> DisclosureRequest | None:
        """The incoming pending request of `partner` for `record_id`, if there is one."""
        row = self._connection.execute(
            select(disclosure_requests).where(
                disclosure_requests.c.direction == "incoming",
                disclosure_requests.c.partner == partner,
                disclosure_requests.c.record_id == record_id,
                disclosure_requests.c.status == "pending",
            )
        ).first()
        return _request(row) if row else None

    def partners_awaited(self) -> list[str]:
        """The partners this node waits on for a decision (its pending requests to them)."""
        query = (
            select(disclosure_requests.c.partner)
            .where(
                disclosure_requests.c.direction == "outgoing",
                disclosure_requests.c.status == "pending",
            )
            .distinct()
            .order_by(disclosure_requests.c.partner)
        )
        return [str(party) for party in self._connection.execute(query).scalars()]

    def outgoing_pending(self, partner: str) -> list[DisclosureRequest]:
        """This node's requests to `partner` still waiting for the owner's decision."""
        rows = self._connection.execute(
            select(disclosure_requests)
            .where(
                disclosure_requests.c.direction == "outgoing",
                disclosure_requests.c.partner == partner,
                disclosure_requests.c.status == "pending",
                disclosure_requests.c.remote_id.is_not(None),
            )
            .order_by(disclosure_requests.c.id)
        )
        return [_request(row) for row in rows]

    def decide(self, request_id: int, *, status: str, at: str, by: str, reason: str | None) -> None:
        """Record the owner's decision on a pending request."""
        self._connection.execute(
            update(disclosure_requests)
            .where(disclosure_requests.c.id == request_id)
            .values(status=status, decided_at=at, decided_by=by, decision_reason=reason)
        )

    def all(self, *, status: str | None = None) -> list[DisclosureRequest]:
        """Requests (optionally of one status), oldest first."""
        query = select(disclosure_requests)
        if status is not None:
            query = query.where(disclosure_requests.c.status == status)
        rows = self._connection.execute(query.order_by(disclosure_requests.c.id))
        return [_request(row) for row in rows]


def _request(row: Row[Any]) -> DisclosureRequest:
    return DisclosureRequest(**row._mapping)
