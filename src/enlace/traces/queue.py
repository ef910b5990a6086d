"""What a node knows of its traces: the queue, one trace, and the turnaround indicators.

Read-only use cases (each opens one unit of work and commits nothing): `list_traces`,
`trace_detail`, `trace_indicators`. A trace is its request and the response to it; this
node either made the request (`outgoing`) or was asked (`incoming`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from enlace.model.records import record_from_stix
from enlace.model.records.traces import TraceRequest, TraceResponse, TraceState, trace_state
from enlace.model.timestamps import parse_timestamp
from enlace.model.vocabulary import TraceResponseStatus
from enlace.store.unit_of_work import UnitOfWork, UnitOfWorkFactory
from enlace.traces.answers import response_id
from enlace.traces.errors import TraceError
from enlace.traces.steps import held_request, node_party


@dataclass(frozen=True, slots=True)
class TraceSummary:
    """One trace as the queue shows it."""

    request: TraceRequest
    response: TraceResponse | None
    direction: str  # "outgoing": this node asked; "incoming": this node was asked
    state: TraceState
    requested_at: datetime
    answered_at: datetime | None  # the first answered version of the response

    @property
    def information_requested(self) -> bool:
        """The answering party asks for more and the requester has not added it since."""
        return (
            self.state is TraceState.IN_PROGRESS
            and self.response is not None
            and self.response.status is TraceResponseStatus.INFORMATION_REQUESTED
            and self.response.modified > self.request.modified
        )

    @property
    def turnaround_days(self) -> float | None:
        """Days from request to answer, when answered."""
        if self.answered_at is None:
            return None
        return (self.answered_at - self.requested_at).total_seconds() / 86_400


def _summaries(uow: UnitOfWork, party: str | None = None) -> list[TraceSummary]:
    # `party`: this node's, when the caller knows it (the web app has it from node.json).
    party = party or node_party(uow)
    requests = [
        r
        for row in uow.records.iter_latest(kind=TraceRequest.KIND)
        if isinstance(r := record_from_stix(row.stix_object()), TraceRequest)
    ]
    answers = uow.records.latest_among(response_id(r.id) for r in requests)
    found: list[TraceSummary] = []
    for request in requests:
        row = answers.get(response_id(request.id))
        response = record_from_stix(row.stix_object()) if row is not None else None
        if not isinstance(response, TraceResponse) or response.owner != request.requested_of:
            response = None
        answered_at = None
        if response is not None and response.status is TraceResponseStatus.ANSWERED:
            answered_at = min(
                parse_timestamp(v.modified, field="modified")
                for v in uow.records.versions(response.id)
                if v.stix_object().get("status") == TraceResponseStatus.ANSWERED.value
            )
        found.append(
            TraceSummary(
                request=request,
                response=response,
                direction="outgoing" if request.owner == party else "incoming",
                state=trace_state(request, response),
                requested_at=request.created,
                answered_at=answered_at,
            )
        )
    found.sort(key=lambda s: (s.requested_at, s.request.id), reverse=True)
    return found


def list_traces(
    store: UnitOfWorkFactory,
    *,
    direction: str | None = None,
    state: str | None = None,
    party: str | None = None,
) -> list[TraceSummary]:
    """Read-only use case: the node's traces, newest first, optionally of one direction
    (incoming, outgoing) and one status (submitted, in-progress, answered, closed)."""
    if direction is not None and direction not in ("incoming", "outgoing"):
        raise TraceError(f"direction {direction[:40]!r}: expected incoming or outgoing")
    wanted = None
    if state is not None:
        try:
            wanted = TraceState(state.strip().lower().replace(" ", "-").replace("_", "-"))
        except ValueError:
            raise TraceError(
                f"status {state[:40]!r}: expected one of " + ", ".join(s.value for s in TraceState)
            ) from None
    with store.unit_of_work() as uow:
        found = _summaries(uow, party)
    return [
        s
        for s in found
        if (direction is None or s.direction == direction) and (wanted is None or s.state is wanted)
    ]


def trace_detail(store: UnitOfWorkFactory, *, request_id: str) -> TraceSummary:
    """Read-only use case: one trace; TraceError when no such request is held."""
    with store.unit_of_work() as uow:
        request, _ = held_request(uow, request_id)
        for summary in _summaries(uow):
            if summary.request.id == request.id:
                return summary
    raise TraceError(f"{request_id[:100]}: no such trace request on this node")


@dataclass(frozen=True, slots=True)
class TraceIndicators:
    """Turnaround and answer rate of one direction's traces."""

    direction: str
    requests: int
    answered: int
    median_days: float | None
    p90_days: float | None

    @property
    def answer_rate(self) -> float | None:
        """Answered requests over all requests, or None when there are none."""
        return self.answered / self.requests if self.requests else None


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (the smallest value with at least `fraction` at or below)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def indicators_of(summaries: Sequence[TraceSummary], direction: str) -> TraceIndicators:
    """Turnaround (median and 90th percentile days) and answer rate of `summaries`."""
    mine = [s for s in summaries if s.direction == direction]
    days = [d for s in mine if (d := s.turnaround_days) is not None]
    return TraceIndicators(
        direction=direction,
        requests=len(mine),
        answered=len(days),
        median_days=statistics.median(days) if days else None,
        p90_days=percentile(days, 0.9) if days else None,
    )


def trace_indicators(
    store: UnitOfWorkFactory, *, party: str | None = None
) -> tuple[TraceIndicators, TraceIndicators]:
    """Read-only use case: the indicators of the traces this node asked for (outgoing:
    partners' turnaround) and of those it was asked (incoming: its own turnaround)."""
    with store.unit_of_work() as uow:
        return indicators_in(uow, party)


def indicators_in(
    uow: UnitOfWork, party: str | None = None
) -> tuple[TraceIndicators, TraceIndicators]:
    """Building block of `trace_indicators` (and of the meeting report, in its own unit of
    work): (outgoing, incoming) indicators of the traces held."""
    found = _summaries(uow, party)
    return indicators_of(found, "outgoing"), indicators_of(found, "incoming")
