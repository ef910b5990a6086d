"""Sync state per partner (the cursor) and the signatures of received record versions."""

import sqlalchemy as sa
from alembic import op

revision = "0004_sync"
down_revision = "0003_partners_releases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the sync_cursors and record_signatures tables."""
    op.create_table(
        "sync_cursors",
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("next_cursor", sa.Text),
        sa.Column("last_added", sa.String(32)),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("partner", name="pk_sync_cursors"),
    )
    op.create_table(
        "record_signatures",
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("modified", sa.String(32), nullable=False),
        sa.Column("signer_party", sa.String(2), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "modified", name="pk_record_signatures"),
    )


def downgrade() -> None:
    """Drop the sync_cursors and record_signatures tables."""
    op.drop_table("record_signatures")
    op.drop_table("sync_cursors")
