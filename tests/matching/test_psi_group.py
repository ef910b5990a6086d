"""The group arithmetic and the wire encodings of the PSI, without nodes."""

from __future__ import annotations

import hashlib

import pytest
import rbcl

from enlace.matching.blinding import BlindingPool
from enlace.matching.kinds import KIND_NAMES, MATCH_KINDS, NAME_KINDS, MatchKind, kind_domain
from enlace.matching.proofs import (
    PROOF_BATCH,
    PROOF_BYTES,
    failed_batches,
    public_key,
    split_proved,
    start_blind_and_prove,
    start_prove,
    start_verify,
)
from enlace.matching.psi import (
    POINT_BYTES,
    Answer,
    WireFormatError,
    blind_chunk,
    decode_answer,
    decode_claims,
    decode_handles,
    decode_positions,
    encode_answer,
    encode_claims,
    encode_handles,
    encode_positions,
    fresh_scalar,
    hash_and_blind_chunk,
    hash_to_group,
    intersect,
    intersect_in_process,
    truncation_width,
)
from enlace.model.identifiers import IdentifierKind

PHONE = kind_domain(IdentifierKind.PHONE)
PLATE = kind_domain(IdentifierKind.PLATE)


def test_blinding_commutes_so_doubly_blinded_values_agree() -> None:
    alpha, beta = fresh_scalar(), fresh_scalar()
    point = hash_to_group(PHONE, b"+525512345678")
    ab = rbcl.crypto_scalarmult_ristretto255(
        beta, rbcl.crypto_scalarmult_ristretto255(alpha, point)
    )
    ba = rbcl.crypto_scalarmult_ristretto255(
        alpha, rbcl.crypto_scalarmult_ristretto255(beta, point)
    )
    assert ab == ba
    assert ab != point


def test_same_text_as_phone_and_as_plate_never_collides() -> None:
    text = b"5512345678"
    assert hash_to_group(PHONE, text) != hash_to_group(PLATE, text)
    kinds: tuple[MatchKind, ...] = (*MATCH_KINDS, *NAME_KINDS)
    domains = {kind_domain(kind) for kind in kinds}
    assert len(domains) == len(MATCH_KINDS) + len(NAME_KINDS) == len(KIND_NAMES)
    assert all(domain.endswith(b"\x00") for domain in domains)
    # ... and a run on two kinds finds nothing across them.
    pairs, _ = intersect_in_process([text], [text], PHONE, 0)
    assert pairs == [(0, 0)]
    alpha, beta = fresh_scalar(), fresh_scalar()
    as_phone = blind_chunk(hash_and_blind_chunk(PHONE, [text], alpha), beta)
    as_plate = blind_chunk(hash_and_blind_chunk(PLATE, [text], beta), alpha)
    assert as_phone != as_plate


def test_hash_to_group_is_libsodium_from_hash_of_sha512_of_domain_and_key() -> None:
    key = b"1HGCM82633A004352"
    domain = kind_domain(IdentifierKind.VIN)
    assert domain == b"enlace/psi/v1/vin\x00"
    expected = rbcl.crypto_core_ristretto255_from_hash(hashlib.sha512(domain + key).digest())
    assert hash_to_group(domain, key) == expected
    assert rbcl.crypto_core_ristretto255_is_valid_point(expected)


def test_each_run_draws_fresh_scalars() -> None:
    scalars = {fresh_scalar() for _ in range(50)}
    assert len(scalars) == 50
    # Two runs over the same set send different points.
    first = hash_and_blind_chunk(PHONE, [b"+15551234567"], fresh_scalar())
    second = hash_and_blind_chunk(PHONE, [b"+15551234567"], fresh_scalar())
    assert first != second


@pytest.mark.parametrize(
    ("n", "m", "width"),
    [
        (1, 1, 8),
        (1000, 1000, 8),
        (100_000, 100_000, 8),
        (1_000_000, 1_000_000, 8),
        (2**31, 2**31, 11),
    ],
)
def test_truncation_width_keeps_false_matches_below_one_in_sixteen_million(
    n: int, m: int, width: int
) -> None:
    assert truncation_width(n, m) == width
    assert n * m / 2 ** (8 * width) < 2**-23


