"""The building blocks every trace step shares: store the new version, audit it, release it.

Each step is a new version of a record owned by this node (the request on the requester's
node, the response on the answering node), stored, audited under its own action and released,
signed, to the one other party of the trace, all in the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from nacl.signing import SigningKey

from enlace.exchange.release import ReleaseRefused, release_record
from enlace.model.errors import RecordError
from enlace.model.records import record_from_stix
from enlace.model.records.base import Record
from enlace.model.records.traces import TraceRequest, TraceResponse
from enlace.model.timestamps import utc_now
from enlace.partners.errors import NotAPartner
from enlace.partners.registry import registered_partner
from enlace.store.unit_of_work import UnitOfWork
from enlace.store.versions import StoredRow, StoredVersion
from enlace.traces.errors import TraceError


def node_party(uow: UnitOfWork) -> str:
    """This node's party."""
    party = uow.settings.get("party")
    if party is None:
        raise TraceError("this store has no node party: run 'enlace init' first")
    return party


def later_than(previous: datetime | None) -> datetime:
    """Now, or just after `previous`: a new version is later than the one it follows."""
    now = utc_now()
    if previous is None or now > previous:
        return now
    return previous + timedelta(microseconds=1)


def held_request(uow: UnitOfWork, request_id: str) -> tuple[TraceRequest, StoredRow]:
    """The newest version of trace request `request_id` held here, or TraceError."""
    row = uow.records.latest(request_id.strip())
    if row is None or row.kind != TraceRequest.KIND:
        raise TraceError(
            f"{request_id[:100]}: no such trace request on this node "
            "('enlace trace list' shows the traces held)"
        )
    record = record_from_stix(row.stix_object())
    assert isinstance(record, TraceRequest)
    return record, row


def held_response(uow: UnitOfWork, response_id: str) -> TraceResponse | None:
    """The newest version of trace response `response_id` held here, or None."""
    row = uow.records.latest(response_id)
    if row is None:
        return None
    record = record_from_stix(row.stix_object())
    return record if isinstance(record, TraceResponse) else None


def built(cls: type[Record], build: Mapping[str, object], **envelope: object) -> Record:
    """A trace record from field values; TraceError naming the field that is wrong."""
    try:
        return cls.from_values(values=build, **envelope)  # type: ignore[arg-type]
    except RecordError as error:
        raise TraceError(f"{cls.KIND}: {error}") from None


def check_partner(uow: UnitOfWork, partner: str) -> None:
    """TraceError unless `partner` is a registered partner."""
    try:
        registered_partner(uow, partner)
    except NotAPartner as error:
        raise TraceError(str(error)) from None


def store_and_release(
    uow: UnitOfWork,
    record: Record,
    *,
    partner: str,
    signing_key: SigningKey,
    actor: str,
    action: str,
    detail: Mapping[str, object],
) -> str:
    """Store `record` as this node's new version, audit `action`, release it to `partner`.

    Returns the version's `modified`. A release the rule refuses raises TraceError and the
    caller commits nothing: no step is half taken.
    """
    version = StoredVersion.of(record)
    uow.records.add([version], added_at=uow.started_at)
    uow.audit.append(
        actor=actor,
        action=action,
        subject=record.id,
        detail={"partner": partner, "modified": version.modified, **detail},
    )
    try:
        release_record(
            uow, record_id=record.id, partner=partner, signing_key=signing_key, actor=actor
        )
    except ReleaseRefused as refusal:
        raise TraceError(str(refusal)) from None
    return version.modified
