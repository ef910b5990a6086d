"""A partner or the channel cannot hold the sync hostage (issue 12, item 6, in part).

Each answer must arrive whole within a deadline and a size, however it is sent: a page
trickled a few bytes at a time, or an answer that never ends, stops the sync with one line,
and the client stops reading. The partner here is a fake TAXII service on an httpx
MockTransport whose objects page is a stream the test controls.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from enlace.exchange import sync_client
from enlace.exchange.statements import PROTOCOL
from enlace.exchange.sync_client import SyncError, sync_partner
from enlace.node.errors import NodeError
from enlace.store.store import Store
from support.exchange import US_TOKEN, us_node


def _partner(objects_page: Iterator[bytes]) -> httpx.Client:
    def answer(request: httpx.Request) -> httpx.Response:
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
        else:
            return httpx.Response(200, content=objects_page)
        return httpx.Response(200, content=orjson.dumps(body))

    return httpx.Client(transport=httpx.MockTransport(answer))


def test_a_trickled_page_stops_at_the_deadline(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    us_node(store)
    monkeypatch.setattr(sync_client, "PAGE_DEADLINE_SECONDS", 0.3)
    sent: list[int] = []

    def trickle() -> Iterator[bytes]:
        for i in range(1000):  # 100 s at this pace, were it read to the end
            sent.append(i)
            time.sleep(0.1)
            yield b" "

    started = time.monotonic()
    with _partner(trickle()) as client, pytest.raises(SyncError, match="did not arrive whole"):
        sync_partner(store, partner="MX", token=US_TOKEN, client=client)
    assert time.monotonic() - started < 30  # stopped near the deadline, not after 100 s
    assert len(sent) < 100


def test_an_endless_answer_stops_at_the_size_limit(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    us_node(store)
    monkeypatch.setattr(sync_client, "MAX_ANSWER_BYTES", 100_000)
    sent: list[int] = []

    def flood() -> Iterator[bytes]:
        while True:  # never ends: only the client's limit stops it
            sent.append(1)
            yield b"x" * 4096

    with _partner(flood()) as client, pytest.raises(SyncError, match="larger than 100,000 bytes"):
        sync_partner(store, partner="MX", token=US_TOKEN, client=client)
    assert len(sent) <= 100_000 // 4096 + 2


def test_an_endless_error_answer_stops_at_the_size_limit_too(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    us_node(store)
    monkeypatch.setattr(sync_client, "MAX_ANSWER_BYTES", 100_000)
    sent: list[int] = []

    def flood() -> Iterator[bytes]:
        while True:
            sent.append(1)
            yield b"x" * 4096

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, content=flood())

    with (
        httpx.Client(transport=httpx.MockTransport(answer)) as client,
        pytest.raises(SyncError, match="larger than 100,000 bytes"),
    ):
        sync_partner(store, partner="MX", token=US_TOKEN, client=client)
    assert len(sent) <= 100_000 // 4096 + 2


def test_the_bounds_are_read_from_the_environment_or_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Read once, when the module is imported (the tests' `enlace sync` subprocesses set them).
    variable = "ENLACE_PAGE_DEADLINE_SECONDS"
    monkeypatch.delenv(variable, raising=False)
    assert sync_client._bound(variable, 120.0) == 120.0
    monkeypatch.setenv(variable, " 2.5 ")
    assert sync_client._bound(variable, 120.0) == 2.5
    for wrong in ("0", "-1", "soon", "inf", "nan"):
        monkeypatch.setenv(variable, wrong)
        with pytest.raises(NodeError, match=f"{variable} must be a positive number"):
            sync_client._bound(variable, 120.0)