def test_truncated_values_are_compared_at_their_width() -> None:
    alpha, beta = fresh_scalar(), fresh_scalar()
    points = hash_and_blind_chunk(PHONE, [b"a", b"b", b"c"], alpha)
    truncated = blind_chunk(points, beta, width=8)
    assert len(truncated) == 3 * 8
    assert truncated[:8] == blind_chunk(points[:POINT_BYTES], beta)[:8]
    theirs = blind_chunk(hash_and_blind_chunk(PHONE, [b"c", b"x", b"a"], beta), alpha, width=8)
    assert sorted(intersect(truncated, theirs, 8)) == [(0, 2), (2, 0)]


def test_a_value_that_is_not_a_point_is_a_wire_format_error() -> None:
    with pytest.raises(WireFormatError, match="not a valid ristretto255 point"):
        blind_chunk(b"\xff" * 32, fresh_scalar())
    with pytest.raises(WireFormatError, match="not a valid ristretto255 point"):
        blind_chunk(bytes(32), fresh_scalar())  # the identity


@pytest.mark.e2e
def test_pool_of_workers_gives_the_same_bytes_as_one_process() -> None:
    keys = [f"+5255{i:08d}".encode() for i in range(3000)]
    scalar = fresh_scalar()
    inline = hash_and_blind_chunk(PHONE, keys, scalar)
    done: list[int] = []
    with BlindingPool(2, inline_below=1) as pool:
        pooled = pool.hash_and_blind(PHONE, keys, scalar, progress=done.append)
        second = fresh_scalar()
        assert pool.blind(pooled, second, width=8) == blind_chunk(inline, second, width=8)
        with pytest.raises(WireFormatError):
            pool.blind(pooled[:-32] + b"\xff" * 32, second)
        singly, doubly = pool.start_hash_and_blind_twice(PHONE, keys, scalar, second, 8).split(8)
        assert singly == inline
        assert doubly == blind_chunk(inline, second, width=8)
    assert pooled == inline
    assert sum(done) == len(keys)


def test_intersect_in_process_finds_the_overlap_and_stays_under_40_bytes_an_element() -> None:
    left = [f"L{i}".encode() for i in range(2000)] + [f"S{i}".encode() for i in range(500)]
    right = [f"S{i}".encode() for i in range(500)] + [f"R{i}".encode() for i in range(2000)]
    pairs, wire = intersect_in_process(left, right, PHONE, 0)
    assert pairs == [(2000 + i, i) for i in range(500)]
    assert wire / (len(left) + len(right)) <= 40


def test_a_count_answer_round_trips_and_rejects_wrong_lengths() -> None:
    answer = Answer(
        bytes(range(16)), 8, b"\x05" * 32, b"\x01" * 24, b"", b"\x02" * 64, mode="count"
    )
    body = encode_answer(answer)
    assert len(body) == 66 + 32 + 24 + 64
    assert decode_answer(body, expected_n=3) == answer
    assert answer.compared() == b"\x01" * 24  # truncated already: unproved
    with pytest.raises(WireFormatError, match="covers 3 values, but 4 were sent"):
        decode_answer(body, expected_n=4)
    with pytest.raises(WireFormatError, match="its header says"):
        decode_answer(body[:-1], expected_n=3)
    for older in (b"EPS1", b"EPS2"):
        with pytest.raises(WireFormatError, match="another matching protocol"):
            decode_answer(older + body[4:], expected_n=3)
    with pytest.raises(WireFormatError, match="unknown mode"):
        decode_answer(body[:20] + b"\x07" + body[21:], expected_n=3)


def test_a_threshold_offer_carries_the_size_the_key_and_no_doubly_blinded_value() -> None:
    offer = Answer(
        bytes(16), 8, b"\x05" * 32, b"", b"", b"\x02" * 64, mode="threshold", threshold=5,
        agreement_sha256=b"\x09" * 32, requester_size=3,
    )  # fmt: skip
    body = encode_answer(offer)
    assert len(body) == 66 + 32 + 64
    assert decode_answer(body, expected_n=3) == offer


def test_intersect_in_process_with_proofs_finds_the_same_overlap() -> None:
    left = [f"L{i}".encode() for i in range(300)] + [f"S{i}".encode() for i in range(100)]
    right = [f"S{i}".encode() for i in range(100)] + [f"R{i}".encode() for i in range(300)]
    pairs, wire = intersect_in_process(left, right, PHONE, 0, proofs=True)
    assert pairs == [(300 + i, i) for i in range(100)]
    # 32 + 32 (whole doubly-blinded points) + 32 per pair of elements, plus claims.
    assert 64 <= wire / len(left) <= 64 + 32 + 1 + 20


