"""The frontier of a Merkle tree: append leaves, get the root, keep O(log n) hashes.

Certificate Transparency's compact Merkle tree (a "compact range" from leaf 0): the tree of
n leaves is the complete subtrees of widths the binary digits of n, largest (leftmost) first,
and its RFC 9162 root is their hashes folded right to left. Appending a leaf merges the
rightmost subtrees of equal width, one hash per trailing 1-bit of n: O(log n) per append and
no leaf kept. Each append reports the complete subtrees it made, for a stored tree to keep.
"""

from __future__ import annotations

from typing import NamedTuple

from enlace.transparency.merkle import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash


class CompleteSubtree(NamedTuple):
    """The hash of the complete subtree over leaves [start, end)."""

    start: int
    end: int
    hash: bytes


class MalformedFrontier(ValueError):
    """Hashes that cannot be the frontier of a tree of the size given."""


class Frontier:
    """The roots of the complete subtrees covering leaves [0, size), leftmost first."""

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def restore(cls, size: int, hashes: list[bytes]) -> Frontier:
        """The frontier of a tree of `size` leaves from the hashes `hashes` gave (e.g. stored)."""
        if size < 0:
            raise MalformedFrontier(f"a tree size cannot be negative (got {size})")
        if len(hashes) != size.bit_count():
            raise MalformedFrontier(
                f"a tree of size {size} has {size.bit_count()} frontier hashes, not {len(hashes)}"
            )
        for position, value in enumerate(hashes):
            if len(value) != HASH_SIZE:
                raise MalformedFrontier(
                    f"frontier hash {position} is {len(value)} bytes; a SHA-256 hash is {HASH_SIZE}"
                )
        frontier = cls()
        frontier._size = size
        frontier._hashes = list(hashes)
        return frontier

    @property
    def size(self) -> int:
        """The number of leaves appended."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The complete subtrees' hashes, leftmost (widest) first: what to store to resume."""
        return tuple(self._hashes)

    def append_entry(self, entry: bytes) -> list[CompleteSubtree]:
        """Append one entry as a leaf; return the complete subtrees this made, leaf first."""
        return self.append_leaf_hash(leaf_hash(entry))

    def append_leaf_hash(self, hashed: bytes) -> list[CompleteSubtree]:
        """Append a leaf already hashed with `leaf_hash`; return the complete subtrees made."""
        if len(hashed) != HASH_SIZE:
            raise MalformedFrontier(f"a leaf hash is {HASH_SIZE} bytes, not {len(hashed)}")
        start, end = self._size, self._size + 1
        made = [CompleteSubtree(start, end, hashed)]
        carry = self._size
        while carry & 1:
            # The rightmost subtree has the width of the new one: they merge one level up.
            hashed = node_hash(self._hashes.pop(), hashed)
            start -= end - start
            made.append(CompleteSubtree(start, end, hashed))
            carry >>= 1
        self._hashes.append(hashed)
        self._size += 1
        return made

    def root(self) -> bytes:
        """MTH of the leaves appended (EMPTY_ROOT for none)."""
        if not self._hashes:
            return EMPTY_ROOT
        result = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            result = node_hash(left, result)
        return result
