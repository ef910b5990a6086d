"""What matching found: matches on the requester, hit notices on the owner (coincidencias, avisos)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.sql.elements import ColumnElement

from enlace.store.dialect import insert_rows_ignoring_duplicates
from enlace.store.tables import (
    hit_notices,
    matches,
)


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
        # The newest groups (run, partner, kind) by their newest row, found by walking the
        # index on `at` down from the top one distinct time at a time: grouping the whole
        # table (what GROUP BY ... ORDER BY max(at) LIMIT does) read every match, millions,
        # on each view of the dashboard. A group is complete once its newest time is read;
        # a group not met yet is older than every one met (its newest row is further down).
        newest: dict[tuple[str, str, str], str] = {}
        below: str | None = None
        while len(newest) < limit:
            top = select(func.max(at))
            if below is not None:
                top = top.where(at < below)
            below = self._connection.execute(top).scalar()
            if below is None:
                break
            groups = select(table.c.run_id, table.c.partner, table.c.kind).where(at == below)
            for run_id, partner, kind in self._connection.execute(groups.distinct()):
                newest.setdefault((run_id, partner, kind), below)
        # Newest first, then by run and kind (as the list always read); counted by the
        # index that starts with the run, one group at a time.
        chosen = sorted(newest.items(), key=lambda item: (item[0][0], item[0][2]))
        chosen = sorted(chosen, key=lambda item: item[1], reverse=True)[:limit]
        found = []
        for (run_id, partner, kind), when in chosen:
            count = self._connection.execute(
                select(func.count())
                .select_from(table)
                .where(table.c.run_id == run_id, table.c.partner == partner, table.c.kind == kind)
            ).scalar_one()
            found.append(RunHits(run_id, partner, kind, when, int(count)))
        return found

    def hit_notices(self, *, limit: int | None = None) -> list[HitNotice]:
        """Hit notices, newest first."""
        query = select(hit_notices).order_by(hit_notices.c.at.desc(), hit_notices.c.record_id)
        if limit is not None:
            query = query.limit(limit)
        return [HitNotice(**row._mapping) for row in self._connection.execute(query)]
