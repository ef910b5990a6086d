"""The users use cases on a store in memory: what each one changes, audits and commits.

No database: `fake_store` (a `support.users.FakeStore`) keeps the rows in dictionaries and counts
commits, and `quick_passwords` stands in for argon2id, so each test takes a millisecond or
so. What a use case writes is read back from `fake_store.state`, what it audits from
`fake_store.audit_trail()`; `fake_store.commits` shows each one commits once, or, when it
only reads or refuses, not at all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pytest

from enlace.model import timestamps
from enlace.model.roles import Role
from enlace.store.errors import AuditError
from enlace.store.repositories.login_failures import LoginFailure
from enlace.store.repositories.users import User
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
from enlace.users.sessions import (
    SessionPolicy,
    active_session,
    end_session,
    purge_expired_sessions,
    session_hash,
    start_session,
)
from enlace.users.tokens import api_token_hash, create_token, list_tokens, revoke_token, token_user
from support.clock import FrozenClock
from support.users import FakeStore, QuickPasswords

pytestmark = pytest.mark.usefixtures("quick_passwords", "frozen_now")

PASSWORD = "correct horse battery"
NOW = "2025-09-01T12:00:00.000000Z"  # the frozen clock
MINUTE = "2025-09-01T12:00Z"  # its minute, as refused requests are counted


# The helpers below set a scene through the use cases, then forget the commits and audit
# entries that took: a test counts and reads only those of what it does itself.


def _user(store: FakeStore, username: str = "ana", roles: Iterable[Role] = (Role.ANALYST,)) -> User:
    user = add_user(
        store, username=username, display_name=username.title(), password=PASSWORD, roles=roles
    )
    _settled(store)
    return user


def _session(store: FakeStore, user: User) -> str:
    session_id, _csrf = start_session(store, user)
    _settled(store)
    return session_id


def _token(store: FakeStore, username: str = "ana") -> tuple[str, str]:
    token, secret = create_token(store, username, "nightly import")
    _settled(store)
    return token.id, secret


def _settled(store: FakeStore) -> None:
    store.commits = 0
    store.state.audit.clear()


def _at(clock: FrozenClock, **delta: float) -> str:
    return timestamps.format_timestamp(clock.now + timedelta(**delta))


# --- accounts --------------------------------------------------------------------------


def test_adding_a_user_stores_its_roles_and_a_hash_never_the_password_and_is_audited(
    fake_store: FakeStore, quick_passwords: QuickPasswords
) -> None:
    user = add_user(
        fake_store,
        username="Ana.Lopez",
        display_name=" Ana López ",
        password=PASSWORD,
        roles=[Role.LIAISON, Role.ANALYST],
        agency="FGR",
    )
    assert fake_store.state.users == {"ana.lopez": user}
    assert user.display_name == "Ana López"
    assert user.roles == {Role.ANALYST, Role.LIAISON}
    assert user.created_at == user.password_changed_at == NOW
    assert fake_store.state.password_hashes == {"ana.lopez": quick_passwords.hash(PASSWORD)}
    assert fake_store.audit_trail() == [
        ("cli", "user-add", "ana.lopez", {"roles": ["analyst", "liaison"], "agency": "FGR"})
    ]
    assert fake_store.commits == 1


def test_a_taken_username_is_refused_and_leaves_nothing(fake_store: FakeStore) -> None:
    first = _user(fake_store)
    with pytest.raises(UserError, match="a user 'ana' already exists"):
        add_user(
            fake_store, username="ANA", display_name="A", password=PASSWORD, roles=[Role.AUDITOR]
        )
    assert fake_store.state.users == {"ana": first}
    assert fake_store.audit_trail() == []
    assert fake_store.commits == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"username": "ana lopez"}, "username 'ana lopez' is not valid"),
        ({"password": "short"}, "at least 12 characters"),
        ({"roles": []}, "at least one role"),
        ({"language": "fr"}, "language 'fr'"),
    ],
)
def test_an_unusable_new_user_is_refused_before_the_store_is_opened(
    fake_store: FakeStore, changes: dict[str, Any], message: str
) -> None:
    given: dict[str, Any] = {
        "username": "ana",
        "display_name": "Ana",
        "password": PASSWORD,
        "roles": [Role.ANALYST],
    }
    with pytest.raises(UserError, match=message):
        add_user(fake_store, **(given | changes))
    assert fake_store.units_of_work == 0
    assert fake_store.state.users == {}


def test_a_use_case_that_fails_commits_nothing(fake_store: FakeStore) -> None:
    # The user is written, then its audit entry is refused (an empty actor): neither stays.
    with pytest.raises(AuditError, match="actor"):
        add_user(
            fake_store,
            username="ana",
            display_name="Ana",
            password=PASSWORD,
            roles=[Role.ANALYST],
            actor=" ",
        )
    assert fake_store.state.users == {}
    assert fake_store.state.password_hashes == {}
    assert fake_store.audit_trail() == []
    assert fake_store.commits == 0


def test_roles_are_replaced_and_audited_with_before_and_after(fake_store: FakeStore) -> None:
    _user(fake_store)
    updated = set_roles(fake_store, "ana", [Role.COORDINATOR, Role.AUDITOR], actor="admin")
    assert updated.roles == {Role.COORDINATOR, Role.AUDITOR}
    assert fake_store.state.users["ana"] == updated
    assert fake_store.audit_trail() == [
        ("admin", "user-roles", "ana", {"before": ["analyst"], "after": ["auditor", "coordinator"]})
    ]
    assert fake_store.commits == 1


def test_roles_of_an_unknown_user_or_no_roles_at_all_are_refused_and_leave_nothing(
    fake_store: FakeStore,
) -> None:
    ana = _user(fake_store)
    with pytest.raises(UserError, match="there is no user 'nobody'"):
        set_roles(fake_store, "nobody", [Role.AUDITOR])
    with pytest.raises(UserError, match="at least one role"):
        set_roles(fake_store, "ana", [])
    assert fake_store.state.users == {"ana": ana}
    assert fake_store.audit_trail() == []
    assert fake_store.commits == 0


def test_disabling_a_user_ends_their_sessions_and_is_audited(fake_store: FakeStore) -> None:
    ana, bob = _user(fake_store), _user(fake_store, "bob")
    _session(fake_store, ana)
    _session(fake_store, ana)
    kept = _session(fake_store, bob)
    updated = set_disabled(fake_store, "ana", True, actor="admin")
    assert updated.disabled
    assert fake_store.state.users["ana"].disabled
    assert list(fake_store.state.web_sessions) == [session_hash(kept)]
    assert fake_store.audit_trail() == [("admin", "user-disable", "ana", None)]
    assert fake_store.commits == 1


def test_enabling_a_user_again_is_audited_and_brings_no_session_back(fake_store: FakeStore) -> None:
    ana = _user(fake_store)
    _session(fake_store, ana)
    set_disabled(fake_store, "ana", True)
    assert not set_disabled(fake_store, "ana", False).disabled
    assert fake_store.state.web_sessions == {}
    assert [entry[1] for entry in fake_store.audit_trail()] == ["user-disable", "user-enable"]
    assert fake_store.commits == 2


def test_a_new_password_replaces_the_hash_ends_every_session_and_is_audited(
    fake_store: FakeStore, quick_passwords: QuickPasswords, frozen_now: FrozenClock
) -> None:
    ana = _user(fake_store)
    _session(fake_store, ana)
    frozen_now.advance(days=1)
    set_password(fake_store, "ana", "a new passphrase")
    assert fake_store.state.password_hashes["ana"] == quick_passwords.hash("a new passphrase")
    assert fake_store.state.users["ana"].password_changed_at == "2025-09-02T12:00:00.000000Z"
    assert fake_store.state.web_sessions == {}
    assert fake_store.audit_trail() == [("cli", "user-password", "ana", None)]
    assert fake_store.commits == 1


def test_a_refused_password_changes_nothing(fake_store: FakeStore) -> None:
    ana = _user(fake_store)
    session_id = _session(fake_store, ana)
    opened = fake_store.units_of_work
    with pytest.raises(UserError, match="at least 12 characters"):
        set_password(fake_store, "ana", "short")
    with pytest.raises(UserError, match="there is no user 'bob'"):
        set_password(fake_store, "bob", "a new passphrase")
    assert fake_store.units_of_work == opened + 1  # only the second opened one, to look
    assert list(fake_store.state.web_sessions) == [session_hash(session_id)]
    assert fake_store.audit_trail() == []
    assert fake_store.commits == 0


def test_a_language_change_is_saved_unaudited_and_the_same_language_commits_nothing(
    fake_store: FakeStore,
) -> None:
    _user(fake_store)
    set_language(fake_store, "ANA", "EN")
    assert fake_store.state.users["ana"].language == "en"
    assert fake_store.commits == 1
    set_language(fake_store, "ana", "en")
    assert fake_store.commits == 1
    with pytest.raises(UserError, match="language 'xx'"):
        set_language(fake_store, "ana", "xx")
    assert fake_store.audit_trail() == []


def test_reading_users_commits_nothing(fake_store: FakeStore) -> None:
    bob, ana = _user(fake_store, "bob"), _user(fake_store, "ana")
    assert list_users(fake_store) == [ana, bob]
    assert get_user(fake_store, " ANA ") == ana
    assert get_user(fake_store, "carla") is None
    assert fake_store.commits == 0


# --- sessions --------------------------------------------------------------------------


def test_a_started_session_keeps_only_the_hash_of_its_id(fake_store: FakeStore) -> None:
    ana = _user(fake_store)
    session_id, csrf = start_session(fake_store, ana)
    (stored,) = fake_store.state.web_sessions.values()
    assert stored.id_hash == session_hash(session_id) != session_id
    assert (stored.username, stored.csrf_token) == ("ana", csrf)
    assert stored.created_at == stored.last_seen_at == NOW
    assert fake_store.commits == 1


def test_a_session_in_use_moves_its_idle_clock_at_most_once_a_minute(
    fake_store: FakeStore, frozen_now: FrozenClock
) -> None:
    ana = _user(fake_store)
    session_id = _session(fake_store, ana)
    key = session_hash(session_id)
    frozen_now.advance(seconds=59)
    live = active_session(fake_store, session_id, SessionPolicy())
    assert live is not None
    assert (live.user, live.created_at) == (ana, NOW)
    assert fake_store.state.web_sessions[key].last_seen_at == NOW
    assert fake_store.commits == 0
    frozen_now.advance(seconds=1)
    assert active_session(fake_store, session_id, SessionPolicy()) is not None
    assert fake_store.state.web_sessions[key].last_seen_at == "2025-09-01T12:01:00.000000Z"
    assert fake_store.commits == 1


@pytest.mark.parametrize(
    ("moves", "policy"),
    [
        ([{"minutes": 30}], SessionPolicy()),
        ([{"minutes": 20}] * 3, SessionPolicy(absolute=timedelta(hours=1))),
    ],
    ids=["idle", "absolute"],
)
def test_an_expired_session_is_deleted_and_is_audited(
    fake_store: FakeStore,
    frozen_now: FrozenClock,
    moves: list[dict[str, float]],
    policy: SessionPolicy,
) -> None:
    ana = _user(fake_store)
    session_id = _session(fake_store, ana)
    for move in moves[:-1]:
        frozen_now.advance(**move)
        assert active_session(fake_store, session_id, policy) is not None
    frozen_now.advance(**moves[-1])
    assert active_session(fake_store, session_id, policy) is None
    assert fake_store.state.web_sessions == {}
    assert fake_store.audit_trail() == [("ana", "session-expired", "ana", None)]


def test_a_session_of_a_disabled_user_is_deleted_without_an_expiry_entry(
    fake_store: FakeStore,
) -> None:
    ana = _user(fake_store)
    session_id = _session(fake_store, ana)
    fake_store.state.users["ana"] = dataclasses.replace(ana, disabled=True)
    assert active_session(fake_store, session_id, SessionPolicy()) is None
    assert fake_store.state.web_sessions == {}
    assert fake_store.audit_trail() == []
    assert fake_store.commits == 1


def test_an_unknown_or_oversized_session_id_is_no_session_and_commits_nothing(
    fake_store: FakeStore,
) -> None:
    assert active_session(fake_store, "made-up", SessionPolicy()) is None
    assert active_session(fake_store, "x" * 129, SessionPolicy()) is None
    assert active_session(fake_store, "", SessionPolicy()) is None
    assert fake_store.units_of_work == 1  # only the made-up id was looked up
    assert fake_store.commits == 0


def test_logout_deletes_the_session_and_is_audited(fake_store: FakeStore) -> None:
    ana, bob = _user(fake_store), _user(fake_store, "bob")
    session_id = _session(fake_store, ana)
    kept = _session(fake_store, bob)
    assert end_session(fake_store, session_id) == "ana"
    assert list(fake_store.state.web_sessions) == [session_hash(kept)]
    assert fake_store.audit_trail() == [("ana", "logout", "ana", None)]
    assert fake_store.commits == 1
    assert end_session(fake_store, session_id) is None
    assert fake_store.commits == 1


def test_purging_deletes_only_expired_sessions_and_says_how_many(
    fake_store: FakeStore, frozen_now: FrozenClock
) -> None:
    ana = _user(fake_store)
    _session(fake_store, ana)
    frozen_now.advance(minutes=10)
    recent = _session(fake_store, ana)
    frozen_now.advance(minutes=20)  # the first is now idle exactly 30 minutes
    assert purge_expired_sessions(fake_store, SessionPolicy()) == 1
    assert list(fake_store.state.web_sessions) == [session_hash(recent)]
    assert fake_store.audit_trail() == []
    assert fake_store.commits == 1


# --- API tokens ------------------------------------------------------------------------


def test_a_new_token_keeps_only_the_hash_of_its_secret_and_is_audited(
    fake_store: FakeStore,
) -> None:
    _user(fake_store)
    token, secret = create_token(fake_store, "Ana", "  ")
    assert secret.startswith("enl_")
    assert fake_store.state.api_tokens == {token.id: token}
    assert (token.username, token.label, token.created_at) == ("ana", "script", NOW)
    assert fake_store.state.api_token_hashes == {token.id: api_token_hash(secret)}
    assert fake_store.audit_trail() == [("cli", "token-create", "ana", {"token": token.id})]
    assert fake_store.commits == 1


@pytest.mark.parametrize(
    ("username", "label", "message"),
    [
        ("bob", "nightly", "there is no user 'bob'"),
        ("carla", "nightly", "user 'carla' is disabled"),
        ("ana", "x" * 65, "too long"),
    ],
)
def test_a_token_for_an_unknown_or_disabled_user_or_too_long_a_label_is_refused(
    fake_store: FakeStore, username: str, label: str, message: str
) -> None:
    _user(fake_store)
    _user(fake_store, "carla")
    set_disabled(fake_store, "carla", True)
    _settled(fake_store)
    before = fake_store.state.copy()
    with pytest.raises(UserError, match=message):
        create_token(fake_store, username, label)
    assert fake_store.state == before
    assert fake_store.commits == 0


def test_a_used_token_records_when_and_audits_the_path(
    fake_store: FakeStore, frozen_now: FrozenClock
) -> None:
    ana = _user(fake_store)
    token_id, secret = _token(fake_store)
    frozen_now.advance(hours=1)
    assert token_user(fake_store, secret, path="/web/records", client="10.0.0.1") == ana
    assert fake_store.state.api_tokens[token_id].last_used_at == "2025-09-01T13:00:00.000000Z"
    assert fake_store.audit_trail() == [
        ("ana", "token-use", "/web/records", {"token": token_id, "client": "10.0.0.1"})
    ]
    assert fake_store.commits == 1


def test_a_revoked_unknown_or_disabled_users_token_is_refused_and_audited(
    fake_store: FakeStore, frozen_now: FrozenClock
) -> None:
    _user(fake_store)
    _user(fake_store, "bob")
    revoked_id, revoked = _token(fake_store)
    bobs_id, bobs = _token(fake_store, "bob")
    revoke_token(fake_store, revoked_id)
    set_disabled(fake_store, "bob", True)
    _settled(fake_store)
    for secret in (revoked, bobs, "enl_made-up", "enl_" + "x" * 200):
        assert token_user(fake_store, secret, path="/web/\x00", client=None) is None
    assert fake_store.audit_trail() == [
        (
            "ana",
            "token-failure",
            "/web/\\x00",
            {"reason": "revoked token", "client": None, "token": revoked_id},
        ),
        (
            "bob",
            "token-failure",
            "/web/\\x00",
            {"reason": "user disabled or removed", "client": None, "token": bobs_id},
        ),
    ]
    # A token nobody holds names nobody: counted with the other refused anonymous requests.
    assert fake_store.state.refused_requests == {
        (MINUTE, "unknown", "api-token: unknown token", "/web/\\x00"): 2
    }
    assert all(token.last_used_at is None for token in fake_store.state.api_tokens.values())
    assert fake_store.commits == 4


def test_revoking_a_token_twice_revokes_and_audits_it_once(
    fake_store: FakeStore, frozen_now: FrozenClock
) -> None:
    _user(fake_store)
    token_id, _secret = _token(fake_store)
    first = revoke_token(fake_store, f" {token_id} ", actor="admin")
    assert first.revoked_at == NOW
    assert fake_store.state.api_tokens[token_id] == first
    frozen_now.advance(hours=1)
    assert revoke_token(fake_store, token_id) == first
    assert fake_store.audit_trail() == [("admin", "token-revoke", "ana", {"token": token_id})]
    assert fake_store.commits == 1
    with pytest.raises(UserError, match="there is no token 'nope'"):
        revoke_token(fake_store, "nope")


def test_tokens_are_listed_oldest_first_and_listing_commits_nothing(
    fake_store: FakeStore, frozen_now: FrozenClock
) -> None:
    _user(fake_store)
    _user(fake_store, "bob")
    first, _ = _token(fake_store)
    frozen_now.advance(seconds=1)
    bobs, _ = _token(fake_store, "bob")
    frozen_now.advance(seconds=1)
    last, _ = _token(fake_store)
    assert [token.id for token in list_tokens(fake_store)] == [first, bobs, last]
    assert [token.id for token in list_tokens(fake_store, " ANA ")] == [first, last]
    assert fake_store.commits == 0


# --- signing in, and throttling --------------------------------------------------------


def test_a_right_password_signs_in_clears_the_counts_and_is_audited(fake_store: FakeStore) -> None:
    ana = _user(fake_store)
    fake_store.state.login_failures.update(
        {
            key: LoginFailure(key, 2, NOW, None)
            for key in ("user:ana", "client:10.0.0.1", "user:bob")
        }
    )
    outcome = authenticate(fake_store, " ANA ", PASSWORD, client="10.0.0.1")
    assert (outcome.user, outcome.refusal) == (ana, None)
    assert list(fake_store.state.login_failures) == ["user:bob"]
    assert fake_store.audit_trail() == [("ana", "login", "ana", {"client": "10.0.0.1"})]
    assert fake_store.commits == 1


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("ana", "wrong password", "wrong username or password"),
        ("bob", PASSWORD, None),  # no such account: counted as a refused request
        ("carla", PASSWORD, "disabled"),
    ],
)
def test_a_wrong_password_unknown_user_or_disabled_account_counts_a_failure_per_name_and_client(
    fake_store: FakeStore, username: str, password: str, reason: str | None, frozen_now: FrozenClock
) -> None:
    _user(fake_store)
    _user(fake_store, "carla")
    set_disabled(fake_store, "carla", True)
    _settled(fake_store)
    outcome = authenticate(fake_store, username, password, client="10.0.0.1")
    assert (outcome.user, outcome.refusal) == (None, "wrong")
    assert fake_store.state.login_failures == {
        f"user:{username}": LoginFailure(f"user:{username}", 1, NOW, None),
        "client:10.0.0.1": LoginFailure("client:10.0.0.1", 1, NOW, None),
    }
    assert fake_store.commits == 1
    if reason is None:
        assert fake_store.audit_trail() == []
        assert fake_store.state.refused_requests == {
            (MINUTE, "10.0.0.1", "sign-in: no such account", username): 1
        }
        return
    assert fake_store.audit_trail() == [
        ("anonymous", "login-failure", username, {"client": "10.0.0.1", "reason": reason})
    ]
    assert fake_store.state.refused_requests == {}


def test_the_fifth_failure_blocks_for_thirty_seconds_then_each_one_doubles_up_to_the_longest(
    fake_store: FakeStore, frozen_now: FrozenClock
) -> None:
    _user(fake_store)
    policy = ThrottlePolicy()
    for _ in range(4):
        authenticate(fake_store, "ana", "wrong password", client=None, policy=policy)
    assert fake_store.state.login_failures["user:ana"].blocked_until is None
    waits = []
    for _ in range(7):
        authenticate(fake_store, "ana", "wrong password", client=None, policy=policy)
        count = fake_store.state.login_failures["user:ana"]
        until = timestamps.parse_timestamp(count.blocked_until, field="blocked_until")
        waits.append(int((until - frozen_now.now).total_seconds()))
        frozen_now.set(until)
    assert waits == [30, 60, 120, 240, 480, 900, 900]
    assert fake_store.state.login_failures["user:ana"].failures == 11


def test_while_blocked_not_even_the_right_password_is_checked_and_the_wait_is_audited(
    fake_store: FakeStore, frozen_now: FrozenClock
) -> None:
    _user(fake_store)
    blocked_until = _at(frozen_now, seconds=29, milliseconds=100)
    held = LoginFailure("client:10.0.0.9", 20, NOW, blocked_until)
    fake_store.state.login_failures[held.key] = held
    outcome = authenticate(fake_store, "ana", PASSWORD, client="10.0.0.9")
    assert (outcome.user, outcome.refusal, outcome.retry_after_seconds) == (None, "blocked", 30)
    assert fake_store.state.login_failures == {held.key: held}  # not counted as a failure
    # Costs the sender nothing: counted with the other refused anonymous requests.
    assert fake_store.audit_trail() == []
    assert fake_store.state.refused_requests == {(MINUTE, "10.0.0.9", "sign-in: blocked", "ana"): 1}
    assert fake_store.commits == 1
    frozen_now.set(timestamps.parse_timestamp(blocked_until, field="t"))
    assert authenticate(fake_store, "ana", PASSWORD, client="10.0.0.9").user is not None


def test_an_address_gets_more_free_failures_than_a_username(fake_store: FakeStore) -> None:
    _user(fake_store)
    policy = ThrottlePolicy(free_failures=2, client_free_failures=3)
    for name in ("bob", "carla"):
        authenticate(fake_store, name, "guess-guess", client="10.0.0.9", policy=policy)
    assert fake_store.state.login_failures["client:10.0.0.9"].blocked_until is None
    authenticate(fake_store, "diego", "guess-guess", client="10.0.0.9", policy=policy)
    assert fake_store.state.login_failures["client:10.0.0.9"].blocked_until is not None
    assert authenticate(fake_store, "ana", PASSWORD, client="10.0.0.9", policy=policy).refusal == (
        "blocked"
    )
    assert authenticate(fake_store, "ana", PASSWORD, client="10.0.0.10", policy=policy).user


def test_a_failure_after_forget_after_starts_the_count_again(
    fake_store: FakeStore, frozen_now: FrozenClock
) -> None:
    _user(fake_store)
    for _ in range(3):
        authenticate(fake_store, "ana", "wrong password", client=None)
    frozen_now.advance(hours=1)
    authenticate(fake_store, "ana", "wrong password", client=None)
    assert fake_store.state.login_failures["user:ana"] == LoginFailure(
        "user:ana", 1, _at(frozen_now), None
    )


def test_a_failure_forgets_other_old_counts_unless_they_still_block(
    fake_store: FakeStore, frozen_now: FrozenClock
) -> None:
    _user(fake_store)
    old, recent = _at(frozen_now, hours=-1, microseconds=-1), _at(frozen_now, minutes=-59)
    counts = [
        LoginFailure("user:old", 3, old, None),
        LoginFailure("user:old-block-over", 9, old, _at(frozen_now, seconds=-1)),
        LoginFailure("user:old-still-blocked", 9, old, _at(frozen_now, seconds=1)),
        LoginFailure("user:recent", 3, recent, None),
    ]
    fake_store.state.login_failures.update({count.key: count for count in counts})
    authenticate(fake_store, "bob", "guess-guess", client=None)
    assert sorted(fake_store.state.login_failures) == [
        "user:bob",
        "user:old-still-blocked",
        "user:recent",
    ]


def test_control_characters_typed_as_a_username_are_stored_and_audited_escaped(
    fake_store: FakeStore, frozen_now: FrozenClock
) -> None:
    authenticate(fake_store, "ana\x00\n", "guess-guess", client=None)
    assert list(fake_store.state.login_failures) == ["user:ana\\x00"]
    assert list(fake_store.state.refused_requests) == [
        (MINUTE, "unknown", "sign-in: no such account", "ana\\x00")
    ]


def test_a_weaker_hash_is_upgraded_after_signing_in_in_a_second_commit(
    fake_store: FakeStore, quick_passwords: QuickPasswords
) -> None:
    _user(fake_store)
    weak = quick_passwords.hash(PASSWORD, memory_kib=19456)
    fake_store.state.password_hashes["ana"] = weak
    assert authenticate(fake_store, "ana", PASSWORD, client=None).user is not None
    assert fake_store.state.password_hashes["ana"] == quick_passwords.hash(PASSWORD)
    # The sign-in commits once; the new hash, made outside its transaction, once more.
    assert fake_store.commits == 2


def test_signing_in_reads_outside_the_transaction_that_writes(fake_store: FakeStore) -> None:
    # Two units of work: one to read the hash (then closed while it is checked), one to write.
    _user(fake_store)
    opened = fake_store.units_of_work
    authenticate(fake_store, "ana", PASSWORD, client=None)
    assert fake_store.units_of_work == opened + 2
    assert fake_store.commits == 1
