"""A store in memory for the service tests of the users use cases, and quick password hashes.

`FakeStore` stands where a `Store` does (it satisfies `UnitOfWorkFactory`): its
`unit_of_work()` gives a `FakeUnitOfWork`, a `UnitOfWork` whose repositories (`uow.users`,
`uow.web_sessions`, `uow.api_tokens`, `uow.login_failures`, `uow.refused_requests`,
`uow.audit`) keep their rows in
dictionaries. Each unit of work works on its own copy of what is committed: `commit()` makes
that copy what the store holds (and is counted in `FakeStore.commits`), `rollback()` and
leaving the block without a commit discard it. It has no `connection`: a use case that still
runs SQL of its own fails at once. Only the repository methods the users use cases call are
there; tests/users/test_users_fakes_agree.py runs the same calls through a real store and
these, so they cannot drift apart unseen. Each fake repository subclasses the real one
without its connection: mypy checks that every method it has takes and returns what the real
one does, and a method it lacks fails at once (there is no `_connection` to run it on).

`QuickPasswords` hashes with a SHA-256 dressed in today's argon2id cost, so that the use
cases, and `needs_rehash`, treat it as current; the ``quick_passwords`` fixture
(tests/users/conftest.py) puts it in place of argon2id.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from sqlalchemy.exc import IntegrityError

from enlace.model import timestamps
from enlace.model.roles import Role
from enlace.store.repositories.api_tokens import ApiToken, ApiTokenRepository
from enlace.store.repositories.audit import AuditEntry, AuditItem, AuditLog, chain_entries
from enlace.store.repositories.login_failures import LoginFailure, LoginFailureRepository
from enlace.store.repositories.refused_requests import RefusedCount, RefusedRequestRepository
from enlace.store.repositories.users import User, UserRepository
from enlace.store.repositories.web_sessions import WebSession, WebSessionRepository
from enlace.store.unit_of_work import UnitOfWork
from enlace.users import passwords

# --- the rows --------------------------------------------------------------------------


@dataclass(slots=True)
class FakeTables:
    """Everything a fake store holds. Rows are frozen dataclasses: copying the containers
    copies the tables."""

    users: dict[str, User] = field(default_factory=dict)
    password_hashes: dict[str, str] = field(default_factory=dict)
    web_sessions: dict[str, WebSession] = field(default_factory=dict)
    api_tokens: dict[str, ApiToken] = field(default_factory=dict)
    api_token_hashes: dict[str, str] = field(default_factory=dict)  # token id -> hash
    login_failures: dict[str, LoginFailure] = field(default_factory=dict)
    # (minute, source, reason, target) -> count
    refused_requests: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)

    def copy(self) -> FakeTables:
        """An independent copy."""
        return FakeTables(
            **{name: type(value)(value) for name, value in self._containers().items()}
        )

    def restore(self, other: FakeTables) -> None:
        """Hold what `other` holds, in place (repositories keep pointing here)."""
        theirs = other._containers()
        for name, mine in self._containers().items():
            mine.clear()
            if isinstance(mine, list):
                mine.extend(theirs[name])
            else:
                mine.update(theirs[name])

    def _containers(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}


def _duplicate(table: str, key: str) -> IntegrityError:
    # What the database raises for a primary or unique key already held.
    return IntegrityError(f"INSERT INTO {table}", {"key": key}, Exception("duplicate key"))


# --- the repositories ------------------------------------------------------------------


class FakeUserRepository(UserRepository):
    """`UserRepository` in memory."""

    def __init__(self, tables: FakeTables) -> None:
        self._tables = tables

    def get(self, username: str) -> User | None:
        return self._tables.users.get(username)

    def password_hash(self, username: str) -> str | None:
        return self._tables.password_hashes.get(username)

    def all(self) -> list[User]:
        return [self._tables.users[name] for name in sorted(self._tables.users)]

    def add(self, user: User, password_hash: str) -> None:
        if user.username in self._tables.users:
            raise _duplicate("users", user.username)
        self._tables.users[user.username] = user
        self._tables.password_hashes[user.username] = password_hash
        self.set_roles(user.username, user.roles)

    def set_roles(self, username: str, roles: Iterable[Role]) -> None:
        user = self._tables.users.get(username)
        if user is not None:
            self._tables.users[username] = dataclasses.replace(user, roles=frozenset(roles))

    def update(self, username: str, **values: object) -> None:
        user = self._tables.users.get(username)
        if user is None:
            return
        # Any: like the real repository's, the columns and their values are the caller's word.
        changes: dict[str, Any] = dict(values)
        if "password_hash" in changes:
            self._tables.password_hashes[username] = str(changes.pop("password_hash"))
        self._tables.users[username] = dataclasses.replace(user, **changes)


class FakeWebSessionRepository(WebSessionRepository):
    """`WebSessionRepository` in memory."""

    def __init__(self, tables: FakeTables) -> None:
        self._sessions = tables.web_sessions

    def add(self, session: WebSession) -> None:
        if session.id_hash in self._sessions:
            raise _duplicate("web_sessions", session.id_hash)
        self._sessions[session.id_hash] = session

    def get(self, id_hash: str) -> WebSession | None:
        return self._sessions.get(id_hash)

    def touch(self, id_hash: str, last_seen_at: str) -> None:
        if id_hash in self._sessions:
            session = self._sessions[id_hash]
            self._sessions[id_hash] = dataclasses.replace(session, last_seen_at=last_seen_at)

    def delete(self, id_hash: str) -> None:
        self._sessions.pop(id_hash, None)

    def delete_for_user(self, username: str) -> int:
        return self._delete_where(lambda session: session.username == username)

    def delete_expired(self, *, idle_cut: str, absolute_cut: str) -> int:
        return self._delete_where(
            lambda session: session.last_seen_at <= idle_cut or session.created_at <= absolute_cut
        )

    def _delete_where(self, matches: Callable[[WebSession], bool]) -> int:
        gone = [key for key, session in self._sessions.items() if matches(session)]
        for key in gone:
            del self._sessions[key]
        return len(gone)


class FakeApiTokenRepository(ApiTokenRepository):
    """`ApiTokenRepository` in memory."""

    def __init__(self, tables: FakeTables) -> None:
        self._tokens = tables.api_tokens
        self._hashes = tables.api_token_hashes

    def add(self, token: ApiToken, token_hash: str) -> None:
        if token.id in self._tokens or token_hash in self._hashes.values():
            raise _duplicate("api_tokens", token.id)
        self._tokens[token.id] = token
        self._hashes[token.id] = token_hash

    def get(self, token_id: str) -> ApiToken | None:
        return self._tokens.get(token_id)

    def by_hash(self, token_hash: str) -> ApiToken | None:
        found = [token_id for token_id, held in self._hashes.items() if held == token_hash]
        return self._tokens[found[0]] if found else None

    def all(self, username: str | None = None) -> list[ApiToken]:
        chosen = [t for t in self._tokens.values() if username is None or t.username == username]
        return sorted(chosen, key=lambda token: (token.created_at, token.id))

    def mark_used(self, token_id: str, at: str) -> None:
        self._change(token_id, last_used_at=at)

    def revoke(self, token_id: str, at: str) -> None:
        self._change(token_id, revoked_at=at)

    def _change(self, token_id: str, **values: str) -> None:
        if token_id in self._tokens:
            self._tokens[token_id] = dataclasses.replace(self._tokens[token_id], **values)


class FakeLoginFailureRepository(LoginFailureRepository):
    """`LoginFailureRepository` in memory."""

    def __init__(self, tables: FakeTables) -> None:
        self._counts = tables.login_failures

    def get(self, key: str) -> LoginFailure | None:
        return self._counts.get(key)

    def blocks(self, keys: Sequence[str]) -> list[str]:
        held = (self._counts.get(key) for key in dict.fromkeys(keys))
        return [count.blocked_until for count in held if count and count.blocked_until]

    def add(self, failure: LoginFailure) -> bool:
        if failure.key in self._counts:
            return False
        self._counts[failure.key] = failure
        return True

    def replace(self, failure: LoginFailure) -> None:
        if failure.key in self._counts:
            self._counts[failure.key] = failure

    def add_one(self, key: str, *, last_failure_at: str, blocked_until: str | None) -> None:
        held = self._counts.get(key)
        if held is not None:
            self._counts[key] = LoginFailure(key, held.failures + 1, last_failure_at, blocked_until)

    def clear(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._counts.pop(key, None)

    def forget(self, *, last_failure_before: str, not_blocked_at: str) -> None:
        for key, count in list(self._counts.items()):
            unblocked = count.blocked_until is None or count.blocked_until < not_blocked_at
            if count.last_failure_at < last_failure_before and unblocked:
                del self._counts[key]


class FakeRefusedRequestRepository(RefusedRequestRepository):
    """`RefusedRequestRepository` in memory."""

    def __init__(self, tables: FakeTables) -> None:
        self._counts = tables.refused_requests

    def holds_source(self, minute: str, source: str) -> bool:
        return any(key[:2] == (minute, source) for key in self._counts)

    def source_count(self, minute: str) -> int:
        return len({key[1] for key in self._counts if key[0] == minute})

    def holds_target(self, minute: str, source: str, target: str) -> bool:
        return any(key[:2] == (minute, source) and key[3] == target for key in self._counts)

    def target_count(self, minute: str, source: str) -> int:
        return len({key[3] for key in self._counts if key[:2] == (minute, source)})

    def add_one(self, *, minute: str, source: str, reason: str, target: str) -> None:
        key = (minute, source, reason, target)
        self._counts[key] = self._counts.get(key, 0) + 1

    def take_before(self, minute: str | None) -> list[RefusedCount]:
        taken = sorted(key for key in self._counts if minute is None or key[0] < minute)
        return [RefusedCount(*key, count=self._counts.pop(key)) for key in taken]


class FakeAuditLog(AuditLog):
    """`AuditLog` in memory: its entries are checked, chained and hashed by the same code."""

    def __init__(self, tables: FakeTables) -> None:
        self._entries = tables.audit

    def append(
        self,
        *,
        actor: str,
        action: str,
        subject: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        (entry,) = chain_entries(
            [AuditItem(actor, action, subject, detail)],
            after=self._entries[-1] if self._entries else None,
            at=timestamps.format_timestamp(timestamps.utc_now()),
        )
        self._entries.append(entry)
        return entry

    def entries(self, *, after: int = 0) -> Generator[AuditEntry, None, None]:
        # The entries as of this call.
        return (entry for entry in list(self._entries) if entry.seq > after)


# --- the unit of work and the store ----------------------------------------------------


class FakeUnitOfWork(UnitOfWork):
    """A `UnitOfWork` over a `FakeStore`: the same protocol, no database."""

    def __init__(self, store: FakeStore, *, bulk: bool = False) -> None:
        self._store = store
        self._tables: FakeTables | None = None
        self._based_on = -1

    def __enter__(self) -> Self:
        self._store.units_of_work += 1
        self._tables = self._store.state.copy()
        self._based_on = self._store.version
        self.users = FakeUserRepository(self._tables)
        self.web_sessions = FakeWebSessionRepository(self._tables)
        self.api_tokens = FakeApiTokenRepository(self._tables)
        self.login_failures = FakeLoginFailureRepository(self._tables)
        self.audit = FakeAuditLog(self._tables)
        self.refused_requests = FakeRefusedRequestRepository(self._tables)
        self.started_at = timestamps.format_timestamp(timestamps.utc_now())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._tables = None  # what was not committed is gone

    @property
    def connection(self) -> Any:
        raise AssertionError("a use case ran SQL of its own: use the unit of work's repositories")

    def commit(self) -> None:
        if self._tables is None:
            raise RuntimeError("commit() outside 'with uow:'")
        if self._store.version != self._based_on:
            raise AssertionError("two units of work of a fake store overlapped: it cannot merge")
        self._store.state = self._tables.copy()
        self._store.version += 1
        self._store.commits += 1
        self._based_on = self._store.version

    def rollback(self) -> None:
        if self._tables is not None:
            self._tables.restore(self._store.state)


class FakeStore:
    """Stands for a `Store`: `unit_of_work()`, and what is committed, in `state`.

    `commits` counts the commits of all its units of work, `units_of_work` how many were
    opened: a use case that refuses its input opens none, one that reads commits nothing.
    """

    def __init__(self) -> None:
        self.state = FakeTables()
        self.version = 0
        self.commits = 0
        self.units_of_work = 0

    def unit_of_work(self, *, bulk: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, bulk=bulk)

    def audit_trail(self) -> list[tuple[str, str, str | None, Any]]:
        """(actor, action, subject, detail) of every committed audit entry, in order."""
        return [(e.actor, e.action, e.subject, e.detail) for e in self.state.audit]


# --- quick password hashes -------------------------------------------------------------


class QuickPasswords:
    """SHA-256 in place of argon2id, written as an argon2id string of a chosen cost."""

    def hash(self, password: str, *, memory_kib: int = passwords.MEMLIMIT // 1024) -> str:
        digest = hashlib.sha256(password.encode("utf-8")).hexdigest()
        return f"$argon2id$v=19$m={memory_kib},t={passwords.OPSLIMIT},p=1$quick${digest}"

    def verify(self, stored_hash: str | None, password: str) -> bool:
        if stored_hash is None:
            return False
        return stored_hash.rpartition("$")[2] == self.hash(password).rpartition("$")[2]
