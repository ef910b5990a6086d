"""The TAXII 2.1 read side, on SQLite and PostgreSQL: what a partner sees, and only that."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import stix2
import uvicorn
from taxii2client.v21 import Collection, Server, as_pages

from enlace.exchange.release import release_record
from enlace.exchange.signing import verify_record
from enlace.exchange.taxii.app import TAXII_MEDIA_TYPE, collection_id, create_app
from enlace.partners.authentication import PARTNER_CHALLENGE
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support.clock import FrozenClock
from support.exchange import (
    CA_TOKEN,
    MX_KEY,
    TO_CA,
    US_TOKEN,
    add,
    later,
    mx_node,
    phone,
)
from support.nodes import served_in_thread

ACCEPT = {"Accept": TAXII_MEDIA_TYPE}
US = {**ACCEPT, "Authorization": f"Bearer {US_TOKEN}"}
CA = {**ACCEPT, "Authorization": f"Bearer {CA_TOKEN}"}
US_COLLECTION = f"/enlace/collections/{collection_id('MX', 'US')}/"
CA_COLLECTION = f"/enlace/collections/{collection_id('MX', 'CA')}/"
MX_VERIFY_HEX = MX_KEY.verify_key.encode().hex()


def release(store: Store, record_id: str, partner: str = "US") -> None:
    with store.unit_of_work() as uow:
        release_record(uow, record_id=record_id, partner=partner, signing_key=MX_KEY, actor="t")
        uow.commit()


@pytest.fixture
def node(store: Store, frozen_now: FrozenClock) -> Store:
    """An MX node that released 5 phones to US (one second apart) and 1 to CA only."""
    mx_node(store)
    for i in range(5):
        record = phone(f"+52 55 4000 000{i}")
        add(store, StoredVersion.of(record))
        frozen_now.advance(seconds=1)
        release(store, record.id)
    only_ca = phone("+52 55 5000 0000", markings=TO_CA)
    add(store, StoredVersion.of(only_ca))
    release(store, only_ca.id, "CA")
    return store


class Client:
    """A synchronous face on httpx's ASGI transport: requests go to the app in-process."""

    def __init__(self, store: Store) -> None:
        self.app = create_app(store, "MX", signing_key=MX_KEY)

    def get(
        self, url: str, *, headers: dict[str, str], params: dict[str, Any] | None = None
    ) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await c.get(url, headers=headers, params=params)

        return asyncio.run(go())


def client(store: Store) -> Client:
    return Client(store)


def audit(store: Store) -> list[tuple[str, str, str | None, Any]]:
    with store.unit_of_work() as uow:
        return [(e.actor, e.action, e.subject, e.detail) for e in uow.audit.entries()]


def test_discovery_api_root_and_one_collection_per_partner(node: Store) -> None:
    http = client(node)
    found = http.get("/taxii2/", headers=US)
    assert found.status_code == 200
    assert found.headers["content-type"] == TAXII_MEDIA_TYPE
    assert found.json()["api_roots"] == ["http://testserver/enlace/"]
    root = http.get("/enlace/", headers=US).json()
    assert root["versions"] == [TAXII_MEDIA_TYPE]
    us = http.get("/enlace/collections/", headers=US).json()["collections"]
    ca = http.get("/enlace/collections/", headers=CA).json()["collections"]
    assert [c["id"] for c in us] == [collection_id("MX", "US")]
    assert [c["id"] for c in ca] == [collection_id("MX", "CA")]
    assert us[0]["can_read"] is True
    assert us[0]["can_write"] is False
    assert http.get(US_COLLECTION, headers=US).json()["id"] == collection_id("MX", "US")


def basic(party: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{party}:{token}".encode()).decode("ascii")


NOT_UTF8 = "Basic " + base64.b64encode(b"US:\xff" + US_TOKEN.encode()).decode("ascii")
NO_COLON = "Basic " + base64.b64encode(US_TOKEN.encode()).decode("ascii")


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "no credentials"),
        ("Bearer wrong-token-0123456789", "unknown token"),
        ("Basic dXM6cGFzcw==", "unknown credentials"),
        (basic("CA", US_TOKEN), "unknown credentials"),
        ("Bearer ", "no credentials"),
        ("Basic not base64!", "malformed basic credentials: not base64"),
        (NOT_UTF8, "malformed basic credentials: not UTF-8"),
        (NO_COLON, "malformed basic credentials: no ':' between party and token"),
    ],
)
def test_missing_wrong_or_malformed_credentials_are_401_and_audited(
    node: Store, authorization: str | None, reason: str
) -> None:
    headers = dict(ACCEPT)
    if authorization is not None:
        headers["Authorization"] = authorization
    answer = client(node).get(US_COLLECTION + "objects/", headers=headers)
    assert answer.status_code == 401
    # Both ways of presenting the token are offered, so a Basic-only client knows it may.
    assert answer.headers["www-authenticate"] == PARTNER_CHALLENGE
    assert answer.json()["http_status"] == "401"
    assert answer.json()["description"] == f"authentication required: {reason}"
    actor, action, subject, detail = audit(node)[-1]
    assert (actor, action, subject) == ("anonymous", "auth-failure", US_COLLECTION + "objects/")
    assert detail["reason"] == reason


