"""Plates: country + ISO 3166-2 state + cleaned number (+ type)."""

import pytest

from enlace.model.identifiers import IdentifierKind, InvalidIdentifier, normalise, normalise_plate
from enlace.model.identifiers.plate import MX_STATES, US_STATES


@pytest.mark.parametrize("number", ["ABC-123-A", "abc 123 a", "ABC123A", "ABC.123.A"])
def test_number_formats_give_one_key(number: str) -> None:
    assert normalise_plate("MX", "BCN", number) == "MX|MX-BCN|ABC123A"


@pytest.mark.parametrize("state", ["BCN", "MX-BCN", "bcn", " mx-bcn "])
def test_state_spellings_give_one_key(state: str) -> None:
    assert normalise_plate("mx", state, "ABC123A") == "MX|MX-BCN|ABC123A"


def test_different_state_gives_a_different_key() -> None:
    assert normalise_plate("MX", "BCN", "ABC123A") != normalise_plate("MX", "SON", "ABC123A")
    assert normalise_plate("US", "TX", "ABC1234") != normalise_plate("US", "AZ", "ABC1234")


def test_letter_o_and_digit_zero_are_not_conflated() -> None:
    assert normalise_plate("US", "TX", "AB0123") != normalise_plate("US", "TX", "ABO123")


def test_type_is_appended_upper_cased() -> None:
    assert normalise_plate("US", "CA", "1ABC234", "pc") == "US|US-CA|1ABC234|PC"
    assert normalise_plate("US", "CA", "1ABC234", "") == "US|US-CA|1ABC234"


def test_mexico_city_old_code_maps_to_cmx() -> None:
    assert normalise_plate("MX", "DIF", "123ABC") == "MX|MX-CMX|123ABC"


def test_state_lists_are_complete() -> None:
    assert len(MX_STATES) == 32
    assert {"MX-BCN", "MX-SON", "MX-CHH", "MX-COA", "MX-NLE", "MX-TAM"} <= MX_STATES
    # 50 states + DC + 6 outlying areas.
    assert len(US_STATES) == 57
    assert {"US-CA", "US-AZ", "US-NM", "US-TX", "US-DC"} <= US_STATES


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("MX", "TX", "ABC123A"), "found state 'TX', which is a state of US"),
        (("US", "BCN", "ABC123A"), "found state 'BCN', which is a state of MX"),
        (("MX", "XYZ", "ABC123A"), "found state 'XYZ'"),
        (("CA", "ON", "ABC123"), "found country 'CA'"),
        (("MX", "BCN", ""), "found ''"),
        (("MX", "BCN", " - "), "found ' - '"),
        (("MX", "BCN", "ABC/123"), "found 'ABC/123'"),
        (("MX", "BCN", "ABC123A", "P|C"), "plate type"),
    ],
)
def test_invalid_plates_raise(args: tuple[str, ...], fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        normalise_plate(*args)
    assert info.value.kind is IdentifierKind.PLATE
    assert fragment in str(info.value)


def test_dispatch_takes_and_gives_composite_keys() -> None:
    assert normalise(IdentifierKind.PLATE, "mx|bcn|abc-123-a") == "MX|MX-BCN|ABC123A"
    assert normalise(IdentifierKind.PLATE, "MX|MX-BCN|ABC123A") == "MX|MX-BCN|ABC123A"
    assert normalise(IdentifierKind.PLATE, "US|TX|ABC 1234|pc") == "US|US-TX|ABC1234|PC"
    with pytest.raises(InvalidIdentifier, match="COUNTRY"):
        normalise(IdentifierKind.PLATE, "ABC123A")
