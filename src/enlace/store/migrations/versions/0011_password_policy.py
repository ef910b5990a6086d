"""Whether each user's password meets the password rules (issue 14).

``users.password_meets_policy``: true or false when the password was last seen in clear (set
or signed in with) under the rules; NULL for every account made before this migration: their
passwords are only hashes here, so nobody can tell until their next sign-in or change.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_password_policy"
down_revision = "0010_sequenced_release"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add users.password_meets_policy, empty (not checked yet) for the accounts there are."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_meets_policy", sa.Boolean, nullable=True))


def downgrade() -> None:
    """Drop users.password_meets_policy."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_meets_policy")
