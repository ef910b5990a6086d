"""The RFC 9162 Merkle tree over the audit log, stored beside the hash chain (issue 13).

Leaf i of the tree is the entry of seq i + 1: H(0x00 ‖ the 32 bytes of its ``entry_hash``),
which commits to every field of the entry and to the chain before it. The tree grows with
the log: `AuditLog.append_many` calls `AuditTree.extend` under the log's lock, in the same
transaction, so an entry and its leaf are committed together or not at all.

What is stored: the frontier (one row: the size and the O(log n) hashes that give the root),
and every complete subtree of at least 2**STORED_LEVEL leaves. Any subtree a proof needs is
then one stored row, or is computed from at most 2**STORED_LEVEL - 1 entry hashes read from
the log: an inclusion or consistency proof at a million entries reads about twenty rows and
two short runs of entries, and the stored nodes are under 1 % of the entries.

Nothing here trusts the stored nodes for verification: `check` recomputes the tree from the
entries and says where the stored tree differs. The stored nodes only make proofs fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from enlace.store.tables import audit_log, audit_tree_nodes, audit_tree_state
from enlace.transparency.frontier import Frontier, MalformedFrontier
from enlace.transparency.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    leaf_hash,
    node_hash,
    root_of_leaf_hashes,
    tree_root,
)
from enlace.transparency.proofs import consistency_proof, inclusion_proof

STORED_LEVEL = 8
"""Complete subtrees of 2**STORED_LEVEL leaves and wider are stored."""

_STATE = "tree"
_REBUILD_BATCH = 5000
# Built once: an append, often of a single entry, pays for building and keying a statement
# as much as for running it (bench/audit_bench.py).
_READ_FRONTIER = select(audit_tree_state.c.size, audit_tree_state.c.frontier).where(
    audit_tree_state.c.name == _STATE
)
_SAVE_FRONTIER = (
    update(audit_tree_state)
    .where(audit_tree_state.c.name == _STATE)
    .values(size=bindparam("new_size"), frontier=bindparam("new_frontier"))
)


def entry_leaf(entry_hash_hex: str) -> bytes:
    """The leaf hash of the audit entry whose `entry_hash` is `entry_hash_hex`."""
    return leaf_hash(bytes.fromhex(entry_hash_hex))


@dataclass(frozen=True, slots=True)
class TreeCheck:
    """What recomputing the tree from the entries found."""

    size: int  # entries read
    root: bytes  # the recomputed root over them
    stored_size: int  # the size the stored frontier claims
    stored_root: bytes  # the root the stored frontier gives
    wrong_nodes: int  # stored subtree hashes that differ from the recomputed ones
    missing_nodes: int  # complete subtrees that should be stored and are not
    roots: dict[int, bytes] = field(default_factory=dict)  # recomputed roots at sizes asked for

    @property
    def ok(self) -> bool:
        """True when the stored tree is exactly the tree of the entries."""
        return (
            self.size == self.stored_size
            and self.root == self.stored_root
            and not self.wrong_nodes
            and not self.missing_nodes
        )


class AuditTree:
    """The stored tree, on the caller's connection (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # --- growing -------------------------------------------------------------------------

    def frontier(self) -> Frontier:
        """The stored frontier (an empty one before the first entry)."""
        row = self._connection.execute(_READ_FRONTIER).first()
        if row is None:
            return Frontier()
        text = str(row.frontier)
        width = HASH_SIZE * 2
        hashes = [bytes.fromhex(text[i : i + width]) for i in range(0, len(text), width)]
        return Frontier.restore(int(row.size), hashes)

    def extend(self, entry_hashes: Sequence[str], *, frontier: Frontier | None = None) -> Frontier:
        """Append the leaves of the entries whose hashes are `entry_hashes` (in seq order,
        right after the entries already in the tree); store the frontier and the complete
        subtrees they close. Returns the new frontier."""
        grown = self.frontier() if frontier is None else frontier
        # Frontier.append_leaf_hash written out (the hot path of every append): no object
        # per merge, and only subtrees of 2**STORED_LEVEL leaves and wider are kept. Merge
        # number `level` closes the subtree of 2**level leaves ending at the new leaf; it
        # starts at size + 1 - 2**level, so its index at that level is size >> level.
        size, hashes = grown.size, list(grown.hashes)
        nodes: list[dict[str, object]] = []
        for hex_hash in entry_hashes:
            hashed = entry_leaf(hex_hash)
            carry, level = size, 0
            while carry & 1:
                hashed = node_hash(hashes.pop(), hashed)
                carry >>= 1
                level += 1
                if level >= STORED_LEVEL:
                    nodes.append({"level": level, "idx": size >> level, "hash": hashed.hex()})
            hashes.append(hashed)
            size += 1
        grown = Frontier.restore(size, hashes)
        if nodes:
            self._connection.execute(insert(audit_tree_nodes), nodes)
        self._save(grown)
        return grown

    def _save(self, frontier: Frontier) -> None:
        size, text = frontier.size, b"".join(frontier.hashes).hex()
        changed = self._connection.execute(_SAVE_FRONTIER, {"new_size": size, "new_frontier": text})
        if not changed.rowcount:
            self._connection.execute(
                insert(audit_tree_state).values(name=_STATE, size=size, frontier=text)
            )

    def rebuild(self, progress: Callable[[int], None] | None = None) -> Frontier:
        """Throw the stored tree away and build it again from the entries (the migration that
        adds the tree, and a repair after a restore from backup). Streams the log."""
        self._connection.execute(delete(audit_tree_nodes))
        self._connection.execute(delete(audit_tree_state))
        grown = Frontier()
        batch: list[str] = []
        for (hex_hash,) in self._entry_hashes():
            batch.append(hex_hash)
            if len(batch) >= _REBUILD_BATCH:
                grown = self.extend(batch, frontier=grown)
                batch = []
                if progress is not None:
                    progress(grown.size)
        return self.extend(batch, frontier=grown) if batch or grown.size == 0 else grown

    # --- reading -------------------------------------------------------------------------

    def size(self) -> int:
        """How many leaves the stored tree holds."""
        return self.frontier().size

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree of the first `size` leaves (all of them when None)."""
        if size is None:
            return self.frontier().root()
        self._check_size(size)
        return tree_root(self._subtree_reader(), size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The RFC 9162 inclusion proof of leaf `index` (entry seq index + 1) in the tree of
        `size` leaves."""
        self._check_size(size)
        return inclusion_proof(self._subtree_reader(), index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """The RFC 9162 consistency proof from the tree of `first` leaves to that of `second`."""
        self._check_size(second)
        return consistency_proof(self._subtree_reader(), first, second)

    def _check_size(self, size: int) -> None:
        held = self.size()
        if not 0 <= size <= held:
            raise ValueError(f"the audit tree holds {held} entries, not {size}")

    def _subtree_reader(self) -> Callable[[int, int], bytes]:
        cache: dict[tuple[int, int], bytes] = {}

        def hashes(start: int, end: int) -> bytes:
            key = (start, end)
            if key not in cache:
                cache[key] = self._subtree(start, end)
            return cache[key]

        return hashes

    def _subtree(self, start: int, end: int) -> bytes:
        width = end - start
        level = width.bit_length() - 1
        if level >= STORED_LEVEL:
            stored = self._connection.execute(
                select(audit_tree_nodes.c.hash).where(
                    audit_tree_nodes.c.level == level, audit_tree_nodes.c.idx == start >> level
                )
            ).scalar()
            if stored is None:
                raise MalformedFrontier(
                    f"the audit tree has no stored node for entries {start + 1} to {end}: "
                    "run 'enlace audit verify'"
                )
            return bytes.fromhex(str(stored))
        rows = self._connection.execute(
            select(audit_log.c.entry_hash)
            .where(audit_log.c.seq > start, audit_log.c.seq <= end)
            .order_by(audit_log.c.seq)
        ).all()
        if len(rows) != width:
            raise MalformedFrontier(
                f"the audit log lacks entries between {start + 1} and {end}: "
                "run 'enlace audit verify'"
            )
        return root_of_leaf_hashes([entry_leaf(str(row.entry_hash)) for row in rows])

    def _entry_hashes(self) -> Iterable[tuple[str]]:
        result = self._connection.execute(
            select(audit_log.c.entry_hash)
            .order_by(audit_log.c.seq)
            .execution_options(yield_per=_REBUILD_BATCH)
        )
        try:
            for row in result:
                yield (str(row.entry_hash),)
        finally:
            result.close()

    # --- checking ------------------------------------------------------------------------

    def check(self, sizes: Iterable[int] = ()) -> TreeCheck:
        """Recompute the tree from the entries; compare the stored frontier and nodes; give
        the recomputed roots at `sizes` (those at most the number of entries)."""
        wanted = set(sizes)
        roots: dict[int, bytes] = {}
        if 0 in wanted:
            roots[0] = EMPTY_ROOT
        stored = {
            (int(row.level), int(row.idx)): str(row.hash)
            for row in self._connection.execute(select(audit_tree_nodes))
        }
        wrong = missing = 0
        grown = Frontier()
        for (hex_hash,) in self._entry_hashes():
            for made in grown.append_leaf_hash(entry_leaf(hex_hash)):
                level = (made.end - made.start).bit_length() - 1
                if level >= STORED_LEVEL:
                    held = stored.pop((level, made.start >> level), None)
                    if held is None:
                        missing += 1
                    elif held != made.hash.hex():
                        wrong += 1
            if grown.size in wanted:
                roots[grown.size] = grown.root()
        wrong += len(stored)  # stored nodes over entries that are not there
        claimed = self.frontier()
        return TreeCheck(
            size=grown.size,
            root=grown.root(),
            stored_size=claimed.size,
            stored_root=claimed.root(),
            wrong_nodes=wrong,
            missing_nodes=missing,
            roots=roots,
        )
