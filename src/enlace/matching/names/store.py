"""A node's own person and organisation names, read from its store for name matching.

The same records as exact matching takes (kinds.own_identifiers): the newest, unrevoked
version of each record this node owns and made itself, never one received from a partner.
`own_name_keys` gives what a PSI run sends: each distinct key and the records holding it;
given an id range, the keys of the records in it only, so that a large set can be cut in
chunks by id (`own_record_bounds`) and each chunk derived apart, on a node's workers
(enlace.jobs.name_keys), then merged (`merge_name_keys`) into the same dict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection

from enlace.matching.names.keys import (
    NameKeyKind,
    OrgName,
    PersonName,
    organisation_keys,
    person_keys,
)
from enlace.matching.scoring import distinct_keys
from enlace.model.records import Company, CriminalOrganisation, Person
from enlace.model.records.registry import record_from_stix
from enlace.store.dialect import PLACEHOLDERS

_KINDS: dict[NameKeyKind, tuple[str, ...]] = {
    NameKeyKind.PERSON: (Person.KIND,),
    NameKeyKind.ORGANISATION: (Company.KIND, CriminalOrganisation.KIND),
}

# Where a run's name keys are derived: `own_name_keys` in its own process, or a node's
# workers (a BlindingPool's `name_keys`); the same dict either way.
NameKeys = Callable[[Connection, str, NameKeyKind], dict[str, list[str]]]


def _own_where(
    connection: Connection, party: str, kinds: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    # The records a run takes (the newest, unrevoked version of each own record), as SQL.
    placeholder = PLACEHOLDERS[connection.dialect.paramstyle]
    listed = ", ".join(placeholder for _ in kinds)
    sql = (
        f"r.kind IN ({listed}) AND r.owner = {placeholder} "
        "AND r.received_from IS NULL AND r.revoked = false "
        "AND NOT EXISTS (SELECT 1 FROM records n WHERE n.id = r.id AND n.modified > r.modified)"
    )
    return sql, (*kinds, party)


def _own_records(
    connection: Connection,
    party: str,
    kinds: tuple[str, ...],
    after: str | None = None,
    upto: str | None = None,
) -> list[Any]:
    placeholder = PLACEHOLDERS[connection.dialect.paramstyle]
    where, parameters = _own_where(connection, party, kinds)
    # An id range is compared by the database, as it orders ids in own_record_bounds: the
    # ranges of one cut cover every id once, whatever the collation.
    if after is not None:
        where += f" AND r.id > {placeholder}"
        parameters += (after,)
    if upto is not None:
        where += f" AND r.id <= {placeholder}"
        parameters += (upto,)
    rows = connection.exec_driver_sql(f"SELECT r.stix FROM records r WHERE {where}", parameters)
    return [record_from_stix(orjson.loads(stix)) for (stix,) in rows]


def own_record_bounds(
    connection: Connection, party: str, kind: NameKeyKind, every: int
) -> tuple[int, list[str]]:
    """How many own records of `kind` there are, and the id of every `every`-th of them in
    the database's order of ids (the last record's excepted): the ranges (None, b1],
    (b1, b2], ..., (bk, None) cut them in chunks of `every` records, the last one smaller."""
    if every < 1:
        raise ValueError("a chunk holds one record or more")
    where, parameters = _own_where(connection, party, _KINDS[kind])
    count = int(
        connection.exec_driver_sql(
            f"SELECT count(*) FROM records r WHERE {where}", parameters
        ).scalar_one()
    )
    # Only the bounds cross from the database, not every id: a million records, 200 rows.
    # The two numbers are written in (integers, never text): "%" would be a placeholder
    # to psycopg, so divisibility is tested with integer division.
    step, total = int(every), int(count)
    rows = connection.exec_driver_sql(
        "SELECT id FROM (SELECT r.id, row_number() OVER (ORDER BY r.id) AS rn "
        f"FROM records r WHERE {where}) numbered "
        f"WHERE rn / {step} * {step} = rn AND rn < {total} ORDER BY rn",
        parameters,
    )
    return count, [str(row[0]) for row in rows]


def own_person_names(
    connection: Connection, party: str, *, after: str | None = None, upto: str | None = None
) -> dict[str, PersonName]:
    """Record id -> the name parts of each of this node's own person records."""
    return {
        r.id: PersonName(
            r.given_names,
            r.first_surname,
            r.second_surname,
            r.date_of_birth,
            r.sex.value if r.sex else None,
            r.place_of_birth,
        )
        for r in _own_records(connection, party, _KINDS[NameKeyKind.PERSON], after, upto)
        if isinstance(r, Person)
    }


def own_organisation_names(
    connection: Connection, party: str, *, after: str | None = None, upto: str | None = None
) -> dict[str, OrgName]:
    """Record id -> name and aliases of this node's own companies and organisations."""
    found: dict[str, OrgName] = {}
    for r in _own_records(connection, party, _KINDS[NameKeyKind.ORGANISATION], after, upto):
        if isinstance(r, CriminalOrganisation):
            found[r.id] = OrgName(r.name, tuple(r.aliases))
        elif isinstance(r, Company):
            found[r.id] = OrgName(r.name)
    return found


def own_name_keys(
    connection: Connection,
    party: str,
    kind: NameKeyKind,
    *,
    after: str | None = None,
    upto: str | None = None,
) -> dict[str, list[str]]:
    """Each distinct match key of `kind` (as text) -> ids of this node's records holding it.

    The same shape as kinds.own_identifiers, so a PSI run can send name keys as it sends
    exact identifiers (hashed under keys.key_domain(kind)). With `after` and `upto`: only
    the records whose id is in (after, upto] as the database orders ids (None: unbounded).
    """
    names: Mapping[str, PersonName] | Mapping[str, OrgName]
    if kind is NameKeyKind.PERSON:
        names = own_person_names(connection, party, after=after, upto=upto)
        keys = {record: person_keys(name) for record, name in names.items()}
    else:
        names = own_organisation_names(connection, party, after=after, upto=upto)
        keys = {record: organisation_keys(org) for record, org in names.items()}
    return {key.decode("ascii"): sorted(records) for key, records in distinct_keys(keys).items()}


def merge_name_keys(parts: Iterable[Mapping[str, list[str]]]) -> dict[str, list[str]]:
    """The name keys of a set cut in chunks by id range, as `own_name_keys` gives them for
    the whole set: each chunk's records are others, so a key's holders are the union."""
    merged: defaultdict[str, list[str]] = defaultdict(list)
    for part in parts:
        for key, records in part.items():
            merged[key].extend(records)
    for records in merged.values():
        records.sort()
    return dict(merged)
