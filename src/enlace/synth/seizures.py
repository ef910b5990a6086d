"""Seizures at the border and inland, clandestine laboratories, and the ports themselves.

US drug seizures follow CBP's Southwest Border profile (field office and drug in proportion
to seizure events, pounds per event around CBP's mean), at the real land ports. Mexico's
draw on the same corridor profile, reported the Mexican way: kilograms, and fentanyl also in
pills, by ANAM, Defensa, Marina, FGR and SSPC.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache

from enlace.model.geography import PORTS_OF_ENTRY, PortOfEntry
from enlace.model.records import Laboratory, Location, Record, Seizure
from enlace.model.vocabulary import (
    POUNDS_PER_KG,
    DrugType,
    LaboratoryStatus,
    QuantityUnit,
    SeizedCategory,
)
from enlace.synth.actors import ORG_PREVALENCE, organisation_id
from enlace.synth.cbp_profile import load_profile
from enlace.synth.world import Weighted, World, below, build, render

SEIZURE_CATEGORIES = {
    "MX": Weighted(
        (
            (SeizedCategory.DRUG, 68), (SeizedCategory.FIREARM, 13),
            (SeizedCategory.AMMUNITION, 8), (SeizedCategory.CASH, 5),
            (SeizedCategory.PRECURSOR, 6),
        )
    ),
    "US": Weighted(
        (
            (SeizedCategory.DRUG, 86), (SeizedCategory.FIREARM, 6),
            (SeizedCategory.AMMUNITION, 3), (SeizedCategory.CASH, 4),
            (SeizedCategory.PRECURSOR, 1),
        )
    ),
}  # fmt: skip

# Relative traffic of the ports within each field office (for where a seizure happens).
PORT_WEIGHTS: dict[str, float] = {
    "2504": 30, "2506": 20, "2503": 8, "2507": 6, "2505": 3, "2502": 1,
    "2604": 30, "2608": 10, "2601": 6, "2603": 2, "2602": 3, "2606": 1,
    "2402": 35, "2408": 5, "2406": 3, "2403": 3, "2404": 1,
    "2304": 30, "2305": 20, "2301": 10, "2303": 8, "2302": 6, "2309": 3, "2310": 2, "2307": 2,
}  # fmt: skip

# Mexican places: state, city, and the CBP port facing the city's customs house (if any).
MX_PLACES = Weighted(
    (
        (("MX-BCN", "Tijuana", "2504"), 14), (("MX-BCN", "Mexicali", "2503"), 6),
        (("MX-BCN", "Tecate", "2505"), 2), (("MX-BCN", "Ensenada", None), 2),
        (("MX-SON", "Nogales", "2604"), 8), (("MX-SON", "San Luis Río Colorado", "2608"), 4),
        (("MX-SON", "Agua Prieta", "2601"), 3), (("MX-SON", "Sonoyta", "2602"), 2),
        (("MX-SON", "Hermosillo", None), 4), (("MX-SON", "Caborca", None), 2),
        (("MX-CHH", "Ciudad Juárez", "2402"), 9), (("MX-CHH", "Ojinaga", "2403"), 1),
        (("MX-CHH", "Chihuahua", None), 3), (("MX-COA", "Piedras Negras", "2303"), 2),
        (("MX-COA", "Ciudad Acuña", "2302"), 1), (("MX-TAM", "Nuevo Laredo", "2304"), 6),
        (("MX-TAM", "Reynosa", "2305"), 5), (("MX-TAM", "Matamoros", "2301"), 3),
        (("MX-NLE", "Monterrey", None), 3), (("MX-SIN", "Culiacán", None), 8),
        (("MX-SIN", "Mazatlán", None), 2), (("MX-JAL", "Guadalajara", None), 3),
        (("MX-COL", "Manzanillo", None), 3), (("MX-MIC", "Lázaro Cárdenas", None), 2),
    )
)  # fmt: skip
PRECURSOR_PLACES = Weighted(
    (
        (("MX-COL", "Manzanillo", None), 50),
        (("MX-MIC", "Lázaro Cárdenas", None), 25),
        (("MX-BCN", "Ensenada", None), 10),
        (("MX-SIN", "Culiacán", None), 15),
    )
)
US_INLAND = {
    "SAN DIEGO FIELD OFFICE": (
        "US-CA",
        ("Interstate 5, San Diego", "Interstate 8, El Centro", "Chula Vista"),
    ),
    "TUCSON FIELD OFFICE": (
        "US-AZ",
        ("Interstate 19, Rio Rico", "Interstate 10, Tucson", "Phoenix"),
    ),
    "EL PASO FIELD OFFICE": ("US-TX", ("Interstate 10, El Paso", "El Paso")),
    "LAREDO FIELD OFFICE": ("US-TX", ("Interstate 35, Laredo", "US-281, Falfurrias", "McAllen")),
}

MX_SEIZURE_AGENCIES = Weighted(
    (("DEFENSA", 35), ("ANAM", 20), ("MARINA", 15), ("FGR", 15), ("SSPC", 15))
)
US_SEIZURE_AGENCIES = Weighted((("CBP", 88), ("HSI", 8), ("DEA", 4)))

_DRUG_NAMES = {
    DrugType.COCAINE: ("cocaína", "cocaine"),
    DrugType.ECSTASY: ("éxtasis (MDMA)", "ecstasy (MDMA)"),
    DrugType.FENTANYL: ("fentanilo", "fentanyl"),
    DrugType.HEROIN: ("heroína", "heroin"),
    DrugType.KETAMINE: ("ketamina", "ketamine"),
    DrugType.KHAT: ("khat", "khat"),
    DrugType.LSD: ("LSD", "LSD"),
    DrugType.MARIJUANA: ("marihuana", "marijuana"),
    DrugType.METHAMPHETAMINE: ("metanfetamina", "methamphetamine"),
    DrugType.OTHER: ("otras drogas", "other drugs"),
}
_US_CONCEALMENT = (
    "in the gas tank of a passenger vehicle", "in the quarter panels", "in the spare tire",
    "in a commercial shipment of produce", "in a modified compartment under the floor",
    "strapped to the body of a pedestrian", "in the dashboard", "in a tractor-trailer load",
)  # fmt: skip
_MX_CONCEALMENT = (
    "en compartimento oculto de vehículo particular", "en cargamento de tractocamión",
    "durante revisión en punto de inspección carretero", "en paquetería",
    "en inmueble durante cateo", "en embarcación menor", "en equipaje de autobús",
)  # fmt: skip
_PRECURSORS = (
    "4-ANPP", "N-fenetil-4-piperidona (NPP)", "1-boc-4-piperidona", "4-piperidona",
    "clorhidrato de metilamina", "ácido fenilacético", "propionil cloruro",
)  # fmt: skip
_PORT_LANES = ("passenger vehicle lanes", "commercial cargo facility", "pedestrian lanes")


@dataclass(frozen=True, slots=True)
class _DrugDraw:
    field_office: str
    drug: DrugType
    mu: float  # of the log-normal quantity, in pounds


_SIGMA = 1.3  # spread of seizure sizes (log scale); CBP's mean per event is kept


def _mu(mean: float) -> float:
    return math.log(max(mean, 0.01)) - _SIGMA * _SIGMA / 2


@cache
def _us_drugs() -> Weighted[_DrugDraw]:
    return Weighted(
        (_DrugDraw(row.field_office, row.drug_type, _mu(row.mean_lbs)), row.events)
        for row in load_profile()
    )


@cache
def _mx_drugs() -> Weighted[tuple[DrugType, float]]:
    """Drugs in proportion to the corridor's events, with the mean in kg."""
    events: dict[DrugType, int] = {}
    pounds: dict[DrugType, float] = {}
    for row in load_profile():
        events[row.drug_type] = events.get(row.drug_type, 0) + row.events
        pounds[row.drug_type] = pounds.get(row.drug_type, 0.0) + row.total_lbs
    return Weighted(
        ((drug, _mu(pounds[drug] / events[drug] / POUNDS_PER_KG)), float(n))
        for drug, n in events.items()
    )


