"""Spanish and English names, the ways one name is written differently, and CURPs.

A Mexican person has given names and two surnames (paterno, materno), with accents and
sometimes a particle ("de la Cruz"). US records of the same person drop accents, lose the
second surname, join or swap surnames, use a nickname, or carry a typo: the variations a
name matcher must survive.
"""

from __future__ import annotations

import csv
import functools
import io
import random
from dataclasses import dataclass, replace
from datetime import date
from importlib import resources

from enlace.model.identifiers import strip_accents
from enlace.synth.world import Weighted, below, uniform

# Names and how common they are among Hispanic persons in the US (about 60 % of Mexican
# origin), from public-domain sources: surnames from the US Census Bureau's "Frequently
# Occurring Surnames from the 2010 Census", given names from Tzioumis (2018), "Demographic
# aspects of first names" (Harvard Dataverse doi:10.7910/DVN/TYJKEZ, CC0), their sex from the
# 1990 Census first-name files. scripts/synth_name_sources.py builds the two CSV files and
# says what it keeps; docs/synthetic-data.md, "Names". A long tail, as real records have: most
# full names are borne by one person, a "José Hernández García" by many.
_NAMES_FILES = resources.files("enlace.synth")


def _read(file: str) -> list[list[str]]:
    text = _NAMES_FILES.joinpath(file).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))[1:]


_GIVEN_ROWS = _read("given_names.csv")
MALE_GIVEN = Weighted((name, int(n)) for name, sex, n in _GIVEN_ROWS if sex == "M")
FEMALE_GIVEN = Weighted((name, int(n)) for name, sex, n in _GIVEN_ROWS if sex == "F")
# Apellidos, weighted by their Hispanic bearers.
SURNAMES = Weighted((name, int(n)) for name, n in _read("surnames.csv"))
PARTICLE_SURNAMES = Weighted(
    (name, int(n)) for name, n in _read("surnames.csv") if name.startswith(("de ", "del "))
)
# Share of Mexican persons with two given names ("José Luis", "María Guadalupe"). No public
# source we could reach gives it; this is the share the hand-made lists these files replace
# had (14 of 63 male, 8 of 38 female names). The second name is drawn from the same
# frequencies as the first (the sources count first names only).
COMPOUND_GIVEN_SHARE = 0.22


def given_name(rng: random.Random, female: bool, *, compound: bool | None = None) -> str:
    """Given names of a Mexican person: one, or two (COMPOUND_GIVEN_SHARE of persons)."""
    pool = FEMALE_GIVEN if female else MALE_GIVEN
    first = pool.pick(rng)
    if compound is None:
        compound = rng.random() < COMPOUND_GIVEN_SHARE
    if compound:
        for _ in range(20):
            second = pool.pick(rng)
            if second != first:
                return f"{first} {second}"
    return first


ENGLISH_MALE = uniform(
    (
        "Michael", "James", "John", "Robert", "David", "William", "Richard", "Joseph",
        "Thomas", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Kevin",
        "Brian", "Jason", "Ryan", "Tyler", "Cody", "Travis", "Dustin", "Kyle",
    )
)  # fmt: skip
ENGLISH_FEMALE = uniform(
    (
        "Mary", "Jennifer", "Linda", "Patricia", "Elizabeth", "Sarah", "Jessica", "Ashley",
        "Amanda", "Stephanie", "Melissa", "Nicole", "Heather", "Crystal", "Brittany",
    )
)  # fmt: skip
ENGLISH_SURNAMES = uniform(
    (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
        "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson",
        "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Allen", "Young", "King",
        "Wright", "Scott", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell",
    )
)  # fmt: skip

# Hipocorísticos: how a given name appears in an informant's report or a US record.
NICKNAMES: dict[str, str] = {
    "José": "Pepe", "Francisco": "Pancho", "Jesús": "Chuy", "Ignacio": "Nacho",
    "Alfonso": "Poncho", "Roberto": "Beto", "Alberto": "Beto", "Heriberto": "Beto",
    "Rigoberto": "Beto", "Enrique": "Quique", "Eduardo": "Lalo", "Salvador": "Chava",
    "Guadalupe": "Lupe", "Rosario": "Chayo", "Concepción": "Conchita", "Dolores": "Lola",
    "Manuel": "Manolo", "Ramón": "Moncho", "Antonio": "Toño", "Guillermo": "Memo",
    "Alejandro": "Alex", "Rafael": "Rafa", "Patricia": "Paty", "Gerardo": "Jerry",
}  # fmt: skip

