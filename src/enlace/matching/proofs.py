"""Batched DLEQ (Chaum–Pedersen) proofs over ristretto255, as RFC 9497 defines them.

A responder proves, for a whole message, that every point it returned is the point it was
sent raised to the same secret scalar k as its per-run public key K = k·G: one proof over
many pairs (C[i], D[i] = k·C[i]), compressed into one pair (M, Z) by random composites
(RFC 9497 §2.2.1, GenerateProof with ComputeCompositesFast; VerifyProof with
ComputeComposites), for the ciphersuite ristretto255-SHA512 in VOPRF mode: the context
string is ``"OPRFV1-" || 0x01 || "-ristretto255-SHA512"``, HashToScalar is
expand_message_xmd(SHA-512) to 64 bytes (RFC 9380 §5.3.1) reduced modulo the group order,
scalars and points are 32 bytes, a proof is c ‖ s (64 bytes). Tested against the RFC's
published vectors (tests/matching/test_proofs.py).

Why written here and not taken from a library: the Python packages that implement OPRFs
either do only the base mode without proofs (``oprf``), bind a C library whose proof API is
for its own OPRF evaluations rather than for arbitrary point lists (``pyoprf``/liboprf), or
are a single young release without a record (``voprf`` 0.2.0). The proof itself is a few
lines of protocol glue; every group operation below is one libsodium call through rbcl, as
for the rest of matching.

RFC 9497 writes the index of a pair in the composite's transcript as 2 bytes, so one proof
covers at most 65,536 pairs: a message carries one proof per batch of `PROOF_BATCH` pairs
(a fixed batch, so both sides cut the same way), each exactly as the RFC defines it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import rbcl

from enlace.matching.group import WireFormatError

if TYPE_CHECKING:
    from enlace.matching.blinding import BlindingJob, BlindingPool

POINT_BYTES = 32
SCALAR_BYTES = 32
PROOF_BYTES = 2 * SCALAR_BYTES
# Pairs per proof. The RFC allows up to 2**16; 4,096 keeps a proof's work one worker's
# chunk (about a third of a second), and its 64 bytes are 0.016 bytes a pair.
PROOF_BATCH = 4096

MODE_VOPRF = 1
SUITE = b"ristretto255-SHA512"


def context_string(mode: int = MODE_VOPRF) -> bytes:
    """CreateContextString(mode, identifier) of RFC 9497 §3.1 for ristretto255-SHA512."""
    return b"OPRFV1-" + bytes([mode]) + b"-" + SUITE


CONTEXT = context_string()
GENERATOR = bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")


class ProofFailed(ValueError):
    """A proof does not verify, or a value in it is not a point or a scalar."""


def expand_message_xmd(message: bytes, dst: bytes, length: int) -> bytes:
    """expand_message_xmd of RFC 9380 §5.3.1 with SHA-512 (b = 64, s = 128 bytes)."""
    if len(dst) > 255 or length > 255 * 64:
        raise ValueError("expand_message_xmd: DST longer than 255 bytes or length too large")
    dst_prime = dst + bytes([len(dst)])
    b0 = hashlib.sha512(
        bytes(128) + message + length.to_bytes(2, "big") + b"\x00" + dst_prime
    ).digest()
    blocks = [hashlib.sha512(b0 + b"\x01" + dst_prime).digest()]
    for i in range(2, -(-length // 64) + 1):
        mixed = bytes(x ^ y for x, y in zip(b0, blocks[-1], strict=True))
        blocks.append(hashlib.sha512(mixed + bytes([i]) + dst_prime).digest())
    return b"".join(blocks)[:length]


def hash_to_scalar(message: bytes, context: bytes = CONTEXT) -> bytes:
    """HashToScalar of ristretto255-SHA512 (RFC 9497 §4.1): 64 uniform bytes, reduced."""
    uniform = expand_message_xmd(message, b"HashToScalar-" + context, 64)
    return bytes(rbcl.crypto_core_ristretto255_scalar_reduce(uniform))


def _framed(*parts: bytes) -> bytes:
    return b"".join(len(part).to_bytes(2, "big") + part for part in parts)


def _composite_scalars(
    public: bytes, c: Sequence[bytes], d: Sequence[bytes], context: bytes
) -> list[bytes]:
    seed = hashlib.sha512(_framed(public, b"Seed-" + context)).digest()
    head = len(seed).to_bytes(2, "big") + seed
    return [
        hash_to_scalar(
            head + i.to_bytes(2, "big") + _framed(ci, di) + b"Composite",
            context,
        )
        for i, (ci, di) in enumerate(zip(c, d, strict=True))
    ]


def _sum(points: Sequence[bytes]) -> bytes:
    add = rbcl.crypto_core_ristretto255_add
    total = points[0]
    for point in points[1:]:
        total = add(total, point)
    return bytes(total)


def _weighted_sum(scalars: Sequence[bytes], points: Sequence[bytes]) -> bytes:
    multiply = rbcl.crypto_scalarmult_ristretto255_allow_scalar_zero
    return _sum([multiply(s, p) for s, p in zip(scalars, points, strict=True)])


def _challenge(public: bytes, m: bytes, z: bytes, t2: bytes, t3: bytes, context: bytes) -> bytes:
    return hash_to_scalar(_framed(public, m, z, t2, t3) + b"Challenge", context)


def _check_batch(c: Sequence[bytes], d: Sequence[bytes]) -> None:
    if not c or len(c) != len(d) or len(c) > 2**16:
        raise ValueError(f"a proof covers 1 to 65,536 pairs, not {len(c)} and {len(d)}")


def generate_proof(
    k: bytes,
    public: bytes,
    c: Sequence[bytes],
    d: Sequence[bytes],
    *,
    r: bytes | None = None,
    context: bytes = CONTEXT,
) -> bytes:
    """GenerateProof(k, G, K, C, D): proof that D[i] = k·C[i] for all i and K = k·G.

    `r` is the proof's random scalar, drawn fresh when None; given only by tests that
    reproduce the RFC's vectors (a reused r reveals k).
    """
    _check_batch(c, d)
    seed_scalars = _composite_scalars(public, c, d, context)
    m = _weighted_sum(seed_scalars, c)
    z = bytes(rbcl.crypto_scalarmult_ristretto255(k, m))
    nonce = bytes(rbcl.crypto_core_ristretto255_scalar_random()) if r is None else r
    t2 = bytes(rbcl.crypto_scalarmult_ristretto255_base(nonce))
    t3 = bytes(rbcl.crypto_scalarmult_ristretto255(nonce, m))
    challenge = _challenge(public, m, z, t2, t3, context)
    s = rbcl.crypto_core_ristretto255_scalar_sub(
        nonce, rbcl.crypto_core_ristretto255_scalar_mul(challenge, k)
    )
    return challenge + bytes(s)


def verify_proof(
    public: bytes,
    c: Sequence[bytes],
    d: Sequence[bytes],
    proof: bytes,
    *,
    context: bytes = CONTEXT,
) -> bool:
    """VerifyProof(G, K, C, D, proof): True when the proof shows D[i] = k·C[i] for the k of
    K = k·G. False for a wrong proof and for values that are not points or scalars."""
    _check_batch(c, d)
    if len(proof) != PROOF_BYTES or len(public) != POINT_BYTES:
        return False
    challenge, s = proof[:SCALAR_BYTES], proof[SCALAR_BYTES:]
    # Scalars must be canonical (below the group order): reducing one must not change it.
    for scalar in (challenge, s):
        if bytes(rbcl.crypto_core_ristretto255_scalar_reduce(scalar + bytes(32))) != scalar:
            return False
    try:
        weights = _composite_scalars(public, c, d, context)
        m = _weighted_sum(weights, c)
        z = _weighted_sum(weights, d)
        multiply = rbcl.crypto_scalarmult_ristretto255_allow_scalar_zero
        t2 = _sum(
            [
                rbcl.crypto_scalarmult_ristretto255_base_allow_scalar_zero(s),
                multiply(challenge, public),
            ]
        )
        t3 = _sum([multiply(s, m), multiply(challenge, z)])
    except RuntimeError:  # not a point (libsodium refuses the encoding)
        return False
    return _challenge(public, m, z, t2, t3, context) == challenge


def split_points(body: bytes) -> list[bytes]:
    """The 32-byte points of a concatenation."""
    return [body[i : i + POINT_BYTES] for i in range(0, len(body), POINT_BYTES)]


def proof_count(pairs: int) -> int:
    """How many proofs a message of `pairs` pairs carries (one per PROOF_BATCH)."""
    return -(-pairs // PROOF_BATCH)


def public_key(k: bytes) -> bytes:
    """K = k·G, the per-run public key a run's proofs refer to."""
    return bytes(rbcl.crypto_scalarmult_ristretto255_base(k))


