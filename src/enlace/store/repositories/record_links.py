"""The ends of stored relationship versions (record_links): which records a relationship joins.

A record's page lists the relationships naming it at either end; reading them from the
stored STIX JSON would mean scanning every relationship. Each relationship version written
to `records` is written here too, by `add_record_links`, called where versions are added.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection

from enlace.store.dialect import insert_rows_ignoring_duplicates
from enlace.store.tables import record_links
from enlace.store.versions import StoredVersion

RELATIONSHIP = "relationship"
_LONGEST_ID = 128  # records.id: a longer reference cannot name a record this node holds
_COLUMNS = ("relationship_id", "modified", "source_id", "target_id", "relationship_type")


def add_record_links(connection: Connection, versions: Iterable[StoredVersion]) -> int:
    """Write the ends of each relationship among `versions` not held yet; return how many."""
    rows = [
        ends
        for version in versions
        if version.stix_type == RELATIONSHIP
        and (ends := link_row(version.id, version.modified, version.stix)) is not None
    ]
    # Every text in them was checked for NUL when the version was described for storage.
    return insert_rows_ignoring_duplicates(
        connection, record_links, _COLUMNS, rows, text_checked=True
    )


def link_row(relationship_id: str, modified: str, stix: str) -> tuple[str, ...] | None:
    """(relationship id, modified, source, target, type) of a stored relationship's JSON, or
    None when it does not name two ends this node could hold (the migration uses it too)."""
    obj: Any = orjson.loads(stix)
    if not isinstance(obj, dict):
        return None
    source, target = obj.get("source_ref"), obj.get("target_ref")
    kind = obj.get("relationship_type")
    if not (isinstance(source, str) and isinstance(target, str) and isinstance(kind, str)):
        return None
    if not (0 < len(source) <= _LONGEST_ID and 0 < len(target) <= _LONGEST_ID):
        return None
    return (relationship_id, modified, source, target, kind)
