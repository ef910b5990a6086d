"""Who is calling a partner API: one check of the bearer token for every route.

The TAXII exchange and the matching API both call `authenticate_partner`; a failure is
audited ("auth-failure": the path, the reason, the client address) in its own unit of work,
so the evidence stays whatever the route answers.
"""

from __future__ import annotations

from typing import Any

from enlace.store.repositories.partners import Partner, token_hash
from enlace.store.unit_of_work import UnitOfWorkFactory


class PartnerUnauthenticated(Exception):
    """No registered partner presented this credential; `reason` says what was missing."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"authentication required: {reason}")


def authenticate_partner(
    store: UnitOfWorkFactory, *, authorization: str, path: str, client: str | None
) -> Partner:
    """Use case: the registered partner whose bearer token is in `authorization` (the HTTP
    header's value); PartnerUnauthenticated, audited, when there is none."""
    scheme, _, token = authorization.partition(" ")
    partner = None
    if scheme.lower() != "bearer" or not token.strip():
        reason = "no bearer token"
    else:
        reason = "unknown token"
        with store.unit_of_work() as uow:
            partner = uow.partners.by_token_hash(token_hash(token.strip()))
    if partner is None:
        audit_partner_event(
            store,
            actor="anonymous",
            action="auth-failure",
            subject=path,
            detail={"reason": reason, "client": client},
        )
        raise PartnerUnauthenticated(reason)
    return partner


def audit_partner_event(
    store: UnitOfWorkFactory,
    *,
    actor: str,
    action: str,
    subject: str | None,
    detail: dict[str, Any],
) -> None:
    """Use case: one audit entry about a partner's request or answer (a failed
    authentication, a denied collection, an endpoint refused), committed on its own so it
    stays whatever happens next."""
    with store.unit_of_work() as uow:
        uow.audit.append(actor=actor, action=action, subject=subject, detail=detail)
        uow.commit()
