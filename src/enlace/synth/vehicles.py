"""Vehicles: VINs with their check digit, Mexican and US plates, written each side's way."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from enlace.model.identifiers import normalise_vin, vin_check_digit
from enlace.model.records import Record, Vehicle
from enlace.synth.people import person_id
from enlace.synth.world import Entity, Weighted, World, below, build, render, uniform


@dataclass(frozen=True, slots=True)
class VehicleModel:
    """A make and model as each side names it, with its manufacturer codes (WMI)."""

    mx_make: str
    us_make: str
    mx_model: str
    us_model: str
    wmis: tuple[str, ...]
    truck: bool = False

    @property
    def named_differently(self) -> bool:
        """Whether the two sides name it differently (Ford Lobo / Ford F-150)."""
        return (self.mx_make, self.mx_model) != (self.us_make, self.us_model)


VEHICLE_MODELS = Weighted(
    (
        (VehicleModel("Nissan", "Nissan", "Tsuru", "Tsuru", ("3N1",)), 6),
        (VehicleModel("Nissan", "Nissan", "NP300 Frontier", "Frontier", ("3N6", "1N6")), 8),
        (VehicleModel("Ford", "Ford", "Lobo", "F-150", ("1FT", "3FT")), 12),
        (VehicleModel("Chevrolet", "Chevrolet", "Silverado", "Silverado", ("3GC", "1GC")), 12),
        (VehicleModel("Chevrolet", "Chevy", "Tahoe", "Tahoe", ("1GN",)), 5),
        (VehicleModel("RAM", "Dodge", "RAM 1500", "Ram 1500", ("3C6", "1C6")), 8),
        (VehicleModel("Toyota", "Toyota", "Tacoma", "Tacoma", ("3TM", "5TF")), 7),
        (VehicleModel("Jeep", "Jeep", "Grand Cherokee", "Grand Cherokee", ("1C4",)), 5),
        (VehicleModel("Volkswagen", "VW", "Jetta", "Jetta", ("3VW",)), 7),
        (VehicleModel("Honda", "Honda", "Civic", "Civic", ("2HG", "19X")), 6),
        (VehicleModel("Dodge", "Dodge", "Charger", "Charger", ("2C3",)), 4),
        (VehicleModel("GMC", "GMC", "Sierra", "Sierra", ("1GT", "3GT")), 5),
        (
            VehicleModel(
                "Freightliner", "Freightliner", "Cascadia", "Cascadia", ("3AK", "1FU"), truck=True
            ),
            6,
        ),
        (VehicleModel("Kenworth", "Kenworth", "T680", "T680", ("1XK",), truck=True), 3),
    )
)
_DIFFERENT_NAMES = uniform([m for m in VEHICLE_MODELS.items if m.named_differently])

_COLOURS = uniform(
    (
        ("Blanco", "White"), ("Negro", "Black"), ("Gris", "Gray"), ("Plata", "Silver"),
        ("Rojo", "Red"), ("Azul", "Blue"), ("Arena", "Tan"), ("Verde", "Green"),
    )
)  # fmt: skip

_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_YEAR_CODES = dict(zip(range(2001, 2026), "123456789ABCDEFGHJKLMNPRS", strict=True))
_PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"

MX_PLATE_STATES = Weighted(
    (
        ("MX-BCN", 14), ("MX-SON", 12), ("MX-CHH", 12), ("MX-TAM", 10), ("MX-NLE", 8),
        ("MX-COA", 5), ("MX-SIN", 12), ("MX-JAL", 6), ("MX-MIC", 4), ("MX-DUR", 3),
        ("MX-CMX", 4), ("MX-MEX", 3),
    )
)  # fmt: skip
US_PLATE_STATES = Weighted(
    (
        ("US-TX", 40),
        ("US-AZ", 18),
        ("US-CA", 22),
        ("US-NM", 5),
        ("US-IL", 3),
        ("US-GA", 3),
        ("US-NV", 3),
        ("US-FL", 3),
        ("US-CO", 3),
    )
)

VEHICLE_AGENCIES = {
    "MX": Weighted((("FGR", 35), ("SSPC", 25), ("ANAM", 25), ("DEFENSA", 15))),
    "US": Weighted((("CBP", 50), ("HSI", 35), ("DEA", 15))),
}
VEHICLE_VARIATIONS = Weighted(
    (
        ("exact", 10),
        ("plate formatting", 35),
        ("VIN missing on one side", 12),
        ("plate missing on one side", 13),
        ("make or model named differently", 15),
        ("re-plated: different plates, same VIN", 8),
        ("plate formatting; VIN missing on one side", 7),
    )
)


def make_vin(rng: random.Random, model: VehicleModel, year: int) -> str:
    """A VIN for the model and year with a correct check digit at position 9."""
    wmi = model.wmis[below(rng, len(model.wmis))]
    vds = "".join(_VIN_CHARS[below(rng, len(_VIN_CHARS))] for _ in range(5))
    plant = _VIN_CHARS[below(rng, len(_VIN_CHARS))]
    serial = f"{below(rng, 1_000_000):06d}"
    draft = f"{wmi}{vds}0{_YEAR_CODES[year]}{plant}{serial}"
    vin = draft[:8] + vin_check_digit(draft) + draft[9:]
    return normalise_vin(vin)


def _letters(rng: random.Random, n: int) -> str:
    return "".join(_PLATE_LETTERS[below(rng, len(_PLATE_LETTERS))] for _ in range(n))


def _digits(rng: random.Random, n: int) -> str:
    return f"{below(rng, 10**n):0{n}d}"


def make_plate(rng: random.Random, country: str, state: str) -> tuple[str, ...]:
    """A plate number as groups (written with the issuing country's separators)."""
    if country == "MX":
        if rng.random() < 0.6:
            return (_letters(rng, 3), _digits(rng, 3), _letters(rng, 1))
        return (_letters(rng, 3), _digits(rng, 2), _digits(rng, 2))
    if state == "US-CA":
        return (_digits(rng, 1) + _letters(rng, 3), _digits(rng, 3))
    if state == "US-NM":
        return (_letters(rng, 3), _digits(rng, 3))
    return (_letters(rng, 3), _digits(rng, 4))


def write_plate(groups: tuple[str, ...], style: int) -> str:
    """Plate groups written one of the ways records do: 'ABC-123-A', 'ABC123A', 'ABC 123 A'."""
    if style == 0:
        return "-".join(groups)
    if style == 1:
        return "".join(groups)
    return " ".join(groups)


def vehicle_id(world: World, party: str, index: int) -> str:
    """The id of a party's record of world vehicle `index`."""
    return world.record_id("enlace-vehicle", party, "vehicle", index)


def vehicle_entity(world: World, index: int) -> Entity:
    """World vehicle `index` as each holder records it."""
    holders, rng = world.entity("vehicle", index)
    shared = len(holders) > 1
    variation = VEHICLE_VARIATIONS.pick(rng) if shared else "exact"
    model = (
        _DIFFERENT_NAMES.pick(rng)
        if variation == "make or model named differently"
        else VEHICLE_MODELS.pick(rng)
    )
    year = 2005 + below(rng, min(max(world.config.end.year, 2006), 2025) - 2004)
    vin = make_vin(rng, model, year)
    if holders == ("MX",):
        mx_plated = rng.random() < 0.85
    elif holders == ("US",):
        mx_plated = rng.random() < 0.2
    else:
        mx_plated = rng.random() < 0.55
    country = "MX" if mx_plated else "US"
    state = (MX_PLATE_STATES if mx_plated else US_PLATE_STATES).pick(rng)
    groups = make_plate(rng, country, state)
    old_groups = make_plate(rng, country, state)
    plate_type = (
        ("carga" if model.truck else "particular") if mx_plated else ("TK" if model.truck else "PC")
    )
    colour = _COLOURS.pick(rng)
    seen = world.day(rng)
    # Which side loses the VIN or the plate, when the variation says one does.
    loser = holders[below(rng, len(holders))]
    home_style = 0 if mx_plated else 1
    parties = {}
    for party in holders:
        mx_side = party == "MX"
        style = home_style
        if party != country and variation.startswith("plate formatting"):
            style = 2 if rng.random() < 0.4 else 1 - home_style
        fields: dict[str, object] = {
            "vin": vin,
            "plate_country": country,
            "plate_state": state,
            "plate_number": write_plate(groups, style),
            "plate_type": plate_type,
            "make": model.mx_make if mx_side else model.us_make,
            "model": model.mx_model if mx_side else model.us_model,
            "year": year,
            "colour": colour[0] if mx_side else colour[1],
        }
        if not shared and rng.random() < 0.3:
            # A vehicle seen only once often has just one of the two identifiers.
            drop = "vin" if rng.random() < 0.7 else "plate"
            _drop(fields, drop)
        if party == loser and "VIN missing" in variation:
            _drop(fields, "vin")
        if party == loser and variation == "plate missing on one side":
            _drop(fields, "plate")
        if party == loser and variation.startswith("re-plated"):
            fields["plate_number"] = write_plate(old_groups, style)
        if party == "US" and fields.get("year") and rng.random() < 0.15:
            fields["year"] = None
        day = (
            seen
            if party == holders[0]
            else world.day_at((seen - world.start).days + below(rng, 45))
        )
        parties[party] = render(world, rng, party, VEHICLE_AGENCIES[party].pick(rng), day, fields)
    return Entity(holders, variation, parties)


def _drop(fields: dict[str, object], what: str) -> None:
    if what == "vin":
        fields["vin"] = None
    else:
        for name in ("plate_country", "plate_state", "plate_number", "plate_type"):
            fields[name] = None


def vehicle_records(world: World, party: str) -> Iterator[Record]:
    """A party's vehicles, most followed by 'used-by' a person."""
    persons = world.counts.persons
    for index in range(world.counts.vehicles):
        holders = world.holders("vehicle", index)
        if party not in holders:
            continue
        entity = vehicle_entity(world, index)
        vehicle = build(world, Vehicle, party, "vehicle", index, entity.parties[party])
        yield vehicle
        if world.unit("vehicle-user", index) < 0.6:
            user = world.linked("person", persons, holders, "vehicle", index)
            if user is not None:
                yield world.relationship(party, "used-by", vehicle, person_id(world, party, user))
