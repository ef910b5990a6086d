"""The identifier kinds private matching compares, their hash domains, and a node's sets.

A node matches on the identifiers of the records it OWNS and made itself (not those it
received from partners): a hit notice goes to the owner of the matched record, and matching
on received records would tell the partner what a third party shared with this node.
Only the newest, unrevoked version of each record counts.
"""

from __future__ import annotations

import enum
from collections import defaultdict

from sqlalchemy import Connection

from enlace.matching.errors import UnknownMatchKind
from enlace.matching.kind_names import EXACT_KIND_NAMES, NAME_KIND_NAMES
from enlace.matching.kind_names import KIND_NAMES as KIND_NAMES
from enlace.matching.names.keys import NameKeyKind
from enlace.matching.names.keys import key_domain as name_key_domain
from enlace.matching.names.store import NameKeys, own_name_keys
from enlace.model.identifiers import IdentifierKind
from enlace.model.timestamps import utc_now
from enlace.store.dialect import PLACEHOLDERS
from enlace.store.repositories.operations import active_operation_keys


class DeconflictionKind(enum.StrEnum):
    """Deconfliction's kind (docs/deconfliction.md): the set is the node's active operations'
    keys, not its records' identifiers. Not in KIND_NAMES: `enlace match run` does not take
    it; `enlace operation check` does."""

    OPERATION = "operation"


OPERATION = DeconflictionKind.OPERATION

# The kinds of exact identifier a run can be asked for, by their names on the command line.
# Their names live in `enlace.matching.kind_names`, which the command line imports.
MATCH_KINDS: tuple[IdentifierKind, ...] = tuple(IdentifierKind(name) for name in EXACT_KIND_NAMES)
# Name kinds (docs/matching.md, "Names"): typo-tolerant keys of persons and organisations.
NAME_KINDS: tuple[NameKeyKind, ...] = tuple(NameKeyKind(name) for name in NAME_KIND_NAMES)
MatchKind = IdentifierKind | NameKeyKind | DeconflictionKind
_DOMAIN_PREFIX = b"enlace/psi/v1/"
_FETCH = 50_000


def parse_kind(text: str) -> MatchKind:
    """The kind named `text` (e.g. "phone"), or UnknownMatchKind listing the known ones."""
    known: tuple[MatchKind, ...] = (*MATCH_KINDS, *NAME_KINDS, OPERATION)
    for kind in known:
        if kind.value == text:
            return kind
    raise UnknownMatchKind(text, KIND_NAMES)


def kind_domain(kind: MatchKind) -> bytes:
    """The domain separator hashed before every identifier of `kind`.

    Different per kind, and ended by a NUL that no normalised key contains, so the same
    text as a phone number and as a plate hashes to unrelated points.
    """
    if isinstance(kind, NameKeyKind):
        return name_key_domain(kind)
    if kind is OPERATION:
        return b"enlace/deconfliction/v1/operation\x00"
    return _DOMAIN_PREFIX + kind.value.encode("ascii") + b"\x00"


def own_identifiers(
    connection: Connection, party: str, kind: MatchKind, *, name_keys: NameKeys = own_name_keys
) -> dict[str, list[str]]:
    """Normalised key -> ids of this node's own records holding it (newest versions only).

    Name keys are derived by `name_keys`: in this process by default, or by the node's
    workers (the run's BlindingPool.name_keys); the same dict either way."""
    if isinstance(kind, NameKeyKind):
        return name_keys(connection, party, kind)
    if kind is OPERATION:
        # key -> this node's active operations holding it (docs/deconfliction.md)
        return active_operation_keys(connection, utc_now().date().isoformat())
    placeholder = PLACEHOLDERS[connection.dialect.paramstyle]
    sql = (
        "SELECT ri.key, ri.record_id FROM record_identifiers ri "
        "JOIN records r ON r.id = ri.record_id AND r.modified = ri.modified "
        f"WHERE ri.kind = {placeholder} AND r.owner = {placeholder} "
        "AND r.received_from IS NULL AND r.revoked = false "
        "AND NOT EXISTS (SELECT 1 FROM records n WHERE n.id = r.id AND n.modified > r.modified)"
    )
    found: defaultdict[str, list[str]] = defaultdict(list)
    # The driver's own cursor, in the unit of work's transaction: at a million rows, making
    # a result row object per row would cost more than the query.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, (kind.value, party))
        while rows := cursor.fetchmany(_FETCH):
            for key, record_id in rows:
                found[key].append(record_id)
    finally:
        cursor.close()
    for ids in found.values():
        if len(ids) > 1:
            ids.sort()
    return dict(found)
