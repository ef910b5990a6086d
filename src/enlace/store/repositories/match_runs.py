"""Runs of the matching protocol, as each side recorded them (corridas de cotejo)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from enlace.store.tables import (
    match_runs,
)

# A run that waited longer than its expiry for its next step (enlace.matching.responder).
EXPIRED = "expired"


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
    # Responder: its secret scalar (hex) while the run waits for the requester's check
    # (links mode, threshold mode once reached) or count step (threshold mode, offered);
    # erased by `advance`, `finish` or `expire_waiting`.
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
        only_from: tuple[str, ...] | None = None,
    ) -> bool:
        """Mark a run completed (with the digest of its whole transcript) or failed; its
        blinding scalar is erased. With `only_from`, only if its status is one of those:
        False when it was not (another request moved it first)."""
        values: dict[str, Any] = {
            "status": status,
            "finished_at": at,
            "overlap": overlap,
            "blinding_scalar": None,
        }
        if transcript_sha256 is not None:
            values["transcript_sha256"] = transcript_sha256
        return self._update(run_id, role, only_from, values)

    def advance(
        self,
        run_id: str,
        role: str,
        *,
        status: str,
        transcript_sha256: str,
        keep_scalar: bool = False,
        only_from: tuple[str, ...] | None = None,
    ) -> bool:
        """Move an unfinished run to its next step (a threshold run past its count step, a
        run past its check): its new status and transcript digest; its blinding scalar is
        erased unless `keep_scalar` (the step after needs it). `only_from` as for `finish`."""
        values: dict[str, Any] = {"status": status, "transcript_sha256": transcript_sha256}
        if not keep_scalar:
            values["blinding_scalar"] = None
        return self._update(run_id, role, only_from, values)

    def expire_waiting(self, role: str, *, started_before: str, at: str) -> list[MatchRun]:
        """Runs of `role` still holding a blinding scalar that started before
        `started_before`: marked expired and their scalar erased. Which (as they are now)."""
        waiting = (
            match_runs.c.role == role,
            match_runs.c.blinding_scalar.is_not(None),
            match_runs.c.started_at < started_before,
        )
        rows = self._connection.execute(select(match_runs).where(*waiting)).mappings().all()
        if not rows:
            return []
        self._connection.execute(
            update(match_runs)
            .where(*waiting, match_runs.c.id.in_([row["id"] for row in rows]))
            .values(status=EXPIRED, finished_at=at, blinding_scalar=None)
        )
        expired = {"status": EXPIRED, "finished_at": at, "blinding_scalar": None}
        return [MatchRun(**{**row, **expired}) for row in rows]

    def _update(
        self, run_id: str, role: str, only_from: tuple[str, ...] | None, values: dict[str, Any]
    ) -> bool:
        statement = update(match_runs).where(match_runs.c.id == run_id, match_runs.c.role == role)
        if only_from is not None:
            # Conditional, so that of two requests racing on one run only one moves it.
            statement = statement.where(match_runs.c.status.in_(only_from))
        return bool(self._connection.execute(statement.values(**values)).rowcount)

    def recent(self, limit: int = 20) -> list[MatchRun]:
        """The newest runs, newest first."""
        rows = self._connection.execute(
            select(match_runs).order_by(match_runs.c.started_at.desc()).limit(limit)
        )
        return [MatchRun(**row._mapping) for row in rows]


def _fields(run: MatchRun) -> dict[str, Any]:
    return {name: getattr(run, name) for name in MatchRun.__slots__}
