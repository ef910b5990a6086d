"""The requester's side of a trace: ask a partner, add what it asks for, close.

Use cases (each opens one unit of work and commits once): `request_trace`,
`add_trace_information`, `close_trace`. A request is marked TLP:AMBER, releasable to the
partner asked only, handling H2 (no onward release without the requester's consent), and
released to that partner in the same unit of work: the partner receives it at its next sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nacl.signing import SigningKey

from enlace.exchange.release import refusal_reason
from enlace.model.markings import Markings
from enlace.model.records import Firearm, record_from_stix
from enlace.model.records.base import new_id
from enlace.model.records.traces import TraceRequest, TraceState
from enlace.model.vocabulary import TraceRequestStatus
from enlace.store.unit_of_work import UnitOfWork, UnitOfWorkFactory
from enlace.traces.errors import TraceError
from enlace.traces.steps import (
    built,
    check_partner,
    held_request,
    later_than,
    node_party,
    store_and_release,
)

# What a request says about the firearm, and what a firearm record can fill in.
FIREARM_FIELDS = (
    "make",
    "serial",
    "model",
    "caliber",
    "firearm_type",
    "importer",
    "recovery_state",
    "recovery_date",
)
REQUEST_FIELDS = (*FIREARM_FIELDS, "case_reference", "circumstances")


@dataclass(frozen=True, slots=True)
class TraceStep:
    """What one step of a trace did: the record versioned and the trace's status after it."""

    request_id: str
    record_id: str
    modified: str
    state: TraceState


def request_trace(
    store: UnitOfWorkFactory,
    *,
    partner: str,
    firearm: Mapping[str, object],
    firearm_id: str | None = None,
    signing_key: SigningKey,
    actor: str,
) -> TraceStep:
    """Use case: ask `partner` to trace a recovered firearm; audited `trace-request`.

    `firearm` holds the request's fields (REQUEST_FIELDS); `firearm_id` names a firearm
    record held here whose description fills the fields not given (and which the request
    names when `partner` may hold it). TraceError, nothing written, when a field is wrong,
    `partner` is not a registered partner, or the firearm is not held.
    """
    partner = partner.strip().upper()
    unknown = sorted(set(firearm) - set(REQUEST_FIELDS))
    if unknown:
        raise TraceError(
            f"{', '.join(unknown)}: not a field of a trace request; fields: "
            + ", ".join(REQUEST_FIELDS)
        )
    with store.unit_of_work() as uow:
        party = node_party(uow)
        check_partner(uow, partner)
        values: dict[str, object] = {k: v for k, v in firearm.items() if v not in (None, "")}
        if firearm_id:
            values = {**_firearm_values(uow, firearm_id, party=party, partner=partner), **values}
        now = later_than(None)
        record = built(
            TraceRequest,
            {**values, "requested_of": partner, "status": TraceRequestStatus.SUBMITTED.value},
            id=new_id(TraceRequest.STIX_TYPE),
            owner=party,
            markings=Markings.build(tlp="amber", releasable_to=partner, handling="H2"),
            created=now,
            modified=now,
            created_by_ref=None,
        )
        assert isinstance(record, TraceRequest)
        modified = store_and_release(
            uow,
            record,
            partner=partner,
            signing_key=signing_key,
            actor=actor,
            action="trace-request",
            detail={"status": record.status.value, "make": record.make},
        )
        uow.commit()
    return TraceStep(record.id, record.id, modified, TraceState.SUBMITTED)


def _firearm_values(
    uow: UnitOfWork, firearm_id: str, *, party: str, partner: str
) -> dict[str, object]:
    row = uow.records.latest(firearm_id.strip())
    if row is None or row.kind != Firearm.KIND:
        raise TraceError(f"{firearm_id[:100]}: no such firearm record on this node")
    firearm = record_from_stix(row.stix_object())
    assert isinstance(firearm, Firearm)
    values: dict[str, object] = {
        name: getattr(firearm, name)
        for name in FIREARM_FIELDS
        if getattr(firearm, name) is not None
    }
    # The request names the firearm record only where the partner may hold it (a reference
    # is a disclosure too); otherwise it carries the description alone.
    if refusal_reason(row, party=party, partner=partner) is None:
        values["firearm_ref"] = firearm.id
    return values


def add_trace_information(
    store: UnitOfWorkFactory,
    *,
    request_id: str,
    information: str,
    signing_key: SigningKey,
    actor: str,
) -> TraceStep:
    """Use case: answer the partner's question with a new version of this node's request;
    audited `trace-information`. TraceError when the request is not this node's or closed."""
    with store.unit_of_work() as uow:
        request = _own_open_request(uow, request_id)
        record = built(
            TraceRequest,
            {**_values_of(request), "additional_information": information},
            **_envelope(request),
        )
        modified = store_and_release(
            uow,
            record,
            partner=request.requested_of,
            signing_key=signing_key,
            actor=actor,
            action="trace-information",
            detail={"status": request.status.value},
        )
        uow.commit()
    return TraceStep(request.id, request.id, modified, TraceState.IN_PROGRESS)


def close_trace(
    store: UnitOfWorkFactory, *, request_id: str, signing_key: SigningKey, actor: str
) -> TraceStep:
    """Use case: close this node's trace request (only the requester closes); audited
    `trace-close`. TraceError when the request is not this node's or already closed."""
    with store.unit_of_work() as uow:
        request = _own_open_request(uow, request_id)
        record = built(
            TraceRequest,
            {**_values_of(request), "status": TraceRequestStatus.CLOSED.value},
            **_envelope(request),
        )
        modified = store_and_release(
            uow,
            record,
            partner=request.requested_of,
            signing_key=signing_key,
            actor=actor,
            action="trace-close",
            detail={"status": TraceRequestStatus.CLOSED.value},
        )
        uow.commit()
    return TraceStep(request.id, request.id, modified, TraceState.CLOSED)


def _own_open_request(uow: UnitOfWork, request_id: str) -> TraceRequest:
    request, row = held_request(uow, request_id)
    party = node_party(uow)
    if row.received_from is not None or request.owner != party:
        raise TraceError(
            f"{request.id}: a request of {request.owner} to this node; only the requester "
            "adds information to it or closes it (answer it with 'enlace trace answer')"
        )
    if request.status is TraceRequestStatus.CLOSED:
        raise TraceError(f"{request.id}: the trace request is closed; a closed trace stays closed")
    return request


def _values_of(request: TraceRequest) -> dict[str, object]:
    stix = request.to_stix()
    return {
        name: stix[name]
        for name in (
            *REQUEST_FIELDS,
            "requested_of",
            "status",
            "firearm_ref",
            "additional_information",
        )
        if name in stix
    }


def _envelope(request: TraceRequest) -> dict[str, object]:
    return {
        "id": request.id,
        "owner": request.owner,
        "markings": request.markings,
        "created": request.created,
        "modified": later_than(request.modified),
        "created_by_ref": request.created_by_ref,
    }
