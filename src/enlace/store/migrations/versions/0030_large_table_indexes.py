"""Indexes for matching results at 10,000,000 rows (issue 19), found by bench/explain_bench.py:
the matching page's list of matches (newest first) and of hit notices, a run's matches, and the
dashboard's latest runs each read the whole table and sorted or grouped it on every view.

- ``ix_matches_found_at`` (found_at): the matches list, newest first, reads its page from the
  top of the index (the rest of the order sorts only the rows of one time, a run's).
- ``ix_matches_run`` (run_id, partner, kind): the list filtered by run, and the count of each
  of the dashboard's latest runs, from the index alone.
- ``ix_hit_notices_at`` (at): the hit notices, newest first; the dashboard's latest runs of hit
  notices walk it down (their counts use the primary key, which starts with the run).
"""

from alembic import op

revision = "0030_large_table_indexes"
down_revision = "0028_blinding_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the indexes."""
    op.create_index("ix_matches_found_at", "matches", ["found_at"])
    op.create_index("ix_matches_run", "matches", ["run_id", "partner", "kind"])
    op.create_index("ix_hit_notices_at", "hit_notices", ["at"])


def downgrade() -> None:
    """Drop them (the pages still work, reading the whole tables)."""
    op.drop_index("ix_hit_notices_at", table_name="hit_notices")
    op.drop_index("ix_matches_run", table_name="matches")
    op.drop_index("ix_matches_found_at", table_name="matches")
