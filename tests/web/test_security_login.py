"""Logging in through a real server: the session cookie, wrong passwords, throttling, redirects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enlace.model.roles import Role
from enlace.store.store import Store
from enlace.store.tables import audit_log, web_sessions
from enlace.users.authentication import ThrottlePolicy
from enlace.users.refused_requests import flush_refused_requests
from enlace.users.sessions import session_hash
from support.clock import FrozenClock
from support.web import RunningWeb, serving, session_csrf, user_of

pytestmark = pytest.mark.e2e

ANALYST = user_of(Role.ANALYST)


@pytest.fixture
def web(store: Store, tmp_path: Path) -> Iterator[RunningWeb]:
    throttle = ThrottlePolicy(free_failures=3, first_block=timedelta(minutes=2))
    with serving(store, tmp_path / "node", throttle=throttle) as running:
        yield running


def _sessions(store: Store) -> list[tuple[str, str]]:
    with store.unit_of_work() as uow:
        rows = uow.connection.execute(select(web_sessions.c.id_hash, web_sessions.c.username))
        return [(row.id_hash, row.username) for row in rows]


def _audited(store: Store, action: str) -> list[tuple[str, str | None, str | None]]:
    with store.unit_of_work() as uow:
        rows = uow.connection.execute(
            select(audit_log.c.actor, audit_log.c.subject, audit_log.c.detail)
            .where(audit_log.c.action == action)
            .order_by(audit_log.c.seq)
        )
        return [(row.actor, row.subject, row.detail) for row in rows]


def _post_login(web: RunningWeb, username: str, password: str, next_path: str = "/web/"):  # type: ignore[no-untyped-def]
    client = web.client()
    token = web.login_form_token(client, next_path)
    answer = client.post(
        "/web/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_path},
    )
    return client, answer


def test_login_sets_an_httponly_lax_cookie_whose_id_the_store_keeps_only_hashed(
    web: RunningWeb,
) -> None:
    client, answer = _post_login(web, ANALYST, web.passwords[ANALYST], "/web/records?tlp=red")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/web/records?tlp=red"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("enlace_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    session_id = client.cookies["enlace_session"]
    stored = _sessions(web.store)
    assert stored == [(session_hash(session_id), ANALYST)]
    assert session_id not in str(stored)
    assert _audited(web.store, "login")[0][:2] == (ANALYST, ANALYST)


def test_a_page_without_session_sends_the_browser_to_login_and_back(web: RunningWeb) -> None:
    answer = web.client().get("/web/audit?page=2")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/web/login?next=/web/audit%3Fpage%3D2"


def test_a_form_sent_without_session_goes_to_login_then_to_the_start_page(
    web: RunningWeb,
) -> None:
    client = web.client()
    token = web.login_form_token(client)
    answer = client.post("/web/logout", data={"csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/web/login?next=/web/"


def test_wrong_password_and_unknown_user_get_the_same_answer_and_are_audited(
    web: RunningWeb,
) -> None:
    _client, wrong = _post_login(web, ANALYST, "not-the-password-at-all")
    _client, unknown = _post_login(web, "nobody", "not-the-password-at-all")
    assert wrong.status_code == unknown.status_code == 401
    assert "enlace_session" not in wrong.headers.get("set-cookie", "")
    assert _sessions(web.store) == []
    failures = _audited(web.store, "login-failure")
    assert [(actor, subject) for actor, subject, _ in failures] == [("anonymous", ANALYST)]
    # No such account: counted with the other refused anonymous requests.
    flush_refused_requests(web.store, include_open=True)
    counted = _audited(web.store, "refused-requests")
    assert [json.loads(detail or "")["targets"] for _, _, detail in counted] == [{"nobody": 1}]
    assert "not-the-password" not in str(failures + counted)


def test_repeated_failures_block_even_the_right_password_for_a_while(
    web: RunningWeb, frozen_now: FrozenClock
) -> None:
    for _ in range(3):
        _client, answer = _post_login(web, ANALYST, "guessing-the-password")
        assert answer.status_code == 401
    _client, blocked = _post_login(web, ANALYST, web.passwords[ANALYST])
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) == 120
    assert _sessions(web.store) == []
    flush_refused_requests(web.store, include_open=True)
    (counted,) = _audited(web.store, "refused-requests")
    assert json.loads(counted[2] or "")["reasons"] == {"sign-in: blocked": 1}
    frozen_now.advance(minutes=2, seconds=1)
    _client, answer = _post_login(web, ANALYST, web.passwords[ANALYST])
    assert answer.status_code == 303


def test_login_never_redirects_to_another_site(web: RunningWeb) -> None:
    for target in ("https://evil.example/", "//evil.example/web/", "/\\evil.example", "/taxii2/"):
        _client, answer = _post_login(web, ANALYST, web.passwords[ANALYST], target)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/web/"


def test_login_replaces_a_session_id_planted_before_login(web: RunningWeb) -> None:
    client = web.client()
    client.cookies.set("enlace_session", "planted-by-an-attacker-0123456789", domain="127.0.0.1")
    token = web.login_form_token(client)
    client.post(
        "/web/login",
        data={"username": ANALYST, "password": web.passwords[ANALYST], "csrf_token": token},
    )
    assert client.cookies["enlace_session"] != "planted-by-an-attacker-0123456789"
    assert [user for _hash, user in _sessions(web.store)] == [ANALYST]


def test_logout_deletes_the_session_on_the_server(web: RunningWeb) -> None:
    client = web.login(ANALYST)
    session_id = client.cookies["enlace_session"]
    token = session_csrf(client, "/web/no-such-page")
    answer = client.post("/web/logout", data={"csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/web/login"
    assert _sessions(web.store) == []
    # The old cookie, replayed, no longer opens anything.
    replay = web.client()
    replay.cookies.set("enlace_session", session_id, domain="127.0.0.1")
    assert replay.get("/web/audit").status_code == 303
    assert len(_audited(web.store, "logout")) == 1


def test_control_characters_in_a_username_are_a_wrong_login_logged_escaped(
    web: RunningWeb,
) -> None:
    _client, answer = _post_login(web, "ana\x00lópez\n", "whatever-password")
    assert answer.status_code == 401
    flush_refused_requests(web.store, include_open=True)
    (counted,) = _audited(web.store, "refused-requests")
    targets = json.loads(counted[2] or "")["targets"]
    assert targets == {"ana\\x00lópez": 1}  # stripped of the newline, the NUL escaped


def test_malformed_login_form_is_a_clear_400_not_an_error(web: RunningWeb) -> None:
    client = web.client()
    token = web.login_form_token(client)
    answer = client.post(
        "/web/login",
        data={"username": "x" * 5000, "password": "y", "csrf_token": token},
    )
    assert answer.status_code == 400
    assert "username" in answer.text
    with web.store.unit_of_work() as uow:
        count = uow.connection.execute(select(func.count()).select_from(web_sessions)).scalar()
    assert count == 0
