"""Persons, their phones, and transfers of custody between the parties."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date

from enlace.model.identifiers import CURP_STATE_CODES, InvalidIdentifier, normalise_phone
from enlace.model.records import CustodyTransfer, Person, PhoneNumber, Record
from enlace.model.vocabulary import CustodyKind, Sex
from enlace.synth.actors import ORG_PREVALENCE, organisation_id
from enlace.synth.names import (
    CURP_STATES,
    PERSON_VARIATIONS,
    PersonName,
    birth_date,
    english_name,
    given_name,
    hispanic_us_name,
    make_curp,
    mexican_name,
    needs_two_given_names,
    vary,
)
from enlace.synth.world import Entity, Weighted, World, below, build, render

PERSON_AGENCIES = {
    "MX": Weighted(
        (("FGR", 50), ("SSPC", 25), ("DEFENSA", 10), ("UIF", 5), ("MARINA", 5), ("ANAM", 5))
    ),
    "US": Weighted((("DEA", 35), ("HSI", 30), ("FBI", 20), ("ATF", 10), ("CBP", 5))),
}
PHONE_AGENCIES = {
    "MX": Weighted((("FGR", 55), ("SSPC", 35), ("DEFENSA", 10))),
    "US": Weighted((("DEA", 40), ("HSI", 35), ("FBI", 25))),
}


# How often a record of a Mexican national writes the state of birth: a US record
# (immigration and arrest records usually record a foreign national's place of birth; the
# rest hold only the country, as nationality), a Mexican record without a CURP (with one,
# the record takes the CURP's state).
_US_HOLDS_PLACE = 0.7
_MX_HOLDS_PLACE = 0.9


def person_id(world: World, party: str, index: int) -> str:
    """The id of a party's record of world person `index`."""
    return world.record_id("identity", party, "person", index)


def _name_fields(name: PersonName) -> dict[str, object]:
    return {
        "given_names": name.given_names,
        "first_surname": name.first_surname,
        "second_surname": name.second_surname,
        "date_of_birth": name.date_of_birth,
        "sex": Sex.FEMALE if name.female else Sex.MALE,
        "aliases": name.aliases,
    }


def person_entity(world: World, index: int) -> Entity:
    """World person `index` as each holder records it."""
    holders, rng = world.entity("person", index)
    born = birth_date(rng, world.config.end)
    seen = world.day(rng)
    parties = {}
    if holders == ("US",):
        if rng.random() < 0.6:
            name, nationality = english_name(rng, born), "US"
        else:
            name = hispanic_us_name(rng, born)
            nationality = "US" if rng.random() < 0.5 else "MX"
        fields = _name_fields(name) | {"nationality": nationality}
        place_rng = world.rng("person-birthplace", index)
        if nationality == "MX" and place_rng.random() < _US_HOLDS_PLACE:
            fields["place_of_birth"] = CURP_STATE_CODES.get(CURP_STATES.pick(place_rng))
        agency = PERSON_AGENCIES["US"].pick(rng)
        parties["US"] = render(world, rng, "US", agency, seen, fields)
        return Entity(holders, "exact", parties)

    shared = len(holders) > 1
    variation = PERSON_VARIATIONS.pick(rng) if shared else "exact"
    if variation == "day and month of birth swapped" and (born.day > 12 or born.day == born.month):
        born = date(born.year, born.month, 1 + (born.month + below(rng, 11)) % 12)
        if born.day == born.month:
            born = date(born.year, born.month, 1 + born.month % 12)
    name = mexican_name(
        rng,
        particle=variation == "particle written differently",
        nickname=variation == "nickname",
        born=born,
    )
    if needs_two_given_names(variation) and " " not in name.given_names:
        name = PersonName(
            given_name(rng, name.female, compound=True),
            name.first_surname,
            name.second_surname,
            born,
            name.female,
            name.aliases,
        )
    if not shared and rng.random() < 0.12:
        name = PersonName(
            name.given_names, name.first_surname, None, born, name.female, name.aliases
        )
    nationality = "MX" if rng.random() < 0.95 else "US"
    curp = None
    # The state of birth comes from its own stream (and, with a CURP, from the draw the
    # CURP always took), so that every other field stays what it was before it existed.
    place_rng = world.rng("person-birthplace", index)
    state = None
    if nationality == "MX" and rng.random() < 0.85:
        state = CURP_STATES.pick(rng)
        curp = make_curp(rng, name, born, state)
    elif nationality == "MX":
        state = CURP_STATES.pick(place_rng)
    born_in = CURP_STATE_CODES.get(state or "")  # None: born abroad ("NE") or not Mexican
    mx_name = name
    if not shared and rng.random() < 0.1:
        mx_name = PersonName(
            name.given_names,
            name.first_surname,
            name.second_surname,
            None,
            name.female,
            name.aliases,
        )
    mx_fields = _name_fields(mx_name) | {"nationality": nationality, "curp": curp}
    # With a CURP the record derives its place of birth (Person); without, most Mexican
    # records still write where the person was born.
    if curp is None and place_rng.random() < _MX_HOLDS_PLACE:
        mx_fields["place_of_birth"] = born_in
    parties["MX"] = render(world, rng, "MX", PERSON_AGENCIES["MX"].pick(rng), seen, mx_fields)
    if shared:
        us_name = vary(rng, name, variation)
        us_fields = _name_fields(us_name) | {
            "nationality": nationality if rng.random() < 0.9 else None,
            "curp": curp if rng.random() < 0.25 else None,
        }
        if place_rng.random() < _US_HOLDS_PLACE:
            us_fields["place_of_birth"] = born_in
        if rng.random() < 0.1:
            us_fields["sex"] = None
        us_day = world.day_at((seen - world.start).days + below(rng, 90))
        parties["US"] = render(world, rng, "US", PERSON_AGENCIES["US"].pick(rng), us_day, us_fields)
    return Entity(holders, variation, parties)


