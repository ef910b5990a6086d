"""A node's store: an engine plus a factory of units of work."""

from __future__ import annotations

from sqlalchemy import Engine

from enlace.store.engine import create_store_engine
from enlace.store.schema import upgrade_schema
from enlace.store.unit_of_work import UnitOfWork

# Rows written by one bulk step (an import, a release, a sync) past which the step tells
# PostgreSQL's planner of them at once (refresh_planner_statistics) instead of waiting for
# autovacuum, which may be minutes away or, on some servers, off.
BULK_ROWS = 50_000


class Store:
    """The database of one node. Built explicitly; nothing happens at import."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Open the database at `url`, bringing its schema up to date unless told not to."""
        store = cls(create_store_engine(url))
        if migrate:
            upgrade_schema(store.engine)
        return store

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def unit_of_work(self, *, bulk: bool = False) -> UnitOfWork:
        """A new unit of work on this store; `bulk` for one that writes a great many rows."""
        return UnitOfWork(self.engine, bulk=bulk)

    def refresh_planner_statistics(self) -> None:
        """After a bulk load on PostgreSQL, ANALYZE the record tables so the planner picks
        their indexes (autovacuum would, a while later). SQLite plans without statistics."""
        if self.dialect != "postgresql":
            return
        with self.engine.begin() as connection:
            connection.exec_driver_sql(
                "ANALYZE records, record_identifiers, record_search, record_counts, record_links, "
                "map_counts, releases"
            )

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()
