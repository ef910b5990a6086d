"""Criminal organisations (real, public names) and companies (invented front companies)."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from enlace.model.identifiers import normalise_rfc, strip_accents
from enlace.model.records import Company, CriminalOrganisation, Record
from enlace.synth.names import SURNAMES, typo
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
        "Servicios Integrales", "Distribuidora Internacional", "Grupo Industrial",
        "Transportes y Servicios", "Constructora e Inmobiliaria", "Comercial", "Productos",
        "Fletes y Mudanzas", "Combustibles", "Farmacéutica", "Agrícola", "Minera",
        "Casa de Cambio", "Empacadora", "Materiales", "Operadora", "Consultores",
    )
)  # fmt: skip
# The distinctive part of a Mexican company's name: a place, a tree or animal, a saint, a
# brand-like word, or the founders' surnames ("Hernández Ruiz", "García Hermanos").
_MX_NAME = uniform(
    (
        "Álamo", "Sierra Madre", "Río Bravo", "El Dorado", "Pacífico", "Los Altos", "Santa Fe",
        "San Judas", "Mezquital", "Bahía Azul", "Cumbres", "Valle Verde", "Tres Ríos",
        "La Ceiba", "Nogal", "Peñasco", "Mar de Cortés", "Guamúchil",
    )
)  # fmt: skip
_MX_PLACES = uniform(
    (
        "Culiacán", "Navolato", "Mazatlán", "Los Mochis", "Guasave", "Hermosillo", "Cajeme",
        "Nogales", "Agua Prieta", "Mexicali", "Tijuana", "Ensenada", "Tecate", "Rosarito",
        "Juárez", "Chihuahua", "Delicias", "Parral", "Reynosa", "Matamoros", "Nuevo Laredo",
        "Monterrey", "Apodaca", "Saltillo", "Torreón", "Durango", "Zacatecas", "Morelia",
        "Uruapan", "Apatzingán", "Guadalajara", "Zapopan", "Tepic", "Colima", "Manzanillo",
        "Lázaro Cárdenas", "Acapulco", "Iguala", "Toluca", "Celaya", "Irapuato", "León",
        "Querétaro", "Veracruz", "Coatzacoalcos", "Tampico", "Altamira", "Piedras Negras",
    )
)  # fmt: skip
_MX_NATURE = uniform(
    (
        "Encino", "Roble", "Cedro", "Pino", "Sauce", "Mezquite", "Huizache", "Palma", "Nopal",
        "Maguey", "Agave", "Ciprés", "Jacaranda", "Olivo", "Laurel", "Fresno", "Ahuehuete",
        "Águila", "Halcón", "Cóndor", "Jaguar", "Puma", "Lobo", "Coyote", "Venado", "Bisonte",
        "Tecolote", "Gavilán", "Delfín", "Marlín", "Sol", "Luna", "Estrella", "Horizonte",
        "Cumbre", "Brisa", "Oasis", "Diamante", "Esmeralda", "Jade", "Ámbar", "Cobre", "Plata",
    )
)  # fmt: skip
_MX_QUALITY = uniform(
    (
        "Dorado", "Azul", "Verde", "Real", "Grande", "Nuevo", "Blanco", "Rojo", "Imperial",
        "del Valle", "del Mar", "de Oro", "del Sol", "del Desierto", "de la Sierra",
    )
)  # fmt: skip
_MX_SAINTS = uniform(
    (
        "San José", "San Miguel", "San Pedro", "San Juan", "San Francisco", "San Antonio",
        "San Martín", "San Rafael", "San Isidro", "Santa Rosa", "Santa Anita", "Santa Elena",
        "Santa Cecilia", "Santa Lucía", "Guadalupe", "El Carmen", "La Providencia",
    )
)  # fmt: skip
_MX_SYLLABLES = ("Agro", "Trans", "Mex", "Logi", "Comer", "Indus", "Tec", "Pro", "Max",
                 "Multi", "Inter", "Nova", "Servi", "Fin", "Ali", "Pak", "Sur", "Nor")  # fmt: skip
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
# How the partner's record writes a company's name (DOMAIN.md, "Names of organisations as
# they really vary"). Abbreviated words and "&" need a word to abbreviate or a "y": a name
# without one is written as in "accents dropped; legal form without dots".
COMPANY_VARIATIONS = Weighted(
    (
        ("exact", 12),
        ("accents dropped; legal form without dots", 22),
        ("legal form dropped", 16),
        ("upper case", 14),
        ("legal form spelled out", 6),
        ("legal form punctuated differently", 6),
        ("words abbreviated", 8),
        ("typo in name", 8),
        ("'y' written '&'", 4),
        ("trade name (activity and legal form dropped)", 4),
    )
)
_SPELLED_FORMS = {
    "S.A. de C.V.": "Sociedad Anónima de Capital Variable",
    "S. de R.L. de C.V.": "Sociedad de Responsabilidad Limitada de Capital Variable",
    "S.A.P.I. de C.V.": "Sociedad Anónima Promotora de Inversión de Capital Variable",
}
_PUNCTUATED_FORMS = {
    "S.A. de C.V.": ("S.A.DE C.V.", "S. A. de C. V.", "SA. de CV.", "S.A. DE C.V"),
    "S. de R.L. de C.V.": ("S DE RL DE CV", "S. de R. L. de C. V.", "S.de R.L.de C.V."),
    "S.A.P.I. de C.V.": ("SAPI DE CV", "S.A.P.I. DE C.V", "S. A. P. I. de C. V."),
}
# Abbreviations clerks use for words of company names.
_ABBREVIATIONS = {
    "Hermanos": "Hnos.", "Compañía": "Cía.", "Grupo": "Gpo.", "Servicios": "Servs.",
    "Distribuidora": "Dist.", "Internacional": "Int'l", "Transportes": "Transp.",
    "Importadora": "Imp.", "Exportadora": "Exp.", "Comercializadora": "Comerc.",
    "Constructora": "Const.", "Industrial": "Ind.", "Santa": "Sta.", "Autotransportes": "Autotransp.",
    "Agroindustrias": "Agroind.", "Asociados": "Asoc.",
}  # fmt: skip
# Activity words a trade name leaves out ("Transportes Álamo, S.A. de C.V." is "Álamo").
_ACTIVITY_WORDS = frozenset(
    w for activity in _MX_ACTIVITY.items for w in activity.split() if w not in ("y", "e", "de")
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


def _distinctive(rng: random.Random) -> str:
    """The part of a Mexican company's name that tells it from others of its trade."""
    roll = rng.random()
    if roll < 0.3:
        first, second = SURNAMES.pick(rng), SURNAMES.pick(rng)
        forms = (
            f"{first} {second}", f"{first} Hermanos", f"Hermanos {first}", f"{first} e Hijos",
            f"{first} y Asociados", f"{first} y Compañía",
        )  # fmt: skip
        return forms[below(rng, len(forms))]
    if roll < 0.5:
        return f"{_MX_NATURE.pick(rng)} {_MX_QUALITY.pick(rng)}"
    if roll < 0.65:
        return _MX_PLACES.pick(rng)
    if roll < 0.8:
        return _MX_SAINTS.pick(rng)
    if roll < 0.9:
        a, b = below(rng, len(_MX_SYLLABLES)), below(rng, len(_MX_SYLLABLES))
        return (_MX_SYLLABLES[a] + _MX_SYLLABLES[b].lower()) if a != b else _MX_SYLLABLES[a] + "sa"
    return _MX_NAME.pick(rng)


