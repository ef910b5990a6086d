"""Engines for the two supported databases: SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from enlace.store.errors import DatabaseUnavailable, TextRefused

_TABLE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)
# An execution option: the rows of this statement hold only texts already checked for NUL
# (record versions, by StoredVersion.of, and what is derived from them), so the guard need
# not look at each value again; an import writes millions of them.
TEXT_CHECKED = "enlace_text_checked"
_POSITIONAL = (tuple, list)


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
        event.listen(engine, "before_cursor_execute", _refuse_nul)
        return engine
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(parsed, pool_pre_ping=True)
        event.listen(engine, "before_cursor_execute", _refuse_nul)
        return engine
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
    # A page cache of 64 MiB per connection rather than SQLite's 2 MiB: at millions of records
    # an import's inserts land all over the indexes (identifiers, search, newest-first), and
    # with 2 MiB nearly every one re-reads its pages from the file. Memory is taken only as
    # pages are read.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _refuse_nul(
    _connection: Any,
    _cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    """Refuse a NUL character (U+0000) in any text about to be written, on every store.

    PostgreSQL refuses NUL in text with a DataError deep in a write; SQLite keeps it, and a
    node moved to PostgreSQL would then fail on its own data. Every write of every table
    passes here, whichever way in (an import, a web form, a partner's page): one check,
    before the database is asked, with one typed error (enlace.store.errors.TextRefused).
    Reads pass unchecked: a query for a text with NUL simply finds nothing.
    """
    if not parameters or statement.lstrip()[:6].upper() not in ("INSERT", "UPDATE"):
        return
    if context is not None and context.execution_options.get(TEXT_CHECKED):
        return
    rows: Sequence[Any] = parameters if executemany else (parameters,)
    for row in rows:
        # Positional rows (tuples, lists) are the bulk writes: told apart without isinstance.
        values = (
            row
            if row.__class__ in _POSITIONAL
            else (row.values() if isinstance(row, Mapping) else row)
        )
        for value in values:
            if value.__class__ is str and "\x00" in value:
                found = _TABLE.match(statement)
                raise TextRefused(found.group(1) if found else "the store", value)
