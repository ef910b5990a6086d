"""Approving a partner's disclosure request, step one: the confirmation page.

Approving releases a record to a partner, signed, and cannot be taken back; so the liaison
officer first sees which record leaves and under which markings (TLP, releasable to,
handling code and note, evaluation), then confirms with a second form. A plain form post,
no script: the step works in any browser. The approval itself is
`enlace.web.pages.matching.approve`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from enlace.web import parameters
from enlace.web.context import Context
from enlace.web.navigation import DISCLOSURE_ROLES
from enlace.web.pages.common import refusal_page
from enlace.web.pages.matching import DISCLOSURE_STATUS
from enlace.web.queries.disclosure import approval_view
from enlace.web.rendering import render
from enlace.web.security import CurrentUser, allow

router = APIRouter()


@router.get("/web/matching/disclosures/{request_id}/approve")
def confirm_approval(
    request: Request,
    request_id: str,
    context: Context,
    user: CurrentUser = allow(*DISCLOSURE_ROLES),
) -> Response:
    """The record a request asks for, with its markings, and the button that approves."""
    chosen = parameters.row_id(request_id, name="request_id")
    view = approval_view(context.store, chosen)
    if view is None:
        return refusal_page(
            request, user, 404, "No disclosure request {id} came in.", id=str(chosen)
        )
    return render(
        request,
        user,
        "disclosure_confirm.html",
        {"view": view, "disclosure_status": DISCLOSURE_STATUS},
    )
