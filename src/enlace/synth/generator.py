"""Deterministic synthetic records for each party, and the truth of what they share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from enlace.model.records import Record
from enlace.synth.actors import (
    ORGANISATIONS,
    company_entity,
    company_records,
    organisation_entity,
    organisation_records,
)
from enlace.synth.config import SynthConfig
from enlace.synth.firearms import firearm_entity, firearm_records, mx_traced_us_share
from enlace.synth.people import (
    person_entity,
    person_records,
    phone_entity,
    phone_records,
    transfer_records,
)
from enlace.synth.seizures import laboratory_records, location_records, seizure_records
from enlace.synth.truth import TruthLink
from enlace.synth.vehicles import vehicle_entity, vehicle_records
from enlace.synth.world import Entity, World


@dataclass(frozen=True)
class SynthDataset:
    """Each party's records (agencies not included) and the truth links between them."""

    records: dict[str, list[Record]]
    truth: list[TruthLink]


# The order a party's records come in: what a record refers to comes before it.
_SECTIONS: tuple[Callable[[World, str], Iterator[Record]], ...] = (
    organisation_records,
    location_records,
    company_records,
    person_records,
    phone_records,
    vehicle_records,
    seizure_records,
    firearm_records,
    laboratory_records,
    transfer_records,
)


def iter_party_records(config: SynthConfig, party: str) -> Iterator[Record]:
    """One party's records, streamed: the same records, in the same order, as generate().

    Memory does not grow with the scale: every entity is rebuilt from the config alone.
    """
    if party not in config.parties:
        raise ValueError(f"party {party!r} is not one of the config's parties {config.parties}")
    world = World(config)
    for section in _SECTIONS:
        yield from section(world, party)


def generate(config: SynthConfig) -> SynthDataset:
    """Every party's records and the truth links; the same config gives identical output."""
    records = {party: list(iter_party_records(config, party)) for party in config.parties}
    return SynthDataset(records=records, truth=truth_links(config))


def truth_links(config: SynthConfig) -> list[TruthLink]:
    """Which records of the config's parties refer to the same thing, and how they differ."""
    world = World(config)
    parties = config.parties
    if len(parties) < 2:
        return []
    traced_share = mx_traced_us_share(world)
    counts = world.counts
    kinds: tuple[tuple[str, str, int, Callable[[World, int], Entity]], ...] = (
        ("organisation", "threat-actor", len(ORGANISATIONS), organisation_entity),
        ("company", "identity", counts.companies, company_entity),
        ("person", "identity", counts.persons, person_entity),
        ("phone", "enlace-phone-number", counts.phones, phone_entity),
        ("vehicle", "enlace-vehicle", counts.vehicles, vehicle_entity),
        (
            "firearm",
            "enlace-firearm",
            counts.firearms,
            lambda w, i: firearm_entity(w, i, traced_share),
        ),
    )
    links = []
    for kind, stix_type, count, entity_of in kinds:
        for index in range(count):
            if kind != "organisation":
                holders = world.holders(kind, index)
                if sum(p in holders for p in parties) < 2:
                    continue
            entity = entity_of(world, index)
            held = tuple(p for p in parties if p in entity.holders)
            links.append(TruthLink(
                kind=kind,
                records=tuple((p, world.record_id(stix_type, p, kind, index)) for p in held),
                variation=entity.variation,
            ))  # fmt: skip
    return links
