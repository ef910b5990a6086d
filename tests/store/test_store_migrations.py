"""Migrations bring any database, SQLite or PostgreSQL, to the schema the tables describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from enlace.store.schema import schema_is_current, upgrade_schema
from enlace.store.store import Store
from enlace.store.tables import metadata

TABLES = {
    "records",
    "record_identifiers",
    "node_settings",
    "audit_log",
    "partners",
    "releases",
    "release_counters",
    "outbound_statements",
    "sequence_gaps",
    "revocations",
    "consents",
    "sync_cursors",
    "record_signatures",
    "cbp_drug_seizures",
    "match_agreements",
    "match_runs",
    "match_handles",
    "matches",
    "hit_notices",
    "disclosure_requests",
    "users",
    "user_roles",
    "api_tokens",
    "web_sessions",
    "login_failures",
}


def _table_names(store: Store) -> set[str]:
    return set(inspect(store.engine).get_table_names())


def test_fresh_database_has_no_schema_until_upgraded(store_url: str, database: str) -> None:
    store = Store.open(store_url, migrate=False)
    try:
        assert store.dialect == database
        assert _table_names(store) == set()
        assert not schema_is_current(store.engine)
        upgrade_schema(store.engine)
        assert _table_names(store) == TABLES | {"alembic_version"}
        assert schema_is_current(store.engine)
    finally:
        store.close()


def test_open_migrates_by_default(store: Store) -> None:
    assert schema_is_current(store.engine)
    assert _table_names(store) >= TABLES


def test_upgrading_twice_is_harmless_and_keeps_data(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.settings.set_if_absent("party", "MX")
        uow.commit()
    upgrade_schema(store.engine)
    upgrade_schema(store.engine)
    assert schema_is_current(store.engine)
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    with store.unit_of_work() as uow:
        assert uow.settings.get("party") == "MX"


def test_reopening_a_migrated_database_changes_nothing(store_url: str) -> None:
    for _ in range(2):
        store = Store.open(store_url)
        try:
            assert schema_is_current(store.engine)
        finally:
            store.close()


def test_migrations_match_the_table_definitions(store: Store) -> None:
    # The migration creates what tables.py declares: no column, index or key is missing.
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
