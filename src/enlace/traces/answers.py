"""The answering side of a trace: the liaison officer works a partner's request.

Use cases (one unit of work each, committed once): `respond_to_trace` (in progress, ask for
more information, or answer: traced or not traceable) and `set_dealer_policy`. The response
is this node's own record (DECISIONS.md: a trace answer is never a version of the other
party's request), one per request, its id derived from the request's, so each step is a new
version of it; it is marked like the request (TLP:AMBER, H2) releasable to the requester only.

Whether an answer names the selling dealer is the answering party's policy: a node whose
setting `trace-dealer` is `withhold` refuses an answer carrying one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from nacl.signing import SigningKey

from enlace.model.markings import Markings
from enlace.model.records.base import derived_id
from enlace.model.records.traces import (
    TraceRequest,
    TraceResponse,
    status_rank,
    trace_state,
)
from enlace.model.vocabulary import TraceOutcome, TraceRequestStatus, TraceResponseStatus
from enlace.store.unit_of_work import UnitOfWorkFactory
from enlace.traces.errors import TraceError
from enlace.traces.requests import TraceStep
from enlace.traces.steps import (
    built,
    held_request,
    held_response,
    later_than,
    node_party,
    store_and_release,
)

DEALER_SETTING = "trace-dealer"
DEALER_POLICIES = ("share", "withhold")
ANSWER_FIELDS = (
    "outcome",
    "first_sale_state",
    "dealer",
    "purchase_date",
    "time_to_crime_days",
    "reason",
    "question",
)


def response_id(request_id: str) -> str:
    """The id of the one response to trace request `request_id`."""
    return derived_id(TraceResponse.STIX_TYPE, "trace-response", request_id)


@dataclass(frozen=True, slots=True)
class DealerPolicy:
    """Whether this node's trace answers may name the selling dealer."""

    policy: str


def set_dealer_policy(store: UnitOfWorkFactory, *, policy: str, actor: str) -> DealerPolicy:
    """Use case: set whether this node's answers name dealers; audited `trace-policy`."""
    value = policy.strip().lower()
    if value not in DEALER_POLICIES:
        raise TraceError(f"dealer policy {policy[:40]!r}: expected share or withhold")
    with store.unit_of_work() as uow:
        uow.settings.put(DEALER_SETTING, value)
        uow.audit.append(
            actor=actor, action="trace-policy", subject="dealer", detail={"dealer": value}
        )
        uow.commit()
    return DealerPolicy(value)


def respond_to_trace(
    store: UnitOfWorkFactory,
    *,
    request_id: str,
    status: str,
    answer: Mapping[str, object] | None = None,
    signing_key: SigningKey,
    actor: str,
) -> TraceStep:
    """Use case: a new version of this node's response to a partner's trace request.

    `status` is in-progress, information-requested (with `answer["question"]`) or answered
    (with the outcome and its fields, ANSWER_FIELDS). Audited `trace-response` and released
    to the requester. TraceError, nothing written, when the request is not a partner's
    request to this node, is closed, is already answered, or a field is wrong.
    """
    given = dict(answer or {})
    unknown = sorted(set(given) - set(ANSWER_FIELDS))
    if unknown:
        raise TraceError(
            f"{', '.join(unknown)}: not a field of a trace answer; fields: "
            + ", ".join(ANSWER_FIELDS)
        )
    with store.unit_of_work() as uow:
        party = node_party(uow)
        request, row = held_request(uow, request_id)
        if row.received_from is None or request.requested_of != party:
            raise TraceError(
                f"{request.id}: not a partner's request to this node; only the party asked "
                "answers a trace (the requester adds information or closes it)"
            )
        if request.status is TraceRequestStatus.CLOSED:
            raise TraceError(f"{request.id}: the requester closed this trace; it takes no answer")
        previous = held_response(uow, response_id(request.id))
        values: dict[str, object] = {k: v for k, v in given.items() if v not in (None, "")}
        values["status"] = status
        values["request_ref"] = request.id
        if values.get("dealer") and uow.settings.get(DEALER_SETTING) == "withhold":
            raise TraceError(
                "dealer: this node's policy withholds the selling dealer from trace answers "
                "('enlace trace policy --dealer share' changes it)"
            )
        if (
            str(values.get("outcome", "")).strip().lower() == TraceOutcome.TRACED.value
            and "time_to_crime_days" not in values
            and request.recovery_date is not None
            and values.get("purchase_date")
        ):
            values["time_to_crime_days"] = _days_between(values["purchase_date"], request)
        now = later_than(previous.modified if previous is not None else None)
        record = built(
            TraceResponse,
            values,
            id=response_id(request.id),
            owner=party,
            markings=Markings.build(tlp="amber", releasable_to=request.owner, handling="H2"),
            created=previous.created if previous is not None else now,
            modified=now,
            created_by_ref=None,
        )
        assert isinstance(record, TraceResponse)
        if previous is not None and status_rank(previous.status) > status_rank(record.status):
            raise TraceError(
                f"{request.id}: already answered; an answer is not taken back to "
                f"{record.status.value}"
            )
        if previous is not None and previous.status is TraceResponseStatus.ANSWERED:
            raise TraceError(f"{request.id}: already answered; the answer stands as sent")
        modified = store_and_release(
            uow,
            record,
            partner=request.owner,
            signing_key=signing_key,
            actor=actor,
            action="trace-response",
            detail={
                "request": request.id,
                "status": record.status.value,
                "outcome": record.outcome.value if record.outcome else None,
            },
        )
        uow.commit()
    return TraceStep(request.id, record.id, modified, trace_state(request, record))


def _days_between(purchase: object, request: TraceRequest) -> int | None:
    # Time to crime: from the first retail sale to the recovery the request states.
    if request.recovery_date is None:
        return None
    try:
        bought = date.fromisoformat(str(purchase).strip())
    except ValueError:
        return None  # the record's own parser names the field
    days = (request.recovery_date - bought).days
    return days if days >= 0 else None
