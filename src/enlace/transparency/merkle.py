"""RFC 9162 Merkle tree hashing (§2.1.1): leaves, nodes, the tree hash of n leaves.

https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1 — SHA-256; a leaf is hashed as
H(0x00 ‖ entry), an interior node as H(0x01 ‖ left ‖ right), and the empty tree as H("").
A tree of n > 1 leaves splits at k, the largest power of two below n: MTH(D[n]) =
H(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])). RFC 6962 trees hash the same way.

A proof generator or a root reads hashes through a `SubtreeHashes` callable answering for
one *complete* subtree at a time (a range [start, end) whose width is a power of two and whose
start is a multiple of it), so that a stored tree can answer each from one stored node:
`range_hash` composes any range the RFC's recursion meets from O(log n) of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
"""Bytes in a SHA-256 hash: every leaf, node, root and proof element."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1)."""

SubtreeHashes = Callable[[int, int], bytes]
"""``hashes(start, end)``: the hash of the complete subtree over leaves [start, end)."""


def leaf_hash(entry: bytes) -> bytes:
    """H(0x00 ‖ entry): the hash of one log entry as a leaf."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """H(0x01 ‖ left ‖ right): the hash of an interior node from its two children."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(width: int) -> int:
    """k: the largest power of two smaller than `width` (which must be at least 2)."""
    return 1 << ((width - 1).bit_length() - 1)


def is_complete_subtree(start: int, end: int) -> bool:
    """Whether [start, end) is one complete subtree: a power-of-two width, aligned on it."""
    width = end - start
    return width > 0 and width & (width - 1) == 0 and start % width == 0


def range_hash(hashes: SubtreeHashes, start: int, end: int) -> bytes:
    """MTH of leaves [start, end), from the complete subtrees that make it up.

    The range must start on a multiple of a power of two at least its width, as every range
    the RFC's recursion meets does: it is then the complete subtrees of widths the binary digits
    of its width, largest first, hashed right to left. Reads O(log width) subtree hashes.
    """
    if end <= start:
        raise ValueError(f"the leaf range [{start}, {end}) is empty")
    parts: list[bytes] = []
    position = start
    width = end - start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            parts.append(hashes(position, position + (1 << level)))
            position += 1 << level
    result = parts[-1]
    for part in reversed(parts[:-1]):
        result = node_hash(part, result)
    return result


def tree_root(hashes: SubtreeHashes, size: int) -> bytes:
    """MTH of the first `size` leaves (EMPTY_ROOT for none), in O(log size) subtree reads."""
    if size < 0:
        raise ValueError(f"a tree size cannot be negative (got {size})")
    return EMPTY_ROOT if size == 0 else range_hash(hashes, 0, size)


def root_of_entries(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the entries, by the RFC's recursive definition (for tests and small trees)."""
    return root_of_leaf_hashes([leaf_hash(entry) for entry in entries])


def root_of_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """MTH of leaves already hashed with `leaf_hash`, by the RFC's recursive definition."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(root_of_leaf_hashes(leaves[:k]), root_of_leaf_hashes(leaves[k:]))


class InMemoryTree:
    """A Merkle tree held in memory, every complete subtree's hash kept: the stored tree's model.

    `levels[h][i]` is the hash of the complete subtree over leaves [i·2^h, (i+1)·2^h); an
    append adds the leaf and the subtrees it completes, so `subtree_hash` is one lookup, and
    `root` and the proof generators of `enlace.transparency.proofs` read O(log n) hashes.
    """

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self.levels[0])

    def append_entry(self, entry: bytes) -> int:
        """Append one entry as a leaf; return its index."""
        return self.append_leaf_hash(leaf_hash(entry))

    def append_leaf_hash(self, hashed: bytes) -> int:
        """Append a leaf already hashed with `leaf_hash`; return its index."""
        if len(hashed) != HASH_SIZE:
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, not {len(hashed)}")
        index = self.size
        self.levels[0].append(hashed)
        level, position = 0, index
        while position & 1:
            # The leaf completes the subtree one level up whose right child this is.
            left = self.levels[level][position - 1]
            level, position = level + 1, position >> 1
            if len(self.levels) == level:
                self.levels.append([])
            self.levels[level].append(node_hash(left, hashed))
            hashed = self.levels[level][position]
        return index

    def subtree_hash(self, start: int, end: int) -> bytes:
        """The hash of the complete subtree over leaves [start, end) (a `SubtreeHashes`)."""
        if not is_complete_subtree(start, end) or end > self.size:
            raise ValueError(f"[{start}, {end}) is not a complete subtree of {self.size} leaves")
        level = (end - start).bit_length() - 1
        return self.levels[level][start >> level]

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first `size` leaves (all of them by default)."""
        return tree_root(self.subtree_hash, self.size if size is None else size)
