"""RFC 9162 §2.1.5's example tree, the frontier against the full root, malformed inputs."""

from __future__ import annotations

import re

import pytest

from enlace.transparency.frontier import CompleteSubtree, Frontier, MalformedFrontier
from enlace.transparency.merkle import (
    EMPTY_ROOT,
    InMemoryTree,
    leaf_hash,
    node_hash,
    range_hash,
    root_of_entries,
)
from enlace.transparency.proofs import (
    MalformedProofInput,
    consistency_path_ranges,
    consistency_proof,
    inclusion_path_ranges,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

# RFC 9162 §2.1.5: seven leaves d0..d6; a..f and j are leaves, g h i k l interior nodes.
A, B, C, D, E, F, J = ((i, i + 1) for i in range(7))
G, H, I_, K, L = (0, 2), (2, 4), (4, 6), (0, 4), (4, 7)  # I_: ruff E741


def test_rfc_9162_example_inclusion_paths() -> None:
    assert inclusion_path_ranges(0, 7) == [B, H, L]
    assert inclusion_path_ranges(3, 7) == [C, G, L]
    assert inclusion_path_ranges(4, 7) == [F, J, K]
    assert inclusion_path_ranges(6, 7) == [I_, K]


def test_rfc_9162_example_consistency_proofs() -> None:
    assert consistency_path_ranges(3, 7) == [C, D, G, L]
    assert consistency_path_ranges(4, 7) == [L]
    assert consistency_path_ranges(6, 7) == [I_, J, K]


def test_hashes_are_rfc_9162_prefixed_sha256() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"") == bytes.fromhex(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    left, right = leaf_hash(b"a"), leaf_hash(b"b")
    assert root_of_entries([b"a", b"b"]) == node_hash(left, right) != node_hash(right, left)


def test_frontier_root_equals_the_full_root_for_sizes_0_to_300() -> None:
    frontier, entries = Frontier(), [f"entry {n}".encode() for n in range(300)]
    assert frontier.root() == root_of_entries([]) == EMPTY_ROOT
    for size in range(1, 301):
        frontier.append_entry(entries[size - 1])
        assert frontier.root() == root_of_entries(entries[:size]), size
        assert len(frontier.hashes) == size.bit_count()


def test_frontier_keeps_up_with_the_stored_model_for_100000_appends() -> None:
    frontier, tree = Frontier(), InMemoryTree()
    for number in range(100_000):
        hashed = leaf_hash(number.to_bytes(4, "big"))
        made = frontier.append_leaf_hash(hashed)
        tree.append_leaf_hash(hashed)
        # What the append reports is exactly the stored tree's new complete subtrees.
        assert made == [CompleteSubtree(s, e, tree.subtree_hash(s, e)) for s, e, _ in made]
        assert made[-1].end == number + 1
        assert made[-1].start == (number + 1) & number
    assert frontier.size == tree.size == 100_000
    assert frontier.root() == tree.root()
    restored = Frontier.restore(frontier.size, list(frontier.hashes))
    restored.append_entry(b"next")
    tree.append_entry(b"next")
    assert restored.root() == tree.root()


def test_frontier_restore_refuses_hashes_that_cannot_be_a_frontier() -> None:
    with pytest.raises(MalformedFrontier, match="size 5 has 2 frontier hashes, not 1"):
        Frontier.restore(5, [EMPTY_ROOT])
    with pytest.raises(MalformedFrontier, match="frontier hash 0 is 3 bytes"):
        Frontier.restore(1, [b"abc"])
    with pytest.raises(MalformedFrontier, match="negative"):
        Frontier.restore(-1, [])


def test_range_hash_composes_complete_subtrees() -> None:
    tree = InMemoryTree()
    for number in range(13):
        tree.append_entry(bytes([number]))
    assert range_hash(tree.subtree_hash, 8, 13) == root_of_entries(
        [bytes([n]) for n in range(8, 13)]
    )
    with pytest.raises(ValueError, match="not a complete subtree"):
        tree.subtree_hash(1, 3)


def test_generators_refuse_what_no_proof_exists_for() -> None:
    tree = InMemoryTree()
    for number in range(4):
        tree.append_entry(bytes([number]))
    with pytest.raises(MalformedProofInput, match="leaf 4 in a tree of size 4"):
        inclusion_proof(tree.subtree_hash, 4, 4)
    with pytest.raises(MalformedProofInput, match="leaf -1 in a tree of size 4"):
        inclusion_proof(tree.subtree_hash, -1, 4)
    with pytest.raises(MalformedProofInput, match="from a tree of size 0 to one of size 4"):
        consistency_proof(tree.subtree_hash, 0, 4)
    with pytest.raises(MalformedProofInput, match="from a tree of size 4 to one of size 3"):
        consistency_proof(tree.subtree_hash, 4, 3)


def test_verifiers_refuse_malformed_input_before_hashing() -> None:
    root = leaf_hash(b"x")
    with pytest.raises(MalformedProofInput, match="leaf 0 in a tree of size 0"):
        verify_inclusion(leaf_hash=root, index=0, size=0, proof=[], root=EMPTY_ROOT)
    with pytest.raises(MalformedProofInput, match="leaf 2 in a tree of size 2"):
        verify_inclusion(leaf_hash=root, index=2, size=2, proof=[root], root=root)
    with pytest.raises(MalformedProofInput, match="the leaf hash is 31 bytes"):
        verify_inclusion(leaf_hash=root[:31], index=0, size=1, proof=[], root=root)
    with pytest.raises(MalformedProofInput, match="the root is 33 bytes"):
        verify_inclusion(leaf_hash=root, index=0, size=1, proof=[], root=root + b"!")
    with pytest.raises(MalformedProofInput, match="hash 1 of the proof is 0 bytes"):
        verify_inclusion(leaf_hash=root, index=0, size=4, proof=[root, b"", root], root=root)
    with pytest.raises(MalformedProofInput, match=re.escape("size 0 to one of size 3")):
        verify_consistency(
            first_size=0, first_root=EMPTY_ROOT, second_size=3, second_root=root, proof=[]
        )
    with pytest.raises(MalformedProofInput, match=re.escape("size 3 to one of size 2")):
        verify_consistency(first_size=3, first_root=root, second_size=2, second_root=root, proof=[])
    with pytest.raises(MalformedProofInput, match="the second root is 4 bytes"):
        verify_consistency(
            first_size=1, first_root=root, second_size=2, second_root=b"root", proof=[root]
        )
