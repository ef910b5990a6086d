"""Count-only and threshold modes (solo conteo, umbral) between two real nodes on loopback:
what crosses the wire, what each side records, and what is refused.

Every byte between the nodes is captured (`Capture`). In count mode the test also holds the
responder's secret scalar, so it can recompute where each doubly-blinded value would stand
in the requester's order, and shows the responder's order does not follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

import enlace.matching.responder as responder
import enlace.matching.threshold as threshold
from enlace.matching.agreements import agree_to_match
from enlace.matching.errors import MatchingError, MatchProtocolError
from enlace.matching.kinds import kind_domain, parse_kind
from enlace.matching.modes import (
    AgreementStatement,
    ModeNotAccepted,
    agreement_sha256,
    read_statement,
)
from enlace.matching.psi import (
    blind_chunk,
    decode_answer,
    encode_positions,
    fresh_scalar,
    hash_and_blind_chunk,
    truncation_width,
)
from enlace.matching.requester import MatchOutcome, match_partner
from enlace.model.markings import Markings
from enlace.model.records import PhoneNumber, derived_id
from enlace.store.store import Store
from enlace.store.tables import hit_notices, match_handles, match_runs
from support.exchange import CREATED
from support.matching import ServedNode, agree, load, requester_token, served_nodes

pytestmark = pytest.mark.e2e

PHONE = parse_kind("phone")
TO_MX = Markings.build(tlp="amber", releasable_to="MX US", handling="H2", evaluation="B2")
SHARED = [f"+5255{10000000 + i}" for i in range(6)]
MX_ONLY = [f"+5233{10000000 + i}" for i in range(40)]
US_ONLY = [f"+1202555{1000 + i}" for i in range(10)]


def phone(number: str, party: str) -> PhoneNumber:
    return PhoneNumber.from_values(
        id=derived_id("enlace-phone-number", f"modes-{party}", number),
        owner=party,
        markings=TO_MX,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"number": number},
    )


@dataclass(slots=True)
class Exchange:
    method: str
    path: str
    sent: bytes
    status: int
    received: bytes


class Capture(httpx.BaseTransport):
    """Real HTTP over loopback, keeping every request and answer as it crossed."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = request.read()
        response = self.inner.handle_request(request)
        body = response.read()
        path = request.url.raw_path.decode().removeprefix("/matching/v1")
        self.exchanges.append(Exchange(request.method, path, sent, response.status_code, body))
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    def paths(self) -> list[str]:
        return [f"{e.method} {e.path.split('?')[0].split('/')[-1]}" for e in self.exchanges]

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def pair(new_store_url: Callable[[], str]) -> Iterator[tuple[ServedNode, ServedNode]]:
    """MX holds 46 phone numbers, US 16; 6 are shared."""
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        load(nodes["MX"], [phone(n, "MX") for n in SHARED + MX_ONLY])
        load(nodes["US"], [phone(n, "US") for n in SHARED + US_ONLY])
        yield nodes["MX"], nodes["US"]


