"""What differs between SQLite and PostgreSQL, kept in one small place."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from enlace.store.engine import TEXT_CHECKED


def insert_ignoring_duplicates(table: Table, dialect_name: str) -> Insert:
    """An INSERT that leaves an existing row with the same primary key untouched."""
    if dialect_name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect_name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise ValueError(f"unsupported database dialect {dialect_name!r}")


PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def insert_rows_ignoring_duplicates(
    connection: Connection,
    table: Table,
    columns: tuple[str, ...],
    rows: Sequence[Any],
    *,
    text_checked: bool = False,
) -> int:
    """Insert positional `rows` as `insert_ignoring_duplicates` would; return how many were new.

    Plain driver statements with positional rows: an import or a sync writes hundreds of
    thousands of rows, and building a parameter dict per row through the SQL compiler costs
    more than the insert itself. `text_checked`: every text in `rows` was already checked
    for NUL (see enlace.store.engine.TEXT_CHECKED).
    """
    if not rows:
        return 0
    sql = _insert_sql(connection.dialect, table.name, columns)
    options = {TEXT_CHECKED: True} if text_checked else None
    return int(connection.exec_driver_sql(sql, list(rows), execution_options=options).rowcount)


@functools.lru_cache(maxsize=32)
def _insert_sql(dialect: Dialect, table: str, columns: tuple[str, ...]) -> str:
    # Both SQLite (3.24+) and PostgreSQL accept ON CONFLICT DO NOTHING: a row whose primary
    # key is already held is left untouched.
    quote = dialect.identifier_preparer.quote
    placeholder = PLACEHOLDERS[dialect.paramstyle]
    return (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([placeholder] * len(columns))}) ON CONFLICT DO NOTHING"
    )
