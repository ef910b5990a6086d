"""RFC 9162 inclusion and consistency proofs: made from subtree hashes, checked as the RFC says.

https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3 (inclusion: PATH, §2.1.3.1; verifying,
§2.1.3.2) and https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4 (consistency: PROOF and
SUBPROOF, §2.1.4.1; verifying, §2.1.4.2). A proof is a list of 32-byte hashes in the RFC's
order (nearest the leaf first); indices count from 0.

What a caller meets:

- `MalformedProofInput`: the question cannot be asked — a leaf index not below the tree size,
  a consistency proof from size 0 or from a larger tree to a smaller one, a hash that is not 32
  bytes. Raised by the generators and the verifiers alike, before any hashing.
- `InclusionProofFailed`, `ConsistencyProofFailed` (both `ProofFailed`): a well-formed proof
  that does not prove what it claims — it leads to another root, or has too many or too few
  hashes for its sizes. A refusal to record as evidence, never a bug.

A verifier returns None when the proof holds: there is no boolean to forget to check.

An inclusion proof binds the leaf's index and the root, not the tree size: the same hashes
prove leaf 4 under the root of 7 leaves whether 7 or 8 is claimed. The size is bound by the
signed checkpoint that carries it with the root; check a proof only against such a pair.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from enlace.transparency.merkle import HASH_SIZE, SubtreeHashes, node_hash, range_hash, split_point

LeafRange = tuple[int, int]
"""Leaves [start, end) whose tree hash is one element of a proof."""


class MerkleProofError(ValueError):
    """A Merkle proof could not be made or does not hold."""


class MalformedProofInput(MerkleProofError):
    """Sizes, an index or hashes that no proof can be made or checked for."""


class ProofFailed(MerkleProofError):
    """A well-formed proof that does not verify."""


class InclusionProofFailed(ProofFailed):
    """An inclusion proof that does not lead from its leaf to the root given."""


class ConsistencyProofFailed(ProofFailed):
    """A consistency proof that does not show the first tree is a prefix of the second."""


def inclusion_path_ranges(index: int, size: int) -> list[LeafRange]:
    """The leaf ranges of PATH(index, D[size]) (RFC 9162 §2.1.3.1), nearest the leaf first."""
    _check_index(index, size)
    siblings: list[LeafRange] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:  # PATH(m, D[0:k]) : MTH(D[k:n])
            siblings.append((start + k, end))
            end = start + k
        else:  # PATH(m - k, D[k:n]) : MTH(D[0:k])
            siblings.append((start, start + k))
            start += k
    siblings.reverse()
    return siblings


def consistency_path_ranges(first_size: int, second_size: int) -> list[LeafRange]:
    """The leaf ranges of PROOF(first, D[second]) (RFC 9162 §2.1.4.1), in the RFC's order.

    Empty when the sizes are equal (SUBPROOF(m, D[m], true) is the empty list).
    """
    _check_sizes(first_size, second_size)
    siblings: list[LeafRange] = []
    start, end, first_in_range, whole_first_tree = 0, second_size, first_size, True
    while first_in_range != end - start:
        k = split_point(end - start)
        if first_in_range <= k:  # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            siblings.append((start + k, end))
            end = start + k
        else:  # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            siblings.append((start, start + k))
            start, first_in_range, whole_first_tree = start + k, first_in_range - k, False
    # SUBPROOF(m, D[m], true) = {}: the first tree's own root is known to the verifier.
    base = [] if whole_first_tree else [(start, end)]
    return base + siblings[::-1]


def inclusion_proof(hashes: SubtreeHashes, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]): the inclusion proof of leaf `index` in the tree of `size` leaves."""
    return [range_hash(hashes, start, end) for start, end in inclusion_path_ranges(index, size)]


