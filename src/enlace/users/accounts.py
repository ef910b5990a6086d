"""User accounts (cuentas de usuario): the repository, and the services that change them.

Repositories work inside the caller's transaction and never commit; each service function
opens one unit of work, writes its change and its audit entry, and commits them together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from enlace.audit.log import AuditLog
from enlace.model import timestamps
from enlace.store.store import Store
from enlace.store.tables import user_roles, users, web_sessions
from enlace.users.errors import UserError
from enlace.users.passwords import hash_password, password_problem
from enlace.users.roles import Role

LANGUAGES = ("es", "en")
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


@dataclass(frozen=True, slots=True)
class User:
    """A person with an account on this node (never carries the password hash)."""

    username: str
    display_name: str
    agency: str | None
    language: str
    roles: frozenset[Role]
    disabled: bool
    created_at: str
    password_changed_at: str


def check_username(username: str) -> str:
    """`username` in its stored form (lower case); UserError when it cannot be one."""
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise UserError(
            f"username {username!r} is not valid: use 2 to 64 lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit (e.g. 'ana.lopez')"
        )
    return name


def check_language(language: str) -> str:
    """`language` if Enlace speaks it ('es' or 'en'); UserError otherwise."""
    code = language.strip().lower()
    if code not in LANGUAGES:
        raise UserError(f"language {language!r} is not available: use 'es' or 'en'")
    return code


class UserRepository:
    """The users and user_roles tables, inside the caller's transaction (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, username: str) -> User | None:
        """The user called `username`, or None."""
        row = self._connection.execute(
            select(users).where(users.c.username == username)
        ).one_or_none()
        if row is None:
            return None
        return self._user(row._mapping, self._roles_of([username]).get(username, frozenset()))

    def password_hash(self, username: str) -> str | None:
        """The stored argon2id hash of `username`, or None when there is no such user."""
        value = self._connection.execute(
            select(users.c.password_hash).where(users.c.username == username)
        ).scalar_one_or_none()
        return None if value is None else str(value)

    def all(self) -> list[User]:
        """Every user, by username."""
        rows = self._connection.execute(select(users).order_by(users.c.username)).all()
        roles = self._roles_of(row.username for row in rows)
        return [self._user(row._mapping, roles.get(row.username, frozenset())) for row in rows]

    def add(self, user: User, password_hash: str) -> None:
        """Insert a new user with its roles."""
        self._connection.execute(
            insert(users).values(
                username=user.username,
                display_name=user.display_name,
                agency=user.agency,
                language=user.language,
                password_hash=password_hash,
                disabled=user.disabled,
                created_at=user.created_at,
                password_changed_at=user.password_changed_at,
            )
        )
        self.set_roles(user.username, user.roles)

    def set_roles(self, username: str, roles: Iterable[Role]) -> None:
        """Replace the roles of `username`."""
        self._connection.execute(delete(user_roles).where(user_roles.c.username == username))
        rows = [{"username": username, "role": role.value} for role in sorted(set(roles))]
        if rows:
            self._connection.execute(insert(user_roles), rows)

    def update(self, username: str, **values: object) -> None:
        """Change columns of one user (display_name, agency, language, disabled, password...)."""
        self._connection.execute(update(users).where(users.c.username == username).values(values))

    def _roles_of(self, usernames: Iterable[str]) -> dict[str, frozenset[Role]]:
        names = list(usernames)
        if not names:
            return {}
        found: dict[str, set[Role]] = {}
        for username, role in self._connection.execute(
            select(user_roles.c.username, user_roles.c.role).where(user_roles.c.username.in_(names))
        ):
            if role in Role._value2member_map_:  # a role a later version dropped is ignored
                found.setdefault(username, set()).add(Role(role))
        return {name: frozenset(roles) for name, roles in found.items()}

    @staticmethod
    def _user(row: object, roles: frozenset[Role]) -> User:
        values = dict(row)  # type: ignore[call-overload]
        return User(
            username=values["username"],
            display_name=values["display_name"],
            agency=values["agency"],
            language=values["language"],
            roles=roles,
            disabled=bool(values["disabled"]),
            created_at=values["created_at"],
            password_changed_at=values["password_changed_at"],
        )


def _require(repository: UserRepository, username: str) -> User:
    user = repository.get(check_username(username))
    if user is None:
        raise UserError(f"there is no user {username!r} on this node: see 'enlace user list'")
    return user


