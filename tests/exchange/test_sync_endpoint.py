"""The registered endpoint is the only endpoint (issue 12, item 7).

A partner's discovery document or API root may name another scheme, host or port — a
TLS-terminating proxy that advertises `http://`, a confused or hostile partner. The sync
client follows nothing of the kind: it refuses with one line, audits `endpoint-refused`, and
sends the bearer token to no address but the registered one. The partner here is a fake
TAXII service on an httpx MockTransport that records every request it is sent.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from enlace.exchange.statements import PROTOCOL
from enlace.exchange.sync_client import SyncError, registered_endpoint, sync_partner
from enlace.store.store import Store
from support.exchange import MX_URL, US_TOKEN, audit_actions, us_node


def _partner(api_root: str, seen: list[httpx.Request]) -> httpx.Client:
    """A TAXII service at MX_URL whose discovery names `api_root`."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body: dict[str, Any] = {"title": "MX", "api_roots": [api_root], "default": api_root}
        if request.url.path.rstrip("/") != "/taxii2":
            body = {
                "title": "root",
                "versions": ["application/taxii+json;version=2.1"],
                "x_enlace_protocol": PROTOCOL,
            }
        return httpx.Response(200, json=body)

    return httpx.Client(transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(
    "api_root",
    [
        "http://proxy.mx.test/taxii2/api/",  # another host
        "https://mx.test/taxii2/api/",  # another scheme
        "http://mx.test:8080/taxii2/api/",  # another port
        "//elsewhere.test/api/",  # scheme-relative: another host
    ],
)
def test_an_api_root_off_the_registered_endpoint_is_refused_and_gets_no_token(
    store: Store, api_root: str
) -> None:
    us_node(store)
    seen: list[httpx.Request] = []
    with _partner(api_root, seen) as client, pytest.raises(SyncError) as caught:
        sync_partner(store, partner="MX", token=US_TOKEN, client=client)
    assert "not MX's registered endpoint http://mx.test:80" in str(caught.value)
    assert [str(r.url) for r in seen] == [f"{MX_URL}/taxii2/"]  # the discovery, nothing more
    action, subject, detail = audit_actions(store)[-1]
    assert (action, subject) == ("endpoint-refused", "MX")
    assert detail["registered"] == "http://mx.test:80"


def test_an_api_root_on_the_registered_endpoint_is_followed(store: Store) -> None:
    us_node(store)
    seen: list[httpx.Request] = []
    with _partner("/taxii2/api/", seen) as client, pytest.raises(SyncError):
        # The fake has no collections: the sync fails there, after following the root.
        sync_partner(store, partner="MX", token=US_TOKEN, client=client)
    assert [r.url.path for r in seen][:2] == ["/taxii2/", "/taxii2/api/"]
    assert all(r.url.host == "mx.test" for r in seen)


def test_the_endpoint_compares_scheme_host_and_explicit_port() -> None:
    assert registered_endpoint("http://MX.test/x") == ("http", "mx.test", 80)
    assert registered_endpoint("https://mx.test:443/") == ("https", "mx.test", 443)
    assert registered_endpoint("http://mx.test:80/") == registered_endpoint("http://mx.test/")
    assert registered_endpoint("http://mx.test:notaport/")[2] == -1
