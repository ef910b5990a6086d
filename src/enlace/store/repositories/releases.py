"""Releases: which record versions went to which partner, when, in what sequence, signed.

Each partner has one release sequence (exchange protocol 2): record versions released to it
(``releases``) and signed statements sent to it (``outbound_statements``: tombstones,
consents) share the numbers 1, 2, 3, ... A release takes its numbers with `allocate`, which
updates the partner's counter row first: that row stays locked until commit, so numbers are
handed out in commit order and a reader never sees a number that a transaction still in
flight will fill.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    func,
    insert,
    select,
    update,
)

from enlace.store.repositories.writer_lock import take_writer_lock
from enlace.store.tables import outbound_statements, records, release_counters, releases

VersionMatch = Literal["all", "first", "last"]


class ReleaseRow(NamedTuple):
    """A row of the releases table, to insert."""

    record_id: str
    modified: str
    partner: str
    released_at: str
    signature: str
    sequence: int


@dataclass(frozen=True, slots=True)
class ReleasedVersion:
    """One record version released to a partner, with the stored STIX text."""

    record_id: str
    modified: str
    released_at: str
    signature: str
    stix_type: str
    stix: str
    sequence: int
    owner: str


@dataclass(frozen=True, slots=True)
class OutboundStatement:
    """A signed statement in a partner's release sequence: a tombstone or a consent."""

    partner: str
    sequence: int
    kind: str
    record_id: str
    statement: str
    digest: str
    signature: str
    released_at: str


