"""Records, their normalised identifiers, and the node's settings."""

import sqlalchemy as sa
from alembic import op

revision = "0001_records"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the foundation tables."""
    op.create_table(
        "records",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("modified", sa.String(32), nullable=False),
        sa.Column("stix_type", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(2), nullable=False),
        sa.Column("created_by_ref", sa.String(128)),
        sa.Column("tlp", sa.String(16), nullable=False),
        sa.Column("releasable_to", sa.String(255), nullable=False),
        sa.Column("handling", sa.String(2), nullable=False),
        sa.Column("evaluation", sa.String(2), nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("content_digest", sa.String(64), nullable=False),
        sa.Column("received_from", sa.String(2)),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.Column("stix", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", "modified", name="pk_records"),
    )
    op.create_index("ix_records_kind_owner", "records", ["kind", "owner"])
    op.create_index("ix_records_added_at", "records", ["added_at"])
    op.create_table(
        "record_identifiers",
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("modified", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint(
            "record_id", "modified", "kind", "key", name="pk_record_identifiers"
        ),
    )
    op.create_index("ix_record_identifiers_kind_key", "record_identifiers", ["kind", "key"])
    op.create_table(
        "node_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop the foundation tables."""
    op.drop_table("node_settings")
    op.drop_index("ix_record_identifiers_kind_key", "record_identifiers")
    op.drop_table("record_identifiers")
    op.drop_index("ix_records_added_at", "records")
    op.drop_index("ix_records_kind_owner", "records")
    op.drop_table("records")
