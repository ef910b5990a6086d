"""Watchlists and their alerts (issue 18): ``watchlist_entries``, the identifiers each analyst
watches (lista de vigilancia), and ``watchlist_alerts``, one per entry and partner found to
hold it (alerta), with the state of its webhook delivery."""

import sqlalchemy as sa
from alembic import op

revision = "0022_watchlists"
down_revision = "0020_job_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the two tables and their indexes."""
    op.create_table(
        "watchlist_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
    )
    op.create_index(
        "ix_watchlist_entries_owner_kind_key",
        "watchlist_entries",
        ["owner", "kind", "key"],
        unique=True,
    )
    op.create_table(
        "watchlist_alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.Integer, nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("handles", sa.Text, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("raised_at", sa.String(32), nullable=False),
        sa.Column("webhook_sent_at", sa.String(32), nullable=True),
        sa.Column("webhook_attempts", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index(
        "ix_watchlist_alerts_entry_partner",
        "watchlist_alerts",
        ["entry_id", "partner"],
        unique=True,
    )
    op.create_index(
        "ix_watchlist_alerts_owner", "watchlist_alerts", ["owner", "raised_at"], unique=False
    )


def downgrade() -> None:
    """Drop them, alerts and entries."""
    op.drop_index("ix_watchlist_alerts_owner", table_name="watchlist_alerts")
    op.drop_index("ix_watchlist_alerts_entry_partner", table_name="watchlist_alerts")
    op.drop_table("watchlist_alerts")
    op.drop_index("ix_watchlist_entries_owner_kind_key", table_name="watchlist_entries")
    op.drop_table("watchlist_entries")
