"""Who is calling a partner API: one check of the partner's credentials for every route.

A partner presents the token this node gave it, either as a bearer token
(``Authorization: Bearer <token>``, what Enlace nodes send) or as HTTP Basic credentials
whose user name is its party code and whose password is that same token
(``Authorization: Basic base64("US:<token>")``): off-the-shelf TAXII clients, such as the
OASIS taxii2-client, take a user name and a password but no bearer token.

The TAXII exchange and the matching API both call `authenticate_partner`; a failure is
counted in its own unit of work, so the evidence stays whatever the route answers: anyone
can send such requests, so they are not an audit entry each but one "refused-requests" entry
per minute and client address (`enlace.users.refused_requests`; reason "partner-api: ...",
target the path).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from enlace.store.repositories.partners import Partner, token_hash
from enlace.store.unit_of_work import UnitOfWorkFactory
from enlace.users.refused_requests import PARTNER_API, record_refused_request

# The WWW-Authenticate value of a 401 from a partner API: both ways a partner may present
# its token, so a client that only knows Basic sees that it is accepted.
PARTNER_CHALLENGE = 'Bearer, Basic realm="enlace", charset="UTF-8"'

NO_CREDENTIALS = "no credentials"
UNSUPPORTED_SCHEME = "unsupported authentication scheme (Bearer or Basic expected)"
MALFORMED_BASIC = "malformed basic credentials"
UNKNOWN_TOKEN = "unknown token"  # noqa: S105 - a reason, not a secret
UNKNOWN_CREDENTIALS = "unknown credentials"


class PartnerUnauthenticated(Exception):
    """No registered partner presented this credential; `reason` says what was missing."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"authentication required: {reason}")


@dataclass(frozen=True, slots=True)
class PresentedCredentials:
    """What an Authorization header presents: a token, and the party named with it (Basic
    credentials name one; a bearer token does not)."""

    token: str
    party: str | None


def parse_authorization(authorization: str) -> PresentedCredentials:
    """The credentials in the value of an Authorization header; PartnerUnauthenticated
    (not audited: the caller audits) with one reason when there are none or they cannot be
    read. Pure: no look-up, so anything a client sends is refused here, never an error."""
    scheme, _, rest = authorization.strip().partition(" ")
    rest = rest.strip()
    if not scheme or not rest:
        raise PartnerUnauthenticated(NO_CREDENTIALS)
    if scheme.lower() == "bearer":
        return PresentedCredentials(rest, None)
    if scheme.lower() != "basic":
        raise PartnerUnauthenticated(UNSUPPORTED_SCHEME)
    try:
        decoded = base64.b64decode(rest, validate=True)
    except (binascii.Error, ValueError):  # ValueError: text that is not ASCII at all
        raise PartnerUnauthenticated(f"{MALFORMED_BASIC}: not base64") from None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise PartnerUnauthenticated(f"{MALFORMED_BASIC}: not UTF-8") from None
    party, colon, token = text.partition(":")
    if not colon:
        raise PartnerUnauthenticated(f"{MALFORMED_BASIC}: no ':' between party and token")
    if not party or not token:
        raise PartnerUnauthenticated(f"{MALFORMED_BASIC}: the party or the token is empty")
    # Party codes are taken in any case everywhere else ('enlace partner add --party us').
    return PresentedCredentials(token, party.upper())


def authenticate_partner(
    store: UnitOfWorkFactory, *, authorization: str, path: str, client: str | None
) -> Partner:
    """Use case: the registered partner whose token is presented in `authorization` (the
    HTTP header's value: bearer, or Basic with the partner's party code as user name);
    PartnerUnauthenticated, counted as a refused request, when there is none."""
    partner = None
    try:
        presented = parse_authorization(authorization)
    except PartnerUnauthenticated as refused:
        reason = refused.reason
    else:
        with store.unit_of_work() as uow:
            partner = uow.partners.by_token_hash(token_hash(presented.token))
        if presented.party is None:
            reason = UNKNOWN_TOKEN
        else:
            # A token presented under another party's name is refused as if it were unknown:
            # the answer must not tell a caller that the token is valid for someone.
            reason = UNKNOWN_CREDENTIALS
            if partner is not None and partner.party != presented.party:
                partner = None
    if partner is None:
        # Counted, not an entry each: anyone can send these (enlace.users.refused_requests).
        record_refused_request(store, source=client, reason=f"{PARTNER_API}: {reason}", target=path)
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