def blind_and_prove_chunk(points: bytes, k: bytes, public: bytes) -> bytes:
    """k·C[i] for each 32-byte point of `points` (at most PROOF_BATCH), then the proof that
    they all used the k of `public`: the work one worker does for one batch.

    Raises WireFormatError for a value that is not a valid point.
    """
    c = split_points(points)
    multiply = rbcl.crypto_scalarmult_ristretto255
    try:
        d = [bytes(multiply(k, ci)) for ci in c]
    except RuntimeError:
        raise WireFormatError("a value sent as a point is not a valid ristretto255 point") from None
    return b"".join(d) + generate_proof(k, public, c, d)


def verify_chunk(public: bytes, sent: bytes, returned: bytes, proof: bytes) -> bytes:
    """One batch's proof checked against the points sent and returned (32 bytes each):
    b"\\x01" when it holds, b"\\x00" when not (bytes, as the blinding pool returns)."""
    c, d = split_points(sent), split_points(returned)
    if len(c) != len(d) or not c:
        return b"\x00"
    return b"\x01" if verify_proof(public, c, d, proof) else b"\x00"


def _batches(count: int) -> range:
    return range(0, count, PROOF_BATCH)


def start_blind_and_prove(pool: BlindingPool, points: bytes, k: bytes) -> BlindingJob:
    """Each point raised to k, with one proof per PROOF_BATCH points, on the pool's workers;
    `split_proved` reads the job's result."""
    count = len(points) // POINT_BYTES
    public = public_key(k)
    step = PROOF_BATCH * POINT_BYTES
    calls = [(points[i * POINT_BYTES : i * POINT_BYTES + step], k, public) for i in _batches(count)]
    return pool.start_tasks(blind_and_prove_chunk, calls, [len(c[0]) // POINT_BYTES for c in calls])


def prove_chunk(k: bytes, public: bytes, sent: bytes, returned: bytes) -> bytes:
    """The proof of one batch whose points were already raised to k (32 bytes each)."""
    return generate_proof(k, public, split_points(sent), split_points(returned))


def start_prove(pool: BlindingPool, k: bytes, sent: bytes, returned: bytes) -> BlindingJob:
    """One proof per PROOF_BATCH of points already raised to k, on the pool's workers: for a
    step that blinds first and proves only if it goes on (threshold mode's count step)."""
    count = len(sent) // POINT_BYTES
    public = public_key(k)
    step = PROOF_BATCH * POINT_BYTES
    calls = [
        (
            k,
            public,
            sent[i * POINT_BYTES : i * POINT_BYTES + step],
            returned[i * POINT_BYTES : i * POINT_BYTES + step],
        )
        for i in _batches(count)
    ]
    return pool.start_tasks(prove_chunk, calls, [len(c[2]) // POINT_BYTES for c in calls])


def split_proved(output: bytes, count: int) -> tuple[bytes, bytes]:
    """(the count raised points, concatenated; the proofs, concatenated) of a
    `start_blind_and_prove` job's result."""
    points, proofs = [], []
    offset = 0
    for start in _batches(count):
        size = min(PROOF_BATCH, count - start) * POINT_BYTES
        points.append(output[offset : offset + size])
        proofs.append(output[offset + size : offset + size + PROOF_BYTES])
        offset += size + PROOF_BYTES
    return b"".join(points), b"".join(proofs)


def start_verify(
    pool: BlindingPool, public: bytes, sent: bytes, returned: bytes, proofs: bytes
) -> BlindingJob:
    """Every batch's proof checked on the pool's workers; `failed_batches` reads the result.

    `sent` and `returned` hold the same number of 32-byte points, `proofs` one proof per
    PROOF_BATCH of them (the caller checked the lengths)."""
    count = len(sent) // POINT_BYTES
    step = PROOF_BATCH * POINT_BYTES
    calls = [
        (
            public,
            sent[i * POINT_BYTES : i * POINT_BYTES + step],
            returned[i * POINT_BYTES : i * POINT_BYTES + step],
            proofs[b * PROOF_BYTES : (b + 1) * PROOF_BYTES],
        )
        for b, i in enumerate(_batches(count))
    ]
    return pool.start_tasks(verify_chunk, calls, [len(c[1]) // POINT_BYTES for c in calls])


def failed_batches(verdicts: bytes) -> list[int]:
    """The batches whose proof did not hold, from a `start_verify` job's result."""
    return [i for i, verdict in enumerate(verdicts) if verdict != 1]
