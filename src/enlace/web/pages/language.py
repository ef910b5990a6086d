"""The language switch (idioma): remembered in this browser, and on the user when signed in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from enlace.users.accounts import set_language
from enlace.web.context import Context
from enlace.web.i18n import LANGUAGE_COOKIE, parse_language
from enlace.web.pages.common import refusal_page, safe_local_path
from enlace.web.security import CurrentUser, public

COOKIE_SECONDS = 365 * 24 * 3600

router = APIRouter()


@router.get("/web/language")
def switch_language(
    request: Request,
    context: Context,
    lang: str = "",
    next: str = "/web/",
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
