"""What matching leaves in the store: runs, handles, matches, hit notices, disclosure requests.

Repositories over the caller's connection; they never commit (the unit of work does).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, Table, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from enlace.matching.psi import HANDLE_BYTES
from enlace.store.dialect import insert_rows_ignoring_duplicates
from enlace.store.tables import (
    disclosure_requests,
    hit_notices,
    match_handles,
    match_runs,
    matches,
)

_CHUNK = 500  # stays under SQLite's bound-parameter limit


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


@dataclass(frozen=True, slots=True)
class Match:
    """A coincidencia on the requester: a local record and the partner's opaque handle."""

    partner: str
    kind: str
    record_id: str
    partner_handle: str
    run_id: str
    found_at: str


@dataclass(frozen=True, slots=True)
class HitNotice:
    """An aviso de coincidencia on the owner's node: which partner matched which record."""

    run_id: str
    record_id: str
    partner: str
    kind: str
    owner_agency: str | None
    at: str


@dataclass(frozen=True, slots=True)
class RunHits:
    """What one run left on this node for one partner and kind: how many records, when."""

    run_id: str
    partner: str
    kind: str
    at: str  # the newest of them
    records: int


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
        self, run_id: str, role: str, *, status: str, at: str, overlap: int | None = None
    ) -> None:
        """Mark a run completed or failed."""
        self._connection.execute(
            update(match_runs)
            .where(match_runs.c.id == run_id, match_runs.c.role == role)
            .values(status=status, finished_at=at, overlap=overlap)
        )

    def recent(self, limit: int = 20) -> list[MatchRun]:
        """The newest runs, newest first."""
        rows = self._connection.execute(
            select(match_runs).order_by(match_runs.c.started_at.desc()).limit(limit)
        )
        return [MatchRun(**row._mapping) for row in rows]


class HandleRepository:
    """Opaque handles of this node's records, one per (partner, record)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def handles_for(self, partner: str, record_ids: Iterable[str], *, at: str) -> dict[str, str]:
        """record id -> its handle for `partner`, making a random one where there is none."""
        wanted = list(dict.fromkeys(record_ids))
        held = self._held(partner, wanted)
        fresh = [
            (partner, rid, secrets.token_hex(HANDLE_BYTES), at) for rid in wanted if rid not in held
        ]
        if fresh:
            insert_rows_ignoring_duplicates(
                self._connection,
                match_handles,
                ("partner", "record_id", "handle", "created_at"),
                fresh,
            )
            held.update(self._held(partner, [row[1] for row in fresh]))
        return held

    def record_of(self, partner: str, handle: str) -> str | None:
        """The record `handle` names for `partner`, or None (no such handle, or another's)."""
        row = self._connection.execute(
            select(match_handles.c.record_id).where(
                match_handles.c.partner == partner, match_handles.c.handle == handle
            )
        ).first()
        return str(row[0]) if row else None

    def _held(self, partner: str, record_ids: Sequence[str]) -> dict[str, str]:
        held: dict[str, str] = {}
        for start in range(0, len(record_ids), _CHUNK):
            chunk = record_ids[start : start + _CHUNK]
            rows = self._connection.execute(
                select(match_handles.c.record_id, match_handles.c.handle).where(
                    match_handles.c.partner == partner, match_handles.c.record_id.in_(chunk)
                )
            )
            held.update({row[0]: row[1] for row in rows})
        return held


class MatchRepository:
    """Matches on the requester and hit notices on the owner."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add_matches(self, found: Sequence[Match]) -> int:
        """Store matches not held yet; return how many were new."""
        return insert_rows_ignoring_duplicates(
            self._connection,
            matches,
            ("partner", "kind", "record_id", "partner_handle", "run_id", "found_at"),
            [
                (m.partner, m.kind, m.record_id, m.partner_handle, m.run_id, m.found_at)
                for m in found
            ],
        )

    def recent_matches(self, limit: int) -> list[Match]:
        """The newest `limit` matches."""
        query = select(matches).order_by(matches.c.found_at.desc(), matches.c.record_id.desc())
        return [Match(**row._mapping) for row in self._connection.execute(query.limit(limit))]

    def matches(self, *, partner: str | None = None, kind: str | None = None) -> list[Match]:
        """Stored matches, by partner, kind and record."""
        query = select(matches)
        if partner is not None:
            query = query.where(matches.c.partner == partner)
        if kind is not None:
            query = query.where(matches.c.kind == kind)
        rows = self._connection.execute(
            query.order_by(matches.c.partner, matches.c.kind, matches.c.record_id)
        )
        return [Match(**row._mapping) for row in rows]

    def add_hit_notices(self, notices: Sequence[HitNotice]) -> int:
        """Store hit notices; return how many were new."""
        return insert_rows_ignoring_duplicates(
            self._connection,
            hit_notices,
            ("run_id", "record_id", "partner", "kind", "owner_agency", "at"),
            [(h.run_id, h.record_id, h.partner, h.kind, h.owner_agency, h.at) for h in notices],
        )

    def latest_hit_runs(self, limit: int) -> list[RunHits]:
        """Hit notices by run, partner and kind, newest first: one line per run, not per
        record (a run can notify hundreds of thousands)."""
        return self._by_run(hit_notices, hit_notices.c.at, limit)

    def latest_match_runs(self, limit: int) -> list[RunHits]:
        """Matches by run, partner and kind, newest first."""
        return self._by_run(matches, matches.c.found_at, limit)

    def _by_run(self, table: Table, at: ColumnElement[str], limit: int) -> list[RunHits]:
        newest = func.max(at)
        query = (
            select(table.c.run_id, table.c.partner, table.c.kind, newest, func.count())
            .group_by(table.c.run_id, table.c.partner, table.c.kind)
            .order_by(newest.desc(), table.c.run_id, table.c.kind)
            .limit(limit)
        )
        return [
            RunHits(run_id, partner, kind, str(when), int(count))
            for run_id, partner, kind, when, count in self._connection.execute(query)
        ]

    def hit_notices(self, *, limit: int | None = None) -> list[HitNotice]:
        """Hit notices, newest first."""
        query = select(hit_notices).order_by(hit_notices.c.at.desc(), hit_notices.c.record_id)
        if limit is not None:
            query = query.limit(limit)
        return [HitNotice(**row._mapping) for row in self._connection.execute(query)]


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


def _fields(run: MatchRun) -> dict[str, Any]:
    return {name: getattr(run, name) for name in MatchRun.__slots__}


def _request(row: Row[Any]) -> DisclosureRequest:
    return DisclosureRequest(**row._mapping)