def person_records(world: World, party: str) -> Iterator[Record]:
    """A party's persons, each followed by its member-of relationship when it has one."""
    for index in range(world.counts.persons):
        holders = world.holders("person", index)
        if party not in holders:
            continue
        entity = person_entity(world, index)
        person = build(world, Person, party, "person", index, entity.parties[party])
        yield person
        u = world.unit("member-of", index)
        if u < 0.35:
            org = ORG_PREVALENCE.at(u / 0.35)
            yield world.relationship(party, "member-of", person, organisation_id(world, party, org))


# --- phones ---------------------------------------------------------------------------

# Area codes (claves LADA / NANP area codes) of the border and the trafficking routes.
MX_AREA_CODES = Weighted(
    (
        ("664", 12), ("686", 6), ("646", 3), ("631", 4), ("662", 5), ("653", 3), ("656", 10),
        ("614", 5), ("867", 6), ("899", 6), ("868", 5), ("878", 2), ("877", 2), ("81", 7),
        ("667", 9), ("669", 3), ("33", 6), ("55", 5), ("443", 3), ("744", 2),
    )
)  # fmt: skip
US_AREA_CODES = Weighted(
    (
        ("619", 8), ("760", 4), ("520", 7), ("602", 6), ("915", 8), ("956", 9), ("210", 5),
        ("713", 5), ("214", 4), ("213", 5), ("312", 4), ("404", 3), ("702", 3), ("505", 2),
        ("575", 2),
    )
)  # fmt: skip

# (label, format) of a number as each side writes it; {a} area code, {b} and {c} the rest.
_WRITTEN: dict[tuple[str, str], Weighted[tuple[str, str]]] = {
    ("MX", "52"): Weighted(
        (
            (("10 digits", "{a} {b} {c}"), 30),
            (("legacy 044 prefix", "044 {a} {b} {c}"), 20),
            (("legacy 045 prefix", "045 {a} {b} {c}"), 8),
            (("mobile 1 after +52", "+52 1 {a} {b} {c}"), 12),
            (("+52", "+52 {a} {b} {c}"), 30),
        )
    ),
    ("MX", "1"): Weighted(
        ((("+1", "+1 {a} {b} {c}"), 60), (("00 1 international prefix", "001 {a} {b} {c}"), 40))
    ),
    ("US", "1"): Weighted(
        (
            (("(area) form", "({a}) {b}-{c}"), 50),
            (("dashes", "{a}-{b}-{c}"), 25),
            (("dots", "{a}.{b}.{c}"), 10),
            (("+1", "+1 {a} {b} {c}"), 15),
        )
    ),
    ("US", "52"): Weighted(
        (
            (("+52 (area) form", "+52 ({a}) {b}-{c}"), 50),
            (("011 52 international prefix", "011-52-{a}-{b}-{c}"), 30),
            (("52 without +", "52{a}{b}{c}"), 20),
        )
    ),
}
_MX_CONTEXT = (
    "extraído de teléfono celular asegurado",
    "registro de llamadas de la carpeta de investigación",
    "reportado en denuncia anónima",
    "contacto en mensajería instantánea",
)
_US_CONTEXT = (
    "from a seized handset extraction",
    "subscriber records via administrative subpoena",
    "confidential source reporting",
    "pen register / trap and trace",
)


