"""A party that does not follow the protocol is caught, between two real nodes on loopback:
a responder that blinds some of the requester's points with another key fails the check and
the run is aborted on both sides; a responder that lies in the check (a proof for another Z,
or a "yes" that is no proof) is caught by the requester; a requester that claims a match
that is not in the intersection is refused and no hit notice is recorded. Honest runs are in
test_match_nodes.py; the check's arithmetic in test_psi_group.py, the proofs themselves in
test_proofs.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
import rbcl
from sqlalchemy import func, select

import enlace.matching.requester as requester
import enlace.matching.responder as responder
import enlace.matching.threshold as threshold
from enlace.matching.blinding import BlindingJob, BlindingPool
from enlace.matching.errors import MatchProofFailed, PartnerRefusedMatch
from enlace.matching.group import POINT_BYTES, blind_chunk, fresh_scalar
from enlace.matching.kinds import MatchKind
from enlace.matching.proofs import generate_proof, public_key
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


def scalars(node: ServedNode) -> list[str | None]:
    with node.store.unit_of_work() as uow:
        return [row[0] for row in uow.connection.execute(select(match_runs.c.blinding_scalar))]


class _Ready:
    """A job already done (what the cheating responder hands back instead of the pool's)."""

    def __init__(self, output: bytes) -> None:
        self.output = output

    def result(self, progress: object = None) -> bytes:
        return self.output

    def cancel(self) -> None:
        pass


def cheating_blinding(every: int) -> Callable[..., BlindingJob | _Ready]:
    """BlindingPool.start_blind, but where it blinds whole points (the responder's blinding
    of the requester's points in links mode and threshold mode's count step; the requester
    blinds the responder's points truncated), every `every`-th point is raised to a second
    key, as a responder would to make some of the requester's identifiers never match."""
    honest = BlindingPool.start_blind

    def start_blind(
        pool: BlindingPool, points: bytes, scalar: bytes, *, width: int = POINT_BYTES
    ) -> BlindingJob | _Ready:
        job = honest(pool, points, scalar, width=width)
        if width != POINT_BYTES:
            return job
        out = job.result()
        other = fresh_scalar()
        return _Ready(
            b"".join(
                blind_chunk(points[i : i + 32], other)
                if (i // 32) % every == 0
                else out[i : i + 32]
                for i in range(0, len(points), 32)
            )
        )

    return start_blind


@pytest.mark.parametrize("mode", ["links", "threshold"])
def test_a_responder_blinding_every_7th_point_with_another_key_fails_the_check_on_both_sides(
    new_store_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    world = synth_world(scale=200)
    monkeypatch.setattr(BlindingPool, "start_blind", cheating_blinding(every=7))
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(mx, world.records["MX"])
        load(us, world.records["US"])
        agree(us, "MX", mode=mode, threshold=1 if mode == "threshold" else None)
        with pytest.raises(MatchProofFailed) as caught:
            match_partner(mx.store, partner="US", token=requester_token("MX", "US"), kinds=KINDS)
        # The responder aborted the run itself on its failed check: it was told.
        assert caught.value.told
        assert "failed its check" in str(caught.value)
        # The requester used and recorded nothing of the run but its audit entry ...
        assert count(mx, matches) == 0
        assert count(mx, match_runs) == 0
        failed = [d for a, d in audit(mx) if a == "match-proof-failed"]
        assert len(failed) == 1
        assert failed[0]["partner"] == "US"
        assert failed[0]["kind"] == "phone"
        assert "check of its blinding failed" in failed[0]["reason"]
        assert "match-run" not in [a for a, _ in audit(mx)]
        # ... and the responder shows the run aborted by its own check, its key erased, no
        # hit notice, and the refusal the requester met.
        assert statuses(us) == ["aborted"]
        assert scalars(us) == [None]
        checks = [d for a, d in audit(us) if a == "match-check-failed"]
        assert len(checks) == 1
        assert checks[0]["before_sha256"] == failed[0]["transcript_sha256"]
        assert "match-checked" not in [a for a, _ in audit(us)]
        assert [d["reason"] for a, d in audit(us) if a == "match-refusal"] == ["check-failed"]
        assert count(us, hit_notices) == 0


def lying_check(kind: str) -> Callable[[bytes, bytes, bytes], bytes]:
    """responder.answer_check of a responder that says yes whatever Z is: with a true proof
    of β·M (not the requester's Z), or with 64 bytes that are no proof at all."""

    def answer(k: bytes, m: bytes, z: bytes) -> bytes:
        if kind == "proof-of-another-z":
            other = bytes(rbcl.crypto_scalarmult_ristretto255(k, m))
            assert other != z  # the cheating blinding made Z wrong
            return generate_proof(k, public_key(k), [m], [other])
        return bytes(rbcl.crypto_core_ristretto255_scalar_random()) * 2

    return answer


@pytest.mark.parametrize("lie", ["proof-of-another-z", "yes-without-proof"])
def test_a_responder_lying_in_the_check_is_caught_and_the_run_aborted_on_both_sides(
    new_store_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch, lie: str
) -> None:
    world = synth_world(scale=200)
    monkeypatch.setattr(BlindingPool, "start_blind", cheating_blinding(every=7))
    monkeypatch.setattr(responder, "answer_check", lying_check(lie))
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(mx, world.records["MX"])
        load(us, world.records["US"])
        agree(us, "MX")
        with pytest.raises(MatchProofFailed) as caught:
            match_partner(mx.store, partner="US", token=requester_token("MX", "US"), kinds=KINDS)
        assert caught.value.told
        assert count(mx, matches) == 0
        assert count(mx, match_runs) == 0
        failed = [d for a, d in audit(mx) if a == "match-proof-failed"]
        assert len(failed) == 1
        assert "proof of the check does not hold" in failed[0]["reason"]
        # The responder recorded its (false) yes, then the requester's abort, with the same
        # digest of the run so far (round 1 and the check) on both sides.
        assert [a for a, _ in audit(us) if a.startswith("match-check")] == ["match-checked"]
        aborted = [d for a, d in audit(us) if a == "match-aborted"]
        assert len(aborted) == 1
        assert "does not hold" in aborted[0]["reason"]
        assert aborted[0]["transcript_sha256"] == failed[0]["transcript_sha256"]
        assert statuses(us) == ["aborted"]
        assert scalars(us) == [None]
        assert count(us, hit_notices) == 0


def test_a_threshold_link_step_checked_under_another_key_than_the_offer_s_is_caught(
    new_store_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The count step reaches k and the check's proof is honest for the β the responder
    # used, but its offer committed another key: the proof must hold for the offer's key
    # (docs/matching.md, "Modes"), so the requester refuses the links and aborts.
    world = synth_world(scale=200)
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
        reasons = [d["reason"] for a, d in audit(mx) if a == "match-proof-failed"]
        assert len(reasons) == 1
        assert "key of its answer" in reasons[0]
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
