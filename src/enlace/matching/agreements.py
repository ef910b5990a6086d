"""Matching agreements (acuerdos): what this node answers for each partner, automatically.

Without an agreement for a (partner, kind) the node answers nothing for it. Within one, a
run is answered only if the partner's set is no larger than `max_set_size` and the partner
has asked for fewer than `runs_per_day` runs of that kind since 00:00 UTC: a partner could
otherwise probe one identifier at a time, learning whether this node holds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from enlace.audit.log import AuditLog
from enlace.exchange.partners import PartnerRepository
from enlace.matching.errors import MatchingError, MatchRefused
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


def check_within_agreement(
    agreements: AgreementRepository, *, partner: str, kind: str, set_size: int | None, now: str
) -> MatchAgreement:
    """The agreement allowing this run, or MatchRefused saying which cap it breaks.

    `now` is a STIX timestamp; the day's count starts at its 00:00 UTC. `set_size` None
    checks everything but the size (before the body has arrived).
    """
    agreement = agreements.get(partner, kind)
    if agreement is None:
        raise MatchRefused(
            403,
            "no-agreement",
            f"no matching agreement with {partner} covers kind {kind!r}",
        )
    if set_size is not None and set_size > agreement.max_set_size:
        raise MatchRefused(
            413,
            "set-too-large",
            f"a set of {set_size:,} {kind} identifiers is larger than the agreement's cap of "
            f"{agreement.max_set_size:,} per run",
        )
    day_start = now[:10] + "T00:00:00.000000Z"
    done = agreements.runs_since(partner, kind, day_start)
    if done >= agreement.runs_per_day:
        raise MatchRefused(
            429,
            "too-many-runs",
            f"{done} run(s) of {kind} already today (UTC); the agreement allows "
            f"{agreement.runs_per_day} per day",
        )
    return agreement


def _agreement(row: Row[Any]) -> MatchAgreement:
    return MatchAgreement(
        partner=row.partner,
        kind=row.kind,
        max_set_size=int(row.max_set_size),
        runs_per_day=int(row.runs_per_day),
        updated_at=row.updated_at,
    )


def set_agreements(
    connection: Connection,
    *,
    partner: str,
    kinds: Iterable[str],
    max_set_size: int,
    runs_per_day: int,
    at: str,
    actor: str,
) -> list[MatchAgreement]:
    """`set_agreement` for each of `kinds`, with the same caps; never commits."""
    return [
        set_agreement(
            connection,
            partner=partner,
            kind=kind,
            max_set_size=max_set_size,
            runs_per_day=runs_per_day,
            at=at,
            actor=actor,
        )
        for kind in kinds
    ]


def set_agreement(
    connection: Connection,
    *,
    partner: str,
    kind: str,
    max_set_size: int,
    runs_per_day: int,
    at: str,
    actor: str,
) -> MatchAgreement:
    """Set (or replace) the agreement for (partner, kind) and audit it; never commits.

    MatchingError when the partner is not registered or a cap is not positive.
    """
    if PartnerRepository(connection).get(partner) is None:
        raise MatchingError(
            f"{partner} is not a registered partner: run 'enlace partner add' first"
        )
    if max_set_size < 1 or runs_per_day < 1:
        raise MatchingError(
            f"--max-set-size and --runs-per-day must be at least 1 (found {max_set_size}, "
            f"{runs_per_day}); to stop answering {partner} on {kind}, remove the agreement"
        )
    agreement = MatchAgreement(partner, kind, max_set_size, runs_per_day, at)
    AgreementRepository(connection).put(agreement)
    AuditLog(connection).append(
        actor=actor,
        action="match-agreement",
        subject=partner,
        detail={"kind": kind, "max_set_size": max_set_size, "runs_per_day": runs_per_day},
    )
    return agreement