def test_basic_credentials_of_a_partner_read_what_its_bearer_token_reads(node: Store) -> None:
    http = client(node)
    with_basic = {**ACCEPT, "Authorization": basic("US", US_TOKEN)}
    by_basic = http.get(US_COLLECTION + "objects/", headers=with_basic)
    by_bearer = http.get(US_COLLECTION + "objects/", headers=US)
    assert by_basic.status_code == 200
    assert [o["id"] for o in by_basic.json()["objects"]] == [
        o["id"] for o in by_bearer.json()["objects"]
    ]
    assert len(by_basic.json()["objects"]) == 5
    assert http.get(CA_COLLECTION, headers=with_basic).status_code == 404


@pytest.mark.parametrize("suffix", ["", "objects/", "manifest/"])
def test_another_partners_collection_is_404_and_audited(node: Store, suffix: str) -> None:
    answer = client(node).get(CA_COLLECTION + suffix, headers=US)
    assert answer.status_code == 404
    actor, action, _, detail = audit(node)[-1]
    assert (actor, action) == ("US", "collection-denied")
    assert detail["collection"] == collection_id("MX", "CA")


def test_objects_are_the_released_versions_with_signatures_and_headers(node: Store) -> None:
    answer = client(node).get(US_COLLECTION + "objects/", headers=US)
    assert answer.status_code == 200
    body = answer.json()
    assert body["more"] is False
    assert len(body["objects"]) == 5
    for obj in body["objects"]:
        signature = body["x_enlace_signatures"][f"{obj['id']}|{obj['modified']}"]
        verify_record(obj, signature, MX_VERIFY_HEX)
        stix2.parse(obj, allow_custom=True)
    assert answer.headers["X-TAXII-Date-Added-First"] == "2025-09-01T12:00:01.000000Z"
    assert answer.headers["X-TAXII-Date-Added-Last"] == "2025-09-01T12:00:05.000000Z"
    actor, action, subject, detail = audit(node)[-1]
    assert (actor, action, subject) == ("US", "partner-read", "US")
    assert detail["count"] == 5


def test_paging_with_limit_and_next_across_two_app_instances(
    node: Store, new_store_url: Any, store_url: str
) -> None:
    first = client(node).get(US_COLLECTION + "objects/?limit=2", headers=US).json()
    assert first["more"] is True
    seen = [o["id"] for o in first["objects"]]
    cursor = first["next"]
    # A second, separately built app on a separately opened store: no per-process state.
    other = Store.open(store_url)
    try:
        while cursor:
            page = client(other).get(
                US_COLLECTION + "objects/", params={"limit": 2, "next": cursor}, headers=US
            )
            body = page.json()
            seen += [o["id"] for o in body["objects"]]
            cursor = body.get("next")
            assert body["more"] is bool(cursor)
    finally:
        other.close()
    everything = client(node).get(US_COLLECTION + "objects/", headers=US).json()["objects"]
    assert seen == [o["id"] for o in everything]
    assert len(set(seen)) == 5


def test_added_after_returns_only_later_releases(node: Store) -> None:
    answer = client(node).get(
        US_COLLECTION + "objects/",
        params={"added_after": "2025-09-01T12:00:03.000000Z"},
        headers=US,
    )
    assert len(answer.json()["objects"]) == 2
    assert answer.headers["X-TAXII-Date-Added-First"] == "2025-09-01T12:00:04.000000Z"


