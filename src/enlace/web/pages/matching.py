"""Matching (coincidencias): matches, hit notices, and the disclosure requests partners
send, which a liaison officer approves (the record is released) or refuses with a reason;
this node's own requests to partners, and asking those partners what became of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from enlace.exchange.errors import ExchangeError
from enlace.exchange.release import ReleaseRefused
from enlace.matching.disclosure import approve_request, refuse_request
from enlace.matching.errors import DisclosureError
from enlace.matching.requester import refresh_all_disclosures
from enlace.node.errors import NodeError
from enlace.node.keys import load_signing_key
from enlace.web import parameters
from enlace.web.context import Context
from enlace.web.i18n import IDENTIFIER_KINDS, Formatter
from enlace.web.listing import ListState, csv_response, read_sort
from enlace.web.navigation import DISCLOSURE_ROLES, MATCHING_ROLES, may
from enlace.web.pages.common import refusal_page
from enlace.web.queries.matching import (
    MATCH_COLUMNS,
    MATCH_SORT,
    MatchFilter,
    match_rows,
    matching_view,
)
from enlace.web.rendering import render, request_language
from enlace.web.security import CurrentUser, allow, csrf_checked

router = APIRouter()
_REASON_MAX = 2000
DISCLOSURE_STATUS = {"pending": "pending", "approved": "approved", "refused": "refused"}
RUN_STATUS = {
    "answered": "answered",
    "checked": "checked",
    "aborted": "aborted",
    "expired": "expired",
    "completed": "completed",
    "failed": "failed",
    "offered": "offered",
    "reached": "threshold reached",
    "below-threshold": "below threshold",
}
# A run's mode (enlace.matching.modes; None: a run from before modes, links); threshold mode
# is written with its k ("threshold {k}").
RUN_MODES = {"links": "links", "count": "count only"}
# The matches export's columns, as msgids (written in the reader's language).
EXPORT_HEADER = ("Found", "Partner", "Identifier", "Record id", "Title", "Run", "Partner's handle")


def _filter(partner: str, kind: str, run: str) -> MatchFilter:
    return MatchFilter(
        partner=parameters.party(partner, name="partner"),
        kind=parameters.choice(kind, name="kind", choices=IDENTIFIER_KINDS),
        run=parameters.name_text(run, name="run"),
    )


@router.get("/web/matching")
def matching_page(
    request: Request,
    context: Context,
    decided: str = "",
    asked: str = "",
    partner: str = "",
    kind: str = "",
    run: str = "",
    sort: str = "",
    direction: Annotated[str, Query(alias="dir")] = "",
    page: str = "",
    user: CurrentUser = allow(*MATCHING_ROLES),
) -> HTMLResponse:
    """Matches (filtered by partner, kind and run; sorted; paged), hit notices, disclosure
    requests and recent runs."""
    outcome = parameters.choice(decided, name="decided", choices=("approved", "refused"))
    answered = parameters.count(asked, name="asked")
    wanted = _filter(partner, kind, run)
    order = read_sort(
        sort,
        direction,
        columns=MATCH_COLUMNS,
        default=MATCH_SORT.column,
        descending=MATCH_SORT.descending,
    )
    view = matching_view(
        context.store, wanted=wanted, sort=order, page=parameters.page_number(page)
    )
    listing = ListState(
        path="/web/matching",
        anchor="matches",
        sort=order,
        pager=view.pager,
        filters={"partner": wanted.partner, "kind": wanted.kind, "run": wanted.run},
        export_path="/web/matching/export",
    )
    return render(
        request,
        user,
        "matching.html",
        {
            "view": view,
            "matches_list": listing,
            "wanted": wanted,
            "kinds": IDENTIFIER_KINDS,
            "decided": outcome,
            "asked": answered,
            "may_decide": may(user.roles, DISCLOSURE_ROLES),
            "disclosure_status": DISCLOSURE_STATUS,
            "run_status": RUN_STATUS,
            "run_modes": RUN_MODES,
        },
    )


@router.get("/web/matching/export")
def export_matches(
    request: Request,
    context: Context,
    partner: str = "",
    kind: str = "",
    run: str = "",
    sort: str = "",
    direction: Annotated[str, Query(alias="dir")] = "",
    user: CurrentUser = allow(*MATCHING_ROLES),
) -> Response:
    """The matches as the page lists them (same filters and order), every page, as CSV."""
    wanted = _filter(partner, kind, run)
    order = read_sort(
        sort,
        direction,
        columns=MATCH_COLUMNS,
        default=MATCH_SORT.column,
        descending=MATCH_SORT.descending,
    )
    t = Formatter(request_language(request, user))
    return csv_response(
        "matches.csv",
        [t(name) for name in EXPORT_HEADER],
        match_rows(context.store, wanted=wanted, sort=order),
    )


@router.post("/web/matching/disclosures/{request_id}/approve", dependencies=[csrf_checked])
def approve(
    request: Request,
    request_id: str,
    context: Context,
    confirmed: Annotated[str, Form(max_length=10)] = "",
    user: CurrentUser = allow(*DISCLOSURE_ROLES),
) -> Response:
    """Approve a partner's disclosure request: the record is released to it (signed).

    Only from the confirmation page, which shows the record's markings: a post without its
    confirmation changes nothing and leads there."""
    chosen = parameters.row_id(request_id, name="request_id")
    if confirmed != "yes":
        return RedirectResponse(f"/web/matching/disclosures/{chosen}/approve", status_code=303)
    try:
        approve_request(
            context.store,
            request_id=chosen,
            signing_key=load_signing_key(context.key_dir),
            actor=user.username,
        )
    except ReleaseRefused as refused:
        return refusal_page(request, user, 409, "Not approved: {reason}", reason=refused.reason)
    except DisclosureError as error:
        return refusal_page(request, user, 409, "Not done: {reason}", reason=str(error))
    except NodeError as error:
        return refusal_page(
            request, user, 503, "This node cannot sign releases now: {reason}", reason=str(error)
        )
    return RedirectResponse("/web/matching?decided=approved", status_code=303)


@router.post("/web/matching/disclosures/{request_id}/refuse", dependencies=[csrf_checked])
def refuse(
    request: Request,
    request_id: str,
    context: Context,
    reason: Annotated[str, Form(max_length=_REASON_MAX)] = "",
    user: CurrentUser = allow(*DISCLOSURE_ROLES),
) -> Response:
    """Refuse a partner's disclosure request, with the reason it is told."""
    chosen = parameters.row_id(request_id, name="request_id")
    reason = parameters.bounded_text(reason, name="reason", high=_REASON_MAX)
    if not reason:
        return refusal_page(request, user, 400, "Give a reason for refusing; nothing was changed.")
    try:
        refuse_request(context.store, request_id=chosen, reason=reason, actor=user.username)
    except DisclosureError as error:
        return refusal_page(request, user, 409, "Not done: {reason}", reason=str(error))
    return RedirectResponse("/web/matching?decided=refused", status_code=303)


@router.post("/web/matching/outgoing/refresh", dependencies=[csrf_checked])
def refresh_outgoing(
    request: Request,
    context: Context,
    user: CurrentUser = allow(*DISCLOSURE_ROLES),
) -> Response:
    """Ask each partner what became of this node's pending disclosure requests to it."""
    try:
        answers = refresh_all_disclosures(context.store, context.key_dir, actor=user.username)
    except (NodeError, ExchangeError) as error:
        return refusal_page(request, user, 502, "Could not ask: {reason}", reason=str(error))
    decided = sum(len(found) for _, found in answers)
    return RedirectResponse(f"/web/matching?asked={decided}", status_code=303)
