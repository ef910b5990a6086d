"""The audit log: appended inside the caller's unit of work, hash-chained, tampering named.

Every test runs on SQLite and on PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from sqlalchemy import text

from enlace.node.setup import initialise_node
from enlace.store.errors import AuditError
from enlace.store.repositories.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditItem,
    AuditLog,
    AuditVerification,
    entry_hash,
)
from enlace.store.store import Store
from support import timing
from support.clock import FrozenClock


def append(store: Store, count: int, *, actor: str = "analyst@sspc") -> list[AuditEntry]:
    """Append `count` entries, one committed unit of work."""
    with store.unit_of_work() as uow:
        log = uow.audit
        entries = [
            log.append(
                actor=actor,
                action="release",
                subject=f"x-enlace-seizure--{n:04d}",
                detail={"partner": "US", "n": n, "nota": "liberación"},
            )
            for n in range(count)
        ]
        uow.commit()
    return entries


def verify(store: Store) -> AuditVerification:
    with store.unit_of_work() as uow:
        return uow.audit.verify()


def tamper(store: Store, *statements: str, **params: Any) -> None:
    """Change the table behind the log's back, as someone with database access could."""
    with store.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)


def stored(store: Store) -> list[AuditEntry]:
    with store.unit_of_work() as uow:
        return list(uow.audit.entries())


# --- appending --------------------------------------------------------------------------


def test_empty_log_is_intact(store: Store) -> None:
    result = verify(store)
    assert result.ok
    assert (result.entries, result.last_seq, result.head_hash) == (0, None, GENESIS_HASH)
    assert result.message == "audit log intact: 0 entries (the log is empty)"


def test_entries_chain_from_the_zero_hash_and_verify(store: Store, frozen_now: FrozenClock) -> None:
    entries = append(store, 5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == "0" * 64
    for previous, entry in itertools.pairwise(entries):
        assert entry.prev_hash == previous.entry_hash
    assert entries[0].at == "2025-09-01T12:00:00.000000Z"
    assert stored(store) == entries
    result = verify(store)
    assert result.ok
    assert (result.entries, result.last_seq, result.head_hash) == (5, 5, entries[-1].entry_hash)
    assert result.message == (
        f"audit log intact: 5 entries; latest entry 5 has hash {entries[-1].entry_hash}"
    )


def test_the_hash_is_sha256_of_the_canonical_json_of_the_entry(store: Store) -> None:
    # What docs/audit.md tells an auditor to recompute, with any RFC 8785 implementation.
    (entry,) = append(store, 1)
    body: dict[str, Any] = {  # a JSON object, as rfc8785.dumps takes it
        "seq": 1,
        "at": entry.at,
        "actor": "analyst@sspc",
        "action": "release",
        "subject": "x-enlace-seizure--0000",
        "detail": {"partner": "US", "n": 0, "nota": "liberación"},
        "prev_hash": "0" * 64,
    }
    assert entry.entry_hash == hashlib.sha256(rfc8785.dumps(body)).hexdigest()
    assert entry.detail_json == '{"n":0,"nota":"liberación","partner":"US"}'  # canonical text
    assert entry.detail == body["detail"]


def test_many_entries_appended_at_once_chain_exactly_as_one_by_one(
    new_store_url: Any, frozen_now: FrozenClock
) -> None:
    items = [
        AuditItem("cli", "release", f"enlace-seizure--{n:04d}", {"partner": "US", "n": n})
        for n in range(5)
    ]
    chains = []
    for at_once in (True, False):
        store = Store.open(new_store_url())
        try:
            with store.unit_of_work() as uow:
                log = uow.audit
                log.append(actor="node", action="init", subject="MX")
                if at_once:
                    appended = log.append_many(items)
                else:
                    appended = [
                        log.append(
                            actor=i.actor, action=i.action, subject=i.subject, detail=i.detail
                        )
                        for i in items
                    ]
                uow.commit()
            with store.unit_of_work() as uow:
                log = uow.audit
                assert log.verify().ok
                assert list(log.entries())[1:] == appended
                chains.append([e.entry_hash for e in log.entries()])
        finally:
            store.close()
    assert chains[0] == chains[1]
    assert [e.seq for e in appended] == [2, 3, 4, 5, 6]


def test_entry_without_subject_or_detail(store: Store) -> None:
    with store.unit_of_work() as uow:
        entry = uow.audit.append(actor="node", action="auth-failure")
        uow.commit()
    assert (entry.subject, entry.detail_json, entry.detail) == (None, None, None)
    assert verify(store).ok


def test_append_then_rollback_leaves_nothing(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.audit.append(actor="cli", action="import", subject="mx.csv")
        uow.rollback()
    with store.unit_of_work() as uow:
        uow.audit.append(actor="cli", action="import", subject="mx.csv")
        # leaving without commit rolls back too
    with store.unit_of_work() as uow:
        assert uow.audit.count() == 0
    # and no hole in seq is left behind: the next entry is 1 and the log verifies
    (entry,) = append(store, 1)
    assert entry.seq == 1
    assert verify(store).ok


def test_entry_is_committed_with_the_work_it_records(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.settings.set_if_absent("party", "MX")
        uow.audit.append(actor="cli", action="init", subject="MX")
        with store.unit_of_work() as other:  # not visible before the commit
            assert AuditLog(other.connection).count() == 0
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.settings.get("party") == "MX"
        assert [e.action for e in uow.audit.latest()] == ["init"]


def test_latest_gives_the_newest_entries_oldest_first(store: Store) -> None:
    append(store, 7)
    with store.unit_of_work() as uow:
        assert [e.seq for e in uow.audit.latest(3)] == [5, 6, 7]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"actor": "", "action": "release"}, "actor must be given"),
        ({"actor": "x" * 65, "action": "release"}, "at most 64 characters"),
        ({"actor": "a\nb", "action": "release"}, "one line"),
        ({"actor": "cli", "action": "Release"}, "lower-case letters"),
        ({"actor": "cli", "action": "x" * 33}, "at most 32 characters"),
        ({"actor": "cli", "action": "import", "detail": {"n": float("nan")}}, "not JSON"),
        ({"actor": "cli", "action": "import", "detail": {"n": object()}}, "not JSON"),
    ],
)
def test_bad_entries_are_refused_and_write_nothing(
    store: Store, fields: dict[str, Any], message: str
) -> None:
    with store.unit_of_work() as uow:
        log = uow.audit
        with pytest.raises(AuditError, match=message):
            log.append(**fields)
        assert log.count() == 0


