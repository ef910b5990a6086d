"""Communiqués kept for review, by the digest of their text (issue 16).

``tracking_documents``: one row per communiqué text `tracking ingest` has read for review,
with its proposal and what the coordinator decided for each proposed item so far.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_tracking_review"
down_revision = "0013_refused_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create tracking_documents."""
    op.create_table(
        "tracking_documents",
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("source_document", sa.String(255), nullable=False),
        sa.Column("proposal", sa.Text, nullable=False),
        sa.Column("decisions", sa.Text, nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("content_sha256", name="pk_tracking_documents"),
    )


def downgrade() -> None:
    """Drop tracking_documents (proposals still pending review are lost; accepted records
    stay)."""
    op.drop_table("tracking_documents")
