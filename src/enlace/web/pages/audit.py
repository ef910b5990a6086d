"""Audit (bitácora de auditoría): the node's log, newest first, and whether its hash chain
is intact — for auditors and administrators, read-only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from enlace.web import parameters
from enlace.web.context import Context
from enlace.web.navigation import AUDIT_ROLES
from enlace.web.queries.audit import audit_view
from enlace.web.rendering import render
from enlace.web.security import CurrentUser, allow

router = APIRouter()


@router.get("/web/audit")
def audit_page(
    request: Request,
    context: Context,
    action: str = "",
    page: str = "",
    user: CurrentUser = allow(*AUDIT_ROLES),
) -> HTMLResponse:
    """One page of the log (optionally of one action) and the chain's verification."""
    view = audit_view(
        context.store,
        action=parameters.name_text(action, name="action"),
        page=parameters.page_number(page),
    )
    return render(request, user, "audit.html", {"view": view})
