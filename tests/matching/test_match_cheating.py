"""A party that does not follow the protocol is caught, between two real nodes on loopback:
a responder that blinds some of the requester's points with another key fails its proofs
and the run is aborted on both sides; a requester that claims a match that is not in the
intersection is refused and no hit notice is recorded. Honest runs are in
test_match_nodes.py; the proofs themselves in test_proofs.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

import enlace.matching.requester as requester
import enlace.matching.responder as responder
import enlace.matching.threshold as threshold
from enlace.matching.blinding import BlindingPool
from enlace.matching.errors import MatchProofFailed, PartnerRefusedMatch
from enlace.matching.group import blind_chunk, fresh_scalar
from enlace.matching.kinds import MatchKind
from enlace.matching.proofs import PROOF_BYTES, split_proved, start_blind_and_prove
from enlace.matching.psi import encode_claims
from enlace.matching.requester import match_partner
from enlace.model.identifiers import IdentifierKind
from enlace.store.tables import hit_notices, match_runs, matches
from support.matching import ServedNode, agree, load, requester_token, served_nodes, synth_world

pytestmark = pytest.mark.e2e

KINDS: Sequence[MatchKind] = (IdentifierKind.PHONE,)


def audit(node: ServedNode) -> list[tuple[str, dict[str, Any]]]:
    with node.store.unit_of_work() as uow:
        return [(entry.action, dict(entry.detail or {})) for entry in uow.audit.entries()]


def count(node: ServedNode, table: Any) -> int:
    with node.store.unit_of_work() as uow:
        return int(uow.connection.execute(select(func.count()).select_from(table)).scalar_one())


def statuses(node: ServedNode) -> list[str]:
    with node.store.unit_of_work() as uow:
        return [row[0] for row in uow.connection.execute(select(match_runs.c.status))]


class _Ready:
    """A job already done (what the cheating responder hands back instead of the pool's)."""

    def __init__(self, output: bytes) -> None:
        self.output = output

    def result(self) -> bytes:
        return self.output

    def cancel(self) -> None:
        pass


def cheating_blinding(every: int) -> Callable[[BlindingPool, bytes, bytes], _Ready]:
    """The responder's proved blinding, but every `every`-th point raised to a second key
    (as a responder would to make some of the requester's identifiers never match), and
    the proofs made honestly over what it returns, with its committed key."""

    def blind(pool: BlindingPool, points: bytes, k: bytes) -> _Ready:
        count = len(points) // 32
        proved, _ = split_proved(start_blind_and_prove(pool, points, k).result(), count)
        other = fresh_scalar()
        cheated = b"".join(
            blind_chunk(points[32 * i : 32 * i + 32], other)
            if i % every == 0
            else proved[32 * i : 32 * i + 32]
            for i in range(count)
        )
        # Its proofs cannot hold for what it returns; it sends what the honest code would.
        from enlace.matching.proofs import generate_proof, public_key, split_points

        proof = generate_proof(k, public_key(k), split_points(points), split_points(cheated))
        assert len(proof) == PROOF_BYTES
        assert count <= 4096
        return _Ready(cheated + proof)

    return blind


def test_a_responder_blinding_with_another_key_is_caught_and_the_run_aborted_on_both_sides(
    new_store_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = synth_world(scale=200)
    monkeypatch.setattr(responder, "start_blind_and_prove", cheating_blinding(every=7))
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(mx, world.records["MX"])
        load(us, world.records["US"])
        agree(us, "MX")
        with pytest.raises(MatchProofFailed) as caught:
            match_partner(mx.store, partner="US", token=requester_token("MX", "US"), kinds=KINDS)
        assert caught.value.told
        assert "failed its proofs" in str(caught.value)
        # The requester used and recorded nothing of the run but its audit entry ...
        assert count(mx, matches) == 0
        assert count(mx, match_runs) == 0
        failed = [d for a, d in audit(mx) if a == "match-proof-failed"]
        assert len(failed) == 1
        assert failed[0]["partner"] == "US"
        assert failed[0]["kind"] == "phone"
        assert failed[0]["failed_batches"] == [0]
        assert "match-run" not in [a for a, _ in audit(mx)]
        # ... and the responder shows the run aborted, with the requester's reason, and
        # recorded no hit notice.
        assert statuses(us) == ["aborted"]
        aborted = [d for a, d in audit(us) if a == "match-aborted"]
        assert len(aborted) == 1
        assert "do not hold" in aborted[0]["reason"]
        assert aborted[0]["round1_sha256"] == failed[0]["round1_sha256"]
        assert count(us, hit_notices) == 0


def test_a_threshold_link_step_not_proved_under_the_offer_s_key_is_caught_and_aborted(
    new_store_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The count step reaches k and its points come with proofs, honest for the β the
    # responder used, but its offer committed another key: the proofs refer to the offer's
    # key (docs/matching.md, "Modes"), so the requester refuses the links and aborts.
    world = synth_world(scale=200)
    from enlace.matching.proofs import public_key

    monkeypatch.setattr(threshold, "public_key", lambda k: public_key(fresh_scalar()))
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(mx, world.records["MX"])
        load(us, world.records["US"])
        agree(us, "MX", mode="threshold", threshold=1)
        with pytest.raises(MatchProofFailed) as caught:
            match_partner(mx.store, partner="US", token=requester_token("MX", "US"), kinds=KINDS)
        assert caught.value.told
        assert count(mx, matches) == 0
        assert count(mx, match_runs) == 0
        assert [d["failed_batches"] for a, d in audit(mx) if a == "match-proof-failed"] == [[0]]
        assert statuses(us) == ["aborted"]
        assert [a for a, _ in audit(us)].count("match-aborted") == 1
        assert count(us, hit_notices) == 0


def test_a_requester_claiming_a_match_not_in_the_intersection_is_refused(
    new_store_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = synth_world(scale=200)
    honest = encode_claims

    def inflated(claims: Sequence[tuple[int, bytes]]) -> bytes:
        # One more claim: a position that did not match, named with a key the requester
        # holds (so it is not in the responder's set there).
        taken = {position for position, _ in claims}
        free = next(p for p in range(len(taken) + 1) if p not in taken)
        assert claims, "the world should share phone numbers"
        return honest([*claims, (free, claims[0][1])])

    monkeypatch.setattr(requester, "encode_claims", inflated)
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(mx, world.records["MX"])
        load(us, world.records["US"])
        agree(us, "MX")
        with pytest.raises(PartnerRefusedMatch) as caught:
            match_partner(mx.store, partner="US", token=requester_token("MX", "US"), kinds=KINDS)
        assert caught.value.status == 422
        assert "are not this node's phone identifiers" in caught.value.detail
        # No hit notice, no handle given, the run failed; the refusal audited on each side.
        assert count(us, hit_notices) == 0
        assert statuses(us) == ["failed"]
        refusals = [d for a, d in audit(us) if a == "match-refusal"]
        assert [r["reason"] for r in refusals] == ["false-claim"]
        assert "match-run" not in [a for a, _ in audit(us)]
        assert count(mx, matches) == 0
        assert [d["status"] for a, d in audit(mx) if a == "match-refused"] == [422]

        # The same nodes, the requester honest again: the run completes.
        monkeypatch.setattr(requester, "encode_claims", honest)
        [outcome] = match_partner(
            mx.store, partner="US", token=requester_token("MX", "US"), kinds=KINDS
        )
        assert outcome.overlap > 0
        assert count(us, hit_notices) > 0


def test_encode_claims_of_the_test_is_the_one_the_requester_uses() -> None:
    # The cheating requester above replaces this name; it must be what the driver calls.
    assert vars(requester)["encode_claims"] is encode_claims
