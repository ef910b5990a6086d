"""Matching agreements (acuerdos de cotejo): the caps per partner and kind, as stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from enlace.store.tables import match_agreements, match_runs

RESPONDER = "responder"
REQUESTER = "requester"


@dataclass(frozen=True, slots=True)
class MatchAgreement:
    """The caps under which this node answers `partner`'s runs on `kind`."""

    partner: str
    kind: str
    max_set_size: int
    runs_per_day: int
    updated_at: str
    mode: str = "links"  # links, count or threshold (enlace.matching.modes)
    threshold: int | None = None  # threshold mode: the least shared identifiers for links


class AgreementRepository:
    """The match_agreements table, inside the caller's transaction (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def put(self, agreement: MatchAgreement) -> None:
        """Set the caps for (partner, kind), replacing any earlier ones."""
        values = {
            "max_set_size": agreement.max_set_size,
            "runs_per_day": agreement.runs_per_day,
            "updated_at": agreement.updated_at,
            "mode": agreement.mode,
            "threshold": agreement.threshold,
        }
        if self.get(agreement.partner, agreement.kind) is None:
            self._connection.execute(
                insert(match_agreements).values(
                    partner=agreement.partner, kind=agreement.kind, **values
                )
            )
        else:
            self._connection.execute(
                update(match_agreements)
                .where(
                    match_agreements.c.partner == agreement.partner,
                    match_agreements.c.kind == agreement.kind,
                )
                .values(**values)
            )

    def remove(self, partner: str, kind: str) -> bool:
        """Withdraw the agreement for (partner, kind); False if there was none."""
        result = self._connection.execute(
            delete(match_agreements).where(
                match_agreements.c.partner == partner, match_agreements.c.kind == kind
            )
        )
        return bool(result.rowcount)

    def get(self, partner: str, kind: str) -> MatchAgreement | None:
        """The agreement for (partner, kind), or None."""
        row = self._connection.execute(
            select(match_agreements).where(
                match_agreements.c.partner == partner, match_agreements.c.kind == kind
            )
        ).first()
        return _agreement(row) if row else None

    def all(self) -> list[MatchAgreement]:
        """Every agreement, by partner then kind."""
        rows = self._connection.execute(
            select(match_agreements).order_by(match_agreements.c.partner, match_agreements.c.kind)
        )
        return [_agreement(row) for row in rows]

    def runs_since(self, partner: str, kind: str, since: str) -> int:
        """Runs of `kind` this node answered (or began to) for `partner` since `since`."""
        return int(
            self._connection.execute(
                select(func.count())
                .select_from(match_runs)
                .where(
                    match_runs.c.role == RESPONDER,
                    match_runs.c.partner == partner,
                    match_runs.c.kind == kind,
                    match_runs.c.started_at >= since,
                )
            ).scalar_one()
        )


def _agreement(row: Row[Any]) -> MatchAgreement:
    return MatchAgreement(
        partner=row.partner,
        kind=row.kind,
        max_set_size=int(row.max_set_size),
        runs_per_day=int(row.runs_per_day),
        updated_at=row.updated_at,
        mode=row.mode,
        threshold=None if row.threshold is None else int(row.threshold),
    )
