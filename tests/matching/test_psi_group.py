"""The group arithmetic and the wire encodings of the PSI, without nodes."""

from __future__ import annotations

import hashlib

import pytest
import rbcl

from enlace.matching.blinding import BlindingPool
from enlace.matching.kinds import KIND_NAMES, MATCH_KINDS, NAME_KINDS, MatchKind, kind_domain
from enlace.matching.proofs import (
    CHECK_BYTES,
    CHECK_TASK,
    GROUP_ORDER,
    PROOF_BYTES,
    answer_check,
    check_body,
    check_sums,
    check_sums_chunk,
    check_weight,
    public_key,
    read_check,
    start_check_sums,
    verify_check,
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
    answer = Answer(bytes(range(16)), 8, b"\x05" * 32, b"\x01" * 24, b"\x02" * 64, mode="count")
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
        bytes(16), 8, b"\x05" * 32, b"", b"\x02" * 64, mode="threshold", threshold=5,
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
    # 32 + 32 (whole doubly-blinded points) + 32 per pair of elements, plus claims and the
    # check's 160 bytes.
    assert 64 <= wire / len(left) <= 64 + 32 + 1 + 20


def test_a_links_answer_carries_whole_points_and_no_proof() -> None:
    n = 5000
    answer = Answer(bytes(range(16)), 8, b"\x05" * 32, b"\x01" * 32 * n, b"\x02" * 64)
    body = encode_answer(answer)
    assert body[:4] == b"EPS4"
    assert len(body) == 66 + 32 + 32 * n + 64
    assert decode_answer(body, expected_n=n) == answer
    assert answer.compared() == b"\x01" * 8 * n
    with pytest.raises(WireFormatError, match="were sent"):
        decode_answer(body, expected_n=n + 1)
    with pytest.raises(WireFormatError, match="its header says"):
        decode_answer(body[:-1], expected_n=n)
    # A protocol-3 answer (with a proof per batch) is refused by its magic.
    with pytest.raises(WireFormatError, match="another matching protocol"):
        decode_answer(b"EPS3" + body[4:], expected_n=n)


def test_the_check_weights_are_blake2b_of_the_index_under_the_seed_modulo_the_order() -> None:
    seed = bytes(range(32))
    for index in (0, 1, 2**40 + 7):
        digest = hashlib.blake2b(
            index.to_bytes(8, "big"), key=seed, person=b"enlace-check-v4"
        ).digest()
        expected = int.from_bytes(digest, "little") % GROUP_ORDER
        assert int.from_bytes(check_weight(seed, index), "little") == expected
    # The order is ristretto255's: libsodium reduces it to zero.
    reduced = rbcl.crypto_core_ristretto255_scalar_reduce(GROUP_ORDER.to_bytes(64, "little"))
    assert bytes(reduced) == bytes(32)
    assert check_weight(seed, 0) != check_weight(bytes(32), 0)


@pytest.mark.e2e
def test_the_check_holds_for_honest_blinding_and_fails_for_one_point_of_another_key() -> None:
    alpha, beta = fresh_scalar(), fresh_scalar()
    keys = [f"+5255{i:08d}".encode() for i in range(CHECK_TASK + 10)]
    sent = hash_and_blind_chunk(PHONE, keys, alpha)
    returned = blind_chunk(sent, beta)
    seed = bytes(range(32))
    with BlindingPool(2, inline_below=1000) as pool:
        m, z = check_sums(start_check_sums(pool, seed, sent, returned).result())
        # The pool's sums are the weighted sums over all pairs, computed in one piece.
        whole = check_sums_chunk(seed, 0, sent, returned)
        assert (m, z) == (whole[:32], whole[32:])
        proof = answer_check(beta, m, z)
        assert proof is not None
        assert len(proof) == PROOF_BYTES
        assert verify_check(public_key(beta), m, z, proof)
        assert not verify_check(public_key(fresh_scalar()), m, z, proof)
        # One point of the second task raised to another key: Z is no longer β·M.
        i = CHECK_TASK + 3
        cheat = blind_chunk(sent[32 * i : 32 * i + 32], fresh_scalar())
        forged = returned[: 32 * i] + cheat + returned[32 * i + 32 :]
        m2, z2 = check_sums(start_check_sums(pool, seed, sent, forged).result())
        assert m2 == m
        assert z2 != z
        assert answer_check(beta, m2, z2) is None
        # An honest proof for the honest Z does not hold for the forged one.
        assert not verify_check(public_key(beta), m2, z2, proof)


def test_a_check_body_is_96_bytes_of_a_seed_and_two_points() -> None:
    m, z = hash_to_group(PHONE, b"m"), hash_to_group(PHONE, b"z")
    body = check_body(bytes(32), m, z)
    assert len(body) == CHECK_BYTES == 96
    assert read_check(body) == (bytes(32), m, z)
    with pytest.raises(WireFormatError, match="a check is 96 bytes"):
        read_check(body[:-1])
    with pytest.raises(WireFormatError, match="a check is 96 bytes"):
        read_check(body + b"\x00")
    with pytest.raises(WireFormatError, match="M is not a valid"):
        read_check(bytes(32) + b"\xff" * 32 + z)
    with pytest.raises(WireFormatError, match="Z is not a valid"):
        read_check(bytes(32) + m + bytes(32))  # the identity


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
