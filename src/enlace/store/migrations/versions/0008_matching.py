"""Private matching: agreements, runs, matches, hit notices and disclosure requests."""

import sqlalchemy as sa
from alembic import op

revision = "0008_matching"
down_revision = "0007_public_statistics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the matching tables."""
    op.create_table(
        "match_agreements",
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("max_set_size", sa.BigInteger, nullable=False),
        sa.Column("runs_per_day", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("partner", "kind", name="pk_match_agreements"),
    )
    op.create_table(
        "match_runs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(9), nullable=False),
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32)),
        sa.Column("requester_size", sa.BigInteger, nullable=False),
        sa.Column("responder_size", sa.BigInteger),
        sa.Column("overlap", sa.BigInteger),
        sa.Column("order_seed", sa.String(32)),
        sa.Column("set_digest", sa.String(64)),
        sa.PrimaryKeyConstraint("id", "role", name="pk_match_runs"),
    )
    op.create_index("ix_match_runs_partner_started", "match_runs", ["partner", "started_at"])
    op.create_table(
        "match_handles",
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("handle", sa.String(32), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("partner", "record_id", name="pk_match_handles"),
    )
    op.create_index("ix_match_handles_handle", "match_handles", ["handle"], unique=True)
    op.create_table(
        "matches",
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("partner_handle", sa.String(32), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("found_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint(
            "partner", "kind", "record_id", "partner_handle", name="pk_matches"
        ),
    )
    op.create_table(
        "hit_notices",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("owner_agency", sa.String(128)),
        sa.Column("at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "record_id", name="pk_hit_notices"),
    )
    op.create_table(
        "disclosure_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("handle", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(128)),
        sa.Column("reason", sa.Text),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("requested_at", sa.String(32), nullable=False),
        sa.Column("decided_at", sa.String(32)),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decision_reason", sa.Text),
        sa.Column("remote_id", sa.Integer),
    )


def downgrade() -> None:
    """Drop the matching tables."""
    op.drop_table("disclosure_requests")
    op.drop_table("hit_notices")
    op.drop_table("matches")
    op.drop_index("ix_match_handles_handle", table_name="match_handles")
    op.drop_table("match_handles")
    op.drop_index("ix_match_runs_partner_started", table_name="match_runs")
    op.drop_table("match_runs")
    op.drop_table("match_agreements")