@cache
def _ports_by_office() -> dict[str, Weighted[PortOfEntry]]:
    offices: dict[str, list[tuple[PortOfEntry, float]]] = {}
    for port in PORTS_OF_ENTRY.values():
        offices.setdefault(port.field_office, []).append((port, PORT_WEIGHTS.get(port.code, 1)))
    return {office: Weighted(ports) for office, ports in offices.items()}


# Categories come in blocks of 100 seizures holding each category in proportion (68 drug,
# 13 firearm, ... for Mexico), rotated by a hash of the block: any seizure's category, and
# the n-th firearm seizure, are found without generating the others.
_BLOCK = 100


def _slots(weights: Weighted[SeizedCategory]) -> tuple[SeizedCategory, ...]:
    shares = [
        (c - p) / weights.total * _BLOCK
        for c, p in zip(weights.cum, (0.0, *weights.cum[:-1]), strict=True)
    ]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda k: counts[k] - shares[k])
    for k in by_remainder[: _BLOCK - sum(counts)]:
        counts[k] += 1
    slots = [item for item, n in zip(weights.items, counts, strict=True) for _ in range(n)]
    random.Random(20250220).shuffle(slots)
    return tuple(slots)


_CATEGORY_SLOTS = {party: _slots(weights) for party, weights in SEIZURE_CATEGORIES.items()}
_FIREARM_SLOTS = {
    party: tuple(i for i, c in enumerate(slots) if c is SeizedCategory.FIREARM)
    for party, slots in _CATEGORY_SLOTS.items()
}
_ROTATION = {party: f"seizure-rotation:{party}" for party in SEIZURE_CATEGORIES}


