"""Properties: a proof made here verifies; any change to it, its leaf, index, sizes or roots does not.

One note for the witnessed audit: an inclusion proof binds the leaf's index and the root, not
the tree size (the same hashes prove leaf 4 under the root of 7 leaves claimed as 7 or 8):
the size is bound by the checkpoint that signs it together with the root. The properties below
therefore change a size together with its true root.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enlace.transparency.merkle import InMemoryTree
from enlace.transparency.proofs import (
    ConsistencyProofFailed,
    InclusionProofFailed,
    MerkleProofError,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

PROPERTIES = settings(max_examples=300, deadline=None)
LARGEST = 1100

TREE = InMemoryTree()
for _number in range(LARGEST):
    TREE.append_entry(f"entry {_number}".encode())


@st.composite
def leaves(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, LARGEST))
    return draw(st.integers(0, size - 1)), size


@st.composite
def size_pairs(draw: st.DrawFn) -> tuple[int, int]:
    second = draw(st.integers(2, LARGEST))
    return draw(st.integers(1, second - 1)), second


def _flip(proof: list[bytes], position: int, byte: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[position])
    changed[byte] ^= 1 << bit
    return [*proof[:position], bytes(changed), *proof[position + 1 :]]


def _inclusion(index: int, size: int, proof: list[bytes], *, leaf: int | None = None) -> None:
    verify_inclusion(
        leaf_hash=TREE.levels[0][index if leaf is None else leaf],
        index=index,
        size=size,
        proof=proof,
        root=TREE.root(size),
    )


def _consistency(first: int, second: int, proof: list[bytes]) -> None:
    verify_consistency(
        first_size=first,
        first_root=TREE.root(first),
        second_size=second,
        second_root=TREE.root(second),
        proof=proof,
    )


@PROPERTIES
@given(leaves(), st.data())
def test_inclusion_proof_verifies_and_no_changed_proof_does(
    leaf: tuple[int, int], data: st.DataObject
) -> None:
    index, size = leaf
    proof = inclusion_proof(TREE.subtree_hash, index, size)
    _inclusion(index, size, proof)
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        flipped = _flip(
            proof, position, data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
        )
        with pytest.raises(InclusionProofFailed, match=f"leaf {index} in the tree of size {size}"):
            _inclusion(index, size, flipped)
        with pytest.raises(InclusionProofFailed, match="fewer hashes"):
            _inclusion(index, size, proof[:-1])
    with pytest.raises(InclusionProofFailed, match="more hashes"):
        _inclusion(index, size, [*proof, data.draw(st.binary(min_size=32, max_size=32))])


@PROPERTIES
@given(leaves(), st.data())
def test_inclusion_proof_fails_for_another_leaf_index_or_size(
    leaf: tuple[int, int], data: st.DataObject
) -> None:
    index, size = leaf
    proof = inclusion_proof(TREE.subtree_hash, index, size)
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda n: n != index))
        with pytest.raises(InclusionProofFailed):
            _inclusion(other, size, proof, leaf=index)  # the leaf claimed at another index
        with pytest.raises(InclusionProofFailed):
            _inclusion(index, size, proof, leaf=other)  # another leaf claimed at this index
    other_size = data.draw(st.integers(1, LARGEST).filter(lambda n: n != size))
    with pytest.raises(MerkleProofError):  # malformed when the index is past the other size
        _inclusion(index, other_size, proof)


@PROPERTIES
@given(size_pairs(), st.data())
def test_consistency_proof_verifies_and_no_changed_proof_does(
    sizes: tuple[int, int], data: st.DataObject
) -> None:
    first, second = sizes
    proof = consistency_proof(TREE.subtree_hash, first, second)
    _consistency(first, second, proof)
    position = data.draw(st.integers(0, len(proof) - 1))
    flipped = _flip(proof, position, data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7)))
    with pytest.raises(ConsistencyProofFailed, match=f"from size {first} to size {second}"):
        _consistency(first, second, flipped)
    with pytest.raises(ConsistencyProofFailed):
        _consistency(first, second, proof[:-1])
    with pytest.raises(ConsistencyProofFailed, match="more hashes"):
        _consistency(first, second, [*proof, data.draw(st.binary(min_size=32, max_size=32))])


@PROPERTIES
@given(size_pairs(), st.data())
def test_consistency_proof_fails_for_other_sizes_or_roots(
    sizes: tuple[int, int], data: st.DataObject
) -> None:
    first, second = sizes
    proof = consistency_proof(TREE.subtree_hash, first, second)
    other_first = data.draw(st.integers(1, second).filter(lambda n: n != first))
    with pytest.raises(ConsistencyProofFailed):
        _consistency(other_first, second, proof)
    other_second = data.draw(st.integers(first, LARGEST).filter(lambda n: n != second))
    with pytest.raises(ConsistencyProofFailed):
        _consistency(first, other_second, proof)
    # A rewritten history: the same sizes, another first or second root.
    forged = data.draw(st.binary(min_size=32, max_size=32))
    with pytest.raises(ConsistencyProofFailed):  # "another second root" when first is 2^k
        verify_consistency(
            first_size=first,
            first_root=forged,
            second_size=second,
            second_root=TREE.root(second),
            proof=proof,
        )
    with pytest.raises(ConsistencyProofFailed):
        verify_consistency(
            first_size=first,
            first_root=TREE.root(first),
            second_size=second,
            second_root=forged,
            proof=proof,
        )