# Apodos: generic nicknames, none of them a known person's.
APODOS = uniform(
    (
        "El Flaco", "El Güero", "El Chino", "El Negro", "El Compa", "El Tigre", "El Cuervo",
        "El Pelón", "El Gallo", "El Cholo", "El Toro", "El Mudo", "El Tartas", "El Gordo",
        "El Primo", "El Zurdo", "El Chaparro", "El Costeño", "El Ingeniero", "El Licenciado",
        "El Tío", "El Comandante", "La Güera", "La Flaca", "La Jefa", "El Greñas", "El 50",
        "El Doce", "El Sobrino", "El Piloto",
    )
)  # fmt: skip

# Birth state codes of the CURP (RENAPO), weighted towards the north and the Pacific.
CURP_STATES = Weighted(
    (
        ("SL", 14), ("BC", 10), ("SR", 9), ("CH", 9), ("TS", 8), ("NL", 6), ("JC", 8),
        ("MN", 6), ("DG", 5), ("GR", 4), ("DF", 5), ("MC", 5), ("GT", 3), ("ZS", 3),
        ("CL", 2), ("NT", 2), ("VZ", 2), ("OC", 1), ("PL", 1), ("NE", 1),
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name as one record writes it, with date of birth and sex."""

    given_names: str
    first_surname: str
    second_surname: str | None
    date_of_birth: date | None
    female: bool
    aliases: tuple[str, ...] = ()


def mexican_name(
    rng: random.Random, *, particle: bool = False, nickname: bool = False, born: date
) -> PersonName:
    """A Mexican name: given names and two surnames, accents kept."""
    female = rng.random() < 0.18
    given = given_name(rng, female)
    if nickname:
        for _ in range(60):
            if given.split()[0] in NICKNAMES:
                break
            given = given_name(rng, female)
        else:
            given = "Guadalupe" if female else "Francisco"
    first = PARTICLE_SURNAMES.pick(rng) if particle else SURNAMES.pick(rng)
    second = SURNAMES.pick(rng)
    aliases = (APODOS.pick(rng),) if rng.random() < 0.3 else ()
    return PersonName(given, first, second, born, female, aliases)


def english_name(rng: random.Random, born: date) -> PersonName:
    """A US name: given names and one surname."""
    female = rng.random() < 0.25
    given = (ENGLISH_FEMALE if female else ENGLISH_MALE).pick(rng)
    if rng.random() < 0.25:
        given += " " + (ENGLISH_FEMALE if female else ENGLISH_MALE).pick(rng)
    return PersonName(given, ENGLISH_SURNAMES.pick(rng), None, born, female)


def hispanic_us_name(rng: random.Random, born: date) -> PersonName:
    """A US record of a Hispanic name: no accents, often one surname or a hyphenated pair."""
    base = mexican_name(rng, born=born)
    first = strip_accents(base.first_surname)
    second = strip_accents(base.second_surname or "")
    roll = rng.random()
    if roll < 0.55:
        return PersonName(strip_accents(base.given_names), first, None, born, base.female)
    if roll < 0.75:
        return PersonName(
            strip_accents(base.given_names), f"{first}-{second}", None, born, base.female
        )
    return PersonName(strip_accents(base.given_names), first, second, born, base.female)


# --- variations: how the other party writes the same person ---------------------------

_KEYBOARD_NEIGHBOURS = {
    "a": "sq", "e": "wr", "i": "uo", "o": "ip", "u": "yi", "n": "bm", "m": "n", "r": "et",
    "s": "ad", "t": "ry", "l": "k", "c": "vx", "d": "sf", "g": "fh", "z": "sx", "v": "bc",
    "b": "vn", "h": "gj", "p": "o", "q": "w", "j": "hk", "f": "dg", "y": "tu", "x": "zc",
}  # fmt: skip


def typo(rng: random.Random, word: str) -> str:
    """One keyboard slip in a word: a neighbour key, a dropped, doubled or swapped letter."""
    plain = strip_accents(word)
    letters = [i for i in range(1, len(plain)) if plain[i].isalpha()]
    if len(plain) < 4 or not letters:
        return plain + plain[-1]
    i = letters[below(rng, len(letters))]
    kind = below(rng, 4)
    if kind == 0:
        near = _KEYBOARD_NEIGHBOURS.get(plain[i].lower(), "e")
        return plain[:i] + near[below(rng, len(near))] + plain[i + 1 :]
    if kind == 1:
        return plain[:i] + plain[i + 1 :]
    if kind == 2:
        return plain[:i] + plain[i] + plain[i:]
    if i < len(plain) - 1 and plain[i] != plain[i + 1]:
        return plain[:i] + plain[i + 1] + plain[i] + plain[i + 2 :]
    return plain[:i] + plain[i + 1 :]


def particle_variant(rng: random.Random, surname: str) -> str:
    """'de la Cruz' as other records write it: 'De La Cruz', 'Delacruz', 'Cruz', 'DE LA CRUZ'."""
    plain = strip_accents(surname)
    words = plain.split()
    forms = (
        " ".join(w.capitalize() for w in words),
        "".join(words).capitalize(),
        words[-1],
        plain.upper(),
    )
    return forms[below(rng, len(forms))]


# Variations of a Mexican person's name in the partner's record, with weights. The person is
# drawn knowing the variation, so a particle or a nickname is there when one is needed.
PERSON_VARIATIONS = Weighted(
    (
        ("exact", 8),
        ("accents dropped", 18),
        ("accents dropped; second surname missing", 14),
        ("second surname missing", 6),
        ("surnames hyphenated", 6),
        ("surnames swapped", 4),
        ("particle written differently", 7),
        ("nickname", 7),
        ("typo in surname", 10),
        ("typo in given name", 5),
        ("second given name dropped", 6),
        ("day and month of birth swapped", 5),
        ("date of birth missing", 4),
    )
)


def vary(rng: random.Random, name: PersonName, variation: str) -> PersonName:
    """The partner's record of `name` under `variation` (see PERSON_VARIATIONS)."""
    given, first, second = name.given_names, name.first_surname, name.second_surname
    born = name.date_of_birth
    aliases = name.aliases if rng.random() < 0.6 else ()
    plain = strip_accents
    if variation == "exact":
        return replace(name, aliases=name.aliases)
    if variation == "accents dropped":
        upper = rng.random() < 0.5
        parts = [plain(given), plain(first), plain(second) if second else None]
        if upper:
            parts = [p.upper() if p else None for p in parts]
        return PersonName(
            parts[0] or given, parts[1] or first, parts[2], born, name.female, aliases
        )
    if variation == "accents dropped; second surname missing":
        return PersonName(plain(given), plain(first), None, born, name.female, aliases)
    if variation == "second surname missing":
        return PersonName(given, first, None, born, name.female, aliases)
    if variation == "surnames hyphenated":
        joined = f"{plain(first)}-{plain(second)}" if second else plain(first)
        return PersonName(plain(given), joined, None, born, name.female, aliases)
    if variation == "surnames swapped" and second:
        return PersonName(plain(given), plain(second), plain(first), born, name.female, aliases)
    if variation == "particle written differently":
        return PersonName(
            plain(given),
            particle_variant(rng, first),
            plain(second) if second else None,
            born,
            name.female,
            aliases,
        )
    if variation == "nickname":
        head, *rest = given.split()
        nick = NICKNAMES.get(head, head)
        formal = name.given_names
        return PersonName(
            " ".join([nick, *rest]) if rng.random() < 0.3 else nick,
            plain(first),
            plain(second) if second else None,
            born,
            name.female,
            (*aliases, plain(formal)),
        )
    if variation == "typo in surname":
        return PersonName(
            plain(given),
            typo(rng, first),
            plain(second) if second else None,
            born,
            name.female,
            aliases,
        )
    if variation == "typo in given name":
        words = given.split()
        k = below(rng, len(words))
        words[k] = typo(rng, words[k])
        return PersonName(
            plain(" ".join(words)),
            plain(first),
            plain(second) if second else None,
            born,
            name.female,
            aliases,
        )
    if variation == "second given name dropped":
        words = given.split()
        short = words[0] if rng.random() < 0.6 else f"{words[0]} {words[-1][0]}."
        return PersonName(
            plain(short),
            plain(first),
            plain(second) if second else None,
            born,
            name.female,
            aliases,
        )
    if variation == "day and month of birth swapped" and born and born.day <= 12:
        swapped = date(born.year, born.day, born.month)
        return PersonName(
            plain(given),
            plain(first),
            plain(second) if second else None,
            swapped,
            name.female,
            aliases,
        )
    if variation == "date of birth missing":
        return PersonName(
            plain(given),
            plain(first),
            plain(second) if second else None,
            None,
            name.female,
            aliases,
        )
    return PersonName(
        plain(given), plain(first), plain(second) if second else None, born, name.female, aliases
    )


def needs_two_given_names(variation: str) -> bool:
    """Whether a variation only makes sense for a person with two given names."""
    return variation == "second given name dropped"


# --- CURP ----------------------------------------------------------------------------

_PARTICLES = frozenset(
    [
        "DA",
        "DAS",
        "DE",
        "DEL",
        "DER",
        "DI",
        "DIE",
        "DD",
        "EL",
        "LA",
        "LOS",
        "LAS",
        "LE",
        "LES",
        "MAC",
        "MC",
        "VAN",
        "VON",
        "Y",
    ]
)
_VOWELS = frozenset("AEIOU")
_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_CURP_VALUES = {c: i for i, c in enumerate(_CURP_ALPHABET)}
_CURP_WEIGHTS = tuple(range(18, 1, -1))
_DISAMBIGUATORS_2000 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@functools.lru_cache(maxsize=8192)
def _curp_word(name: str, *, skip_common_first: bool = False) -> str:
    """A name part as RENAPO reads it: upper case, no accents, Ñ as X, particles removed."""
    upper = name.upper().replace("Ñ", "X")
    words = [w for w in strip_accents(upper).replace("-", " ").split() if w.isalpha()]
    words = [w for w in words if w not in _PARTICLES] or words
    if skip_common_first and len(words) > 1 and words[0] in ("MARIA", "MA", "JOSE", "J"):
        words = words[1:]
    return words[0] if words else "X"


def _inner_consonant(word: str) -> str:
    for c in word[1:]:
        if c.isalpha() and c not in _VOWELS:
            return c
    return "X"


def curp_check_digit(first17: str) -> str:
    """RENAPO's check digit over the first 17 characters."""
    total = sum(_CURP_VALUES[c] * w for c, w in zip(first17, _CURP_WEIGHTS, strict=False))
    return str((10 - total % 10) % 10)


def make_curp(rng: random.Random, name: PersonName, born: date, state: str) -> str:
    """A valid CURP for a person, built as RENAPO builds it, with its check digit."""
    first = _curp_word(name.first_surname)
    second = _curp_word(name.second_surname) if name.second_surname else "X"
    given = _curp_word(name.given_names, skip_common_first=True)
    vowel = next((c for c in first[1:] if c in _VOWELS), "X")
    head = first[0] + vowel + second[0] + given[0]
    sex = "M" if name.female else "H"
    consonants = _inner_consonant(first) + _inner_consonant(second) + _inner_consonant(given)
    if born.year < 2000:
        disambiguator = str(below(rng, 10))
    else:
        disambiguator = _DISAMBIGUATORS_2000[below(rng, len(_DISAMBIGUATORS_2000))]
    if not _head_allowed(head):
        head = head[0] + "X" + head[2:]  # an inconvenient word (RENAPO's list)
    body = f"{head}{born:%y%m%d}{sex}{state}{consonants}{disambiguator}"
    return body + curp_check_digit(body)


# RENAPO's inconvenient words ("palabras altisonantes"): a CURP never starts with one; its
# second letter becomes X instead. tests/synth checks the model's validator agrees.
INCONVENIENT_WORDS = frozenset(
    (
        "BACA", "BAKA", "BUEI", "BUEY", "CACA", "CACO", "CAGA", "CAGO", "CAKA", "CAKO", "COGE",
        "COGI", "COJA", "COJE", "COJI", "COJO", "COLA", "CULO", "FALO", "FETO", "GETA", "GUEI",
        "GUEY", "JETA", "JOTO", "KACA", "KACO", "KAGA", "KAGO", "KAKA", "KAKO", "KOGE", "KOGI",
        "KOJA", "KOJE", "KOJI", "KOJO", "KOLA", "KULO", "LILO", "LOCA", "LOCO", "LOKA", "LOKO",
        "MAME", "MAMO", "MEAR", "MEAS", "MEON", "MIAR", "MION", "MOCO", "MOKO", "MULA", "MULO",
        "NACA", "NACO", "PEDA", "PEDO", "PENE", "PIPI", "PITO", "POPO", "PUTA", "PUTO", "QULO",
        "RATA", "ROBA", "ROBE", "ROBO", "RUIN", "SENO", "TETA", "VACA", "VAGA", "VAGO", "VAKA",
        "VUEI", "VUEY", "WUEI", "WUEY",
    )
)  # fmt: skip


def _head_allowed(head: str) -> bool:
    return head not in INCONVENIENT_WORDS


def birth_date(rng: random.Random, reference: date, youngest: int = 19, oldest: int = 62) -> date:
    """A date of birth for an adult aged youngest..oldest on reference."""
    age_days = youngest * 365 + below(rng, (oldest - youngest) * 365)
    return date.fromordinal(reference.toordinal() - age_days)
