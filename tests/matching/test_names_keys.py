"""Match keys of names: the variations of one person give a shared key, others do not."""

from __future__ import annotations

from datetime import date

import pytest

from enlace.matching.names.keys import (
    NameKeyKind,
    OrgName,
    PersonName,
    key_domain,
    organisation_keys,
    person_keys,
    surnames,
)
from enlace.matching.names.match import match_persons
from enlace.matching.names.nicknames import canonical_given_name
from enlace.matching.names.phonetic import phonetic
from enlace.matching.scoring import plain_intersection

BORN = date(1984, 3, 10)
BASE = PersonName("José Luis", "Hernández", "de la Cruz", BORN)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("VAZQUEZ", "BASQUES"),  # B/V, Z/S, QU/K
        ("HERNANDEZ", "ERNANDES"),  # silent H, final Z/S
        ("GONZALEZ", "GONSALES"),
        ("JIMENEZ", "XIMENES"),  # initial X read as J
        ("GUTIERREZ", "GUTIEREZ"),  # RR/R
        ("VILLARREAL", "VILLAREAL"),
        ("ZUNIGA", "ZUNNIGA"),  # a doubled letter
        ("GARCIA", "GARSIA"),  # C before I
        ("MARTINEZ", "MARTNEZ"),  # a dropped vowel
    ],
)
def test_phonetic_code_merges_spanish_spelling_equivalences(a: str, b: str) -> None:
    assert phonetic(a) == phonetic(b)


@pytest.mark.parametrize(("a", "b"), [("GARCIA", "GOMEZ"), ("LOPEZ", "LUNA"), ("RUIZ", "REYES")])
def test_phonetic_code_keeps_different_surnames_apart(a: str, b: str) -> None:
    assert phonetic(a) != phonetic(b)


@pytest.mark.parametrize(
    ("nickname", "formal"),
    [
        ("Pepe", "José"),
        ("Pancho", "Francisco"),
        ("Chuy", "Jesús"),
        ("Lupe", "Guadalupe"),
        ("Ma. Lupe", "María"),
    ],
)
def test_nicknames_fold_to_the_formal_given_name(nickname: str, formal: str) -> None:
    assert canonical_given_name(nickname) == canonical_given_name(formal)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("de la Cruz", None, ["CRUZ"]),
        ("Delacruz", None, ["CRUZ"]),
        ("DE LA CRUZ", "López", ["CRUZ", "LOPEZ"]),
        ("García-López", None, ["GARCIA", "LOPEZ"]),
        ("Deleon", None, ["LEON"]),
        ("Delangel", None, ["ANGEL"]),
        ("Delgado", None, ["DELGADO"]),
    ],
)
def test_surnames_drop_particles_and_split_joined_pairs(
    first: str, second: str | None, expected: list[str]
) -> None:
    assert surnames(PersonName("Ana", first, second, BORN)) == expected


@pytest.mark.parametrize(
    "variant",
    [
        PersonName("JOSE LUIS", "HERNANDEZ", "DE LA CRUZ", BORN),  # accents dropped, upper
        PersonName("Jose Luis", "Hernandez", None, BORN),  # second surname missing
        PersonName("Jose Luis", "Hernandez-Delacruz", None, BORN),  # hyphenated, joined
        PersonName("Jose Luis", "Cruz", "Hernandez", BORN),  # swapped
        PersonName("Pepe", "Hernandez", "Cruz", BORN),  # nickname
        PersonName("Jose Luis", "Hernadnez", "Cruz", BORN),  # typo in the first surname
        PersonName("Jsoe Luis", "Hernandez", "Cruz", BORN),  # typo in the given name
        PersonName("Jose L.", "Hernandez", "Cruz", BORN),  # second given name dropped
        PersonName("Jose Luis", "Hernandez", "Cruz", date(1984, 10, 3)),  # day/month swapped
    ],
)
def test_a_variation_of_a_person_shares_a_key(variant: PersonName) -> None:
    assert set(person_keys(BASE)) & set(person_keys(variant))


@pytest.mark.parametrize(
    "other",
    [
        PersonName("José Luis", "Hernández", "de la Cruz", date(1984, 3, 11)),  # born a day later
        PersonName("Manuel", "Hernández", "de la Cruz", BORN),  # another given name
        PersonName("José Luis", "García", "López", BORN),  # other surnames
    ],
)
def test_a_different_person_shares_no_strong_key(other: PersonName) -> None:
    shared = set(person_keys(BASE)) & set(person_keys(other))
    assert all(key.startswith(b"#N|") for key in shared)
    assert not match_persons({"a": BASE}, {"b": other}, plain_intersection)


def test_a_person_without_date_of_birth_gives_only_the_name_key() -> None:
    keys = person_keys(PersonName("José", "Hernández", "López", None, "male"))
    assert keys == [b"#N|JS|ARNDS|LPS|M"]
    assert person_keys(PersonName("José", "Hernández", None, None)) == []


def test_a_place_of_birth_gives_the_name_and_state_key_with_or_without_a_birth_date() -> None:
    undated = person_keys(PersonName("José", "Hernández", "López", None, "male", "MX-SIN"))
    assert undated == [b"#N|JS|ARNDS|LPS|M", b"#P|JS|ARNDS|LPS|MX-SIN"]
    dated = person_keys(PersonName("José", "Hernández", "López", BORN, None, "MX-SIN"))
    # One state key whatever the sex: the given name carries it.
    assert [k for k in dated if k.startswith(b"#P|")] == [b"#P|JS|ARNDS|LPS|MX-SIN"]
    one_surname = PersonName("José", "Hernández", None, None, "male", "MX-SIN")
    assert person_keys(one_surname) == []


def test_unknown_sex_gives_the_name_key_for_both() -> None:
    keys = person_keys(PersonName("José", "Hernández", "López", None))
    assert keys == [b"#N|JS|ARNDS|LPS|F", b"#N|JS|ARNDS|LPS|M"]


def test_a_person_gives_one_birth_key_per_surname() -> None:
    def birth_keys(person: PersonName) -> list[bytes]:
        return [k for k in person_keys(person) if not k.startswith(b"#")]

    assert len(birth_keys(BASE)) == 2
    assert len(birth_keys(PersonName("José", "Hernández", None, BORN))) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Cártel de Sinaloa", "Sinaloa Cartel"),
        ("Comercializadora Álamo del Norte, S.A. de C.V.", "COMERCIALIZADORA ALAMO DEL NORTE"),
        ("Transportes Río Bravo, S. de R.L. de C.V.", "Transportes Rio Bravo S de RL de CV"),
    ],
)
def test_organisation_name_variations_share_a_key(a: str, b: str) -> None:
    assert set(organisation_keys(OrgName(a))) & set(organisation_keys(OrgName(b)))


def test_organisation_aliases_give_keys_too() -> None:
    us = OrgName("Jalisco New Generation Cartel", ("Cartel de Jalisco Nueva Generacion", "CJNG"))
    mx = OrgName("Cártel de Jalisco Nueva Generación", ("CJNG",))
    shared = set(organisation_keys(us)) & set(organisation_keys(mx))
    assert {k[:2] for k in shared} >= {b"W|", b"A|"}


def test_key_kinds_hash_under_their_own_domains() -> None:
    domains = {key_domain(kind) for kind in NameKeyKind}
    assert len(domains) == len(NameKeyKind)
    assert all(d.startswith(b"enlace/names/v2/") and d.endswith(b"\x00") for d in domains)
