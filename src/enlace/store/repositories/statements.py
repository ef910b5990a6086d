"""Revocations (tombstones) and onward-release consents held by this node.

A tombstone says that the owner withdrew a record: its id, owner, time and reason, signed by
the owner's node, and nothing of its content. A consent says that the owner lets `holder`
pass one version of one of its records on to `recipient`. Both are kept with their canonical
JSON and the owner's signature, so either can be shown and checked again later.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from enlace.store.dialect import insert_rows_ignoring_duplicates
from enlace.store.map_counts import MAP_RECORD_KINDS, places_of_rows, shift_map_counts
from enlace.store.repositories.writer_lock import take_writer_lock
from enlace.store.tables import consents, records, revocations


@dataclass(frozen=True, slots=True)
class Revocation:
    """A record's tombstone, as held here."""

    record_id: str
    owner: str
    revoked_at: str
    reason: str
    statement: str
    signature: str
    received_from: str | None
    received_at: str


@dataclass(frozen=True, slots=True)
class Consent:
    """An owner's consent that `holder` pass version `modified` on to `recipient`."""

    record_id: str
    modified: str
    owner: str
    holder: str
    recipient: str
    statement: str
    signature: str
    received_from: str | None
    recorded_at: str


class RevocationRepository:
    """The revocations table (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, revocation: Revocation) -> bool:
        """Keep a tombstone and mark every held version of the record revoked; False when
        one was already held for that record (the first stands)."""
        if self.get(revocation.record_id) is not None:
            return False
        insert_rows_ignoring_duplicates(
            self._connection,
            revocations,
            (
                "record_id",
                "owner",
                "revoked_at",
                "reason",
                "statement",
                "signature",
                "received_from",
                "received_at",
            ),
            [
                (
                    revocation.record_id,
                    revocation.owner,
                    revocation.revoked_at,
                    revocation.reason,
                    revocation.statement,
                    revocation.signature,
                    revocation.received_from,
                    revocation.received_at,
                )
            ],
        )
        self.mark_revoked([revocation.record_id], revocation.owner)
        return True

    def mark_revoked(self, record_ids: list[str], owner: str) -> None:
        """Hold every version of these records of `owner` as revoked: never matched, counted
        or reported (those read `records.revoked`); their newest versions leave the seizure
        map's counts (`map_counts`)."""
        # Which version is newest and unrevoked is read under the writer lock, as
        # RecordRepository.add reads it: a version added at the same moment by another
        # writer would otherwise take the same count away a second time.
        take_writer_lock(self._connection)
        for start in range(0, len(record_ids), 500):
            chunk = record_ids[start : start + 500]
            # Their newest versions not revoked yet leave the seizure map's counts.
            newest = self._connection.execute(
                select(records.c.kind, records.c.owner, records.c.stix, records.c.latest).where(
                    records.c.id.in_(chunk),
                    records.c.owner == owner,
                    records.c.kind.in_(MAP_RECORD_KINDS),
                    records.c.revoked == False,  # noqa: E712 (SQL, not Python)
                )
            ).all()
            leaving = places_of_rows((r.kind, r.owner, r.stix) for r in newest if r.latest)
            shift_map_counts(self._connection, {key: -n for key, n in leaving.items()})
            self._connection.execute(
                update(records)
                .where(records.c.id.in_(chunk), records.c.owner == owner)
                .values(revoked=True)
            )

    def get(self, record_id: str) -> Revocation | None:
        """The tombstone held for `record_id`, or None."""
        row = self._connection.execute(
            select(revocations).where(revocations.c.record_id == record_id)
        ).first()
        if row is None:
            return None
        return Revocation(
            row.record_id,
            row.owner,
            row.revoked_at,
            row.reason,
            row.statement,
            row.signature,
            row.received_from,
            row.received_at,
        )

    def revoked_among(self, ids: list[str]) -> dict[str, str]:
        """Of these record ids, those with a tombstone held, and their owner."""
        found: dict[str, str] = {}
        # Tombstones are rare and every page of a sync asks: one probe of the table first
        # spares a thousand-id lookup per page while none is held.
        if (
            not ids
            or self._connection.execute(select(revocations.c.record_id).limit(1)).first() is None
        ):
            return found
        for start in range(0, len(ids), 500):
            query = select(revocations.c.record_id, revocations.c.owner).where(
                revocations.c.record_id.in_(ids[start : start + 500])
            )
            found.update((row.record_id, row.owner) for row in self._connection.execute(query))
        return found


class ConsentRepository:
    """The consents table (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, consent: Consent) -> bool:
        """Keep a consent; False when the same one (record, version, holder, recipient) is
        already held."""
        if self.find(consent.record_id, consent.modified, consent.holder, consent.recipient):
            return False
        insert_rows_ignoring_duplicates(
            self._connection,
            consents,
            (
                "record_id",
                "modified",
                "owner",
                "holder",
                "recipient",
                "statement",
                "signature",
                "received_from",
                "recorded_at",
            ),
            [
                (
                    consent.record_id,
                    consent.modified,
                    consent.owner,
                    consent.holder,
                    consent.recipient,
                    consent.statement,
                    consent.signature,
                    consent.received_from,
                    consent.recorded_at,
                )
            ],
        )
        return True

    def find(self, record_id: str, modified: str, holder: str, recipient: str) -> Consent | None:
        """The consent for that version, holder and recipient, or None."""
        row = self._connection.execute(
            select(consents).where(
                consents.c.record_id == record_id,
                consents.c.modified == modified,
                consents.c.holder == holder,
                consents.c.recipient == recipient,
            )
        ).first()
        return None if row is None else _consent(row)

    def of_record(self, record_id: str) -> list[Consent]:
        """Every consent held about `record_id`."""
        query = select(consents).where(consents.c.record_id == record_id)
        return [_consent(row) for row in self._connection.execute(query)]


def _consent(row: object) -> Consent:
    return Consent(
        row.record_id,  # type: ignore[attr-defined]
        row.modified,  # type: ignore[attr-defined]
        row.owner,  # type: ignore[attr-defined]
        row.holder,  # type: ignore[attr-defined]
        row.recipient,  # type: ignore[attr-defined]
        row.statement,  # type: ignore[attr-defined]
        row.signature,  # type: ignore[attr-defined]
        row.received_from,  # type: ignore[attr-defined]
        row.recorded_at,  # type: ignore[attr-defined]
    )
