"""The witnessed audit (issue 13): the Merkle tree over the audit log, the countersigned
checkpoints, other parties' checkpoints this node holds, and the witnessing alerts.

The tree is built here over the entries already in the log, streaming them, so an existing
node's history is in its first checkpoint.
"""

import sqlalchemy as sa
from alembic import op

from enlace.store.repositories.audit_tree import AuditTree

revision = "0012_witnessed_audit"
down_revision = "0011_password_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables and build the tree over the entries there are."""
    op.create_table(
        "audit_tree_nodes",
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("idx", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_audit_tree_nodes"),
    )
    op.create_table(
        "audit_tree_state",
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("frontier", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_audit_tree_state"),
    )
    op.create_table(
        "audit_cosignatures",
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("cosigned_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("partner", "size", name="pk_audit_cosignatures"),
    )
    op.create_table(
        "witnessed_checkpoints",
        sa.Column("party", sa.String(2), nullable=False),
        sa.Column("source", sa.String(2), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("seen_at", sa.String(32), nullable=False),
        sa.Column("checked_at", sa.String(32)),
        sa.PrimaryKeyConstraint("party", "source", "size", name="pk_witnessed_checkpoints"),
    )
    op.create_table(
        "audit_alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("raised_at", sa.String(32), nullable=False),
        sa.Column("party", sa.String(2), nullable=False),
        sa.Column("reporter", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
    )
    AuditTree(op.get_bind()).rebuild()


def downgrade() -> None:
    """Drop them (the chain stays; the countersignatures partners gave are lost)."""
    for table in (
        "audit_alerts",
        "witnessed_checkpoints",
        "audit_cosignatures",
        "audit_tree_state",
        "audit_tree_nodes",
    ):
        op.drop_table(table)
