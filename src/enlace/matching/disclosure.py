"""Disclosure requests (solicitudes de divulgación) on the owner's node, and its decisions.

A partner that matched one of this node's records knows it only by an opaque handle. It may
ask for the record; the request waits here as pending until the owner approves it — which
is the normal release (`enlace.exchange.release`), so the record then travels by sync with
its markings, and only if its markings allow that partner — or refuses it with a reason.
Every request and decision is audited. The requesting partner may ask what became of its
request (`request_outcome`): pending, approved or refused, when, and the owner's reason for
refusing (the owner is told, when refusing, that the partner reads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nacl.signing import SigningKey

from enlace.exchange.release import ReleaseRefused, release_record
from enlace.matching.errors import DisclosureError, MatchRefused
from enlace.store.repositories.disclosures import DisclosureRepository, DisclosureRequest
from enlace.store.repositories.operations import OPERATION_ID_PREFIX
from enlace.store.store import Store
from enlace.store.unit_of_work import UnitOfWork

INCOMING = "incoming"
OUTGOING = "outgoing"
MAX_REASON = 2000  # characters of a request's or a refusal's reason


def receive_request(store: Store, *, partner: str, handle: str, reason: str | None) -> int:
    """Store `partner`'s request for the record behind `handle` as pending; return its id.

    A second request for a record already pending returns the first one's id. An unknown
    handle (or another partner's) raises MatchRefused 404, which says nothing about
    whether the record exists.
    """
    if reason is not None and len(reason) > MAX_REASON:
        raise MatchRefused(400, "bad-request", f"the reason is longer than {MAX_REASON} characters")
    with store.unit_of_work() as uow:
        record_id = uow.handles.record_of(partner, handle)
        # An operation's handle names no record: operations are never disclosed
        # (docs/deconfliction.md), and the answer does not say the handle exists.
        if record_id is None or record_id.startswith(OPERATION_ID_PREFIX):
            raise MatchRefused(404, "unknown-handle", f"no matched record with handle {handle!r}")
        requests = uow.disclosures
        pending = requests.pending_for(partner, record_id)
        if pending is not None:
            return pending.id
        request_id = requests.add(
            direction=INCOMING,
            partner=partner,
            handle=handle,
            record_id=record_id,
            reason=reason,
            at=uow.started_at,
        )
        uow.audit.append(
            actor=partner,
            action="disclosure-request",
            subject=record_id,
            detail={"request": request_id, "partner": partner, "reason": reason},
        )
        uow.commit()
    return request_id


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the owner tells the requesting partner of one of its requests."""

    request_id: int
    status: str  # pending, approved, refused
    decided_at: str | None
    reason: str | None  # the owner's reason, for a refusal


def request_outcome(store: Store, *, partner: str, request_id: int) -> Outcome:
    """The state of `partner`'s request `request_id`.

    MatchRefused 404 for an id that is not one of `partner`'s requests (another partner's
    requests are not its business, and the answer does not say they exist).
    """
    with store.unit_of_work() as uow:
        request = uow.disclosures.get(request_id)
    if request is None or request.direction != INCOMING or request.partner != partner:
        raise MatchRefused(404, "unknown-request", f"no disclosure request {request_id} of yours")
    return Outcome(request.id, request.status, request.decided_at, request.decision_reason)


@dataclass(frozen=True, slots=True)
class Approval:
    """An approved request, and whether the approval released a version not released before
    (False when the record had already gone to that partner, e.g. by the normal exchange)."""

    request: DisclosureRequest
    newly_released: bool


def approve_request(
    store: Store, *, request_id: int, signing_key: SigningKey, actor: str
) -> Approval:
    """Release the requested record to the partner and mark the request approved.

    ReleaseRefused (audited) when the record's markings do not allow that partner: the
    request stays pending, and the owner may change the markings or refuse it.
    """
    with store.unit_of_work() as uow:
        request = _pending(uow.disclosures, request_id)
        assert request.record_id is not None
        try:
            newly_released = release_record(
                uow,
                record_id=request.record_id,
                partner=request.partner,
                signing_key=signing_key,
                actor=actor,
            )
        except ReleaseRefused:
            uow.commit()  # the refusal's audit entry; the request stays pending
            raise
        uow.disclosures.decide(
            request_id, status="approved", at=uow.started_at, by=actor, reason=None
        )
        uow.audit.append(
            actor=actor,
            action="disclosure-approved",
            subject=request.record_id,
            detail={
                "request": request_id,
                "partner": request.partner,
                "newly_released": newly_released,
            },
        )
        uow.commit()
        decided = uow.disclosures.get(request_id)
    assert decided is not None
    return Approval(decided, newly_released)


def refuse_request(store: Store, *, request_id: int, reason: str, actor: str) -> DisclosureRequest:
    """Mark a pending request refused, with the owner's reason."""
    if not reason.strip():
        raise DisclosureError("give a reason for refusing (--reason TEXT)")
    if len(reason) > MAX_REASON:
        raise DisclosureError(
            f"the reason is {len(reason):,} characters long; at most {MAX_REASON:,}, please"
        )
    with store.unit_of_work() as uow:
        requests = uow.disclosures
        request = _pending(requests, request_id)
        _decide(
            uow,
            request_id,
            status="refused",
            at=uow.started_at,
            by=actor,
            reason=reason,
            audit=(actor, "disclosure-refused", request.record_id or ""),
            detail={"request": request_id, "partner": request.partner, "reason": reason},
        )
        uow.commit()
        decided = requests.get(request_id)
    assert decided is not None
    return decided


def record_outcome(
    store: Store,
    request: DisclosureRequest,
    *,
    status: str,
    decided_at: str | None,
    reason: str | None,
    actor: str,
) -> None:
    """On the requester: the owner decided `request` (this node's, to that owner) so."""
    with store.unit_of_work() as uow:
        _decide(
            uow,
            request.id,
            status=status,
            at=decided_at or uow.started_at,
            by=request.partner,
            reason=reason,
            audit=(actor, "disclosure-outcome", request.handle),
            detail={"partner": request.partner, "remote_id": request.remote_id, "status": status},
        )
        uow.commit()


def _decide(
    uow: UnitOfWork,
    request_id: int,
    *,
    status: str,
    at: str,
    by: str,
    reason: str | None,
    audit: tuple[str, str, str],
    detail: dict[str, Any],
) -> None:
    # A decision and its audit entry (actor, action, subject) go in the caller's unit of work.
    uow.disclosures.decide(request_id, status=status, at=at, by=by, reason=reason)
    actor, action, subject = audit
    uow.audit.append(actor=actor, action=action, subject=subject, detail=detail)


def _pending(requests: DisclosureRepository, request_id: int) -> DisclosureRequest:
    request = requests.get(request_id)
    if request is None or request.direction != INCOMING:
        raise DisclosureError(
            f"no disclosure request {request_id} from a partner here ('enlace match requests')"
        )
    if request.status != "pending":
        raise DisclosureError(f"disclosure request {request_id} is already {request.status}")
    return request
