"""Refused anonymous requests as stored: counts per minute, source, reason and target.

What a count means (the caps, when a minute becomes an audit entry) is decided by
`enlace.users.refused_requests`; this only keeps the counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from enlace.store.tables import refused_requests


@dataclass(frozen=True, slots=True)
class RefusedCount:
    """How many requests of one source were refused in one minute for one reason and target."""

    minute: str
    source: str
    reason: str
    target: str
    count: int


class RefusedRequestRepository:
    """The refused_requests table, inside the caller's transaction (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def holds_source(self, minute: str, source: str) -> bool:
        """Whether `source` has a count in `minute`."""
        table = refused_requests
        query = select(exists().where(table.c.minute == minute, table.c.source == source))
        return bool(self._connection.execute(query).scalar())

    def source_count(self, minute: str) -> int:
        """How many distinct sources have a count in `minute`."""
        table = refused_requests
        query = select(func.count(table.c.source.distinct())).where(table.c.minute == minute)
        return int(self._connection.execute(query).scalar_one())

    def holds_target(self, minute: str, source: str, target: str) -> bool:
        """Whether (`minute`, `source`) has a count for `target` (for any reason)."""
        table = refused_requests
        query = select(
            exists().where(
                table.c.minute == minute, table.c.source == source, table.c.target == target
            )
        )
        return bool(self._connection.execute(query).scalar())

    def target_count(self, minute: str, source: str) -> int:
        """How many distinct targets (the "" of those past the sample included) (`minute`,
        `source`) has."""
        table = refused_requests
        query = select(func.count(table.c.target.distinct())).where(
            table.c.minute == minute, table.c.source == source
        )
        return int(self._connection.execute(query).scalar_one())

    def add_one(self, *, minute: str, source: str, reason: str, target: str) -> None:
        """Count one more refused request under these four."""
        if self._increment(minute, source, reason, target):
            return
        try:
            # A savepoint: the rest of the caller's transaction survives a duplicate key.
            with self._connection.begin_nested():
                self._connection.execute(
                    insert(refused_requests).values(
                        minute=minute, source=source, reason=reason, target=target, count=1
                    )
                )
        except IntegrityError:
            # Another refusal of the same key stored its first count meanwhile: add to it.
            self._increment(minute, source, reason, target)

    def take_before(self, minute: str | None) -> list[RefusedCount]:
        """Delete and return the counts of the minutes before `minute` (None: all of them),
        by minute, source, reason, target.

        One DELETE ... RETURNING: two processes taking at once never both get a row, so a
        minute is written to the audit log once.
        """
        table = refused_requests
        statement = delete(table)
        if minute is not None:
            statement = statement.where(table.c.minute < minute)
        rows = self._connection.execute(
            statement.returning(
                table.c.minute, table.c.source, table.c.reason, table.c.target, table.c.count
            )
        ).all()
        # By position: a Row's `count` is its tuple method, not the column.
        counts = [
            RefusedCount(str(minute), str(source), str(reason), str(target), int(count))
            for minute, source, reason, target, count in rows
        ]
        return sorted(counts, key=lambda c: (c.minute, c.source, c.reason, c.target))

    def _increment(self, minute: str, source: str, reason: str, target: str) -> bool:
        table = refused_requests
        changed = self._connection.execute(
            update(table)
            .where(
                table.c.minute == minute,
                table.c.source == source,
                table.c.reason == reason,
                table.c.target == target,
            )
            .values(count=table.c.count + 1)
        ).rowcount
        return bool(changed)
