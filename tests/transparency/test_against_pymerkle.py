"""Every size 1..64, every leaf and every pair of sizes, against pymerkle (an independent tree).

pymerkle 7 hashes as RFC 9162 does by default (SHA-256, 0x00 before a leaf, 0x01 before two
children; `disable_security=False`): its roots are checked against ours below before anything
else relies on it. Its inclusion proofs are RFC 9162's PATH with the leaf hash in front, so
they are compared whole, and each side verifies the other's. Its consistency proofs have
another shape than RFC 9162's PROOF, so there it is the oracle for every hash in ours: each is
the root of a leaf range, which pymerkle computes on its own (`_get_root(start, end)`).
"""

from __future__ import annotations

from typing import Any

import pymerkle
import pymerkle.core
import pytest

from enlace.transparency.merkle import EMPTY_ROOT, InMemoryTree
from enlace.transparency.proofs import (
    consistency_path_ranges,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

SIZES = range(1, 65)
ENTRIES = [f"audit entry {number}".encode() for number in range(64)]


@pytest.fixture(scope="module")
def trees() -> tuple[InMemoryTree, Any]:
    ours, theirs = InMemoryTree(), pymerkle.InmemoryTree(algorithm="sha256")
    for entry in ENTRIES:
        ours.append_entry(entry)
        theirs.append_entry(entry)
    return ours, theirs


def test_pymerkle_hashes_as_rfc_9162(trees: tuple[InMemoryTree, Any]) -> None:
    ours, theirs = trees
    assert theirs.security is True
    assert (theirs.leaf_prefix, theirs.node_prefix) == (b"\x00", b"\x01")
    assert theirs.get_root(0) == ours.root(0) == EMPTY_ROOT
    for size in SIZES:
        assert theirs.get_root(size) == ours.root(size), size


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_proofs_of_every_leaf_match_pymerkle(
    trees: tuple[InMemoryTree, Any], size: int
) -> None:
    ours, theirs = trees
    root = ours.root(size)
    for index in range(size):
        leaf = ours.levels[0][index]
        proof = inclusion_proof(ours.subtree_hash, index, size)
        theirs_proof = theirs.prove_inclusion(index + 1, size)  # pymerkle counts from 1
        assert theirs_proof.path == [leaf, *proof], (index, size)
        # Each verifies the other's proof.
        verify_inclusion(
            leaf_hash=leaf, index=index, size=size, proof=theirs_proof.path[1:], root=root
        )
        rule, _ = pymerkle.core._inclusion_path_layout(index + 1, size)
        ours_for_them = pymerkle.InclusionProof(
            "sha256", True, size, index + 1, rule, [leaf, *proof]
        )
        ours_for_them.verify(leaf, theirs.get_root(size), index=index + 1, size=size)


@pytest.mark.parametrize("second", SIZES)
def test_consistency_proofs_of_every_pair_match_pymerkle(
    trees: tuple[InMemoryTree, Any], second: int
) -> None:
    ours, theirs = trees
    for first in range(1, second + 1):
        proof = consistency_proof(ours.subtree_hash, first, second)
        ranges = consistency_path_ranges(first, second)
        assert proof == [theirs._get_root(start, end) for start, end in ranges], (first, second)
        verify_consistency(
            first_size=first,
            first_root=theirs.get_root(first),
            second_size=second,
            second_root=theirs.get_root(second),
            proof=proof,
        )
