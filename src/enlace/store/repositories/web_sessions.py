"""Web sessions as stored: the web_sessions table (the SHA-256 of each id, never the id)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from enlace.store.tables import web_sessions


@dataclass(frozen=True, slots=True)
class WebSession:
    """One session of the web interface, as the store keeps it."""

    id_hash: str  # SHA-256 (hex) of the id the browser holds
    username: str
    csrf_token: str
    created_at: str
    last_seen_at: str


class WebSessionRepository:
    """The web_sessions table, inside the caller's transaction (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, session: WebSession) -> None:
        """Store a new session."""
        self._connection.execute(
            insert(web_sessions).values(
                id_hash=session.id_hash,
                username=session.username,
                csrf_token=session.csrf_token,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
            )
        )

    def get(self, id_hash: str) -> WebSession | None:
        """The session whose id has this SHA-256, or None."""
        row = self._connection.execute(
            select(web_sessions).where(web_sessions.c.id_hash == id_hash)
        ).one_or_none()
        return None if row is None else _session(row)

    def touch(self, id_hash: str, last_seen_at: str) -> None:
        """Record that the session was used at `last_seen_at` (moves its idle clock)."""
        self._connection.execute(
            update(web_sessions)
            .where(web_sessions.c.id_hash == id_hash)
            .values(last_seen_at=last_seen_at)
        )

    def delete(self, id_hash: str) -> None:
        """End one session (nothing happens when there is none)."""
        self._connection.execute(delete(web_sessions).where(web_sessions.c.id_hash == id_hash))

    def delete_for_user(self, username: str) -> int:
        """End every session of `username`; return how many there were."""
        result = self._connection.execute(
            delete(web_sessions).where(web_sessions.c.username == username)
        )
        return int(result.rowcount or 0)

    def delete_expired(self, *, idle_cut: str, absolute_cut: str) -> int:
        """End every session last seen at or before `idle_cut`, or started at or before
        `absolute_cut`; return how many."""
        result = self._connection.execute(
            delete(web_sessions).where(
                (web_sessions.c.last_seen_at <= idle_cut)
                | (web_sessions.c.created_at <= absolute_cut)
            )
        )
        return int(result.rowcount or 0)


def _session(row: Row[Any]) -> WebSession:
    return WebSession(
        id_hash=row.id_hash,
        username=row.username,
        csrf_token=row.csrf_token,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
    )
