"""The sync cursor trusts nothing unverified (issue 12, item 5, in part).

- `--from-start` reads the partner's collection again from its first page, without SQL: held
  versions are skipped, and an object refused before is checked again once the cause is fixed.
- A partner whose paging hands back a `next` already followed is stopped, not read for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from enlace.exchange.release import release_one
from enlace.exchange.statements import PROTOCOL
from enlace.exchange.sync_client import SyncError, SyncReport, sync_partner
from enlace.exchange.taxii.app import create_app
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support.exchange import (
    MX_KEY,
    MX_URL,
    MX_VERIFY_HEX,
    US_KEY,
    US_TOKEN,
    AsgiSyncTransport,
    add,
    audit_actions,
    manifested,
    mx_node,
    phone,
    us_node,
)


@pytest.fixture
def nodes(new_store_url: Callable[[], str]) -> Iterator[tuple[Store, Store]]:
    """(MX store, US store), registered to each other; MX has released three phones to US."""
    mx, us = Store.open(new_store_url()), Store.open(new_store_url())
    mx_node(mx)
    us_node(us)
    phones = [phone(f"+52 55 7100 000{i}") for i in range(3)]
    add(mx, *(StoredVersion.of(p) for p in phones))
    for p in phones:
        release_one(mx, record_id=p.id, partner="US", signing_key=MX_KEY, actor="t")
    try:
        yield mx, us
    finally:
        mx.close()
        us.close()


def pull(mx: Store, us: Store, *, from_start: bool = False) -> SyncReport:
    with httpx.Client(
        transport=AsgiSyncTransport(create_app(mx, "MX", signing_key=MX_KEY))
    ) as client:
        return sync_partner(
            us, partner="MX", token=US_TOKEN, client=client, page_size=2, from_start=from_start
        )


def register_mx_key(us: Store, verify_key_hex: str) -> None:
    with us.unit_of_work() as uow:
        held = uow.partners.get("MX")
        assert held is not None
        uow.partners.put(
            party="MX",
            url=MX_URL,
            verify_key_hex=verify_key_hex,
            token_hash=held.token_hash,
            added_at=held.added_at,
        )
        uow.commit()


def test_from_start_reads_everything_again_and_stores_nothing_twice(
    nodes: tuple[Store, Store],
) -> None:
    mx, us = nodes
    assert pull(mx, us).received == 3
    again = pull(mx, us)
    assert (again.received, again.already_held) == (0, 0)  # the cursor is past them
    everything = pull(mx, us, from_start=True)
    assert (everything.received, everything.already_held, everything.refused_total) == (0, 3, 0)
    assert everything.pages == 2
    assert ("sync-from-start", "MX") in [a[:2] for a in audit_actions(us)]


def test_an_object_refused_once_is_received_after_the_cause_is_fixed(
    nodes: tuple[Store, Store],
) -> None:
    mx, us = nodes
    register_mx_key(us, US_KEY.verify_key.encode().hex())  # the wrong key for MX
    with pytest.raises(SyncError, match="manifest"):
        pull(mx, us)  # no page's manifest verifies: nothing is taken, the cursor stays
    with us.unit_of_work() as uow:
        held = uow.cursors.get("MX")
        assert held is None or held.sequence == 0
    register_mx_key(us, MX_VERIFY_HEX)  # the cause fixed
    fixed = pull(mx, us)  # a plain sync now reads what it could not verify before
    assert (fixed.received, fixed.refused_total) == (3, 0)


def test_a_next_served_again_stops_the_sync_with_one_clear_error(store: Store) -> None:
    us_node(store)
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        path = request.url.path
        body: dict[str, Any]
        if path == "/taxii2/":
            body = {"title": "MX", "api_roots": ["/api/"]}
        elif path == "/api/":
            body = {
                "title": "root",
                "versions": ["application/taxii+json;version=2.1"],
                "x_enlace_protocol": PROTOCOL,
            }
        elif path == "/api/collections/":
            body = {"collections": [{"id": "c1", "can_read": True, "can_write": False}]}
        else:  # every page says: there is more, at the same place
            body = manifested({"more": True, "objects": []}, request)
        return httpx.Response(200, json=body)

    with (
        httpx.Client(transport=httpx.MockTransport(answer)) as client,
        pytest.raises(SyncError, match="does not advance") as caught,
    ):
        sync_partner(store, partner="MX", token=US_TOKEN, client=client)
    assert "its paging loops" in str(caught.value)
    object_pages = [r for r in asked if r.url.path.endswith("/objects/")]
    assert len(object_pages) <= 3  # the first page, the loop, at most one fetched ahead
