"""How the node's application answers when something is refused or wrong.

Under ``/web/`` a person gets a page in their language: the login page for no session, a
403 page that shows no data for a missing role or a forged form, a 400 page for input
that cannot be read (a parameter `enlace.web.parameters` refuses names itself, what was
found and what was expected), and never a traceback. Elsewhere (the matching API, scripts with API
tokens) the answer is JSON; the TAXII routes keep their own handlers.
"""

from __future__ import annotations

import logging
from html import escape
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from enlace.model.roles import Role
from enlace.reports.catalogue import Language
from enlace.store.errors import TextRefused
from enlace.web.i18n import translate
from enlace.web.navigation import ROLE_NAMES
from enlace.web.parameters import BadParameter
from enlace.web.rendering import render, request_language
from enlace.web.security import (
    CSRF_MISMATCH,
    LOGIN_PATH,
    AccessDenied,
    CsrfRejected,
    LoginRequired,
    current_user,
    is_api_request,
    t,
)

_log = logging.getLogger(__name__)

_TITLES = {
    400: "The request could not be read",
    401: "Sign in required",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
}


_BAD_FIELDS = t("These fields are missing or not valid: {fields}.")
_NUL_TEXT = t(
    "The text sent holds a NUL character (U+0000), which no store keeps: nothing was written."
)
_FAULT = t("The node could not complete this request; the fault is logged.")


def _role_names(roles: str, lang: Language) -> str:
    """'administrator, auditor' as the reader calls those roles ('Administrador, Auditor')."""
    names = []
    for value in roles.split(", "):
        role = Role._value2member_map_.get(value)
        names.append(translate(lang, ROLE_NAMES[Role(value)]) if role is not None else value)
    return ", ".join(names)


def login_redirect(next_path: str) -> RedirectResponse:
    """303 to the login page, coming back to `next_path` after."""
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(next_path, safe='/')}", status_code=303)


def error_page(
    request: Request,
    status: int,
    message: str,
    *,
    values: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The answer for an error: an HTML page for people, in their language (`message` is an
    English msgid, filled with `values`), or a JSON body in English for scripts."""
    headers = headers or {}
    if is_api_request(request):
        detail = message.format(**values) if values else message
        return JSONResponse(
            {"title": _TITLES.get(status, "Error"), "detail": detail, "status": status},
            status_code=status,
            headers=headers or None,
        )
    try:
        user = current_user(request)
    except Exception:  # the page about an error must not fail on the session itself
        user = None
    response: Response
    try:
        response = render(
            request,
            user,
            "error.html",
            {
                "status": status,
                "title": _TITLES.get(status, "Error"),
                "message": message,
                "message_values": values or {},
            },
            status_code=status,
        )
    except Exception:
        _log.exception("error page could not be rendered; answering in plain HTML")
        response = _plain_page(status, message.format(**values) if values else message)
    response.headers.update(headers)
    return response


def _plain_page(status: int, message: str) -> Response:
    title = _TITLES.get(status, "Error")
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"</head><body><h1>{escape(title)}</h1><p>{escape(message)}</p>"
        f"<p><a href='/web/'>Enlace</a></p></body></html>"
    )
    return Response(body, status_code=status, media_type="text/html")


def install_error_pages(app: FastAPI) -> None:
    """Register the handlers of refusals and errors on the node's application."""

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, error: LoginRequired) -> Response:
        return login_redirect(error.next_path)

    @app.exception_handler(AccessDenied)
    async def access_denied(request: Request, error: AccessDenied) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
        values = dict(error.values)
        if "roles" in values and not is_api_request(request):
            values["roles"] = _role_names(values["roles"], request_language(request, error.user))
        return error_page(request, error.status, error.msgid, values=values, headers=headers)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, error: CsrfRejected) -> Response:
        return error_page(request, 403, CSRF_MISMATCH)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        headers: dict[str, str] = dict(error.headers or {})
        return error_page(request, error.status_code, str(error.detail), headers=headers)

    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, error: BadParameter) -> Response:
        return error_page(request, 400, error.msgid, values=error.values)

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, error: RequestValidationError) -> Response:
        fields = sorted(
            {".".join(str(part) for part in item["loc"][1:]) for item in error.errors()}
        )
        named = ", ".join(field for field in fields if field) or "—"
        return error_page(request, 400, _BAD_FIELDS, values={"fields": named})

    @app.exception_handler(TextRefused)
    async def nul_text(request: Request, error: TextRefused) -> Response:
        # Input, not a fault: the store refused it before the database was asked.
        return error_page(request, 400, _NUL_TEXT)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # A fault of ours, not of the input: logged with its traceback, never shown.
        _log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
        return error_page(request, 500, _FAULT)
