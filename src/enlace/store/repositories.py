"""Repositories: typed reads and writes over one connection; they never commit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, func, select

from enlace.store.dialect import insert_ignoring_duplicates
from enlace.store.errors import VersionConflict
from enlace.store.tables import node_settings, record_identifiers, records
from enlace.store.versions import StoredRow, StoredVersion

_LOOKUP_CHUNK = 500  # stays under SQLite's bound-parameter limit


class RecordRepository:
    """Record versions and their normalised identifiers."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name

    def add(self, versions: Sequence[StoredVersion], *, added_at: str) -> int:
        """Store versions not held yet; return how many were new.

        A version already held with the same content is skipped (writing it twice is a
        no-op); with different content it raises VersionConflict and the caller's unit of
        work rolls everything back.
        """
        if not versions:
            return 0
        held = self.digests_of_versions((v.id, v.modified) for v in versions)
        fresh: dict[tuple[str, str], StoredVersion] = {}
        for version in versions:
            key = (version.id, version.modified)
            known = held.get(key) or (fresh[key].content_digest if key in fresh else None)
            if known is None:
                fresh[key] = version
            elif known != version.content_digest:
                raise VersionConflict(version.id, version.modified)
        if not fresh:
            return 0
        self._connection.execute(
            insert_ignoring_duplicates(records, self._dialect),
            [_record_row(v, added_at) for v in fresh.values()],
        )
        identifier_rows = [
            {"record_id": v.id, "modified": v.modified, "kind": kind, "key": key}
            for v in fresh.values()
            for kind, key in dict.fromkeys(v.identifiers)
        ]
        if identifier_rows:
            self._connection.execute(
                insert_ignoring_duplicates(record_identifiers, self._dialect), identifier_rows
            )
        return len(fresh)

    def digests_of_versions(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Content digests of the given (id, modified) versions that are stored."""
        found: dict[tuple[str, str], str] = {}
        for chunk in _chunks(list(dict.fromkeys(keys)), _LOOKUP_CHUNK):
            # Filter on id (indexed, one parameter each) then match modified in Python:
            # row-value IN lists are not portable across every SQLite build.
            wanted = set(chunk)
            ids = list({record_id for record_id, _ in chunk})
            rows = self._connection.execute(
                select(records.c.id, records.c.modified, records.c.content_digest).where(
                    records.c.id.in_(ids)
                )
            )
            for record_id, modified, digest in rows:
                if (record_id, modified) in wanted:
                    found[(record_id, modified)] = digest
        return found

    def latest_digests(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """For each stored id: (modified, digest) of its newest version."""
        latest: dict[str, tuple[str, str]] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), _LOOKUP_CHUNK):
            rows = self._connection.execute(
                select(records.c.id, records.c.modified, records.c.content_digest).where(
                    records.c.id.in_(chunk)
                )
            )
            for record_id, modified, digest in rows:
                if record_id not in latest or modified > latest[record_id][0]:
                    latest[record_id] = (modified, digest)
        return latest

    def latest(self, record_id: str) -> StoredRow | None:
        """The newest version of a record, or None."""
        row = self._connection.execute(
            _row_select().where(records.c.id == record_id).order_by(records.c.modified.desc())
        ).first()
        return _stored_row(row) if row else None

    def versions(self, record_id: str) -> list[StoredRow]:
        """Every stored version of a record, oldest first."""
        rows = self._connection.execute(
            _row_select().where(records.c.id == record_id).order_by(records.c.modified)
        )
        return [_stored_row(row) for row in rows]

    def iter_latest(self, *, kind: str | None = None, batch: int = 1000) -> Iterator[StoredRow]:
        """The newest version of every record (optionally of one kind), streamed by id."""
        newest = (
            select(records.c.id.label("nid"), func.max(records.c.modified).label("nmod"))
            .group_by(records.c.id)
            .subquery()
        )
        query = _row_select().join(
            newest, and_(records.c.id == newest.c.nid, records.c.modified == newest.c.nmod)
        )
        if kind is not None:
            query = query.where(records.c.kind == kind)
        # yield_per on the statement, not the connection: on the connection it would stick
        # and turn every later statement into a server-side cursor.
        result = self._connection.execute(
            query.order_by(records.c.id).execution_options(yield_per=batch)
        )
        for row in result:
            yield _stored_row(row)

    def count_versions(self) -> int:
        """How many record versions are stored."""
        return int(self._connection.execute(select(func.count()).select_from(records)).scalar_one())

    def holdings(self) -> list[tuple[str, str, int]]:
        """(kind, owner, number of distinct records), for 'what this node holds'."""
        rows = self._connection.execute(
            select(records.c.kind, records.c.owner, func.count(func.distinct(records.c.id)))
            .group_by(records.c.kind, records.c.owner)
            .order_by(records.c.owner, records.c.kind)
        )
        return [(kind, owner, int(count)) for kind, owner, count in rows]

    def ids_with_identifier(self, kind: str, key: str) -> list[str]:
        """Ids of records holding the normalised identifier (kind, key)."""
        rows = self._connection.execute(
            select(record_identifiers.c.record_id)
            .where(record_identifiers.c.kind == kind, record_identifiers.c.key == key)
            .distinct()
            .order_by(record_identifiers.c.record_id)
        )
        return [row[0] for row in rows]

    def identifier_keys(self, kind: str) -> Iterator[tuple[str, str]]:
        """(record id, key) for every stored identifier of one kind."""
        rows = self._connection.execute(
            select(record_identifiers.c.record_id, record_identifiers.c.key)
            .where(record_identifiers.c.kind == kind)
            .distinct()
        )
        yield from rows


class SettingsRepository:
    """The node's own facts (party, creation time)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name

    def get(self, name: str) -> str | None:
        """A setting's value, or None."""
        row = self._connection.execute(
            select(node_settings.c.value).where(node_settings.c.name == name)
        ).first()
        return str(row[0]) if row else None

    def set_if_absent(self, name: str, value: str) -> str:
        """Set a setting unless it is set; return the value now held."""
        self._connection.execute(
            insert_ignoring_duplicates(node_settings, self._dialect),
            [{"name": name, "value": value}],
        )
        held = self.get(name)
        assert held is not None
        return held


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record_row(version: StoredVersion, added_at: str) -> dict[str, object]:
    return {
        "id": version.id,
        "modified": version.modified,
        "stix_type": version.stix_type,
        "kind": version.kind,
        "owner": version.owner,
        "created_by_ref": version.created_by_ref,
        "tlp": version.tlp,
        "releasable_to": version.releasable_to,
        "handling": version.handling,
        "evaluation": version.evaluation,
        "revoked": version.revoked,
        "content_digest": version.content_digest,
        "received_from": version.received_from,
        "added_at": added_at,
        "stix": version.stix,
    }


def _row_select() -> Any:
    return select(
        records.c.id,
        records.c.modified,
        records.c.kind,
        records.c.owner,
        records.c.tlp,
        records.c.releasable_to,
        records.c.handling,
        records.c.evaluation,
        records.c.revoked,
        records.c.received_from,
        records.c.added_at,
        records.c.stix,
    )


def _stored_row(row: Row[Any]) -> StoredRow:
    return StoredRow(
        id=row.id,
        modified=row.modified,
        kind=row.kind,
        owner=row.owner,
        tlp=row.tlp,
        releasable_to=tuple(row.releasable_to.split()),
        handling=row.handling,
        evaluation=row.evaluation,
        revoked=bool(row.revoked),
        received_from=row.received_from,
        added_at=row.added_at,
        stix=row.stix,
    )


__all__ = ["RecordRepository", "SettingsRepository"]