def seizure_category(world: World, party: str, index: int) -> SeizedCategory:
    """What seizure `index` of a party took (random access, for links to it)."""
    block, slot = divmod(index, _BLOCK)
    offset = world.mix(_ROTATION[party], block) % _BLOCK
    return _CATEGORY_SLOTS[party][(slot + offset) % _BLOCK]


def firearm_seizure(world: World, party: str, key: int) -> int | None:
    """A firearm seizure of the party, picked by key (e.g. the gun's index); None if none."""
    count = world.counts.seizures[party]
    fire = _FIREARM_SLOTS[party]
    if not fire:
        return None
    blocks = (count + _BLOCK - 1) // _BLOCK
    name = "seized-in:" + party
    for attempt in range(16):
        h = world.mix(name, key * 16 + attempt)
        block = h % blocks
        offset = world.mix(_ROTATION[party], block) % _BLOCK
        index = block * _BLOCK + (fire[(h >> 24) % len(fire)] - offset) % _BLOCK
        if index < count:
            return index
    return None


def seizure_id(world: World, party: str, index: int) -> str:
    """The id of seizure `index` of a party."""
    return world.record_id("enlace-seizure", party, "seizure", index)


def _lognormal(rng: random.Random, mu: float, digits: int) -> float:
    return max(round(rng.lognormvariate(mu, _SIGMA), digits), 10.0**-digits)


def _mx_seizure(
    world: World, rng: random.Random, category: SeizedCategory
) -> tuple[str, date, dict[str, object]]:
    agency = MX_SEIZURE_AGENCIES.pick(rng)
    state, city, port = (
        PRECURSOR_PLACES if category is SeizedCategory.PRECURSOR else MX_PLACES
    ).pick(rng)
    day = world.day(rng)
    place = f"Aduana de {city}" if agency == "ANAM" and port else city
    fields: dict[str, object] = {
        "category": category,
        "drug_type": None,
        "seizure_date": day,
        "state": state,
        "port_code": port if agency == "ANAM" and port else None,
        "place": place,
        "seizing_agency_ref": None,
    }
    if category is SeizedCategory.DRUG:
        drug, mu = _mx_drugs().pick(rng)
        spanish = _DRUG_NAMES[drug][0]
        fields["drug_type"] = drug
        if drug is DrugType.FENTANYL and rng.random() < 0.4:
            pills = round(rng.lognormvariate(math.log(15000) - _SIGMA**2 / 2, _SIGMA))
            fields["quantity"], fields["unit"] = float(max(pills, 20)), QuantityUnit.PILLS
            spanish = "pastillas de fentanilo"
        else:
            fields["quantity"], fields["unit"] = _lognormal(rng, mu, 3), QuantityUnit.KG
        how = _MX_CONCEALMENT[below(rng, len(_MX_CONCEALMENT))]
        fields["description"] = f"Aseguramiento de {spanish} {how}"
    elif category is SeizedCategory.FIREARM:
        fields["quantity"] = float(1 + int(rng.lognormvariate(0.8, 1.0)))
        fields["unit"] = QuantityUnit.COUNT
        fields["description"] = "Armas de fuego largas y cortas aseguradas"
    elif category is SeizedCategory.AMMUNITION:
        fields["quantity"] = float(max(10, round(rng.lognormvariate(6.5, 1.2))))
        fields["unit"] = QuantityUnit.COUNT
        fields["description"] = "Cartuchos útiles de diversos calibres"
    elif category is SeizedCategory.CASH:
        usd = rng.random() < 0.5
        mean = 60_000 if usd else 500_000
        fields["quantity"] = float(round(rng.lognormvariate(math.log(mean) - 0.72, 1.2)))
        fields["unit"] = QuantityUnit.USD if usd else QuantityUnit.MXN
        fields["description"] = "Dinero en efectivo asegurado"
    else:
        litres = rng.random() < 0.4
        fields["quantity"] = _lognormal(rng, math.log(2000) - _SIGMA**2 / 2, 1)
        fields["unit"] = QuantityUnit.LITRES if litres else QuantityUnit.KG
        chemical = _PRECURSORS[below(rng, len(_PRECURSORS))]
        fields["description"] = f"Precursor químico: {chemical}, en contenedor marítimo"
    if agency == "FGR" and rng.random() < 0.3:
        seized_by = ("DEFENSA", "MARINA", "SSPC")[below(rng, 3)]
        fields["seizing_agency_ref"] = world.agency_ref("MX", seized_by)
    return agency, day, fields


