"""Name keys as jobs (issue 19): ``name_key_batches`` and ``name_key_chunks``, where a
PostgreSQL node whose PSI runs blind on its workers hands the derivation of a run's name
keys to ``enlace worker`` processes too, a range of record ids per chunk, and they store the
chunk's keys (see enlace.jobs.name_keys). The rows of a run are deleted when the run has
its keys; SQLite nodes get the (empty) tables too and never use them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_name_key_jobs"
down_revision = "0028_blinding_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the two tables."""
    op.create_table(
        "name_key_batches",
        sa.Column("batch_id", sa.String(32), nullable=False),
        sa.Column("party", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("chunks", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name="pk_name_key_batches"),
    )
    op.create_table(
        "name_key_chunks",
        sa.Column("batch_id", sa.String(32), nullable=False),
        sa.Column("chunk", sa.Integer, nullable=False),
        sa.Column("after_id", sa.String(128)),
        sa.Column("upto_id", sa.String(128)),
        sa.Column("output", sa.LargeBinary),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("batch_id", "chunk", name="pk_name_key_chunks"),
    )


def downgrade() -> None:
    """Drop the two tables (a run waiting on them fails)."""
    op.drop_table("name_key_chunks")
    op.drop_table("name_key_batches")
