"""An analyst's watchlist (lista de vigilancia) and its alerts (alertas): the identifiers
they watch, adding one, checking now against partners (private matching), and the alerts
raised when a partner holds one (docs/watchlists.md). Each analyst sees only their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from enlace.matching.errors import MatchingError
from enlace.matching.kind_names import EXACT_KIND_NAMES
from enlace.matching.watchlists import (
    MAX_IDENTIFIER,
    add_to_watchlist,
    check_watchlists,
    remove_from_watchlist,
)
from enlace.node.errors import NodeError
from enlace.web import parameters
from enlace.web.context import Context
from enlace.web.i18n import IDENTIFIER_KINDS
from enlace.web.navigation import WATCHLIST_ROLES
from enlace.web.pages.common import refusal_page
from enlace.web.queries.watchlists import watchlist_view
from enlace.web.rendering import render
from enlace.web.security import CurrentUser, allow, csrf_checked

router = APIRouter()
# The kinds an analyst can watch, with their labels (msgids): the exact identifiers.
WATCHED_KINDS = {kind: IDENTIFIER_KINDS[kind] for kind in EXACT_KIND_NAMES}
# How each kind is written in the form (shown as a hint; never translated: they are formats).
KIND_FORMATS = {
    "firearm": "GLOCK|BXR123",
    "vin": "1HGCM82633A004352",
    "plate": "MX|MX-BCN|ABC123A",
    "phone": "+52 55 1234 5678",
    "curp": "GOMC850312HDFRRR05",
    "org-name": "Transportes del Norte SA de CV",
    "rfc": "TNO010101AB1",
}


@router.get("/web/watchlist")
def watchlist_page(
    request: Request,
    context: Context,
    added: str = "",
    removed: str = "",
    checked: str = "",
    missed: str = "",
    user: CurrentUser = allow(*WATCHLIST_ROLES),
) -> HTMLResponse:
    """The analyst's watched identifiers, their alerts, the form to add one, check now."""
    outcome = parameters.choice(added, name="added", choices=("new", "held"))
    taken_off = parameters.choice(removed, name="removed", choices=("1",))
    new_alerts = parameters.count(checked, name="checked")
    unchecked = parameters.count(missed, name="missed")
    view = watchlist_view(context.store, user.username)
    return render(
        request,
        user,
        "watchlist.html",
        {
            "view": view,
            "kinds": WATCHED_KINDS,
            "formats": KIND_FORMATS,
            "added": outcome,
            "removed": bool(taken_off),
            "checked": new_alerts,
            "missed": unchecked,
            "max_identifier": MAX_IDENTIFIER,
        },
    )


@router.post("/web/watchlist", dependencies=[csrf_checked])
def add_entry(
    request: Request,
    context: Context,
    kind: Annotated[str, Form(max_length=16)] = "",
    identifier: Annotated[str, Form(max_length=MAX_IDENTIFIER)] = "",
    user: CurrentUser = allow(*WATCHLIST_ROLES),
) -> Response:
    """Put an identifier on the analyst's own watchlist."""
    chosen = parameters.choice(kind, name="kind", choices=WATCHED_KINDS)
    text = parameters.bounded_text(identifier, name="identifier", high=MAX_IDENTIFIER)
    if not chosen or not text:
        return refusal_page(
            request, user, 400, "Choose a kind and write the identifier; nothing was added."
        )
    try:
        done = add_to_watchlist(
            context.store, owner=user.username, kind=chosen, identifier=text, actor=user.username
        )
    except MatchingError as error:
        return refusal_page(request, user, 400, "Not added: {reason}", reason=str(error))
    state = "new" if done.added else "held"
    return RedirectResponse(f"/web/watchlist?added={state}", status_code=303)


@router.post("/web/watchlist/remove", dependencies=[csrf_checked])
def remove_entry(
    request: Request,
    context: Context,
    entry: Annotated[str, Form(max_length=12)] = "",
    user: CurrentUser = allow(*WATCHLIST_ROLES),
) -> Response:
    """Take an identifier off the analyst's own watchlist (another's is never touched)."""
    entry_id = parameters.row_id(entry, name="entry")
    try:
        remove_from_watchlist(
            context.store, owner=user.username, entry_id=entry_id, actor=user.username
        )
    except MatchingError:
        return refusal_page(
            request, user, 404, "That entry is not on your watchlist; nothing was removed."
        )
    return RedirectResponse("/web/watchlist?removed=1", status_code=303)


@router.post("/web/watchlist/check", dependencies=[csrf_checked])
def check_now(
    request: Request,
    context: Context,
    user: CurrentUser = allow(*WATCHLIST_ROLES),
) -> Response:
    """Check every watchlist against the partners now; the new alerts are counted."""
    try:
        report = check_watchlists(
            context.store,
            context.key_dir,
            webhook_url=context.config.webhook_url,
            actor=user.username,
        )
    except (MatchingError, NodeError) as error:
        return refusal_page(request, user, 502, "Could not check: {reason}", reason=str(error))
    if report.problems and not report.outcomes:
        reasons = "; ".join(f"{p}: {why}" for p, why in sorted(report.problems.items()))
        return refusal_page(request, user, 502, "Could not check: {reason}", reason=reasons)
    missed = len(report.problems)
    return RedirectResponse(
        f"/web/watchlist?checked={report.new_alerts}&missed={missed}", status_code=303
    )
