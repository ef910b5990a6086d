"""The trace queue (rastreo de armas): the requests partners sent this node, for its liaison
officers to answer, and the node's own requests, for its analysts to follow, add to and close
(issue 18). Each form calls one use case of `enlace.traces`; every step is signed and
reaches the other party at its next sync."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from enlace.model.records.traces import LONG_TEXT, SHORT_TEXT, TraceState
from enlace.model.vocabulary import FirearmType, TraceOutcome, TraceResponseStatus
from enlace.node.errors import NodeError
from enlace.node.keys import load_signing_key
from enlace.traces.answers import respond_to_trace
from enlace.traces.errors import TraceError
from enlace.traces.queue import list_traces, trace_indicators
from enlace.traces.requests import add_trace_information, close_trace, request_trace
from enlace.web import parameters
from enlace.web.context import Context
from enlace.web.navigation import TRACE_ANSWER_ROLES, TRACE_REQUEST_ROLES, TRACE_ROLES, may
from enlace.web.pages.common import refusal_page
from enlace.web.rendering import render
from enlace.web.security import CurrentUser, allow, csrf_checked

if TYPE_CHECKING:
    from nacl.signing import SigningKey

router = APIRouter()
_ID_MAX = 80
_SHORT = Annotated[str, Form(max_length=SHORT_TEXT + 100)]
_LONG = Annotated[str, Form(max_length=LONG_TEXT + 100)]
# What each status is called on the page (English msgids; Spanish in the catalog).
STATE_TEXTS = {
    TraceState.SUBMITTED.value: "Submitted",
    TraceState.IN_PROGRESS.value: "In progress",
    TraceState.ANSWERED.value: "Answered",
    TraceState.CLOSED.value: "Closed",
}
STEP_TEXTS = {
    TraceResponseStatus.IN_PROGRESS.value: "Working on it (in progress)",
    TraceResponseStatus.INFORMATION_REQUESTED.value: "Ask for more information",
    TraceResponseStatus.ANSWERED.value: "Answer",
}
OUTCOME_TEXTS = {
    TraceOutcome.TRACED.value: "Traced",
    TraceOutcome.NOT_TRACEABLE.value: "Not traceable",
}
DONE_TEXTS = {
    "requested": "Trace requested: the partner receives it at its next sync.",
    "answered": "Saved: the requester receives this step at its next sync.",
    "informed": "Information added: the partner receives it at its next sync.",
    "closed": "Trace closed: the partner is told at its next sync.",
}
# The part of the page each step returns to: the liaison's queue or the analyst's requests.
RETURN_TO = {
    "requested": "outgoing",
    "answered": "queue",
    "informed": "outgoing",
    "closed": "outgoing",
}


@router.get("/web/traces")
def traces_page(
    request: Request,
    context: Context,
    done: str = "",
    user: CurrentUser = allow(*TRACE_ROLES),
) -> HTMLResponse:
    """The queue of requests asked of this node, this node's own requests, the indicators."""
    found = list_traces(context.store, party=context.party)
    outgoing, incoming = trace_indicators(context.store, party=context.party)
    return render(
        request,
        user,
        "traces.html",
        {
            "incoming": [s for s in found if s.direction == "incoming"],
            "outgoing": [s for s in found if s.direction == "outgoing"],
            "indicators": [outgoing, incoming],
            "may_answer": may(user.roles, TRACE_ANSWER_ROLES),
            "may_request": may(user.roles, TRACE_REQUEST_ROLES),
            "state_texts": STATE_TEXTS,
            "step_texts": STEP_TEXTS,
            "outcome_texts": OUTCOME_TEXTS,
            "firearm_types": [f.value for f in FirearmType],
            "done": DONE_TEXTS.get(done, ""),
            "short_max": SHORT_TEXT,
            "long_max": LONG_TEXT,
        },
    )


def _signed_step(
    request: Request,
    context: Context,
    user: CurrentUser,
    done: str,
    take: Callable[[SigningKey], object],
) -> Response:
    """Take one signed step of a trace with the node's key: back to the page with the `done`
    message, or one refusal page (409 refused by the trace, 503 the node cannot sign)."""
    try:
        take(load_signing_key(context.key_dir))
    except TraceError as error:
        return refusal_page(request, user, 409, "Not done: {reason}", reason=str(error))
    except NodeError as error:
        return refusal_page(
            request, user, 503, "This node cannot sign releases now: {reason}", reason=str(error)
        )
    return RedirectResponse(f"/web/traces?done={done}#{RETURN_TO[done]}", status_code=303)


def _request_id(raw: str) -> str:
    return parameters.bounded_text(raw, name="request_id", high=_ID_MAX)


