"""Migrations bring any database, SQLite or PostgreSQL, to the schema the tables describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from enlace.store.schema import schema_is_current, upgrade_schema
from enlace.store.store import Store
from enlace.store.tables import metadata

TABLES = {
    "rendered_reports",
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
    "audit_tree_nodes",
    "audit_tree_state",
    "audit_cosignatures",
    "witnessed_checkpoints",
    "audit_alerts",
    "operations",
    "operation_keys",
    "deconfliction_notices",
    "refused_requests",
    "tracking_documents",
    "record_counts",
    "record_search",
    "record_links",
    "map_counts",
    "watchlist_entries",
    "watchlist_alerts",
    "blinding_batches",
    "blinding_chunks",
    "name_key_batches",
    "name_key_chunks",
}
# FTS5 keeps a virtual table's index in tables of its own, named after it (SQLite only).
_FTS5_SHADOWS = {"data", "idx", "content", "docsize", "config"}


def _search_shadow(name: str) -> bool:
    return (
        name.startswith("record_search_") and name.removeprefix("record_search_") in _FTS5_SHADOWS
    )


# The job queue of PostgreSQL nodes (migration 0020): Procrastinate's tables, not declared in
# tables.py (enlace.jobs reaches them through Procrastinate only).
JOB_QUEUE_TABLES = {
    "procrastinate_events",
    "procrastinate_jobs",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
}


def _table_names(store: Store) -> set[str]:
    return {name for name in inspect(store.engine).get_table_names() if not _search_shadow(name)}


def test_fresh_database_has_no_schema_until_upgraded(store_url: str, database: str) -> None:
    store = Store.open(store_url, migrate=False)
    try:
        assert store.dialect == database
        assert _table_names(store) == set()
        assert not schema_is_current(store.engine)
        upgrade_schema(store.engine)
        queue = JOB_QUEUE_TABLES if database == "postgresql" else set()
        assert _table_names(store) == TABLES | {"alembic_version"} | queue
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
    # (The search index differs by store and is not declared there: see search_index.)
    def declared(name: str | None, kind: str, _parents: object) -> bool:
        return kind != "table" or not (
            name == "record_search" or _search_shadow(name or "") or name in JOB_QUEUE_TABLES
        )

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": declared})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_releases_made_before_sequencing_are_numbered_in_their_old_order(
    store_url: str,
) -> None:
    # A store of the previous schema (0009) with releases to two partners: the migration to
    # exchange protocol 2 numbers each partner's releases 1, 2, 3 ... in the order they were
    # served until then (released_at, record id, modified), and starts each counter there.
    from alembic import command
    from sqlalchemy import text

    from enlace.store.schema import _config

    store = Store.open(store_url, migrate=False)
    try:
        config = _config()
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0009_users")
        rows = [
            ("r-b", "2025-01-01T00:00:00.000000Z", "US", "2025-02-01T00:00:00.000000Z"),
            ("r-a", "2025-01-01T00:00:00.000000Z", "US", "2025-02-01T00:00:00.000000Z"),
            ("r-c", "2025-01-01T00:00:00.000000Z", "US", "2025-01-15T00:00:00.000000Z"),
            ("r-a", "2025-01-01T00:00:00.000000Z", "CA", "2025-03-01T00:00:00.000000Z"),
        ]
        with store.engine.begin() as connection:
            for record_id, modified, partner, at in rows:
                connection.execute(
                    text(
                        "INSERT INTO releases (record_id, modified, partner, released_at, "
                        "signature) VALUES (:r, :m, :p, :a, 'sig')"
                    ),
                    {"r": record_id, "m": modified, "p": partner, "a": at},
                )
        upgrade_schema(store.engine)
        with store.unit_of_work() as uow:
            numbered = {
                (row.partner, row.record_id): row.sequence
                for row in uow.connection.execute(
                    text("SELECT partner, record_id, sequence FROM releases")
                )
            }
            assert numbered == {
                ("US", "r-c"): 1,
                ("US", "r-a"): 2,
                ("US", "r-b"): 3,
                ("CA", "r-a"): 1,
            }
            assert uow.releases.highest("US") == 3
            assert uow.releases.highest("CA") == 1
            assert uow.releases.allocate("US", 2, "2026-01-01T00:00:00.000000Z")[0] == 4
    finally:
        store.close()


def test_accounts_from_before_the_password_rules_are_not_checked_yet_until_they_sign_in(
    store_url: str,
) -> None:
    # A store of the previous schema (0010) with an account whose password the old rules
    # accepted (10 characters, a common one): it keeps working after the migration, which
    # cannot know whether it meets the new rules; its first sign-in records that it does not.
    from alembic import command

    from enlace.store.schema import _config
    from enlace.users.accounts import get_user
    from enlace.users.authentication import authenticate
    from enlace.users.passwords import hash_password

    store = Store.open(store_url, migrate=False)
    try:
        config = _config()
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0010_sequenced_release")
        with store.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (username, display_name, language, password_hash, "
                    "disabled, created_at, password_changed_at) VALUES ('ana', 'Ana', 'es', "
                    ":hash, :no, '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')"
                ),
                {"hash": hash_password("password12"), "no": False},
            )
            connection.execute(text("INSERT INTO user_roles VALUES ('ana', 'analyst')"))
        upgrade_schema(store.engine)
        ana = get_user(store, "ana")
        assert ana is not None
        assert ana.password_meets_policy is None
        assert authenticate(store, "ana", "password12", client=None).user is not None
        assert get_user(store, "ana").password_meets_policy is False  # type: ignore[union-attr]
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0010_sequenced_release")
        columns = {column["name"] for column in inspect(store.engine).get_columns("users")}
        assert "password_meets_policy" not in columns
        upgrade_schema(store.engine)
        assert get_user(store, "ana").password_meets_policy is None  # type: ignore[union-attr]
    finally:
        store.close()


def test_the_tree_of_a_log_from_before_the_witnessed_audit_is_built_by_the_migration(
    store_url: str,
) -> None:
    # A store of schema 0011 whose log already holds 300 entries: after the migration the
    # tree holds them all, with the RFC 9162 root of their leaves, and grows from there.
    from alembic import command

    from enlace.store.repositories.audit import AuditItem
    from enlace.store.repositories.audit_tree import entry_leaf
    from enlace.store.schema import _config
    from enlace.transparency.merkle import root_of_leaf_hashes

    store = Store.open(store_url, migrate=False)
    try:
        config = _config()
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0011_password_policy")
        with store.engine.begin() as connection:
            # The log as 0011 wrote it: the chain alone (the tree's tables do not exist yet).
            from enlace.store.repositories.audit import chain_entries
            from enlace.store.tables import audit_log

            entries = chain_entries(
                [AuditItem("cli", "import", f"file-{n}.csv") for n in range(300)],
                after=None,
                at="2026-01-01T00:00:00.000000Z",
            )
            connection.execute(
                audit_log.insert(),
                [
                    {"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action,
                     "subject": e.subject, "detail": e.detail_json, "prev_hash": e.prev_hash,
                     "entry_hash": e.entry_hash}
                    for e in entries
                ],
            )  # fmt: skip
        upgrade_schema(store.engine)
        with store.unit_of_work() as uow:
            assert uow.audit_tree.size() == 300
            expected = root_of_leaf_hashes([entry_leaf(e.entry_hash) for e in entries])
            assert uow.audit_tree.root() == expected
            uow.audit.append(actor="cli", action="import")
            assert uow.audit_tree.check().ok
            assert uow.audit_tree.size() == 301
    finally:
        store.close()
