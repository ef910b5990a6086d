"""Records (registros): search, and one record with its markings, provenance, signature
status and versions. Opening a record received from a partner is audited."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from enlace.exchange.errors import ExchangeError
from enlace.exchange.statements import REVOCATION_REASONS as TOMBSTONE_REASONS
from enlace.matching.errors import PartnerRefusedMatch
from enlace.matching.requester import request_node_disclosure
from enlace.model.markings import Tlp
from enlace.node.errors import NodeError
from enlace.users.access_log import audit_record_read
from enlace.web import parameters
from enlace.web.context import Context
from enlace.web.i18n import Formatter
from enlace.web.listing import csv_response
from enlace.web.navigation import DISCLOSURE_ROLES, EXCHANGE_ACTION_ROLES, RECORD_ROLES, may
from enlace.web.pages.common import is_record_id, refusal_page
from enlace.web.pages.matching import DISCLOSURE_STATUS
from enlace.web.queries.record_links import holds_match
from enlace.web.queries.records import (
    COUNT_CAP,
    DEEPEST_PAGE,
    EXPORT_ROWS,
    PAGE_SIZE,
    RecordFilter,
    agency_of_user,
    clean_sort,
    record_detail,
    record_rows,
    search_choices,
    search_records,
)
from enlace.web.rendering import render, request_language
from enlace.web.security import CurrentUser, allow, csrf_checked

router = APIRouter()
# Why an owner revoked a record, as its signed revocation (tombstone) says
# (enlace.exchange.statements.REVOCATION_REASONS), as msgids.
_REVOCATION_TEXTS = {
    "withdrawn": "withdrawn by its owner",
    "erroneous": "erroneous: it should not have been issued",
    "releasability-changed": "its releasability changed",
    "legal-order": "by legal order",
}
REVOCATION_REASONS = {reason: _REVOCATION_TEXTS.get(reason, reason) for reason in TOMBSTONE_REASONS}
_LONGEST_QUERY = 200
_REASON_MAX = 2000  # as the matching API takes it (enlace.matching.disclosure.MAX_REASON)
_HANDLE_MAX = 32
# A handle as the matching protocol hands them out (random bytes, in hex).
_HANDLE = re.compile(r"[0-9a-f]{1,32}")


@router.get("/web/records")
def search(
    request: Request,
    context: Context,
    q: str = "",
    kind: str = "",
    owner: str = "",
    tlp: str = "",
    origin: str = "",
    agency: str = "",
    since: str = "",
    until: str = "",
    page: str = "",
    sort: str = "",
    user: CurrentUser = allow(*RECORD_ROLES),
) -> HTMLResponse:
    """Search by identifier or words, kind, owner, marking and date; newest first (best
    match first for words), or sorted by a column."""
    wanted = _wanted(q, kind, owner, tlp, origin, agency, since, until, page, sort)
    results = search_records(context.store, wanted)
    kinds, owners, agencies = search_choices(context.store)
    filters: dict[str, str | int | None] = {
        "q": wanted.text,
        "kind": wanted.kind,
        "owner": wanted.owner,
        "tlp": wanted.tlp,
        "origin": wanted.origin,
        "agency": wanted.agency,
        "since": wanted.since.isoformat() if wanted.since else None,
        "until": wanted.until.isoformat() if wanted.until else None,
    }
    return render(
        request,
        user,
        "records.html",
        {
            "wanted": wanted,
            "results": results,
            "kinds": kinds,
            "owners": owners,
            "agencies": agencies,
            "my_agency": agency_of_user(agencies, user.agency, context.party),
            "tlps": [tlp.value for tlp in Tlp],
            # The pages' links repeat the filter as read, not the request's query string.
            "query_without_page": parameters.query_string({**filters, "sort": wanted.sort}),
            "query_without_sort": parameters.query_string(filters),
            "count_cap": COUNT_CAP,
            "deepest_page": DEEPEST_PAGE,
            "page_size": PAGE_SIZE,
            "export_rows": EXPORT_ROWS,
        },
    )


def _wanted(
    q: str,
    kind: str,
    owner: str,
    tlp: str,
    origin: str,
    agency: str,
    since: str,
    until: str,
    page: str,
    sort: str,
) -> RecordFilter:
    return RecordFilter(
        text=parameters.bounded_text(q, name="q", high=_LONGEST_QUERY),
        kind=parameters.name_text(kind, name="kind"),
        owner=parameters.party(owner, name="owner"),
        tlp=parameters.choice(tlp, name="tlp", choices=[level.value for level in Tlp]),
        origin=parameters.choice(origin, name="origin", choices=("own", "received")),
        agency=parameters.stix_id(agency, name="agency", kind="identity"),
        since=parameters.day(since, name="since"),
        until=parameters.day(until, name="until"),
        page=parameters.page_number(page),
        sort=clean_sort(sort),  # an order the list does not offer is ignored, not refused
    )


# The records export's columns, as msgids.
EXPORT_HEADER = (
    "Id",
    "Kind",
    "Title",
    "Owner",
    "Received from",
    "TLP",
    "Releasable to",
    "Handling",
    "Evaluation",
    "Modified",
    "Revoked",
)


@router.get("/web/records/export")
def export(
    request: Request,
    context: Context,
    q: str = "",
    kind: str = "",
    owner: str = "",
    tlp: str = "",
    origin: str = "",
    agency: str = "",
    since: str = "",
    until: str = "",
    sort: str = "",
    user: CurrentUser = allow(*RECORD_ROLES),
) -> Response:
    """The records the search's filters hold, in its order, as CSV (the first EXPORT_ROWS)."""
    wanted = _wanted(q, kind, owner, tlp, origin, agency, since, until, "", sort)
    t = Formatter(request_language(request, user))
    rows = (
        (
            r.id,
            r.kind,
            t.title(r.title),
            r.owner,
            r.received_from,
            r.tlp,
            " ".join(r.releasable_to),
            r.handling,
            r.evaluation,
            r.modified,
            t("yes") if r.revoked else "",
        )
        for r in record_rows(context.store, wanted)
    )
    return csv_response("records.csv", [t(name) for name in EXPORT_HEADER], rows, limit=EXPORT_ROWS)