def _us_seizure(
    world: World, rng: random.Random, category: SeizedCategory
) -> tuple[str, date, dict[str, object]]:
    agency = US_SEIZURE_AGENCIES.pick(rng)
    day = world.day(rng)
    fields: dict[str, object] = {
        "category": category,
        "drug_type": None,
        "seizure_date": day,
        "seizing_agency_ref": None,
    }
    if category is SeizedCategory.DRUG:
        draw = _us_drugs().pick(rng)
        office = draw.field_office
    else:
        draw = None
        office = (
            "SAN DIEGO FIELD OFFICE",
            "TUCSON FIELD OFFICE",
            "EL PASO FIELD OFFICE",
            "LAREDO FIELD OFFICE",
        )[below(rng, 4)]
    if agency == "CBP":
        port = _ports_by_office()[office].pick(rng)
        lane = _PORT_LANES[below(rng, len(_PORT_LANES))]
        fields |= {
            "state": port.state,
            "port_code": port.code,
            "place": f"{port.name} port of entry, {lane}",
        }
    else:
        state, places = US_INLAND[office]
        fields |= {"state": state, "port_code": None, "place": places[below(rng, len(places))]}
        if rng.random() < 0.3:
            fields["seizing_agency_ref"] = world.agency_ref("US", "CBP")
    if draw is not None:
        fields["drug_type"] = draw.drug
        fields["quantity"], fields["unit"] = _lognormal(rng, draw.mu, 2), QuantityUnit.LBS
        how = _US_CONCEALMENT[below(rng, len(_US_CONCEALMENT))]
        fields["description"] = f"{_DRUG_NAMES[draw.drug][1].capitalize()} concealed {how}"
    elif category is SeizedCategory.FIREARM:
        fields["quantity"] = float(1 + int(rng.lognormvariate(0.3, 1.0)))
        fields["unit"] = QuantityUnit.COUNT
        fields["description"] = "Firearms found in a southbound (outbound) inspection"
    elif category is SeizedCategory.AMMUNITION:
        fields["quantity"] = float(max(20, round(rng.lognormvariate(6.8, 1.1))))
        fields["unit"] = QuantityUnit.COUNT
        fields["description"] = "Rounds of ammunition found in a southbound inspection"
    elif category is SeizedCategory.CASH:
        fields["quantity"] = float(round(rng.lognormvariate(math.log(80_000) - 0.72, 1.2)))
        fields["unit"] = QuantityUnit.USD
        fields["description"] = "Unreported currency, southbound (bulk cash smuggling)"
    else:
        fields["quantity"] = _lognormal(rng, math.log(200) - _SIGMA**2 / 2, 2)
        fields["unit"] = QuantityUnit.LBS
        fields["description"] = "Precursor chemicals in a commercial shipment"
    return agency, day, fields


def seizure_records(world: World, party: str) -> Iterator[Record]:
    """A party's seizures."""
    rng = world.rng("seizures", party)
    draw = _mx_seizure if party == "MX" else _us_seizure
    for index in range(world.counts.seizures[party]):
        category = seizure_category(world, party, index)
        agency, day, fields = draw(world, rng, category)
        yield build(
            world, Seizure, party, "seizure", index, render(world, rng, party, agency, day, fields)
        )


# --- laboratories (Mexico) ------------------------------------------------------------

