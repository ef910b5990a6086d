"""The language switch (idioma): remembered in this browser, and on the user when signed in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from enlace.users.accounts import set_language
from enlace.web.context import Context
from enlace.web.i18n import LANGUAGE_COOKIE, parse_language
from enlace.web.pages.common import refusal_page, safe_local_path
from enlace.web.security import CurrentUser, csrf_checked, public

COOKIE_SECONDS = 365 * 24 * 3600
_FIELD_MAX = 2048

router = APIRouter()


# A POST with the page's CSRF token: it changes the account, so another site must not be
# able to make a signed-in browser do it (a link or an image would, were it a GET).
@router.post("/web/language", dependencies=[csrf_checked])
def switch_language(
    request: Request,
    context: Context,
    lang: Annotated[str, Form(max_length=_FIELD_MAX)] = "",
    next: Annotated[str, Form(max_length=_FIELD_MAX)] = "/web/",
    user: CurrentUser | None = public(),
) -> Response:
    """Switch the pages to `lang` ('es' or 'en') and go back to `next`."""
    chosen = parse_language(lang)
    if chosen is None or len(lang) != 2:
        return refusal_page(
            request, user, 400, "Unknown language {value}: expected es or en.", value=lang[:20]
        )
    if user is not None and user.csrf_token and user.language != chosen:
        # Saved on the account too, so the choice follows the person to another browser.
        set_language(context.store, user.username, chosen)
    response = RedirectResponse(safe_local_path(next), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen,
        max_age=COOKIE_SECONDS,
        path="/",
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response