@functools.lru_cache(maxsize=4)
def _mx_company_names(world: World) -> dict[int, str]:
    """The name (without legal form) of every company a Mexican party holds, all different.

    In Mexico no two companies share a denominación: the Secretaría de Economía authorises
    each name before the company is constituted and refuses one already taken. Different
    companies still share words ("Transportes Álamo del Norte", "Transportes Álamo de
    Sonora"), which a name matcher must keep apart.
    """
    taken: set[str] = set()
    names: dict[int, str] = {}
    for index in range(world.counts.companies):
        if "MX" not in world.holders("company", index):
            continue
        rng = world.rng("company-name", index)
        while True:
            name = f"{_MX_ACTIVITY.pick(rng)} {_distinctive(rng)} {_MX_REGION.pick(rng)}".strip()
            key = strip_accents(name).upper()
            if key not in taken:
                break
        taken.add(key)
        names[index] = name
    return names


def _us_name_of(rng: random.Random, base: str, form: str, variation: str) -> tuple[str, str]:
    """How the US record writes "<base>, <form>" under `variation` (COMPANY_VARIATIONS).

    Also the variation applied: a name with nothing to abbreviate, no "y" or no activity
    word is written as in "accents dropped; legal form without dots".
    """
    plain_form = form.replace(".", "").replace("  ", " ")
    plain = strip_accents(base)
    if variation == "exact":
        return f"{base}, {form}", variation
    if variation == "legal form dropped":
        return plain, variation
    if variation == "upper case":
        return f"{plain}, {form}".upper(), variation
    if variation == "legal form spelled out":
        return f"{base}, {_SPELLED_FORMS[form]}", variation
    if variation == "legal form punctuated differently":
        forms = _PUNCTUATED_FORMS[form]
        return f"{plain} {forms[below(rng, len(forms))]}", variation
    if variation == "words abbreviated":
        abbreviated = " ".join(_ABBREVIATIONS.get(w, w) for w in base.split())
        if abbreviated != base:
            return f"{strip_accents(abbreviated)}, {form}", variation
    if variation == "typo in name":
        words = base.split()
        long = [i for i, w in enumerate(words) if len(w) >= 4]
        if long:
            i = long[below(rng, len(long))]
            words[i] = typo(rng, words[i])
            return f"{strip_accents(' '.join(words))} {plain_form}", variation
    if variation == "'y' written '&'" and (" y " in base or " e " in base):
        return f"{plain.replace(' y ', ' & ').replace(' e ', ' & ')}, {form}", variation
    if variation == "trade name (activity and legal form dropped)":
        kept = [w for w in base.split() if w not in _ACTIVITY_WORDS]
        while kept and kept[0] in ("y", "e", "de", "del"):
            kept = kept[1:]  # "Fletes y Mudanzas Cedro" is "Cedro"
        if kept and len(kept) < len(base.split()):
            return strip_accents(" ".join(kept)), variation
    return f"{plain} {plain_form}", "accents dropped; legal form without dots"


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
    # Drawn from the entity's stream as before, so its other fields stay as they were; the
    # name itself comes from the unique names of _mx_company_names.
    _, form = _mx_company(rng)
    base = _mx_company_names(world)[index]
    founded = date(1995 + below(rng, 29), 1 + below(rng, 12), 1 + below(rng, 28))
    rfc = company_rfc(rng, base, founded)
    mx_fields: dict[str, object] = {"name": f"{base}, {form}", "rfc": rfc, "country": "MX"}
    parties["MX"] = render(world, rng, "MX", COMPANY_AGENCIES["MX"].pick(rng), seen, mx_fields)
    variation = "exact"
    if len(holders) > 1:
        variation = COMPANY_VARIATIONS.pick(rng)
        us_name, variation = _us_name_of(
            world.rng("company-variation", index), base, form, variation
        )
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
