"""Refused requests by strangers counted per minute and source; a run's transcript digest
(issue 13).

``refused_requests``: counts of refused anonymous requests by (minute, source, reason,
target), turned into one audit entry per minute and source once the minute is over.
``match_runs.transcript_sha256``: the SHA-256 of a matching run's messages, NULL for the runs
recorded before this migration.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_refused_requests"
down_revision = "0012_witnessed_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create refused_requests; add match_runs.transcript_sha256."""
    op.create_table(
        "refused_requests",
        sa.Column("minute", sa.String(17), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(80), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("minute", "source", "reason", "target", name="pk_refused_requests"),
    )
    with op.batch_alter_table("match_runs") as batch:
        batch.add_column(sa.Column("transcript_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop match_runs.transcript_sha256 and refused_requests (counts not yet in the log
    are lost)."""
    with op.batch_alter_table("match_runs") as batch:
        batch.drop_column("transcript_sha256")
    op.drop_table("refused_requests")
