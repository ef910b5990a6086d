"""What a pull sync keeps: the cursor per partner and the signature of each received version.

Both repositories write inside the caller's transaction and never commit: the sync stores a
page's records, their signatures and the advanced cursor in one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, select, update

from enlace.store.dialect import insert_ignoring_duplicates, insert_rows_ignoring_duplicates
from enlace.store.tables import record_signatures, sequence_gaps, sync_cursors


@dataclass(frozen=True, slots=True)
class SyncCursor:
    """Where the pull from one partner stands."""

    partner: str
    next_cursor: str | None  # the partner's opaque `next`, to resume from (None: the start)
    last_added: str | None  # date_added of the last version received
    updated_at: str
    sequence: int = 0  # protocol 2: the partner's sequence is verified up to this number
    highest: int = 0  # protocol 2: the highest number the partner declared


@dataclass(frozen=True, slots=True)
class SequenceGap:
    """A number of a partner's release sequence this node does not hold, and why."""

    partner: str
    sequence: int
    reason: str  # "missing" (dropped on the way) or the refusal reason
    subject: str | None  # the record id the signed manifest named, when known
    first_seen: str


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
        return SyncCursor(
            row.partner,
            row.next_cursor,
            row.last_added,
            row.updated_at,
            int(row.sequence or 0),
            int(row.highest or 0),
        )

    def all(self) -> list[SyncCursor]:
        """The position of the pull from every partner synced at least once."""
        rows = self._connection.execute(select(sync_cursors.c.partner)).scalars().all()
        return [cursor for p in sorted(rows) if (cursor := self.get(str(p))) is not None]

    def put(
        self,
        partner: str,
        *,
        next_cursor: str | None,
        last_added: str | None,
        updated_at: str,
        sequence: int | None = None,
        highest: int | None = None,
    ) -> None:
        """Store the position to resume the pull from `partner` at."""
        values: dict[str, object] = {
            "next_cursor": next_cursor,
            "last_added": last_added,
            "updated_at": updated_at,
        }
        if sequence is not None:
            values["sequence"] = sequence
        if highest is not None:
            values["highest"] = highest
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


class SequenceGapRepository:
    """The sequence_gaps table (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, gaps: Sequence[SequenceGap]) -> None:
        """Record numbers not held; one already recorded keeps its first_seen, takes the new
        reason."""
        if not gaps:
            return
        keys = {(gap.partner, gap.sequence) for gap in gaps}
        self.remove_many(keys)
        insert_rows_ignoring_duplicates(
            self._connection,
            sequence_gaps,
            ("partner", "sequence", "reason", "subject", "first_seen"),
            [(g.partner, g.sequence, g.reason, g.subject, g.first_seen) for g in gaps],
        )

    def remove_many(self, keys: set[tuple[str, int]]) -> int:
        """Forget the (partner, number) gaps that are now held; return how many were gaps."""
        removed = 0
        by_partner: dict[str, list[int]] = {}
        for partner, number in keys:
            by_partner.setdefault(partner, []).append(number)
        for partner, numbers in by_partner.items():
            for start in range(0, len(numbers), 500):
                removed += self._connection.execute(
                    delete(sequence_gaps).where(
                        sequence_gaps.c.partner == partner,
                        sequence_gaps.c.sequence.in_(numbers[start : start + 500]),
                    )
                ).rowcount
        return removed

    def of(self, partner: str, *, limit: int | None = None) -> list[SequenceGap]:
        """The gaps of `partner`'s sequence, lowest number first."""
        query = (
            select(sequence_gaps)
            .where(sequence_gaps.c.partner == partner)
            .order_by(sequence_gaps.c.sequence)
        )
        if limit is not None:
            query = query.limit(limit)
        return [
            SequenceGap(row.partner, int(row.sequence), row.reason, row.subject, row.first_seen)
            for row in self._connection.execute(query)
        ]

    def counts(self, partner: str) -> dict[str, int]:
        """How many numbers of `partner`'s sequence are not held, by reason."""
        query = (
            select(sequence_gaps.c.reason, func.count())
            .where(sequence_gaps.c.partner == partner)
            .group_by(sequence_gaps.c.reason)
        )
        return {str(reason): int(n) for reason, n in self._connection.execute(query)}

    def clear(self, partner: str) -> None:
        """Forget every gap of `partner` (a sync from the start finds them again)."""
        self._connection.execute(delete(sequence_gaps).where(sequence_gaps.c.partner == partner))
