"""What witnessing keeps (issue 13): this node's checkpoints as partners countersigned them,
other parties' checkpoints this node holds, and the alerts witnessing raised.

Nothing here is ever updated in place except `checked_at` of a checkpoint a partner passed
on: a countersignature, a checkpoint and an alert are evidence, kept as received.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from enlace.canonical import canonical_json
from enlace.store.dialect import insert_ignoring_duplicates
from enlace.store.tables import audit_alerts, audit_cosignatures, witnessed_checkpoints


@dataclass(frozen=True, slots=True)
class Cosigned:
    """One of this node's checkpoints as `partner` countersigned it."""

    partner: str
    size: int
    root: str  # hex
    note: str
    cosigned_at: str


@dataclass(frozen=True, slots=True)
class Witnessed:
    """A checkpoint of `party`'s log held here: cosigned by this node (source == party) or
    passed on by the partner `source` as what it cosigned."""

    party: str
    source: str
    size: int
    root: str  # hex
    note: str
    seen_at: str
    checked_at: str | None


@dataclass(frozen=True, slots=True)
class AuditAlert:
    """Something witnessing refused, kept as evidence."""

    id: int
    raised_at: str
    party: str  # whose log is in question
    reporter: str  # who found it
    kind: str
    message: str
    evidence: str  # canonical JSON


class WitnessRepository:
    """Witnessing's records, on the caller's connection (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name

    # --- this node's checkpoints, countersigned ------------------------------------------

    def add_cosigned(self, cosigned: Cosigned) -> None:
        """Keep a countersignature (a second one for the same size replaces nothing)."""
        # Two syncs between the same nodes can keep the same row at once: the first wins.
        self._connection.execute(
            insert_ignoring_duplicates(audit_cosignatures, self._dialect).values(
                partner=cosigned.partner,
                size=cosigned.size,
                root=cosigned.root,
                note=cosigned.note,
                cosigned_at=cosigned.cosigned_at,
            )
        )

    def latest_cosigned(self, partner: str | None = None) -> Cosigned | None:
        """The largest checkpoint `partner` (any partner when None) countersigned."""
        query = select(audit_cosignatures).order_by(
            audit_cosignatures.c.size.desc(), audit_cosignatures.c.cosigned_at.desc()
        )
        if partner is not None:
            query = query.where(audit_cosignatures.c.partner == partner)
        row = self._connection.execute(query.limit(1)).first()
        return None if row is None else _cosigned(row)

    def cosigned(self) -> list[Cosigned]:
        """Every countersignature kept, oldest checkpoint first."""
        rows = self._connection.execute(
            select(audit_cosignatures).order_by(
                audit_cosignatures.c.size, audit_cosignatures.c.partner
            )
        )
        return [_cosigned(row) for row in rows]

    def cosigned_at_or_after(self, size: int) -> list[Cosigned]:
        """The countersigned checkpoints of at least `size` entries, smallest first."""
        rows = self._connection.execute(
            select(audit_cosignatures)
            .where(audit_cosignatures.c.size >= size)
            .order_by(audit_cosignatures.c.size, audit_cosignatures.c.partner)
        )
        return [_cosigned(row) for row in rows]

    # --- other parties' checkpoints --------------------------------------------------------

    def add_witnessed(self, witnessed: Witnessed) -> None:
        """Keep a checkpoint of another party (once per party, source and size)."""
        self._connection.execute(
            insert_ignoring_duplicates(witnessed_checkpoints, self._dialect).values(
                party=witnessed.party,
                source=witnessed.source,
                size=witnessed.size,
                root=witnessed.root,
                note=witnessed.note,
                seen_at=witnessed.seen_at,
                checked_at=witnessed.checked_at,
            )
        )

    def latest_witnessed(self, party: str, *, source: str | None = None) -> Witnessed | None:
        """The largest checkpoint of `party` this node cosigned (or `source` passed on)."""
        row = self._connection.execute(
            select(witnessed_checkpoints)
            .where(
                witnessed_checkpoints.c.party == party,
                witnessed_checkpoints.c.source == (source or party),
            )
            .order_by(witnessed_checkpoints.c.size.desc())
            .limit(1)
        ).first()
        return None if row is None else _witnessed(row)

    def witnessed_at(self, party: str, size: int) -> list[Witnessed]:
        """Every checkpoint of `party` held for exactly `size` entries, from any source."""
        rows = self._connection.execute(
            select(witnessed_checkpoints).where(
                witnessed_checkpoints.c.party == party, witnessed_checkpoints.c.size == size
            )
        )
        return [_witnessed(row) for row in rows]

    def unchecked(self, party: str, *, limit: int) -> list[Witnessed]:
        """Checkpoints of `party` other partners passed on, not yet checked against what
        `party` shows this node; smallest first."""
        rows = self._connection.execute(
            select(witnessed_checkpoints)
            .where(
                witnessed_checkpoints.c.party == party,
                witnessed_checkpoints.c.source != party,
                witnessed_checkpoints.c.checked_at.is_(None),
            )
            .order_by(witnessed_checkpoints.c.size)
            .limit(limit)
        )
        return [_witnessed(row) for row in rows]

    def mark_checked(self, held: Witnessed, at: str) -> None:
        """Record that `held` was found consistent with what its party shows this node."""
        self._connection.execute(
            update(witnessed_checkpoints)
            .where(
                witnessed_checkpoints.c.party == held.party,
                witnessed_checkpoints.c.source == held.source,
                witnessed_checkpoints.c.size == held.size,
            )
            .values(checked_at=at)
        )

    # --- alerts ------------------------------------------------------------------------------

    def raise_alert(
        self,
        *,
        party: str,
        reporter: str,
        kind: str,
        message: str,
        evidence: dict[str, Any],
        at: str,
    ) -> int:
        """Keep an alert and its evidence; return its number."""
        result = self._connection.execute(
            insert(audit_alerts).values(
                raised_at=at,
                party=party,
                reporter=reporter,
                kind=kind,
                message=message,
                evidence=canonical_json(evidence).decode("utf-8"),
            )
        )
        key = result.inserted_primary_key
        return int(key[0]) if key else 0

    def alerts(self, limit: int = 20) -> list[AuditAlert]:
        """The newest alerts, newest first."""
        rows = self._connection.execute(
            select(audit_alerts).order_by(audit_alerts.c.id.desc()).limit(max(limit, 0))
        )
        return [
            AuditAlert(
                id=int(row.id),
                raised_at=row.raised_at,
                party=row.party,
                reporter=row.reporter,
                kind=row.kind,
                message=row.message,
                evidence=row.evidence,
            )
            for row in rows
        ]

    def alert_count(self) -> int:
        """How many alerts were raised."""
        return int(
            self._connection.execute(select(func.count()).select_from(audit_alerts)).scalar_one()
        )


def _cosigned(row: Any) -> Cosigned:
    return Cosigned(
        partner=row.partner,
        size=int(row.size),
        root=row.root,
        note=row.note,
        cosigned_at=row.cosigned_at,
    )


def _witnessed(row: Any) -> Witnessed:
    return Witnessed(
        party=row.party,
        source=row.source,
        size=int(row.size),
        root=row.root,
        note=row.note,
        seen_at=row.seen_at,
        checked_at=row.checked_at,
    )
