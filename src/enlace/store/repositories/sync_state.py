"""What a pull sync keeps: the cursor per partner and the signature of each received version.

Both repositories write inside the caller's transaction and never commit: the sync stores a
page's records, their signatures and the advanced cursor in one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select, update

from enlace.store.dialect import insert_ignoring_duplicates, insert_rows_ignoring_duplicates
from enlace.store.tables import record_signatures, sync_cursors


@dataclass(frozen=True, slots=True)
class SyncCursor:
    """Where the pull from one partner stands."""

    partner: str
    next_cursor: str | None  # the partner's opaque `next`, to resume from (None: the start)
    last_added: str | None  # date_added of the last version received
    updated_at: str


@dataclass(frozen=True, slots=True)
class ReceivedSignature:
    """The owner node's signature of one received record version."""

    record_id: str
    modified: str
    signer_party: str
    signature: str
    received_at: str


class SyncCursorRepository:
    """The sync_cursors table (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, partner: str) -> SyncCursor | None:
        """The stored position of the pull from `partner`, or None before the first page."""
        row = self._connection.execute(
            select(sync_cursors).where(sync_cursors.c.partner == partner)
        ).first()
        if row is None:
            return None
        return SyncCursor(row.partner, row.next_cursor, row.last_added, row.updated_at)

    def put(
        self, partner: str, *, next_cursor: str | None, last_added: str | None, updated_at: str
    ) -> None:
        """Store the position to resume the pull from `partner` at."""
        values = {"next_cursor": next_cursor, "last_added": last_added, "updated_at": updated_at}
        changed = self._connection.execute(
            update(sync_cursors).where(sync_cursors.c.partner == partner).values(**values)
        ).rowcount
        if not changed:
            self._connection.execute(
                insert_ignoring_duplicates(sync_cursors, self._connection.dialect.name),
                [{"partner": partner, **values}],
            )


class RecordSignatureRepository:
    """The record_signatures table (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, signatures: Sequence[ReceivedSignature]) -> None:
        """Store signatures; one already held for the same version is left as it is."""
        if not signatures:
            return
        insert_rows_ignoring_duplicates(
            self._connection,
            record_signatures,
            ("record_id", "modified", "signer_party", "signature", "received_at"),
            [
                (s.record_id, s.modified, s.signer_party, s.signature, s.received_at)
                for s in signatures
            ],
        )

    def get(self, record_id: str, modified: str) -> ReceivedSignature | None:
        """The signature received with that version, or None."""
        row = self._connection.execute(
            select(record_signatures).where(
                record_signatures.c.record_id == record_id,
                record_signatures.c.modified == modified,
            )
        ).first()
        if row is None:
            return None
        return ReceivedSignature(
            row.record_id, row.modified, row.signer_party, row.signature, row.received_at
        )

    def count(self, signer_party: str | None = None) -> int:
        """How many signatures are stored (of one signer, when given)."""
        query = select(func.count()).select_from(record_signatures)
        if signer_party is not None:
            query = query.where(record_signatures.c.signer_party == signer_party)
        return int(self._connection.execute(query).scalar_one())
