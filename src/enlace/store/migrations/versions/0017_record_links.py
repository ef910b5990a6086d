"""A record's relationships and matches found by index (issue 20, the record page).

``record_links``: the two ends and the type of each stored relationship version, filled here
from the relationships already stored and kept by ``RecordRepository.add`` from then on.
Indexes on ``matches.record_id`` and ``hit_notices.record_id``: the record page lists the
matches and hit notices of one record, which their primary keys do not lead with.
"""

import sqlalchemy as sa
from alembic import op

from enlace.store.repositories.record_links import link_row

revision = "0017_record_links"
# After the newest-version marker (0015) and the audit filters (0016).
down_revision = "0016_audit_filters"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    """Create record_links and fill it; index matches and hit notices by record."""
    op.create_table(
        "record_links",
        sa.Column("relationship_id", sa.String(128), nullable=False),
        sa.Column("modified", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=False),
        sa.Column("target_id", sa.String(128), nullable=False),
        sa.Column("relationship_type", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("relationship_id", "modified", name="pk_record_links"),
    )
    links = sa.table(
        "record_links",
        sa.column("relationship_id"),
        sa.column("modified"),
        sa.column("source_id"),
        sa.column("target_id"),
        sa.column("relationship_type"),
    )
    connection = op.get_bind()
    # Relationship versions only (by stix_type), read in batches by primary key so a large
    # node is never held in memory at once.
    after = ("", "")
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT id, modified, stix FROM records WHERE stix_type = 'relationship' "
                "AND (id > :id OR (id = :id AND modified > :modified)) "
                "ORDER BY id, modified LIMIT :batch"
            ),
            {"id": after[0], "modified": after[1], "batch": _BATCH},
        ).all()
        if not rows:
            break
        found = [link_row(row[0], row[1], row[2]) for row in rows]
        values = [dict(zip(_COLUMNS, ends, strict=True)) for ends in found if ends is not None]
        if values:
            connection.execute(sa.insert(links), values)
        after = (rows[-1][0], rows[-1][1])
    op.create_index("ix_record_links_source", "record_links", ["source_id", "relationship_id"])
    op.create_index("ix_record_links_target", "record_links", ["target_id", "relationship_id"])
    op.create_index("ix_matches_record_id", "matches", ["record_id"])
    op.create_index("ix_hit_notices_record_id", "hit_notices", ["record_id"])


_COLUMNS = ("relationship_id", "modified", "source_id", "target_id", "relationship_type")


def downgrade() -> None:
    """Drop record_links and the two indexes."""
    op.drop_index("ix_hit_notices_record_id", "hit_notices")
    op.drop_index("ix_matches_record_id", "matches")
    op.drop_table("record_links")
