"""The browser's icon. Browsers ask for /favicon.ico on their own; answered here, the
request never reaches the TAXII routes, which would log it as a failed authentication."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from enlace.web.security import public

router = APIRouter()


@router.get("/favicon.ico", dependencies=[public()], include_in_schema=False)
def favicon() -> Response:
    """The icon the pages link to (``<link rel="icon">``), for browsers that ask anyway."""
    return RedirectResponse("/web/static/favicon.svg", status_code=301)
