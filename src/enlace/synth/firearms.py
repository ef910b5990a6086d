"""Firearms recovered in Mexico and the US records of the same guns (trace results).

Most guns Mexico recovers and submits for tracing come back US-sourced (GAO-21-322: about
70% in 2014-2018); the US side (ATF traces, HSI cases) holds its own record of those guns,
with the make and serial written its own way. The normaliser must bring most pairs to one
key; a few serials are misread on one side, a miss matching cannot avoid.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from enlace.model.records import Firearm, Record
from enlace.model.vocabulary import FirearmType, TraceStatus
from enlace.synth.people import person_id
from enlace.synth.seizures import firearm_seizure, seizure_id
from enlace.synth.world import (
    MX_SHARE,
    US_SOURCED_SHARE,
    Entity,
    Weighted,
    World,
    below,
    build,
    render,
)

# How each side writes a maker's name: Mexican records short forms, US trace records the
# licensee's name. Every spelling of a make normalises to one key (tests check it).
MAKE_SPELLINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "COLT": (("Colt", "COLT", "Colt's Mfg. Co."),
             ("COLT'S MANUFACTURING COMPANY LLC", "COLT", "Colt's Manufacturing")),
    "SMITH & WESSON": (("Smith & Wesson", "SMITH AND WESSON", "S&W"),
                       ("SMITH & WESSON", "SMITH & WESSON BRANDS INC", "Smith and Wesson")),
    "RUGER": (("Ruger", "RUGER", "Sturm Ruger"),
              ("STURM, RUGER & CO., INC.", "STURM RUGER & CO", "RUGER")),
    "BARRETT": (("Barrett", "BARRETT"), ("BARRETT FIREARMS MFG INC", "BARRETT FIREARMS")),
    "FN HERSTAL": (("FN Herstal", "FN", "Fabrique Nationale"),
                   ("FN HERSTAL", "FN AMERICA LLC", "FNH USA")),
    "ROMARM": (("Romarm", "ROMARM/CUGIR", "Cugir"), ("ROMARM", "CUGIR", "ROMARM CUGIR")),
    "CENTURY ARMS": (("Century Arms", "CENTURY"),
                     ("CENTURY INTERNATIONAL ARMS", "CENTURY ARMS INC")),
    "ZASTAVA": (("Zastava", "ZASTAVA"), ("ZASTAVA ARMS", "ZASTAVA ORUZJE")),
    "NORINCO": (("Norinco", "NORINCO"), ("CHINA NORTH INDUSTRIES", "NORINCO")),
    "DANIEL DEFENSE": (("Daniel Defense",), ("DANIEL DEFENSE INC", "DANIEL DEFENSE LLC")),
    "BUSHMASTER": (("Bushmaster", "BUSHMASTER"),
                   ("BUSHMASTER FIREARMS INTERNATIONAL LLC", "BUSHMASTER FIREARMS")),
    "SPRINGFIELD ARMORY": (("Springfield", "Springfield Armory"),
                           ("SPRINGFIELD ARMORY", "SPRINGFIELD INC")),
    "TAURUS": (("Taurus", "TAURUS"),
               ("FORJAS TAURUS SA", "TAURUS INTERNATIONAL MFG", "TAURUS")),
    "BERETTA": (("Beretta", "BERETTA"), ("PIETRO BERETTA", "BERETTA USA CORP")),
    "SIG SAUER": (("Sig Sauer", "SIG"), ("SIG SAUER INC", "SIG SAUER")),
    "GLOCK": (("Glock", "GLOCK"), ("GLOCK GMBH", "GLOCK INC", "GLOCK")),
    "REMINGTON ARMS": (("Remington Arms", "REMINGTON ARMS CO."),
                       ("REMINGTON ARMS COMPANY", "REMINGTON ARMS CO INC")),
}  # fmt: skip

# Importers as each side writes them (for guns made abroad).
IMPORTERS: dict[str, tuple[str, str]] = {
    "CENTURY ARMS": ("Century Arms", "CENTURY INTERNATIONAL ARMS"),
    "ZASTAVA ARMS USA": ("Zastava Arms USA", "ZASTAVA ARMS USA"),
    "GLOCK INC": ("Glock Inc.", "GLOCK INC"),
    "FN AMERICA": ("FN America", "FN AMERICA LLC"),
    "TAURUS INTERNATIONAL": ("Taurus International", "TAURUS INTERNATIONAL MFG"),
    "BERETTA USA": ("Beretta USA", "BERETTA USA CORP"),
}


@dataclass(frozen=True, slots=True)
class GunModel:
    """A model common among guns trafficked south, as trace requests describe it."""

    make: str  # key of MAKE_SPELLINGS
    model: str
    caliber_mx: str
    caliber_us: str
    firearm_type: FirearmType
    serial: str  # template: L a letter, D a digit, anything else literal
    importer: str | None = None  # key of IMPORTERS


_P, _R, _V, _S = FirearmType.PISTOL, FirearmType.RIFLE, FirearmType.REVOLVER, FirearmType.SHOTGUN
GUN_MODELS = Weighted(
    (
        (GunModel("COLT", "LE6920", "5.56x45 mm", "5.56", _R, "LEDDDDDD"), 7),
        (GunModel("COLT", "Government .38 Super", ".38 Súper", ".38 SUPER", _P, "38SSDDDDD"), 6),
        (GunModel("COLT", "Detective Special", ".38 Especial", ".38 SPL", _V, "DDDDDDL"), 2),
        (GunModel("SMITH & WESSON", "M&P15", "5.56x45 mm", "5.56", _R, "LLDDDDD"), 6),
        (GunModel("SMITH & WESSON", "M&P9", "9 mm", "9MM", _P, "LLLDDDD"), 5),
        (GunModel("SMITH & WESSON", "686", ".357 Magnum", ".357 MAG", _V, "LLLDDDD"), 2),
        (GunModel("RUGER", "AR-556", "5.56x45 mm", "5.56", _R, "DDDD-DDDDD"), 5),
        (GunModel("RUGER", "P95", "9 mm", "9MM", _P, "DDD-DDDDD"), 3),
        (GunModel("BARRETT", "M82A1", ".50", ".50 BMG", _R, "DDDDD"), 2),
        (
            GunModel(
                "FN HERSTAL", "Five-seveN", "5.7x28 mm", "5.7X28", _P, "386DDDDDD", "FN AMERICA"
            ),
            3,
        ),
        (GunModel("FN HERSTAL", "PS90", "5.7x28 mm", "5.7X28", _R, "FN0DDDDD", "FN AMERICA"), 1),
        (
            GunModel(
                "ROMARM", "WASR-10", "7.62x39 mm", "7.62X39", _R, "LL-DDDD-DD", "CENTURY ARMS"
            ),
            7,
        ),
        (GunModel("CENTURY ARMS", "VSKA", "7.62x39 mm", "7.62X39", _R, "SVDDDDDD"), 3),
        (
            GunModel(
                "ZASTAVA", "PAP M70", "7.62x39 mm", "7.62X39", _R, "M70DDDDDD", "ZASTAVA ARMS USA"
            ),
            2,
        ),
        (GunModel("NORINCO", "MAK-90", "7.62x39 mm", "7.62X39", _R, "DDDDDDDD"), 1),
        (GunModel("DANIEL DEFENSE", "DDM4 V7", "5.56x45 mm", "5.56", _R, "DDDDDDD"), 2),
        (GunModel("BUSHMASTER", "XM-15", "5.56x45 mm", "5.56", _R, "LDDDDDDD"), 3),
        (GunModel("SPRINGFIELD ARMORY", "XD-9", "9 mm", "9MM", _P, "LLDDDDDD"), 3),
        (GunModel("SIG SAUER", "P320", "9 mm", "9MM", _P, "DDLDDDDDD"), 3),
        (GunModel("GLOCK", "17", "9 mm", "9MM", _P, "LLLDDD", "GLOCK INC"), 6),
        (GunModel("GLOCK", "19", "9 mm", "9MM", _P, "LLLDDD", "GLOCK INC"), 5),
        (GunModel("GLOCK", "22", ".40", ".40 S&W", _P, "LLLDDD", "GLOCK INC"), 2),
        (GunModel("TAURUS", "PT92", "9 mm", "9MM", _P, "LLLDDDDD", "TAURUS INTERNATIONAL"), 4),
        (GunModel("BERETTA", "92FS", "9 mm", "9MM", _P, "BERDDDDDD", "BERETTA USA"), 3),
        (GunModel("REMINGTON ARMS", "870", "12 GA", "12GA", _S, "LLDDDDDDL"), 2),
    )
)

# Where recovered guns are recovered (Mexico) and where traced guns were first sold (US).
MX_RECOVERY_STATES = Weighted(
    (
        ("MX-TAM", 12), ("MX-SON", 10), ("MX-CHH", 10), ("MX-BCN", 9), ("MX-SIN", 9),
        ("MX-JAL", 8), ("MX-MIC", 8), ("MX-GRO", 6), ("MX-GUA", 6), ("MX-ZAC", 5),
        ("MX-NLE", 5), ("MX-CMX", 4), ("MX-MEX", 4), ("MX-COA", 2), ("MX-DUR", 2),
    )
)  # fmt: skip
US_SOURCE_STATES = Weighted(
    (
        ("US-TX", 42), ("US-AZ", 15), ("US-CA", 10), ("US-NM", 3), ("US-FL", 4), ("US-IL", 3),
        ("US-GA", 3), ("US-NV", 2), ("US-CO", 2), ("US-OK", 2), ("US-WA", 2), ("US-NC", 2),
        ("US-OR", 1), ("US-UT", 1), ("US-LA", 1),
    )
)  # fmt: skip
US_RECOVERY_STATES = Weighted((("US-TX", 45), ("US-AZ", 30), ("US-CA", 15), ("US-NM", 10)))
_MX_OTHER_STATUS = Weighted(
    (
        (TraceStatus.PENDING, 35), (TraceStatus.TRACED_OTHER, 20),
        (TraceStatus.UNTRACEABLE, 25), (TraceStatus.NOT_SUBMITTED, 20),
    )
)  # fmt: skip

FIREARM_AGENCIES = {
    "MX": Weighted((("FGR", 45), ("DEFENSA", 40), ("SSPC", 10), ("MARINA", 5))),
    "US": Weighted((("ATF", 80), ("HSI", 20))),
    "US-only": Weighted((("CBP", 40), ("HSI", 30), ("ATF", 30))),
}

# How the two records of one gun differ. "serial misread" is the hard case: one side read a
# digit wrong, so the keys differ and exact matching misses the pair.
SERIAL_VARIATIONS = Weighted(
    (
        ("same", 45),
        ("serial formatting", 32),
        ("serial case", 13),
        ("serial misread", 5),
        ("serial formatting and case", 5),
    )
)
# The share of shared guns whose serial one side misread (follows SERIAL_VARIATIONS).
MISREAD_SHARE = SERIAL_VARIATIONS.share("serial misread")
OBLITERATED_SHARE = 0.06  # of guns only Mexico holds: serial filed off (número limado)
_CONFUSED_DIGITS = {"0": "8", "1": "7", "2": "7", "3": "8", "4": "9", "5": "6", "6": "5",
                    "7": "1", "8": "3", "9": "4"}  # fmt: skip
_SERIAL_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def make_serial(rng: random.Random, template: str) -> str:
    """A serial number from a template (L letter, D digit, others literal)."""
    out = []
    for c in template:
        if c == "L":
            out.append(_SERIAL_LETTERS[below(rng, len(_SERIAL_LETTERS))])
        elif c == "D":
            out.append(str(below(rng, 10)))
        else:
            out.append(c)
    return "".join(out)


def reformat_serial(rng: random.Random, serial: str) -> str:
    """The same serial with its separators written differently (the key ignores them)."""
    if "-" in serial:
        return serial.replace("-", "" if rng.random() < 0.6 else " ")
    groups: list[str] = []
    for c in serial:
        if groups and groups[-1][-1].isdigit() == c.isdigit():
            groups[-1] += c
        else:
            groups.append(c)
    if len(groups) > 1:
        return ("-" if rng.random() < 0.5 else " ").join(groups)
    cut = max(1, len(serial) // 2)
    return serial[:cut] + " " + serial[cut:]


def misread_serial(rng: random.Random, serial: str) -> str:
    """The serial with one digit read as a look-alike digit."""
    positions = [i for i, c in enumerate(serial) if c.isdigit()]
    i = positions[below(rng, len(positions))]
    return serial[:i] + _CONFUSED_DIGITS[serial[i]] + serial[i + 1 :]


def mx_traced_us_share(world: World) -> float:
    """P(traced-us) for guns only Mexico holds, so that ~70% of Mexico's guns are traced-us."""
    overlap = world.config.overlap
    mx_only = (1.0 - overlap) * MX_SHARE["firearm"]
    mx_total = overlap + mx_only
    traced_shared = overlap * (1.0 - MISREAD_SHARE)
    if mx_only <= 0:
        return 0.0
    share = (US_SOURCED_SHARE * mx_total - traced_shared) / (mx_only * (1 - OBLITERATED_SHARE))
    return min(max(share, 0.0), 1.0)


