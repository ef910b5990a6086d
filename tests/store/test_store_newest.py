"""What the lists read instead of scanning: the newest-version marker, the counts per kind
and owner, the search index; kept by RecordRepository.add, filled by migration 0015."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text

from enlace.model.markings import Markings
from enlace.model.records import PhoneNumber, Record, Seizure, derived_id
from enlace.store.schema import _config, upgrade_schema
from enlace.store.search_index import fold_words, searchable_text
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from enlace.web.queries.describe import record_title
from enlace.web.queries.records import clean_filter, search_records
from support import timing

CREATED = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
SHARED = Markings.build(tlp="green", releasable_to="MX US", handling="H1", evaluation="B2")
_REAL_HOLDINGS = (
    "SELECT kind, owner, count(*) FROM records r WHERE NOT EXISTS (SELECT 1 FROM records n "
    "WHERE n.id = r.id AND n.modified > r.modified) GROUP BY kind, owner ORDER BY owner, kind"
)
_MARKED = "SELECT id, modified FROM records WHERE latest ORDER BY id"
_NEWEST = "SELECT id, max(modified) FROM records GROUP BY id ORDER BY id"  # what 'latest' must mark


def phone(number: str, *, owner: str = "MX", days: int = 0, note: str = "") -> PhoneNumber:
    return PhoneNumber.from_values(
        id=derived_id("enlace-phone-number", "newest", number),
        owner=owner,
        markings=SHARED,
        created=CREATED,
        modified=CREATED + timedelta(days=days),
        created_by_ref=None,
        values={"number": number, "description": note or f"línea de {owner}"},
    )


def seizure(key: str, *, owner: str = "US", days: int = 0) -> Seizure:
    return Seizure.from_values(
        id=derived_id("enlace-seizure", "newest", key),
        owner=owner,
        markings=SHARED,
        created=CREATED,
        modified=CREATED + timedelta(days=days),
        created_by_ref=None,
        values={
            "category": "drug",
            "drug_type": "fentanyl",
            "quantity": 12.5,
            "unit": "kg",
            "seizure_date": "2025-08-30",
            "state": "US-AZ",
        },
    )


def add(store: Store, *found: Record) -> None:
    with store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(r) for r in found], added_at=uow.started_at)
        uow.commit()


def real(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store.unit_of_work() as uow:
        return [tuple(row) for row in uow.connection.execute(text(sql))]


def holdings(store: Store) -> list[tuple[object, ...]]:
    with store.unit_of_work() as uow:
        return [tuple(row) for row in uow.records.holdings()]


def test_the_counts_equal_a_real_count_after_new_ids_and_new_versions(store: Store) -> None:
    add(store, phone("+526641234567"), phone("+525512345678"), seizure("a"))
    assert (
        holdings(store) == real(store, _REAL_HOLDINGS) == [("phone", "MX", 2), ("seizure", "US", 1)]
    )
    # New versions (one in the same batch as an even newer one), a late old one, new ids.
    add(
        store,
        phone("+526641234567", days=2),
        phone("+526641234567", days=3),
        phone("+525512345678", days=1),
        seizure("b", owner="MX"),
    )
    add(store, phone("+526641234567", days=1), seizure("a", days=4), seizure("a"))
    assert holdings(store) == real(store, _REAL_HOLDINGS)
    assert holdings(store) == [("phone", "MX", 2), ("seizure", "MX", 1), ("seizure", "US", 1)]
    assert real(store, _MARKED) == real(store, _NEWEST)


def test_a_failed_unit_of_work_leaves_marker_counts_and_search_as_they_were(store: Store) -> None:
    add(store, phone("+526641234567", note="primera"))
    with store.unit_of_work() as uow:
        uow.records.add(
            [StoredVersion.of(phone("+526641234567", days=1, note="segunda"))],
            added_at=uow.started_at,
        )
        # no commit: rolled back
    assert holdings(store) == [("phone", "MX", 1)]
    assert real(store, _MARKED) == real(store, _NEWEST)
    assert search_records(store, clean_filter({"q": "primera"})).total == 1
    assert search_records(store, clean_filter({"q": "segunda"})).total == 0


def _waiting_for_a_lock(store: Store) -> bool:
    # PostgreSQL shows a transaction waiting for a lock; SQLite does not (its writer waits
    # inside the driver, on the busy timeout).
    if store.engine.dialect.name != "postgresql":
        return False
    with store.engine.connect() as connection:
        return bool(
            connection.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar()
        )


def test_two_writers_adding_versions_of_one_record_at_once_leave_one_newest(store: Store) -> None:
    add(store, phone("+526641234567"))
    failures: list[BaseException] = []
    second_done = threading.Event()

    def second_writer() -> None:
        try:
            add(store, phone("+526641234567", days=2, note="segunda"))
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            second_done.set()

    with store.unit_of_work() as uow:
        uow.records.add(
            [StoredVersion.of(phone("+526641234567", days=1, note="primera"))],
            added_at=uow.started_at,
        )
        # The first writer has added its version and not committed; the second starts now.
        thread = threading.Thread(target=second_writer)
        thread.start()
        # Until the second writer waits for the lock (PostgreSQL shows it) or has finished
        # (what it did without the lock); on SQLite a short while, bounded.
        deadline = time.monotonic() + timing.timeout(30)
        patience = time.monotonic() + 1.0
        while not second_done.is_set() and not _waiting_for_a_lock(store):
            if time.monotonic() > deadline or (
                store.engine.dialect.name == "sqlite" and time.monotonic() > patience
            ):
                break
            time.sleep(0.01)
        uow.commit()
    thread.join(timeout=timing.timeout(60))
    assert not thread.is_alive()
    assert not failures, failures
    # One version marked newest, the newest one; the counts count the record once.
    assert real(store, _MARKED) == real(store, _NEWEST)
    assert holdings(store) == real(store, _REAL_HOLDINGS) == [("phone", "MX", 1)]
    assert search_records(store, clean_filter({"q": "segunda"})).total == 1
    assert search_records(store, clean_filter({"q": "primera"})).total == 0


def test_the_searchable_text_holds_every_word_of_the_title_and_no_markings() -> None:
    found = phone("+52 664 123 4567", note="Vista en Tijuana")
    obj = found.to_stix()
    words = searchable_text(obj).split()
    assert set(fold_words(record_title(obj))) <= set(words)
    assert {"vista", "tijuana", "526641234567"} <= set(words)
    assert not {"amber", "green", "h1", "b2"} & set(words)  # the markings are badges
    assert fold_words("José HERNÁNDEZ-López, Ñoño Straße Øster") == [
        "jose", "hernandez", "lopez", "nono", "strasse", "oster",
    ]  # fmt: skip


def test_the_migration_fills_marker_counts_and_search_for_an_existing_node(store_url: str) -> None:
    store = Store.open(store_url, migrate=False)
    try:
        config = _config()
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0014_tracking_review")
        versions = [
            StoredVersion.of(r)
            for r in (
                phone("+526641234567", note="Hernández"),
                phone("+526641234567", days=2, note="José Hernández"),
                phone("+525512345678", owner="MX"),
                seizure("a"),
                seizure("a", days=1),
                seizure("b", owner="MX"),
            )
        ]
        columns = (
            "id, modified, stix_type, kind, owner, created_by_ref, tlp, releasable_to, handling, "
            "evaluation, revoked, content_digest, received_from, added_at, stix"
        )
        names = [f"v{n}" for n in range(15)]
        with store.engine.begin() as connection:
            for version in versions:
                values = (*version[:13], "2025-09-10T00:00:00.000000Z", version.stix)
                connection.execute(
                    text(
                        f"INSERT INTO records ({columns}) VALUES "
                        f"({', '.join(':' + n for n in names)})"
                    ),
                    dict(zip(names, values, strict=True)),
                )
        upgrade_schema(store.engine)
        assert real(store, _MARKED) == real(store, _NEWEST)
        assert holdings(store) == real(store, _REAL_HOLDINGS)
        assert holdings(store) == [("phone", "MX", 2), ("seizure", "MX", 1), ("seizure", "US", 1)]
        found = search_records(store, clean_filter({"q": "jose hernandez"}))
        assert [row.id for row in found.rows] == [versions[0].id]
        assert search_records(store, clean_filter({"q": "fentanyl"})).total == 2
        # And the store goes on from there as if it had always had them.
        add(store, phone("+525512345678", days=5, note="José"))
        assert search_records(store, clean_filter({"q": "jose"})).total == 2
        assert holdings(store) == real(store, _REAL_HOLDINGS)
    finally:
        store.close()
