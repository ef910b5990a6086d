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


class DatabaseUnavailable(StoreError):
    """The database URL cannot be opened."""


class AuditError(ValueError):
    """An audit entry cannot be written as asked (a bad actor or action name, a detail that
    is not JSON); the message says what was wrong."""