def _require_roles(roles: Iterable[Role]) -> frozenset[Role]:
    chosen = frozenset(roles)
    if not chosen:
        names = ", ".join(role.value for role in Role)
        raise UserError(f"give a user at least one role ({names}); to stop a user, disable it")
    return chosen


def add_user(
    store: Store,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[Role],
    agency: str | None = None,
    language: str = "es",
    actor: str = "cli",
) -> User:
    """Create an account; UserError when the name is taken or the input is not usable."""
    name = check_username(username)
    problem = password_problem(password)
    if problem:
        raise UserError(f"password for {name!r} not accepted: {problem}")
    chosen = _require_roles(roles)
    now = timestamps.format_timestamp(timestamps.utc_now())
    user = User(
        username=name,
        display_name=display_name.strip() or name,
        agency=(agency or "").strip() or None,
        language=check_language(language),
        roles=chosen,
        disabled=False,
        created_at=now,
        password_changed_at=now,
    )
    hashed = hash_password(password)  # before the transaction: it takes a tenth of a second
    with store.unit_of_work() as uow:
        repository = UserRepository(uow.connection)
        if repository.get(name) is not None:
            raise UserError(f"a user {name!r} already exists: choose another username")
        repository.add(user, hashed)
        AuditLog(uow.connection).append(
            actor=actor,
            action="user-add",
            subject=name,
            detail={"roles": sorted(role.value for role in chosen), "agency": user.agency},
        )
        uow.commit()
    return user


def list_users(store: Store) -> list[User]:
    """Every account of the node, by username."""
    with store.unit_of_work() as uow:
        return UserRepository(uow.connection).all()


def get_user(store: Store, username: str) -> User | None:
    """The account called `username`, or None."""
    with store.unit_of_work() as uow:
        return UserRepository(uow.connection).get(username.strip().lower())


def set_roles(store: Store, username: str, roles: Iterable[Role], *, actor: str = "cli") -> User:
    """Give `username` exactly `roles` (at least one); return the updated user."""
    chosen = _require_roles(roles)
    with store.unit_of_work() as uow:
        repository = UserRepository(uow.connection)
        user = _require(repository, username)
        repository.set_roles(user.username, chosen)
        AuditLog(uow.connection).append(
            actor=actor,
            action="user-roles",
            subject=user.username,
            detail={
                "before": sorted(role.value for role in user.roles),
                "after": sorted(role.value for role in chosen),
            },
        )
        uow.commit()
        updated = repository.get(user.username)
    assert updated is not None
    return updated


def set_disabled(store: Store, username: str, disabled: bool, *, actor: str = "cli") -> User:
    """Disable (or enable again) an account; disabling also ends its web sessions at once."""
    with store.unit_of_work() as uow:
        repository = UserRepository(uow.connection)
        user = _require(repository, username)
        repository.update(user.username, disabled=disabled)
        if disabled:
            uow.connection.execute(
                delete(web_sessions).where(web_sessions.c.username == user.username)
            )
        AuditLog(uow.connection).append(
            actor=actor, action="user-disable" if disabled else "user-enable", subject=user.username
        )
        uow.commit()
        updated = repository.get(user.username)
    assert updated is not None
    return updated


def set_password(store: Store, username: str, password: str, *, actor: str = "cli") -> None:
    """Replace the password of `username` and end every web session it had."""
    problem = password_problem(password)
    if problem:
        raise UserError(f"password for {username!r} not accepted: {problem}")
    hashed = hash_password(password)
    with store.unit_of_work() as uow:
        repository = UserRepository(uow.connection)
        user = _require(repository, username)
        now = timestamps.format_timestamp(timestamps.utc_now())
        repository.update(user.username, password_hash=hashed, password_changed_at=now)
        uow.connection.execute(delete(web_sessions).where(web_sessions.c.username == user.username))
        AuditLog(uow.connection).append(actor=actor, action="user-password", subject=user.username)
        uow.commit()


def set_language(store: Store, username: str, language: str) -> None:
    """Remember the language `username` chose for the web interface ('es' or 'en')."""
    code = check_language(language)
    with store.unit_of_work() as uow:
        repository = UserRepository(uow.connection)
        user = _require(repository, username)
        if user.language != code:
            repository.update(user.username, language=code)
            uow.commit()
