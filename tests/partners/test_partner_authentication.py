"""A partner's credentials: its token as a bearer token, or as HTTP Basic credentials with its
party code as user name; anything else is refused with one reason, audited, never an error."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from enlace.partners.authentication import (
    PartnerUnauthenticated,
    PresentedCredentials,
    authenticate_partner,
    parse_authorization,
)
from enlace.store.store import Store
from enlace.users.refused_requests import flush_refused_requests, minute_of
from support.clock import FrozenClock
from support.exchange import CA_TOKEN, US_TOKEN, audit_actions, mx_node

PATH = "/enlace/collections/"


def basic(raw: bytes | str) -> str:
    """The Authorization value of Basic credentials whose decoded form is `raw`."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    return "Basic " + base64.b64encode(data).decode("ascii")


@pytest.mark.parametrize(
    ("authorization", "presented"),
    [
        (f"Bearer {US_TOKEN}", PresentedCredentials(US_TOKEN, None)),
        (f"bearer   {US_TOKEN}  ", PresentedCredentials(US_TOKEN, None)),
        (basic(f"US:{US_TOKEN}"), PresentedCredentials(US_TOKEN, "US")),
        # Party codes are taken in any case, as by 'enlace partner add --party us'.
        ("basic " + basic(f"us:{US_TOKEN}").split()[1], PresentedCredentials(US_TOKEN, "US")),
        # RFC 7617: the user name ends at the first colon; the password may hold more.
        (basic("US:to:ken"), PresentedCredentials("to:ken", "US")),
        (basic("MX:contraseña-ñ"), PresentedCredentials("contraseña-ñ", "MX")),
    ],
)
def test_a_bearer_token_or_basic_credentials_are_read(
    authorization: str, presented: PresentedCredentials
) -> None:
    assert parse_authorization(authorization) == presented


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        ("", "no credentials"),
        ("   ", "no credentials"),
        ("Bearer", "no credentials"),
        ("Bearer    ", "no credentials"),
        ("Basic", "no credentials"),
        ("Digest username=US", "unsupported authentication scheme (Bearer or Basic expected)"),
        (US_TOKEN, "no credentials"),
        ("Basic !!not-base64!!", "malformed basic credentials: not base64"),
        ("Basic VVM6dG9rZW4", "malformed basic credentials: not base64"),  # padding cut
        ("Basic VVM6 dG9rZW4=", "malformed basic credentials: not base64"),
        ("Basic ñandú", "malformed basic credentials: not base64"),  # not even ASCII
        (basic(b"US:\xff\xfe-token"), "malformed basic credentials: not UTF-8"),
        (basic(US_TOKEN), "malformed basic credentials: no ':' between party and token"),
        (basic(f":{US_TOKEN}"), "malformed basic credentials: the party or the token is empty"),
        (basic("US:"), "malformed basic credentials: the party or the token is empty"),
    ],
)
def test_missing_unsupported_or_malformed_credentials_are_refused_with_one_reason(
    authorization: str, reason: str
) -> None:
    with pytest.raises(PartnerUnauthenticated) as refused:
        parse_authorization(authorization)
    assert refused.value.reason == reason
    assert str(refused.value) == f"authentication required: {reason}"


@pytest.fixture
def node(store: Store) -> Store:
    """An MX node with US and CA registered, each with its token."""
    mx_node(store)
    return store


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {US_TOKEN}", basic(f"US:{US_TOKEN}"), basic(f"us:{US_TOKEN}")],
)
def test_the_partner_is_known_by_its_token_either_way_and_nothing_is_audited(
    node: Store, authorization: str
) -> None:
    partner = authenticate_partner(node, authorization=authorization, path=PATH, client="10.0.0.7")
    assert partner.party == "US"
    assert audit_actions(node) == []


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        ("", "no credentials"),
        ("Bearer wrong-token-0123456789", "unknown token"),
        (basic("US:wrong-token-0123456789"), "unknown credentials"),
        # US's token under CA's name (and CA's under US's): refused as if unknown, so the
        # answer does not tell that the token is valid for another partner.
        (basic(f"CA:{US_TOKEN}"), "unknown credentials"),
        (basic(f"US:{CA_TOKEN}"), "unknown credentials"),
        (basic(f"GT:{US_TOKEN}"), "unknown credentials"),
        (basic(b"US:\xff"), "malformed basic credentials: not UTF-8"),
        ("Basic %%%", "malformed basic credentials: not base64"),
    ],
)
def test_a_refusal_is_counted_with_its_reason_path_and_client(
    node: Store, authorization: str, reason: str, frozen_now: FrozenClock
) -> None:
    with pytest.raises(PartnerUnauthenticated) as refused:
        authenticate_partner(node, authorization=authorization, path=PATH, client="10.0.0.7")
    assert refused.value.reason == reason
    assert audit_actions(node) == []  # not an entry of its own: its minute is not over
    assert flush_refused_requests(node, include_open=True) == 1
    expected: list[tuple[str, str | None, Any]] = [
        (
            "refused-requests",
            "10.0.0.7",
            {
                "minute": minute_of(frozen_now.now),
                "source": "10.0.0.7",
                "count": 1,
                "reasons": {f"partner-api: {reason}": 1},
                "targets": {PATH: 1},
                "other_targets": 0,
            },
        )
    ]
    assert audit_actions(node) == expected
    with node.unit_of_work() as uow:
        assert [e.actor for e in uow.audit.entries()] == ["anonymous"]
