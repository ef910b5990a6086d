"""Matching modes (issue 17): what an agreement lets the requester learn, and what a run was.

``match_agreements.mode``: ``links`` (which records match; every agreement before this
migration), ``count`` (only how many) or ``threshold`` (links only when at least
``match_agreements.threshold`` identifiers are shared). ``match_runs``: the run's mode, its
threshold and the SHA-256 of the agreement it ran under (NULL for runs recorded before this
migration), and, on the responder of a threshold run between its offer and its count step
only, the run's secret blinding scalar.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_match_modes"
down_revision = "0018_exchange_list_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the mode and threshold to agreements; mode, threshold, agreement digest and the
    threshold step's scalar to runs."""
    with op.batch_alter_table("match_agreements") as batch:
        batch.add_column(sa.Column("mode", sa.String(9), nullable=False, server_default="links"))
        batch.add_column(sa.Column("threshold", sa.BigInteger, nullable=True))
    with op.batch_alter_table("match_runs") as batch:
        batch.add_column(sa.Column("mode", sa.String(9), nullable=True))
        batch.add_column(sa.Column("threshold", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("agreement_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("blinding_scalar", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop them (count-only and threshold agreements become links agreements)."""
    with op.batch_alter_table("match_runs") as batch:
        batch.drop_column("blinding_scalar")
        batch.drop_column("agreement_sha256")
        batch.drop_column("threshold")
        batch.drop_column("mode")
    with op.batch_alter_table("match_agreements") as batch:
        batch.drop_column("threshold")
        batch.drop_column("mode")
