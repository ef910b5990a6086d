"""People: users, their roles, API tokens and web sessions."""

import sqlalchemy as sa
from alembic import op

revision = "0009_users"
down_revision = "0008_matching"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the users tables."""
    op.create_table(
        "users",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("agency", sa.String(128)),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("password_changed_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_users"),
    )
    op.create_table(
        "user_roles",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("username", "role", name="pk_user_roles"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("last_used_at", sa.String(32)),
        sa.Column("revoked_at", sa.String(32)),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
    )
    op.create_index("ix_api_tokens_token_hash", "api_tokens", ["token_hash"], unique=True)
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("last_seen_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_username", "web_sessions", ["username"])
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.String(32), nullable=False),
        sa.Column("blocked_until", sa.String(32)),
        sa.PrimaryKeyConstraint("key", name="pk_login_failures"),
    )


def downgrade() -> None:
    """Drop the users tables."""
    op.drop_table("login_failures")
    op.drop_index("ix_web_sessions_username", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ix_api_tokens_token_hash", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("user_roles")
    op.drop_table("users")
