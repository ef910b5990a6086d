"""Published vectors: Certificate Transparency's 8-leaf tree and transparency-dev's proof cases.

The tree's leaves, roots and node hashes are those of transparency-dev/merkle's
testonly/constants.go (from CT's reference implementation); the proof cases are its
testdata, copied into vectors/ (see vectors/README.md).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from enlace.transparency.frontier import Frontier
from enlace.transparency.merkle import EMPTY_ROOT, InMemoryTree, leaf_hash, root_of_entries
from enlace.transparency.proofs import (
    MalformedProofInput,
    MerkleProofError,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parent / "vectors" / "transparency-dev"

LEAF_INPUTS = [
    bytes.fromhex(text)
    for text in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                 "606162636465666768696a6b6c6d6e6f")
]  # fmt: skip
ROOTS = [
    EMPTY_ROOT.hex(),
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Level 1 and 2 of NodeHashes(): the complete subtrees of two and four leaves.
PAIRS = [
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
]
QUADS = [
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]

# Cases transparency-dev accepts that this module refuses as malformed, on purpose: roots that
# are not 32 bytes ("don't care"), which no SHA-256 tree has.
STRICTER = {"consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"}


def test_ct_test_tree_roots_for_every_size() -> None:
    tree, frontier = InMemoryTree(), Frontier()
    assert tree.root().hex() == frontier.root().hex() == ROOTS[0]
    for size, entry in enumerate(LEAF_INPUTS, start=1):
        tree.append_entry(entry)
        frontier.append_entry(entry)
        assert tree.root().hex() == frontier.root().hex() == ROOTS[size]
        assert root_of_entries(LEAF_INPUTS[:size]).hex() == ROOTS[size]


def test_ct_test_tree_complete_subtrees() -> None:
    tree = InMemoryTree()
    for entry in LEAF_INPUTS:
        tree.append_entry(entry)
    assert [tree.subtree_hash(2 * i, 2 * i + 2).hex() for i in range(4)] == PAIRS
    assert [tree.subtree_hash(4 * i, 4 * i + 4).hex() for i in range(2)] == QUADS
    assert tree.levels[0][0] == leaf_hash(b"") == bytes.fromhex(ROOTS[1])


def _cases(kind: str) -> list[Any]:
    paths = sorted((VECTORS / kind).rglob("*.json"))
    assert len(paths) > 80, f"the {kind} vectors are missing from {VECTORS}"
    return [pytest.param(path, id=str(path.relative_to(VECTORS))) for path in paths]


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _tree() -> InMemoryTree:
    tree = InMemoryTree()
    for entry in LEAF_INPUTS:
        tree.append_entry(entry)
    return tree


@pytest.mark.parametrize("path", _cases("inclusion"))
def test_inclusion_vector(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    arguments = {
        "leaf_hash": _b64(case["leafHash"]),
        "index": case["leafIdx"],
        "size": case["treeSize"],
        "proof": [_b64(p) for p in case["proof"] or []],
        "root": _b64(case["root"]),
    }
    if case["wantErr"]:
        with pytest.raises(MerkleProofError):
            verify_inclusion(**arguments)
        return
    verify_inclusion(**arguments)
    if arguments["size"] <= len(LEAF_INPUTS) and case["root"] == base64.b64encode(
        bytes.fromhex(ROOTS[case["treeSize"]])
    ).decode("ascii"):
        # A vector over the CT test tree: the generator makes the same proof.
        assert (
            inclusion_proof(_tree().subtree_hash, case["leafIdx"], case["treeSize"])
            == (arguments["proof"])
        )


@pytest.mark.parametrize("path", _cases("consistency"))
def test_consistency_vector(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    arguments = {
        "first_size": case["size1"],
        "first_root": _b64(case["root1"]),
        "second_size": case["size2"],
        "second_root": _b64(case["root2"]),
        "proof": [_b64(p) for p in case["proof"] or []],
    }
    name = str(path.relative_to(VECTORS))
    if name in STRICTER:
        with pytest.raises(MalformedProofInput):
            verify_consistency(**arguments)
        return
    if case["wantErr"]:
        with pytest.raises(MerkleProofError):
            verify_consistency(**arguments)
        return
    verify_consistency(**arguments)
    if case["size2"] <= len(LEAF_INPUTS) and case["size1"] > 0:
        proof = consistency_proof(_tree().subtree_hash, case["size1"], case["size2"])
        assert proof == arguments["proof"]


def test_every_stricter_case_exists() -> None:
    for name in STRICTER:
        assert (VECTORS / name).is_file(), name
