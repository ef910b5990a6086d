"""Runs of the matching protocol, as each side recorded them (corridas de cotejo)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from enlace.store.tables import (
    match_runs,
)


@dataclass(frozen=True, slots=True)
class MatchRun:
    """One run of the protocol, as one side recorded it."""

    id: str
    role: str
    partner: str
    kind: str
    status: str
    started_at: str
    finished_at: str | None
    requester_size: int
    responder_size: int | None
    overlap: int | None
    order_seed: str | None
    set_digest: str | None
    # SHA-256 of the run's messages (enlace.matching.transcript): of round 1 while the
    # responder waits for round 2, of the whole run once completed; None before migration 13.
    transcript_sha256: str | None = None
    # The agreement it ran under (enlace.matching.modes); None before migration 19.
    mode: str | None = None
    threshold: int | None = None
    agreement_sha256: str | None = None
    # Responder, threshold mode: its secret scalar (hex) between the offer and the count
    # step, erased by `advance` or `finish`.
    blinding_scalar: str | None = None


class MatchRunRepository:
    """The match_runs table."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, run: MatchRun) -> None:
        """Record a run."""
        self._connection.execute(insert(match_runs).values(**_fields(run)))

    def get(self, run_id: str, role: str) -> MatchRun | None:
        """The run `run_id` as `role` recorded it, or None."""
        row = self._connection.execute(
            select(match_runs).where(match_runs.c.id == run_id, match_runs.c.role == role)
        ).first()
        return MatchRun(**row._mapping) if row else None

    def finish(
        self,
        run_id: str,
        role: str,
        *,
        status: str,
        at: str,
        overlap: int | None = None,
        transcript_sha256: str | None = None,
    ) -> None:
        """Mark a run completed (with the digest of its whole transcript) or failed."""
        values: dict[str, Any] = {
            "status": status,
            "finished_at": at,
            "overlap": overlap,
            "blinding_scalar": None,
        }
        if transcript_sha256 is not None:
            values["transcript_sha256"] = transcript_sha256
        self._connection.execute(
            update(match_runs)
            .where(match_runs.c.id == run_id, match_runs.c.role == role)
            .values(**values)
        )

    def advance(self, run_id: str, role: str, *, status: str, transcript_sha256: str) -> None:
        """Move an unfinished run to its next step (a threshold run past its count step):
        its new status and transcript digest; its blinding scalar is erased."""
        self._connection.execute(
            update(match_runs)
            .where(match_runs.c.id == run_id, match_runs.c.role == role)
            .values(status=status, transcript_sha256=transcript_sha256, blinding_scalar=None)
        )

    def recent(self, limit: int = 20) -> list[MatchRun]:
        """The newest runs, newest first."""
        rows = self._connection.execute(
            select(match_runs).order_by(match_runs.c.started_at.desc()).limit(limit)
        )
        return [MatchRun(**row._mapping) for row in rows]


def _fields(run: MatchRun) -> dict[str, Any]:
    return {name: getattr(run, name) for name in MatchRun.__slots__}
