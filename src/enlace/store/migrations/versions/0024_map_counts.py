"""The seizure map's counts kept ready (`map_counts`, see enlace.store.map_counts): newest,
unrevoked seizures and firearm recoveries per place, what and when, at month and day grain,
so the map sums a bounded number of rows instead of reading every record's JSON.

A node that already holds records has them counted here, in batches of ids (each batch one
statement over a range of the primary key): the counts gather in memory (one entry per place
in use, not per record) and are written at the end.
"""

import sqlalchemy as sa
from alembic import op

from enlace.store.map_counts import MapPlace, places_of_rows, shift_map_counts

revision = "0024_map_counts"
down_revision = "0023_operations"
branch_labels = None
depends_on = None

_BATCH = 5_000


def upgrade() -> None:
    """Create the table and count the records held."""
    op.create_table(
        "map_counts",
        sa.Column("grain", sa.String(5), nullable=False),
        sa.Column("period", sa.String, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("owner", sa.String(2), nullable=False),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("port", sa.String, nullable=False),
        sa.Column("category", sa.String, nullable=False),
        sa.Column("drug", sa.String, nullable=False),
        sa.Column("records", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(
            "grain",
            "period",
            "kind",
            "owner",
            "state",
            "port",
            "category",
            "drug",
            name="pk_map_counts",
        ),
    )
    connection = op.get_bind()
    newest = (
        "latest = 1 AND revoked = 0"
        if connection.dialect.name == "sqlite"
        else ("latest AND NOT revoked")
    )
    counts: dict[tuple[str, MapPlace], int] = {}
    after = ""
    while True:
        rows = connection.execute(
            sa.text(
                f"SELECT id, kind, owner, stix FROM records WHERE {newest} "
                "AND kind IN ('seizure', 'firearm') AND id > :after ORDER BY id LIMIT :n"
            ),
            {"after": after, "n": _BATCH},
        ).all()
        if not rows:
            break
        for key, n in places_of_rows((row[1], row[2], row[3]) for row in rows).items():
            counts[key] = counts.get(key, 0) + n
        after = rows[-1][0]
    shift_map_counts(connection, counts)


def downgrade() -> None:
    """Drop the counts."""
    op.drop_table("map_counts")