def firearm_id(world: World, party: str, index: int) -> str:
    """The id of a party's record of world firearm `index`."""
    return world.record_id("enlace-firearm", party, "firearm", index)


def firearm_entity(world: World, index: int, traced_share: float) -> Entity:
    """World firearm `index` as each holder records it."""
    holders, rng = world.entity("firearm", index)
    gun = GUN_MODELS.pick(rng)
    serial = make_serial(rng, gun.serial)
    mx_spellings, us_spellings = MAKE_SPELLINGS[gun.make]
    recovered = world.day(rng)
    source_state = US_SOURCE_STATES.pick(rng)
    parties = {}
    if holders == ("US",):
        traced = rng.random() < 0.75
        fields: dict[str, object] = {
            "make": us_spellings[below(rng, len(us_spellings))],
            "serial": serial,
            "importer": IMPORTERS[gun.importer][1] if gun.importer else None,
            "model": gun.model,
            "caliber": gun.caliber_us,
            "firearm_type": gun.firearm_type,
            "recovery_state": US_RECOVERY_STATES.pick(rng),
            "recovery_date": recovered,
            "trace_status": TraceStatus.TRACED_US if traced else TraceStatus.PENDING,
            "source_state": source_state if traced else None,
        }
        agency = FIREARM_AGENCIES["US-only"].pick(rng)
        parties["US"] = render(world, rng, "US", agency, recovered, fields, lag_days=5)
        return Entity(holders, "exact", parties)

    shared = len(holders) > 1
    serial_variation = SERIAL_VARIATIONS.pick(rng) if shared else "same"
    mx_make = mx_spellings[below(rng, len(mx_spellings))]
    us_make = us_spellings[below(rng, len(us_spellings))]
    if "case" in serial_variation and not any(c.isalpha() for c in serial):
        serial_variation = "serial formatting"  # digits only: nothing to write in lower case
    mx_serial: str | None = serial
    if serial_variation in ("serial formatting", "serial formatting and case"):
        mx_serial = reformat_serial(rng, serial)
    if serial_variation in ("serial case", "serial formatting and case"):
        mx_serial = (mx_serial or serial).lower()
    if serial_variation == "serial misread":
        mx_serial = misread_serial(rng, serial)
    if shared and serial_variation == "same" and rng.random() < 0.25:
        us_make = mx_make  # both wrote the make the same way
    if shared:
        if serial_variation == "serial misread":
            variation = "serial misread"
        else:
            parts = [] if mx_make == us_make else ["make spelled differently"]
            if serial_variation != "same":
                parts.append(serial_variation)
            variation = "; ".join(parts) or "exact"
        status = (
            TraceStatus.PENDING if serial_variation == "serial misread" else (TraceStatus.TRACED_US)
        )
    else:
        variation = "exact"
        if rng.random() < OBLITERATED_SHARE:
            mx_serial, status = None, TraceStatus.UNTRACEABLE
        elif rng.random() < traced_share:
            status = TraceStatus.TRACED_US
        else:
            status = _MX_OTHER_STATUS.pick(rng)
    recovery_state = MX_RECOVERY_STATES.pick(rng)
    importer = IMPORTERS[gun.importer] if gun.importer else None
    mx_fields: dict[str, object] = {
        "make": mx_make,
        "serial": mx_serial,
        "importer": importer[0] if importer and rng.random() < 0.5 else None,
        "model": gun.model if rng.random() < 0.85 else None,
        "caliber": gun.caliber_mx,
        "firearm_type": gun.firearm_type,
        "recovery_state": recovery_state,
        "recovery_date": recovered,
        "trace_status": status,
        "source_state": source_state if status is TraceStatus.TRACED_US else None,
    }
    parties["MX"] = render(world, rng, "MX", FIREARM_AGENCIES["MX"].pick(rng), recovered, mx_fields)
    if shared:
        misread = serial_variation == "serial misread"
        us_fields: dict[str, object] = {
            "make": us_make,
            "serial": serial,
            "importer": importer[1] if importer else None,
            "model": gun.model,
            "caliber": gun.caliber_us,
            "firearm_type": gun.firearm_type,
            # A misread serial never came back from a trace: the US record is the sale's.
            "recovery_state": None if misread else recovery_state,
            "recovery_date": None if misread else recovered,
            "trace_status": None if misread else TraceStatus.TRACED_US,
            "source_state": source_state,
        }
        traced_day = world.day_at((recovered - world.start).days + 5 + below(rng, 55))
        parties["US"] = render(
            world, rng, "US", FIREARM_AGENCIES["US"].pick(rng), traced_day, us_fields
        )
    return Entity(holders, variation, parties)


def firearm_records(world: World, party: str) -> Iterator[Record]:
    """A party's firearms; Mexico's each followed by 'seized-in' its seizure.

    US records of straw purchases are followed by 'purchased-by' a person.
    """
    traced_share = mx_traced_us_share(world)
    persons = world.counts.persons
    for index in range(world.counts.firearms):
        holders = world.holders("firearm", index)
        if party not in holders:
            continue
        entity = firearm_entity(world, index, traced_share)
        firearm = build(world, Firearm, party, "firearm", index, entity.parties[party])
        yield firearm
        if party == "MX":
            seizure = firearm_seizure(world, party, index)
            if seizure is not None:
                yield world.relationship(
                    party, "seized-in", firearm, seizure_id(world, party, seizure)
                )
        elif world.unit("purchased-by", index) < 0.25:
            buyer = world.linked("person", persons, ("US",), "purchase", index)
            if buyer is not None:
                yield world.relationship(
                    party,
                    "purchased-by",
                    firearm,
                    person_id(world, party, buyer),
                    "Straw purchase identified in the trace",
                )
