"""Diffie–Hellman private set intersection over ristretto255: the arithmetic and the wire.

The protocol (docs/matching.md says why and what each side learns):

0. The requester A asks whether a run of its set's size and kind would be answered (the
   agreement's caps), before blinding anything.
1. The requester A hashes each of its n identifiers to the group, H(a) = from_hash(
   SHA-512(domain of the kind || key)), raises it to a fresh secret scalar α and sends the
   n points H(a)^α, in a random order.
2. The responder B raises each to its own fresh secret β and answers (protocol 4, `EPS4`)
   with a header stating the run's mode, threshold and agreement digest, its per-run public
   key B = β·G, then, by mode: in links mode the doubly-blinded H(a)^αβ, whole and in A's
   order, unproved until the check; in count mode the same values truncated to `width`
   bytes in a fresh random order, unproved (a shuffle breaks the pairing a check needs);
   then its own m points H(b)^β in an order shuffled under a per-run key. Threshold mode's
   steps are in `enlace.matching.threshold`; its link step is checked as links mode's is.
3. Links mode: A checks B's blinding before it uses anything (`POST …/check`: a random
   combination of the pairs, drawn after the answer, that B proves with one DLEQ proof;
   `enlace.matching.proofs`); a failure aborts the run. A raises B's points to α,
   truncates both lists to `width` bytes and intersects: equal values are the same
   identifier (count mode: their number is all A learns; the run ends). A claims the
   positions (in B's order) that matched, each with the key it holds there; B checks each
   is its own key at that position, gives the owner of each matched record a hit notice and
   answers with an opaque handle per record.

Points travel as raw concatenated 32-byte encodings and truncated values as raw bytes: no
JSON, no hex. The curve arithmetic is in `enlace.matching.group`.
"""

from __future__ import annotations

import math
import random
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from enlace.matching.group import (
    POINT_BYTES,
    WireFormatError,
    blind_chunk,
    fresh_scalar,
    hash_and_blind_chunk,
    hash_to_group,
)
from enlace.matching.modes import COUNT, LINKS, MODE_CODES, MODE_OF_CODE, THRESHOLD
from enlace.matching.proofs import public_key
from enlace.model.handles import HANDLE_BYTES

__all__ = [
    "POINT_BYTES",
    "Answer",
    "WireFormatError",
    "blind_chunk",
    "decode_answer",
    "decode_claims",
    "decode_handles",
    "decode_positions",
    "encode_answer",
    "encode_claims",
    "encode_handles",
    "encode_positions",
    "fresh_scalar",
    "hash_and_blind_chunk",
    "hash_to_group",
    "intersect",
    "intersect_in_process",
    "truncation_width",
]

RUN_ID_BYTES = 16
# A false match needs two of the n*m truncated values to collide: with w bytes the chance
# is about n*m / 2**(8w). The width is the least that keeps it under 2**-FALSE_MATCH_BITS.
FALSE_MATCH_BITS = 24
MIN_WIDTH = 8
MAX_WIDTH = POINT_BYTES
MAX_SET_SIZE = 2**32 - 1  # positions and sizes travel as 32-bit unsigned integers

# EPS4 (matching protocol 4): the header states the run's mode, threshold and the digest of
# the agreement it runs under (enlace.matching.modes), so the transcript covers them; the
# responder's per-run public key B = β·G follows it in every mode, and the check of links
# mode refers to it (docs/matching.md, "Proofs"). EPS3 carried a proof per batch of points.
_ANSWER_MAGIC = b"EPS4"
# magic, run id, mode, width, n, m, threshold (0: none), agreement SHA-256
_ANSWER_HEADER = struct.Struct("!4s16sBBIII32s")
_NO_AGREEMENT = bytes(32)
# The longest key a claim may reveal, in UTF-8 bytes: the store keeps identifier keys of at
# most 255 characters and name keys of 160 (at most 4 bytes each), so no honest claim is
# longer; the bound keeps what claims make the responder read proportional to the overlap.
MAX_CLAIMED_KEY = 1024


def truncation_width(n: int, m: int) -> int:
    """Bytes of the doubly-blinded values to compare so a false match is negligible.

    At least MIN_WIDTH (8 bytes: at 1M x 1M the chance of any false match in a run is
    about 5e-8), more for larger sets.
    """
    bits = math.log2(max(n, 1) * max(m, 1)) + FALSE_MATCH_BITS
    return max(MIN_WIDTH, min(MAX_WIDTH, math.ceil(bits / 8)))


