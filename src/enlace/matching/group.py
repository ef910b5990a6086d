"""ristretto255 from libsodium (through rbcl): hashing to the group, secrets, blinding.

Nothing here is hand-written curve arithmetic: every operation is one libsodium call. This
module is what the blinding worker processes import, so it stays light (no store, no web).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import rbcl

POINT_BYTES = 32
SCALAR_BYTES = 32


class WireFormatError(ValueError):
    """A protocol message is not in the format this version writes; the message says how."""


def fresh_scalar() -> bytes:
    """A new secret scalar, uniformly random, never reused across runs."""
    return bytes(rbcl.crypto_core_ristretto255_scalar_random())


def hash_to_group(domain: bytes, key: bytes) -> bytes:
    """H(key): the point SHA-512(domain || key) maps to (libsodium's ristretto255 from_hash)."""
    return bytes(rbcl.crypto_core_ristretto255_from_hash(hashlib.sha512(domain + key).digest()))


def hash_and_blind_chunk(domain: bytes, keys: Sequence[bytes], scalar: bytes) -> bytes:
    """H(key)^scalar for each key, concatenated (the work one worker does at a time)."""
    from_hash = rbcl.crypto_core_ristretto255_from_hash
    multiply = rbcl.crypto_scalarmult_ristretto255
    sha512 = hashlib.sha512
    return b"".join(multiply(scalar, from_hash(sha512(domain + key).digest())) for key in keys)


def blind_chunk(points: bytes, scalar: bytes, width: int = POINT_BYTES) -> bytes:
    """Each 32-byte point of `points` raised to `scalar`, truncated to `width` bytes.

    Raises WireFormatError for a byte string that is not a point of the group (or one that
    would give the identity): the caller answers "bad request", never a crash.
    """
    multiply = rbcl.crypto_scalarmult_ristretto255
    try:
        if width == POINT_BYTES:
            return b"".join(
                multiply(scalar, points[i : i + POINT_BYTES])
                for i in range(0, len(points), POINT_BYTES)
            )
        return b"".join(
            multiply(scalar, points[i : i + POINT_BYTES])[:width]
            for i in range(0, len(points), POINT_BYTES)
        )
    except RuntimeError:
        raise WireFormatError("a value sent as a point is not a valid ristretto255 point") from None


def hash_and_blind_twice_chunk(
    domain: bytes, keys: Sequence[bytes], first: bytes, second: bytes, width: int
) -> bytes:
    """H(key)^first for each key (32 bytes each), then H(key)^(first·second) truncated to
    `width` bytes for each key: both blindings of a chunk in one trip to a worker."""
    singly = hash_and_blind_chunk(domain, keys, first)
    return singly + blind_chunk(singly, second, width)
