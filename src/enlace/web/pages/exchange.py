"""Exchange (intercambio): partners, last sync, what was released and received, refusals
with their reasons; releasing a record and syncing from a partner now (liaison officers)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from enlace.exchange.errors import ExchangeError
from enlace.exchange.receiving import REFUSAL_REASONS as RECEIVING_REFUSAL_REASONS
from enlace.exchange.release import ReleaseRefused, release_one
from enlace.exchange.sync_client import sync_node_partner
from enlace.exchange.witness_status import ALERT_KINDS
from enlace.node.errors import NodeError
from enlace.node.keys import load_signing_key
from enlace.tracking.indicators.snapshot import refresh_indicators
from enlace.web import parameters
from enlace.web.context import Context, WebContext
from enlace.web.i18n import Formatter
from enlace.web.listing import ListState, Sort, csv_response, read_sort
from enlace.web.navigation import EXCHANGE_ACTION_ROLES, EXCHANGE_ROLES, may
from enlace.web.pages.common import Flash, is_party, is_record_id, record_path, refusal_page
from enlace.web.queries.exchange import (
    DEFAULT_SORT,
    LIST_COLUMNS,
    exchange_view,
    movement_rows,
    refusal_rows,
)
from enlace.web.rendering import render, request_language
from enlace.web.security import CurrentUser, allow, csrf_checked

router = APIRouter()
_FIELD_MAX = 200

# The exchange's audit actions the page names, as msgids: the refusals and gaps its refusals
# table lists (enlace.web.queries.exchange.REFUSAL_ACTIONS), and the statements this node sends.
REFUSAL_NAMES = {
    "refusal": "Refused on arrival",
    "sequence-gap": "Not held: gap in the sequence",
    "release-refused": "Release refused",
    "revocation-refused": "Revocation refused",
    "consent-refused": "Onward-release consent refused",
    "tombstone-sent": "Revocation sent to a partner",
    "consent": "Onward-release consent given",
}
# Why an object was refused on arrival (enlace.exchange.receiving.REFUSAL_REASONS), or why a
# number of a partner's sequence is not held ("missing"), as msgids.
_REASON_TEXTS = {
    "malformed": "malformed: not a valid record of its type",
    "missing-signature": "no signature from the owner's node",
    "bad-signature": "bad signature: changed content or another key",
    "unknown-type": "a type this node does not know",
    "wrong-owner": "wrong owner: not the sending partner's record, and no consent of its owner",
    "no-consent": "no consent: the owner's consent that came with it does not hold",
    "conflict": "same version as one held, with other content",
    "not-releasable-here": "not releasable here: its markings do not name this party",
    "not-in-manifest": "not in the page's signed manifest: not addressed here, or changed",
    "trace-forged": "forged trace: not sent by the party that owns it",
    "trace-not-addressed": "trace not addressed here: another party's request, or an answer to "
    "a request this node did not send",
    "trace-wrong-party": "trace answer from a party the request did not ask",
    "trace-status-backwards": "trace status going backwards",
    "missing": "missing: listed in the partner's signed manifest, dropped on the way",
}
NOT_HELD_REASONS = (*RECEIVING_REFUSAL_REASONS, "missing")
REFUSAL_REASONS = {reason: _REASON_TEXTS.get(reason, reason) for reason in NOT_HELD_REASONS}
# The exports' columns, as msgids (written in the reader's language), by list.
MOVEMENT_HEADER = ("When", "Partner", "Kind", "Record id", "Title", "Version", "Revoked")
REFUSAL_HEADER = ("#", "When", "What", "Partner", "Record id", "Title", "Count", "Reasons")
_NO_SORT = Sort("", descending=True)  # no list chosen: each shows its default order


def _list_sort(chosen: str, sort: str, direction: str) -> Sort:
    """The sort asked for the `chosen` list, among its columns (none when no list is: the
    page's links always name the list they sort or page)."""
    if not chosen:
        return _NO_SORT
    return read_sort(
        sort,
        direction,
        columns=LIST_COLUMNS[chosen],
        default=DEFAULT_SORT.column,
        descending=DEFAULT_SORT.descending,
    )


@router.get("/web/exchange")
def exchange_page(
    request: Request,
    context: Context,
    synced: str = "",
    received: str = "",
    refused: str = "",
    shown: Annotated[str, Query(alias="list")] = "",
    sort: str = "",
    direction: Annotated[str, Query(alias="dir")] = "",
    page: str = "",
    user: CurrentUser = allow(*EXCHANGE_ROLES),
) -> HTMLResponse:
    """Partners and what went each way; one list (`list`) paged and sorted as asked."""
    partner = parameters.party(synced, name="synced")
    got = parameters.count(received, name="received") or 0
    refusals = parameters.count(refused, name="refused") or 0
    flash = Flash("ok", "synced", (partner, str(got), str(refusals))) if partner else None
    chosen = parameters.choice(shown, name="list", choices=LIST_COLUMNS)
    order = _list_sort(chosen, sort, direction)
    return _page(request, context, user, flash, chosen=chosen, sort=order, page=page)


@router.get("/web/exchange/export")
def export(
    request: Request,
    context: Context,
    shown: Annotated[str, Query(alias="list")] = "",
    sort: str = "",
    direction: Annotated[str, Query(alias="dir")] = "",
    user: CurrentUser = allow(*EXCHANGE_ROLES),
) -> Response:
    """One list of the page (`list`: released, received, refusals), every page, as CSV."""
    chosen = parameters.choice(shown, name="list", choices=LIST_COLUMNS)
    if not chosen:
        raise parameters.BadParameter(
            parameters.NOT_A_CHOICE,
            name="list",
            choices=", ".join(sorted(LIST_COLUMNS)),
            found="",
        )
    order = _list_sort(chosen, sort, direction)
    t = Formatter(request_language(request, user))
    if chosen == "refusals":
        refusal_lines = (
            (
                r.seq,
                r.at,
                t(REFUSAL_NAMES.get(r.action, r.action)),
                r.partner,
                r.subject,
                title,
                r.refused,
                "; ".join(f"{_reason_text(t, i.reason)} × {i.count}" for i in r.items),
            )
            for r, title in refusal_rows(context.store, sort=order)
        )
        return csv_response("refusals.csv", [t(n) for n in REFUSAL_HEADER], refusal_lines)
    movement_lines = (
        (m.at, m.partner, m.kind, m.record_id, title, m.modified, t("revoked") if m.revoked else "")
        for m, title in movement_rows(context.store, chosen=chosen, sort=order)
    )
    return csv_response(f"{chosen}.csv", [t(n) for n in MOVEMENT_HEADER], movement_lines)


@router.post("/web/exchange/release", dependencies=[csrf_checked])
def release(
    request: Request,
    context: Context,
    record_id: Annotated[str, Form(max_length=_FIELD_MAX)],
    partner: Annotated[str, Form(max_length=_FIELD_MAX)],
    user: CurrentUser = allow(*EXCHANGE_ACTION_ROLES),
) -> Response:
    """Release the newest version of a record to a partner (signed, audited)."""
    if not is_record_id(record_id) or not is_party(partner):
        return refusal_page(request, user, 400, "Give a record id and a two-letter partner code.")
    try:
        signing_key = load_signing_key(context.key_dir)
        release_one(
            context.store,
            record_id=record_id,
            partner=partner,
            signing_key=signing_key,
            actor=user.username,
        )
    except ReleaseRefused as refused:
        # The refusal is in the audit log (release_one committed it); nothing was released.
        return refusal_page(request, user, 409, "Not released: {reason}", reason=refused.reason)
    except NodeError as error:
        return refusal_page(
            request, user, 503, "This node cannot sign releases now: {reason}", reason=str(error)
        )
    return RedirectResponse(f"{record_path(record_id)}?released={quote(partner)}", status_code=303)


@router.post("/web/exchange/sync", dependencies=[csrf_checked])
def sync_now(
    request: Request,
    context: Context,
    partner: Annotated[str, Form(max_length=_FIELD_MAX)],
    user: CurrentUser = allow(*EXCHANGE_ACTION_ROLES),
) -> Response:
    """Pull what `partner` released to this node since the last sync, now."""
    if not is_party(partner):
        return refusal_page(request, user, 400, "Give a two-letter partner code.")
    try:
        report = sync_node_partner(context.store, context.key_dir, partner, actor=user.username)
        if report.received or report.revoked:
            refresh_indicators(context.store, today=date.today())  # the dashboard finds them ready
    except (NodeError, ExchangeError) as error:
        return _page(
            request, context, user, Flash("error", "sync-failed", (partner, str(error))), 502
        )
    outcome: dict[str, str | int | None] = {
        "synced": partner,
        "received": report.received,
        "refused": report.refused_total,
    }
    return RedirectResponse(f"/web/exchange?{parameters.query_string(outcome)}", status_code=303)


def _reason_text(t: Formatter, code: str) -> str:
    return t(REFUSAL_REASONS[code]) if code in REFUSAL_REASONS else code


def _page(
    request: Request,
    context: WebContext,
    user: CurrentUser,
    flash: Flash | None,
    status_code: int = 200,
    *,
    chosen: str = "",
    sort: Sort = _NO_SORT,
    page: str = "",
) -> HTMLResponse:
    view = exchange_view(
        context.store,
        chosen=chosen,
        sort=sort if chosen else DEFAULT_SORT,
        page=parameters.page_number(page),
    )
    lists = {
        name: ListState(
            path="/web/exchange",
            anchor=name,
            sort=view.sorts[name],
            pager=view.pagers[name],
            filters={"list": name},
            export_path="/web/exchange/export",
        )
        for name in LIST_COLUMNS
    }
    return render(
        request,
        user,
        "exchange.html",
        {
            "view": view,
            "lists": lists,
            "note": flash,
            "may_act": may(user.roles, EXCHANGE_ACTION_ROLES),
            "refusal_names": REFUSAL_NAMES,
            "refusal_reasons": REFUSAL_REASONS,
            "alert_kinds": ALERT_KINDS,
        },
        status_code=status_code,
    )
