"""VIN / NIV: 17 characters, no I/O/Q, check digit at position 9."""

import pickle

import pytest

from enlace.model.identifiers import (
    IdentifierKind,
    InvalidIdentifier,
    normalise,
    normalise_vin,
    vin_check_digit,
)

# Published examples: the standard's own (49 CFR 565), the all-ones VIN, and VINs used
# as valid examples in public decoders' documentation.
PUBLISHED = [
    "1M8GDM9AXKP042788",
    "11111111111111111",
    "1HGCM82633A004352",
    "JH4KA7561PC008269",
    "5GZCZ43D13S812715",
    "1G1ZT53826F109149",
    "1FAFP40634F172825",
]

# Real-format VINs (WMI of real makers, some built in Mexico) with check digits computed
# by hand from the weights and transliteration table.
COMPUTED = ["3VWFE21C04M000001", "3N1AB7AP3KY250413", "5YJSA1E18HF000001"]


@pytest.mark.parametrize("vin", PUBLISHED + COMPUTED)
def test_valid_vins_normalise_to_themselves(vin: str) -> None:
    assert normalise_vin(vin) == vin
    assert normalise(IdentifierKind.VIN, vin) == vin


def test_check_digit_of_the_standards_example_is_x() -> None:
    # 1*8 + 4*7 + 8*6 + 7*5 + 4*4 + 4*3 + 9*2 + 1*10 + 0 + 2*9 + 7*8 + 0*7 + 4*6 + 2*5
    # + 7*4 + 8*3 + 8*2 = 351; 351 mod 11 = 10 -> X.
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert vin_check_digit("11111111111111111") == "1"


def test_check_digit_ignores_what_position_9_holds() -> None:
    assert vin_check_digit("1M8GDM9A0KP042788") == "X"


def test_formatting_is_removed() -> None:
    assert normalise_vin(" 1m8gdm9axkp042788 ") == "1M8GDM9AXKP042788"
    assert normalise_vin("1M8-GDM9AX-KP 042788") == "1M8GDM9AXKP042788"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1M8GDM9AXKP04278", "found 16 characters"),
        ("1M8GDM9AXKP0427888", "found 18 characters"),
        ("1M8GDM9AXKPO42788", "found O, which VINs never use"),
        ("IM8GDM9AXKP042788", "found I, which VINs never use"),
        ("1M8GDM9AXKP04278Q", "found Q, which VINs never use"),
        ("1M8GDM9A5KP042788", "position 9 holds '5' but the check digit is 'X'"),
        ("1M8GDM9AXKP04278*", "invalid characters '*'"),
        ("", "found 0 characters"),
    ],
)
def test_invalid_vins_raise_saying_what_was_found(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        normalise_vin(raw)
    assert info.value.kind is IdentifierKind.VIN
    assert info.value.found == raw
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"invalid VIN {raw!r}: expected 17 characters from")


def test_check_digit_rejects_what_is_not_a_vin() -> None:
    with pytest.raises(InvalidIdentifier):
        vin_check_digit("ABC")
    with pytest.raises(InvalidIdentifier):
        vin_check_digit("1M8GDM9AXKPO42788")


def test_invalid_identifier_is_a_value_error_and_survives_pickling() -> None:
    with pytest.raises(ValueError, match="invalid VIN 'ABC'") as info:
        normalise_vin("ABC")
    assert isinstance(info.value, InvalidIdentifier)  # what carries kind, found and expected
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.kind, copy.found, copy.expected, str(copy)) == (
        info.value.kind,
        info.value.found,
        info.value.expected,
        str(info.value),
    )
