"""Engines for the two supported databases: SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from enlace.store.errors import DatabaseUnavailable


def sqlite_url(path: str) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite+pysqlite:///{path}"


def create_store_engine(url: str) -> Engine:
    """Open an engine for `url`; SQLite files get WAL and foreign keys, PostgreSQL uses psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(
            f"database URL {url!r} is not valid: expected sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DB"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    raise DatabaseUnavailable(
        f"database {parsed.get_backend_name()!r} is not supported: use SQLite or PostgreSQL"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the web pages, a sync) go on while an import writes; NORMAL
    # synchronous is durable across application crashes in WAL mode, which is what we need.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Copy the log into the database every 16 MB rather than SQLite's 4 MB: a sync commits a
    # page at a time, and each copy rewrites the index pages every page touched, then syncs.
    cursor.execute("PRAGMA wal_autocheckpoint=4096")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
