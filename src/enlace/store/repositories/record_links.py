"""The ends of stored relationship versions (record_links): which records a relationship joins.

A record's page lists the relationships naming it at either end; reading them from the
stored STIX JSON would mean scanning every relationship. Each relationship version written
to `records` is written here too, by `add_record_links`, called where versions are added.

Trace requests and trace responses are links too (issue 18: the link graph shows the trace
requests about a firearm): a request names the firearm it asks about (`firearm_ref`), a
response the request it answers (`request_ref`). Each of their versions is written here as a
link from itself to the record it names, under a type of its own (`TRACE_LINKS`), so the
record page and the link graph find them by the same index and with the same rules (the
newest version counts, a revoked one does not) as relationships.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection

from enlace.model.records.references import referenced_ids
from enlace.store.dialect import insert_rows_ignoring_duplicates
from enlace.store.tables import record_links
from enlace.store.versions import StoredVersion

RELATIONSHIP = "relationship"
# STIX type -> (its kind, the link's type, read "<the record> <type> <the record it names>").
TRACE_LINKS = {
    "enlace-trace-request": ("trace-request", "asks-to-trace"),
    "enlace-trace-response": ("trace-response", "answers"),
}
_LINKING_TYPES = frozenset({RELATIONSHIP, *TRACE_LINKS})
_LONGEST_ID = 128  # records.id: a longer reference cannot name a record this node holds
_COLUMNS = ("relationship_id", "modified", "source_id", "target_id", "relationship_type")


def add_record_links(connection: Connection, versions: Iterable[StoredVersion]) -> int:
    """Write the ends of each relationship (and trace request or response) among `versions`
    not held yet; return how many."""
    rows = [
        ends
        for version in versions
        if version.stix_type in _LINKING_TYPES
        and (ends := link_row(version.id, version.modified, version.stix, version.stix_type))
        is not None
    ]
    # Every text in them was checked for NUL when the version was described for storage.
    return insert_rows_ignoring_duplicates(
        connection, record_links, _COLUMNS, rows, text_checked=True
    )


def link_row(
    relationship_id: str, modified: str, stix: str, stix_type: str = RELATIONSHIP
) -> tuple[str, ...] | None:
    """(relationship id, modified, source, target, type) of a stored relationship's JSON (or
    a trace request's or response's: itself, the record it names, its TRACE_LINKS type), or
    None when it does not name two ends this node could hold (the migrations use it too)."""
    obj: Any = orjson.loads(stix)
    if not isinstance(obj, dict):
        return None
    source: Any
    target: Any
    kind: Any
    if stix_type in TRACE_LINKS:
        record_kind, kind = TRACE_LINKS[stix_type]
        named = referenced_ids(record_kind, obj)
        source, target = relationship_id, (named[0] if named else None)
    else:
        source, target = obj.get("source_ref"), obj.get("target_ref")
        kind = obj.get("relationship_type")
    if not (isinstance(source, str) and isinstance(target, str) and isinstance(kind, str)):
        return None
    if not (0 < len(source) <= _LONGEST_ID and 0 < len(target) <= _LONGEST_ID):
        return None
    return (relationship_id, modified, source, target, kind)
