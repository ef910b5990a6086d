"""The unit of work: one transaction, the only place in Enlace that commits.

It holds every repository of the node, and the audit log, as attributes built on the
transaction's connection (`uow.records`, `uow.partners`, `uow.audit`, ...): a use case reaches
the store only through them, and a building block handed a unit of work never commits it.
"""

from __future__ import annotations

import sqlite3
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy import Connection, Engine, RootTransaction

from enlace.model.timestamps import format_timestamp, utc_now
from enlace.store.repositories.agreements import AgreementRepository
from enlace.store.repositories.api_tokens import ApiTokenRepository
from enlace.store.repositories.audit import AuditLog
from enlace.store.repositories.audit_tree import AuditTree
from enlace.store.repositories.disclosures import DisclosureRepository
from enlace.store.repositories.handles import HandleRepository
from enlace.store.repositories.login_failures import LoginFailureRepository
from enlace.store.repositories.match_runs import MatchRunRepository
from enlace.store.repositories.matches import MatchRepository
from enlace.store.repositories.operations import OperationRepository
from enlace.store.repositories.partners import PartnerRepository
from enlace.store.repositories.records import RecordRepository
from enlace.store.repositories.refused_requests import RefusedRequestRepository
from enlace.store.repositories.releases import ReleaseRepository
from enlace.store.repositories.rendered_reports import RenderedReportRepository
from enlace.store.repositories.settings import SettingsRepository
from enlace.store.repositories.statements import ConsentRepository, RevocationRepository
from enlace.store.repositories.statistics import CbpStatisticsRepository
from enlace.store.repositories.sync_state import (
    RecordSignatureRepository,
    SequenceGapRepository,
    SyncCursorRepository,
)
from enlace.store.repositories.tracking_documents import TrackingDocumentRepository
from enlace.store.repositories.users import UserRepository
from enlace.store.repositories.watchlists import WatchlistRepository
from enlace.store.repositories.web_sessions import WebSessionRepository
from enlace.store.repositories.witness import WitnessRepository


class UnitOfWorkFactory(Protocol):
    """What a use case is given: something that opens units of work (a `Store`, or a fake
    store in memory in the tests)."""

    def unit_of_work(self, *, bulk: bool = False) -> UnitOfWork:
        """A new unit of work; `bulk` for one that writes a great many rows."""
        ...


class UnitOfWork:
    """`with uow: ...; uow.commit()` — leaving the block without commit rolls everything back."""

    records: RecordRepository
    settings: SettingsRepository
    partners: PartnerRepository
    releases: ReleaseRepository
    cursors: SyncCursorRepository
    signatures: RecordSignatureRepository
    gaps: SequenceGapRepository
    revocations: RevocationRepository
    consents: ConsentRepository
    agreements: AgreementRepository
    match_runs: MatchRunRepository
    handles: HandleRepository
    matches: MatchRepository
    disclosures: DisclosureRepository
    users: UserRepository
    web_sessions: WebSessionRepository
    api_tokens: ApiTokenRepository
    login_failures: LoginFailureRepository
    statistics: CbpStatisticsRepository
    audit: AuditLog
    audit_tree: AuditTree
    witness: WitnessRepository
    refused_requests: RefusedRequestRepository
    tracking_documents: TrackingDocumentRepository
    watchlists: WatchlistRepository
    operations: OperationRepository
    rendered_reports: RenderedReportRepository

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
        self._attach_repositories(self._connection)
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

    def _attach_repositories(self, connection: Connection) -> None:
        # Built on every entry: they are small objects holding the connection, nothing more.
        self.records = RecordRepository(connection)
        self.settings = SettingsRepository(connection)
        self.partners = PartnerRepository(connection)
        self.releases = ReleaseRepository(connection)
        self.cursors = SyncCursorRepository(connection)
        self.signatures = RecordSignatureRepository(connection)
        self.gaps = SequenceGapRepository(connection)
        self.revocations = RevocationRepository(connection)
        self.consents = ConsentRepository(connection)
        self.agreements = AgreementRepository(connection)
        self.match_runs = MatchRunRepository(connection)
        self.handles = HandleRepository(connection)
        self.matches = MatchRepository(connection)
        self.disclosures = DisclosureRepository(connection)
        self.users = UserRepository(connection)
        self.web_sessions = WebSessionRepository(connection)
        self.api_tokens = ApiTokenRepository(connection)
        self.login_failures = LoginFailureRepository(connection)
        self.statistics = CbpStatisticsRepository(connection)
        self.audit = AuditLog(connection)
        self.audit_tree = AuditTree(connection)
        self.witness = WitnessRepository(connection)
        self.refused_requests = RefusedRequestRepository(connection)
        self.tracking_documents = TrackingDocumentRepository(connection)
        self.watchlists = WatchlistRepository(connection)
        self.operations = OperationRepository(connection)
        self.rendered_reports = RenderedReportRepository(connection)

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