def _phone_number(rng: random.Random, country: str) -> tuple[str, str, str, str]:
    """(E.164, area code, first part, last part) of an assigned number."""
    for _ in range(50):
        if country == "52":
            area = MX_AREA_CODES.pick(rng)
            digits = 10 - len(area)
            rest = f"{2 + below(rng, 8)}{below(rng, 10 ** (digits - 1)):0{digits - 1}d}"
        else:
            area = US_AREA_CODES.pick(rng)
            exchange = 200 + below(rng, 800)
            if exchange % 100 == 11 or exchange == 555:
                continue
            rest = f"{exchange}{below(rng, 10000):04d}"
        if _assigned(country, area, rest[:2], rest):
            return f"+{country}{area}{rest}", area, rest[:-4], rest[-4:]
    raise RuntimeError("no valid phone number after 50 draws")  # pragma: no cover


_ASSIGNED: dict[tuple[str, str, str], bool] = {}


def _assigned(country: str, area: str, block: str, rest: str) -> bool:
    """Whether numbers of this block (area code + 2 digits) are assigned ones.

    For the area codes used here, validity in phonenumbers' metadata is decided by the
    area code and the next two digits (tests/synth checks a large sample), so the phone
    normaliser is asked once per block: a few thousand blocks at most.
    """
    key = (country, area, block)
    found = _ASSIGNED.get(key)
    if found is None:
        try:
            found = normalise_phone(f"+{country}{area}{rest}") == f"+{country}{area}{rest}"
        except InvalidIdentifier:
            found = False
        _ASSIGNED[key] = found
    return found


def phone_entity(world: World, index: int) -> Entity:
    """World phone `index` as each holder records it."""
    holders, rng = world.entity("phone", index)
    if holders == ("MX",):
        country = "52" if rng.random() < 0.9 else "1"
    elif holders == ("US",):
        country = "1" if rng.random() < 0.75 else "52"
    else:
        country = "52" if rng.random() < 0.7 else "1"
    e164, area, middle, last = _phone_number(rng, country)
    seen = world.day(rng)
    labels = []
    parties = {}
    for party in holders:
        label, pattern = _WRITTEN[(party, country)].pick(rng)
        written = pattern.format(a=area, b=middle, c=last)
        labels.append(label)
        if party == "MX":
            context = _MX_CONTEXT[below(rng, len(_MX_CONTEXT))]
            description = f"Número asentado como «{written}»; {context}"
        else:
            context = _US_CONTEXT[below(rng, len(_US_CONTEXT))]
            description = f"Number as written in the source: {written}; {context}"
        day = (
            seen
            if party == holders[0]
            else world.day_at((seen - world.start).days + below(rng, 60))
        )
        # country: the region a number written without + is read in; the importer sets it
        # to the importing party when a row leaves it empty, so records match imported ones.
        fields: dict[str, object] = {"number": e164, "country": party, "description": description}
        parties[party] = render(world, rng, party, PHONE_AGENCIES[party].pick(rng), day, fields)
    variation = "exact" if len(set(labels)) == 1 else " vs ".join(labels)
    return Entity(holders, variation, parties)


