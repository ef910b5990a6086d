"""Phones: E.164 for +52 and +1 only, Mexico's pre-2019 forms included."""

import pytest

from enlace.model.identifiers import (
    IdentifierKind,
    InvalidIdentifier,
    normalise,
    normalise_phone,
)


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("55 1234 5678", "MX"),
        ("5512345678", "MX"),
        ("(55) 1234-5678", "MX"),
        ("044 55 1234 5678", "MX"),  # mobile, dialled from a fixed line
        ("045 55 1234 5678", "MX"),  # mobile, long distance
        ("01 55 1234 5678", "MX"),  # fixed line, long distance
        ("1 55 1234 5678", "MX"),
        ("+52 1 55 1234 5678", None),  # the extra mobile 1
        ("+52 55 1234 5678", None),
        ("+52 01 55 1234 5678", None),
        ("+525512345678", None),
        ("+525512345678", "US"),
        ("011 52 55 1234 5678", "US"),  # dialled from the US
        ("00 52 55 1234 5678", "mx"),
    ],
)
def test_mexican_legacy_and_modern_forms_are_one_number(raw: str, region: str | None) -> None:
    assert normalise_phone(raw, region) == "+525512345678"


def test_mexican_border_city_legacy_mobile() -> None:
    assert normalise_phone("045 664 123 4567", "MX") == "+526641234567"
    assert normalise_phone("+52 1 664 123 4567") == "+526641234567"


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("(202) 555-0143", "US"),
        ("202.555.0143", "US"),
        ("202-555-0143", "US"),
        ("1-202-555-0143", "US"),
        ("+1 202 555 0143", None),
        ("+1 (202) 555-0143", "MX"),
        ("00 1 202 555 0143", "MX"),
    ],
)
def test_us_formats_are_one_number(raw: str, region: str | None) -> None:
    assert normalise_phone(raw, region) == "+12025550143"


def test_extension_is_dropped() -> None:
    assert normalise_phone("202-555-0143 ext. 12", "US") == "+12025550143"


def test_other_country_codes_are_rejected_naming_the_code() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        normalise_phone("+44 20 7946 0958")
    assert info.value.kind is IdentifierKind.PHONE
    message = str(info.value)
    assert "found +44 (GB)" in message
    assert "+1" in message
    assert "+52" in message


def test_no_plus_and_no_region_asks_for_a_country() -> None:
    with pytest.raises(InvalidIdentifier, match="say which country"):
        normalise_phone("55 1234 5678")


def test_number_not_valid_in_its_region_is_rejected() -> None:
    with pytest.raises(InvalidIdentifier, match=r"read as \+522025550143"):
        normalise_phone("202 555 0143", "MX")


@pytest.mark.parametrize("raw", ["", "hello", "+52 12", "1" * 30, "+999 1234"])
def test_garbage_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalise_phone(raw, "MX")


def test_region_outside_the_two_plans_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="default_region") as info:
        normalise_phone("20 7946 0958", "GB")
    assert not isinstance(info.value, InvalidIdentifier)


def test_dispatch_passes_the_region() -> None:
    assert normalise(IdentifierKind.PHONE, "044 55 1234 5678", default_region="MX") == (
        "+525512345678"
    )
