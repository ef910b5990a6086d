"""The fake store of tests/support/users.py answers as a real one, on SQLite and PostgreSQL.

The same calls go to both, and what they return must be equal: first every repository method
the fakes have, edge cases included (time boundaries, a duplicate key, a refused audit entry,
a rollback, changes left uncommitted), then a run of the users use cases. A fake that drifts
from its repository fails here, not silently in the service tests.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from enlace.model.roles import Role
from enlace.store.errors import AuditError
from enlace.store.repositories.api_tokens import ApiToken
from enlace.store.repositories.login_failures import LoginFailure
from enlace.store.repositories.users import User
from enlace.store.repositories.web_sessions import WebSession
from enlace.store.store import Store
from enlace.store.unit_of_work import UnitOfWorkFactory
from enlace.users.accounts import add_user, set_disabled, set_password, set_roles
from enlace.users.authentication import ThrottlePolicy, authenticate
from enlace.users.refused_requests import flush_refused_requests
from enlace.users.sessions import (
    SessionPolicy,
    active_session,
    end_session,
    session_hash,
    start_session,
)
from enlace.users.tokens import create_token, list_tokens, revoke_token, token_user
from support.users import FakeStore

pytestmark = pytest.mark.usefixtures("frozen_now", "quick_passwords")


def _t(minute: int, second: int = 0) -> str:
    return f"2025-09-01T12:{minute:02d}:{second:02d}.000000Z"


ANA = User("ana", "Ana", "FGR", "es", frozenset({Role.ANALYST}), False, _t(0), _t(0))
BOB = User("bob", "Bob", None, "en", frozenset({Role.AUDITOR}), False, _t(1), _t(1))
SESSIONS = [
    WebSession("h-old", "ana", "c1", created_at=_t(8), last_seen_at=_t(10)),
    WebSession("h-new", "ana", "c2", created_at=_t(20), last_seen_at=_t(30)),
    WebSession("h-bob", "bob", "c3", created_at=_t(5), last_seen_at=_t(40)),
]
TOKENS = [  # added in this order; listed by created_at, then id
    ApiToken("t-b", "ana", "later", _t(2), None, None),
    ApiToken("t-c", "bob", "first", _t(1), None, None),
    ApiToken("t-a", "ana", "first too", _t(1), None, None),
]
KEYS = ["user:ana", "client:10.0.0.1", "user:bob", "user:old", "user:old-blocked"]


def _repository_scenario(store: UnitOfWorkFactory) -> list[Any]:
    seen: list[Any] = []
    with store.unit_of_work() as uow:
        uow.users.add(ANA, "hash-ana")
        uow.users.add(BOB, "hash-bob")
        uow.users.set_roles("bob", [Role.AUDITOR, Role.COORDINATOR])
        uow.users.update("ana", disabled=True, language="en", password_hash="hash-ana-2")
        for session in SESSIONS:
            uow.web_sessions.add(session)
        uow.web_sessions.touch("h-new", _t(35))
        for number, token in enumerate(TOKENS):
            uow.api_tokens.add(token, f"token-hash-{number}")
        uow.api_tokens.mark_used("t-b", _t(3))
        uow.api_tokens.revoke("t-c", _t(4))
        seen.append(uow.login_failures.add(LoginFailure("user:ana", 1, _t(0), None)))
        seen.append(uow.login_failures.add(LoginFailure("user:ana", 7, _t(9), _t(9))))
        uow.login_failures.add_one("user:ana", last_failure_at=_t(1), blocked_until=_t(2))
        uow.login_failures.add(LoginFailure("client:10.0.0.1", 3, _t(1), None))
        uow.login_failures.replace(LoginFailure("client:10.0.0.1", 5, _t(3), _t(4)))
        uow.login_failures.add(LoginFailure("user:old", 2, _t(0), None))
        uow.login_failures.add(LoginFailure("user:old-blocked", 9, _t(0), _t(50)))
        uow.login_failures.add(LoginFailure("user:bob", 1, _t(30), None))
        uow.audit.append(actor="cli", action="user-add", subject="ana", detail={"b": 1, "a": [2]})
        uow.audit.append(actor="ana", action="login", subject="nul\x00here")
        with pytest.raises(AuditError):
            uow.audit.append(actor="", action="login")
        with pytest.raises(AuditError):
            uow.audit.append(actor="cli", action="Not-An-Action")
        uow.commit()
        seen.append(_state(uow))
    with store.unit_of_work() as uow:  # rolled back, then left without a commit
        uow.users.add(dataclasses.replace(BOB, username="carla"), "hash-carla")
        seen.append(uow.web_sessions.delete_for_user("ana"))
        uow.login_failures.clear(KEYS)
        uow.audit.append(actor="cli", action="user-add", subject="carla")
        uow.rollback()
        seen.append(_state(uow))
        uow.users.add(dataclasses.replace(BOB, username="diego"), "hash-diego")
        uow.api_tokens.revoke("t-a", _t(5))
    with store.unit_of_work() as uow:
        seen.append(_state(uow))
        seen.append(uow.web_sessions.delete_expired(idle_cut=_t(10), absolute_cut=_t(5)))
        seen.append(uow.web_sessions.delete_for_user("nobody"))
        uow.web_sessions.delete("h-new")
        uow.web_sessions.delete("h-none")
        uow.login_failures.forget(last_failure_before=_t(1), not_blocked_at=_t(50))
        uow.login_failures.clear(["client:10.0.0.1", "user:none"])
        uow.commit()
    with store.unit_of_work() as uow:
        seen.append(_state(uow))
    return seen


def _state(uow: Any) -> dict[str, Any]:
    return {
        "users": uow.users.all(),
        "user": [uow.users.get(name) for name in ("ana", "bob", "carla", "diego")],
        "hashes": [uow.users.password_hash(name) for name in ("ana", "bob", "nobody")],
        "sessions": [uow.web_sessions.get(s.id_hash) for s in SESSIONS]
        + [uow.web_sessions.get("x")],
        "tokens": uow.api_tokens.all(),
        "tokens of ana": uow.api_tokens.all("ana"),
        "token": [uow.api_tokens.get(t.id) for t in TOKENS] + [uow.api_tokens.get("t-x")],
        "by hash": [uow.api_tokens.by_hash(f"token-hash-{n}") for n in range(4)],
        "failures": [uow.login_failures.get(key) for key in [*KEYS, "user:none"]],
        "blocks": sorted(uow.login_failures.blocks(KEYS)),
        "blocks of one": uow.login_failures.blocks(["user:ana", "user:none"]),
        "audit": list(uow.audit.entries()),
    }


def test_the_fake_repositories_answer_as_the_real_ones(store: Store, fake_store: FakeStore) -> None:
    real = _repository_scenario(store)
    fake = _repository_scenario(fake_store)
    assert real[2]["audit"][0].detail_json == '{"a":[2],"b":1}'  # the scenario did run
    for step, (theirs, ours) in enumerate(zip(real, fake, strict=True)):
        assert ours == theirs, f"step {step}"


def _use_case_scenario(store: UnitOfWorkFactory) -> dict[str, Any]:
    ana = add_user(
        store, username="ana", display_name="Ana", password="a passphrase", roles=[Role.ANALYST]
    )
    add_user(
        store, username="bob", display_name="Bob", password="b passphrase", roles=[Role.AUDITOR]
    )
    set_roles(store, "bob", [Role.AUDITOR, Role.LIAISON])
    session_id, _csrf = start_session(store, ana)
    kept_id, _csrf = start_session(store, ana)
    token, secret = create_token(store, "ana", "nightly")
    policy = ThrottlePolicy(free_failures=2)
    outcomes = [
        authenticate(store, "ana", "wrong", client="10.0.0.1", policy=policy),
        authenticate(store, "ana", "wrong again", client="10.0.0.1", policy=policy),
        authenticate(store, "ana", "a passphrase", client="10.0.0.1", policy=policy),
        authenticate(store, "bob", "b passphrase", client="10.0.0.2", policy=policy),
    ]
    used = token_user(store, secret, path="/web/api/me", client=None)
    revoke_token(store, token.id)
    refused = token_user(store, secret, path="/web/api/me", client=None)
    # A stranger's refusals: counted, then written to the log (the minute in progress too).
    strangers = [
        authenticate(store, "nobody", "guess", client="10.0.0.3", policy=policy),
        token_user(store, "enl_made-up", path="/web/api/me", client="10.0.0.3"),
        token_user(store, "enl_made-up", path="/web/api/x", client="10.0.0.4"),
    ]
    flushed = flush_refused_requests(store, include_open=True)
    live = active_session(store, session_id, SessionPolicy())
    ended = end_session(store, session_id)
    set_password(store, "bob", "c passphrase")
    set_disabled(store, "ana", True)
    with store.unit_of_work() as uow:
        return {
            "outcomes": outcomes,
            "used": used,
            "refused": refused,
            "strangers": strangers,
            "flushed": flushed,
            "still_counted": uow.refused_requests.take_before(None),
            "live": None if live is None else (live.user, live.created_at),
            "ended": ended,
            "kept": uow.web_sessions.get(session_hash(kept_id)),
            "tokens": [dataclasses.replace(t, id="") for t in list_tokens(store)],
            "users": uow.users.all(),
            "failures": [uow.login_failures.get(k) for k in ("user:ana", "client:10.0.0.1")],
            "audit": [
                (e.actor, e.action, e.subject, _without_token_id(e.detail))
                for e in uow.audit.entries()
            ],
        }


def _without_token_id(detail: Any) -> Any:
    return {**detail, "token": "…"} if isinstance(detail, dict) and "token" in detail else detail


def test_the_use_cases_leave_the_same_state_in_the_fake_as_in_a_real_store(
    store: Store, fake_store: FakeStore
) -> None:
    real = _use_case_scenario(store)
    fake = _use_case_scenario(fake_store)
    assert real["outcomes"][1].refusal == "wrong"
    assert real["outcomes"][2].refusal == "blocked"
    assert real["kept"] is None  # disabling ana ended it
    assert real["flushed"] == 3  # one entry per source: the blocked sign-in, and two strangers
    assert fake == real
