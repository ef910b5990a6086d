"""User accounts in the store: roles, argon2id hashes, disabling, password changes, tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from enlace.model.roles import Role, parse_role
from enlace.store.store import Store
from enlace.store.tables import api_tokens, audit_log, users, web_sessions
from enlace.users.accounts import (
    add_user,
    get_user,
    list_users,
    set_disabled,
    set_language,
    set_password,
    set_roles,
)
from enlace.users.authentication import ThrottlePolicy, authenticate
from enlace.users.errors import UserError
from enlace.users.passwords import meets_policy, random_password
from enlace.users.refused_requests import flush_refused_requests
from enlace.users.sessions import SessionPolicy, active_session, start_session
from enlace.users.tokens import create_token, list_tokens, revoke_token, token_user


def _password() -> str:
    """Random, and meeting the rules as the password of any user of these tests."""
    while True:
        made = random_password("ana")
        if meets_policy(made, username="bob"):
            return made


def _actions(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        return [entry.action for entry in uow.audit.entries()]


def test_added_user_keeps_an_argon2id_hash_never_the_password(store: Store) -> None:
    password = _password()
    user = add_user(
        store,
        username="Ana.Lopez",
        display_name="Ana López",
        password=password,
        roles=[Role.ANALYST, Role.LIAISON],
        agency="FGR",
    )
    assert user.username == "ana.lopez"
    assert user.roles == {Role.ANALYST, Role.LIAISON}
    with store.unit_of_work() as uow:
        stored = uow.connection.execute(select(users.c.password_hash)).scalar_one()
        dumped = " ".join(str(v) for row in uow.connection.execute(select(users)) for v in row)
    assert stored.startswith("$argon2id$v=19$m=65536,t=2,p=1$")
    assert password not in dumped
    assert get_user(store, "ana.lopez") == user
    assert "user-add" in _actions(store)


def test_user_is_refused_for_a_taken_name_a_bad_name_a_short_password_or_no_role(
    store: Store,
) -> None:
    add_user(store, username="ana", display_name="Ana", password=_password(), roles=[Role.ANALYST])
    with pytest.raises(UserError, match="already exists"):
        add_user(
            store, username="ANA", display_name="A", password=_password(), roles=[Role.AUDITOR]
        )
    with pytest.raises(UserError, match="username 'ana lopez' is not valid"):
        add_user(
            store,
            username="ana lopez",
            display_name="A",
            password=_password(),
            roles=[Role.AUDITOR],
        )
    with pytest.raises(UserError, match="at least 12 characters"):
        add_user(store, username="bob", display_name="B", password="short", roles=[Role.AUDITOR])
    with pytest.raises(UserError, match="at least one role"):
        add_user(store, username="bob", display_name="B", password=_password(), roles=[])
    with pytest.raises(UserError, match="language 'fr'"):
        add_user(
            store,
            username="bob",
            display_name="B",
            password=_password(),
            roles=[Role.AUDITOR],
            language="fr",
        )
    assert [user.username for user in list_users(store)] == ["ana"]


def test_unknown_role_names_list_the_roles_there_are() -> None:
    assert parse_role(" Liaison ") is Role.LIAISON
    with pytest.raises(ValueError, match="expected one of administrator, analyst, liaison"):
        parse_role("boss")


def test_roles_are_replaced_and_audited_with_before_and_after(store: Store) -> None:
    add_user(store, username="ana", display_name="Ana", password=_password(), roles=[Role.ANALYST])
    updated = set_roles(store, "ana", [Role.COORDINATOR, Role.AUDITOR])
    assert updated.roles == {Role.COORDINATOR, Role.AUDITOR}
    with store.unit_of_work() as uow:
        entry = uow.audit.latest(1)[0]
    assert entry.action == "user-roles"
    assert entry.detail == {"before": ["analyst"], "after": ["auditor", "coordinator"]}
    with pytest.raises(UserError, match="there is no user 'nobody'"):
        set_roles(store, "nobody", [Role.AUDITOR])


def test_disabling_a_user_ends_its_sessions_and_refuses_its_login_and_tokens(store: Store) -> None:
    password = _password()
    user = add_user(
        store, username="ana", display_name="Ana", password=password, roles=[Role.ANALYST]
    )
    session_id, _csrf = start_session(store, user)
    _token, secret = create_token(store, "ana", "nightly import")
    set_disabled(store, "ana", True)
    with store.unit_of_work() as uow:
        assert uow.connection.execute(select(func.count()).select_from(web_sessions)).scalar() == 0
    assert active_session(store, session_id, SessionPolicy()) is None
    assert authenticate(store, "ana", password, client="127.0.0.1").user is None
    assert token_user(store, secret, path="/web/", client=None) is None
    set_disabled(store, "ana", False)
    assert authenticate(store, "ana", password, client="127.0.0.1").user is not None


def test_a_new_password_replaces_the_old_and_ends_sessions(store: Store) -> None:
    old, new = _password(), _password()
    user = add_user(store, username="ana", display_name="Ana", password=old, roles=[Role.ANALYST])
    session_id, _csrf = start_session(store, user)
    set_password(store, "ana", new)
    assert active_session(store, session_id, SessionPolicy()) is None
    assert authenticate(store, "ana", old, client=None).user is None
    assert authenticate(store, "ana", new, client=None).user is not None


def test_language_choice_is_saved_on_the_user(store: Store) -> None:
    add_user(store, username="ana", display_name="Ana", password=_password(), roles=[Role.ANALYST])
    set_language(store, "ana", "en")
    assert get_user(store, "ana").language == "en"  # type: ignore[union-attr]
    with pytest.raises(UserError):
        set_language(store, "ana", "xx")


def test_token_is_kept_as_a_hash_audited_on_use_and_refused_once_revoked(store: Store) -> None:
    add_user(store, username="ana", display_name="Ana", password=_password(), roles=[Role.ANALYST])
    token, secret = create_token(store, "ana", "nightly import")
    assert secret.startswith("enl_")
    with store.unit_of_work() as uow:
        dumped = " ".join(str(v) for row in uow.connection.execute(select(api_tokens)) for v in row)
    assert secret not in dumped
    user = token_user(store, secret, path="/web/records", client="127.0.0.1")
    assert user is not None
    assert user.username == "ana"
    assert list_tokens(store, "ana")[0].last_used_at is not None
    revoke_token(store, token.id)
    assert token_user(store, secret, path="/web/records", client="127.0.0.1") is None
    assert token_user(store, "enl_made-up", path="/web/records", client="127.0.0.1") is None
    with store.unit_of_work() as uow:
        rows = uow.connection.execute(
            select(audit_log.c.action, audit_log.c.subject)
            .where(audit_log.c.action.like("token-%"))
            .order_by(audit_log.c.seq)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("token-create", "ana"),
        ("token-use", "/web/records"),
        ("token-revoke", "ana"),
        ("token-failure", "/web/records"),  # ana's revoked token; the made-up one is counted
    ]
    assert flush_refused_requests(store, include_open=True) == 1
    with store.unit_of_work() as uow:
        (counted,) = uow.audit.latest(1)
    assert (counted.action, counted.subject) == ("refused-requests", "127.0.0.1")
    assert counted.detail["reasons"] == {"api-token: unknown token": 1}
    with store.unit_of_work() as uow:
        logged = " ".join(str(v) for row in uow.connection.execute(select(audit_log)) for v in row)
    assert secret not in logged


def test_one_address_guessing_many_usernames_is_blocked_and_others_are_not(store: Store) -> None:
    password = _password()
    add_user(store, username="ana", display_name="Ana", password=password, roles=[Role.ANALYST])
    policy = ThrottlePolicy(free_failures=5, client_free_failures=3)
    for name in ("ana", "bob", "carla"):
        assert (
            authenticate(store, name, "guess-guess", client="10.0.0.9", policy=policy).refusal
            == "wrong"
        )
    blocked = authenticate(store, "ana", password, client="10.0.0.9", policy=policy)
    assert blocked.refusal == "blocked"
    assert blocked.retry_after_seconds == 30
    elsewhere = authenticate(store, "ana", password, client="10.0.0.10", policy=policy)
    assert elsewhere.user is not None
