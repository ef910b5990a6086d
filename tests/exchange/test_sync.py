"""Pull sync between two nodes (in process), on SQLite and PostgreSQL; tampered pages refused."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from enlace.exchange.release import release_record
from enlace.exchange.signing import sign_record, verify_record
from enlace.exchange.statements import PROTOCOL
from enlace.exchange.sync_client import SyncError, sync_partner
from enlace.exchange.taxii.app import TAXII_MEDIA_TYPE, collection_id, create_app
from enlace.model.markings import Markings
from enlace.store.store import Store
from enlace.store.tables import records
from enlace.store.versions import StoredVersion
from support.exchange import (
    CA_KEY,
    MX_KEY,
    MX_URL,
    MX_VERIFY_HEX,
    US_TOKEN,
    AsgiSyncTransport,
    add,
    audit_actions,
    later,
    manifested,
    mx_node,
    phone,
    us_node,
)


def release(store: Store, record_id: str) -> None:
    with store.unit_of_work() as uow:
        release_record(uow, record_id=record_id, partner="US", signing_key=MX_KEY, actor="t")
        uow.commit()


def received(store: Store) -> int:
    with store.unit_of_work() as uow:
        query = select(func.count()).select_from(records).where(records.c.received_from == "MX")
        return int(uow.connection.execute(query).scalar_one())


@pytest.fixture
def nodes(new_store_url: Callable[[], str]) -> Iterator[tuple[Store, Store]]:
    """(MX store, US store): MX has US registered, US has MX registered."""
    mx, us = Store.open(new_store_url()), Store.open(new_store_url())
    mx_node(mx)
    us_node(us)
    try:
        yield mx, us
    finally:
        mx.close()
        us.close()


def pull(mx: Store, us: Store, *, token: str = US_TOKEN, page_size: int = 500) -> Any:
    with httpx.Client(
        transport=AsgiSyncTransport(create_app(mx, "MX", signing_key=MX_KEY))
    ) as client:
        return sync_partner(us, partner="MX", token=token, client=client, page_size=page_size)


def test_everything_released_arrives_once_paged_and_a_second_sync_stores_nothing(
    nodes: tuple[Store, Store],
) -> None:
    mx, us = nodes
    phones = [phone(f"+52 55 7000 000{i}") for i in range(5)]
    add(mx, *(StoredVersion.of(p) for p in phones))
    for p in phones:
        release(mx, p.id)
    newer = phone("+52 55 7000 0000", modified=later(1))  # a second version of phones[0]
    add(mx, StoredVersion.of(newer))
    release(mx, newer.id)
    report = pull(mx, us, page_size=2)
    assert (report.received, report.already_held, report.refused_total) == (6, 0, 0)
    assert report.pages == 3
    assert received(us) == 6
    with us.unit_of_work() as uow:
        versions = uow.records.versions(phones[0].id)
        assert [v.modified for v in versions] == sorted(
            [phones[0].version_key[1], newer.version_key[1]]
        )
        assert all(v.received_from == "MX" for v in versions)
        signatures = uow.signatures
        assert signatures.count("MX") == 6
        held = signatures.get(*newer.version_key)
        assert held is not None
        verify_record(versions[-1].stix_object(), held.signature, MX_VERIFY_HEX)
        assert uow.cursors.get("MX") is not None
    receipts = [d for action, _, d in audit_actions(us) if action == "receipt"]
    assert sum(d["received"] for d in receipts) == 6

    again = pull(mx, us, page_size=2)
    assert (again.received, again.already_held, again.refused_total) == (0, 0, 0)
    assert received(us) == 6

    late = phone("+52 55 7000 0009")
    add(mx, StoredVersion.of(late))
    release(mx, late.id)
    third = pull(mx, us, page_size=2)
    assert (third.received, third.already_held) == (1, 0)
    assert received(us) == 7


def test_wrong_outbound_token_is_a_clear_error_and_writes_nothing(
    nodes: tuple[Store, Store],
) -> None:
    mx, us = nodes
    p = phone("+52 55 7000 0001")
    add(mx, StoredVersion.of(p))
    release(mx, p.id)
    before = len(audit_actions(us))
    with pytest.raises(SyncError) as raised:
        pull(mx, us, token="not-the-token-0123456789")
    assert raised.value.status == 401
    assert raised.value.partner == "MX"
    assert "MX does not accept the token" in str(raised.value)
    assert MX_URL in str(raised.value)
    assert received(us) == 0
    assert len(audit_actions(us)) == before
    with us.unit_of_work() as uow:
        assert uow.cursors.get("MX") is None


def test_unreachable_partner_is_a_clear_error(store: Store) -> None:
    us_node(store)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        httpx.Client(transport=httpx.MockTransport(refuse)) as client,
        pytest.raises(SyncError, match=r"sync from MX failed at http://mx.test/taxii2/.*reach"),
    ):
        sync_partner(store, partner="MX", token="t" * 20, client=client)
    assert received(store) == 0


# --- tampering, served by a fake TAXII endpoint -------------------------------------------


def fake_mx(objects: list[Any], signatures: dict[str, str]) -> httpx.Client:
    """A TAXII endpoint at MX_URL serving `objects` as MX's release sequence 1..n (the page
    asked for, with its signed manifest)."""
    collection = collection_id("MX", "US")

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {US_TOKEN}"
        assert request.headers["accept"] == TAXII_MEDIA_TYPE
        path = request.url.path
        body: dict[str, Any]
        headers = {"content-type": TAXII_MEDIA_TYPE}
        if path == "/taxii2/":
            body = {"title": "fake", "default": f"{MX_URL}/enlace/"}
        elif path == "/enlace/":
            body = {"title": "fake", "versions": [TAXII_MEDIA_TYPE], "x_enlace_protocol": PROTOCOL}
        elif path == "/enlace/collections/":
            body = {"collections": [{"id": collection, "can_read": True, "can_write": False}]}
        elif path == f"/enlace/collections/{collection}/objects/":
            after = int(request.url.params.get("next") or 0)
            limit = int(request.url.params.get("limit") or 1000)
            served = objects[after : after + limit]
            more = after + limit < len(objects)
            body = {"more": more, "objects": served, "x_enlace_signatures": signatures}
            body = manifested(body, request, highest=len(objects))
        else:
            return httpx.Response(404, json={"title": "Not found"})
        return httpx.Response(200, json=body, headers=headers)

    return httpx.Client(transport=httpx.MockTransport(answer))


def signed(obj: dict[str, Any], key: Any = MX_KEY) -> tuple[dict[str, Any], str]:
    return obj, sign_record(obj, key)


def test_each_kind_of_bad_object_is_refused_counted_audited_and_the_rest_stored(
    store: Store,
) -> None:
    us_node(store)
    good1 = phone("+52 55 7100 0001").to_stix()
    good2 = phone("+52 55 7100 0002").to_stix()
    changed = phone("+52 55 7100 0003").to_stix()
    changed_signature = sign_record(changed, MX_KEY)
    changed = copy.deepcopy(changed)
    changed["number"] = "+525571000004"  # one digit changed after signing
    unsigned = phone("+52 55 7100 0005").to_stix()
    other_key = phone("+52 55 7100 0006").to_stix()
    not_mx = Markings.build(tlp="amber", releasable_to="CA US", handling="H2", evaluation="B2")
    wrong_owner = phone("+1 613 555 0107", owner="CA", markings=not_mx).to_stix()
    unknown = {
        "type": "x-something-else",
        "spec_version": "2.1",
        "id": "x-something-else--6a0c1f3e-5b6d-4c7e-8f90-a1b2c3d4e5f6",
        "created": "2025-09-01T12:00:00.000000Z",
        "modified": "2025-09-01T12:00:00.000000Z",
    }
    malformed = phone("+52 55 7100 0008").to_stix()
    del malformed["number"]
    page = [good1, changed, unsigned, other_key, wrong_owner, unknown, malformed, 42, good2]
    signatures = {
        f"{o['id']}|{o['modified']}": sign_record(o, MX_KEY)
        for o in (good1, good2, wrong_owner, unknown, malformed)
    }
    signatures[f"{changed['id']}|{changed['modified']}"] = changed_signature
    signatures[f"{other_key['id']}|{other_key['modified']}"] = sign_record(other_key, CA_KEY)
    with fake_mx(page, signatures) as client:
        report = sync_partner(store, partner="MX", token=US_TOKEN, client=client)
    assert report.received == 2
    assert dict(report.refused) == {
        "bad-signature": 2,
        "missing-signature": 1,
        "wrong-owner": 1,
        "unknown-type": 1,
        "malformed": 2,
    }
    assert received(store) == 2
    with store.unit_of_work() as uow:
        assert {row.id for row in uow.records.iter_latest()} == {good1["id"], good2["id"]}
        assert uow.signatures.count() == 2
    refusals = {
        (subject, reason)
        for action, _, detail in audit_actions(store)
        if action == "refusal"
        for reason, subjects in detail["ids"].items()
        for subject in subjects
    }
    assert refusals == {
        (changed["id"], "bad-signature"),
        (unsigned["id"], "missing-signature"),
        (other_key["id"], "bad-signature"),
        (wrong_owner["id"], "wrong-owner"),
        (unknown["id"], "unknown-type"),
        (malformed["id"], "malformed"),
        ("<not an object>", "malformed"),
    }
    receipt = [d for action, _, d in audit_actions(store) if action == "receipt"]
    assert receipt[-1]["received"] == 2
    assert receipt[-1]["refused"]["bad-signature"] == 2

    # The refused ones are gaps of MX's sequence: asked for again at the next sync, refused
    # again, still reported; nothing new is stored and nothing crashes.
    assert report.not_held_total == 7
    with fake_mx(page, signatures) as client:
        again = sync_partner(store, partner="MX", token=US_TOKEN, client=client)
    assert again.received == 0
    assert again.refused_total == 7
    assert again.not_held_total == 7
    assert received(store) == 2


def test_a_version_held_with_other_content_is_refused_as_conflict(store: Store) -> None:
    us_node(store)
    record = phone("+52 55 7200 0001")
    original = record.to_stix()
    with fake_mx([original], {f"{original['id']}|{original['modified']}": "x"}) as client:
        first = sync_partner(store, partner="MX", token=US_TOKEN, client=client)
    assert first.refused["bad-signature"] == 1
    forged = dict(original, number="+525572000002")  # same id and version, other content
    good = {f"{original['id']}|{original['modified']}": sign_record(original, MX_KEY)}
    with fake_mx([original], good) as client:
        assert sync_partner(store, partner="MX", token=US_TOKEN, client=client).received == 1
    other = {f"{forged['id']}|{forged['modified']}": sign_record(forged, MX_KEY)}
    with fake_mx([forged], other) as client:
        report = sync_partner(store, partner="MX", token=US_TOKEN, client=client, from_start=True)
    assert dict(report.refused) == {"conflict": 1}
    with store.unit_of_work() as uow:
        latest = uow.records.latest(record.id)
        assert latest is not None
        assert latest.stix_object()["number"] == original["number"]


def test_a_partner_record_with_a_nul_is_refused_as_malformed_and_the_sync_goes_on(
    store: Store,
) -> None:
    # PostgreSQL cannot keep a NUL, SQLite could: refused on both, like any invalid object,
    # with the reason said, and the rest of the page stored.
    us_node(store)
    good = phone("+52 55 7100 0011").to_stix()
    noted = {**phone("+52 55 7100 0012").to_stix(), "x_note": "Agua\x00Prieta"}
    page = [good, noted]
    signatures = {f"{o['id']}|{o['modified']}": sign_record(o, MX_KEY) for o in page}
    with fake_mx(page, signatures) as client:
        report = sync_partner(store, partner="MX", token=US_TOKEN, client=client)
    assert report.received == 1
    assert dict(report.refused) == {"malformed": 1}
    assert received(store) == 1
    refusals = [d for action, _, d in audit_actions(store) if action == "refusal"]
    assert refusals[-1]["ids"] == {"malformed": [noted["id"]]}


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_large_first_sync_tells_the_planner_as_it_grows(
    nodes: tuple[Store, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An empty node filled by its first sync: PostgreSQL, knowing no rows, scanned the whole
    # records table for each page's lookup by id (bench/scale_bench.py at 1,000,000). The
    # sync ANALYZEs as it grows: at the threshold, then at each doubling (3, 6, ...).
    mx, us = nodes
    monkeypatch.setattr("enlace.exchange.sync_client.BULK_ROWS", 3)
    phones = [phone(f"+52 55 7100 000{i}") for i in range(8)]
    add(mx, *(StoredVersion.of(p) for p in phones))
    for p in phones:
        release(mx, p.id)
    analyzed: list[int] = []
    monkeypatch.setattr(
        Store, "refresh_planner_statistics", lambda store: analyzed.append(received(store))
    )
    report = pull(mx, us, page_size=2)
    assert report.received == 8
    assert analyzed == [4, 8]  # after the page that passed 3, then the one that passed 8