# --- concurrency ------------------------------------------------------------------------


def test_concurrent_writers_make_one_unbroken_chain(store: Store) -> None:
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        try:
            start.wait()
            for n in range(50):
                with store.unit_of_work() as uow:
                    log = uow.audit
                    log.append(actor=name, action="partner-read", detail={"n": n})
                    uow.commit()
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("US", "CA")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timing.timeout(120))
    assert not failures, failures
    entries = stored(store)
    assert [e.seq for e in entries] == list(range(1, 101))
    assert sorted(e.actor for e in entries) == ["CA"] * 50 + ["US"] * 50
    result = verify(store)
    assert result.ok, result.message
    assert result.entries == 100


# --- checking in steps (the web page) ---------------------------------------------------


def verify_step(store: Store, start: int, limit: int) -> AuditVerification:
    with store.unit_of_work() as uow:
        return uow.audit.verify(start=start, limit=limit)


def test_a_check_in_steps_covers_the_log_as_the_whole_check_does(store: Store) -> None:
    append(store, 7)
    whole = verify(store)
    steps = [verify_step(store, 1, 3)]
    while steps[-1].remaining:
        last = steps[-1].last_seq
        assert last is not None
        steps.append(verify_step(store, last + 1, 3))
    assert [(s.first_seq, s.last_seq, s.entries, s.remaining) for s in steps] == [
        (1, 3, 3, 4), (4, 6, 3, 1), (7, 7, 1, 0),
    ]  # fmt: skip
    assert all(s.ok for s in steps)
    assert steps[-1].head_hash == whole.head_hash
    assert "from entry 4 to entry 6 (3 entries)" in steps[1].message
    assert "1 entries after it not checked" in steps[1].message


def test_a_step_finds_an_edit_in_its_entries_and_names_it(store: Store) -> None:
    append(store, 6)
    tamper(store, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 5")
    assert verify_step(store, 1, 3).ok  # entries 1..3 hold
    found = verify_step(store, 4, 3)
    assert found.problem is not None
    assert (found.problem.seq, found.problem.kind) == (5, "edited")
    assert (found.entries, found.last_seq) == (1, 4)


def test_a_step_links_to_the_entry_before_it(store: Store) -> None:
    append(store, 4)
    # Entry 3 rewritten with a new hash of its own: the step from 4 sees 4 not linked to it.
    tamper(store, "UPDATE audit_log SET entry_hash = :h WHERE seq = 3", h="ab" * 32)
    found = verify_step(store, 4, 10)
    assert found.problem is not None
    assert not found.ok


def test_a_step_cannot_start_past_the_log_or_before_its_first_entry(store: Store) -> None:
    append(store, 2)
    with pytest.raises(AuditError, match="no entry 4 to continue"):
        verify_step(store, 5, 10)
    with pytest.raises(AuditError, match="starts at entry 1"):
        verify_step(store, 0, 10)
    assert verify_step(store, 3, 10).entries == 0  # nothing after the newest: nothing to do


# --- tampering --------------------------------------------------------------------------


def test_edited_detail_is_named(store: Store) -> None:
    append(store, 5)
    tamper(store, "UPDATE audit_log SET detail = :d WHERE seq = 3", d='{"partner":"CA"}')
    result = verify(store)
    assert not result.ok
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (3, "edited")
    assert result.entries == 2
    assert result.message.startswith("audit log TAMPERED at entry 3 (edited): entry 3 was altered")
    assert "The 2 entries before it are intact." in result.message


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "someone-else"), ("action", "receipt"), ("subject", None), ("at", "2020")],
)
def test_any_edited_field_is_named(store: Store, column: str, value: Any) -> None:
    append(store, 4)
    tamper(store, f"UPDATE audit_log SET {column} = :v WHERE seq = 2", v=value)
    problem = verify(store).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (2, "edited")