@pytest.fixture
def betas(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every secret scalar the responder draws, in order."""
    drawn: list[bytes] = []

    def draw() -> bytes:
        scalar = fresh_scalar()
        drawn.append(scalar)
        return scalar

    monkeypatch.setattr(responder, "fresh_scalar", draw)
    monkeypatch.setattr(threshold, "fresh_scalar", draw)
    return drawn


def run(mx: ServedNode, **options: Any) -> tuple[MatchOutcome, Capture]:
    capture = Capture()
    with httpx.Client(transport=capture) as client:
        [outcome] = match_partner(
            mx.store,
            partner="US",
            token=requester_token("MX", "US"),
            kinds=[PHONE],
            client=client,
            **options,
        )
    return outcome, capture


def audit_details(store: Store, action: str) -> list[dict[str, Any]]:
    with store.unit_of_work() as uow:
        return [e.detail for e in uow.audit.entries() if e.action == action]


def count_rows(store: Store, table: Any) -> int:
    with store.unit_of_work() as uow:
        return int(uow.connection.execute(select(func.count()).select_from(table)).scalar_one())


def expected_digest(mode: str, k: int | None) -> str:
    return agreement_sha256(
        requester="MX",
        responder="US",
        kind="phone",
        mode=mode,
        threshold=k,
        max_set_size=100_000,
        runs_per_day=10,
    )


def kendall_tau(order: list[int]) -> float:
    """Rank correlation of `order` with 0, 1, 2, ...: 1 the same order, -1 reversed."""
    n = len(order)
    concordant = sum(1 for i in range(n) for j in range(i + 1, n) if order[i] < order[j])
    pairs = n * (n - 1) // 2
    return (2 * concordant - pairs) / pairs


def answer_order(capture: Capture, beta: bytes) -> list[int]:
    """For each doubly-blinded value the responder returned, in its order, the position in
    the requester's message of the point it came from (recomputed with the responder's β)."""
    [opened] = [e for e in capture.exchanges if e.path.startswith("/runs?")]
    n = len(opened.sent) // 32
    answer = decode_answer(opened.received, expected_n=n)
    width = answer.width
    in_order = blind_chunk(opened.sent, beta, width)
    where = {in_order[i : i + width]: i // width for i in range(0, len(in_order), width)}
    assert len(where) == n
    compared = answer.compared()  # links: whole points cut to width; count: as sent
    returned = [compared[i : i + width] for i in range(0, len(compared), width)]
    return [where[value] for value in returned]


def test_count_mode_tells_the_requester_how_many_and_no_position_reaches_it(
    pair: tuple[ServedNode, ServedNode], betas: list[bytes]
) -> None:
    mx, us = pair
    # Control: in links mode the values come back in the requester's order, and the
    # measure below sees it (tau = 1).
    agree(us, "MX", kinds=("phone",))
    outcome, capture = run(mx)
    assert len(outcome.matches) == 6
    assert kendall_tau(answer_order(capture, betas[-1])) == 1.0

    agree(us, "MX", kinds=("phone",), mode="count")
    orders = []
    for _ in range(4):
        outcome, capture = run(mx)
        assert outcome.mode == "count"
        assert outcome.overlap == 6
        assert outcome.matches == []
        assert outcome.summary() == (
            "phone: US holds 6 of our 46 phone identifiers (count only, by agreement)"
        )
        # No round 2: admission and round 1 only, so no positions, no handles.
        assert capture.paths() == ["GET admission", "POST runs"]
        order = answer_order(capture, betas[-1])
        assert sorted(order) == list(range(46))  # every value, each once, in another order
        orders.append(order)
    # A fresh order each run, unrelated to the requester's: |tau| of a random order of 46
    # has a standard deviation of about 0.10, so its mean over 4 runs stays far below 0.3.
    assert len({tuple(o) for o in orders}) == 4
    taus = [kendall_tau(o) for o in orders]
    assert abs(sum(taus) / len(taus)) < 0.3
    assert max(abs(t) for t in taus) < 0.6
    # Nothing on the responder says which matched: no handles, no hit notices.
    assert count_rows(us.store, match_handles) == 6  # those of the links-mode control run
    assert count_rows(us.store, hit_notices) == 6
    # Both sides audit each run with the agreement's mode and digest and the same transcript.
    control_mx, *mx_runs = audit_details(mx.store, "match-run")
    control_us, *us_runs = audit_details(us.store, "match-run")
    assert control_mx["mode"] == control_us["mode"] == "links"
    assert (
        control_mx["agreement_sha256"]
        == control_us["agreement_sha256"]
        == (expected_digest("links", None))
    )
    assert control_mx["transcript_sha256"] == control_us["transcript_sha256"]
    assert len(mx_runs) == len(us_runs) == 4
    for ours, theirs in zip(mx_runs, us_runs, strict=True):
        assert ours["mode"] == theirs["mode"] == "count"
        assert (
            ours["agreement_sha256"] == theirs["agreement_sha256"] == expected_digest("count", None)
        )
        assert ours["transcript_sha256"] == theirs["transcript_sha256"]
        assert ours["overlap"] == 6
        assert theirs["overlap"] is None  # the responder does not learn the count
        assert ours["matches"] == theirs["records"] == 0


def test_threshold_mode_below_k_gives_no_links_and_only_the_verdict(
    pair: tuple[ServedNode, ServedNode],
) -> None:
    mx, us = pair
    agree(us, "MX", kinds=("phone",), mode="threshold", threshold=7)
    outcome, capture = run(mx)
    assert outcome.reached is False
    assert outcome.matches == []
    assert outcome.summary() == (
        "phone: US holds fewer than 7 of our 46 phone identifiers (threshold 7, by "
        "agreement): no links"
    )
    assert capture.paths() == ["GET admission", "POST offers", "POST count"]
    offer, count = capture.exchanges[1], capture.exchanges[2]
    assert offer.sent == b""
    # The offer carries the responder's 16 points and no doubly-blinded value; the count
    # step's answer is the single byte "below".
    assert len(offer.received) == 66 + 32 + 16 * 32  # header, the run's key, its points
    assert count.received == b"\x00"
    assert count_rows(us.store, hit_notices) == count_rows(us.store, match_handles) == 0
    [ours] = audit_details(mx.store, "match-run")
    [theirs] = audit_details(us.store, "match-run")
    assert ours["mode"] == theirs["mode"] == "threshold"
    assert ours["threshold"] == theirs["threshold"] == 7
    assert ours["agreement_sha256"] == theirs["agreement_sha256"] == expected_digest("threshold", 7)
    assert ours["transcript_sha256"] == theirs["transcript_sha256"]
    assert ours["reached"] is theirs["reached"] is False
    assert ours["overlap"] is None  # the requester learns only "below k"
    assert theirs["overlap"] == 6  # the responder counts, to enforce k
    # The run is over: no round 2 for it.
    run_id = count.path.split("/")[2]
    response = post(us, f"/runs/{run_id}/matches", encode_positions([0]))
    assert response.status_code == 409
    assert "already below-threshold" in response.json()["detail"]


def test_threshold_mode_at_k_gives_the_links(pair: tuple[ServedNode, ServedNode]) -> None:
    mx, us = pair
    agree(us, "MX", kinds=("phone",), mode="threshold", threshold=6)
    outcome, capture = run(mx)
    assert outcome.reached is True
    assert len(outcome.matches) == 6
    assert {m.record_id for m in outcome.matches} == {phone(n, "MX").id for n in SHARED}
    assert outcome.summary().endswith("6 record link(s), 6 new (threshold 6 reached)")
    assert capture.paths() == [
        "GET admission",
        "POST offers",
        "POST count",
        "POST check",
        "POST matches",
    ]
    assert count_rows(us.store, hit_notices) == 6
    [ours] = audit_details(mx.store, "match-run")
    [theirs] = audit_details(us.store, "match-run")
    assert ours["mode"] == theirs["mode"] == "threshold"
    assert ours["agreement_sha256"] == theirs["agreement_sha256"] == expected_digest("threshold", 6)
    assert ours["transcript_sha256"] == theirs["transcript_sha256"]
    assert ours["overlap"] == theirs["overlap"] == 6
    assert ours["reached"] is theirs["reached"] is True


def post(us: ServedNode, path: str, body: bytes) -> httpx.Response:
    auth = {"Authorization": f"Bearer {requester_token('MX', 'US')}"}
    return httpx.post(f"{us.url}/matching/v1{path}", content=body, headers=auth)


def test_a_requester_repeating_a_value_cannot_inflate_the_count(
    pair: tuple[ServedNode, ServedNode], betas: list[bytes]
) -> None:
    _, us = pair
    agree(us, "MX", kinds=("phone",), mode="threshold", threshold=2)
    offered = post(us, "/offers?kind=phone&size=3", b"")
    assert offered.status_code == 200
    offer = decode_answer(offered.content, expected_n=3)
    alpha = fresh_scalar()
    point = hash_and_blind_chunk(kind_domain(PHONE), [SHARED[0].encode()], alpha)
    # The one shared identifier, three times over in the set, and its doubly-blinded value
    # (computed here with the responder's β) in place of every value the requester returns.
    matched = blind_chunk(point, betas[-1], offer.width)
    step = point * 3 + matched * offer.responder_size
    run_id = offer.run_id.hex()
    counted = post(us, f"/runs/{run_id}/count", step)
    assert counted.status_code == 200
    assert counted.content == b"\x00"
    [theirs] = audit_details(us.store, "match-run")
    assert theirs["overlap"] == 1
    # The count step is one try per run.
    again = post(us, f"/runs/{run_id}/count", step)
    assert again.status_code == 409
    assert "not a threshold run waiting for its count step" in again.json()["detail"]


@pytest.mark.parametrize(
    ("mode", "path", "body", "status", "words"),
    [
        ("threshold", "/runs?kind=phone", b"", 409, "threshold mode (k = 2): a run starts"),
        ("threshold", "/offers?kind=phone&size=x", b"", 400, "size must be a count"),
        ("threshold", "/offers?kind=phone&size=0", b"", 400, "the set is empty"),
        ("threshold", "/offers?kind=phone&size=100001", b"", 413, "cap of 100,000 per run"),
        ("threshold", "/offers?kind=phone&size=3", b"\x00", 413, "an offer's request has no body"),
        ("links", "/offers?kind=phone&size=3", b"", 409, "is in links mode"),
        ("count", "/offers?kind=phone&size=3", b"", 409, "is in count mode"),
        ("threshold", "/runs/" + "0" * 32 + "/count", b"", 404, "no run"),
    ],
)
def test_a_request_outside_the_agreement_s_mode_gets_a_problem_body(
    pair: tuple[ServedNode, ServedNode], mode: str, path: str, body: bytes, status: int, words: str
) -> None:
    _, us = pair
    agree(us, "MX", kinds=("phone",), mode=mode, threshold=2 if mode == "threshold" else None)
    if path.startswith("/runs?"):
        body = hash_and_blind_chunk(kind_domain(PHONE), [b"+525512345678"], fresh_scalar())
    response = post(us, path, body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]
    assert count_rows(us.store, match_runs) == 0


@pytest.mark.parametrize(
    ("step", "words"),
    [
        (lambda n, m, w: b"\x00" * (n * 32 + m * w - 1), "must be 3 points of 32 bytes"),
        (lambda n, m, w: b"\xff" * (n * 32 + m * w), "not a valid ristretto255 point"),
    ],
)
def test_a_malformed_count_step_is_refused_and_ends_the_run(
    pair: tuple[ServedNode, ServedNode], step: Callable[[int, int, int], bytes], words: str
) -> None:
    _, us = pair
    agree(us, "MX", kinds=("phone",), mode="threshold", threshold=2)
    offer = decode_answer(post(us, "/offers?kind=phone&size=3", b"").content, expected_n=3)
    run_id = offer.run_id.hex()
    assert offer.width == truncation_width(3, 16)
    # Round 2 before the count step reached k is refused.
    early = post(us, f"/runs/{run_id}/matches", encode_positions([0]))
    assert early.status_code == 409
    response = post(us, f"/runs/{run_id}/count", step(3, 16, offer.width))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]
    with us.store.unit_of_work() as uow:
        stored = uow.match_runs.get(run_id, "responder")
    assert stored is not None
    assert stored.status == "failed"
    assert stored.blinding_scalar is None  # erased with the run
    again = post(us, f"/runs/{run_id}/count", step(3, 16, offer.width))
    assert again.status_code == 409


def test_a_requester_refuses_a_mode_it_does_not_accept_before_sending_anything(
    pair: tuple[ServedNode, ServedNode],
) -> None:
    mx, us = pair
    agree(us, "MX", kinds=("phone",), mode="count")
    with pytest.raises(ModeNotAccepted) as refused:
        run(mx, accept=("links", "threshold"))
    assert str(refused.value) == (
        "US answers phone in count mode, which this run does not accept (accepted: links, "
        "threshold); nothing was sent"
    )
    assert count_rows(us.store, match_runs) == count_rows(mx.store, match_runs) == 0


@pytest.mark.parametrize(
    ("mode", "k", "words"),
    [
        ("bogus", None, "unknown matching mode 'bogus': expected one of links, count, threshold"),
        ("threshold", None, "threshold mode needs --threshold K"),
        ("threshold", 0, "--threshold must be from 1 to the agreement's --max-set-size (10)"),
        ("threshold", 11, "--threshold must be from 1 to the agreement's --max-set-size (10)"),
        ("count", 3, "--threshold applies to threshold mode only, not to count mode"),
    ],
)
def test_bad_mode_values_are_refused_with_a_clear_message(
    pair: tuple[ServedNode, ServedNode], mode: str, k: int | None, words: str
) -> None:
    _, us = pair
    with pytest.raises(MatchingError) as refused:
        agree_to_match(
            us.store,
            partner="MX",
            kinds=["phone"],
            max_set_size=10,
            runs_per_day=1,
            actor="test",
            mode=mode,
            threshold=k,
        )
    assert words in str(refused.value)
    with us.store.unit_of_work() as uow:
        assert uow.agreements.all() == []


STATEMENT = AgreementStatement(
    "phone", "threshold", 5, 100, 2, agreement_sha256(
        requester="MX", responder="US", kind="phone", mode="threshold", threshold=5,
        max_set_size=100, runs_per_day=2,
    ),
)  # fmt: skip


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({}, None),
        ({"threshold": 6}, "not that of the terms it stated"),
        ({"mode": "links"}, "--threshold applies to threshold mode only"),
        ({"mode": "all"}, "unknown matching mode 'all'"),
        ({"kind": "vin"}, "is malformed"),
        ({"max_set_size": True}, "is malformed"),
        ({"protocol": 2}, "speaks matching protocol 2, this node speaks 5"),
        # 4: a node from before the deconfliction of operations (kind operation, /contacts).
        ({"protocol": 4}, "speaks matching protocol 4, this node speaks 5"),
    ],
)
def test_the_requester_checks_the_stated_agreement_against_its_digest(
    change: dict[str, Any], words: str | None
) -> None:
    import orjson

    body = orjson.dumps({**STATEMENT.to_json(), **change})
    if words is None:
        assert read_statement(body, requester="MX", responder="US", kind="phone") == STATEMENT
        return
    with pytest.raises(MatchProtocolError) as refused:
        read_statement(body, requester="MX", responder="US", kind="phone")
    assert words in str(refused.value)


def test_a_protocol_1_admission_is_named_as_such() -> None:
    with pytest.raises(MatchProtocolError) as refused:
        read_statement(b"", requester="MX", responder="US", kind="phone")
    assert "older matching protocol (this node speaks 5)" in str(refused.value)


class ChangeAfterAdmission(Capture):
    """Capture that changes the responder's agreement right after admission answers."""

    def __init__(self, change: Callable[[], None]) -> None:
        super().__init__()
        self.change = change

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if self.exchanges[-1].path.startswith("/admission"):
            self.change()
        return response


