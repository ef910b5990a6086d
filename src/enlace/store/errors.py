"""Errors a user can meet at the store."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot do what was asked; the message says why and what to do."""


class VersionConflict(StoreError):
    """A record version (id + modified) already exists with different content."""

    def __init__(self, record_id: str, modified: str) -> None:
        self.record_id = record_id
        self.modified = modified
        super().__init__(
            f"record {record_id} version {modified} is already stored with different content; "
            "a changed record needs a new 'modified' time"
        )


class TextRefused(StoreError):
    """A text to be written holds a NUL character (U+0000), which no store keeps.

    PostgreSQL refuses NUL in text; SQLite would keep it. Refused on both, before the
    database is asked, so the same data is valid on either.
    """

    def __init__(self, table: str, value: str) -> None:
        self.table = table
        at = value.find("\x00")
        self.excerpt = value[max(at - 20, 0) : at + 20]
        super().__init__(
            f"a text for {table} holds a NUL character (U+0000) in {self.excerpt!r}: no store "
            "keeps NUL; expected text without it (remove it and try again)"
        )


class DatabaseUnavailable(StoreError):
    """The database URL cannot be opened."""


class AuditError(ValueError):
    """An audit entry cannot be written as asked (a bad actor or action name, a detail that
    is not JSON); the message says what was wrong."""
