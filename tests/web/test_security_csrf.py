"""Forged requests: a POST without the session's CSRF token is refused and changes nothing."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enlace.model.roles import Role
from enlace.store.store import Store
from enlace.store.tables import audit_log, web_sessions
from enlace.web.i18n import translate
from enlace.web.security import CSRF_MISMATCH
from support.web import RunningWeb, serving, session_csrf, user_of

pytestmark = pytest.mark.e2e

ANALYST = user_of(Role.ANALYST)


@pytest.fixture
def web(store: Store, tmp_path: Path) -> Iterator[RunningWeb]:
    with serving(store, tmp_path / "node") as running:
        yield running


def _counts(store: Store) -> tuple[int, int]:
    with store.unit_of_work() as uow:
        sessions = uow.connection.execute(select(func.count()).select_from(web_sessions)).scalar()
        entries = uow.connection.execute(select(func.count()).select_from(audit_log)).scalar()
    return int(sessions or 0), int(entries or 0)


@pytest.mark.parametrize(
    "forgery",
    [
        pytest.param({"data": {"csrf_token": "forged-token-0123456789abcdef"}}, id="forged-field"),
        pytest.param({"headers": {"X-CSRF-Token": "forged-token-0123456789abcdef"}}, id="header"),
        pytest.param({"data": {}}, id="missing"),
    ],
)
def test_logout_with_a_forged_csrf_token_is_refused_and_the_session_lives(
    web: RunningWeb, forgery: dict[str, dict[str, str]]
) -> None:
    client = web.login(ANALYST)
    before = _counts(web.store)
    answer = client.post("/web/logout", **forgery)  # type: ignore[arg-type]
    assert answer.status_code == 403
    assert translate("es", CSRF_MISMATCH) in html.unescape(answer.text)  # her language
    assert "text/html" in answer.headers["content-type"]
    assert _counts(web.store) == before
    assert client.get("/web/login").status_code == 303  # still signed in: sent straight on


def test_the_session_token_of_another_user_does_not_pass(web: RunningWeb) -> None:
    victim = web.login(ANALYST)
    attacker = web.login(user_of(Role.AUDITOR))
    attackers_token = session_csrf(attacker, "/web/no-such-page")
    before = _counts(web.store)
    answer = victim.post("/web/logout", data={"csrf_token": attackers_token})
    assert answer.status_code == 403
    assert _counts(web.store) == before


def test_the_right_token_in_the_header_passes(web: RunningWeb) -> None:
    client = web.login(ANALYST)
    token = session_csrf(client, "/web/no-such-page")
    answer = client.post("/web/logout", headers={"X-CSRF-Token": token})
    assert answer.status_code == 303
    assert _counts(web.store)[0] == 0


def test_login_form_posted_from_elsewhere_starts_no_session(web: RunningWeb) -> None:
    client = web.client()  # never opened the login page: has no csrf cookie
    before = _counts(web.store)
    answer = client.post(
        "/web/login",
        data={
            "username": ANALYST,
            "password": web.passwords[ANALYST],
            "csrf_token": "forged-token-0123456789abcdef",
        },
    )
    assert answer.status_code == 403
    assert "enlace_session" not in client.cookies
    assert _counts(web.store) == before
