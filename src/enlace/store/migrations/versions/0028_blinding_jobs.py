"""Blinding as jobs (issue 19): ``blinding_batches`` and ``blinding_chunks``, where a PostgreSQL
node served with ``--workers`` hands a PSI run's blinding to ``enlace worker`` processes and
they store their output (see enlace.jobs.blinding). The rows of a run are deleted when the
run has its output; SQLite nodes get the (empty) tables too and never use them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_blinding_jobs"
# Written as 0025_blinding_jobs; renumbered after main's 0026 and 0027 to keep one head.
down_revision = "0027_scale_out"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the two tables."""
    op.create_table(
        "blinding_batches",
        sa.Column("batch_id", sa.String(32), nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("scalar", sa.LargeBinary, nullable=False),
        sa.Column("domain", sa.LargeBinary),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("chunks", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name="pk_blinding_batches"),
    )
    op.create_table(
        "blinding_chunks",
        sa.Column("batch_id", sa.String(32), nullable=False),
        sa.Column("chunk", sa.Integer, nullable=False),
        sa.Column("input", sa.LargeBinary, nullable=False),
        sa.Column("output", sa.LargeBinary),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("batch_id", "chunk", name="pk_blinding_chunks"),
    )


def downgrade() -> None:
    """Drop the two tables (a run waiting on them fails)."""
    op.drop_table("blinding_chunks")
    op.drop_table("blinding_batches")
