"""The TAXII 2.1 read side, on SQLite and PostgreSQL: what a partner sees, and only that."""

from __future__ import annotations

import asyncio
import base64
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import requests
import stix2
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Collection, Server, as_pages

from enlace.exchange.release import release_record
from enlace.exchange.signing import verify_record
from enlace.exchange.taxii.app import TAXII_MEDIA_TYPE, collection_id, create_app
from enlace.node.setup import initialise_node
from enlace.partners.authentication import PARTNER_CHALLENGE
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from enlace.users.refused_requests import flush_refused_requests
from support.clock import FrozenClock
from support.exchange import (
    CA_TOKEN,
    MX_KEY,
    NATIONAL,
    TO_CA,
    TO_US,
    US_TOKEN,
    add,
    later,
    mx_node,
    phone,
)
from support.nodes import add_phones, cli, counts, free_port, serving

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
    # Counted with the other refused anonymous requests, in the log once its minute is over.
    assert flush_refused_requests(node, include_open=True) == 1
    actor, action, subject, detail = audit(node)[-1]
    assert (actor, action, subject) == ("anonymous", "refused-requests", "127.0.0.1")
    assert detail["reasons"] == {f"partner-api: {reason}": 1}
    assert detail["targets"] == {US_COLLECTION + "objects/": 1}


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


@pytest.mark.parametrize(
    "params",
    [
        {"added_after": "9999-12-31T23:59:59-01:00"},  # past the calendar's end in UTC
        {"added_after": "0001-01-01T00:00:00+01:00"},  # before its start
        {"match[version]": "9999-12-31T23:30:00-05:00"},
        {"added_after": "٢٠٢٥-09-01T00:00:00Z"},
        {"limit": "٣"},
        {"next": "３"},
        {"match[id]": "\x00"},  # PostgreSQL refuses NUL in a query's text: a 500 there
        {"match[type]": "phone\x00"},
    ],
)
def test_a_timestamp_or_number_no_store_can_hold_is_400_not_a_fault(
    node: Store, params: dict[str, str]
) -> None:
    answer = client(node).get(US_COLLECTION + "objects/", headers=US, params=params)
    assert answer.status_code == 400, answer.text


# --- the OASIS client against `enlace serve` ------------------------------------------------

# Objects a request: far fewer than the node released, so the client must follow every page.
OASIS_PAGE = 3


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@dataclass(frozen=True, slots=True)
class ServedMx:
    url: str  # of a real `enlace serve` process of the MX node
    verify_hex: str  # MX's public key
    released: int  # versions MX released to US


@pytest.fixture(scope="module")
def mx_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMx]:
    """`enlace serve` of an MX node folder that registered US (with US_TOKEN as the token US
    presents) and released to it 14 phones and its agencies; 2 phones kept national. One
    server for the module: starting one is most of what these tests cost."""
    folder = tmp_path_factory.mktemp("oasis")
    mx = folder / "mx"
    mx_key = initialise_node(mx, party="MX").public_key
    us_key = initialise_node(folder / "us", party="US").public_key
    token_file = folder / "us-presents.token"
    token_file.write_text(US_TOKEN)
    cli("partner", "add", "--party", "US", "--url", "http://127.0.0.1:9", "--key", us_key,
        "--token-file", str(token_file), "--node", str(mx))  # fmt: skip
    add_phones(mx, [f"+52 55 6000 {i:04d}" for i in range(14)], owner="MX", markings=TO_US)
    add_phones(mx, ["+52 55 6100 0000", "+52 55 6100 0001"], owner="MX", markings=NATIONAL)
    cli("release", "--partner", "US", "--all", "--node", str(mx))
    released = counts(mx, "US")[2]
    with serving(mx, free_port()) as url:
        yield ServedMx(url, mx_key, released)


def pull_every_page(collection: Collection) -> tuple[list[dict[str, Any]], list[str], int]:
    """(objects, their signatures, pages) of the whole collection, `OASIS_PAGE` a request."""
    objects: list[dict[str, Any]] = []
    signatures: list[str] = []
    pages = 0
    for envelope in as_pages(collection.get_objects, per_request=OASIS_PAGE):
        pages += 1
        # The envelope may carry properties of ours (x_enlace_...): the client passes them by.
        for obj in envelope.get("objects", []):
            objects.append(obj)
            signatures.append(envelope["x_enlace_signatures"][f"{obj['id']}|{obj['modified']}"])
    return objects, signatures, pages


@pytest.mark.e2e
def test_oasis_taxii2_client_with_basic_credentials_pulls_every_page_of_valid_stix(
    mx_served: ServedMx,
) -> None:
    # What an off-the-shelf client is configured with: a user name and a password.
    server = Server(f"{mx_served.url}/taxii2/", user="US", password=US_TOKEN)
    (root,) = server.api_roots
    (collection,) = root.collections
    assert collection.id == collection_id("MX", "US")
    assert collection.can_read

    objects, signatures, pages = pull_every_page(collection)

    # 14 phones and MX's agencies: several pages, the last one short.
    assert mx_served.released > 2 * OASIS_PAGE
    assert pages == math.ceil(mx_served.released / OASIS_PAGE)
    assert len(objects) == len({o["id"] for o in objects}) == mx_served.released
    assert {o["type"] for o in objects} == {"identity", "enlace-phone-number"}
    for obj, signature in zip(objects, signatures, strict=True):
        verify_record(obj, signature, mx_served.verify_hex)
        assert stix2.parse(obj, allow_custom=True)["id"] == obj["id"]
        result = validate_instance(obj, ValidationOptions(strict=False))
        assert result.is_valid, [str(error) for error in result.errors]
        assert result.errors == []
    manifest = [
        record["id"]
        for envelope in as_pages(collection.get_manifest, per_request=OASIS_PAGE)
        for record in envelope.get("objects", [])
    ]
    assert sorted(manifest) == sorted(o["id"] for o in objects)


@pytest.mark.e2e
def test_oasis_taxii2_client_with_a_bearer_token_reads_the_same_objects(
    mx_served: ServedMx,
) -> None:
    by_basic = Server(f"{mx_served.url}/taxii2/", user="US", password=US_TOKEN)
    by_bearer = Server(f"{mx_served.url}/taxii2/", auth=BearerAuth(US_TOKEN))
    (basic_collection,) = by_basic.api_roots[0].collections
    (bearer_collection,) = by_bearer.api_roots[0].collections
    assert pull_every_page(bearer_collection) == pull_every_page(basic_collection)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("user", "password"), [("CA", US_TOKEN), ("US", "not-the-token-0123456789")]
)
def test_oasis_taxii2_client_with_credentials_that_are_not_a_partners_is_refused(
    mx_served: ServedMx, user: str, password: str
) -> None:
    server = Server(f"{mx_served.url}/taxii2/", user=user, password=password)
    with pytest.raises(requests.HTTPError) as refused:
        server.refresh()
    assert refused.value.response is not None
    assert refused.value.response.status_code == 401
    assert "Basic" in refused.value.response.headers["WWW-Authenticate"]
