"""Person name matching without a date of birth on one side, and with a typo in the given name.

Hand-written pairs, not the generator's: a rare full name pairs a record without a date of
birth; a common one, or one held by two records of a side, does not (namesakes); a common
name rare among those born in one state pairs when both records hold that state.
"""

from __future__ import annotations

from datetime import date, timedelta

from enlace.matching.names.evidence import EXPECTED_NAMESAKES, PersonEvidence
from enlace.matching.names.keys import PersonName, person_keys
from enlace.matching.names.match import match_persons
from enlace.matching.scoring import distinct_keys, plain_intersection

COMMON_GIVEN = ("Juan", "José", "Luis", "Carlos", "Miguel", "Jesús", "María", "Guadalupe")
COMMON_SURNAMES = ("Hernández", "García", "Martínez", "López", "González", "Pérez")
# Where the population was born: the states most records of the border hold.
COMMON_STATES = ("MX-SIN", "MX-BCN", "MX-SON", "MX-CHH", "MX-TAM", "MX-NLE", "MX-JAL", "MX-MIC")


def _population(side: str, n: int = 400) -> dict[str, PersonName]:
    """Many records with the commonest names, born on different days."""
    people = {}
    for i in range(n):
        people[f"{side}{i}"] = PersonName(
            COMMON_GIVEN[i % len(COMMON_GIVEN)],
            COMMON_SURNAMES[i % len(COMMON_SURNAMES)],
            COMMON_SURNAMES[(i // 7) % len(COMMON_SURNAMES)],
            date(1960, 1, 1) + timedelta(days=37 * i + (0 if side == "mx" else 3)),
            "male",
            COMMON_STATES[(i // 3) % len(COMMON_STATES)],
        )
    return people


def _matched(mx: dict[str, PersonName], us: dict[str, PersonName]) -> set[tuple[str, str]]:
    return {(p.left, p.right) for p in match_persons(mx, us, plain_intersection)}


def test_a_rare_name_matches_without_a_date_of_birth_on_one_side() -> None:
    mx = _population("mx") | {
        "eus": PersonName("Eustaquio", "Zazueta", "Quintero", date(1979, 5, 2), "male")
    }
    us = _population("us") | {"z": PersonName("EUSTAQUIO", "ZAZUETA", "QUINTERO", None, "male")}
    assert ("eus", "z") in _matched(mx, us)


def test_a_common_name_without_a_date_of_birth_does_not_match() -> None:
    mx = _population("mx") | {
        "juan": PersonName("Juan", "García", "Hernández", date(1979, 5, 2), "male")
    }
    us = _population("us") | {"j": PersonName("Juan", "Garcia", "Hernandez", None, "male")}
    assert not {pair for pair in _matched(mx, us) if "j" in pair or "juan" in pair}


def test_a_rare_name_held_by_two_records_of_a_side_does_not_match_without_a_birth_date() -> None:
    twin = PersonName("Eustaquio", "Zazueta", "Quintero", date(1979, 5, 2), "male")
    other = PersonName("Eustaquio", "Zazueta", "Quintero", date(1951, 8, 30), "male")
    mx = _population("mx") | {"a": twin, "b": other}
    us = _population("us") | {"z": PersonName("Eustaquio", "Zazueta", "Quintero", None, "male")}
    assert not {pair for pair in _matched(mx, us) if "z" in pair}


def test_a_rare_name_of_the_other_sex_does_not_match() -> None:
    mx = _population("mx") | {
        "eus": PersonName("Eustaquio", "Zazueta", "Quintero", date(1979, 5, 2), "male")
    }
    us = _population("us") | {"z": PersonName("Eustaquio", "Zazueta", "Quintero", None, "female")}
    assert ("eus", "z") not in _matched(mx, us)


def test_the_expected_namesakes_grow_with_how_common_the_name_is() -> None:
    own = _population("mx") | {"r": PersonName("Eustaquio", "Zazueta", "Quintero", None, "male")}
    held = distinct_keys({record: person_keys(p) for record, p in own.items()})
    evidence = PersonEvidence.of_own_keys(((k, len(r)) for k, r in held.items()), 100_000)
    rare = person_keys(own["r"])[0]
    common = next(k for k in person_keys(own["mx0"]) if k.startswith(b"#N|"))
    assert evidence.expected_namesakes(rare) < evidence.expected_namesakes(common)


def test_a_typo_in_the_given_name_after_its_first_letter_still_matches() -> None:
    born = date(1984, 3, 10)
    mx = _population("mx") | {"m": PersonName("Miguel Ángel", "Beltrán", "Leyva", born, "male")}
    us = _population("us") | {"u": PersonName("Migeul Angel", "Beltran", "Leyva", born, "male")}
    assert ("m", "u") in _matched(mx, us)


def test_the_given_name_initial_alone_does_not_pair_namesakes_born_the_same_day() -> None:
    born = date(1984, 3, 10)
    mx = {"m": PersonName("Mario", "Beltrán", "Leyva", born, "male")}
    us = {"u": PersonName("Manuel", "Beltrán", None, born, "male")}
    assert not _matched(mx, us)


def _evidence(own: dict[str, PersonName], partner_size: int) -> PersonEvidence:
    held = distinct_keys({record: person_keys(p) for record, p in own.items()})
    return PersonEvidence.of_own_keys(((k, len(r)) for k, r in held.items()), partner_size)


def _tagged(person: PersonName, tag: bytes) -> bytes:
    return next(k for k in person_keys(person) if k.startswith(tag))


def test_a_common_name_without_a_birth_date_matches_when_both_hold_a_rare_state() -> None:
    carlos = PersonName("Carlos", "Martínez", "López", date(1979, 5, 2), "male", "MX-COL")
    mx = _population("mx") | {"c": carlos}
    us = _population("us") | {"u": PersonName("CARLOS", "MARTINEZ", "LOPEZ", None, None, "MX-COL")}
    evidence = _evidence(mx, len(us))
    # The name alone is borne by several records of the partner; born in Colima, by none.
    assert evidence.expected_namesakes(_tagged(carlos, b"#N|")) > EXPECTED_NAMESAKES
    assert evidence.expected_namesakes(_tagged(carlos, b"#P|")) <= EXPECTED_NAMESAKES
    assert ("c", "u") in _matched(mx, us)


def test_a_namesake_born_in_another_state_does_not_match_without_a_birth_date() -> None:
    carlos = PersonName("Carlos", "Martínez", "López", date(1979, 5, 2), "male", "MX-COL")
    mx = _population("mx") | {"c": carlos}
    us = _population("us") | {
        "u": PersonName("Carlos", "Martínez", "López", None, "male", "MX-NAY")
    }
    assert not {pair for pair in _matched(mx, us) if "u" in pair or "c" in pair}


def test_a_name_common_in_its_state_does_not_match_on_the_state() -> None:
    # Juan García Martínez born in Sinaloa, where an eighth of the population was born:
    # no other record holds the name with that state, but the name is common enough that
    # the partner is expected to hold namesakes born there, so the key does not count.
    juan = PersonName("Juan", "García", "Martínez", date(1979, 5, 2), "male", "MX-SIN")
    mx = _population("mx") | {"j": juan}
    us = _population("us") | {"u": PersonName("Juan", "Garcia", "Martinez", None, "male", "MX-SIN")}
    key = _tagged(juan, b"#P|")
    held = distinct_keys({r: person_keys(p) for r, p in (mx | us).items()})
    assert sorted(held[key]) == ["j", "u"]
    assert _evidence(mx, len(us)).expected_namesakes(key) > EXPECTED_NAMESAKES
    assert not {pair for pair in _matched(mx, us) if "u" in pair or "j" in pair}
