"""Everything that crosses the wire in a run: no identifier (but those both sides hold,
claimed back to their holder), no hash of one, no point the receiver could test a guess
against offline."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import httpx
import pytest
import rbcl

import enlace.matching.requester as requester
import enlace.matching.responder as responder
import enlace.matching.threshold as threshold
from enlace.matching.kinds import MATCH_KINDS, kind_domain
from enlace.matching.psi import fresh_scalar, hash_to_group
from enlace.matching.requester import match_partner
from enlace.model.records import Record
from support.matching import ServedNode, agree, load, requester_token, served_nodes, synth_world

pytestmark = pytest.mark.e2e

PREFIX = 8  # the shortest piece of a value that is checked for (the truncation width)


class RecordingTransport(httpx.BaseTransport):
    """Real HTTP over loopback, keeping every request and response body as sent."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.to_responder: list[bytes] = []
        self.to_requester: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.to_responder.append(request.method.encode() + bytes(request.url.raw_path))
        self.to_responder.append(b"".join(f"{k}: {v}".encode() for k, v in request.headers.items()))
        self.to_responder.append(request.read())
        response = self.inner.handle_request(request)
        body = response.read()
        self.to_requester.append(
            b"".join(f"{k}: {v}".encode() for k, v in response.headers.items())
        )
        self.to_requester.append(body)
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    def close(self) -> None:
        self.inner.close()


_SHORTEST_SEARCHED = 8  # bytes: shorter keys occur among random bytes by chance


def keys_of(records: list[Record]) -> Iterator[tuple[bytes, bytes]]:
    for record in records:
        for kind, key in record.identifier_keys():
            yield kind_domain(next(k for k in MATCH_KINDS if k.value == kind)), key.encode()


def pieces(value: bytes) -> list[bytes]:
    """The value and its first PREFIX bytes (a truncated form of it)."""
    return [value, value[:PREFIX]]


@pytest.fixture
def scalars(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[bytes]]:
    """Every secret scalar each side draws, kept for the test to test guesses with."""
    drawn: dict[str, list[bytes]] = {"requester": [], "responder": []}

    def recorder(side: str) -> Callable[[], bytes]:
        def draw() -> bytes:
            scalar = fresh_scalar()
            drawn[side].append(scalar)
            return scalar

        return draw

    monkeypatch.setattr(requester, "fresh_scalar", recorder("requester"))
    monkeypatch.setattr(responder, "fresh_scalar", recorder("responder"))
    monkeypatch.setattr(threshold, "fresh_scalar", recorder("responder"))
    return drawn