def test_detail_that_is_no_longer_json_is_named_as_edited(store: Store) -> None:
    append(store, 3)
    tamper(store, "UPDATE audit_log SET detail = '{broken' WHERE seq = 1")
    problem = verify(store).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (1, "edited")


def test_edited_entry_with_recomputed_hash_is_named(store: Store) -> None:
    entries = append(store, 5)
    forged = entries[2]
    new_hash = entry_hash(
        seq=3,
        at=forged.at,
        actor=forged.actor,
        action=forged.action,
        subject=forged.subject,
        detail={"partner": "CA"},
        prev_hash=forged.prev_hash,
    )
    tamper(
        store,
        "UPDATE audit_log SET detail = :d, entry_hash = :h WHERE seq = 3",
        d='{"partner":"CA"}',
        h=new_hash,
    )
    result = verify(store)
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (3, "edited")
    assert "hash was recomputed" in result.problem.message
    assert result.entries == 2


def test_edited_link_is_named(store: Store) -> None:
    append(store, 4)
    tamper(store, "UPDATE audit_log SET prev_hash = :h WHERE seq = 3", h="f" * 64)
    problem = verify(store).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (3, "edited")
    assert "link to entry 2" in problem.message


@pytest.mark.parametrize(
    ("deleted", "seq", "says"),
    [
        ((3,), 3, "entry 3 is missing"),
        ((2, 3, 4), 2, "entries 2 to 4 are missing"),
        ((1,), 1, "entry 1 is missing"),
    ],
)
def test_deleted_entries_are_named(
    store: Store, deleted: tuple[int, ...], seq: int, says: str
) -> None:
    append(store, 6)
    for number in deleted:
        tamper(store, "DELETE FROM audit_log WHERE seq = :s", s=number)
    result = verify(store)
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (seq, "deleted")
    assert says in result.problem.message
    assert "deleted" in result.message


def test_deleted_entry_hidden_by_renumbering_is_named(store: Store) -> None:
    append(store, 6)
    tamper(store, "DELETE FROM audit_log WHERE seq = 3")
    for number in (4, 5, 6):  # one by one, so the primary key never clashes
        tamper(store, "UPDATE audit_log SET seq = :s - 1 WHERE seq = :s", s=number)
    result = verify(store)
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (3, "deleted")
    assert "renumbered" in result.problem.message


def test_swapped_entries_are_named_as_reordered(store: Store) -> None:
    append(store, 6)
    tamper(
        store,
        "UPDATE audit_log SET seq = -1 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = -1",
    )
    result = verify(store)
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (3, "reordered")
    assert "written right after entry 2 is now stored at position 4" in result.problem.message
    assert result.entries == 2


def test_entry_moved_to_the_end_is_named_as_reordered(store: Store) -> None:
    append(store, 5)
    tamper(store, "UPDATE audit_log SET seq = 99 WHERE seq = 2")
    problem = verify(store).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (2, "reordered")
    assert "position 99" in problem.message


def test_removing_the_newest_entry_shows_only_as_another_head_hash(store: Store) -> None:
    # What the chain cannot prove alone (docs/audit.md): the hash recorded elsewhere can.
    entries = append(store, 3)
    tamper(store, "DELETE FROM audit_log WHERE seq = 3")
    result = verify(store)
    assert result.ok
    assert (result.last_seq, result.head_hash) == (2, entries[1].entry_hash)
    assert result.head_hash != entries[2].entry_hash


# --- what `enlace init` logs --------------------------------------------------------------


def test_init_logs_the_node_creation_and_the_agencies_once(tmp_path: Path, store_url: str) -> None:
    report = initialise_node(tmp_path / "mx", party="MX", database_url=store_url)
    initialise_node(tmp_path / "mx", party="MX", database_url=store_url)  # adds nothing
    opened = Store.open(store_url)
    try:
        entries = stored(opened)
        assert verify(opened).ok
    finally:
        opened.close()
    assert [(e.actor, e.action, e.subject) for e in entries] == [
        ("cli", "init", "MX"),
        ("cli", "agencies-added", "MX"),
    ]
    init, agencies = entries
    assert init.detail["public_key"] == report.public_key
    assert init.detail["signing_key"] == "generated"
    assert init.detail["database"] == opened.dialect
    assert "postgresql://" not in (init.detail_json or "")  # never a URL (it may hold a password)
    assert agencies.detail["agencies"] == report.agencies_added


def test_a_subject_with_a_nul_character_is_kept_readable_on_both_databases(store: Store) -> None:
    # A request path can carry %00; PostgreSQL's text cannot hold the character itself.
    with store.unit_of_work() as uow:
        entry = uow.audit.append(
            actor="anonymous", action="auth-failure", subject="/taxii2/\x00/collections/"
        )
        uow.commit()
    assert entry.subject == "/taxii2/\\u0000/collections/"
    assert [e.subject for e in stored(store)] == ["/taxii2/\\u0000/collections/"]
    assert verify(store).ok
