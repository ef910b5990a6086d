"""Communiqués kept for review, as stored: the proposal and the decisions taken so far.

What a decision means (which records it writes) is decided by `enlace.tracking.review`;
this only keeps the rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from enlace.store.tables import tracking_documents


@dataclass(frozen=True, slots=True)
class TrackingDocumentRow:
    """One communiqué read for review."""

    content_sha256: str
    source_document: str
    proposal: dict[str, Any]
    decisions: dict[str, dict[str, Any]]
    added_at: str
    updated_at: str


class TrackingDocumentRepository:
    """The tracking_documents table, inside the caller's transaction (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, content_sha256: str) -> TrackingDocumentRow | None:
        """The document whose text has this digest, if it was read before."""
        query = select(tracking_documents).where(
            tracking_documents.c.content_sha256 == content_sha256
        )
        row = self._connection.execute(query).mappings().first()
        return _row(row) if row is not None else None

    def all(self) -> list[TrackingDocumentRow]:
        """Every document read for review, oldest first."""
        query = select(tracking_documents).order_by(
            tracking_documents.c.added_at, tracking_documents.c.content_sha256
        )
        return [_row(row) for row in self._connection.execute(query).mappings()]

    def put(self, row: TrackingDocumentRow) -> None:
        """Insert the document, or replace its decisions (and proposal) if held."""
        values = {
            "source_document": row.source_document,
            "proposal": json.dumps(row.proposal, ensure_ascii=False, sort_keys=True),
            "decisions": json.dumps(row.decisions, ensure_ascii=False, sort_keys=True),
            "updated_at": row.updated_at,
        }
        table = tracking_documents
        if self.get(row.content_sha256) is None:
            self._connection.execute(
                insert(table).values(
                    content_sha256=row.content_sha256, added_at=row.added_at, **values
                )
            )
        else:
            self._connection.execute(
                update(table).where(table.c.content_sha256 == row.content_sha256).values(**values)
            )


def _row(row: Any) -> TrackingDocumentRow:
    return TrackingDocumentRow(
        content_sha256=row["content_sha256"],
        source_document=row["source_document"],
        proposal=json.loads(row["proposal"]),
        decisions=json.loads(row["decisions"]),
        added_at=row["added_at"],
        updated_at=row["updated_at"],
    )
