"""Every route of the node's application, called as every role, as nobody and as a partner.

What each call must answer is the route × role table of docs/users.md, one row a route; the
routes come from the application (`support.routes.served_routes`), so a route added without a
row fails here, and `route_roles` (the route's own `allow(...)`/`public()`) must say what its
row says: a route that states neither fails too. The partners' sub-application (TAXII,
matching) answers people's sessions and tokens with 401 whatever their role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from enlace.model.roles import Role
from enlace.store.repositories.partners import token_hash
from enlace.store.store import Store
from enlace.store.tables import metadata
from enlace.users.tokens import create_token
from enlace.web.security import (
    CSRF_COOKIE,
    CSRF_HEADER,
    CurrentUser,
    UnguardedRoute,
    allow,
    node_routes,
    original_route,
    route_checks_csrf,
    route_roles,
)
from support.pages import US_KEY
from support.routes import ROUTE_TABLE_COLUMNS, documented_routes, served_routes
from support.web import serving, user_of

_PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_LAST = {"/web/logout"}  # ends the session the other calls use: called after them
_KNOWN_VALUES = {"path": "favicon.svg"}
DOCS = Path(__file__).parents[2] / "docs" / "users.md"
PARTNER_TOKEN = "us-pulls-mx-0123456789abcdef"  # the partner US in the table's calls


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


@dataclass(frozen=True, slots=True)
class Actor:
    """One way of calling a route, and the column of the table that says what it gets."""

    column: str
    name: str
    client: httpx.Client
    headers: dict[str, str]
    browser: bool  # a browser (session or none) rather than a script with a token


def _concrete_route(path: str) -> str:
    """`path` with a value in each parameter: a file that exists for the static files (so
    'yes' there is a 200), elsewhere one that names nothing."""
    return _PARAM.sub(lambda found: _KNOWN_VALUES.get(found.group(1), "x-not-there"), path)


def _differs(cell: str, actor: Actor, answer: httpx.Response) -> str | None:
    """Why `answer` is not what `cell` says `actor` gets; None when it is."""
    status = answer.status_code
    to_login = status == 303 and answer.headers.get("location", "").startswith("/web/login?next=")
    if status >= 500:
        return "a server error"
    if cell == "yes":
        # A wrong password is the login form's own 401: the form again, not a refusal.
        login_form = status == 401 and 'name="password"' in answer.text
        if status == 403 or to_login or (status == 401 and not login_form):
            return "refused"
        return None
    if cell == "login":
        expected = to_login if actor.browser else status == 401
        return None if expected else "expected the sign-in page (or 401 for a script)"
    if cell == "no":
        shown = 'class="error-page"' in answer.text or not actor.browser
        return None if status == 403 and shown else "expected a 403 that shows no data"
    if cell == "none":
        # Nothing there: no route at all (404), or the partners' application redirecting to
        # the path with a slash (307), where TAXII's API root refuses it (401 or 404).
        final = actor.client.request(
            answer.request.method, answer.request.url, headers=actor.headers, follow_redirects=True
        )
        return None if final.status_code in (401, 404) else f"served: {final.status_code}"
    return None if str(status) == cell else f"expected {cell}"


@pytest.mark.e2e
def test_every_route_answers_every_role_as_the_table_in_docs_users_md_says(
    store: Store, tmp_path: Path
) -> None:
    table = documented_routes(DOCS.read_text(encoding="utf-8"))
    with serving(store, tmp_path / "node") as web:
        routes = served_routes(web.app)
        missing = sorted({route.label for route in routes} - table.keys())
        assert missing == [], f"routes with no row in docs/users.md's route × role table: {missing}"

        # What each web route states in code (allow/public) is what its row says.
        problems = []
        for route in routes:
            if route.application != "web":
                continue
            try:
                audience = route_roles(route.route)
            except UnguardedRoute as error:
                problems.append(str(error))
                continue
            row = table[route.label]
            opened = {role for role in Role if row[role.value] == "yes"}
            if audience is None and (row["nobody"] != "yes" or opened != set(Role)):
                problems.append(f"{route.label} is public in code, not in docs/users.md")
            elif audience is not None and (row["nobody"] != "login" or opened != audience):
                problems.append(f"{route.label} opens to {sorted(audience)} in code: {row}")
        assert problems == [], "\n".join(problems)

        with store.unit_of_work() as uow:
            uow.partners.put(
                party="US",
                url="http://127.0.0.1:9",
                verify_key_hex=US_KEY.verify_key.encode().hex(),
                token_hash=token_hash(PARTNER_TOKEN),
                added_at=uow.started_at,
            )
            uow.commit()
        visitor = web.client()
        visitor.get("/web/login")  # a visitor with the login form's csrf cookie
        actors = [
            Actor("nobody", "a browser", visitor, {CSRF_HEADER: _csrf(visitor)}, True),
            Actor("nobody", "an unknown token", web.client(), _bearer("enl_" + "x" * 43), False),
            Actor("partner", "a partner's token", web.client(), _bearer(PARTNER_TOKEN), False),
        ]
        for role in Role:
            session = web.login(user_of(role))
            actors.append(
                Actor(role.value, f"{role.value}", session, {CSRF_HEADER: _csrf(session)}, True)
            )
            _, secret = create_token(store, user_of(role), "route matrix")
            actors.append(
                Actor(role.value, f"{role.value}'s token", web.client(), _bearer(secret), False)
            )

        checked = 0
        for label in sorted(table, key=lambda label: (label.split(" ")[1] in _LAST, label)):
            method, path = label.split(" ", 1)
            for actor in actors:
                answer = actor.client.request(method, _concrete_route(path), headers=actor.headers)
                checked += 1
                cell = table[label][actor.column]
                why = _differs(cell, actor, answer)
                if why is not None:
                    problems.append(
                        f"{label} as {actor.name}: {answer.status_code}, {why} ({cell})"
                    )
        assert problems == [], "\n".join(problems)
        assert checked == len(table) * len(actors)
        print(
            f"route matrix: {len(table)} routes × {len(ROUTE_TABLE_COLUMNS)} columns = "
            f"{len(table) * len(ROUTE_TABLE_COLUMNS)} cells in docs/users.md, "
            f"{checked} requests ({len(actors)} callers a route)"
        )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_route_with_no_row_in_the_table_of_docs_users_md_is_named() -> None:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/web/new-page", dependencies=[allow(Role.ANALYST)])
    def new_page() -> dict[str, str]:
        return {}

    table = documented_routes(DOCS.read_text(encoding="utf-8"))
    assert {route.label for route in served_routes(app)} - table.keys() == {"GET /web/new-page"}


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
