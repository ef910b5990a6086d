"""The unit of work: one transaction, the only place in Enlace that commits."""

from __future__ import annotations

import sqlite3
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, RootTransaction

from enlace.model.timestamps import format_timestamp, utc_now
from enlace.store.repositories import RecordRepository, SettingsRepository


class UnitOfWork:
    """`with uow: ...; uow.commit()` — leaving the block without commit rolls everything back."""

    records: RecordRepository
    settings: SettingsRepository

    def __init__(self, engine: Engine, *, bulk: bool = False) -> None:
        self._engine = engine
        self._bulk = bulk
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._journal_switched = False

    def __enter__(self) -> Self:
        self._connection = self._engine.connect()
        if self._bulk and self._connection.dialect.name == "sqlite":
            self._journal_switched = _sqlite_journal(self._connection, "delete")
        self._transaction = self._connection.begin()
        self.records = RecordRepository(self._connection)
        self.settings = SettingsRepository(self._connection)
        # One timestamp per unit of work: everything it adds was "added" at the same moment.
        self.started_at = format_timestamp(utc_now())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self._transaction is not None and self._transaction.is_active:
                self._transaction.rollback()
            if self._journal_switched and self._connection is not None:
                _sqlite_journal(self._connection, "wal")
        finally:
            self._journal_switched = False
            if self._connection is not None:
                self._connection.close()
            self._connection = None
            self._transaction = None

    @property
    def connection(self) -> Connection:
        """The connection of this unit of work, for services that write inside its transaction
        (the audit log); they never commit it themselves."""
        if self._connection is None:
            raise RuntimeError("connection outside 'with uow:'")
        return self._connection

    def commit(self) -> None:
        """Make everything done in this unit of work permanent, at once."""
        if self._transaction is None:
            raise RuntimeError("commit() outside 'with uow:'")
        self._transaction.commit()
        assert self._connection is not None
        self._transaction = self._connection.begin()

    def rollback(self) -> None:
        """Discard everything done since the last commit."""
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()
            assert self._connection is not None
            self._transaction = self._connection.begin()


def _sqlite_journal(connection: Connection, mode: str) -> bool:
    """Put an SQLite store in journal `mode` outside any transaction; True if it now is.

    A bulk unit of work (a large import) writes in SQLite's rollback-journal mode: in WAL
    mode every page is written twice, once to the log and again when the log is copied
    into the database at commit, and for a large import that copy is a sixth of the time,
    with nothing else able to run meanwhile. Rollback-journal mode is as atomic: a crash
    leaves a journal that the next connection rolls back. SQLite changes the mode only
    when no other connection has the store open (a running `enlace serve`, say); then the
    unit of work stays in WAL mode, which is slower and lets readers go on.
    """
    cursor = connection.connection.cursor()  # the driver's own: no SQLAlchemy transaction
    try:
        row = cursor.execute(f"PRAGMA journal_mode={mode}").fetchone()
    except sqlite3.Error:  # the store is busy: leave the mode as it is
        return False
    finally:
        cursor.close()
    return bool(row) and str(row[0]).lower() == mode
