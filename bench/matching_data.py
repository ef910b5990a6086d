"""Name-matching data for the benchmark: persons and organisations of MX and US, with truth.

Built straight from the synthetic generator's entities (enlace.synth), so only the kinds
that name matching needs are generated: at 100k persons a side the whole dataset would
be about 2M records a party. The truth is the generator's: the same world entity held by
both parties, with the variation between the two records.
"""

from __future__ import annotations

from dataclasses import dataclass

from enlace.matching.names.keys import OrgName, PersonName
from enlace.model.records import Company, CriminalOrganisation, Person
from enlace.synth import SynthConfig
from enlace.synth.actors import ORGANISATIONS, company_entity, organisation_entity
from enlace.synth.people import person_entity
from enlace.synth.world import World, build

# Share of the world's persons a party holds at the default overlap (measured: 0.65-0.68).
_HELD_SHARE = 0.66
_PERSONS_PER_SCALE = 0.08


@dataclass(frozen=True)
class NameData:
    """Each party's records of one kind, by record id, and the truth pairs (MX id, US id)."""

    mx: dict[str, PersonName] | dict[str, OrgName]
    us: dict[str, PersonName] | dict[str, OrgName]
    truth: dict[tuple[str, str], str]  # (MX record id, US record id) -> variation


def scale_for(persons_per_side: int) -> int:
    """The generator scale that gives about `persons_per_side` persons to each party."""
    return max(100, round(persons_per_side / _HELD_SHARE / _PERSONS_PER_SCALE))


def persons(persons_per_side: int, seed: int = 7) -> NameData:
    """MX and US person records (as PersonName) and the person truth links."""
    world = World(SynthConfig(seed=seed, scale=scale_for(persons_per_side)))
    sides: dict[str, dict[str, PersonName]] = {"MX": {}, "US": {}}
    truth: dict[tuple[str, str], str] = {}
    for index in range(world.counts.persons):
        entity = person_entity(world, index)
        ids = {}
        for party, fields in entity.parties.items():
            record = build(world, Person, party, "person", index, fields)
            assert isinstance(record, Person)
            sides[party][record.id] = PersonName(
                record.given_names, record.first_surname, record.second_surname,
                record.date_of_birth, record.sex.value if record.sex else None,
                record.place_of_birth,
            )  # fmt: skip
            ids[party] = record.id
        if len(ids) == 2:
            truth[(ids["MX"], ids["US"])] = entity.variation
    return NameData(sides["MX"], sides["US"], truth)


def organisations(persons_per_side: int, seed: int = 7) -> NameData:
    """Criminal organisations and companies (as OrgName) at the same scale, with truth."""
    world = World(SynthConfig(seed=seed, scale=scale_for(persons_per_side)))
    sides: dict[str, dict[str, OrgName]] = {"MX": {}, "US": {}}
    truth: dict[tuple[str, str], str] = {}
    for index in range(len(ORGANISATIONS)):
        entity = organisation_entity(world, index)
        ids = {}
        for party, fields in entity.parties.items():
            org = build(world, CriminalOrganisation, party, "organisation", index, fields)
            assert isinstance(org, CriminalOrganisation)
            sides[party][org.id] = OrgName(org.name, tuple(org.aliases))
            ids[party] = org.id
        truth[(ids["MX"], ids["US"])] = "organisation: " + entity.variation
    for index in range(world.counts.companies):
        entity = company_entity(world, index)
        ids = {}
        for party, fields in entity.parties.items():
            company = build(world, Company, party, "company", index, fields)
            assert isinstance(company, Company)
            sides[party][company.id] = OrgName(company.name)
            ids[party] = company.id
        if len(ids) == 2:
            truth[(ids["MX"], ids["US"])] = "company: " + entity.variation
    return NameData(sides["MX"], sides["US"], truth)
