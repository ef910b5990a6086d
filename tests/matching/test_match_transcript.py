"""Both parties of a run audit the same transcript digest: the SHA-256 of the run's six
messages as they crossed the wire, which a changed message changes. Two real node servers
on loopback, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from enlace.matching.kinds import MATCH_KINDS
from enlace.matching.requester import match_partner
from enlace.matching.transcript import DOMAIN, Transcript
from enlace.store.store import Store
from support.matching import agree, load, requester_token, served_nodes, synth_world

KINDS = MATCH_KINDS[:2]


def _run_entries(store: Store) -> dict[str | None, Any]:
    with store.unit_of_work() as uow:
        return {e.subject: e.detail for e in uow.audit.entries() if e.action == "match-run"}


def _digest(kind: str, messages: list[bytes]) -> str:
    # Written from the layout in docs/audit.md with hashlib alone, not with Transcript.
    def framed(chunk: list[bytes]) -> bytes:
        return b"".join(len(m).to_bytes(8, "big") + m for m in chunk)

    # Round by round, two messages each, each round's digest chained into the next.
    head = DOMAIN + kind.encode() + b"\x00"
    before = bytes(32)
    for start in range(0, len(messages), 2):
        before = hashlib.sha256(head + before + framed(messages[start : start + 2])).digest()
    return before.hex()


@pytest.mark.e2e
def test_requester_and_responder_audit_the_same_digest_of_the_messages_sent(
    new_store_url: Callable[[], str],
) -> None:
    world = synth_world()
    sent: list[tuple[str, bytes]] = []  # (path, body) of each protocol message, in order

    def request_sent(request: httpx.Request) -> None:
        if request.method == "POST":
            sent.append((request.url.path, request.content))

    def response_received(response: httpx.Response) -> None:
        if response.request.method == "POST":
            sent.append((response.request.url.path, response.read()))

    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(mx, world.records["MX"])
        load(us, world.records["US"])
        agree(us, "MX")
        hooks: dict[str, list[Callable[..., Any]]] = {
            "request": [request_sent],
            "response": [response_received],
        }
        with httpx.Client(event_hooks=hooks) as client:
            outcomes = match_partner(
                mx.store,
                partner="US",
                token=requester_token("MX", "US"),
                kinds=KINDS,
                client=client,
            )
        requester, responder = _run_entries(mx.store), _run_entries(us.store)
    # Round 1, the check, round 2: two messages each.
    assert len(sent) == 6 * len(KINDS)
    for number, outcome in enumerate(outcomes):
        assert outcome.run_id is not None
        ours, theirs = requester[outcome.run_id], responder[outcome.run_id]
        assert ours["transcript_sha256"] == theirs["transcript_sha256"]
        messages = [body for _, body in sent[6 * number : 6 * number + 6]]
        assert sent[6 * number + 2][0].endswith("/check")
        assert ours["transcript_sha256"] == _digest(outcome.kind, messages)
        # The rest of what both entries say of the run agrees too.
        for field in ("kind", "requester_size", "responder_size", "overlap"):
            assert ours[field] == theirs[field], field
        assert theirs["agreement"]["max_set_size"] > 0
        # One byte changed in any message gives another digest.
        for which in range(6):
            changed = list(messages)
            body = changed[which]
            changed[which] = bytes([body[0] ^ 1]) + body[1:] if body else b"\x00"
            assert _digest(outcome.kind, changed) != ours["transcript_sha256"]


def test_a_changed_dropped_moved_or_reordered_message_gives_another_digest() -> None:
    messages = [b"points" * 8, b"answer" * 8, b"\x00\x03", b"handles!"]

    def digest(kind: str, chunk: list[bytes]) -> str:
        first = Transcript(kind)
        for message in chunk[:2]:
            first.add(message)
        second = Transcript(kind, before=first.hexdigest())
        for message in chunk[2:]:
            second.add(message)
        return second.hexdigest()

    base = digest("phone", messages)
    assert base == _digest("phone", messages)  # the class computes the documented layout
    variants = [
        [b"points" * 8 + b"x", *messages[1:]],  # a message changed
        [messages[0], b"", *messages[2:]],  # one emptied
        [messages[0] + messages[1][:1], messages[1][1:], *messages[2:]],  # a boundary moved
        [messages[1], messages[0], *messages[2:]],  # two swapped
        [*messages[:2], messages[3], messages[2]],  # round 2's swapped
    ]
    assert all(digest("phone", variant) != base for variant in variants)
    assert digest("vin", messages) != base  # the kind is bound in
