"""Planned operations (operativos), their deconfliction keys and their liaisons' notices."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from enlace.store.tables import deconfliction_notices, operation_keys, operations

ACTIVE = "active"
CANCELLED = "cancelled"
OPERATION_ID_PREFIX = "operation--"  # then 16 random hex digits


@dataclass(frozen=True, slots=True)
class Operation:
    """One of this node's planned operations, as stored."""

    id: str
    reference: str
    agency: str
    contact: str
    latitude: float
    longitude: float
    starts: str
    ends: str
    status: str
    created_at: str
    created_by: str


@dataclass(frozen=True, slots=True)
class DeconflictionNotice:
    """An aviso de desconflicto: a partner has an operation sharing a key with ours."""

    operation_id: str
    partner: str
    role: str  # this node's in the run: requester or responder
    counterpart: str
    run_id: str
    matched_on: str
    partner_contact: str | None
    at: str


class OperationRepository:
    """`operations`, `operation_keys` and `deconfliction_notices`."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, operation: Operation, keys: Sequence[str]) -> None:
        """Store a new operation and its keys."""
        self._connection.execute(insert(operations).values(**_row(operation)))
        self._connection.execute(
            insert(operation_keys), [{"operation_id": operation.id, "key": k} for k in keys]
        )

    def get(self, operation_id: str) -> Operation | None:
        """The operation, or None."""
        row = self._connection.execute(
            select(operations).where(operations.c.id == operation_id)
        ).first()
        return None if row is None else Operation(**row._asdict())

    def all(self) -> list[Operation]:
        """Every operation, newest first."""
        rows = self._connection.execute(
            select(operations).order_by(operations.c.created_at.desc(), operations.c.id)
        )
        return [Operation(**row._asdict()) for row in rows]

    def set_status(self, operation_id: str, status: str) -> None:
        """Mark the operation `status` (cancelled: its keys stop taking part)."""
        self._connection.execute(
            update(operations).where(operations.c.id == operation_id).values(status=status)
        )

    def active_keys(self, today: str) -> dict[str, list[str]]:
        """key -> ids of the active operations holding it whose window has not ended."""
        return active_operation_keys(self._connection, today)

    def add_notice(self, notice: DeconflictionNotice) -> bool:
        """Record the notice unless one for the same operation, partner and counterpart
        exists (a check run again tells nobody twice: the one held moves to this run);
        True if it is new."""
        same = (
            deconfliction_notices.c.operation_id == notice.operation_id,
            deconfliction_notices.c.partner == notice.partner,
            deconfliction_notices.c.role == notice.role,
            deconfliction_notices.c.counterpart == notice.counterpart,
        )
        held = self._connection.execute(select(deconfliction_notices.c.run_id).where(*same)).first()
        if held is not None:
            self._connection.execute(
                update(deconfliction_notices)
                .where(*same)
                .values(run_id=notice.run_id, matched_on=notice.matched_on)
            )
            return False
        self._connection.execute(
            insert(deconfliction_notices).values(
                operation_id=notice.operation_id,
                partner=notice.partner,
                role=notice.role,
                counterpart=notice.counterpart,
                run_id=notice.run_id,
                matched_on=notice.matched_on,
                partner_contact=notice.partner_contact,
                at=notice.at,
            )
        )
        return True

    def notices_of_run(self, run_id: str, partner: str, role: str) -> list[DeconflictionNotice]:
        """The notices one run recorded with `partner`."""
        rows = self._connection.execute(
            select(deconfliction_notices).where(
                deconfliction_notices.c.run_id == run_id,
                deconfliction_notices.c.partner == partner,
                deconfliction_notices.c.role == role,
            )
        )
        return [DeconflictionNotice(**row._asdict()) for row in rows]

    def set_partner_contact(self, notice: DeconflictionNotice, contact: str) -> None:
        """The partner's liaison's contact, once exchanged."""
        self._connection.execute(
            update(deconfliction_notices)
            .where(
                deconfliction_notices.c.operation_id == notice.operation_id,
                deconfliction_notices.c.partner == notice.partner,
                deconfliction_notices.c.role == notice.role,
                deconfliction_notices.c.counterpart == notice.counterpart,
            )
            .values(partner_contact=contact)
        )

    def notices(self) -> list[DeconflictionNotice]:
        """Every notice, newest first."""
        rows = self._connection.execute(
            select(deconfliction_notices).order_by(
                deconfliction_notices.c.at.desc(), deconfliction_notices.c.operation_id
            )
        )
        return [DeconflictionNotice(**row._asdict()) for row in rows]


def active_operation_keys(connection: Connection, today: str) -> dict[str, list[str]]:
    """key -> ids of the active operations holding it whose window ends `today` or later:
    deconfliction's set (enlace.matching.kinds reads it on the matching run's connection)."""
    rows = connection.execute(
        select(operation_keys.c.key, operation_keys.c.operation_id)
        .join(operations, operations.c.id == operation_keys.c.operation_id)
        .where(operations.c.status == ACTIVE, operations.c.ends >= today)
    )
    found: defaultdict[str, list[str]] = defaultdict(list)
    for key, operation_id in rows:
        found[key].append(operation_id)
    for ids in found.values():
        ids.sort()
    return dict(found)


def _row(operation: Operation) -> dict[str, object]:
    return {
        "id": operation.id,
        "reference": operation.reference,
        "agency": operation.agency,
        "contact": operation.contact,
        "latitude": operation.latitude,
        "longitude": operation.longitude,
        "starts": operation.starts,
        "ends": operation.ends,
        "status": operation.status,
        "created_at": operation.created_at,
        "created_by": operation.created_by,
    }
