"""Deconfliction of operations (issue 18): planned operations, their keys, and the notices
their liaisons get when a partner's operation shares a key (docs/deconfliction.md).

Operations are not records: nothing here is synced or released.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_operations"
down_revision = "0022_watchlists"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `operations`, `operation_keys` and `deconfliction_notices`."""
    op.create_table(
        "operations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("agency", sa.String(128), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("latitude", sa.Double, nullable=False),
        sa.Column("longitude", sa.Double, nullable=False),
        sa.Column("starts", sa.String(10), nullable=False),
        sa.Column("ends", sa.String(10), nullable=False),
        sa.Column("status", sa.String(9), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operations"),
    )
    op.create_table(
        "operation_keys",
        sa.Column("operation_id", sa.String(40), nullable=False),
        sa.Column("key", sa.String(160), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "key", name="pk_operation_keys"),
    )
    op.create_index("ix_operation_keys_key", "operation_keys", ["key"])
    op.create_table(
        "deconfliction_notices",
        sa.Column("operation_id", sa.String(40), nullable=False),
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("role", sa.String(9), nullable=False),
        sa.Column("counterpart", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("matched_on", sa.String(12), nullable=False),
        sa.Column("partner_contact", sa.String(200)),
        sa.Column("at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint(
            "operation_id", "partner", "role", "counterpart", name="pk_deconfliction_notices"
        ),
    )
    op.create_index("ix_deconfliction_notices_run", "deconfliction_notices", ["run_id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_deconfliction_notices_run", table_name="deconfliction_notices")
    op.drop_table("deconfliction_notices")
    op.drop_index("ix_operation_keys_key", table_name="operation_keys")
    op.drop_table("operation_keys")
    op.drop_table("operations")