def phone_records(world: World, party: str) -> Iterator[Record]:
    """A party's phone numbers, each followed by 'used-by' the person it belongs to."""
    persons = world.counts.persons
    for index in range(world.counts.phones):
        holders = world.holders("phone", index)
        if party not in holders:
            continue
        entity = phone_entity(world, index)
        phone = build(world, PhoneNumber, party, "phone", index, entity.parties[party])
        yield phone
        if world.unit("phone-user", index) < 0.9:
            owner = world.linked("person", persons, holders, "phone", index)
            if owner is not None:
                yield world.relationship(party, "used-by", phone, person_id(world, party, owner))


# --- transfers of custody -------------------------------------------------------------

# Days of the 2025 mass transfers (traslados) of prisoners from Mexico to the US.
_MASS_TRANSFER_DAYS = (date(2025, 2, 27), date(2025, 8, 12))
_US_DISTRICTS = (
    "U.S. District Court for the Southern District of New York",
    "U.S. District Court for the Eastern District of New York",
    "U.S. District Court for the Northern District of Illinois",
    "U.S. District Court for the District of Columbia",
    "U.S. District Court for the Western District of Texas",
    "U.S. District Court for the Southern District of Texas",
    "U.S. District Court for the Southern District of California",
    "U.S. District Court for the District of Arizona",
)
_MX_DESTINATIONS = (
    "Centro Federal de Readaptación Social No. 1 Altiplano",
    "Centro Federal de Readaptación Social No. 11 Hermosillo",
    "Fiscalía General de la República, Ciudad de México",
)
_MECHANISMS = {
    (CustodyKind.EXTRADITION, "MX"): "Tratado de Extradición entre México y Estados Unidos (1978)",
    (CustodyKind.EXTRADITION, "US"): "Extradition Treaty between the United States and Mexico "
    "(1978)",
    (CustodyKind.TRANSFER, "MX"): "Ley de Seguridad Nacional (traslado)",
    (CustodyKind.TRANSFER, "US"): "Transfer under Mexico's National Security Law",
    (CustodyKind.DEPORTATION, "MX"): "Entrega por deportación en garita fronteriza",
    (CustodyKind.DEPORTATION, "US"): "Removal under the Immigration and Nationality Act",
}
TRANSFER_AGENCIES = {
    "MX": Weighted((("FGR", 80), ("SSPC", 20))),
    "US": Weighted((("FBI", 40), ("DEA", 45), ("HSI", 15))),
}


def transfer_entity(world: World, index: int) -> tuple[int, Entity] | None:
    """Transfer of custody `index`: the world person moved, and each party's record of it."""
    rng = world.rng("transfer", index)
    both = ("MX", "US")
    person = world.linked("person", world.counts.persons, both, "transfer", index)
    holders: tuple[str, ...] = both
    if person is None:
        holders = ("MX",)
        person = world.linked("person", world.counts.persons, holders, "transfer", index)
        if person is None:
            return None
    roll = rng.random()
    if roll < 0.1:
        kind, source, target = CustodyKind.DEPORTATION, "US", "MX"
    elif roll < 0.5:
        kind, source, target = CustodyKind.EXTRADITION, "MX", "US"
    else:
        kind, source, target = CustodyKind.TRANSFER, "MX", "US"
    mass = [d for d in _MASS_TRANSFER_DAYS if world.config.start <= d <= world.config.end]
    if kind is CustodyKind.TRANSFER and mass and rng.random() < 0.8:
        day = mass[below(rng, len(mass))]
    else:
        day = world.day(rng)
    destination = _US_DISTRICTS if target == "US" else _MX_DESTINATIONS
    where = destination[below(rng, len(destination))]
    parties = {}
    for party in holders:
        fields: dict[str, object] = {
            "person_ref": person_id(world, party, person),
            "transfer_kind": kind,
            "legal_mechanism": _MECHANISMS[(kind, party)],
            "transfer_date": day,
            "from_party": source,
            "to_party": target,
            "destination": where,
        }
        parties[party] = render(
            world, rng, party, TRANSFER_AGENCIES[party].pick(rng), day, fields, lag_days=2
        )
    return person, Entity(holders, "exact", parties)


def transfer_records(world: World, party: str) -> Iterator[Record]:
    """A party's records of transfers of custody."""
    for index in range(world.counts.transfers):
        found = transfer_entity(world, index)
        if found is None or party not in found[1].parties:
            continue
        yield build(
            world, CustodyTransfer, party, "custody-transfer", index, found[1].parties[party]
        )