def intersect(own_doubly: bytes, their_doubly: bytes, width: int) -> list[tuple[int, int]]:
    """(index in own list, index in theirs) of every equal truncated value.

    `own_doubly` and `their_doubly` are concatenated values of `width` bytes each. An
    identifier is in each list at most once, so each side's index appears at most once.
    """
    index = {own_doubly[i : i + width]: i // width for i in range(0, len(own_doubly), width)}
    pairs = []
    for j in range(0, len(their_doubly), width):
        i = index.get(their_doubly[j : j + width])
        if i is not None:
            pairs.append((i, j // width))
    return pairs


def check_points(body: bytes, what: str) -> int:
    """How many 32-byte points `body` holds; WireFormatError when it is not a whole number."""
    if len(body) % POINT_BYTES:
        raise WireFormatError(
            f"{what}: {len(body)} bytes is not a whole number of {POINT_BYTES}-byte points"
        )
    count = len(body) // POINT_BYTES
    if count > MAX_SET_SIZE:
        raise WireFormatError(f"{what}: {count} points is more than one run can carry")
    return count


# --- the answer: round 1's reply -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """The responder's reply: to the requester's blinded set (links and count modes), or to
    a threshold run's offer (no doubly-blinded values: they come at the count step)."""

    run_id: bytes
    width: int  # bytes of the doubly-blinded values the requester compares
    public: bytes  # B = β·G, the run's key, committed in the transcript
    # links: n points H(a)^αβ, whole (32 bytes: the check is over whole points), in the
    # requester's order; count: n values H(a)^αβ truncated to `width` bytes, in a fresh
    # random order (unproved: docs/matching.md); threshold: none
    doubly: bytes
    responder_points: bytes  # m points H(b)^β, in the responder's shuffled order
    mode: str = LINKS
    threshold: int | None = None
    agreement_sha256: bytes = _NO_AGREEMENT
    requester_size: int | None = None  # n, in threshold mode (no values carry it)

    @property
    def responder_size(self) -> int:
        """m: how many distinct identifiers of the kind the responder holds."""
        return len(self.responder_points) // POINT_BYTES

    def compared(self) -> bytes:
        """The doubly-blinded values truncated to `width` bytes, as `intersect` takes them."""
        if self.mode == COUNT:
            return self.doubly  # already truncated
        return truncate_points(self.doubly, self.width)


def truncate_points(points: bytes, width: int) -> bytes:
    """Each 32-byte point of `points` cut to its first `width` bytes."""
    return b"".join(points[i : i + width] for i in range(0, len(points), POINT_BYTES))


def _values_bytes(mode: str, n: int, width: int) -> int:
    # What follows the public key before the responder's own points, by mode.
    if mode == LINKS:
        return n * POINT_BYTES
    if mode == COUNT:
        return n * width
    return 0


def encode_answer(answer: Answer) -> bytes:
    """The answer as one binary body: header, the public key, the doubly-blinded values,
    then the responder's points (docs/matching.md)."""
    if answer.requester_size is not None:
        n = answer.requester_size
    elif answer.mode == LINKS:
        n = len(answer.doubly) // POINT_BYTES
    else:
        n = len(answer.doubly) // answer.width
    header = _ANSWER_HEADER.pack(
        _ANSWER_MAGIC,
        answer.run_id,
        MODE_CODES[answer.mode],
        answer.width,
        n,
        answer.responder_size,
        answer.threshold or 0,
        answer.agreement_sha256,
    )
    return header + answer.public + answer.doubly + answer.responder_points


def decode_answer(body: bytes, *, expected_n: int) -> Answer:
    """Read an answer, checking its header and lengths; WireFormatError if anything is off."""
    if len(body) < _ANSWER_HEADER.size + POINT_BYTES:
        raise WireFormatError(f"answer of {len(body)} bytes is shorter than its header")
    magic, run_id, code, width, n, m, threshold, agreement = _ANSWER_HEADER.unpack_from(body)
    if magic != _ANSWER_MAGIC:
        raise WireFormatError(
            f"answer does not start with {_ANSWER_MAGIC!r}: another matching protocol "
            f"({magic[:4]!r}); both nodes must run the same Enlace release"
        )
    mode = MODE_OF_CODE.get(code)
    if mode is None:
        raise WireFormatError(f"answer states an unknown mode ({code})")
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise WireFormatError(f"answer truncates to {width} bytes, outside {MIN_WIDTH}-{MAX_WIDTH}")
    if n != expected_n:
        raise WireFormatError(f"answer covers {n} values, but {expected_n} were sent")
    values = _values_bytes(mode, n, width)
    expected = _ANSWER_HEADER.size + POINT_BYTES + values + m * POINT_BYTES
    if len(body) != expected:
        raise WireFormatError(f"answer is {len(body)} bytes, its header says {expected}")
    start = _ANSWER_HEADER.size + POINT_BYTES
    own = start + values
    return Answer(
        run_id,
        width,
        body[_ANSWER_HEADER.size : start],
        body[start:own],
        body[own:],
        mode=mode,
        threshold=threshold or None,
        agreement_sha256=agreement,
        requester_size=n if mode == THRESHOLD else None,
    )


# --- round 2: matched positions and the handles of the records there ------------------


def encode_positions(positions: Sequence[int]) -> bytes:
    """Positions in increasing order, each as a varint of its gap from the one before.

    Matched positions are sorted and dense where the overlap is large: a gap mostly fits
    one byte, where a fixed-width integer would take four.
    """
    out = bytearray()
    previous = -1
    for position in sorted(set(positions)):
        _put_varint(out, position - previous - 1)
        previous = position
    return bytes(out)


def decode_positions(body: bytes, *, responder_size: int, most: int) -> list[int]:
    """Read positions; each must be below `responder_size`, and no more than `most`."""
    positions: list[int] = []
    offset = 0
    previous = -1
    while offset < len(body):
        gap, offset = _get_varint(body, offset)
        previous += gap + 1
        if previous >= responder_size:
            raise WireFormatError(f"position {previous} is outside 0..{responder_size - 1}")
        positions.append(previous)
        if len(positions) > most:
            raise WireFormatError(f"more than {most} matched positions claimed")
    return positions


def encode_claims(claims: Sequence[tuple[int, bytes]]) -> bytes:
    """Round 2: the matched positions, each with the key the requester claims
    is there (docs/matching.md, "Checkable claims"). In increasing order of position, each
    a varint of its gap from the one before, a varint length and the key's UTF-8 bytes."""
    out = bytearray()
    previous = -1
    for position, key in sorted(dict(claims).items()):
        _put_varint(out, position - previous - 1)
        _put_varint(out, len(key))
        out += key
        previous = position
    return bytes(out)


def decode_claims(body: bytes, *, responder_size: int, most: int) -> list[tuple[int, bytes]]:
    """Read claims; positions below `responder_size`, no more than `most`, keys of at most
    MAX_CLAIMED_KEY bytes. WireFormatError if malformed."""
    claims: list[tuple[int, bytes]] = []
    offset = 0
    previous = -1
    while offset < len(body):
        gap, offset = _get_varint(body, offset)
        previous += gap + 1
        if previous >= responder_size:
            raise WireFormatError(f"position {previous} is outside 0..{responder_size - 1}")
        length, offset = _get_varint(body, offset)
        if length > MAX_CLAIMED_KEY or offset + length > len(body):
            raise WireFormatError(
                f"the key claimed at position {previous} is longer than {MAX_CLAIMED_KEY} "
                "bytes or than the message"
            )
        claims.append((previous, body[offset : offset + length]))
        offset += length
        if len(claims) > most:
            raise WireFormatError(f"more than {most} matched positions claimed")
    return claims


def encode_handles(groups: Sequence[Sequence[bytes]]) -> bytes:
    """For each matched position, in order: a varint count, then that many handles."""
    out = bytearray()
    for handles in groups:
        _put_varint(out, len(handles))
        for handle in handles:
            out += handle
    return bytes(out)


def decode_handles(body: bytes, *, positions: int) -> list[list[bytes]]:
    """Read the handles of `positions` matched positions; WireFormatError if malformed."""
    groups: list[list[bytes]] = []
    offset = 0
    for _ in range(positions):
        count, offset = _get_varint(body, offset)
        end = offset + count * HANDLE_BYTES
        if end > len(body):
            raise WireFormatError("handles end in the middle of a position's handles")
        groups.append([body[i : i + HANDLE_BYTES] for i in range(offset, end, HANDLE_BYTES)])
        offset = end
    if offset != len(body):
        raise WireFormatError(f"{len(body) - offset} bytes left after the last handle")
    return groups


def _put_varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _get_varint(body: bytes, offset: int) -> tuple[int, int]:
    value = 0
    shift = 0
    while True:
        if offset >= len(body):
            raise WireFormatError("the message ends inside a number")
        byte = body[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
        if shift > 35:  # a 32-bit value needs at most 5 bytes
            raise WireFormatError("a number in the message is longer than 32 bits")


# --- the whole protocol in one process, for benchmarks ---------------------------------


def intersect_in_process(
    left: Sequence[bytes],
    right: Sequence[bytes],
    kind_domain: bytes,
    workers: int,
    *,
    proofs: bool = False,
) -> tuple[list[tuple[int, int]], int]:
    """Run the protocol between two in-memory sets: (index in left, index in right) pairs
    of equal items, and the bytes that would cross the wire.

    The same blinding pool, the same fresh scalars, shuffle and encodings as a run between
    nodes, without HTTP or a store. Wire bytes count round 1 (points, then the answer with
    its header), the check (with `proofs`) and round 2 (positions, then one handle per
    matched position). Items of a list are taken once each (a repeated item keeps its first index).

    With `proofs`, the run is links mode's, as between nodes: the right side blinds the
    left side's points unproved; the left side draws the check's seed, weighs every pair on
    the pool, and the right side answers the one check with one DLEQ proof, which the left
    side verifies before it uses anything (ProofFailed if the check or its proof fails); the
    answer carries whole points, and round 2 claims each matched position with its key.
    Without, no check and truncated values (the bytes of an answer laid out as count mode's),
    the protocol as it was before proofs, kept for comparison.
    """
    from enlace.matching.blinding import BlindingPool  # the pool imports this module
    from enlace.matching.proofs import (
        CHECK_BYTES,
        CHECK_SEED_BYTES,
        PROOF_BYTES,
        ProofFailed,
        answer_check,
        check_sums,
        start_check_sums,
        verify_check,
    )

    left_items = list(dict.fromkeys(left))
    left_index = {item: i for i, item in reversed(list(enumerate(left)))}
    right_items = list(dict.fromkeys(right))
    right_index = {item: i for i, item in reversed(list(enumerate(right)))}
    order = _random_order(len(right_items))
    shuffled = [right_items[i] for i in order]
    alpha, beta = fresh_scalar(), fresh_scalar()
    width = truncation_width(len(left_items), len(shuffled))
    with BlindingPool(workers) as pool:
        if not proofs:
            # Each chunk goes through both blindings in one trip to a worker, and both
            # sides' chunks are queued together: the cores never wait at a barrier between
            # phases. The values and what is counted as sent are those of a run between
            # two nodes.
            requester = pool.start_hash_and_blind_twice(kind_domain, left_items, alpha, beta, width)
            responder = pool.start_hash_and_blind_twice(kind_domain, shuffled, beta, alpha, width)
            sent, doubly = requester.split(width)
            responder_points, theirs = responder.split(width)
            # Sized as an answer without proofs: truncated values, laid out as count mode's.
            answered = encode_answer(
                Answer(
                    RUN_ID_BYTES * b"\x00",
                    width,
                    public_key(beta),
                    doubly,
                    responder_points,
                    mode=COUNT,
                )
            )
            pairs = intersect(doubly, theirs, width)
            second = encode_positions([j for _, j in pairs])
            checked = 0
        else:
            # The left side's round 1 and the right side's own set (with the left side's
            # blinding of it, the same values) are queued together; the right side's
            # blinding of round 1, then the left side's check sums, follow as each is ready.
            first = pool.start_hash_and_blind(kind_domain, left_items, alpha)
            responder = pool.start_hash_and_blind_twice(kind_domain, shuffled, beta, alpha, width)
            sent = first.result()
            returned = pool.start_blind(sent, beta).result()
            public = public_key(beta)
            seed = secrets.token_bytes(CHECK_SEED_BYTES)
            sums = start_check_sums(pool, seed, sent, returned)
            responder_points, theirs = responder.split(width)
            m, z = check_sums(sums.result())
            proof = answer_check(beta, m, z)
            if proof is None or not verify_check(public, m, z, proof):
                raise ProofFailed("the check of the responder's blinding does not hold")
            checked = CHECK_BYTES + PROOF_BYTES
            answer = Answer(RUN_ID_BYTES * b"\x00", width, public, returned, responder_points)
            answered = encode_answer(answer)
            pairs = intersect(answer.compared(), theirs, width)
            second = encode_claims([(j, left_items[i]) for i, j in pairs])
            # The right side's check of the claims: each key is its own at that position.
            claims = decode_claims(second, responder_size=len(shuffled), most=len(pairs))
            if any(shuffled[j] != key for j, key in claims):
                raise ProofFailed("a claimed key is not the responder's at its position")
    handles = encode_handles([[bytes(HANDLE_BYTES)] for _ in pairs])
    wire = len(sent) + len(answered) + checked + len(second) + len(handles)
    found = [(left_index[left_items[i]], right_index[right_items[order[j]]]) for i, j in pairs]
    return sorted(found), wire


def _random_order(count: int) -> list[int]:
    order = list(range(count))
    random.Random(secrets.randbits(256)).shuffle(order)
    return order
