"""A node's own names and name keys, read from its store (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses

from enlace.matching.names.keys import NameKeyKind, PersonName, person_keys
from enlace.matching.names.store import (
    merge_name_keys,
    own_name_keys,
    own_organisation_names,
    own_person_names,
    own_record_bounds,
)
from enlace.model.records import Company, CriminalOrganisation, Person
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from enlace.synth import SynthConfig, generate


def _load(store: Store, versions: list[StoredVersion]) -> None:
    with store.unit_of_work() as uow:
        uow.records.add(versions, added_at=uow.started_at)
        uow.commit()


def test_own_names_are_the_newest_own_records_only(store: Store) -> None:
    records = generate(SynthConfig(seed=3, scale=300)).records
    mx = [r for r in records["MX"] if isinstance(r, Person | Company | CriminalOrganisation)]
    us_person = next(r for r in records["US"] if isinstance(r, Person))
    person = next(
        r
        for r in mx
        if isinstance(r, Person) and r.date_of_birth is not None and r.place_of_birth is not None
    )
    newer = dataclasses.replace(
        person,
        modified=person.modified.replace(year=person.modified.year + 1),
        first_surname="Zazueta",
    )
    _load(
        store,
        [StoredVersion.of(r) for r in mx]
        + [StoredVersion.of(newer), StoredVersion.of(us_person, received_from="US")],
    )
    with store.unit_of_work() as uow:
        persons = own_person_names(uow.connection, "MX")
        orgs = own_organisation_names(uow.connection, "MX")
        keys = own_name_keys(uow.connection, "MX", NameKeyKind.PERSON)
    assert persons[person.id].first_surname == "Zazueta"
    # The place of birth is read too (for the "#P|" key), whether written or from the CURP.
    assert persons[person.id].place_of_birth == newer.place_of_birth
    assert us_person.id not in persons
    assert len(persons) == sum(isinstance(r, Person) for r in mx)
    assert len(orgs) == sum(isinstance(r, Company | CriminalOrganisation) for r in mx)
    sex = newer.sex.value if newer.sex else None
    name = PersonName(
        newer.given_names,
        "Zazueta",
        newer.second_surname,
        newer.date_of_birth,
        sex,
        newer.place_of_birth,
    )
    assert any(key.startswith(b"#P|") for key in person_keys(name))
    for key in person_keys(name):
        assert person.id in keys[key.decode("ascii")]


def test_name_keys_cut_by_id_range_merge_into_the_whole_sets_keys(store: Store) -> None:
    # How a node's workers derive a run's name keys (enlace.jobs.name_keys): each chunk of
    # records by id range apart, then merged.
    records = generate(SynthConfig(seed=3, scale=300)).records
    named = [r for r in records["MX"] if isinstance(r, Person | Company | CriminalOrganisation)]
    _load(store, [StoredVersion.of(r) for r in named])
    with store.unit_of_work() as uow:
        for kind in NameKeyKind:
            whole = own_name_keys(uow.connection, "MX", kind)
            count, bounds = own_record_bounds(uow.connection, "MX", kind, 2)
            assert count == len(
                own_person_names(uow.connection, "MX")
                if kind is NameKeyKind.PERSON
                else own_organisation_names(uow.connection, "MX")
            )
            assert len(bounds) == (count - 1) // 2 >= 3
            ranges = zip([None, *bounds], [*bounds, None], strict=True)
            parts = [
                own_name_keys(uow.connection, "MX", kind, after=after, upto=upto)
                for after, upto in ranges
            ]
            # Each record in one chunk: no key's holders cross from one chunk to another
            # twice, and together they are the whole set's.
            assert merge_name_keys(parts) == whole
            sizes = [len({r for ids in part.values() for r in ids}) for part in parts]
            assert sum(sizes) == len({r for ids in whole.values() for r in ids})
            # A set cut in one chunk: no bounds.
            assert own_record_bounds(uow.connection, "MX", kind, count) == (count, [])