@pytest.mark.parametrize("mode", ["links", "count", "threshold"])
def test_wire_carries_no_identifier_no_hash_and_no_offline_testable_point(
    new_store_url: Callable[[], str], scalars: dict[str, list[bytes]], mode: str
) -> None:
    world = synth_world(scale=200)
    transport = RecordingTransport()
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(mx, world.records["MX"])
        load(us, world.records["US"])
        # Every mode (docs/matching.md, "Modes"); threshold 1, so the links step runs too.
        agree(us, "MX", mode=mode, threshold=1 if mode == "threshold" else None)
        with httpx.Client(transport=transport) as client:
            outcomes = match_partner(
                mx.store,
                partner="US",
                token=requester_token("MX", "US"),
                kinds=MATCH_KINDS,
                client=client,
            )
    assert sum(o.overlap for o in outcomes) > 20
    assert len(scalars["requester"]) == len(scalars["responder"]) == len(MATCH_KINDS)
    to_responder = b"\x00".join(transport.to_responder)
    to_requester = b"\x00".join(transport.to_requester)
    wire = to_responder + b"\x00" + to_requester
    universe = set(keys_of(world.records["MX"])) | set(keys_of(world.records["US"]))
    assert len(universe) > 60
    # A claim (round 2) names each matched identifier to the responder, which holds it:
    # the only identifiers on the wire, and only in that direction.
    shared = set(keys_of(world.records["MX"])) & set(keys_of(world.records["US"]))
    assert len(shared) >= sum(o.overlap for o in outcomes)

    # A claimed key may hold another key as a part ("LA FAMILIA MICHOACANA" holds an
    # alias "FAMILIA MICHOACANA"): other keys are looked for in the wire without them.
    unclaimed = wire
    for _, key in sorted(shared, key=lambda item: -len(item[1])):
        unclaimed = unclaimed.replace(key, b"\x00")

    assert sum(len(key) >= _SHORTEST_SEARCHED for _, key in universe) > 60
    caught = []
    for domain, key in universe:
        point = hash_to_group(domain, key)
        # A key of a few bytes (an acronym such as "CDG") turns up among the points' random
        # bytes by chance (3 bytes: about once in 16 million positions, and the wire holds
        # hundreds of thousands): looked for in plain only from 8 bytes on; every key is
        # still looked for hashed and as a point below.
        if len(key) < _SHORTEST_SEARCHED:
            pass
        elif (domain, key) in shared:
            caught += [(key, "shared, to requester")] if key in to_requester else []
        else:
            caught += [(key, "plain")] if key in unclaimed else []
        plain: list[bytes] = []
        for tagged in (key, domain + key):
            plain += pieces(hashlib.sha256(tagged).digest())
            plain += pieces(hashlib.sha512(tagged).digest())
            plain.append(hashlib.sha256(tagged).hexdigest().encode())
        plain += pieces(point)
        caught += [(key, "plain or hashed") for value in plain if value in wire]
        # A value blinded only by the receiver's own scalar: the receiver could hash a
        # guess, raise it to its scalar and compare.
        for beta in scalars["responder"]:
            blinded = rbcl.crypto_scalarmult_ristretto255(beta, point)
            caught += [
                (key, "H(x)^beta to responder") for v in pieces(blinded) if v in to_responder
            ]
        for alpha in scalars["requester"]:
            blinded = rbcl.crypto_scalarmult_ristretto255(alpha, point)
            caught += [
                (key, "H(x)^alpha to requester") for v in pieces(blinded) if v in to_requester
            ]
    assert caught == []

    # The check can fail: the requester's own blinded points H(a)^alpha do travel (to the
    # responder, who cannot test them), so looking for them in that direction finds them.
    sent = [
        rbcl.crypto_scalarmult_ristretto255(alpha, hash_to_group(domain, key))
        for alpha in scalars["requester"]
        for domain, key in universe
    ]
    assert sum(value in to_responder for value in sent) >= sum(o.own_size for o in outcomes)
    # ... and the responder's per-run public keys, which its check's proof refers to, reach
    # the requester; the claimed identifiers reach the responder (count mode has no claims:
    # no identifier travels at all).
    for beta in scalars["responder"]:
        assert rbcl.crypto_scalarmult_ristretto255_base(beta) in to_requester
    # One check per run that gives links (none in count mode, none below a threshold), each
    # a seed and two points (checked above with the rest: M is blinded by the requester's
    # scalar, Z by both), answered with one 64-byte proof.
    sent_messages = transport.to_responder
    checks = [
        sent_messages[i + 2]
        for i in range(0, len(sent_messages), 3)
        if sent_messages[i].split(b"?")[0].endswith(b"/check")
    ]
    linked = [
        o
        for o in outcomes
        if o.run_id is not None and (o.mode == "links" or (o.mode == "threshold" and o.reached))
    ]
    assert len(checks) == len(linked)
    assert mode == "count" or checks
    assert all(len(body) == 96 for body in checks)
    claimed = [key for domain, key in shared if key in to_responder]
    if mode == "count":
        assert claimed == []
    else:
        assert len(claimed) >= sum(o.overlap for o in outcomes)


def test_served_node_answers_nothing_without_a_token(new_store_url: Callable[[], str]) -> None:
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        us: ServedNode = nodes["US"]
        agree(us, "MX")
        response = httpx.post(f"{us.url}/matching/v1/runs?kind=phone", content=b"\x01" * 32)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
