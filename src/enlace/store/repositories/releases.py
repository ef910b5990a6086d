"""Releases: which record versions went to which partner, when, and their signatures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    func,
    insert,
    literal,
    select,
    tuple_,
)

from enlace.store.tables import records, releases

VersionMatch = Literal["all", "first", "last"]


class ReleaseRow(NamedTuple):
    """A row of the releases table, to insert."""

    record_id: str
    modified: str
    partner: str
    released_at: str
    signature: str


@dataclass(frozen=True, slots=True)
class ReleasedVersion:
    """One record version released to a partner, with the stored STIX text."""

    record_id: str
    modified: str
    released_at: str
    signature: str
    stix_type: str
    stix: str

    @property
    def cursor(self) -> tuple[str, str, str]:
        """Where this version sits in the partner's order: (released_at, record_id, modified)."""
        return (self.released_at, self.record_id, self.modified)


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

    def add(
        self, *, record_id: str, modified: str, partner: str, released_at: str, signature: str
    ) -> bool:
        """Store a release; False (and nothing written) when it is already stored."""
        if self.exists(record_id, modified, partner):
            return False
        self.insert(
            record_id=record_id,
            modified=modified,
            partner=partner,
            released_at=released_at,
            signature=signature,
        )
        return True

    def insert(
        self, *, record_id: str, modified: str, partner: str, released_at: str, signature: str
    ) -> None:
        """Store a release the caller knows is not stored yet (the primary key still holds)."""
        self._connection.execute(
            insert(releases).values(
                record_id=record_id,
                modified=modified,
                partner=partner,
                released_at=released_at,
                signature=signature,
            )
        )

    def insert_many(self, rows: Sequence[ReleaseRow]) -> None:
        """Store releases the caller knows are not stored yet, in one statement."""
        if rows:
            self._connection.execute(insert(releases), [row._asdict() for row in rows])

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

    def count(self, partner: str) -> int:
        """How many versions were released to `partner`."""
        query = select(func.count()).select_from(releases).where(releases.c.partner == partner)
        return int(self._connection.execute(query).scalar_one())

    def page(
        self,
        partner: str,
        *,
        after: tuple[str, str, str] | None = None,
        added_after: str | None = None,
        ids: Sequence[str] = (),
        types: Sequence[str] = (),
        version: VersionMatch | Sequence[str] = "last",
        limit: int | None = None,
    ) -> list[ReleasedVersion]:
        """Versions released to `partner`, by (released_at, record_id, modified).

        `after` is the position of the last version a previous page ended with; `version`
        is "last"/"first" (the newest/oldest version of each record released to the
        partner), "all", or a list of `modified` timestamps.
        """
        conditions: list[ColumnElement[bool]] = [releases.c.partner == partner]
        if after is not None:
            # A row-value comparison (SQLite >= 3.15, PostgreSQL): with the index on
            # (partner, released_at, record_id, modified) the page starts at the cursor and
            # reads its rows in order, with no sort of everything after it.
            conditions.append(
                tuple_(releases.c.released_at, releases.c.record_id, releases.c.modified)
                > tuple_(*(literal(value) for value in after))
            )
        if added_after is not None:
            conditions.append(releases.c.released_at > added_after)
        if ids:
            conditions.append(releases.c.record_id.in_(list(ids)))
        if types:
            conditions.append(records.c.stix_type.in_(list(types)))
        query = select(
            releases.c.record_id,
            releases.c.modified,
            releases.c.released_at,
            releases.c.signature,
            records.c.stix_type,
            records.c.stix,
        ).join(
            records,
            and_(records.c.id == releases.c.record_id, records.c.modified == releases.c.modified),
        )
        if isinstance(version, str) and version in ("first", "last"):
            pick = func.max if version == "last" else func.min
            chosen = (
                select(
                    releases.c.record_id.label("cid"),
                    pick(releases.c.modified).label("cmod"),
                )
                .where(releases.c.partner == partner)
                .group_by(releases.c.record_id)
                .subquery()
            )
            query = query.join(
                chosen,
                and_(chosen.c.cid == releases.c.record_id, chosen.c.cmod == releases.c.modified),
            )
        elif not isinstance(version, str):
            conditions.append(releases.c.modified.in_(list(version)))
        query = query.where(*conditions).order_by(
            releases.c.released_at, releases.c.record_id, releases.c.modified
        )
        if limit is not None:
            query = query.limit(limit)
        return [_released(row) for row in self._connection.execute(query)]


def _released(row: Any) -> ReleasedVersion:
    return ReleasedVersion(
        record_id=row.record_id,
        modified=row.modified,
        released_at=row.released_at,
        signature=row.signature,
        stix_type=row.stix_type,
        stix=row.stix,
    )
