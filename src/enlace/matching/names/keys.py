"""Match keys of person and organisation names: what private name matching intersects.

A record gives a few short keys, each typo-tolerant in one way; two records of the same
person share at least one of them however one of the records is written. The keys go
through the same DH private set intersection as exact identifiers, each key kind hashed with
its own domain, so a partner never sees a name, only blinded points (docs/matching.md,
"Names", says why this design and what each side learns).

Person keys (PERSON), all in one domain; those after the first carry a tag ("#T|", "#N|")
that no phonetic code contains:

    phonetic(surname) | first two sounds of the given name (nickname-normalised) | birth

one per surname the record holds, with the birth date as year + (smaller, larger) of day and
month, so a day/month swap gives the same key. One key per surname, in the same domain,
means: the second surname missing on one side still leaves the first; surnames swapped still
agree; a typo in one surname leaves the other; a typo past the second sound of the given
name does not count.

    #T| both surnames (sorted) | initial of the given name | birth

survives a typo in the given name after its first letter. Not with one surname: one surname,
an initial and a birth date are shared by namesakes born the same day (measured at 100,000
a side: 780 false pairs).

    #N| phonetic given name | both surnames (sorted) | sex

needs no date of birth: a record whose date of birth is missing on either side still
matches. A full name is shared by namesakes (two "Juan García López"), so this key counts
only when one record on each side holds it and the name is rare (evidence.py), and only
with both surnames:
a given name and one surname are too common to count on alone. Sex unknown gives the key
for both.

    #P| phonetic given name | both surnames (sorted) | state of birth (ISO 3166-2)

needs no date of birth either, and divides the namesakes of #N| by where they were born
(a Mexican record with a CURP holds its state: model/records/actors.py). It is weighed as
#N| is, with the state's share of records in the estimate of namesakes (evidence.py). No
sex: the given name nearly always carries it, and a record without one gives one key, not
two. Not with one surname, for the reason #N| is not.

Organisation keys (ORGANISATION): organisations.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from enlace.matching.names.evidence import (
    PERSON_BIRTHPLACE,
    PERSON_BOTH_SURNAMES,
    PERSON_WITHOUT_BIRTH,
)
from enlace.matching.names.nicknames import canonical_given_name
from enlace.matching.names.organisations import organisation_name_keys
from enlace.matching.names.phonetic import phonetic
from enlace.model.identifiers.text import words

__all__ = [
    "NameKeyKind",
    "OrgName",
    "PersonName",
    "key_domain",
    "organisation_keys",
    "person_keys",
    "surnames",
]

# v2: organisation keys and the tagged person keys (a v1 node would match none of them).
_DOMAIN_PREFIX = b"enlace/names/v2/"

# Particles of compound surnames ("de la Cruz", "del Río", "de los Santos"): records
# keep, capitalise, join or drop them, so the key leaves them out.
_PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "EL", "Y", "DA", "DI", "VAN", "VON"})
# A particle surname written as one word ("Delacruz", "Deleon") is split when what follows
# the particle is one of these surnames: a rule on spelling alone would also split
# "Delgado" (DEL + GADO) or read "Delangel" as DELA + NGEL.
_PARTICLE_HEADS = frozenset(
    {
        "CRUZ", "ROSA", "LEON", "ANGEL", "TORRE", "SANTOS", "GARZA", "RIO", "FUENTE", "JESUS",
        "VEGA", "PAZ", "HOYA", "REYES", "VALLE", "PARRA", "CERDA", "TORO", "AGUILA", "LUNA",
        "ROSARIO", "CASTILLO", "CAMPO", "BARRIO", "MORAL", "OLMO", "PINO", "POZO", "SOL",
        "RIOS", "MONTE", "PENA", "ROCHA", "CUEVA", "MAZO", "ORO", "BOSQUE", "LLANO",
    }
)  # fmt: skip
_JOINED_PARTICLES = ("DELOS", "DELAS", "DELA", "DEL", "DE")
# Sex as records hold it (enlace.model.vocabulary.Sex values) -> its letter in a key.
_SEXES = {"female": "F", "male": "M"}


class NameKeyKind(StrEnum):
    """The kinds of name key, by their names as match kinds; each hashes under its own domain."""

    # At most 16 characters: match runs and agreements store the kind in such a column.
    PERSON = "person"  # keys: phonetic surname(s) | given-name sounds | birth date or sex
    ORGANISATION = "organisation"  # keys: the name's sorted phonetic words, acronyms


def key_domain(kind: NameKeyKind) -> bytes:
    """The domain separator of a key kind, unlike any exact identifier kind's."""
    return _DOMAIN_PREFIX + kind.value.encode("ascii") + b"\x00"


