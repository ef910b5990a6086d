"""The node's writer lock: what makes two writing transactions take turns.

Two things must never be decided by two writers from the same stale read: the audit log's
newest entry (both would chain to it and fork the log) and a record's newest version (both
would mark theirs newest, and the lists, counts and search would show two). Both are read
and written only while holding this lock, taken inside the caller's transaction and released
when it commits or rolls back.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

# PostgreSQL: a transaction-level advisory lock in a fixed namespace ("enla") keyed by a hash
# of the current schema, so that nodes sharing one database in different schemas do not wait
# for each other. A hash collision only makes two nodes share a lock (waiting, never a fork).
# Taking it again in the same transaction costs one round trip and changes nothing.
_PG_NAMESPACE = 0x656E6C61
_PG_LOCK = text(f"SELECT pg_advisory_xact_lock({_PG_NAMESPACE}, hashtext(current_schema()::text))")
# SQLite: a write statement takes the database's single write lock, held until the
# transaction ends. This one matches no row (seq is never negative) but still takes the lock.
_SQLITE_LOCK = text("UPDATE audit_log SET seq = seq WHERE seq < 0")


def take_writer_lock(connection: Connection) -> None:
    """Wait for the node's writer lock and hold it until the caller's transaction ends.

    Read what the decision depends on only after this returns: on PostgreSQL (READ
    COMMITTED) each statement then sees what the previous holder committed.
    """
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(_PG_LOCK)
    elif dialect == "sqlite":
        # The driver opens the transaction (deferred) at the first write statement, which
        # takes the write lock (waiting up to the busy timeout). Reading first and writing
        # after would let another writer commit in between, so take the lock with a write
        # that changes nothing, then read.
        connection.execute(_SQLITE_LOCK)