LAB_PLACES = Weighted(
    (
        (("MX-SIN", "Culiacán"), 18), (("MX-SIN", "Cosalá"), 8), (("MX-SIN", "Badiraguato"), 6),
        (("MX-SIN", "Elota"), 5), (("MX-SIN", "San Ignacio"), 4), (("MX-SIN", "Navolato"), 4),
        (("MX-DUR", "Tamazula"), 7), (("MX-DUR", "Pueblo Nuevo"), 3),
        (("MX-SON", "Caborca"), 4), (("MX-SON", "Hermosillo"), 3),
        (("MX-JAL", "Tlajomulco de Zúñiga"), 4), (("MX-JAL", "Zapopan"), 3),
        (("MX-MIC", "Apatzingán"), 5), (("MX-MIC", "Uruapan"), 4), (("MX-MIC", "Aguililla"), 2),
        (("MX-CHH", "Guadalupe y Calvo"), 4), (("MX-NAY", "Tepic"), 3),
        (("MX-ZAC", "Fresnillo"), 2), (("MX-BCN", "Tecate"), 2),
        (("MX-GRO", "Coyuca de Catalán"), 3),
    )
)  # fmt: skip
LAB_STATUS = Weighted(
    (
        (LaboratoryStatus.DISMANTLED, 75),
        (LaboratoryStatus.INACTIVE, 15),
        (LaboratoryStatus.ACTIVE, 10),
    )
)
LAB_DRUGS = Weighted(
    (
        (DrugType.METHAMPHETAMINE, 75),
        (DrugType.FENTANYL, 15),
        (DrugType.HEROIN, 5),
        (DrugType.OTHER, 5),
    )
)
LAB_AGENCIES = Weighted((("DEFENSA", 50), ("MARINA", 30), ("FGR", 20)))


def laboratory_records(world: World, party: str) -> Iterator[Record]:
    """Clandestine laboratories (Mexico only), some followed by 'operated-by'."""
    if party != "MX":
        return
    rng = world.rng("laboratories", party)
    for index in range(world.counts.laboratories):
        state, municipality = LAB_PLACES.pick(rng)
        drug = LAB_DRUGS.pick(rng)
        reactors = int(rng.lognormvariate(1.2, 0.9))
        product = round(rng.lognormvariate(4.0, 1.5), 1)
        chemicals = round(rng.lognormvariate(6.0, 1.3))
        day = world.day(rng)
        fields: dict[str, object] = {
            "found_date": day,
            "state": state,
            "municipality": municipality,
            "status": LAB_STATUS.pick(rng),
            "drug_type": drug,
            "reactors": reactors,
            "description": (
                f"Laboratorio clandestino con {reactors} reactores, {product} kg de "
                f"{_DRUG_NAMES[drug][0]} en proceso y {chemicals} litros de sustancias químicas"
            ),
        }
        lab = build(
            world,
            Laboratory,
            party,
            "laboratory",
            index,
            render(world, rng, party, LAB_AGENCIES.pick(rng), day, fields),
        )
        yield lab
        u = world.unit("operated-by", index)
        if u < 0.5:
            org = ORG_PREVALENCE.at(u / 0.5)
            yield world.relationship(party, "operated-by", lab, organisation_id(world, party, org))


# --- locations ----------------------------------------------------------------------------

# Mexican customs houses (aduanas) on the border, with the CBP port across from them.
ADUANAS: tuple[tuple[str, str, str], ...] = (
    ("Tijuana", "MX-BCN", "2504"), ("Tecate", "MX-BCN", "2505"), ("Mexicali", "MX-BCN", "2503"),
    ("San Luis Río Colorado", "MX-SON", "2608"), ("Sonoyta", "MX-SON", "2602"),
    ("Nogales", "MX-SON", "2604"), ("Naco", "MX-SON", "2603"), ("Agua Prieta", "MX-SON", "2601"),
    ("Puerto Palomas", "MX-CHH", "2406"), ("Ciudad Juárez", "MX-CHH", "2402"),
    ("Ojinaga", "MX-CHH", "2403"), ("Ciudad Acuña", "MX-COA", "2302"),
    ("Piedras Negras", "MX-COA", "2303"), ("Nuevo Laredo", "MX-TAM", "2304"),
    ("Colombia", "MX-NLE", "2304"), ("Reynosa", "MX-TAM", "2305"),
    ("Matamoros", "MX-TAM", "2301"),
)  # fmt: skip
_PORT_ORDER = tuple(sorted(PORTS_OF_ENTRY))


def location_records(world: World, party: str) -> Iterator[Record]:
    """The ports a party works at: CBP's land ports (US), the border aduanas (MX)."""
    rng = world.rng("locations", party)
    if party == "US":
        for code in _PORT_ORDER:
            port = PORTS_OF_ENTRY[code]
            fields: dict[str, object] = {
                "name": f"{port.name} Port of Entry",
                "country": "US",
                "administrative_area": port.state,
                "city": port.name.split("/")[0],
                "port_code": port.code,
            }
            yield build(
                world,
                Location,
                party,
                "location",
                code,
                render(world, rng, party, "CBP", world.start, fields),
            )
        return
    for city, state, port_code in ADUANAS:
        fields = {
            "name": f"Aduana de {city}",
            "country": "MX",
            "administrative_area": state,
            "city": city,
            "port_code": port_code,
        }
        yield build(
            world,
            Location,
            party,
            "location",
            city,
            render(world, rng, party, "ANAM", world.start, fields),
        )
