"""Failed logins as stored: the login_failures table, one count per key.

A key is "user:<name>" or "client:<address>". What a count means (when it blocks, for how
long, when it is forgotten) is decided by `enlace.users.authentication`; this only keeps it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from enlace.store.tables import login_failures


@dataclass(frozen=True, slots=True)
class LoginFailure:
    """The failed logins counted for one key, and until when it is blocked (if it is)."""

    key: str
    failures: int
    last_failure_at: str
    blocked_until: str | None


class LoginFailureRepository:
    """The login_failures table, inside the caller's transaction (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, key: str) -> LoginFailure | None:
        """The count of `key`, or None when it has none."""
        row = self._connection.execute(
            select(login_failures).where(login_failures.c.key == key)
        ).one_or_none()
        if row is None:
            return None
        return LoginFailure(
            key=row.key,
            failures=row.failures,
            last_failure_at=row.last_failure_at,
            blocked_until=row.blocked_until,
        )

    def blocks(self, keys: Sequence[str]) -> list[str]:
        """The `blocked_until` of those of `keys` that have one (in no particular order)."""
        return [
            str(until)
            for until in self._connection.execute(
                select(login_failures.c.blocked_until).where(
                    login_failures.c.key.in_(keys), login_failures.c.blocked_until.is_not(None)
                )
            ).scalars()
        ]

    def add(self, failure: LoginFailure) -> bool:
        """Store the first count of a key; False, writing nothing, when the key has one
        already (another failed login for it may have been stored first)."""
        try:
            # A savepoint: the rest of the caller's transaction survives a duplicate key.
            with self._connection.begin_nested():
                self._connection.execute(
                    insert(login_failures).values(
                        key=failure.key,
                        failures=failure.failures,
                        last_failure_at=failure.last_failure_at,
                        blocked_until=failure.blocked_until,
                    )
                )
        except IntegrityError:
            return False
        return True

    def replace(self, failure: LoginFailure) -> None:
        """Replace the count of `failure.key` with `failure`."""
        self._connection.execute(
            update(login_failures)
            .where(login_failures.c.key == failure.key)
            .values(
                failures=failure.failures,
                last_failure_at=failure.last_failure_at,
                blocked_until=failure.blocked_until,
            )
        )

    def add_one(self, key: str, *, last_failure_at: str, blocked_until: str | None) -> None:
        """Add one failure to the stored count of `key`, whatever it is now."""
        self._connection.execute(
            update(login_failures)
            .where(login_failures.c.key == key)
            .values(
                failures=login_failures.c.failures + 1,
                last_failure_at=last_failure_at,
                blocked_until=blocked_until,
            )
        )

    def clear(self, keys: Sequence[str]) -> None:
        """Forget the counts of `keys` (after a successful login)."""
        self._connection.execute(delete(login_failures).where(login_failures.c.key.in_(keys)))

    def forget(self, *, last_failure_before: str, not_blocked_at: str) -> None:
        """Delete the counts whose last failure came before `last_failure_before` and that do
        not block at `not_blocked_at` (no block, or one that ended before then)."""
        self._connection.execute(
            delete(login_failures).where(
                login_failures.c.last_failure_at < last_failure_before,
                login_failures.c.blocked_until.is_(None)
                | (login_failures.c.blocked_until < not_blocked_at),
            )
        )
