"""API tokens for scripts: Bearer requests answered in JSON, audited, refused when revoked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from enlace.model.roles import Role
from enlace.store.store import Store
from enlace.store.tables import audit_log
from enlace.users.refused_requests import flush_refused_requests
from enlace.users.tokens import create_token, revoke_token
from enlace.web.security import node_routes, original_route, route_roles
from support.web import RunningWeb, serving, user_of

pytestmark = pytest.mark.e2e

AUDITOR = user_of(Role.AUDITOR)


@pytest.fixture
def web(store: Store, tmp_path: Path) -> Iterator[RunningWeb]:
    with serving(store, tmp_path / "node") as running:
        yield running


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _token_audit(store: Store) -> list[tuple[str, str, str | None]]:
    with store.unit_of_work() as uow:
        rows = uow.connection.execute(
            select(audit_log.c.action, audit_log.c.actor, audit_log.c.subject)
            .where(audit_log.c.action.in_(["token-use", "token-failure"]))
            .order_by(audit_log.c.seq)
        )
        return [(row.action, row.actor, row.subject) for row in rows]


def _page_closed_to(web: RunningWeb, role: Role) -> str:
    """A GET page (no path parameter) that `role` may not open."""
    for route in node_routes(web.app):
        declared = original_route(route)
        if not isinstance(declared, APIRoute) or "GET" not in (declared.methods or ()):
            continue
        roles = route_roles(route)
        if roles is not None and role not in roles and "{" not in declared.path:
            return declared.path
    raise AssertionError(f"no page is closed to {role}")


def test_a_token_acts_as_its_user_and_each_use_is_audited(web: RunningWeb) -> None:
    _token, secret = create_token(web.store, AUDITOR, "audit export")
    answer = web.client().get("/web/api/me", headers=_bearer(secret))
    assert answer.status_code == 200
    assert answer.json() == {
        "username": AUDITOR,
        "display_name": "Auditor-User",
        "agency": "FGR",
        "roles": ["auditor"],
        "language": "es",
    }
    assert _token_audit(web.store) == [("token-use", AUDITOR, "/web/api/me")]


def test_unknown_and_revoked_tokens_get_401_json_and_are_audited(web: RunningWeb) -> None:
    token, secret = create_token(web.store, AUDITOR, "audit export")
    revoke_token(web.store, token.id)
    client = web.client()
    for presented in (secret, "enl_not-a-token-anyone-made"):
        answer = client.get("/web/api/me", headers=_bearer(presented))
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "enlace user token" in answer.json()["detail"]
    assert _token_audit(web.store) == [("token-failure", AUDITOR, "/web/api/me")]
    # A token nobody holds: counted with the other refused anonymous requests.
    assert flush_refused_requests(web.store, include_open=True) == 1
    with web.store.unit_of_work() as uow:
        (counted,) = uow.audit.latest(1)
    assert counted.detail["reasons"] == {"api-token: unknown token": 1}


def test_a_token_without_the_role_gets_403_json_and_no_page(web: RunningWeb) -> None:
    _token, secret = create_token(web.store, AUDITOR, "audit export")
    closed = _page_closed_to(web, Role.AUDITOR)
    answer = web.client().get(closed, headers=_bearer(secret))
    assert answer.status_code == 403
    body = answer.json()
    assert body["status"] == 403
    assert f"{AUDITOR} may not use {closed}: it needs one of the roles" in body["detail"]
    assert "<html" not in answer.text


def test_a_token_needs_no_csrf_token_for_a_post(web: RunningWeb) -> None:
    _token, secret = create_token(web.store, AUDITOR, "script")
    answer = web.client().post("/web/logout", headers=_bearer(secret))
    assert answer.status_code == 303


def test_a_user_token_opens_nothing_of_the_partners_exchange(web: RunningWeb) -> None:
    _token, secret = create_token(web.store, AUDITOR, "script")
    answer = web.client().get("/taxii2/", headers=_bearer(secret))
    assert answer.status_code == 401


def test_a_token_sent_to_a_path_with_a_nul_byte_is_a_400_and_logs_nothing(
    web: RunningWeb,
) -> None:
    answer = web.client().get(
        "/web/api/me%00", headers={b"Authorization": "Bearer enl_made-up\xe9".encode("latin-1")}
    )
    assert answer.status_code == 400
    assert answer.json()["status"] == 400
    assert _token_audit(web.store) == []
