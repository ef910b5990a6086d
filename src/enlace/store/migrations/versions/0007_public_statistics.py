"""Public statistics: CBP's "Nationwide Drug Seizures", month by month, as published."""

import sqlalchemy as sa
from alembic import op

revision = "0007_public_statistics"
down_revision = "0006_drop_records_added_at_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create cbp_drug_seizures."""
    op.create_table(
        "cbp_drug_seizures",
        sa.Column("fiscal_year", sa.Integer, nullable=False),
        sa.Column("month", sa.Integer, nullable=False),
        sa.Column("component", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("land_filter", sa.String(32), nullable=False),
        sa.Column("area", sa.String(128), nullable=False),
        sa.Column("drug_type", sa.String(64), nullable=False),
        sa.Column("event_count", sa.BigInteger, nullable=False),
        sa.Column("quantity_lbs", sa.Double, nullable=False),
        sa.Column("edition", sa.Integer, nullable=False),
        sa.Column("source_file", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint(
            "fiscal_year",
            "month",
            "component",
            "region",
            "land_filter",
            "area",
            "drug_type",
            name="pk_cbp_drug_seizures",
        ),
    )


def downgrade() -> None:
    """Drop cbp_drug_seizures."""
    op.drop_table("cbp_drug_seizures")
