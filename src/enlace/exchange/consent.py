"""Onward release with the owner's consent (handling H2): the owner lets a partner that holds
one of its records pass that version on to a named third party.

The owner's node signs a consent (enlace.exchange.statements: record, version, owner, holder,
recipient, time) and puts it in the holder's release sequence. The holder may then release
that version — and only that one — to that recipient (`enlace release`); the record keeps the
owner's signature and travels with the consent, and the recipient checks both against the
owner's key before storing it. The owner knows every onward holder from its consents, so a
later revocation's tombstone reaches them too.
"""

from __future__ import annotations

from nacl.signing import SigningKey

from enlace.exchange.errors import ExchangeError
from enlace.exchange.release import _node_party
from enlace.exchange.statements import Consent, sign_consent
from enlace.store.repositories.statements import Consent as HeldConsent
from enlace.store.unit_of_work import UnitOfWorkFactory


class ConsentRefused(ExchangeError):
    """This node may not give that consent; the message says why."""

    def __init__(self, record_id: str, reason: str) -> None:
        self.record_id = record_id
        self.reason = reason
        super().__init__(f"no consent given for record {record_id}: {reason}")


def consent_to_onward_release(
    store: UnitOfWorkFactory,
    *,
    record_id: str,
    holder: str,
    recipient: str,
    signing_key: SigningKey,
    actor: str,
) -> bool:
    """Use case: consent that `holder` pass the newest version of `record_id` (owned and made
    here, already released to `holder`) on to `recipient`. False when that consent was
    already given. ConsentRefused, its audit entry committed, when it may not be given."""
    with store.unit_of_work() as uow:
        party = _node_party(uow)
        row = uow.records.latest(record_id)
        registered = {p.party for p in uow.partners.all()}
        reason = None
        if row is None:
            reason = "no such record in this node"
        elif row.owner != party or row.received_from is not None:
            reason = f"it is owned by {row.owner}; only its owner consents to an onward release"
        elif row.revoked:
            reason = "it is revoked"
        elif holder not in registered or recipient not in registered:
            missing = holder if holder not in registered else recipient
            reason = (
                f"{missing} is not a registered partner: the owner must be able to send its "
                "revocations to every holder"
            )
        elif recipient in (holder, party):
            reason = f"{recipient} cannot be the recipient of an onward release from {holder}"
        elif not uow.releases.exists(row.id, row.modified, holder):
            reason = f"its newest version ({row.modified}) was not released to {holder}"
        if reason is not None:
            uow.audit.append(
                actor=actor,
                action="consent-refused",
                subject=record_id,
                detail={"holder": holder, "recipient": recipient, "reason": reason},
            )
            uow.commit()
            raise ConsentRefused(record_id, reason)
        assert row is not None
        if uow.consents.find(row.id, row.modified, holder, recipient) is not None:
            return False
        signed = sign_consent(
            Consent(row.id, row.modified, party, holder, recipient, uow.started_at), signing_key
        )
        uow.consents.add(
            HeldConsent(
                row.id,
                row.modified,
                party,
                holder,
                recipient,
                signed.text,
                signed.signature,
                None,
                uow.started_at,
            )
        )
        number = uow.releases.add_statement(
            partner=holder,
            kind="consent",
            record_id=row.id,
            statement=signed.text,
            digest=signed.digest,
            signature=signed.signature,
            at=uow.started_at,
        )
        uow.audit.append(
            actor=actor,
            action="consent",
            subject=record_id,
            detail={
                "holder": holder,
                "recipient": recipient,
                "modified": row.modified,
                "sequence": number,
            },
        )
        uow.commit()
    return True
