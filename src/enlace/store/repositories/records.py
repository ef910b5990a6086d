"""Repositories: typed reads and writes over one connection; they never commit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Row, Table, func, select, true

from enlace.store.dialect import (
    PLACEHOLDERS,
    insert_rows_ignoring_duplicates,
)
from enlace.store.errors import VersionConflict
from enlace.store.map_counts import (
    MAP_RECORD_KINDS,
    MapPlace,
    count_places,
    map_place_of_text,
    shift_map_counts,
)
from enlace.store.repositories.record_links import add_record_links
from enlace.store.repositories.settings import data_written
from enlace.store.repositories.writer_lock import take_writer_lock
from enlace.store.search_index import replace_texts
from enlace.store.tables import record_counts, record_identifiers, records
from enlace.store.versions import StoredRow, StoredVersion

_LOOKUP_CHUNK = 500  # stays under SQLite's bound-parameter limit
BULK_CACHE_KIB = 64 * 1024  # SQLite page cache while importing


class RecordRepository:
    """Record versions and their normalised identifiers."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name
        self._placeholder = PLACEHOLDERS[connection.dialect.paramstyle]
        # Boolean literals as each store writes them; SQLite's 1 is also what the partial
        # indexes of newest versions name, so its planner sees they apply.
        self._true, self._false = ("1", "0") if self._dialect == "sqlite" else ("true", "false")

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Settings for writing many rows in this unit of work, put back afterwards.

        SQLite gets a larger page cache, so the indexes of a big import stay in memory
        instead of being spilled and read back (a fixed size: memory does not grow with the
        import). PostgreSQL is told to use the indexes for the lookups of held versions:
        a table filled inside the running transaction has no statistics yet, so the planner
        would scan it whole for each batch.
        """
        if self._dialect == "sqlite":
            previous = int(self._connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
            self._connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            try:
                yield
            finally:
                self._connection.exec_driver_sql(f"PRAGMA cache_size = {previous}")
        else:
            # Lasts until the transaction ends, as the unit of work that asked for it does.
            self._connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            yield

    def _insert_many(
        self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> int:
        # Record versions and their identifiers: every text in them was checked for NUL
        # when the version was described for storage (StoredVersion.of).
        return insert_rows_ignoring_duplicates(
            self._connection, table, columns, rows, text_checked=True
        )

    def add(self, versions: Sequence[StoredVersion], *, added_at: str) -> int:
        """Store versions not held yet; return how many were new.

        A version already held with the same content is skipped (writing it twice is a
        no-op); with different content it raises VersionConflict and the caller's unit of
        work rolls everything back.
        """
        if not versions:
            return 0
        fresh: dict[tuple[str, str], StoredVersion] = {}
        newest: dict[str, StoredVersion] = {}  # the newest version of each id given
        for version in versions:
            key = (version.id, version.modified)
            earlier = fresh.setdefault(key, version)
            if earlier.content_digest != version.content_digest:
                raise VersionConflict(version.id, version.modified)
            held = newest.get(version.id)
            if held is None or version.modified > held.modified:
                newest[version.id] = version
        # The newest version held of each id, before writing: a version newer than it takes
        # the 'latest' marker (and its place in the counts and the search index), an older
        # one arriving late does not. One lookup by primary key per chunk of ids. Read under
        # the node's writer lock: two writers adding versions of one id at once (an import
        # and a sync, on PostgreSQL) would otherwise both read the same newest version and
        # both mark theirs newest. Writers append to the audit log in the same transaction
        # and wait for this lock there anyway; they now wait for it before the records.
        take_writer_lock(self._connection)
        before = self._newest_held(newest)
        promoted = {
            (v.id, v.modified): v
            for v in newest.values()
            if v.id not in before or v.modified > before[v.id][0]
        }
        # Insert first and look only when the database says some rows were there already:
        # an import of new records then costs no more lookups. A row already held is left
        # as it is (ON CONFLICT DO NOTHING), so the count says how many were new. A promoted
        # version is never one already held: it is newer than every held version of its id.
        added = self._insert_many(
            records,
            _RECORD_COLUMNS,
            [_record_values(v, added_at, key in promoted) for key, v in fresh.items()],
        )
        new: Iterable[StoredVersion] = fresh.values()
        if added != len(fresh):
            stored = self._stored_versions(record_id for record_id, _ in fresh)
            for key, version in fresh.items():
                digest, _ = stored[key]
                if digest != version.content_digest:
                    raise VersionConflict(version.id, version.modified)
            # Identifiers only for what this unit of work wrote, as if the held were skipped.
            new = [v for key, v in fresh.items() if stored[key][1] == added_at]
        identifier_rows = [
            (v.id, v.modified, kind, key) for v in new for kind, key in dict.fromkeys(v.identifiers)
        ]
        if identifier_rows:
            self._insert_many(record_identifiers, _IDENTIFIER_COLUMNS, identifier_rows)
        self._keep_newest(promoted.values(), before)
        add_record_links(self._connection, new)
        if added:
            data_written(self._connection)
        return added

    def _newest_held(self, ids: Iterable[str]) -> dict[str, tuple[str, str, str, bool]]:
        # id -> (modified, kind, owner, revoked) of the version marked newest, for the ids held.
        found: dict[str, tuple[str, str, str, bool]] = {}
        for chunk in _chunks(list(ids), _LOOKUP_CHUNK):
            # By id alone, the marker read from the row: with "latest = true" in the WHERE,
            # PostgreSQL planning inside an import's transaction (no statistics yet for the
            # rows it wrote) walked the whole newest-first partial index for every chunk —
            # quadratic: 120 s of a 100,000-record import. The primary key's (id, modified)
            # prefix answers "id IN (...)" in any case.
            sql = (
                "SELECT id, modified, kind, owner, latest, revoked FROM records WHERE id IN ("
                + ", ".join([self._placeholder] * len(chunk))
                + ")"
            )
            for row in self._connection.exec_driver_sql(sql, tuple(chunk)):
                if row[4]:
                    found[row[0]] = (row[1], row[2], row[3], bool(row[5]))
        return found

    def _keep_newest(
        self, promoted: Iterable[StoredVersion], before: Mapping[str, tuple[str, str, str, bool]]
    ) -> None:
        # The versions that became the newest of their id: the one they replace loses the
        # marker, the counts move from its (kind, owner) to theirs, the map's counts from its
        # place to theirs (unrevoked ones only), the search index takes their text. All in
        # the caller's transaction, so a rollback undoes it with them.
        promoted = list(promoted)
        if not promoted:
            return
        counts: dict[tuple[str, str], int] = {}
        places: dict[tuple[str, MapPlace], int] = {}
        demoted = []
        on_map: list[tuple[str, str]] = []  # replaced versions that may count on the map
        for version in promoted:
            counts[(version.kind, version.owner)] = counts.get((version.kind, version.owner), 0) + 1
            if not version.revoked:
                count_places(places, version.owner, version.map_place, 1)
            replaced = before.get(version.id)
            if replaced is not None:
                modified, kind, owner, revoked = replaced
                demoted.append((version.id, modified))
                counts[(kind, owner)] = counts.get((kind, owner), 0) - 1
                if kind in MAP_RECORD_KINDS and not revoked:
                    on_map.append((version.id, modified))
        for kind, owner, text in self._texts_of(on_map):
            count_places(places, owner, map_place_of_text(kind, text), -1)
        shift_map_counts(self._connection, places)
        p = self._placeholder
        if demoted:
            self._connection.exec_driver_sql(
                f"UPDATE records SET latest = {self._false} WHERE id = {p} AND modified = {p}",
                demoted,
            )
        changed = [(kind, owner, n) for (kind, owner), n in sorted(counts.items()) if n]
        if changed:
            self._connection.exec_driver_sql(
                f"INSERT INTO record_counts (kind, owner, records) VALUES ({p}, {p}, {p}) "
                "ON CONFLICT (kind, owner) DO UPDATE "
                "SET records = record_counts.records + excluded.records",
                changed,
            )
        replace_texts(
            self._connection,
            [(v.id, v.search_text) for v in promoted],
            replacing=[record_id for record_id, _ in demoted],
        )

    def _texts_of(self, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str, str]]:
        # (kind, owner, STIX text) of each given (id, modified) version: looked up by id
        # (the primary key's prefix, as _newest_held), only the versions asked for kept.
        wanted = set(keys)
        found: list[tuple[str, str, str]] = []
        for chunk in _chunks(sorted({record_id for record_id, _ in wanted}), _LOOKUP_CHUNK):
            sql = (
                "SELECT id, modified, kind, owner, stix FROM records WHERE id IN ("
                + ", ".join([self._placeholder] * len(chunk))
                + ")"
            )
            for row in self._connection.exec_driver_sql(sql, tuple(chunk)):
                if (row[0], row[1]) in wanted:
                    found.append((row[2], row[3], row[4]))
        return found

    def digests_of_versions(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Content digests of the given (id, modified) versions that are stored."""
        wanted = dict.fromkeys(keys)
        held = self.held_versions(record_id for record_id, _ in wanted)
        return {key: digest for key, digest in held.items() if key in wanted}

    def held_versions(self, ids: Iterable[str]) -> dict[tuple[str, str], str]:
        """(id, modified) -> content digest of every stored version of the given ids."""
        return {key: digest for key, (digest, _) in self._stored_versions(ids).items()}

    def _stored_versions(self, ids: Iterable[str]) -> dict[tuple[str, str], tuple[str, str]]:
        # (id, modified) -> (content digest, added_at) of every stored version of the ids.
        found: dict[tuple[str, str], tuple[str, str]] = {}
        # Filter on id (indexed, one parameter each): row-value IN lists are not portable
        # across every SQLite build.
        for chunk in _chunks(list(dict.fromkeys(ids)), _LOOKUP_CHUNK):
            sql = (
                "SELECT id, modified, content_digest, added_at FROM records WHERE id IN ("
                + ", ".join([self._placeholder] * len(chunk))
                + ")"
            )
            for row in self._connection.exec_driver_sql(sql, tuple(chunk)):
                found[(row[0], row[1])] = (row[2], row[3])
        return found

    def received_among(self, ids: Iterable[str]) -> dict[str, str]:
        """id -> the party it was received from, for each of `ids` this node holds as a
        partner's record (one lookup by primary key per chunk)."""
        found: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), _LOOKUP_CHUNK):
            sql = (
                "SELECT DISTINCT id, received_from FROM records WHERE received_from IS NOT NULL "
                "AND id IN (" + ", ".join([self._placeholder] * len(chunk)) + ")"
            )
            for row in self._connection.exec_driver_sql(sql, tuple(chunk)):
                found[row[0]] = row[1]
        return found

    def holdings_of(self, ids: Iterable[str]) -> dict[tuple[str, str], tuple[str, str, str | None]]:
        """(id, modified) -> (content digest, owner, received_from) of every stored version
        of the given ids: what a sync checks a page against, in one lookup by primary key."""
        found: dict[tuple[str, str], tuple[str, str, str | None]] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), _LOOKUP_CHUNK):
            sql = (
                "SELECT id, modified, content_digest, owner, received_from FROM records "
                "WHERE id IN (" + ", ".join([self._placeholder] * len(chunk)) + ")"
            )
            for row in self._connection.exec_driver_sql(sql, tuple(chunk)):
                found[(row[0], row[1])] = (row[2], row[3], row[4])
        return found

    def latest_digests(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """For each stored id: (modified, digest) of its newest version."""
        return latest_of(self.held_versions(ids))

    def latest(self, record_id: str) -> StoredRow | None:
        """The newest version of a record, or None."""
        row = self._connection.execute(
            _row_select().where(records.c.id == record_id).order_by(records.c.modified.desc())
        ).first()
        return _stored_row(row) if row else None

    def latest_among(self, ids: Iterable[str]) -> dict[str, StoredRow]:
        """id -> the newest version, for each of `ids` this node holds: one lookup by primary
        key per chunk of ids, however many there are (a release checks a batch's references
        with it)."""
        found: dict[str, StoredRow] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), _LOOKUP_CHUNK):
            # Every version of each id, the newest kept here: records have few versions, and
            # a plain IN list uses the primary key on every database.
            for row in self._connection.execute(_row_select().where(records.c.id.in_(chunk))):
                held = found.get(row.id)
                if held is None or row.modified > held.modified:
                    found[row.id] = _stored_row(row)
        return found

    def versions(self, record_id: str) -> list[StoredRow]:
        """Every stored version of a record, oldest first."""
        rows = self._connection.execute(
            _row_select().where(records.c.id == record_id).order_by(records.c.modified)
        )
        return [_stored_row(row) for row in rows]

    def iter_latest(self, *, kind: str | None = None, batch: int = 1000) -> Iterator[StoredRow]:
        """The newest version of every record (optionally of one kind), streamed by id."""
        query = _row_select().where(records.c.latest == true())
        if kind is not None:
            query = query.where(records.c.kind == kind)
        # yield_per on the statement, not the connection: on the connection it would stick
        # and turn every later statement into a server-side cursor.
        result = self._connection.execute(
            query.order_by(records.c.id).execution_options(yield_per=batch)
        )
        for row in result:
            yield _stored_row(row)

    def latest_after(
        self, after_id: str | None, *, limit: int = 1000, upto_id: str | None = None
    ) -> list[StoredRow]:
        """The newest versions of the first `limit` records whose id follows `after_id` (and,
        with `upto_id`, is not past it).

        One query per batch, each finished before it returns, so a caller may write between
        batches on the same connection (a streaming read could not). Every batch uses the
        primary key (id, modified): the cost does not grow with the batch's position.
        """
        query = _row_select().where(records.c.latest == true())
        if after_id is not None:
            query = query.where(records.c.id > after_id)
        if upto_id is not None:
            query = query.where(records.c.id <= upto_id)
        rows = self._connection.execute(query.order_by(records.c.id).limit(limit))
        return [_stored_row(row) for row in rows]

    def latest_id_after(self, after_id: str | None, *, skip: int) -> str | None:
        """The id of the record `skip` places after the first one whose id follows
        `after_id`, in id order (newest versions only); None when there are not that many:
        where a batch of `skip + 1` records ends, read from the primary key alone."""
        query = select(records.c.id).where(records.c.latest == true())
        if after_id is not None:
            query = query.where(records.c.id > after_id)
        found = self._connection.execute(query.order_by(records.c.id).offset(skip).limit(1))
        value = found.scalar_one_or_none()
        return None if value is None else str(value)

    def count_versions(self) -> int:
        """How many record versions are stored."""
        return int(self._connection.execute(select(func.count()).select_from(records)).scalar_one())

    def holdings(self) -> list[tuple[str, str, int]]:
        """(kind, owner, number of records), for 'what this node holds': read from the counts
        kept as versions are added, not counted."""
        rows = self._connection.execute(
            select(record_counts.c.kind, record_counts.c.owner, record_counts.c.records)
            .where(record_counts.c.records > 0)
            .order_by(record_counts.c.owner, record_counts.c.kind)
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


def latest_of(held: Mapping[tuple[str, str], str]) -> dict[str, tuple[str, str]]:
    """For each id in `held` (as `held_versions` returns it): (modified, digest) of the newest."""
    latest: dict[str, tuple[str, str]] = {}
    for (record_id, modified), digest in held.items():
        if record_id not in latest or modified > latest[record_id][0]:
            latest[record_id] = (modified, digest)
    return latest


_RECORD_COLUMNS = (
    "id",
    "modified",
    "stix_type",
    "kind",
    "owner",
    "created_by_ref",
    "tlp",
    "releasable_to",
    "handling",
    "evaluation",
    "revoked",
    "content_digest",
    "received_from",
    "added_at",
    "stix",
    "latest",
)
_IDENTIFIER_COLUMNS = ("record_id", "modified", "kind", "key")


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record_values(version: StoredVersion, added_at: str, latest: bool) -> tuple[Any, ...]:
    # In the order of _RECORD_COLUMNS: the version's own fields up to received_from, the
    # time it was added, its STIX text, whether it is the newest of its id.
    return (*version[:13], added_at, version[13], latest)


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


__all__ = ["RecordRepository"]
