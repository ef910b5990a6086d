"""The digest of a matching run's messages: both parties compute it, and each audits it.

A run in links mode is six messages (docs/matching.md): the requester's blinded set (m1),
the responder's answer (m2), the requester's check (c1) and the responder's proof (c2), the
matched positions (m3) and the handles (m4). Each side hashes
them, in that order, as it sent or received them, so the two "match-run" audit entries of a
run carry the same digest, and either party can show the other (or a third party) that the
run it recorded is the one that took place: a message changed, added, dropped or reordered
gives another digest.

The bodies are raw bytes (points, truncated values, varints and handles: never JSON), sent
and received unchanged, so "as sent" and "as received" are the same bytes at both ends;
nothing is re-serialised before hashing.

The responder keeps no state in memory between the two rounds (round 2 may reach another
process), so the digest is chained by round:

    round 1 = SHA-256(DOMAIN ‖ kind ‖ 0x00 ‖ 32 zero bytes ‖ L(m1) ‖ m1 ‖ L(m2) ‖ m2)
    check   = SHA-256(DOMAIN ‖ kind ‖ 0x00 ‖ round 1       ‖ L(c1) ‖ c1 ‖ L(c2) ‖ c2)
    run     = SHA-256(DOMAIN ‖ kind ‖ 0x00 ‖ check         ‖ L(m3) ‖ m3 ‖ L(m4) ‖ m4)

(a check the responder refused is chained with an empty c2 on its side, and not on the
requester's, which records the digest before it).
In count mode the run is round 1 only (its digest is the run's). In threshold mode the
offer (an empty request, then the answer) is round 1, the count step (A's points and
returned values, then the verdict) is chained after it the same way, then the check when
the count reached k, and round 2 after that (enlace.matching.threshold).

L(m) is the length of m in bytes as an 8-byte big-endian integer and DOMAIN is
``enlace-psi-transcript-v1`` followed by a zero byte. The round-1 digest is what the
responder stores with the run (`match_runs.transcript_sha256`) until the check, the
check's until round 2. Messages are
hashed as they pass, never copied or kept for it.
"""

from __future__ import annotations

import hashlib

DOMAIN = b"enlace-psi-transcript-v1\x00"
_NOTHING_BEFORE = bytes(32)


class Transcript:
    """The running SHA-256 of one round of a run's messages (see the module)."""

    __slots__ = ("_hash",)

    def __init__(self, kind: str, *, before: str | None = None) -> None:
        """Start a round of a run on `kind`; `before` is the digest of the round before it
        (hex), None for round 1."""
        self._hash = hashlib.sha256(DOMAIN)
        self._hash.update(kind.encode("utf-8") + b"\x00")
        self._hash.update(_NOTHING_BEFORE if before is None else bytes.fromhex(before))

    def add(self, message: bytes) -> None:
        """Hash the next message, length first (so a boundary cannot move unseen)."""
        self._hash.update(len(message).to_bytes(8, "big"))
        self._hash.update(message)

    def hexdigest(self) -> str:
        """The digest of the round so far (hex)."""
        return self._hash.hexdigest()
