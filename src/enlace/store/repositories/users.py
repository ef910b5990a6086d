"""User accounts as stored: the users and user_roles tables (never the password itself)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from enlace.model.roles import Role
from enlace.store.tables import user_roles, users


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
    # Whether the password met the password rules when last seen in clear (set, or signed in
    # with); None: not seen since the rules came in (migration 0011), "not checked yet".
    password_meets_policy: bool | None = None


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
                password_meets_policy=user.password_meets_policy,
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
        """Change columns of one user (display_name, agency, language, disabled, password,
        password_meets_policy...)."""
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
            password_meets_policy=_flag(values["password_meets_policy"]),
        )


def _flag(value: object) -> bool | None:
    return None if value is None else bool(value)
