"""Criminal organisations (real, public names) and companies (invented front companies)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from enlace.model.identifiers import normalise_rfc, strip_accents
from enlace.model.records import Company, CriminalOrganisation, Record
from enlace.synth.world import Entity, Weighted, World, below, build, render, uniform


@dataclass(frozen=True, slots=True)
class Organisation:
    """A criminal organisation as each party names it."""

    mx_name: str
    mx_aliases: tuple[str, ...]
    us_name: str
    us_aliases: tuple[str, ...]
    designations: tuple[str, ...]  # US designations (FTO, SDGT)
    variation: str


# Public names. The six designated as Foreign Terrorist Organizations and SDGTs in February
# 2025 carry FTO|SDGT on the US side; Mexico keeps no such list.
ORGANISATIONS: tuple[Organisation, ...] = (
    Organisation(
        "Cártel de Sinaloa",
        ("CDS", "Cártel del Pacífico"),
        "Sinaloa Cartel",
        ("Cártel de Sinaloa", "CDS"),
        ("FTO", "SDGT"),
        "English name, Spanish name as alias",
    ),
    Organisation(
        "Cártel de Jalisco Nueva Generación",
        ("CJNG",),
        "Jalisco New Generation Cartel",
        ("Cartel de Jalisco Nueva Generacion", "CJNG"),
        ("FTO", "SDGT"),
        "English name, Spanish name as alias without accents",
    ),
    Organisation(
        "Cártel del Golfo",
        ("CDG",),
        "Gulf Cartel",
        ("Cartel del Golfo", "CDG"),
        ("FTO", "SDGT"),
        "English name, Spanish name as alias without accents",
    ),
    Organisation(
        "Cártel del Noreste",
        ("CDN",),
        "Cartel del Noreste",
        ("CDN",),
        ("FTO", "SDGT"),
        "accents dropped",
    ),
    Organisation(
        "La Nueva Familia Michoacana",
        ("LNFM", "Familia Michoacana"),
        "La Nueva Familia Michoacana",
        ("LNFM",),
        ("FTO", "SDGT"),
        "exact name",
    ),
    Organisation("Cárteles Unidos", (), "Carteles Unidos", (), ("FTO", "SDGT"), "accents dropped"),
    Organisation(
        "Cártel de Juárez",
        ("La Línea",),
        "Juarez Cartel",
        ("Cártel de Juárez", "La Linea"),
        (),
        "English name, Spanish name as alias",
    ),
)

# How often a person or company in the records is tied to each organisation.
ORG_PREVALENCE = Weighted(((0, 35), (1, 30), (2, 8), (3, 8), (4, 8), (5, 6), (6, 5)))

ORG_AGENCIES = {
    "MX": Weighted((("SSPC", 50), ("FGR", 40), ("DEFENSA", 10))),
    "US": Weighted((("TREASURY", 40), ("STATE", 30), ("DEA", 30))),
}


def organisation_id(world: World, party: str, index: int) -> str:
    """The id of a party's record of organisation `index` of ORGANISATIONS."""
    return world.record_id("threat-actor", party, "organisation", index)


def organisation_entity(world: World, index: int) -> Entity:
    """Organisation `index` as each party records it (both parties hold every one)."""
    org = ORGANISATIONS[index]
    rng = world.rng("organisation", index)
    first_seen = world.start
    mx: dict[str, object] = {"name": org.mx_name, "aliases": org.mx_aliases, "designations": ()}
    us: dict[str, object] = {
        "name": org.us_name,
        "aliases": org.us_aliases,
        "designations": org.designations,
    }
    parties = {
        "MX": render(world, rng, "MX", ORG_AGENCIES["MX"].pick(rng), first_seen, mx, 10),
        "US": render(world, rng, "US", ORG_AGENCIES["US"].pick(rng), first_seen, us, 10),
    }
    return Entity(("MX", "US"), org.variation, parties)


def organisation_records(world: World, party: str) -> Iterator[Record]:
    """A party's records of the criminal organisations."""
    for index in range(len(ORGANISATIONS)):
        entity = organisation_entity(world, index)
        yield build(
            world, CriminalOrganisation, party, "organisation", index, entity.parties[party]
        )


# --- companies --------------------------------------------------------------------------

_MX_ACTIVITY = uniform(
    (
        "Comercializadora", "Transportes", "Importadora y Exportadora", "Distribuidora",
        "Agroindustrias", "Inmobiliaria", "Servicios Logísticos", "Constructora",
        "Química Industrial", "Autotransportes", "Abarrotes y Semillas", "Grupo Empresarial",
    )
)  # fmt: skip
_MX_NAME = uniform(
    (
        "Álamo", "Sierra Madre", "Río Bravo", "El Dorado", "Pacífico", "Los Altos", "Santa Fe",
        "San Judas", "Mezquital", "Bahía Azul", "Cumbres", "Valle Verde", "Tres Ríos",
        "La Ceiba", "Nogal", "Peñasco", "Mar de Cortés", "Guamúchil",
    )
)  # fmt: skip
_MX_REGION = uniform(("del Norte", "de Sinaloa", "de Sonora", "del Bajío", "de Occidente", ""))
_MX_FORM = Weighted((("S.A. de C.V.", 70), ("S. de R.L. de C.V.", 20), ("S.A.P.I. de C.V.", 10)))
_US_NAME = uniform(
    (
        "Rio Grande", "Border", "Sun Valley", "Desert", "Lone Star", "Sonoran", "Pacific Coast",
        "Frontera", "Mesa", "Copper State", "Gulf Coast", "Red Rock",
    )
)  # fmt: skip
_US_ACTIVITY = uniform(
    (
        "Trading", "Freight Logistics", "Auto Sales", "Wholesale", "Imports", "Produce",
        "Money Services", "Holdings", "Transport",
    )
)  # fmt: skip
_US_FORM = Weighted((("LLC", 60), ("Inc.", 30), ("Corp.", 10)))
_RFC_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
_RFC_SKIP = frozenset(["DE", "DEL", "LA", "LAS", "LOS", "EL", "Y", "E"])
_HOMOCLAVE_1 = "123456789ABCDEFGHIJKLMNPQRSTUV"
_HOMOCLAVE_2 = "123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"

