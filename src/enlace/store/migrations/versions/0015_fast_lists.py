"""What the records lists need kept ready at millions of records (issue 20).

- ``records.latest``: true on the newest version of each id, with partial indexes over the
  newest versions for the list's orders (modified; kind, modified; owner, modified).
- ``record_counts``: newest records per (kind, owner).
- ``record_search``: the full-text index of the newest versions (FTS5 on SQLite; a tsvector
  column with a GIN index on PostgreSQL), see enlace.store.search_index.

A node that already holds records has them filled here, in batches of ids (each batch one
statement over a range of the primary key), so the memory used does not grow with the node.
"""

import orjson
import sqlalchemy as sa
from alembic import op

from enlace.store.search_index import SQLITE_TABLE, replace_texts, searchable_text

revision = "0015_fast_lists"
down_revision = "0014_tracking_review"
branch_labels = None
depends_on = None

_BATCH = 5_000
_NEWEST = sa.text("latest = true")


def upgrade() -> None:
    """Add the marker, the indexes, the counts and the search index; fill them."""
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    op.add_column(
        "records", sa.Column("latest", sa.Boolean, nullable=False, server_default=sa.false())
    )
    _mark_newest(connection)
    newest = sa.text("latest = 1") if sqlite else _NEWEST
    for name, columns in (
        ("ix_records_latest_modified", ["modified", "id"]),
        ("ix_records_latest_kind", ["kind", "modified", "id"]),
        ("ix_records_latest_owner", ["owner", "modified", "id"]),
    ):
        op.create_index(name, "records", columns, sqlite_where=newest, postgresql_where=newest)
    op.create_table(
        "record_counts",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(2), nullable=False),
        sa.Column("records", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("kind", "owner", name="pk_record_counts"),
    )
    op.execute(
        "INSERT INTO record_counts (kind, owner, records) "
        f"SELECT kind, owner, count(*) FROM records WHERE {newest} GROUP BY kind, owner"
    )
    if sqlite:
        op.execute(
            f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5(record_id UNINDEXED, body, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE TABLE record_search (record_id VARCHAR(128) NOT NULL, "
            "body TSVECTOR NOT NULL, CONSTRAINT pk_record_search PRIMARY KEY (record_id))"
        )
    _fill_search(connection, newest)
    if not sqlite:
        # Built once over the filled table: faster than growing it row by row.
        op.execute("CREATE INDEX ix_record_search_body ON record_search USING gin (body)")


def _mark_newest(connection: sa.Connection) -> None:
    # One range of ids at a time: the boundary of the next range, then one UPDATE over it.
    after = ""
    while True:
        bound = connection.execute(
            sa.text(
                "SELECT max(id) FROM (SELECT DISTINCT id FROM records WHERE id > :after "
                "ORDER BY id LIMIT :n) batch"
            ),
            {"after": after, "n": _BATCH},
        ).scalar()
        if bound is None:
            return
        connection.execute(
            sa.text(
                "UPDATE records SET latest = true WHERE id > :after AND id <= :bound "
                "AND NOT EXISTS (SELECT 1 FROM records newer WHERE newer.id = records.id "
                "AND newer.modified > records.modified)"
            ),
            {"after": after, "bound": bound},
        )
        after = bound


def _fill_search(connection: sa.Connection, newest: sa.TextClause) -> None:
    after = ""
    while True:
        rows = connection.execute(
            sa.text(
                f"SELECT id, stix FROM records WHERE {newest} AND id > :after ORDER BY id LIMIT :n"
            ),
            {"after": after, "n": _BATCH},
        ).all()
        if not rows:
            return
        texts = [(row[0], searchable_text(orjson.loads(row[1]))) for row in rows]
        replace_texts(connection, texts, replacing=())
        after = rows[-1][0]


def downgrade() -> None:
    """Drop the search index, the counts, the indexes and the marker."""
    op.execute("DROP TABLE record_search")
    op.drop_table("record_counts")
    for name in ("ix_records_latest_owner", "ix_records_latest_kind", "ix_records_latest_modified"):
        op.drop_index(name, "records")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("latest")
