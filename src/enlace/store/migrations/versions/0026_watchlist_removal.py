"""Watchlist entries can be taken off the list (`removed_at`): a removed entry is no longer
checked nor listed, and the alerts it raised stay as they were (docs/watchlists.md)."""

import sqlalchemy as sa
from alembic import op

revision = "0026_watchlist_removal"
down_revision = "0025_trace_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column; every entry held is on its list."""
    with op.batch_alter_table("watchlist_entries") as table:
        table.add_column(sa.Column("removed_at", sa.String(32), nullable=True))


def downgrade() -> None:
    """Forget removals: the entries removed are deleted with the alerts they raised."""
    op.execute(
        "DELETE FROM watchlist_alerts WHERE entry_id IN "
        "(SELECT id FROM watchlist_entries WHERE removed_at IS NOT NULL)"
    )
    op.execute("DELETE FROM watchlist_entries WHERE removed_at IS NOT NULL")
    with op.batch_alter_table("watchlist_entries") as table:
        table.drop_column("removed_at")
