"""An index on releases in the order a partner's collection is paged.

A partner's objects are served in (released_at, record_id, modified) order, and a page
continues after the last one with a keyset condition on those three columns. The index on
(partner, released_at) alone left the database sorting every version after the cursor on
each page (one release run gives all its versions the same released_at): quadratic in the
collection. This index covers the whole order, so a page reads only its rows; it replaces
the (partner, released_at) index, of which it is an extension.
"""

from alembic import op

revision = "0005_releases_order_index"
down_revision = "0004_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace the (partner, released_at) index with (partner, released_at, record_id,
    modified)."""
    op.create_index(
        "ix_releases_partner_order",
        "releases",
        ["partner", "released_at", "record_id", "modified"],
    )
    op.drop_index("ix_releases_partner_released_at", "releases")


def downgrade() -> None:
    """Back to the (partner, released_at) index."""
    op.create_index("ix_releases_partner_released_at", "releases", ["partner", "released_at"])
    op.drop_index("ix_releases_partner_order", "releases")
