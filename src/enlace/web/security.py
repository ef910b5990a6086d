"""Who may call which route of the web application, and protection against forged requests.

Every route states its audience with one dependency:

- `allow(Role.ANALYST, ...)` — signed-in users holding one of those roles (`allow()` with
  no role: any signed-in user). A browser without a session is sent to the login page
  (303), a user without the role gets a 403 page with no data, and the refusal is audited
  (``access-denied``: who, which path, which roles it needs); a script with a Bearer API
  token gets 401/403 JSON.
- `public()` — anyone (login, language switch); gives the `CurrentUser` when there is one.

`csrf_checked` guards every POST/PUT/DELETE a browser sends: the form field ``csrf_token``
or the header ``X-CSRF-Token`` must equal the session's token (before login: the token of
the ``enlace_csrf`` cookie). Requests with a Bearer token skip it: browsers never add
those headers on their own, so a forged cross-site request cannot carry one.

`route_roles` reads those dependencies back, so a test can walk every route.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import fastapi.routing
from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from enlace.model.roles import ALL_ROLES, Role
from enlace.users.access_log import audit_access_denied
from enlace.users.sessions import active_session
from enlace.users.tokens import token_user
from enlace.web.context import web_context

SESSION_COOKIE = "enlace_session"
CSRF_COOKIE = "enlace_csrf"  # the token of a visitor not signed in yet (login form)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PATH = "/web/login"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_STATE_SESSION = "enlace_session"
_STATE_TOKEN_USER = "enlace_token_user"  # noqa: S105 — a name, not a secret
_STATE_ANONYMOUS_CSRF = "enlace_anonymous_csrf"


@dataclass(frozen=True)
class CurrentUser:
    """The person (or script, through an API token) making the request."""

    username: str
    display_name: str
    roles: frozenset[Role]
    language: str  # "es" | "en"
    csrf_token: str  # "" for API tokens, which need none
    agency: str | None

    def has(self, *roles: Role) -> bool:
        """True when the user holds any of `roles`."""
        return bool(self.roles.intersection(roles))


def t(message: str) -> str:
    """Mark `message` (an English msgid) for the page catalogs; it is translated where shown."""
    return message


ROLE_MISSING = t("{user} may not use {path}: it needs one of the roles {roles}.")
CSRF_MISMATCH = t(
    "This form was not sent from this node's own page (its security token is missing or does not match): reload the page and try again."
)  # one literal (not split in two): the catalogs extract it whole


class LoginRequired(Exception):
    """A browser asked for a page that needs a session it does not have."""

    def __init__(self, next_path: str) -> None:
        super().__init__(f"sign in to see {next_path}")
        self.next_path = next_path


class AccessDenied(Exception):
    """The caller is known but may not use this route (or, with `status` 401, is not known)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 403,
        user: CurrentUser | None = None,
        api: bool,
        values: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message.format(**values) if values else message)
        self.msgid = message
        self.values = values or {}
        self.status = status
        self.user = user
        self.api = api


class CsrfRejected(Exception):
    """A browser's POST/PUT/DELETE came without the session's CSRF token."""


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def is_api_request(request: Request) -> bool:
    """True for a script (Bearer token, or no HTML wanted outside /web/): answered in JSON."""
    if _bearer(request) is not None:
        return True
    return not request.url.path.startswith("/web") and "text/html" not in request.headers.get(
        "accept", ""
    )


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _session_user(request: Request) -> CurrentUser | None:
    """The user of the request's session cookie, looked up once per request."""
    if hasattr(request.state, _STATE_SESSION):
        found: CurrentUser | None = getattr(request.state, _STATE_SESSION)
        return found
    context = web_context(request)
    session_id = request.cookies.get(SESSION_COOKIE, "")
    session = active_session(context.store, session_id, context.sessions) if session_id else None
    user = None
    if session is not None:
        user = CurrentUser(
            username=session.user.username,
            display_name=session.user.display_name,
            roles=session.user.roles,
            language=session.user.language,
            csrf_token=session.csrf_token,
            agency=session.user.agency,
        )
    setattr(request.state, _STATE_SESSION, user)
    return user


def _token_user(request: Request, token: str) -> CurrentUser | None:
    """The user of a Bearer token, looked up (and audited) once per request."""
    if hasattr(request.state, _STATE_TOKEN_USER):
        found: CurrentUser | None = getattr(request.state, _STATE_TOKEN_USER)
        return found
    context = web_context(request)
    account = token_user(context.store, token, path=request.url.path, client=_client(request))
    user = None
    if account is not None:
        user = CurrentUser(
            username=account.username,
            display_name=account.display_name,
            roles=account.roles,
            language=account.language,
            csrf_token="",
            agency=account.agency,
        )
    setattr(request.state, _STATE_TOKEN_USER, user)
    return user


def current_user(request: Request) -> CurrentUser | None:
    """Who makes `request`: by Bearer token if it has one, else by session cookie."""
    token = _bearer(request)
    if token is not None:
        return _token_user(request, token)
    return _session_user(request)


class RoleGate:
    """The dependency `allow` builds: resolves the caller and checks the roles."""

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    def __call__(self, request: Request) -> CurrentUser:
        api = is_api_request(request)
        user = current_user(request)
        if user is None:
            if api:
                raise AccessDenied(
                    "authentication required: send 'Authorization: Bearer <API token>' "
                    "(make one with 'enlace user token')",
                    status=401,
                    api=True,
                )
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            # A form sent after the session ended cannot be replayed by a redirect: back to
            # the start page after login, not to a route that only takes POST.
            raise LoginRequired(path if request.method in ("GET", "HEAD") else "/web/")
        if not user.roles & self.roles:
            needed = ", ".join(sorted(role.value for role in self.roles))
            _audit_refusal(request, user, needed)
            raise AccessDenied(
                ROLE_MISSING,
                values={"user": user.username, "path": request.url.path, "roles": needed},
                user=user,
                api=api,
            )
        return user

    def __repr__(self) -> str:
        return f"allow({', '.join(sorted(self.roles))})"


