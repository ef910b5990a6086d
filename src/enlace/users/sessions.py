"""Web sessions (sesiones), kept on the server.

The browser holds only a random session id in a cookie; the store keeps its SHA-256, so a
copy of the database does not give anyone a way in. A session ends when it has been idle
too long, when it is too old whatever its use, at logout, when its user is disabled and
when the password changes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from enlace.model import timestamps
from enlace.store.repositories.users import User
from enlace.store.repositories.web_sessions import WebSession
from enlace.store.unit_of_work import UnitOfWorkFactory

# Writing last_seen_at on every request would make each page view a write; within this
# margin the idle clock is not moved (it can run this much short of the full idle time).
_TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long a session lives: `idle` without a request, `absolute` in all."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """A live session and whose it is."""

    user: User
    csrf_token: str
    created_at: str


def session_hash(session_id: str) -> str:
    """SHA-256 (hex) of a session id: what the store keeps."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(store: UnitOfWorkFactory, user: User) -> tuple[str, str]:
    """Open a session for `user`; return (session id for the cookie, its CSRF token)."""
    session_id = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    now = timestamps.format_timestamp(timestamps.utc_now())
    with store.unit_of_work() as uow:
        uow.web_sessions.add(
            WebSession(
                id_hash=session_hash(session_id),
                username=user.username,
                csrf_token=csrf_token,
                created_at=now,
                last_seen_at=now,
            )
        )
        uow.commit()
    return session_id, csrf_token


def active_session(
    store: UnitOfWorkFactory, session_id: str, policy: SessionPolicy
) -> ActiveSession | None:
    """The live session with this id, or None (unknown, expired — then deleted — or its
    user is gone or disabled). Moves the idle clock."""
    if not session_id or len(session_id) > 128:
        return None
    key = session_hash(session_id)
    now = timestamps.utc_now()
    with store.unit_of_work() as uow:
        row = uow.web_sessions.get(key)
        if row is None:
            return None
        user = uow.users.get(row.username)
        if user is None or user.disabled or _expired(row.created_at, row.last_seen_at, now, policy):
            uow.web_sessions.delete(key)
            if user is not None and not user.disabled:
                uow.audit.append(
                    actor=user.username, action="session-expired", subject=user.username
                )
            uow.commit()
            return None
        if now - _moment(row.last_seen_at) >= _TOUCH_EVERY:
            uow.web_sessions.touch(key, timestamps.format_timestamp(now))
            uow.commit()
        return ActiveSession(user=user, csrf_token=row.csrf_token, created_at=row.created_at)


def end_session(store: UnitOfWorkFactory, session_id: str) -> str | None:
    """Delete the session with this id (logout); return whose it was, or None."""
    key = session_hash(session_id)
    with store.unit_of_work() as uow:
        row = uow.web_sessions.get(key)
        if row is None:
            return None
        uow.web_sessions.delete(key)
        uow.audit.append(actor=row.username, action="logout", subject=row.username)
        uow.commit()
    return row.username


def purge_expired_sessions(store: UnitOfWorkFactory, policy: SessionPolicy) -> int:
    """Delete every expired session; return how many."""
    now = timestamps.utc_now()
    idle_cut = timestamps.format_timestamp(now - policy.idle)
    absolute_cut = timestamps.format_timestamp(now - policy.absolute)
    with store.unit_of_work() as uow:
        purged = uow.web_sessions.delete_expired(idle_cut=idle_cut, absolute_cut=absolute_cut)
        uow.commit()
    return purged


def _moment(text: str) -> datetime:
    return timestamps.parse_timestamp(text, field="session time")


def _expired(created_at: str, last_seen_at: str, now: datetime, policy: SessionPolicy) -> bool:
    return (
        now - _moment(last_seen_at) >= policy.idle or now - _moment(created_at) >= policy.absolute
    )
