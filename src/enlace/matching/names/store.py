"""A node's own person and organisation names, read from its store for name matching.

The same records as exact matching takes (kinds.own_identifiers): the newest, unrevoked
version of each record this node owns and made itself, never one received from a partner.
`own_name_keys` gives what a PSI run sends: each distinct key and the records holding it.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def _own_records(connection: Connection, party: str, kinds: tuple[str, ...]) -> list[Any]:
    placeholder = PLACEHOLDERS[connection.dialect.paramstyle]
    listed = ", ".join(placeholder for _ in kinds)
    sql = (
        "SELECT r.stix FROM records r "
        f"WHERE r.kind IN ({listed}) AND r.owner = {placeholder} "
        "AND r.received_from IS NULL AND r.revoked = false "
        "AND NOT EXISTS (SELECT 1 FROM records n WHERE n.id = r.id AND n.modified > r.modified)"
    )
    rows = connection.exec_driver_sql(sql, (*kinds, party))
    return [record_from_stix(orjson.loads(stix)) for (stix,) in rows]


def own_person_names(connection: Connection, party: str) -> dict[str, PersonName]:
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
        for r in _own_records(connection, party, _KINDS[NameKeyKind.PERSON])
        if isinstance(r, Person)
    }


def own_organisation_names(connection: Connection, party: str) -> dict[str, OrgName]:
    """Record id -> name and aliases of this node's own companies and organisations."""
    found: dict[str, OrgName] = {}
    for r in _own_records(connection, party, _KINDS[NameKeyKind.ORGANISATION]):
        if isinstance(r, CriminalOrganisation):
            found[r.id] = OrgName(r.name, tuple(r.aliases))
        elif isinstance(r, Company):
            found[r.id] = OrgName(r.name)
    return found


def own_name_keys(connection: Connection, party: str, kind: NameKeyKind) -> dict[str, list[str]]:
    """Each distinct match key of `kind` (as text) -> ids of this node's records holding it.

    The same shape as kinds.own_identifiers, so a PSI run can send name keys as it sends
    exact identifiers (hashed under keys.key_domain(kind)).
    """
    names: Mapping[str, PersonName] | Mapping[str, OrgName]
    if kind is NameKeyKind.PERSON:
        names = own_person_names(connection, party)
        keys = {record: person_keys(name) for record, name in names.items()}
    else:
        names = own_organisation_names(connection, party)
        keys = {record: organisation_keys(org) for record, org in names.items()}
    return {key.decode("ascii"): sorted(records) for key, records in distinct_keys(keys).items()}