def test_a_links_answer_carries_whole_points_and_a_proof_per_batch() -> None:
    n = PROOF_BATCH + 1  # two proofs
    answer = Answer(
        bytes(range(16)), 8, b"\x05" * 32, b"\x01" * 32 * n, b"\x03" * 2 * PROOF_BYTES, b"\x02" * 64
    )
    body = encode_answer(answer)
    assert len(body) == 66 + 32 + 32 * n + 2 * PROOF_BYTES + 64
    assert decode_answer(body, expected_n=n) == answer
    assert answer.compared() == b"\x01" * 8 * n
    with pytest.raises(WireFormatError, match="were sent"):
        decode_answer(body, expected_n=n + 1)
    with pytest.raises(WireFormatError, match="its header says"):
        decode_answer(body[:-1], expected_n=n)
    # A links answer without its proofs (or with truncated values) is refused by length.
    unproved = Answer(bytes(16), 8, b"\x05" * 32, b"\x01" * 32, b"", b"")
    with pytest.raises(WireFormatError, match="its header says"):
        decode_answer(encode_answer(unproved), expected_n=1)


@pytest.mark.e2e
def test_proofs_in_the_pool_hold_for_honest_blinding_and_name_the_cheated_batch() -> None:
    alpha, beta = fresh_scalar(), fresh_scalar()
    keys = [f"+5255{i:08d}".encode() for i in range(PROOF_BATCH + 10)]
    sent = hash_and_blind_chunk(PHONE, keys, alpha)
    with BlindingPool(2, inline_below=1000) as pool:
        proved, proofs = split_proved(start_blind_and_prove(pool, sent, beta).result(), len(keys))
        assert proved == blind_chunk(sent, beta)
        assert len(proofs) == 2 * PROOF_BYTES
        verdicts = start_verify(pool, public_key(beta), sent, proved, proofs).result()
        assert failed_batches(verdicts) == []
        # One point of the second batch raised to another key: that batch fails.
        i = PROOF_BATCH + 3
        cheat = blind_chunk(sent[32 * i : 32 * i + 32], fresh_scalar())
        forged = proved[: 32 * i] + cheat + proved[32 * i + 32 :]
        verdicts = start_verify(pool, public_key(beta), sent, forged, proofs).result()
        assert failed_batches(verdicts) == [1]
        # Proofs made after the blinding (threshold mode's link step) hold as well.
        later = start_prove(pool, beta, sent, proved).result()
        assert len(later) == 2 * PROOF_BYTES
        verdicts = start_verify(pool, public_key(beta), sent, proved, later).result()
        assert failed_batches(verdicts) == []
        verdicts = start_verify(pool, public_key(beta), sent, forged, later).result()
        assert failed_batches(verdicts) == [1]


def test_claims_round_trip_and_stay_in_range() -> None:
    claims = [(0, b"+525512345678"), (5, b""), (300, b"x" * 1024)]
    body = encode_claims(claims)
    assert decode_claims(body, responder_size=301, most=3) == claims
    with pytest.raises(WireFormatError, match="outside"):
        decode_claims(body, responder_size=300, most=3)
    with pytest.raises(WireFormatError, match="more than 2"):
        decode_claims(body, responder_size=301, most=2)
    with pytest.raises(WireFormatError, match="longer than 1024"):
        decode_claims(encode_claims([(0, b"x" * 1025)]), responder_size=1, most=1)
    with pytest.raises(WireFormatError, match="longer than 1024"):
        decode_claims(body[:-1], responder_size=301, most=3)


def test_positions_round_trip_and_stay_in_range() -> None:
    positions = [0, 1, 2, 130, 20_000, 3_000_000]
    body = encode_positions(positions)
    assert len(body) < 4 * len(positions)
    assert decode_positions(body, responder_size=3_000_001, most=10) == positions
    with pytest.raises(WireFormatError, match="outside"):
        decode_positions(body, responder_size=3_000_000, most=10)
    with pytest.raises(WireFormatError, match="more than 5"):
        decode_positions(body, responder_size=3_000_001, most=5)
    with pytest.raises(WireFormatError, match="ends inside a number"):
        decode_positions(b"\x80", responder_size=10, most=10)


def test_handles_round_trip_and_reject_leftovers() -> None:
    groups = [[b"A" * 8], [b"B" * 8, b"C" * 8], []]
    body = encode_handles(groups)
    assert decode_handles(body, positions=3) == groups
    with pytest.raises(WireFormatError, match="left after"):
        decode_handles(body + b"\x00", positions=3)
    with pytest.raises(WireFormatError):
        decode_handles(body[:-1], positions=3)
