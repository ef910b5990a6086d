"""Firearm trace requests (solicitudes de rastreo) between parties, and their responses.

A trace request is owned by the requesting party and names the one partner asked
(`requested_of`); it is released to that partner only. The answering party never issues a
version of the request: it answers with a trace response of its own that names the request
(DECISIONS.md, "A trace answer is a separate object owned by the answering party"). Each
step is a new version of one of the two records, signed and sent over the exchange.

The status of a trace as people see it (`trace_state`) follows from both: submitted (no
response yet), in progress (a response in progress, or asking for more information),
answered, closed (the requester closed the request). Statuses never go backwards: a closed
request is not reopened and an answered response is not taken back (`status_rank`).

Every text field has a length limit: a partner's oversized field is refused at the boundary
like any malformed record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar

from enlace.model import extensions as ext
from enlace.model.errors import RecordError
from enlace.model.records import parsers as p
from enlace.model.records.base import Record
from enlace.model.records.fields import calendar_date, choice, domain_field, integer, stix_ref, text
from enlace.model.vocabulary import (
    FirearmType,
    TraceOutcome,
    TraceRequestStatus,
    TraceResponseStatus,
)

SHORT_TEXT = 200  # characters: a make, a dealer's name, a case number
LONG_TEXT = 2000  # characters: circumstances, a question, more information
MAX_TIME_TO_CRIME_DAYS = 36_500  # a century: beyond it the dates are wrong


def bounded_text(limit: int) -> Callable[[object, str], str]:
    """A parser for text of at most `limit` characters."""

    def parse(raw: object, field: str) -> str:
        value = text(raw, field)
        if len(value) > limit:
            raise RecordError(field, value, f"text of at most {limit} characters")
        return value

    return parse


def days(raw: object, field: str) -> int:
    """A number of days from 0 to a century."""
    value = integer(raw, field)
    if not 0 <= value <= MAX_TIME_TO_CRIME_DAYS:
        raise RecordError(field, raw, f"a whole number of days from 0 to {MAX_TIME_TO_CRIME_DAYS}")
    return value


_SHORT = bounded_text(SHORT_TEXT)
_LONG = bounded_text(LONG_TEXT)


class TraceState(StrEnum):
    """The status of a trace as both sides see it."""

    SUBMITTED = "submitted"
    IN_PROGRESS = "in-progress"
    ANSWERED = "answered"
    CLOSED = "closed"


def status_rank(status: TraceRequestStatus | TraceResponseStatus) -> int:
    """How far a status is along: a new version may not have a lower rank than an older one.

    In progress and information requested share a rank: a liaison asks for more, the
    requester adds it, the liaison goes on.
    """
    if status in (TraceRequestStatus.CLOSED, TraceResponseStatus.ANSWERED):
        return 1
    return 0


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceRequest(Record):
    """A request to one partner to trace a recovered firearm (solicitud de rastreo)."""

    STIX_TYPE: ClassVar[str] = "enlace-trace-request"
    KIND: ClassVar[str] = "trace-request"
    TYPE_EXTENSION = ext.TRACE_REQUEST

    requested_of: str = domain_field(p.party, "The partner asked to trace, e.g. US", required=True)
    status: TraceRequestStatus = domain_field(
        choice(TraceRequestStatus), "submitted, closed", required=True
    )
    make: str = domain_field(_SHORT, "Manufacturer (marca), e.g. Colt", required=True)
    serial: str | None = domain_field(_SHORT, "Serial number (número de serie) as read")
    model: str | None = domain_field(_SHORT, "Model")
    caliber: str | None = domain_field(_SHORT, "Caliber (calibre), e.g. 7.62x39")
    firearm_type: FirearmType | None = domain_field(
        choice(FirearmType), "pistol, revolver, rifle, shotgun, ..."
    )
    importer: str | None = domain_field(_SHORT, "Importer, for firearms made abroad")
    recovery_state: str | None = domain_field(p.subdivision, "Where recovered, ISO 3166-2")
    recovery_date: date | None = domain_field(calendar_date, "When recovered, YYYY-MM-DD")
    case_reference: str | None = domain_field(_SHORT, "The requester's case or file number")
    firearm_ref: str | None = domain_field(
        stix_ref("enlace-firearm"), "The firearm record, when the partner may hold it", refers=True
    )
    circumstances: str | None = domain_field(_LONG, "How and where it was recovered")
    additional_information: str | None = domain_field(
        _LONG, "What the requester adds when the partner asks for more"
    )

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        if self.requested_of == self.owner:
            raise RecordError("requested_of", self.requested_of, "a partner, not the requester")


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceResponse(Record):
    """The answering party's response to a trace request (respuesta de rastreo)."""

    STIX_TYPE: ClassVar[str] = "enlace-trace-response"
    KIND: ClassVar[str] = "trace-response"
    TYPE_EXTENSION = ext.TRACE_RESPONSE

    request_ref: str = domain_field(
        stix_ref("enlace-trace-request"), "The trace request answered", required=True, refers=True
    )
    status: TraceResponseStatus = domain_field(
        choice(TraceResponseStatus), "in-progress, information-requested, answered", required=True
    )
    outcome: TraceOutcome | None = domain_field(
        choice(TraceOutcome), "traced, not-traceable (when answered)"
    )
    first_sale_state: str | None = domain_field(
        p.subdivision, "State of the first retail sale, ISO 3166-2, e.g. US-TX"
    )
    dealer: str | None = domain_field(_SHORT, "The selling dealer, as the answering policy allows")
    purchase_date: date | None = domain_field(calendar_date, "Date of first sale, YYYY-MM-DD")
    time_to_crime_days: int | None = domain_field(
        days, "Days from first sale to recovery (time to crime)"
    )
    reason: str | None = domain_field(_LONG, "Why the firearm cannot be traced")
    question: str | None = domain_field(_LONG, "What more the answering party needs")

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        answered = self.status is TraceResponseStatus.ANSWERED
        if answered and self.outcome is None:
            raise RecordError("outcome", None, "traced or not-traceable (the trace is answered)")
        if not answered and self.outcome is not None:
            raise RecordError("outcome", self.outcome.value, "no outcome before the answer")
        if self.outcome is TraceOutcome.TRACED and self.first_sale_state is None:
            raise RecordError(
                "first_sale_state", None, "the state of first sale of a traced firearm"
            )
        if self.outcome is TraceOutcome.NOT_TRACEABLE and self.reason is None:
            raise RecordError("reason", None, "why the firearm cannot be traced")
        if self.status is TraceResponseStatus.INFORMATION_REQUESTED and self.question is None:
            raise RecordError("question", None, "what more information is needed")


def trace_state(request: TraceRequest, response: TraceResponse | None) -> TraceState:
    """The status of a trace from the newest versions of its request and its response."""
    if request.status is TraceRequestStatus.CLOSED:
        return TraceState.CLOSED
    if response is None:
        return TraceState.SUBMITTED
    if response.status is TraceResponseStatus.ANSWERED:
        return TraceState.ANSWERED
    return TraceState.IN_PROGRESS
