"""The unit of work is one transaction: nothing is written unless it commits."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from enlace.model.markings import Markings
from enlace.model.records import PhoneNumber, derived_id
from enlace.store.store import Store
from enlace.store.unit_of_work import UnitOfWork
from enlace.store.versions import StoredVersion

WHEN = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
MARKINGS = Markings.build(tlp="amber", releasable_to="MX US", handling="H0")


def phone_version(number: str) -> StoredVersion:
    record = PhoneNumber.from_values(
        id=derived_id("enlace-phone-number", "uow", number),
        owner="MX",
        markings=MARKINGS,
        created=WHEN,
        modified=WHEN,
        created_by_ref=None,
        values={"number": number},
    )
    return StoredVersion.of(record)


def count(store: Store) -> int:
    with store.unit_of_work() as uow:
        return uow.records.count_versions()


def test_leaving_without_commit_writes_nothing(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.records.add([phone_version("+525512345678")], added_at=uow.started_at) == 1
        uow.settings.set_if_absent("party", "MX")
        assert uow.records.count_versions() == 1  # visible inside its own transaction
    assert count(store) == 0
    with store.unit_of_work() as uow:
        assert uow.settings.get("party") is None


def test_exception_inside_rolls_back_and_propagates(store: Store) -> None:
    class Boom(Exception):
        pass

    def add_then_fail() -> None:
        with store.unit_of_work() as uow:
            uow.records.add([phone_version("+525512345678")], added_at=uow.started_at)
            raise Boom

    with pytest.raises(Boom):
        add_then_fail()
    assert count(store) == 0


def test_commit_is_visible_to_a_new_unit_of_work(store: Store) -> None:
    version = phone_version("+525512345678")
    with store.unit_of_work() as uow:
        uow.records.add([version], added_at=uow.started_at)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.records.count_versions() == 1
        latest = uow.records.latest(version.id)
        assert latest is not None
        assert latest.stix == version.stix


def test_work_after_commit_is_discarded_without_a_second_commit(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.records.add([phone_version("+525512345678")], added_at=uow.started_at)
        uow.commit()
        uow.records.add([phone_version("+525587654321")], added_at=uow.started_at)
    assert count(store) == 1


def test_exception_after_commit_keeps_what_was_committed(store: Store) -> None:
    def commit_then_fail() -> None:
        with store.unit_of_work() as uow:
            uow.records.add([phone_version("+525512345678")], added_at=uow.started_at)
            uow.commit()
            uow.records.add([phone_version("+525587654321")], added_at=uow.started_at)
            raise RuntimeError("late")

    with pytest.raises(RuntimeError, match="late"):
        commit_then_fail()
    assert count(store) == 1


def test_rollback_discards_since_last_commit_and_the_unit_goes_on(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.records.add([phone_version("+525512345678")], added_at=uow.started_at)
        uow.rollback()
        assert uow.records.count_versions() == 0
        uow.records.add([phone_version("+525587654321")], added_at=uow.started_at)
        uow.commit()
    assert count(store) == 1


def test_uncommitted_work_is_invisible_to_another_unit(store: Store) -> None:
    with store.unit_of_work() as writer:
        writer.settings.set_if_absent("party", "MX")
        writer.commit()
    with store.unit_of_work() as writer:
        writer.records.add([phone_version("+525512345678")], added_at=writer.started_at)
        with store.unit_of_work() as reader:
            assert reader.records.count_versions() == 0
            assert reader.settings.get("party") == "MX"


def test_commit_outside_with_block_is_refused(store: Store) -> None:
    uow = store.unit_of_work()
    assert isinstance(uow, UnitOfWork)
    with pytest.raises(RuntimeError, match="outside 'with uow:'"):
        uow.commit()


def test_one_added_at_per_unit_of_work(store: Store) -> None:
    first, second = phone_version("+525512345678"), phone_version("+525587654321")
    with store.unit_of_work() as uow:
        uow.records.add([first], added_at=uow.started_at)
        uow.records.add([second], added_at=uow.started_at)
        started = uow.started_at
        uow.commit()
    with store.unit_of_work() as uow:
        rows = [uow.records.latest(v.id) for v in (first, second)]
    assert [row.added_at for row in rows if row] == [started, started]


# --- a bulk unit of work (a large import) ------------------------------------------------


def _journal_mode(path: object) -> str:
    with closing(sqlite3.connect(str(path))) as connection:
        return str(connection.execute("PRAGMA journal_mode").fetchone()[0])


def test_a_bulk_unit_of_work_on_sqlite_writes_with_a_rollback_journal_then_returns_to_wal(
    tmp_path: Path,
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'node.sqlite'}")
    try:
        with store.unit_of_work(bulk=True) as uow:
            mode = uow.connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
            assert mode == "delete"
            uow.records.add([phone_version("+525512345678")], added_at=uow.started_at)
            uow.commit()
        with store.unit_of_work(bulk=True) as uow:
            uow.records.add([phone_version("+525512345679")], added_at=uow.started_at)
            # no commit: rolled back
        assert count(store) == 1
    finally:
        store.close()
    assert _journal_mode(tmp_path / "node.sqlite") == "wal"


def test_a_bulk_unit_of_work_stays_in_wal_while_another_process_has_the_store_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "node.sqlite"
    store = Store.open(f"sqlite:///{path}")
    reader = sqlite3.connect(str(path))  # another connection, as `enlace serve` would hold
    try:
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        reader.execute("SELECT count(*) FROM records").fetchone()
        with store.unit_of_work(bulk=True) as uow:
            mode = uow.connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
            assert mode == "wal"
            uow.records.add([phone_version("+525512345678")], added_at=uow.started_at)
            # the other connection still reads, during the write
            assert reader.execute("SELECT count(*) FROM records").fetchone()[0] == 0
            uow.commit()
        assert reader.execute("SELECT count(*) FROM records").fetchone()[0] == 1
    finally:
        reader.close()
        store.close()
