"""Every route of the node's application, called as every role and as nobody.

What each call must answer comes from `route_roles`, which reads the route's own
`allow(...)`/`public()`: a route that states neither fails here, so no page can be added
without saying who may open it. The partners' sub-application (TAXII, matching) answers
people's sessions with 401 whatever their role: it takes partner tokens only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from starlette.routing import Mount

from enlace.model.roles import Role
from enlace.store.store import Store
from enlace.store.tables import metadata
from enlace.web.security import (
    CSRF_COOKIE,
    CurrentUser,
    UnguardedRoute,
    allow,
    node_routes,
    original_route,
    route_checks_csrf,
    route_roles,
)
from support.web import serving, user_of

_PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_LAST = {"/web/logout"}  # ends the session the other calls use: called after them


def _concrete(path: str) -> str:
    """The route's path with a harmless value in each parameter."""
    return _PARAM.sub("x-not-there", path)


def _calls(routes: list[Any]) -> list[tuple[str, str, Any]]:
    calls = [
        (method, _concrete(route.path), route)
        for route in routes
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]
    return sorted(calls, key=lambda call: (call[1] in _LAST, call[1], call[0]))


def _csrf(client: httpx.Client) -> str:
    page = client.get("/web/no-such-page-x")
    found = _CSRF_FIELD.search(page.text)
    if found is not None:
        return found.group(1)
    return client.cookies.get(CSRF_COOKIE) or ""


@pytest.mark.e2e
def test_every_route_answers_every_role_and_nobody_as_it_states(
    store: Store, tmp_path: Path
) -> None:
    with serving(store, tmp_path / "node") as web:
        app_routes = node_routes(web.app)
        api_routes = [r for r in app_routes if isinstance(original_route(r), APIRoute)]
        mounts = [route for route in map(original_route, app_routes) if isinstance(route, Mount)]
        others = [r for r in app_routes if not isinstance(original_route(r), APIRoute | Mount)]
        assert others == [], f"routes whose audience cannot be read: {others}"
        audiences: dict[tuple[str, str], frozenset[Role] | None] = {}
        for route in api_routes:
            try:
                audience = route_roles(route)
            except UnguardedRoute as error:
                raise AssertionError(str(error)) from None
            for method in route.methods:
                audiences[(method, _concrete(route.path))] = audience

        nobody = web.client()
        nobody.get("/web/login")  # a visitor with the login form's csrf cookie
        actors: dict[Role | None, httpx.Client] = {None: nobody}
        for role in Role:
            actors[role] = web.login(user_of(role))
        tokens = {actor: _csrf(client) for actor, client in actors.items()}

        problems = []
        checked = 0
        for method, path, _route in _calls(api_routes):
            allowed = audiences[(method, path)]
            for actor, client in actors.items():
                answer = client.request(method, path, headers={"X-CSRF-Token": tokens[actor]})
                checked += 1
                where = f"{method} {path} as {actor or 'nobody'}: {answer.status_code}"
                location = answer.headers.get("location", "")
                if answer.status_code >= 500:
                    problems.append(f"{where} (server error)")
                elif allowed is None:
                    if answer.status_code == 403:
                        problems.append(f"{where} (public route refused)")
                elif actor is None:
                    if answer.status_code != 303 or not location.startswith("/web/login?next="):
                        problems.append(f"{where} (expected 303 to the login page)")
                elif actor in allowed:
                    if answer.status_code == 403 or location.startswith("/web/login?next="):
                        problems.append(f"{where} (allowed role refused)")
                elif answer.status_code != 403 or 'class="error-page"' not in answer.text:
                    problems.append(f"{where} (expected the 403 page)")
        assert problems == [], "\n".join(problems)
        assert checked >= len(api_routes) * len(actors)

        # The partners' sub-application: no session of any role opens it.
        assert sorted((mount.name for mount in mounts), key=str) == ["partners", "static"]
        partners = next(mount for mount in mounts if mount.name == "partners")
        assert isinstance(partners.app, FastAPI)
        partner_routes = [
            r for r in node_routes(partners.app) if isinstance(original_route(r), APIRoute)
        ]
        assert any(route.path == "/taxii2/" for route in partner_routes)
        for method, path, _route in _calls(partner_routes):
            for actor, client in actors.items():
                answer = client.request(method, path, headers={"X-CSRF-Token": tokens[actor]})
                assert answer.status_code == 401, f"{method} {path} as {actor}: {answer.text}"


def test_a_route_stating_no_audience_is_named_and_router_gates_count() -> None:
    app = FastAPI()
    guarded = APIRouter(dependencies=[allow(Role.AUDITOR)])

    @app.get("/web/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    @guarded.get("/web/guarded")
    def guarded_page(user: CurrentUser = allow(Role.AUDITOR, Role.ANALYST)) -> dict[str, str]:
        return {}

    app.include_router(guarded)
    routes = {original_route(r).path: r for r in node_routes(app)}  # type: ignore[attr-defined]
    with pytest.raises(UnguardedRoute, match=r"GET /web/forgotten \(forgotten\) has neither"):
        route_roles(routes["/web/forgotten"])
    assert route_roles(routes["/web/guarded"]) == frozenset({Role.AUDITOR})


_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _row_counts(store: Store) -> dict[str, int]:
    """How many rows each table holds: any write shows."""
    with store.unit_of_work() as uow:
        return {
            table.name: int(
                uow.connection.execute(select(func.count()).select_from(table)).scalar() or 0
            )
            for table in metadata.sorted_tables
        }


@pytest.mark.e2e
def test_every_route_that_changes_something_refuses_a_forged_csrf_token(
    store: Store, tmp_path: Path
) -> None:
    with serving(store, tmp_path / "node") as web:
        unsafe = [
            (method, path, route)
            for method, path, route in _calls(
                [r for r in node_routes(web.app) if isinstance(original_route(r), APIRoute)]
            )
            if method in _UNSAFE
        ]
        assert unsafe, "no route changes anything?"
        unchecked = [
            f"{method} {path}" for method, path, route in unsafe if not route_checks_csrf(route)
        ]
        assert unchecked == [], f"routes that change something without csrf_checked: {unchecked}"
        nobody = web.client()
        nobody.get("/web/login")
        clients: dict[Role | None, httpx.Client] = {None: nobody}
        for role in Role:
            clients[role] = web.login(user_of(role))
        for method, path, route in unsafe:
            roles = route_roles(route)
            actor = None if roles is None else sorted(roles)[0]
            before = _row_counts(store)
            answer = clients[actor].request(
                method, path, data={"csrf_token": "forged-0123456789abcdef0123456789"}
            )
            assert answer.status_code == 403, f"{method} {path} as {actor}: {answer.status_code}"
            assert _row_counts(store) == before, f"{method} {path} wrote with a forged token"
            non_ascii = clients[actor].request(method, path, data={"csrf_token": "ñ" * 40})
            assert non_ascii.status_code == 403, f"{method} {path}: {non_ascii.status_code}"


@pytest.mark.e2e
def test_a_path_with_control_characters_is_a_400_for_every_application(
    store: Store, tmp_path: Path
) -> None:
    with serving(store, tmp_path / "node", users_per_role=False) as web:
        client = web.client()
        for path in ("/enlace%00/", "/taxii2%0A/", "/matching/v1/runs%00", "/web/%7F"):
            answer = client.get(path)
            assert answer.status_code == 400, f"{path}: {answer.status_code}"
        with store.unit_of_work() as uow:
            logged = uow.connection.execute(
                select(func.count()).select_from(metadata.tables["audit_log"])
            ).scalar()
        assert logged == 0
