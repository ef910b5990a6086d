"""The append-only, hash-chained audit log."""

import sqlalchemy as sa
from alembic import op

revision = "0002_audit_log"
down_revision = "0001_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the audit log table."""
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.Text),
        sa.Column("detail", sa.Text),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
    )


def downgrade() -> None:
    """Drop the audit log table (and with it the node's evidence: only for development)."""
    op.drop_table("audit_log")
