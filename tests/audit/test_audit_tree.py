"""The Merkle tree kept beside the audit chain: grown with each append on both databases,
equal to the RFC 9162 tree of the entries, its proofs verifying, tampering with it found.

Every test runs on SQLite and on PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from enlace.store.repositories.audit import AuditItem
from enlace.store.repositories.audit_tree import STORED_LEVEL, entry_leaf
from enlace.store.store import Store
from enlace.transparency.merkle import EMPTY_ROOT, root_of_leaf_hashes
from enlace.transparency.proofs import (
    ConsistencyProofFailed,
    verify_consistency,
    verify_inclusion,
)


def append(store: Store, count: int, *, batch: int = 1) -> None:
    done = 0
    while done < count:
        with store.unit_of_work() as uow:
            take = min(batch, count - done)
            uow.audit.append_many(
                [AuditItem("analyst@sspc", "release", f"r{done + i}") for i in range(take)]
            )
            uow.commit()
        done += take


def leaves(store: Store) -> list[bytes]:
    with store.unit_of_work() as uow:
        return [entry_leaf(entry.entry_hash) for entry in uow.audit.entries()]


def test_the_tree_of_an_empty_log_has_the_empty_root(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.audit_tree.size() == 0
        assert uow.audit_tree.root() == EMPTY_ROOT


@pytest.mark.parametrize("batch", [1, 7, 300])
def test_the_tree_grows_with_each_append_to_the_rfc_9162_root_of_the_entries(
    store: Store, batch: int
) -> None:
    count = 600 if batch > 1 else 70
    append(store, count, batch=batch)
    expected = leaves(store)
    with store.unit_of_work() as uow:
        tree = uow.audit_tree
        assert tree.size() == count
        assert tree.root() == root_of_leaf_hashes(expected)
        for size in (1, 2, 3, 64, count - 1, count):
            assert tree.root(size) == root_of_leaf_hashes(expected[:size])
        assert tree.check().ok


def test_only_subtrees_of_256_leaves_or_more_are_stored(store: Store) -> None:
    append(store, 1100, batch=500)
    with store.unit_of_work() as uow:
        rows = uow.connection.execute(text("SELECT level, idx FROM audit_tree_nodes")).all()
    # 1100 leaves: four subtrees of 256, two of 512, one of 1024.
    assert sorted((int(r.level), int(r.idx)) for r in rows) == [
        (8, 0), (8, 1), (8, 2), (8, 3), (9, 0), (9, 1), (10, 0),
    ]  # fmt: skip
    assert min(int(r.level) for r in rows) == STORED_LEVEL


def test_inclusion_and_consistency_proofs_from_the_stored_tree_verify(store: Store) -> None:
    append(store, 1300, batch=650)
    expected = leaves(store)
    with store.unit_of_work() as uow:
        tree = uow.audit_tree
        for size in (1, 255, 256, 257, 1024, 1300):
            root = tree.root(size)
            for index in {0, size // 2, size - 1}:
                proof = tree.inclusion_proof(index, size)
                verify_inclusion(
                    leaf_hash=expected[index], index=index, size=size, proof=proof, root=root
                )
        for first, second in ((1, 1300), (256, 1300), (700, 1024), (1024, 1300), (1299, 1300)):
            proof = tree.consistency_proof(first, second)
            verify_consistency(
                first_size=first, first_root=tree.root(first), second_size=second,
                second_root=tree.root(second), proof=proof,
            )  # fmt: skip


def test_a_consistency_proof_from_a_rewritten_history_fails(store: Store) -> None:
    append(store, 40, batch=40)
    with store.unit_of_work() as uow:
        old_root = uow.audit_tree.root(30)
    # Someone with database access edits entry 5 and rehashes the chain and the tree.
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET subject = 'forged' WHERE seq = 5"))
    rehash(store)
    with store.unit_of_work() as uow:
        proof = uow.audit_tree.consistency_proof(30, 40)
        with pytest.raises(ConsistencyProofFailed):
            verify_consistency(
                first_size=30, first_root=old_root, second_size=40,
                second_root=uow.audit_tree.root(), proof=proof,
            )  # fmt: skip


def rehash(store: Store) -> None:
    """Recompute every entry's chain hash and the tree, as a careful forger would."""
    from enlace.store.repositories.audit import GENESIS_HASH, entry_hash

    with store.unit_of_work() as uow:
        prev = GENESIS_HASH
        for entry in list(uow.audit.entries()):
            new = entry_hash(
                seq=entry.seq, at=entry.at, actor=entry.actor, action=entry.action,
                subject=entry.subject, detail=entry.detail, prev_hash=prev,
            )  # fmt: skip
            uow.connection.execute(
                text("UPDATE audit_log SET prev_hash = :p, entry_hash = :h WHERE seq = :s"),
                {"p": prev, "h": new, "s": entry.seq},
            )
            prev = new
        uow.audit_tree.rebuild()
        uow.commit()


def test_check_finds_a_stored_node_or_frontier_that_is_not_the_tree_of_the_entries(
    store: Store,
) -> None:
    append(store, 600, batch=600)
    with store.engine.begin() as connection:
        connection.execute(text(f"UPDATE audit_tree_nodes SET hash = '{'ab' * 32}' WHERE idx = 1"))
    with store.unit_of_work() as uow:
        found = uow.audit_tree.check()
    assert not found.ok
    assert found.wrong_nodes == 1
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq = 600"))
    with store.unit_of_work() as uow:
        found = uow.audit_tree.check()
    assert found.size == 599
    assert found.stored_size == 600
    assert not found.ok


def test_rebuild_gives_the_tree_the_appends_gave(store: Store) -> None:
    append(store, 700, batch=100)
    with store.unit_of_work() as uow:
        before = (uow.audit_tree.size(), uow.audit_tree.root(), uow.audit_tree.root(333))
        uow.audit_tree.rebuild()
        after = (uow.audit_tree.size(), uow.audit_tree.root(), uow.audit_tree.root(333))
        uow.commit()
    assert before == after


def test_an_append_rolled_back_leaves_the_tree_as_it_was(store: Store) -> None:
    append(store, 10)
    with store.unit_of_work() as uow:
        root = uow.audit_tree.root()
    with store.unit_of_work() as uow:
        uow.audit.append(actor="cli", action="release")
        assert uow.audit_tree.size() == 11
    with store.unit_of_work() as uow:
        assert (uow.audit_tree.size(), uow.audit_tree.root()) == (10, root)


def test_sizes_beyond_the_tree_are_refused(store: Store) -> None:
    append(store, 3)
    with store.unit_of_work() as uow, pytest.raises(ValueError, match="holds 3 entries"):
        uow.audit_tree.consistency_proof(2, 4)
