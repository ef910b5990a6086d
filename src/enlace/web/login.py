"""Signing in and out (iniciar / cerrar sesión) of the node's web interface.

A successful login always starts a new session with a new random id (an id planted in the
browser before login is never promoted), sets it as an HttpOnly, SameSite=Lax cookie and
goes back to the page asked for — only a path on this node, never another site.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from enlace.users.authentication import authenticate
from enlace.users.sessions import end_session, purge_expired_sessions, start_session
from enlace.web.context import web_context
from enlace.web.rendering import render
from enlace.web.security import (
    SESSION_COOKIE,
    CurrentUser,
    allow,
    anonymous_csrf_token,
    csrf_checked,
    public,
)

HOME = "/web/"
_FIELD_MAX = 1024


def safe_next(raw: str | None) -> str:
    """`raw` when it is a path on this node's web interface, else the home page."""
    path = (raw or "").strip()
    if (
        not path.startswith("/web")
        or path.startswith("//")
        or "\\" in path
        or any(ord(char) < 32 for char in path)
        or path.startswith("/web/login")
    ):
        return HOME
    return path


def _login_page(
    request: Request,
    next_path: str,
    *,
    error: str | None = None,
    retry_minutes: int = 0,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        None,
        "login.html",
        {
            "next_path": next_path,
            "login_csrf": anonymous_csrf_token(request),
            "login_error": error,
            "retry_minutes": retry_minutes,
        },
        status_code=status_code,
    )


def build_login_router() -> APIRouter:
    """The /web/login and /web/logout routes, and /web/api/me for scripts."""
    router = APIRouter()

    @router.get("/web/login")
    def login_form(
        request: Request,
        next: str = HOME,
        user: CurrentUser | None = public(),
    ) -> Response:
        """The login page (or straight on, when already signed in)."""
        target = safe_next(next)
        if user is not None and user.csrf_token:
            return RedirectResponse(target, status_code=303)
        return _login_page(request, target)

    @router.post("/web/login", dependencies=[csrf_checked])
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=_FIELD_MAX)] = "",
        password: Annotated[str, Form(max_length=_FIELD_MAX)] = "",
        next: Annotated[str, Form(max_length=_FIELD_MAX)] = HOME,
        user: CurrentUser | None = public(),
    ) -> Response:
        """Check the username and password; start a session or say why not."""
        context = web_context(request)
        target = safe_next(next)
        client = request.client.host if request.client else None
        outcome = authenticate(
            context.store, username, password, client=client, policy=context.throttle
        )
        if outcome.user is None:
            if outcome.refusal == "blocked":
                minutes = max(1, (outcome.retry_after_seconds + 59) // 60)
                response = _login_page(
                    request, target, error="blocked", retry_minutes=minutes, status_code=429
                )
                response.headers["Retry-After"] = str(outcome.retry_after_seconds)
                return response
            return _login_page(request, target, error="wrong", status_code=401)
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            end_session(context.store, old)
        session_id, _csrf = start_session(context.store, outcome.user)
        purge_expired_sessions(context.store, context.sessions)  # rows no browser will revisit
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @router.post("/web/logout", dependencies=[csrf_checked])
    async def logout(request: Request, user: CurrentUser = allow()) -> Response:
        """End this session (deleted on the server) and go back to the login page."""
        context = web_context(request)
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            await run_in_threadpool(end_session, context.store, session_id)
        response = RedirectResponse("/web/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    @router.get("/web/api/me")
    def who_am_i(user: CurrentUser = allow()) -> dict[str, object]:
        """Who the session or API token belongs to: lets a script check its token."""
        return {
            "username": user.username,
            "display_name": user.display_name,
            "agency": user.agency,
            "roles": sorted(role.value for role in user.roles),
            "language": user.language,
        }

    return router
