"""Partners (other parties' nodes) and releases (record versions released to them)."""

import sqlalchemy as sa
from alembic import op

revision = "0003_partners_releases"
down_revision = "0002_audit_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the partners and releases tables."""
    op.create_table(
        "partners",
        sa.Column("party", sa.String(2), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("verify_key_hex", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("party", name="pk_partners"),
    )
    op.create_table(
        "releases",
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("modified", sa.String(32), nullable=False),
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("released_at", sa.String(32), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "modified", "partner", name="pk_releases"),
    )
    op.create_index("ix_releases_partner_released_at", "releases", ["partner", "released_at"])


def downgrade() -> None:
    """Drop the partners and releases tables."""
    op.drop_index("ix_releases_partner_released_at", "releases")
    op.drop_table("releases")
    op.drop_table("partners")
