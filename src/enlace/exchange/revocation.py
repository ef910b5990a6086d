"""Revocation: the owner withdraws a record, and a tombstone — no content — reaches every party
that had it.

Only the owner's node revokes, and only a record it made (owner is this node's party and
``received_from`` is NULL): a received record is read-only where it lands. Revoking writes a
new version of the newest stored version with ``"revoked": true`` and a later ``modified`` in
this node's own store, and puts a signed tombstone (enlace.exchange.statements: record id,
owner, time, reason code, and nothing of the content) in the release sequence of EVERY party
that was released any version of the record, and of every party this node consented to
receive it onward — even one the current releasability no longer names. The revoked version
itself is released to no one: a party that the record was withdrawn from learns that it is
revoked, never what a later version says. A party that still may hold the record gets new
content only through a normal release. Partners receive the tombstone by the normal sync and
keep the record as revoked: shown as such, never matched, counted or reported.

The revocation is audited ("revocation"), each tombstone sent as "tombstone-sent"; a refusal
as "revocation-refused" with the reason, then RevocationRefused is raised. Revoking a record
that is already revoked writes no new version; it sends the same tombstone to any holder that
has not got it yet.
"""

from __future__ import annotations

from datetime import timedelta

from nacl.signing import SigningKey

from enlace.exchange.errors import ExchangeError
from enlace.exchange.release import _node_party
from enlace.exchange.statements import REVOCATION_REASONS, Tombstone, digest_of, sign_tombstone
from enlace.model.records.registry import record_from_stix
from enlace.model.timestamps import parse_timestamp, utc_now
from enlace.store.repositories.statements import Revocation
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
    store: UnitOfWorkFactory,
    *,
    record_id: str,
    signing_key: SigningKey,
    actor: str,
    reason: str = "withdrawn",
) -> int:
    """Use case: revoke a record this node owns; how many partners were newly sent it.

    RevocationRefused, after its "revocation-refused" entry is committed, when this node may
    not revoke it.
    """
    with store.unit_of_work() as uow:
        try:
            sent = revoke_record(
                uow, record_id=record_id, signing_key=signing_key, actor=actor, reason=reason
            )
        except RevocationRefused:
            uow.commit()  # the refusal's audit entry is the evidence
            raise
        uow.commit()
    return sent


def revoke_record(
    uow: UnitOfWork,
    *,
    record_id: str,
    signing_key: SigningKey,
    actor: str,
    reason: str = "withdrawn",
) -> int:
    """Revoke `record_id` and send its tombstone to every party that had the record.

    Returns how many parties were newly sent the tombstone. The caller commits. On a refusal
    the "revocation-refused" audit entry is written in the caller's unit of work and
    RevocationRefused is raised; the caller commits that evidence (`revoke_owned_record`
    does).
    """
    party = _node_party(uow)
    audit = uow.audit
    row = uow.records.latest(record_id)
    refusal = revocation_refusal(row, party=party)
    if refusal is None and reason not in REVOCATION_REASONS:
        refusal = f"unknown reason {reason!r}: one of {', '.join(REVOCATION_REASONS)}"
    if refusal is not None:
        audit.append(
            actor=actor,
            action="revocation-refused",
            subject=record_id,
            detail={"reason": refusal},
        )
        raise RevocationRefused(record_id, refusal)
    assert row is not None
    if not row.revoked:
        record = record_from_stix(row.stix_object())
        newest = parse_timestamp(row.modified, field="modified")
        modified = max(utc_now(), newest + timedelta(microseconds=1))
        revoked = StoredVersion.of(record.with_version(modified=modified, revoked=True))
        uow.records.add([revoked], added_at=uow.started_at)
        latest = uow.records.latest(record_id)
        assert latest is not None
        assert latest.modified == revoked.modified
        row = latest
        audit.append(
            actor=actor,
            action="revocation",
            subject=record_id,
            detail={"modified": row.modified, "kind": row.kind, "reason": reason},
        )
    issued = uow.revocations.get(record_id)
    if issued is None:
        signed = sign_tombstone(Tombstone(record_id, party, row.modified, reason), signing_key)
        issued = Revocation(
            record_id,
            party,
            row.modified,
            reason,
            signed.text,
            signed.signature,
            None,
            uow.started_at,
        )
        uow.revocations.add(issued)
    holders = set(uow.releases.partners_holding(record_id))
    # Parties that received it onward with this node's consent hold it too.
    holders |= {
        consent.recipient
        for consent in uow.consents.of_record(record_id)
        if consent.owner == party and consent.received_from is None
    }
    registered = {p.party for p in uow.partners.all()}
    sent = 0
    for holder in sorted(holders - {party}):
        if holder not in registered or uow.releases.statement_sent(holder, "tombstone", record_id):
            continue
        number = uow.releases.add_statement(
            partner=holder,
            kind="tombstone",
            record_id=record_id,
            statement=issued.statement,
            digest=digest_of(issued.statement.encode("utf-8")),
            signature=issued.signature,
            at=uow.started_at,
        )
        audit.append(
            actor=actor,
            action="tombstone-sent",
            subject=record_id,
            detail={"partner": holder, "sequence": number, "reason": issued.reason},
        )
        sent += 1
    return sent
