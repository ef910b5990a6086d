"""The tampering proxy of the hostile-channel tests (support.proxy) does what they rely on:
unchanged, it passes requests and answers through as they are; a rule tampers with the
answers it matches and no others; a trickled answer goes on until cut, and the client then
sees an answer that never finished. The upstream is a RecordingListener echoing what it got."""

from __future__ import annotations

import re
import threading

import httpx
import orjson
import pytest

from support import timing
from support.proxy import (
    JSON,
    Answer,
    RecordingListener,
    Seen,
    TamperingProxy,
    flood,
    force_next,
    repeat_page,
    rewrite_json,
    set_headers,
    trickle,
)

TOKEN = "Bearer proxy-test-token-0123456789"


def echo(seen: Seen) -> Answer:
    """What the upstream got, as JSON, with a header of its own."""
    body = {
        "method": seen.method,
        "path": seen.path,
        "query": seen.query,
        "body": seen.body.decode(),
        "authorization": seen.header("authorization"),
        "host": seen.header("host"),
        "more": True,
        "next": f"after-{seen.path}",
        "objects": [{"id": "a"}, {"id": "b"}],
    }
    headers = (("content-type", JSON), ("x-taxii-date-added-last", "2025-09-01T12:00:00Z"))
    return Answer(200, headers, orjson.dumps(body))


def client() -> httpx.Client:
    return httpx.Client(timeout=timing.timeout(10), trust_env=False)


@pytest.mark.e2e
def test_unchanged_the_proxy_passes_requests_and_answers_through_as_they_are() -> None:
    with RecordingListener(echo) as upstream, TamperingProxy(upstream.url) as proxy, client() as c:
        direct = c.post(
            f"{upstream.url}/a/b/?x=1&y=%2F", content=b"hello", headers={"Authorization": TOKEN}
        )
        proxied = c.post(
            f"{proxy.url}/a/b/?x=1&y=%2F", content=b"hello", headers={"Authorization": TOKEN}
        )
        got = c.get(f"{proxy.url}/objects/", headers={"Authorization": TOKEN})

    assert proxied.status_code == direct.status_code == 200
    as_direct = {**direct.json(), "host": f"127.0.0.1:{proxy.port}"}
    assert proxied.json() == as_direct  # the host aside, the upstream saw the same request
    assert proxied.json()["authorization"] == TOKEN
    assert proxied.json()["query"] == "x=1&y=%2F"
    assert proxied.headers["x-taxii-date-added-last"] == "2025-09-01T12:00:00Z"
    assert got.json()["objects"] == [{"id": "a"}, {"id": "b"}]
    seen = proxy.requests
    assert [(s.method, s.target) for s in seen] == [
        ("POST", "/a/b/?x=1&y=%2F"),
        ("GET", "/objects/"),
    ]
    assert all(s.port == proxy.port and s.header("authorization") == TOKEN for s in seen)
    assert [e.finished for e in proxy.exchanges] == [True, True]
    assert proxy.errors == []


@pytest.mark.e2e
def test_a_rule_tampers_with_the_answers_it_matches_and_no_others() -> None:
    def renamed(body: dict[str, object]) -> dict[str, object]:
        body["objects"] = [{"id": "forged"}]
        return body

    with RecordingListener(echo) as upstream, TamperingProxy(upstream.url) as proxy, client() as c:
        proxy.tamper("/objects/", rewrite_json(renamed), skip=1, times=1)
        proxy.tamper(re.compile("/other/"), set_headers({"X-TAXII-Date-Added-Last": "forged"}))
        pages = [c.get(f"{proxy.url}/c/objects/").json()["objects"] for _ in range(3)]
        other = c.get(f"{proxy.url}/other/")
        not_exact = c.get(f"{proxy.url}/other/deeper/")

    assert pages == [[{"id": "a"}, {"id": "b"}], [{"id": "forged"}], [{"id": "a"}, {"id": "b"}]]
    assert other.headers["x-taxii-date-added-last"] == "forged"
    assert not_exact.headers["x-taxii-date-added-last"] == "2025-09-01T12:00:00Z"
    upstream_pages = proxy.answers("/objects/")
    assert len(upstream_pages) == 3  # what the upstream said, before tampering
    assert all(b"forged" not in a.body for a in upstream_pages)


@pytest.mark.e2e
def test_a_trickled_answer_goes_on_until_cut_and_the_client_sees_it_unfinished() -> None:
    received: list[bytes] = []
    failure: list[BaseException] = []

    def read(url: str) -> None:
        try:
            with client() as c, c.stream("GET", url) as answer:
                for chunk in answer.iter_bytes():
                    received.append(chunk)
        except httpx.HTTPError as error:
            failure.append(error)

    page = b'{"more":false,"objects":[]}'
    with (
        RecordingListener(Answer(200, (("content-type", JSON),), page)) as upstream,
        TamperingProxy(upstream.url) as proxy,
    ):
        proxy.tamper("/objects/", trickle(4, every=0.02, endless=True))
        reader = threading.Thread(target=read, args=(f"{proxy.url}/objects/",))
        reader.start()
        # The whole page and then some: endless goes on past its end, until cut.
        timing.wait_until(
            lambda: sum(map(len, received)) > len(page) + 10,
            what="the trickle to go past the end of the page",
        )
        assert proxy.streaming == 1
        proxy.cut_streams()
        reader.join(timeout=timing.timeout(10))
        assert not reader.is_alive()
        # The client may see the cut before the proxy's thread has counted it.
        timing.wait_until(lambda: proxy.streaming == 0, what="the proxy to end the stream")
        (exchange,) = proxy.exchanges

    assert len(failure) == 1, received  # the answer ended without its last chunk
    assert not exchange.finished
    assert exchange.sent == sum(map(len, received))


@pytest.mark.e2e
def test_a_flood_is_a_valid_page_of_the_size_asked() -> None:
    size = 3 * 1024 * 1024 + 7
    with RecordingListener(echo) as upstream, TamperingProxy(upstream.url) as proxy, client() as c:
        proxy.tamper("/objects/", flood(size))
        answer = c.get(f"{proxy.url}/objects/")
    assert len(answer.content) == size
    assert answer.json() == {"more": False, "objects": []}
    assert answer.headers["transfer-encoding"] == "chunked"


def test_repeat_page_and_force_next_send_the_client_back_to_the_same_place() -> None:
    # Tampers are plain functions of an answer: no server needed to check them.
    def page(n: int) -> Answer:
        return Answer(200, (), orjson.dumps({"more": True, "next": f"n{n}", "objects": [n]}))

    seen = Seen("GET", "/objects/", "", (), b"", 0)
    repeat = repeat_page()
    assert [orjson.loads(repeat(page(n), seen).body) for n in (1, 2, 3)] == [
        {"more": True, "next": "n1", "objects": [1]}
    ] * 3
    forced = force_next()
    pages = [orjson.loads(forced(page(n), seen).body) for n in (1, 2, 3)]
    assert [(p["next"], p["objects"]) for p in pages] == [("n1", [1]), ("n1", [2]), ("n1", [3])]
    last = Answer(200, (), orjson.dumps({"more": False, "objects": [9]}))
    assert orjson.loads(force_next("loop")(last, seen).body) == {
        "more": True,
        "next": "loop",
        "objects": [9],
    }
