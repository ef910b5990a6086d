"""User accounts (cuentas de usuario): the use cases that make and change them.

Each use case takes the store (anything that opens units of work) and plain arguments, opens
one unit of work, writes its change through `uow.users` (and `uow.web_sessions`) with its
entry in `uow.audit`, and commits them together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from enlace.model import timestamps
from enlace.model.roles import Role
from enlace.store.repositories.users import User, UserRepository
from enlace.store.unit_of_work import UnitOfWorkFactory
from enlace.users.errors import UserError
from enlace.users.passwords import check_password, hash_password

LANGUAGES = ("es", "en")
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


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
    store: UnitOfWorkFactory,
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
    check_password(password, username=name)
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
        password_meets_policy=True,  # it was just checked
    )
    hashed = hash_password(password)  # before the transaction: it takes a tenth of a second
    with store.unit_of_work() as uow:
        repository = uow.users
        if repository.get(name) is not None:
            raise UserError(f"a user {name!r} already exists: choose another username")
        repository.add(user, hashed)
        uow.audit.append(
            actor=actor,
            action="user-add",
            subject=name,
            detail={"roles": sorted(role.value for role in chosen), "agency": user.agency},
        )
        uow.commit()
    return user


def list_users(store: UnitOfWorkFactory) -> list[User]:
    """Every account of the node, by username."""
    with store.unit_of_work() as uow:
        return uow.users.all()


def get_user(store: UnitOfWorkFactory, username: str) -> User | None:
    """The account called `username`, or None."""
    with store.unit_of_work() as uow:
        return uow.users.get(username.strip().lower())


def set_roles(
    store: UnitOfWorkFactory, username: str, roles: Iterable[Role], *, actor: str = "cli"
) -> User:
    """Give `username` exactly `roles` (at least one); return the updated user."""
    chosen = _require_roles(roles)
    with store.unit_of_work() as uow:
        repository = uow.users
        user = _require(repository, username)
        repository.set_roles(user.username, chosen)
        uow.audit.append(
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


def set_disabled(
    store: UnitOfWorkFactory, username: str, disabled: bool, *, actor: str = "cli"
) -> User:
    """Disable (or enable again) an account; disabling also ends its web sessions at once."""
    with store.unit_of_work() as uow:
        repository = uow.users
        user = _require(repository, username)
        repository.update(user.username, disabled=disabled)
        if disabled:
            uow.web_sessions.delete_for_user(user.username)
        uow.audit.append(
            actor=actor, action="user-disable" if disabled else "user-enable", subject=user.username
        )
        uow.commit()
        updated = repository.get(user.username)
    assert updated is not None
    return updated


def set_password(
    store: UnitOfWorkFactory, username: str, password: str, *, actor: str = "cli"
) -> None:
    """Replace the password of `username` and end every web session it had."""
    check_password(password, username=check_username(username))
    hashed = hash_password(password)
    with store.unit_of_work() as uow:
        repository = uow.users
        user = _require(repository, username)
        now = timestamps.format_timestamp(timestamps.utc_now())
        repository.update(
            user.username,
            password_hash=hashed,
            password_changed_at=now,
            password_meets_policy=True,
        )
        uow.web_sessions.delete_for_user(user.username)
        uow.audit.append(actor=actor, action="user-password", subject=user.username)
        uow.commit()


def set_language(store: UnitOfWorkFactory, username: str, language: str) -> None:
    """Remember the language `username` chose for the web interface ('es' or 'en')."""
    code = check_language(language)
    with store.unit_of_work() as uow:
        repository = uow.users
        user = _require(repository, username)
        if user.language != code:
            repository.update(user.username, language=code)
            uow.commit()