def _audit_refusal(request: Request, user: CurrentUser, needed: str) -> None:
    # A signed-in person trying pages their roles do not open is what an auditor looks
    # for (a probe, or roles that need changing): one entry per refusal, nothing else.
    audit_access_denied(
        web_context(request).store,
        username=user.username,
        path=request.url.path,
        method=request.method,
        roles_needed=needed,
        client=_client(request),
    )


class PublicGate:
    """The dependency `public` builds: nobody is turned away."""

    def __call__(self, request: Request) -> CurrentUser | None:
        return current_user(request)

    def __repr__(self) -> str:
        return "public()"


_PUBLIC = PublicGate()


def allow(*roles: Role) -> Any:
    """Dependency: only signed-in users with one of `roles` (none given: any signed-in user).

    Use as ``user: CurrentUser = allow(Role.ANALYST)``, or in ``dependencies=[...]``.
    """
    return Depends(RoleGate(frozenset(roles) or ALL_ROLES))


def public() -> Any:
    """Dependency: anyone may call the route; gives the `CurrentUser` or None."""
    return Depends(_PUBLIC)


def anonymous_csrf_token(request: Request) -> str:
    """The CSRF token of a visitor without a session: from its cookie, or a new one that the
    application sets as the cookie on the way out."""
    existing = getattr(request.state, _STATE_ANONYMOUS_CSRF, None)
    if isinstance(existing, str):
        return existing
    token = request.cookies.get(CSRF_COOKIE, "")
    if not (20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()):
        token = secrets.token_urlsafe(32)
        request.state.enlace_new_csrf_cookie = token
    setattr(request.state, _STATE_ANONYMOUS_CSRF, token)
    return token


def csrf_token_of(request: Request, user: CurrentUser | None = None) -> str:
    """The token forms of this page must send back: the session's, or the visitor's."""
    if user is not None and user.csrf_token:
        return user.csrf_token
    return anonymous_csrf_token(request)


async def _csrf_checked(request: Request) -> None:
    if request.method not in _UNSAFE_METHODS or _bearer(request) is not None:
        return
    user = await run_in_threadpool(_session_user, request)
    expected = user.csrf_token if user is not None else request.cookies.get(CSRF_COOKIE, "")
    if not expected:
        # Nothing to compare with: refused before the body is read.
        raise CsrfRejected(CSRF_MISMATCH)
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                form = await request.form()
            except Exception:  # a malformed body: no token could be read from it
                form = None
            value = form.get(CSRF_FIELD) if form is not None else None
            sent = value if isinstance(value, str) else ""
    # Bytes: compare_digest refuses str with non-ASCII characters, which a forger may send.
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRejected(CSRF_MISMATCH)


csrf_checked: Any = Depends(_csrf_checked)
"""Dependency for every POST/PUT/DELETE from a browser: ``dependencies=[csrf_checked]``."""


class UnguardedRoute(LookupError):
    """A route states neither `allow(...)` nor `public()`."""


def node_routes(app: FastAPI) -> list[Any]:
    """Every route of `app` as it is served: the routes of included routers with the
    router's own dependencies applied (FastAPI >= 0.160 keeps included routers whole and
    offers `iter_route_contexts`; older versions copied their routes into `app.routes`)."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    if iterate is None:
        return list(app.routes)
    return list(iterate(app.routes))


def original_route(route: Any) -> BaseRoute:
    """The route object as declared (an `APIRoute`, a `Mount`...) behind a route context."""
    found: BaseRoute = getattr(route, "original_route", route)
    return found


def _gates(route: Any) -> list[object]:
    found: list[object] = []
    dependant = getattr(route, "dependant", None)
    pending = list(dependant.dependencies) if dependant is not None else []
    while pending:
        item = pending.pop()
        if isinstance(item.call, RoleGate | PublicGate):
            found.append(item.call)
        pending.extend(item.dependencies)
    return found


def route_checks_csrf(route: Any) -> bool:
    """True when `route` (an `APIRoute` or one of `node_routes(app)`) depends on
    `csrf_checked`, directly or through its router."""
    dependant = getattr(route, "dependant", None)
    pending = list(dependant.dependencies) if dependant is not None else []
    while pending:
        item = pending.pop()
        if item.call is _csrf_checked:
            return True
        pending.extend(item.dependencies)
    return False


def route_roles(route: Any) -> frozenset[Role] | None:
    """The roles that may call `route` (None: public); UnguardedRoute when it says neither.

    `route` is an `APIRoute` or one of `node_routes(app)`.
    """
    declared = original_route(route)
    if not isinstance(declared, APIRoute):
        raise UnguardedRoute(f"{declared!r} is not an API route: its audience cannot be read")
    gates = _gates(route)
    role_gates = [gate for gate in gates if isinstance(gate, RoleGate)]
    if role_gates:
        allowed = ALL_ROLES
        for gate in role_gates:  # every gate must be passed: the roles they share
            allowed &= gate.roles
        return allowed
    if gates:
        return None
    methods = ",".join(sorted(declared.methods or ()))
    raise UnguardedRoute(
        f"route {methods} {declared.path} ({declared.name}) has neither allow(...) nor public()"
    )