COMPANY_AGENCIES = {
    "MX": Weighted((("UIF", 60), ("FGR", 30), ("ANAM", 10))),
    "US": Weighted((("TREASURY", 55), ("HSI", 35), ("DEA", 10))),
}
COMPANY_VARIATIONS = Weighted(
    (
        ("exact", 15),
        ("accents dropped; legal form without dots", 35),
        ("legal form dropped", 25),
        ("upper case", 25),
    )
)


def company_rfc(rng: random.Random, name: str, founded: date) -> str:
    """A company RFC (12 characters) with a valid check digit."""
    words = [
        w
        for w in strip_accents(name).upper().replace(",", " ").split()
        if w.isalpha() and w not in _RFC_SKIP
    ]
    letters = "".join(w[0] for w in words[:3]).ljust(3, "X")
    homoclave = (
        _HOMOCLAVE_1[below(rng, len(_HOMOCLAVE_1))] + _HOMOCLAVE_2[below(rng, len(_HOMOCLAVE_2))]
    )
    body = f"{letters}{founded:%y%m%d}{homoclave}"
    padded = (" " + body)[-12:]
    total = sum(_RFC_ALPHABET.index(c) * (13 - i) for i, c in enumerate(padded))
    return normalise_rfc(body + _RFC_ALPHABET[(11 - total) % 11])[0]


def _mx_company(rng: random.Random) -> tuple[str, str]:
    """(name without legal form, legal form) of a Mexican company."""
    base = f"{_MX_ACTIVITY.pick(rng)} {_MX_NAME.pick(rng)} {_MX_REGION.pick(rng)}".strip()
    return base, _MX_FORM.pick(rng)


def company_id(world: World, party: str, index: int) -> str:
    """The id of a party's record of world company `index`."""
    return world.record_id("identity", party, "company", index)


def company_entity(world: World, index: int) -> Entity:
    """World company `index` as each holder records it."""
    holders, rng = world.entity("company", index)
    seen = world.day(rng)
    parties = {}
    if holders == ("US",):
        name = f"{_US_NAME.pick(rng)} {_US_ACTIVITY.pick(rng)} {_US_FORM.pick(rng)}"
        fields: dict[str, object] = {"name": name, "rfc": None, "country": "US"}
        parties["US"] = render(world, rng, "US", COMPANY_AGENCIES["US"].pick(rng), seen, fields)
        return Entity(holders, "exact", parties)
    base, form = _mx_company(rng)
    founded = date(1995 + below(rng, 29), 1 + below(rng, 12), 1 + below(rng, 28))
    rfc = company_rfc(rng, base, founded)
    mx_fields: dict[str, object] = {"name": f"{base}, {form}", "rfc": rfc, "country": "MX"}
    parties["MX"] = render(world, rng, "MX", COMPANY_AGENCIES["MX"].pick(rng), seen, mx_fields)
    variation = "exact"
    if len(holders) > 1:
        variation = COMPANY_VARIATIONS.pick(rng)
        plain_form = form.replace(".", "").replace("  ", " ")
        if variation == "exact":
            us_name = f"{base}, {form}"
        elif variation == "accents dropped; legal form without dots":
            us_name = f"{strip_accents(base)} {plain_form}"
        elif variation == "legal form dropped":
            us_name = strip_accents(base)
        else:
            us_name = f"{strip_accents(base)}, {form}".upper()
        us_fields: dict[str, object] = {
            "name": us_name,
            "rfc": rfc if rng.random() < 0.4 else None,
            "country": "MX",
        }
        us_day = world.day_at((seen - world.start).days + below(rng, 120))
        parties["US"] = render(
            world, rng, "US", COMPANY_AGENCIES["US"].pick(rng), us_day, us_fields
        )
    return Entity(holders, variation, parties)


def company_records(world: World, party: str) -> Iterator[Record]:
    """A party's companies, some followed by 'front-for' the organisation they serve."""
    for index in range(world.counts.companies):
        holders = world.holders("company", index)
        if party not in holders:
            continue
        entity = company_entity(world, index)
        company = build(world, Company, party, "company", index, entity.parties[party])
        yield company
        u = world.unit("front-for", index)
        if u < 0.5:
            org = ORG_PREVALENCE.at(u / 0.5)
            yield world.relationship(
                party, "front-for", company, organisation_id(world, party, org)
            )