@router.get("/web/records/{record_id}")
def record_page(
    request: Request,
    record_id: str,
    context: Context,
    released: str = "",
    asked: str = "",
    user: CurrentUser = allow(*RECORD_ROLES),
) -> HTMLResponse:
    """One record: markings, provenance, signature status, versions, releases; its matches
    and hit notices, relationships and the records holding the same identifiers."""
    released_to = parameters.party(released, name="released")
    asked_of = parameters.party(asked, name="asked")
    detail = (
        record_detail(context.store, record_id, party=context.party)
        if is_record_id(record_id)
        else None
    )
    if detail is None:
        return refusal_page(
            request, user, 404, "This node holds no record {id}.", id=record_id[:140]
        )
    if detail.row.received_from is not None:
        # Who read another party's record is evidence the owner may ask for.
        audit_record_read(
            context.store,
            record_id=record_id,
            username=user.username,
            received_from=detail.row.received_from,
        )
    return render(
        request,
        user,
        "record.html",
        {
            "detail": detail,
            "row": detail.row,
            "released_to": released_to,
            "asked_of": asked_of,
            "may_release": may(user.roles, EXCHANGE_ACTION_ROLES),
            "may_request": may(user.roles, DISCLOSURE_ROLES),
            "revocation_reasons": REVOCATION_REASONS,
            "request_status": DISCLOSURE_STATUS,
        },
    )


@router.post("/web/records/{record_id}/disclosure", dependencies=[csrf_checked])
def request_disclosure(
    request: Request,
    record_id: str,
    context: Context,
    partner: Annotated[str, Form(max_length=8)] = "",
    handle: Annotated[str, Form(max_length=_HANDLE_MAX)] = "",
    reason: Annotated[str, Form(max_length=_REASON_MAX)] = "",
    user: CurrentUser = allow(*DISCLOSURE_ROLES),
) -> Response:
    """Ask a partner to disclose its record matched with this one (solicitud de
    divulgación), by the handle the match gave; the partner's owner decides."""
    chosen_partner = parameters.party(partner, name="partner")
    chosen_handle = handle.strip().lower()
    why = parameters.bounded_text(reason, name="reason", high=_REASON_MAX)
    # Only for a match this node holds: the page never sends a handle it did not show.
    if not (
        is_record_id(record_id)
        and _HANDLE.fullmatch(chosen_handle)
        and chosen_partner
        and holds_match(context.store, record_id, chosen_partner, chosen_handle)
    ):
        return refusal_page(
            request,
            user,
            404,
            "This node holds no match of record {id} with {partner}'s record {handle}.",
            id=record_id[:140],
            partner=chosen_partner or "—",
            handle=chosen_handle if _HANDLE.fullmatch(chosen_handle) else "—",
        )
    try:
        request_node_disclosure(
            context.store,
            context.key_dir,
            chosen_partner,
            handle=chosen_handle,
            reason=why or None,
            actor=user.username,
        )
    except PartnerRefusedMatch as refused:
        return refusal_page(request, user, 409, "Not done: {reason}", reason=str(refused))
    except (NodeError, ExchangeError) as error:
        return refusal_page(request, user, 502, "Could not ask: {reason}", reason=str(error))
    return RedirectResponse(
        f"/web/records/{record_id}?asked={chosen_partner}#matches", status_code=303
    )