def consistency_proof(hashes: SubtreeHashes, first_size: int, second_size: int) -> list[bytes]:
    """PROOF(first_size, D[second_size]): the tree of `first_size` leaves is a prefix of the other."""
    ranges = consistency_path_ranges(first_size, second_size)
    return [range_hash(hashes, start, end) for start, end in ranges]


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `proof` puts the leaf `leaf_hash` at `index` in the tree `root` of `size` leaves.

    RFC 9162 §2.1.3.2, step by step. Raises `MalformedProofInput` or `InclusionProofFailed`.
    """
    _check_index(index, size)
    _check_hashes(leaf_hash=leaf_hash, root=root)
    _check_proof_hashes(proof)
    # 1. leaf_index < tree_size was checked above. 2. fn = leaf_index, sn = tree_size - 1.
    fn, sn = index, size - 1
    r = leaf_hash  # 3.
    for p in proof:  # 4.
        if sn == 0:  # a.
            raise _inclusion_failed(index, size, len(proof), "it has more hashes than")
        if fn & 1 or fn == sn:  # b.
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # c.
        sn >>= 1
    if sn != 0:  # 5.
        raise _inclusion_failed(index, size, len(proof), "it has fewer hashes than")
    if not hmac.compare_digest(r, root):
        raise InclusionProofFailed(
            f"the inclusion proof of leaf {index} in the tree of size {size} does not verify: "
            "it leads to another root than the one given"
        )


def verify_consistency(
    *,
    first_size: int,
    first_root: bytes,
    second_size: int,
    second_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Check that `proof` shows the tree (first_size, first_root) is a prefix of the second.

    RFC 9162 §2.1.4.2, step by step, for 0 < first_size < second_size. Equal sizes (outside
    the RFC's algorithm) hold with an empty proof and equal roots. Raises `MalformedProofInput`
    or `ConsistencyProofFailed`.
    """
    _check_sizes(first_size, second_size)
    _check_hashes(first_root=first_root, second_root=second_root)
    _check_proof_hashes(proof)
    first, second = first_size, second_size
    if first == second:
        if proof:
            raise _consistency_failed(first, second, "it has hashes where equal sizes need none")
        if not hmac.compare_digest(first_root, second_root):
            raise _consistency_failed(first, second, "the two roots of one size differ")
        return
    path = list(proof)
    if not path:  # 1.
        raise _consistency_failed(first, second, "it is empty")
    if first & (first - 1) == 0:  # 2. first is an exact power of 2
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1  # 3.
    while fn & 1:  # 4.
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # 5.
    for c in path[1:]:  # 6.
        if sn == 0:  # a.
            raise _consistency_failed(first, second, _count(len(proof), first, second, "more"))
        if fn & 1 or fn == sn:  # b.
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # c.
        sn >>= 1
    # 7.
    if sn != 0:
        raise _consistency_failed(first, second, _count(len(proof), first, second, "fewer"))
    if not hmac.compare_digest(fr, first_root):
        raise _consistency_failed(
            first, second, "it leads to another first root than the one given"
        )
    if not hmac.compare_digest(sr, second_root):
        raise _consistency_failed(
            first, second, "it leads to another second root than the one given"
        )


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise MalformedProofInput(
            f"no inclusion proof for leaf {index} in a tree of size {size}: "
            f"a leaf index runs from 0 to the size minus 1"
        )


def _check_sizes(first_size: int, second_size: int) -> None:
    if first_size <= 0 or first_size > second_size:
        raise MalformedProofInput(
            f"no consistency proof from a tree of size {first_size} to one of size "
            f"{second_size}: the first size must be at least 1 and at most the second"
        )


def _check_hashes(**named: bytes) -> None:
    for name, value in named.items():
        if len(value) != HASH_SIZE:
            raise MalformedProofInput(
                f"the {name.replace('_', ' ')} is {len(value)} bytes; a SHA-256 hash is {HASH_SIZE}"
            )


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        if len(value) != HASH_SIZE:
            raise MalformedProofInput(
                f"hash {position} of the proof is {len(value)} bytes; a SHA-256 hash is {HASH_SIZE}"
            )


def _inclusion_failed(index: int, size: int, given: int, comparison: str) -> InclusionProofFailed:
    needed = len(inclusion_path_ranges(index, size))
    return InclusionProofFailed(
        f"the inclusion proof of leaf {index} in the tree of size {size} does not verify: "
        f"{comparison} the {needed} it needs (it has {given})"
    )


def _count(given: int, first: int, second: int, comparison: str) -> str:
    needed = len(consistency_path_ranges(first, second))
    return f"it has {comparison} hashes than the {needed} it needs (it has {given})"


def _consistency_failed(first: int, second: int, reason: str) -> ConsistencyProofFailed:
    return ConsistencyProofFailed(
        f"the consistency proof from size {first} to size {second} does not verify: {reason}"
    )
