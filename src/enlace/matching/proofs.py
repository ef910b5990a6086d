"""DLEQ (Chaum–Pedersen) proofs over ristretto255, as RFC 9497 defines them.

A proof shows that every point of a list is the point it answers raised to the same secret
scalar k as a public key K = k·G: one proof over many pairs (C[i], D[i] = k·C[i]), compressed into one pair (M, Z) by random composites
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

Matching protocol 4 proves one pair per run: the responder's answer is checked by a random
linear combination the requester draws after the answer is fixed (`start_check_sums`), and
the responder proves only that combination (`answer_check`, `verify_check`); the module's
comment at "the check" says why that is sound.
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


def public_key(k: bytes) -> bytes:
    """K = k·G, the per-run public key a run's check refers to."""
    return bytes(rbcl.crypto_scalarmult_ristretto255_base(k))


# --- the check of a run's blinding (matching protocol 4) ---------------------------------
#
# The responder answers D[i] = k·C[i] unproved. Once the answer is fixed (and hashed into
# the transcript), the requester draws a fresh seed, weighs every pair with a scalar derived
# from it, and asks the responder one question: is Z = Σ d[i]·D[i] equal to k·M for
# M = Σ d[i]·C[i]? The responder answers with a single DLEQ proof (the RFC 9497 proof above,
# over one pair) that log_G(K) = log_M(Z), or refuses. If any D[i] is not k·C[i], then
# Z - k·M = Σ d[i]·(D[i] - k·C[i]) is a sum with at least one non-zero term whose weight the
# responder could not know when it answered: it is zero for at most one value of that weight
# out of the group order l (about 2**252), so the check passes with probability at most 1/l,
# and a proof of a false statement holds with probability about q/l for q hash queries
# (docs/matching.md, "Proofs").

CHECK_SEED_BYTES = 32
CHECK_BYTES = CHECK_SEED_BYTES + 2 * POINT_BYTES  # seed ‖ M ‖ Z
CHECK_PERSON = b"enlace-check-v4"
# The order l of ristretto255 (RFC 9496 §4.1): the weights are uniform modulo it.
GROUP_ORDER = 2**252 + 27742317777372353535851937790883648493
# Pairs one worker weighs per task: big enough that a trip to a worker is negligible.
CHECK_TASK = 8192


def check_weight(seed: bytes, index: int) -> bytes:
    """d[index] = BLAKE2b-512(index as 8 bytes big-endian; key = seed, person =
    "enlace-check-v4") read little-endian, modulo l: 512 bits reduced, so its distance from
    uniform is about 2**-260."""
    digest = hashlib.blake2b(index.to_bytes(8, "big"), key=seed, person=CHECK_PERSON).digest()
    return (int.from_bytes(digest, "little") % GROUP_ORDER).to_bytes(SCALAR_BYTES, "little")


def check_sums_chunk(seed: bytes, first: int, sent: bytes, returned: bytes) -> bytes:
    """Σ d[i]·C[i] ‖ Σ d[i]·D[i] over one task's pairs (positions `first` on): the work one
    worker does for the check. Raises WireFormatError for a value that is not a point."""
    multiply = rbcl.crypto_scalarmult_ristretto255_allow_scalar_zero
    add = rbcl.crypto_core_ristretto255_add
    m = z = None
    try:
        for offset in range(0, len(sent), POINT_BYTES):
            weight = check_weight(seed, first + offset // POINT_BYTES)
            mi = multiply(weight, sent[offset : offset + POINT_BYTES])
            zi = multiply(weight, returned[offset : offset + POINT_BYTES])
            m = mi if m is None else add(m, mi)
            z = zi if z is None else add(z, zi)
    except RuntimeError:
        raise WireFormatError("a value sent as a point is not a valid ristretto255 point") from None
    if m is None or z is None:
        return bytes(2 * POINT_BYTES)
    return bytes(m) + bytes(z)


def start_check_sums(pool: BlindingPool, seed: bytes, sent: bytes, returned: bytes) -> BlindingJob:
    """`check_sums_chunk` over all the pairs, cut in tasks for the pool's workers;
    `check_sums` reads the job's result. `sent` and `returned` hold the same number of
    32-byte points (the caller checked the lengths)."""
    count = len(sent) // POINT_BYTES
    step = CHECK_TASK * POINT_BYTES
    calls = [
        (
            seed,
            i,
            sent[i * POINT_BYTES : i * POINT_BYTES + step],
            returned[i * POINT_BYTES : i * POINT_BYTES + step],
        )
        for i in range(0, count, CHECK_TASK)
    ]
    return pool.start_tasks(check_sums_chunk, calls, [len(c[2]) // POINT_BYTES for c in calls])


def check_sums(output: bytes) -> tuple[bytes, bytes]:
    """(M, Z) from the partial sums of a `start_check_sums` job's result."""
    parts = [output[i : i + 2 * POINT_BYTES] for i in range(0, len(output), 2 * POINT_BYTES)]
    return _sum([p[:POINT_BYTES] for p in parts]), _sum([p[POINT_BYTES:] for p in parts])


def check_body(seed: bytes, m: bytes, z: bytes) -> bytes:
    """The body of the check request: seed ‖ M ‖ Z (96 bytes)."""
    return seed + m + z


def read_check(body: bytes) -> tuple[bytes, bytes, bytes]:
    """(seed, M, Z) of a check request; WireFormatError when it is not 96 bytes or M or Z
    is not a valid point other than the identity."""
    if len(body) != CHECK_BYTES:
        raise WireFormatError(
            f"a check is {CHECK_BYTES} bytes (a {CHECK_SEED_BYTES}-byte seed, then M and Z, "
            f"{POINT_BYTES} bytes each), not {len(body)}"
        )
    seed, m, z = body[:CHECK_SEED_BYTES], body[CHECK_SEED_BYTES:64], body[64:]
    for name, point in (("M", m), ("Z", z)):
        if point == bytes(POINT_BYTES) or not rbcl.crypto_core_ristretto255_is_valid_point(point):
            raise WireFormatError(f"the check's {name} is not a valid ristretto255 point")
    return seed, m, z


def answer_check(k: bytes, m: bytes, z: bytes) -> bytes | None:
    """The responder's side: the one-pair proof that Z = k·M under K = k·G, or None when
    Z is not k·M (M and Z checked by `read_check`)."""
    if bytes(rbcl.crypto_scalarmult_ristretto255(k, m)) != z:
        return None
    return generate_proof(k, public_key(k), [m], [z])


def verify_check(public: bytes, m: bytes, z: bytes, proof: bytes) -> bool:
    """The requester's side: the responder's proof holds for the M and Z it computed."""
    return verify_proof(public, [m], [z], proof)