@dataclass(frozen=True, slots=True)
class PersonName:
    """The parts of a person's record that name keys are made from."""

    given_names: str
    first_surname: str
    second_surname: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None  # "female", "male"; None or "unknown" when the record does not say
    place_of_birth: str | None = None  # ISO 3166-2 state, e.g. "MX-SIN"


@dataclass(frozen=True, slots=True)
class OrgName:
    """An organisation's name and aliases as one record writes them."""

    name: str
    aliases: tuple[str, ...] = ()


def surnames(person: PersonName) -> list[str]:
    """The person's surnames as words without particles, in order, at most two.

    A hyphenated or joined pair ("García-López" in the first surname field) gives two.
    """
    found: list[str] = []
    for field in (person.first_surname, person.second_surname):
        if not field:
            continue
        found.extend(_surnames_of(field))
    return found[:2]


@functools.lru_cache(maxsize=65536)
def _surnames_of(field: str) -> tuple[str, ...]:
    # Particles go; every other word is a surname: "Garcia-Lopez" and "Garcia Lopez" in one
    # field are the two surnames a US form had one box for.
    tokens = [t for t in words(field) if t not in _PARTICLES]
    return tuple(_unjoin_particle(t) for t in tokens)


def _unjoin_particle(token: str) -> str:
    for prefix in _JOINED_PARTICLES:
        if token.startswith(prefix) and token[len(prefix) :] in _PARTICLE_HEADS:
            return token[len(prefix) :]
    return token


def _birth(born: date) -> str:
    low, high = sorted((born.day, born.month))
    return f"{born.year:04d}{low:02d}{high:02d}"


def _given_sounds(given: str) -> str:
    # The first two sounds of the given name: "JOSE" -> "JS", "JUAN" -> "JN", "MANUEL" ->
    # "MN", "MIGUEL" -> "MG". One letter (an initial) would tolerate more typos, but at 100k
    # records a side it lets too many namesakes born the same day through (measured: F1
    # 0.963 with one, 0.970 with two). A leading vowel keeps its letter: the phonetic code
    # writes every vowel as "A", which would merge Alfonso, Enrique, Ignacio and Óscar.
    # A silent H goes first (Héctor/Ector).
    plain = given.removeprefix("H")
    if not plain:
        return ""
    code = phonetic(plain)
    return plain[0] + code[1:2] if plain[0] in "AEIOU" else code[:2]


def _given_code(given: str) -> str:
    # The whole given name's code, a leading vowel kept as itself (see _given_sounds).
    plain = given.removeprefix("H")
    if not plain:
        return ""
    code = phonetic(plain)
    return plain[0] + code[1:] if plain[0] in "AEIOU" else code


def person_keys(person: PersonName) -> list[bytes]:
    """The PERSON keys of a person (none without a surname)."""
    found = surnames(person)
    if not found:
        return []
    canonical = canonical_given_name(person.given_names)
    codes = [phonetic(s) for s in found]
    keys: set[bytes] = set()
    if person.date_of_birth is not None:
        given = _given_sounds(canonical)
        birth = _birth(person.date_of_birth)
        keys.update(f"{code}|{given}|{birth}".encode("ascii") for code in codes)
        if len(codes) == 2:
            pair = "|".join(sorted(codes))
            # The initial of the name as written too: a typo can take a name out of its
            # nickname group ("Robetto" is no longer "Beto", as "Roberto" is).
            written = words(person.given_names)[:1]
            for initial in {given[:1], *(_given_sounds(w)[:1] for w in written)}:
                if initial:
                    keys.add(PERSON_BOTH_SURNAMES + f"{pair}|{initial}|{birth}".encode("ascii"))
    given_code = _given_code(canonical)
    if len(codes) == 2 and given_code:
        pair = "|".join(sorted(codes))
        known = _SEXES.get(person.sex or "")
        sexes = (known,) if known else tuple(_SEXES.values())
        keys.update(
            PERSON_WITHOUT_BIRTH + f"{given_code}|{pair}|{sex}".encode("ascii") for sex in sexes
        )
        if person.place_of_birth:
            place = person.place_of_birth.upper()
            keys.add(PERSON_BIRTHPLACE + f"{given_code}|{pair}|{place}".encode("ascii"))
    return sorted(keys)


def organisation_keys(org: OrgName) -> list[bytes]:
    """The ORGANISATION keys of an organisation: those of its name and of each alias."""
    keys: set[str] = set()
    for text in (org.name, *org.aliases):
        keys.update(organisation_name_keys(text))
    return sorted(key.encode("ascii") for key in keys)
