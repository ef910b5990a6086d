"""Recipient-bound, sequenced release (exchange protocol 2).

- ``releases.sequence``: each version released to a partner gets the next number of that
  partner's release sequence, in commit order. Versions released before this migration are
  numbered in the order they were served until now (released_at, record id, modified).
- ``release_counters``: the last sequence number given to each partner (and the last
  date_added), the row a release locks so that numbers follow commit order.
- ``outbound_statements``: signed statements in a partner's sequence that are not record
  versions: tombstones (revocations without content) and consents to an onward release.
- ``sync_cursors.sequence`` / ``highest``: how far this node verified a partner's sequence,
  and the highest number the partner declared; ``sequence_gaps``: numbers not (yet) held.
- ``revocations``: tombstones received (or issued) per record; ``consents``: onward-release
  consents issued, received to pass on, or received with a record.

The order index on (partner, released_at, record_id, modified) is replaced by one on
(partner, sequence): pages are served in sequence order now.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_sequenced_release"
down_revision = "0009_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Number the releases, add the counters, statements, gaps, revocations and consents."""
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("sequence", sa.BigInteger, nullable=True))
    # ROW_NUMBER() over each partner's old serving order: SQLite >= 3.25 and PostgreSQL.
    op.execute(
        "UPDATE releases SET sequence = (SELECT n FROM (SELECT record_id AS rid, modified AS "
        "rmod, partner AS rp, ROW_NUMBER() OVER (PARTITION BY partner ORDER BY released_at, "
        "record_id, modified) AS n FROM releases) AS numbered WHERE numbered.rid = "
        "releases.record_id AND numbered.rmod = releases.modified AND numbered.rp = "
        "releases.partner)"
    )
    with op.batch_alter_table("releases") as batch:
        batch.alter_column("sequence", existing_type=sa.BigInteger, nullable=False)
    op.create_index(
        "ix_releases_partner_sequence", "releases", ["partner", "sequence"], unique=True
    )
    op.drop_index("ix_releases_partner_order", "releases")
    op.create_table(
        "release_counters",
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("last_sequence", sa.BigInteger, nullable=False),
        sa.Column("last_released_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("partner", name="pk_release_counters"),
    )
    op.execute(
        "INSERT INTO release_counters (partner, last_sequence, last_released_at) "
        "SELECT partner, MAX(sequence), MAX(released_at) FROM releases GROUP BY partner"
    )
    op.create_table(
        "outbound_statements",
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("released_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("partner", "sequence", name="pk_outbound_statements"),
    )
    op.create_index(
        "ix_outbound_statements_record", "outbound_statements", ["record_id", "kind", "partner"]
    )
    with op.batch_alter_table("sync_cursors") as batch:
        batch.add_column(sa.Column("sequence", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("highest", sa.BigInteger, nullable=True))
    op.create_table(
        "sequence_gaps",
        sa.Column("partner", sa.String(2), nullable=False),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(128)),
        sa.Column("first_seen", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("partner", "sequence", name="pk_sequence_gaps"),
    )
    op.create_table(
        "revocations",
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("owner", sa.String(2), nullable=False),
        sa.Column("revoked_at", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("received_from", sa.String(2)),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name="pk_revocations"),
    )
    op.create_table(
        "consents",
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("modified", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(2), nullable=False),
        sa.Column("holder", sa.String(2), nullable=False),
        sa.Column("recipient", sa.String(2), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("received_from", sa.String(2)),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "modified", "holder", "recipient", name="pk_consents"),
    )


def downgrade() -> None:
    """Drop what upgrade added (the old order index comes back)."""
    op.drop_table("consents")
    op.drop_table("revocations")
    op.drop_table("sequence_gaps")
    with op.batch_alter_table("sync_cursors") as batch:
        batch.drop_column("highest")
        batch.drop_column("sequence")
    op.drop_index("ix_outbound_statements_record", "outbound_statements")
    op.drop_table("outbound_statements")
    op.drop_table("release_counters")
    op.create_index(
        "ix_releases_partner_order",
        "releases",
        ["partner", "released_at", "record_id", "modified"],
    )
    op.drop_index("ix_releases_partner_sequence", "releases")
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("sequence")
