"""The release rule: which record versions this node may send to a partner, and signing them.

A record version is released to partner P only when all of these hold:

- it is the newest version of a record this node owns: its owner is this node's party and it
  was made here (``received_from`` is NULL) — a received record is never passed on;
- P is in its releasability (``releasable_to``); an empty releasability means national only;
- P is a registered partner (and not this node's own party);
- it is not revoked (``enlace.exchange.revocation`` sends a revocation to every partner that
  held the record, whatever its releasability says now);
- P may hold every record it names (``enlace.exchange.references``); `release_all_allowed`
  skips the others and audits them once per batch ("release-withheld").

The stored STIX JSON is signed (Ed25519 over its RFC 8785 form) and the release is stored
with its signature and audited ("release"). A refusal is audited ("release-refused", with the
reason) and raises ReleaseRefused. Releasing the same version to the same partner again
changes nothing.

Use cases (each takes the store, opens its units of work and commits): `release_one`,
`release_records` and `release_everything_allowed`. A refusal is evidence: the use case
commits its "release-refused" entry before the refusal reaches the caller. The building
blocks `release_record` and `release_all_allowed` work inside the caller's unit of work and
never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nacl.signing import SigningKey

from enlace.exchange.errors import ExchangeError
from enlace.exchange.references import withheld_for_references, without_withheld
from enlace.exchange.signing import sign_record
from enlace.partners.errors import NotAPartner
from enlace.store.repositories.audit import AuditItem, AuditLog
from enlace.store.repositories.releases import ReleaseRow
from enlace.store.unit_of_work import UnitOfWork, UnitOfWorkFactory
from enlace.store.versions import StoredRow

_BATCH = 1000  # records read, signed and released at a time by release_all_allowed


class ReleaseRefused(ExchangeError):
    """The release rule forbids sending this record to this partner; the message says why."""

    def __init__(self, record_id: str, partner: str, reason: str) -> None:
        self.record_id = record_id
        self.partner = partner
        self.reason = reason
        super().__init__(f"record {record_id} not released to {partner}: {reason}")


def refusal_reason(
    row: StoredRow | None, *, party: str, partner: str, consented: bool = False
) -> str | None:
    """Why the release rule forbids releasing `row` (a newest version) to `partner`, or None.

    `consented`: this node holds its owner's signed consent to pass this version of a
    received record on to `partner` (onward release, enlace.exchange.consent).
    """
    if row is None:
        return "no such record in this node"
    if partner == party:
        return f"{partner} is this node's own party"
    if row.received_from is not None:
        if consented and not row.revoked:
            return None
        return (
            f"it was received from {row.received_from}: a received record is passed on only "
            f"with its owner's signed consent naming {partner} and this version; {row.owner} "
            f"can give one ('enlace consent' on {row.owner}'s node)"
        )
    if row.owner != party:
        return f"it is owned by {row.owner}; only the owner's node may release it"
    if row.revoked:
        return (
            "it is revoked: the revocation went to every partner that held it "
            "('enlace revoke'), and it is released to no one else"
        )
    if partner not in row.releasable_to:
        if not row.releasable_to:
            return "its markings make it national only (releasable to no partner)"
        return f"its markings allow release only to {', '.join(row.releasable_to)}"
    return None


def release_record(
    uow: UnitOfWork, *, record_id: str, partner: str, signing_key: SigningKey, actor: str
) -> bool:
    """Release the newest version of `record_id` to `partner`; False if already released.

    On a refusal the "release-refused" audit entry is written in the caller's unit of work
    and ReleaseRefused is raised; the caller commits that evidence (the use cases do).
    """
    party = _node_party(uow)
    audit = uow.audit
    row = uow.records.latest(record_id)
    consent = (
        uow.consents.find(record_id, row.modified, party, partner)
        if row is not None and row.received_from is not None
        else None
    )
    reason = refusal_reason(row, party=party, partner=partner, consented=consent is not None)
    if reason is None and uow.partners.get(partner) is None:
        reason = str(NotAPartner(partner))
    if reason is None and row is not None:  # a reference is a disclosure too
        reason = withheld_for_references(uow, party=party, partner=partner, rows=[row]).get(row.id)
    if reason is not None:
        audit.append(
            actor=actor,
            action="release-refused",
            subject=record_id,
            detail={"partner": partner, "reason": reason},
        )
        raise ReleaseRefused(record_id, partner, reason)
    assert row is not None
    if consent is not None:
        return _release_onward(uow, row, partner=partner, actor=actor)
    return _release(uow, audit, row, partner=partner, signing_key=signing_key, actor=actor)


def _release_onward(uow: UnitOfWork, row: StoredRow, *, partner: str, actor: str) -> bool:
    # A received record passed on with its owner's consent keeps its owner's signature (the
    # recipient checks it, and the consent, against the owner's key); the server sends the
    # consent with the record.
    if uow.releases.exists(row.id, row.modified, partner):
        return False
    signature = uow.signatures.get(row.id, row.modified)
    if signature is None:
        raise ExchangeError(f"record {row.id}: its owner's signature is not held here")
    number = uow.releases.insert(
        record_id=row.id,
        modified=row.modified,
        partner=partner,
        released_at=uow.started_at,
        signature=signature.signature,
    )
    uow.audit.append(
        actor=actor,
        action="release",
        subject=row.id,
        detail={
            "partner": partner,
            "modified": row.modified,
            "kind": row.kind,
            "onward_of": row.owner,
            "sequence": number,
        },
    )
    return True


def release_all_allowed(
    uow: UnitOfWork, *, partner: str, signing_key: SigningKey, actor: str
) -> int:
    """Release every owned newest version whose markings allow `partner`; return how many
    were newly released. Raises ReleaseRefused (audited in the caller's unit of work) when
    `partner` is this node's party or not registered."""
    party = _node_party(uow)
    _check_partner(uow, party, partner, actor)
    # In batches of records, by id: each batch is read, signed and written before the next
    # is read, so memory stays flat however many records the node holds.
    released = 0
    after: str | None = None
    while batch := uow.records.latest_after(after, limit=_BATCH):
        after = batch[-1].id
        released += _release_batch(
            uow, batch, party=party, partner=partner, signing_key=signing_key, actor=actor
        )
    return released


def _check_partner(uow: UnitOfWork, party: str, partner: str, actor: str) -> None:
    # The refusal of a whole release (a partner not registered, or this node's own party),
    # audited in the caller's unit of work.
    if partner == party or uow.partners.get(partner) is None:
        reason = (
            f"{partner} is this node's own party" if partner == party else str(NotAPartner(partner))
        )
        uow.audit.append(
            actor=actor, action="release-refused", subject=partner, detail={"reason": reason}
        )
        raise ReleaseRefused("(all)", partner, reason)


def _release_batch(
    uow: UnitOfWork,
    batch: list[StoredRow],
    *,
    party: str,
    partner: str,
    signing_key: SigningKey,
    actor: str,
) -> int:
    # One batch of newest versions: the allowed ones not yet released are signed, numbered
    # (in commit order: `insert_many` takes the partner's counter row, locked until commit)
    # and audited; the withheld ones audited once for the batch. How many were new.
    releases = uow.releases
    audit = uow.audit
    allowed = [row for row in batch if refusal_reason(row, party=party, partner=partner) is None]
    held = releases.released_among(partner, [(row.id, row.modified) for row in allowed])
    fresh = [row for row in allowed if (row.id, row.modified) not in held]
    fresh = without_withheld(uow, fresh, party=party, partner=partner, actor=actor)
    if not fresh:
        return 0
    # Signed before the sequence numbers are taken: the counter row stays locked from
    # `insert_many` to the commit, and other batches wait only for the writes, not for this
    # signing.
    rows = [
        ReleaseRow(
            record_id=row.id,
            modified=row.modified,
            partner=partner,
            released_at=uow.started_at,
            signature=sign_record(row.stix_object(), signing_key),
            sequence=0,  # numbered by insert_many, in commit order
        )
        for row in fresh
    ]
    numbers = releases.insert_many(rows)
    audit.append_many(
        [
            AuditItem(
                actor,
                "release",
                row.id,
                {
                    "partner": partner,
                    "modified": row.modified,
                    "kind": row.kind,
                    "sequence": number,
                },
            )
            for row, number in zip(fresh, numbers, strict=True)
        ]
    )
    return len(fresh)


@dataclass(frozen=True, slots=True)
class ReleaseBatch:
    """A range of record ids released as one unit of work (a job on a PostgreSQL node):
    the newest versions whose id follows `after` (None: from the first) up to `upto`
    included (None: to the last)."""

    after: str | None
    upto: str | None


def plan_release_batches(
    store: UnitOfWorkFactory, *, partner: str, actor: str, size: int = _BATCH
) -> list[ReleaseBatch]:
    """Use case: check that `partner` may be released to (ReleaseRefused, its audit entry
    committed, if not) and cut the node's records into id ranges of `size` records, the
    batches `release_everything_allowed` works through, for `release_batch` to release one
    at a time (the jobs of `enlace release --all --queue`)."""
    with store.unit_of_work() as uow:
        try:
            _check_partner(uow, _node_party(uow), partner, actor)
        except ReleaseRefused:
            uow.commit()  # the refusal's audit entry is the evidence
            raise
        bounds = []
        after: str | None = None
        while (upto := uow.records.latest_id_after(after, skip=size - 1)) is not None:
            bounds.append(ReleaseBatch(after, upto))
            after = upto
        bounds.append(ReleaseBatch(after, None))
    return bounds


def release_batch(
    store: UnitOfWorkFactory,
    *,
    partner: str,
    batch: ReleaseBatch,
    signing_key: SigningKey,
    actor: str,
) -> int:
    """Use case: release to `partner` the allowed, not yet released newest versions of the
    records in `batch`, in one unit of work; how many were new. Run again (a job retried
    after its worker died) it releases only what the first run did not commit: nothing
    twice, and sequence numbers without a gap (they are taken at commit time)."""
    with store.unit_of_work() as uow:
        party = _node_party(uow)
        try:  # the partner removed since the batches were planned
            _check_partner(uow, party, partner, actor)
        except ReleaseRefused:
            uow.commit()  # the refusal's audit entry is the evidence
            raise
        released = 0
        after = batch.after
        while rows := uow.records.latest_after(after, limit=_BATCH, upto_id=batch.upto):
            after = rows[-1].id
            released += _release_batch(
                uow, rows, party=party, partner=partner, signing_key=signing_key, actor=actor
            )
        uow.commit()
    return released


@dataclass(frozen=True, slots=True)
class ReleaseOutcome:
    """What `release_records` did: versions newly released, and each record refused."""

    released: int
    refused: tuple[ReleaseRefused, ...]


def release_one(
    store: UnitOfWorkFactory,
    *,
    record_id: str,
    partner: str,
    signing_key: SigningKey,
    actor: str,
) -> bool:
    """Use case: release the newest version of `record_id` to `partner`, signed and audited.

    False when that version was already released to `partner`. ReleaseRefused when the
    release rule forbids it, after its "release-refused" entry is committed.
    """
    with store.unit_of_work() as uow:
        try:
            done = release_record(
                uow, record_id=record_id, partner=partner, signing_key=signing_key, actor=actor
            )
        except ReleaseRefused:
            uow.commit()  # the refusal's audit entry, and nothing else, is the evidence
            raise
        uow.commit()
    return done


def release_records(
    store: UnitOfWorkFactory,
    *,
    record_ids: Iterable[str],
    partner: str,
    signing_key: SigningKey,
    actor: str,
) -> ReleaseOutcome:
    """Use case: `release_one` for each record, in a unit of work of its own.

    One unit of work per record: a refused record is audited and committed as evidence
    while the others are still released.
    """
    released = 0
    refused: list[ReleaseRefused] = []
    for record_id in record_ids:
        try:
            released += release_one(
                store, record_id=record_id, partner=partner, signing_key=signing_key, actor=actor
            )
        except ReleaseRefused as refusal:
            refused.append(refusal)
    return ReleaseOutcome(released, tuple(refused))


def release_everything_allowed(
    store: UnitOfWorkFactory, *, partner: str, signing_key: SigningKey, actor: str
) -> int:
    """Use case: release to `partner` every owned record its markings allow; how many were new.

    ReleaseRefused, its audit entry committed, when `partner` is not a registered partner.
    """
    with store.unit_of_work() as uow:
        try:
            released = release_all_allowed(
                uow, partner=partner, signing_key=signing_key, actor=actor
            )
        except ReleaseRefused:
            uow.commit()  # the refusal's audit entry is the evidence
            raise
        uow.commit()
    return released


def _release(
    uow: UnitOfWork,
    audit: AuditLog,
    row: StoredRow,
    *,
    partner: str,
    signing_key: SigningKey,
    actor: str,
    new: bool = False,
) -> bool:
    # `new`: the caller already checked that this version is not released to `partner`.
    releases = uow.releases
    if not new and releases.exists(row.id, row.modified, partner):
        return False
    signature = sign_record(row.stix_object(), signing_key)
    number = releases.insert(
        record_id=row.id,
        modified=row.modified,
        partner=partner,
        released_at=uow.started_at,
        signature=signature,
    )
    # The number in the partner's release sequence: what the partner's receipt and its gap
    # checks name, so either side can match an entry here to one there.
    audit.append(
        actor=actor,
        action="release",
        subject=row.id,
        detail={
            "partner": partner,
            "modified": row.modified,
            "kind": row.kind,
            "sequence": number,
        },
    )
    return True


def _node_party(uow: UnitOfWork) -> str:
    party = uow.settings.get("party")
    if party is None:
        raise ExchangeError("this store has no node party: run 'enlace init' first")
    return party