def test_an_agreement_changed_after_admission_stops_the_run_on_the_requester(
    pair: tuple[ServedNode, ServedNode],
) -> None:
    mx, us = pair
    agree(us, "MX", kinds=("phone",), mode="count")
    capture = ChangeAfterAdmission(lambda: agree(us, "MX", kinds=("phone",)))
    with httpx.Client(transport=capture) as client, pytest.raises(MatchProtocolError) as stopped:
        match_partner(
            mx.store, partner="US", token=requester_token("MX", "US"), kinds=[PHONE], client=client
        )
    assert "is under another agreement (links mode" in str(stopped.value)
    assert "than the one it stated at admission (count mode" in str(stopped.value)
    assert count_rows(mx.store, match_runs) == 0  # nothing recorded as a run here


def test_an_agreement_changed_before_the_count_step_ends_the_threshold_run(
    pair: tuple[ServedNode, ServedNode],
) -> None:
    _, us = pair
    agree(us, "MX", kinds=("phone",), mode="threshold", threshold=2)
    offer = decode_answer(post(us, "/offers?kind=phone&size=1", b"").content, expected_n=1)
    agree(us, "MX", kinds=("phone",), mode="threshold", threshold=1)
    point = hash_and_blind_chunk(kind_domain(PHONE), [SHARED[0].encode()], fresh_scalar())
    step = point + b"\x00" * (offer.width * offer.responder_size)
    response = post(us, f"/runs/{offer.run_id.hex()}/count", step)
    assert response.status_code == 409
    assert response.json()["title"] == "agreement-changed"
    with us.store.unit_of_work() as uow:
        stored = uow.match_runs.get(offer.run_id.hex(), "responder")
    assert stored is not None
    assert stored.status == "failed"