class ReleaseRepository:
    """The releases table, inside the caller's transaction (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def exists(self, record_id: str, modified: str, partner: str) -> bool:
        """Whether that version was already released to that partner."""
        query = select(
            exists().where(
                releases.c.record_id == record_id,
                releases.c.modified == modified,
                releases.c.partner == partner,
            )
        )
        return bool(self._connection.execute(query).scalar())

    def allocate(self, partner: str, count: int, at: str) -> tuple[int, str]:
        """Take `count` numbers of `partner`'s release sequence: (the first, the date_added).

        The counter row is updated before it is read, so the transaction holds its lock (or
        SQLite's write lock) until it commits: numbers follow commit order. date_added never
        goes back in a partner's sequence (`at`, or the last one given if that is later).
        """
        if count < 1:
            raise ValueError("count must be positive")
        connection = self._connection
        # The node's writer lock first, always: every release writes its audit entries
        # (which take that lock) after its numbers, and a release that withheld records has
        # audited them (taking it) before. Were the counter row locked first here, two
        # releases running at once (the batch jobs of two workers) could each hold the lock
        # the other waits for. The audit entries take the writer lock anyway, so holding it
        # from here to the commit serialises nothing more.
        take_writer_lock(connection)
        changed = connection.execute(
            update(release_counters)
            .where(release_counters.c.partner == partner)
            .values(last_sequence=release_counters.c.last_sequence + count)
        ).rowcount
        if not changed:
            connection.execute(
                insert(release_counters).values(
                    partner=partner, last_sequence=count, last_released_at=at
                )
            )
            return 1, at
        row = connection.execute(
            select(release_counters.c.last_sequence, release_counters.c.last_released_at).where(
                release_counters.c.partner == partner
            )
        ).one()
        released_at = max(at, str(row.last_released_at))
        if released_at != row.last_released_at:
            connection.execute(
                update(release_counters)
                .where(release_counters.c.partner == partner)
                .values(last_released_at=released_at)
            )
        return int(row.last_sequence) - count + 1, released_at

    def highest(self, partner: str) -> int:
        """The last number of `partner`'s release sequence given so far (0: none)."""
        found = self._connection.execute(
            select(release_counters.c.last_sequence).where(release_counters.c.partner == partner)
        ).scalar()
        return int(found or 0)

    def insert(
        self, *, record_id: str, modified: str, partner: str, released_at: str, signature: str
    ) -> int:
        """Store a release the caller knows is not stored yet (the primary key still holds),
        with the next number of the partner's sequence; return that number."""
        sequence, released_at = self.allocate(partner, 1, released_at)
        self._connection.execute(
            insert(releases).values(
                record_id=record_id,
                modified=modified,
                partner=partner,
                released_at=released_at,
                signature=signature,
                sequence=sequence,
            )
        )
        return sequence

    def insert_many(self, rows: Sequence[ReleaseRow]) -> list[int]:
        """Store releases the caller knows are not stored yet, in one statement; their
        `sequence` and `released_at` are taken from the partners' counters, in row order.
        Return each row's sequence number, in the order of `rows`."""
        if not rows:
            return []
        by_partner: dict[str, list[ReleaseRow]] = {}
        for row in rows:
            by_partner.setdefault(row.partner, []).append(row)
        numbered: list[dict[str, Any]] = []
        first_of: dict[str, int] = {}
        for partner, group in by_partner.items():
            first, released_at = self.allocate(partner, len(group), group[0].released_at)
            first_of[partner] = first
            numbered.extend(
                row._replace(sequence=first + offset, released_at=released_at)._asdict()
                for offset, row in enumerate(group)
            )
        self._connection.execute(insert(releases), numbered)
        taken = dict.fromkeys(first_of, 0)
        numbers = []
        for row in rows:
            numbers.append(first_of[row.partner] + taken[row.partner])
            taken[row.partner] += 1
        return numbers

    def add_statement(
        self,
        *,
        partner: str,
        kind: str,
        record_id: str,
        statement: str,
        digest: str,
        signature: str,
        at: str,
    ) -> int:
        """Put a signed statement in `partner`'s release sequence; return its number."""
        sequence, released_at = self.allocate(partner, 1, at)
        self._connection.execute(
            insert(outbound_statements).values(
                partner=partner,
                sequence=sequence,
                kind=kind,
                record_id=record_id,
                statement=statement,
                digest=digest,
                signature=signature,
                released_at=released_at,
            )
        )
        return sequence

    def statement_sent(self, partner: str, kind: str, record_id: str) -> bool:
        """Whether a statement of `kind` about `record_id` is in `partner`'s sequence."""
        query = select(
            exists().where(
                outbound_statements.c.record_id == record_id,
                outbound_statements.c.kind == kind,
                outbound_statements.c.partner == partner,
            )
        )
        return bool(self._connection.execute(query).scalar())

    def statements_page(self, partner: str, *, after: int, limit: int) -> list[OutboundStatement]:
        """`partner`'s statements numbered after `after`, in sequence order."""
        query = (
            select(outbound_statements)
            .where(outbound_statements.c.partner == partner, outbound_statements.c.sequence > after)
            .order_by(outbound_statements.c.sequence)
            .limit(limit)
        )
        return [
            OutboundStatement(
                row.partner,
                int(row.sequence),
                row.kind,
                row.record_id,
                row.statement,
                row.digest,
                row.signature,
                row.released_at,
            )
            for row in self._connection.execute(query)
        ]

    def released_among(self, partner: str, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of the (record_id, modified) versions are already released to `partner`."""
        wanted = set(keys)
        found: set[tuple[str, str]] = set()
        ids = sorted({record_id for record_id, _ in wanted})
        for start in range(0, len(ids), 500):  # under SQLite's bound-parameter limit
            # By record id only, the partner checked here: with a condition on the partner
            # too, SQLite (without statistics) walks that partner's whole order index
            # instead of looking each id up by the primary key — a release of a million
            # records then reads a million rows per batch.
            query = select(releases.c.record_id, releases.c.modified, releases.c.partner).where(
                releases.c.record_id.in_(ids[start : start + 500])
            )
            found.update(
                (row.record_id, row.modified)
                for row in self._connection.execute(query)
                if row.partner == partner
            )
        return found & wanted

    def partners_holding(self, record_id: str) -> list[str]:
        """Every partner that was released any version of `record_id`, by party code."""
        query = (
            select(releases.c.partner)
            .where(releases.c.record_id == record_id)
            .distinct()
            .order_by(releases.c.partner)
        )
        return [str(partner) for partner in self._connection.execute(query).scalars()]

    def released_ids(self, partner: str, ids: Sequence[str]) -> set[str]:
        """Which of `ids` had any version released to `partner` (what the partner may hold)."""
        wanted = sorted(set(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):  # under SQLite's bound-parameter limit
            # By record id only, the partner checked here, as in released_among: the primary
            # key finds each id, not the partner's whole order index.
            query = select(releases.c.record_id, releases.c.partner).where(
                releases.c.record_id.in_(wanted[start : start + 500])
            )
            found.update(
                row.record_id for row in self._connection.execute(query) if row.partner == partner
            )
        return found

    def released_counts(self) -> dict[str, int]:
        """Partner -> how many versions were released to it, from the counters: a partner's
        last sequence number less its statements (tombstones and consents), which take
        numbers of the same sequence. Counting the releases themselves read every release
        (millions) on each view of the dashboard and the exchange page."""
        last: dict[str, int] = dict(
            self._connection.execute(
                select(release_counters.c.partner, release_counters.c.last_sequence)
            ).all()
        )
        said: dict[str, int] = dict(
            self._connection.execute(
                select(outbound_statements.c.partner, func.count()).group_by(
                    outbound_statements.c.partner
                )
            ).all()
        )
        return {str(p): int(n) - int(said.get(p, 0)) for p, n in last.items()}

    def count(self, partner: str) -> int:
        """How many versions were released to `partner`."""
        query = select(func.count()).select_from(releases).where(releases.c.partner == partner)
        return int(self._connection.execute(query).scalar_one())

    def page(
        self,
        partner: str,
        *,
        after: int | None = None,
        added_after: str | None = None,
        ids: Sequence[str] = (),
        types: Sequence[str] = (),
        version: VersionMatch | Sequence[str] = "last",
        limit: int | None = None,
    ) -> list[ReleasedVersion]:
        """Versions released to `partner`, in sequence order.

        `after` is the sequence number of the last item a previous page ended with; `version`
        is "last"/"first" (the newest/oldest version of each record released to the
        partner), "all", or a list of `modified` timestamps.
        """
        conditions: list[ColumnElement[bool]] = [releases.c.partner == partner]
        # The versions after a cursor, not filtered by id, type or date (a sync's page, a
        # TAXII client's default): read in windows of sequence numbers (below).
        windowed = (
            limit is not None and isinstance(version, str) and not (ids or types or added_after)
        )
        if after is not None and not windowed:
            conditions.append(releases.c.sequence > after)
        if added_after is not None:
            conditions.append(releases.c.released_at > added_after)
        if ids:
            conditions.append(releases.c.record_id.in_(list(ids)))
        if types:
            conditions.append(records.c.stix_type.in_(list(types)))
        # An outer join, though every release has its stored version (the rows without one
        # are dropped below): joined on the two columns, PostgreSQL expected almost no row to
        # match (it multiplies the columns' selectivities) and, for a page of 1,000, joined
        # and sorted every release after the cursor (5.5 s at 3,000,000 versions,
        # bench/explain_bench.py) instead of reading the page from the (partner, sequence)
        # index and looking each version up.
        query = select(
            releases.c.record_id,
            releases.c.modified,
            releases.c.released_at,
            releases.c.signature,
            records.c.stix_type,
            records.c.stix,
            releases.c.sequence,
            records.c.owner,
        ).outerjoin(
            records,
            and_(records.c.id == releases.c.record_id, records.c.modified == releases.c.modified),
        )
        if isinstance(version, str) and version in ("first", "last"):
            # The newest (oldest) version of each record released to the partner: no later
            # (earlier) one of the same record released to it. One primary-key probe per row
            # read, where grouping every release of the partner cost a whole pass per page.
            other = releases.alias("other")
            later = (
                other.c.modified > releases.c.modified
                if version == "last"
                else other.c.modified < releases.c.modified
            )
            conditions.append(
                ~exists().where(
                    other.c.record_id == releases.c.record_id,
                    other.c.partner == releases.c.partner,
                    later,
                )
            )
        elif not isinstance(version, str):
            conditions.append(releases.c.modified.in_(list(version)))
        query = query.where(*conditions).order_by(releases.c.sequence)
        if windowed and limit is not None:
            return self._page_in_windows(query, partner, after or 0, limit)
        if limit is not None:
            query = query.limit(limit)
        return [_released(row) for row in self._connection.execute(query) if row.stix is not None]

    def _page_in_windows(
        self, query: Select[Any], partner: str, after: int, limit: int
    ) -> list[ReleasedVersion]:
        """The next `limit` versions after `after`, read in windows of `limit` numbers.

        A sync's page (every version, no filter) asked as `sequence > after ORDER BY sequence
        LIMIT n` is one range scan of the (partner, sequence) index only if the planner
        knows the table: right after a bulk release, before ANALYZE, PostgreSQL estimated a
        few hundred rows where half a million followed the cursor, scanned and sorted them all
        for each page, and a sync of 1,000,000 versions became quadratic (hours). Numbers are
        given without gaps (versions and statements share them), so a window of `limit`
        numbers holds at most `limit` versions whatever the plan; the next window is read
        only when statements, or versions the query leaves out (an older version, for the
        newest only), took numbers of this one, up to the last number given.
        """
        highest = self.highest(partner)
        found: list[ReleasedVersion] = []
        start = max(after, 0)  # the windows run from here up to the last number: bounded
        while len(found) < limit and start < highest:
            end = start + limit
            window = query.where(releases.c.sequence > start, releases.c.sequence <= end)
            rows = self._connection.execute(window)  # at most `limit` rows: no LIMIT needed
            found.extend(_released(row) for row in rows if row.stix is not None)
            start = end
        return found[:limit]  # the rest is read again after the cursor this page ends at


def _released(row: Any) -> ReleasedVersion:
    return ReleasedVersion(
        record_id=row.record_id,
        modified=row.modified,
        released_at=row.released_at,
        signature=row.signature,
        stix_type=row.stix_type,
        stix=row.stix,
        sequence=int(row.sequence),
        owner=row.owner,
    )
