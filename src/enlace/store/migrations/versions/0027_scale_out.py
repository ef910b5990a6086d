"""Reports rendered by workers (issue 19, beyond one machine): the `rendered_reports` table,
where a worker leaves the HTML and PDF of a report for the command that asked for it (see
enlace.store.tables.rendered_reports)."""

import sqlalchemy as sa
from alembic import op

revision = "0027_scale_out"
# The brief named 0024_map_counts; 0025_trace_links (on main) follows it already, and two
# heads would stop every upgrade: chained after it here (the merger rechains as needed).
down_revision = "0026_watchlist_removal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the rendered_reports table."""
    op.create_table(
        "rendered_reports",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("rendered_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "language"),
    )


def downgrade() -> None:
    """Drop the rendered_reports table."""
    op.drop_table("rendered_reports")
