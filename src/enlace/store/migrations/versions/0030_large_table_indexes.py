"""Indexes for the large tables (issue 19), found by bench/explain_bench.py: at 3,000,000 rows
the matching page's list of matches (newest first) and of hit notices, a run's matches, the
dashboard's latest runs, the count of versions received from each partner (dashboard and
exchange page) and the records list filtered by agency each read a whole table on every view.

- ``ix_matches_found_at`` (found_at): the matches list, newest first, reads its page from the
  top of the index (the rest of the order sorts only the rows of one time, a run's).
- ``ix_matches_run`` (run_id, found_at, partner, kind): the list filtered by run, read in
  order within the run's range (with the found_at index alone, PostgreSQL's incremental sort
  walked past the run's rows to the end of the table looking for the next one of the run),
  and the count of each of the dashboard's latest runs, from the index alone.
- ``ix_hit_notices_at`` (at): the hit notices, newest first; the dashboard's latest runs of hit
  notices walk it down (their counts use the primary key, which starts with the run).
- ``ix_records_received_from`` (received_from), partial (received versions): the count of
  versions received from each partner from a small index (one entry per party and page, by
  deduplication on PostgreSQL), not a read of every version.
- ``ix_records_latest_agency`` (created_by_ref), partial (newest versions): the records list
  filtered by the authoring agency, counted and paged from it (a small agency's records were
  found by reading every record).
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_large_table_indexes"
down_revision = "0029_name_key_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the indexes."""
    op.create_index("ix_matches_found_at", "matches", ["found_at"])
    op.create_index("ix_matches_run", "matches", ["run_id", "found_at", "partner", "kind"])
    op.create_index("ix_hit_notices_at", "hit_notices", ["at"])
    received = sa.text("received_from IS NOT NULL")
    op.create_index(
        "ix_records_received_from",
        "records",
        ["received_from"],
        sqlite_where=received,
        postgresql_where=received,
    )
    # The same literal as the other partial indexes of newest versions (SQLite's 1, so its
    # planner sees that the list's condition implies it).
    newest = sa.text("latest = 1" if op.get_bind().dialect.name == "sqlite" else "latest = true")
    op.create_index(
        "ix_records_latest_agency",
        "records",
        ["created_by_ref"],
        sqlite_where=newest,
        postgresql_where=newest,
    )


def downgrade() -> None:
    """Drop them (the pages still work, reading the whole tables)."""
    op.drop_index("ix_records_latest_agency", table_name="records")
    op.drop_index("ix_records_received_from", table_name="records")
    op.drop_index("ix_hit_notices_at", table_name="hit_notices")
    op.drop_index("ix_matches_run", table_name="matches")
    op.drop_index("ix_matches_found_at", table_name="matches")
