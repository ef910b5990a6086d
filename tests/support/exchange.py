"""Shared builders of the exchange tests: an MX node's store with records under mixed markings,
a US node knowing MX, and what the audit log of a store says."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from nacl.signing import SigningKey

from enlace.model.markings import Markings
from enlace.model.records import PhoneNumber, derived_id
from enlace.store.repositories.partners import token_hash
from enlace.store.store import Store
from enlace.store.versions import StoredVersion

CREATED = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
TO_US = Markings.build(tlp="amber", releasable_to="MX US", handling="H2", evaluation="B2")
TO_CA = Markings.build(tlp="amber", releasable_to="MX CA", handling="H2", evaluation="B2")
TO_MX = Markings.build(tlp="amber", releasable_to="MX US", handling="H2", evaluation="B2")
NATIONAL = Markings.build(tlp="red", handling="H0")
MX_KEY = SigningKey(bytes(range(32)))
US_KEY = SigningKey(bytes(range(1, 33)))
CA_KEY = SigningKey(bytes(range(2, 34)))
US_TOKEN = "us-token-0123456789abcdef"
CA_TOKEN = "ca-token-0123456789abcdef"


def phone(
    number: str,
    *,
    owner: str = "MX",
    markings: Markings = TO_US,
    modified: datetime = CREATED,
) -> PhoneNumber:
    return PhoneNumber.from_values(
        id=derived_id("enlace-phone-number", "exchange-test", number),
        owner=owner,
        markings=markings,
        created=CREATED,
        modified=modified,
        created_by_ref=None,
        values={"number": number},
    )


def mx_node(store: Store, *, partners: bool = True) -> None:
    """Make `store` the node of MX with partners US and CA registered."""
    with store.unit_of_work() as uow:
        uow.settings.set_if_absent("party", "MX")
        if partners:
            repo = uow.partners
            for party, key, token in (("US", US_KEY, US_TOKEN), ("CA", CA_KEY, CA_TOKEN)):
                repo.put(
                    party=party,
                    url=f"https://{party.lower()}.example",
                    verify_key_hex=key.verify_key.encode().hex(),
                    token_hash=token_hash(token),
                    added_at=uow.started_at,
                )
        uow.commit()


MX_URL = "http://mx.test"
MX_VERIFY_HEX = MX_KEY.verify_key.encode().hex()


def us_node(store: Store) -> None:
    """Make `store` the node of US, with MX registered (its URL and public key)."""
    with store.unit_of_work() as uow:
        uow.settings.set_if_absent("party", "US")
        uow.partners.put(
            party="MX",
            url=MX_URL,
            verify_key_hex=MX_VERIFY_HEX,
            token_hash=token_hash("mx-token-0123456789abcdef"),
            added_at=uow.started_at,
        )
        uow.commit()


def add(store: Store, *versions: StoredVersion) -> None:
    with store.unit_of_work() as uow:
        uow.records.add(list(versions), added_at=uow.started_at)
        uow.commit()


def later(days: int) -> datetime:
    return CREATED + timedelta(days=days)


class AsgiSyncTransport(httpx.BaseTransport):
    """A synchronous httpx transport that hands each request to an ASGI app in-process
    (httpx's own ASGITransport is async only)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            answer = await transport.handle_async_request(request)
            content = await answer.aread()
            return httpx.Response(answer.status_code, headers=answer.headers, content=content)

        return asyncio.run(go())


def audit_actions(store: Store) -> list[tuple[str, str | None, Any]]:
    """(action, subject, detail) of every entry of the store's audit log, its chain checked."""
    with store.unit_of_work() as uow:
        log = uow.audit
        assert log.verify().ok
        return [(e.action, e.subject, e.detail) for e in log.entries()]


def manifested(
    body: dict[str, Any],
    request: httpx.Request,
    *,
    key: SigningKey = MX_KEY,
    sender: str = "MX",
    recipient: str = "US",
    highest: int | None = None,
) -> dict[str, Any]:
    """`body` (a page of objects a fake partner serves) with the signed manifest exchange
    protocol 2 requires: its objects numbered from the request's `next` + 1, answering the
    request's nonce — what a real node would send."""
    from enlace.exchange.statements import Entry, binding_of, build_manifest

    after = int(request.url.params.get("next") or 0)
    signatures = body.get("x_enlace_signatures") or {}

    def signature_of(obj: Any) -> str:
        if not isinstance(obj, dict):
            return ""
        found = signatures.get(f"{obj.get('id')}|{obj.get('modified')}")
        return found if isinstance(found, str) else ""

    entries = [
        Entry(after + offset + 1, "record", binding_of(signature_of(obj)))
        for offset, obj in enumerate(body.get("objects", []))
    ]
    through = entries[-1].sequence if entries else after
    more = body.get("more") is True
    text, signature = build_manifest(
        sender=sender,
        recipient=recipient,
        after=after,
        highest=highest if highest is not None else through,
        more=more,
        nonce=request.url.params.get("x_enlace_nonce"),
        filtered=False,
        entries=entries,
        signing_key=key,
    )
    if more:
        body = {**body, "next": str(through)}
    return {**body, "x_enlace_manifest": text, "x_enlace_manifest_signature": signature}
