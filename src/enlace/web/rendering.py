"""Server-rendered pages: one Jinja2 environment (autoescaped) and `render`.

Every page extends ``base.html``, which needs to know who is reading (the menu by role, the
CSRF token for forms) and in which language. `render` works that out from the request and
the current user and hands the template a `Formatter` (``t``): ``t(msgid)`` translates
(msgids are the English text), ``t.number``/``t.date``/``t.timestamp`` format in the
reader's language.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2.runtime import Context as JinjaContext

from enlace.reports.catalogue import Language
from enlace.web import markings
from enlace.web.codes import Title
from enlace.web.context import WebContext
from enlace.web.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_COOKIE,
    LANGUAGE_NAMES,
    LANGUAGES,
    Formatter,
    parse_language,
    preferred_language,
)
from enlace.web.navigation import ROLE_NAMES, menu_for
from enlace.web.security import csrf_token_of

if TYPE_CHECKING:
    from enlace.web.security import CurrentUser

_TEMPLATES = Path(__file__).with_name("templates")


@jinja2.pass_context
def _finalize(context: JinjaContext, value: Any) -> Any:
    # A generated record title holds codes (a drug type, a unit, a relationship type):
    # whatever page prints one, from whichever query, writes them in the reader's language.
    if isinstance(value, Title):
        return context["t"].title(value)
    return value


# Building an environment reads no file (templates load on first use): cheap at import.
templates = jinja2.Environment(
    finalize=_finalize,
    loader=jinja2.FileSystemLoader(_TEMPLATES),
    autoescape=True,  # record texts come from imports and from partners
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def request_language(request: Request, user: CurrentUser | None) -> Language:
    """The reader's language: this browser's last choice (cookie), else the user's saved
    one, else the browser's Accept-Language, else Spanish."""
    return (
        parse_language(request.cookies.get(LANGUAGE_COOKIE))
        or (parse_language(user.language) if user is not None else None)
        or preferred_language(request.headers.get("accept-language"))
        or DEFAULT_LANGUAGE
    )


def render(
    request: Request,
    user: CurrentUser | None,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """Render `template` for `user` (None on public pages) in the reader's language."""
    lang = request_language(request, user)
    t = Formatter(lang)
    page = templates.get_template(template)
    values: dict[str, Any] = {
        "request": request,
        "user": user,
        "lang": lang,
        "t": t,
        "party": _node_party(request),
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "menu": menu_for(user.roles) if user is not None else [],
        "role_names": ROLE_NAMES,
        "here": request.url.path,
        "here_with_query": _path_with_query(request),
        "csrf_token": user.csrf_token if user is not None else "",
        # The language switch is a form on every page, signed in or not.
        "language_csrf": csrf_token_of(request, user),
        "tlp_badge": lambda tlp: markings.tlp_badge(tlp, t),
        "handling_badge": lambda code: markings.handling_badge(code, t),
        "evaluation_badge": lambda grade: markings.evaluation_badge(grade, t),
        "releasability": lambda codes: markings.releasability(codes, t),
    }
    values.update(context)  # a page may say otherwise (the login form's own CSRF token)
    body = page.render(values)
    return HTMLResponse(body, status_code=status_code, headers={"Content-Language": lang})


def _node_party(request: Request) -> str | None:
    # None for an application create_node_app did not build (it has no context).
    context = getattr(request.app.state, "enlace", None)
    return context.party if isinstance(context, WebContext) else None


def _path_with_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