def _texts(limit: int, **raw: str) -> dict[str, str]:
    """The non-empty form fields, each checked against `limit` characters."""
    found = {
        name: parameters.bounded_text(value, name=name, high=limit) for name, value in raw.items()
    }
    return {name: value for name, value in found.items() if value}


@router.post("/web/traces/request", dependencies=[csrf_checked])
def ask(
    request: Request,
    context: Context,
    partner: Annotated[str, Form(max_length=10)] = "",
    make: _SHORT = "",
    serial: _SHORT = "",
    model: _SHORT = "",
    caliber: _SHORT = "",
    firearm_type: _SHORT = "",
    recovery_state: _SHORT = "",
    recovery_date: _SHORT = "",
    case_reference: _SHORT = "",
    circumstances: _LONG = "",
    user: CurrentUser = allow(*TRACE_REQUEST_ROLES),
) -> Response:
    """An analyst asks a partner to trace a recovered firearm."""
    fields = _texts(
        SHORT_TEXT + 100,
        make=make, serial=serial, model=model, caliber=caliber, firearm_type=firearm_type,
        recovery_state=recovery_state, recovery_date=recovery_date,
        case_reference=case_reference,
    )  # fmt: skip
    fields |= _texts(LONG_TEXT + 100, circumstances=circumstances)
    party = parameters.bounded_text(partner, name="partner", high=10)
    if not party:
        return refusal_page(request, user, 400, "Name the partner asked; nothing was changed.")
    return _signed_step(
        request,
        context,
        user,
        "requested",
        lambda key: request_trace(
            context.store, partner=party, firearm=fields, signing_key=key, actor=user.username
        ),
    )


@router.post("/web/traces/{request_id}/answer", dependencies=[csrf_checked])
def answer(
    request: Request,
    request_id: str,
    context: Context,
    status: Annotated[str, Form(max_length=40)] = "",
    outcome: Annotated[str, Form(max_length=40)] = "",
    first_sale_state: _SHORT = "",
    dealer: _SHORT = "",
    purchase_date: _SHORT = "",
    time_to_crime_days: _SHORT = "",
    reason: _LONG = "",
    question: _LONG = "",
    user: CurrentUser = allow(*TRACE_ANSWER_ROLES),
) -> Response:
    """A liaison officer's step on a partner's request: in progress, a question, an answer."""
    chosen = _request_id(request_id)
    step = parameters.bounded_text(status, name="status", high=40)
    if step not in STEP_TEXTS:
        return refusal_page(
            request, user, 400, "Unknown status {value}: expected one of {choices}.",
            value=step[:40], choices=", ".join(STEP_TEXTS),
        )  # fmt: skip
    given = _texts(
        SHORT_TEXT + 100,
        first_sale_state=first_sale_state, dealer=dealer, purchase_date=purchase_date,
        time_to_crime_days=time_to_crime_days,
    )  # fmt: skip
    given |= _texts(LONG_TEXT + 100, reason=reason, question=question)
    # The form holds every field; each step takes only its own.
    if step == TraceResponseStatus.ANSWERED.value:
        given = {k: v for k, v in given.items() if k != "question"} | _texts(40, outcome=outcome)
    elif step == TraceResponseStatus.INFORMATION_REQUESTED.value:
        given = {k: v for k, v in given.items() if k == "question"}
    else:
        given = {}
    return _signed_step(
        request,
        context,
        user,
        "answered",
        lambda key: respond_to_trace(
            context.store,
            request_id=chosen,
            status=step,
            answer=given,
            signing_key=key,
            actor=user.username,
        ),
    )


@router.post("/web/traces/{request_id}/inform", dependencies=[csrf_checked])
def inform(
    request: Request,
    request_id: str,
    context: Context,
    information: _LONG = "",
    user: CurrentUser = allow(*TRACE_REQUEST_ROLES),
) -> Response:
    """An analyst adds what the partner asked for to this node's request."""
    chosen = _request_id(request_id)
    text = parameters.bounded_text(information, name="information", high=LONG_TEXT + 100)
    if not text:
        return refusal_page(request, user, 400, "Write the information; nothing was changed.")
    return _signed_step(
        request,
        context,
        user,
        "informed",
        lambda key: add_trace_information(
            context.store,
            request_id=chosen,
            information=text,
            signing_key=key,
            actor=user.username,
        ),
    )


@router.post("/web/traces/{request_id}/close", dependencies=[csrf_checked])
def close(
    request: Request,
    request_id: str,
    context: Context,
    user: CurrentUser = allow(*TRACE_REQUEST_ROLES),
) -> Response:
    """An analyst closes this node's request (only the requester closes)."""
    chosen = _request_id(request_id)
    return _signed_step(
        request,
        context,
        user,
        "closed",
        lambda key: close_trace(
            context.store, request_id=chosen, signing_key=key, actor=user.username
        ),
    )