def test_an_offer_larger_than_a_run_can_carry_is_refused_whatever_the_cap(
    pair: tuple[ServedNode, ServedNode],
) -> None:
    _, us = pair
    agree(us, "MX", kinds=("phone",), max_set_size=10**12, mode="threshold", threshold=2)
    response = post(us, f"/offers?kind=phone&size={2**32}", b"")
    assert response.status_code == 413
    assert response.json()["detail"] == "a set of 4,294,967,296 is more than one run can carry"
    assert count_rows(us.store, match_runs) == 0


def test_a_threshold_offer_never_counted_loses_its_key_after_the_expiry(
    pair: tuple[ServedNode, ServedNode], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    _, us = pair
    agree(us, "MX", kinds=("phone",), mode="threshold", threshold=2)
    offered = post(us, "/offers?kind=phone&size=3", b"")
    offer = decode_answer(offered.content, expected_n=3)
    with us.store.unit_of_work() as uow:
        [kept] = uow.connection.execute(select(match_runs.c.blinding_scalar)).scalars().all()
    assert kept is not None
    # Past the expiry, the count step finds the run expired and its key erased.
    monkeypatch.setattr(responder, "RUN_EXPIRY", timedelta(0))
    step = b"\x00" * (3 * 32 + offer.responder_size * offer.width)
    late = post(us, f"/runs/{offer.run_id.hex()}/count", step)
    assert late.status_code == 409
    assert "expired" in late.json()["detail"]
    with us.store.unit_of_work() as uow:
        rows = uow.connection.execute(select(match_runs.c.status, match_runs.c.blinding_scalar))
        assert [tuple(row) for row in rows] == [("expired", None)]
