"""The unit of work: one transaction, the only place in Enlace that commits."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, RootTransaction

from enlace.model.timestamps import format_timestamp, utc_now
from enlace.store.repositories import RecordRepository, SettingsRepository


class UnitOfWork:
    """`with uow: ...; uow.commit()` — leaving the block without commit rolls everything back."""

    records: RecordRepository
    settings: SettingsRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None

    def __enter__(self) -> Self:
        self._connection = self._engine.connect()
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
        finally:
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
