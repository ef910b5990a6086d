"""Indexes for the exchange page's lists (issue 20): versions received, newest first (partial:
a node's own records are not in it), and releases by time.

Without them each view of the exchange page sorted every received version and every release
to show fifty: 1.5 s at a million records on SQLite, and growing with the node.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_exchange_list_indexes"
down_revision = "0017_record_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the two indexes."""
    received = sa.text("received_from IS NOT NULL")
    op.create_index(
        "ix_records_received",
        "records",
        ["added_at", "id", "modified"],
        sqlite_where=received,
        postgresql_where=received,
    )
    op.create_index("ix_releases_released_at", "releases", ["released_at", "record_id", "partner"])


def downgrade() -> None:
    """Drop them (the page still works, sorting every row per view)."""
    op.drop_index("ix_releases_released_at", table_name="releases")
    op.drop_index("ix_records_received", table_name="records")
