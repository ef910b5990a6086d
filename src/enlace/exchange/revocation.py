"""Revocation: the owner withdraws a record, and the revocation reaches every partner that had it.

Only the owner's node revokes, and only a record it made (owner is this node's party and
``received_from`` is NULL): a received record is read-only where it lands. Revoking writes a
new version of the newest stored version with ``"revoked": true`` and a later ``modified``,
built through the model, and releases that version, signed, to EVERY partner that was
released any version of the record — even one the current releasability no longer names:
whoever holds the record must learn that it is revoked. So that the release rule still holds
(a version goes to P only if its markings name P), the revoked version's releasability is the
newest version's plus every such holder. Partners receive it by the normal sync.

Caveat: the revoked version carries the newest version's content. A holder that was dropped
from the releasability before a later version changed the content receives that later content
with the revocation (the STIX model has one content per version). The revocation is audited ("revocation"), each release as "release"; a refusal as
"revocation-refused" with the reason, then RevocationRefused is raised.

Revoking a record that is already revoked writes no new version; it releases the revoked
version to any partner that held the record and has not got the revocation yet.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from nacl.signing import SigningKey

from enlace.exchange.errors import ExchangeError
from enlace.exchange.release import _node_party, _release
from enlace.model.records.registry import record_from_stix
from enlace.model.timestamps import parse_timestamp, utc_now
from enlace.store.unit_of_work import UnitOfWork, UnitOfWorkFactory
from enlace.store.versions import StoredRow, StoredVersion


class RevocationRefused(ExchangeError):
    """This node may not revoke that record; the message says why."""

    def __init__(self, record_id: str, reason: str) -> None:
        self.record_id = record_id
        self.reason = reason
        super().__init__(f"record {record_id} not revoked: {reason}")


def revocation_refusal(row: StoredRow | None, *, party: str) -> str | None:
    """Why this node (of `party`) may not revoke the record whose newest version is `row`."""
    if row is None:
        return "no such record in this node"
    if row.received_from is not None:
        return (
            f"it was received from {row.received_from}: a received record is read-only here; "
            f"only its owner {row.owner} may revoke it"
        )
    if row.owner != party:
        return f"it is owned by {row.owner}; only the owner's node may revoke it"
    return None


def revoke_owned_record(
    store: UnitOfWorkFactory, *, record_id: str, signing_key: SigningKey, actor: str
) -> int:
    """Use case: revoke a record this node owns; how many partners were newly sent it.

    RevocationRefused, after its "revocation-refused" entry is committed, when this node may
    not revoke it.
    """
    with store.unit_of_work() as uow:
        try:
            sent = revoke_record(uow, record_id=record_id, signing_key=signing_key, actor=actor)
        except RevocationRefused:
            uow.commit()  # the refusal's audit entry is the evidence
            raise
        uow.commit()
    return sent


def revoke_record(uow: UnitOfWork, *, record_id: str, signing_key: SigningKey, actor: str) -> int:
    """Revoke `record_id` and release the revocation to every partner that had the record.

    Returns how many partners were newly sent the revoked version. The caller commits. On
    a refusal the "revocation-refused" audit entry is written in the caller's unit of work
    and RevocationRefused is raised; the caller commits that evidence (`revoke_owned_record`
    does).
    """
    party = _node_party(uow)
    audit = uow.audit
    row = uow.records.latest(record_id)
    reason = revocation_refusal(row, party=party)
    if reason is not None:
        audit.append(
            actor=actor,
            action="revocation-refused",
            subject=record_id,
            detail={"reason": reason},
        )
        raise RevocationRefused(record_id, reason)
    assert row is not None
    holders = [p for p in uow.releases.partners_holding(record_id) if p != party]
    if not row.revoked:
        record = record_from_stix(row.stix_object())
        newest = parse_timestamp(row.modified, field="modified")
        modified = max(utc_now(), newest + timedelta(microseconds=1))
        # The revoked version goes to every holder, so its releasability names them all:
        # the release rule (a version goes to P only if its markings name P) still holds.
        markings = dataclasses.replace(
            record.markings, releasable_to=record.markings.releasable_to | set(holders)
        )
        revoked = StoredVersion.of(
            record.with_version(modified=modified, revoked=True, markings=markings)
        )
        uow.records.add([revoked], added_at=uow.started_at)
        latest = uow.records.latest(record_id)
        assert latest is not None
        assert latest.modified == revoked.modified
        row = latest
        audit.append(
            actor=actor,
            action="revocation",
            subject=record_id,
            detail={"modified": row.modified, "kind": row.kind},
        )
    registered = {p.party for p in uow.partners.all()}
    return sum(
        _release(uow, audit, row, partner=partner, signing_key=signing_key, actor=actor)
        for partner in holders
        if partner in registered
    )
