"""Trace requests and responses as links (issue 18, the link graph): each stored version of a
trace request is written to ``record_links`` as a link to the firearm it asks about, each
trace response's as a link to the request it answers (see
enlace.store.repositories.record_links), so the record page and the link graph find them by
index. No table changes: the versions already held are read in batches by primary key.
"""

import sqlalchemy as sa
from alembic import op

from enlace.store.repositories.record_links import TRACE_LINKS, link_row

revision = "0025_trace_links"
down_revision = "0024_map_counts"
branch_labels = None
depends_on = None

_BATCH = 1000
_COLUMNS = ("relationship_id", "modified", "source_id", "target_id", "relationship_type")


def upgrade() -> None:
    """Write the links of the trace requests and responses already held."""
    links = sa.table("record_links", *(sa.column(name) for name in _COLUMNS))
    connection = op.get_bind()
    for stix_type in sorted(TRACE_LINKS):
        after = ("", "")
        while True:
            rows = connection.execute(
                sa.text(
                    "SELECT id, modified, stix FROM records WHERE stix_type = :type "
                    "AND (id > :id OR (id = :id AND modified > :modified)) "
                    "ORDER BY id, modified LIMIT :batch"
                ),
                {"type": stix_type, "id": after[0], "modified": after[1], "batch": _BATCH},
            ).all()
            if not rows:
                break
            found = [link_row(row[0], row[1], row[2], stix_type) for row in rows]
            values = [dict(zip(_COLUMNS, ends, strict=True)) for ends in found if ends is not None]
            if values:
                connection.execute(sa.insert(links), values)
            after = (rows[-1][0], rows[-1][1])


def downgrade() -> None:
    """Remove the trace links (a relationship's id never starts with a trace type)."""
    for stix_type in sorted(TRACE_LINKS):
        op.execute(
            sa.text("DELETE FROM record_links WHERE relationship_id LIKE :prefix").bindparams(
                prefix=f"{stix_type}--%"
            )
        )
