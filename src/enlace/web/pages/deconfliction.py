"""Deconfliction (desconflicto): the notices of this node's liaison officers, each saying
which of our operations overlaps a partner's, on what, and whom to call
(docs/deconfliction.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from enlace.matching.operations import deconfliction_notices
from enlace.web.context import Context
from enlace.web.navigation import DECONFLICTION_ROLES
from enlace.web.rendering import render
from enlace.web.security import CurrentUser, allow

router = APIRouter()
# What two operations have in common (enlace.matching.operations.matched_on_text), as msgids.
IN_COMMON = {
    "target": "the same target",
    "area": "the same area and day",
    "area target": "the same target, and the same area and day",
}


@router.get("/web/deconfliction")
def notices(
    request: Request, context: Context, user: CurrentUser = allow(*DECONFLICTION_ROLES)
) -> HTMLResponse:
    """Every deconfliction notice, newest first."""
    return render(
        request,
        user,
        "deconfliction.html",
        {"notices": deconfliction_notices(context.store), "in_common": IN_COMMON},
    )