def test_match_filters(node: Store, frozen_now: FrozenClock) -> None:
    http = client(node)
    objects = http.get(US_COLLECTION + "objects/", headers=US).json()["objects"]
    wanted = objects[1]["id"]
    by_id = http.get(US_COLLECTION + "objects/", params={"match[id]": wanted}, headers=US).json()
    assert [o["id"] for o in by_id["objects"]] == [wanted]
    by_type = http.get(
        US_COLLECTION + "objects/", params={"match[type]": "indicator"}, headers=US
    ).json()
    assert by_type["objects"] == []
    same = http.get(
        US_COLLECTION + "objects/", params={"match[type]": objects[0]["type"]}, headers=US
    ).json()
    assert len(same["objects"]) == 5
    wrong_spec = http.get(
        US_COLLECTION + "objects/", params={"match[spec_version]": "2.0"}, headers=US
    ).json()
    assert wrong_spec["objects"] == []
    # A second version, released later: last/first/all/timestamp choose among them.
    frozen_now.advance(seconds=10)
    newer = phone("+52 55 4000 0001", modified=later(1))
    assert newer.id == wanted
    add(node, StoredVersion.of(newer))
    release(node, newer.id)

    def versions(match: str) -> list[str]:
        body = http.get(
            US_COLLECTION + "objects/",
            params={"match[id]": wanted, "match[version]": match},
            headers=US,
        ).json()
        return [o["modified"] for o in body["objects"]]

    old_modified = objects[1]["modified"]
    new_modified = "2025-09-02T12:00:00.000000Z"
    assert versions("last") == [new_modified]
    assert versions("first") == [old_modified]
    assert versions("all") == [old_modified, new_modified]
    assert versions(old_modified) == [old_modified]
    listed = http.get(US_COLLECTION + f"objects/{wanted}/versions/", headers=US).json()
    assert listed["versions"] == [old_modified, new_modified]
    one = http.get(US_COLLECTION + f"objects/{wanted}/", headers=US).json()
    assert [o["modified"] for o in one["objects"]] == [new_modified]
    manifest = http.get(US_COLLECTION + "manifest/", headers=US).json()["objects"]
    assert len(manifest) == 5
    assert {m["media_type"] for m in manifest} == {"application/stix+json;version=2.1"}


def test_an_object_not_released_to_the_partner_is_404(node: Store) -> None:
    ca_only = phone("+52 55 5000 0000", markings=TO_CA)
    answer = client(node).get(US_COLLECTION + f"objects/{ca_only.id}/", headers=US)
    assert answer.status_code == 404


@pytest.mark.parametrize(
    "accept", ["application/json", "text/html", "application/taxii+json;version=2.0"]
)
def test_wrong_accept_is_406(node: Store, accept: str) -> None:
    headers = {**US, "Accept": accept}
    assert client(node).get(US_COLLECTION + "objects/", headers=headers).status_code == 406


@pytest.mark.parametrize("accept", ["application/taxii+json", "*/*", TAXII_MEDIA_TYPE])
def test_acceptable_accept_headers(node: Store, accept: str) -> None:
    headers = {**US, "Accept": accept}
    assert client(node).get(US_COLLECTION, headers=headers).status_code == 200


def test_bad_cursor_is_400(node: Store) -> None:
    answer = client(node).get(US_COLLECTION + "objects/?next=garbage!", headers=US)
    assert answer.status_code == 400


# --- the OASIS client against a real server on loopback ----------------------------------


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@pytest.fixture
def served(node: Store) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(node, "MX", signing_key=MX_KEY), host="127.0.0.1", port=port, log_level="warning"
    )
    with served_in_thread(config):
        yield f"http://127.0.0.1:{port}"


@pytest.mark.e2e
def test_oasis_taxii2_client_pulls_every_released_object(served: str) -> None:
    auth = BearerAuth(US_TOKEN)
    server = Server(f"{served}/taxii2/", auth=auth)
    (root,) = server.api_roots
    (collection,) = root.collections
    assert collection.id == collection_id("MX", "US")
    direct = Collection(f"{served}{US_COLLECTION}", auth=auth)
    pulled: list[dict[str, Any]] = []
    for envelope in as_pages(direct.get_objects, per_request=2):
        for obj in envelope.get("objects", []):
            signature = envelope["x_enlace_signatures"][f"{obj['id']}|{obj['modified']}"]
            verify_record(obj, signature, MX_VERIFY_HEX)
            stix2.parse(obj, allow_custom=True)
            pulled.append(obj)
    assert len(pulled) == 5
    assert len({o["id"] for o in pulled}) == 5
    manifest = direct.get_manifest()
    assert len(manifest["objects"]) == 5
