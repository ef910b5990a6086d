"""Firearms: make (aliases resolved) + cleaned serial."""

import pytest

from enlace.model.identifiers import (
    IdentifierKind,
    InvalidIdentifier,
    normalise,
    normalise_firearm,
)
from enlace.model.identifiers.firearm import ALIASES, normalise_make


@pytest.mark.parametrize(
    ("make", "canonical"),
    [
        ("Colt's Manufacturing Company", "COLT"),
        ("COLT", "COLT"),
        ("Colt’s Mfg. Co. LLC", "COLT"),
        ("Smith & Wesson", "SMITH & WESSON"),
        ("S&W", "SMITH & WESSON"),
        ("SMITH AND WESSON", "SMITH & WESSON"),
        ("Smith-Wesson", "SMITH & WESSON"),
        ("Smith & Wesson Brands, Inc.", "SMITH & WESSON"),
        ("Sturm, Ruger & Co.", "RUGER"),
        ("Sturm, Ruger & Co., Inc.", "RUGER"),
        ("RUGER", "RUGER"),
        ("Glock GmbH", "GLOCK"),
        ("Glock Ges.m.b.H.", "GLOCK"),
        ("Barrett Firearms Manufacturing", "BARRETT"),
        ("FN Herstal", "FN HERSTAL"),
        ("FN", "FN HERSTAL"),
        ("F.N.", "FN HERSTAL"),
        ("FN America, LLC", "FN HERSTAL"),
        ("Century Arms", "CENTURY ARMS"),
        ("CENTURY INTERNATIONAL ARMS", "CENTURY ARMS"),
        ("Romarm/Cugir", "ROMARM"),
        ("Cugir", "ROMARM"),
        ("Zastava Oružje", "ZASTAVA"),
        ("Norinco", "NORINCO"),
        ("China North Industries Corp.", "NORINCO"),
        ("Daniel Defense, LLC", "DANIEL DEFENSE"),
        ("Bushmaster Firearms International", "BUSHMASTER"),
        ("Springfield Armory, Inc.", "SPRINGFIELD ARMORY"),
        ("Forjas Taurus S.A.", "TAURUS"),
        ("Fabbrica d'Armi Pietro Beretta S.p.A.", "BERETTA"),
        ("Beretta U.S.A. Corp.", "BERETTA"),
        ("Sig Sauer, Inc.", "SIG SAUER"),
        ("SIG", "SIG SAUER"),
        ("Industrias Militares S.A. de C.V.", "INDUSTRIAS MILITARES"),
        ("Heckler & Koch GmbH", "HECKLER AND KOCH"),
        ("Kel-Tec CNC Industries", "KEL TEC CNC INDUSTRIES"),
    ],
)
def test_make_spellings_map_to_one_canonical_make(make: str, canonical: str) -> None:
    assert normalise_make(make) == canonical


@pytest.mark.parametrize("canonical", sorted(set(ALIASES.values())))
def test_canonical_makes_are_fixed_points(canonical: str) -> None:
    assert normalise_make(canonical) == canonical


def test_arms_is_kept() -> None:
    assert normalise_make("Acme Arms") == "ACME ARMS"


def test_serial_is_cleaned_but_letters_and_digits_kept() -> None:
    assert normalise_firearm("Colt", "ab-123 45/6.") == "COLT|AB123456"
    assert normalise_firearm("Colt", "AB0123") != normalise_firearm("Colt", "ABO123")


def test_same_serial_different_make_is_a_different_key() -> None:
    assert normalise_firearm("Colt", "123456") != normalise_firearm("Ruger", "123456")


@pytest.mark.parametrize(
    ("make", "serial", "fragment"),
    [
        ("", "123", "found make ''"),
        ("...", "123", "found make '...'"),
        ("Colt", "", "found serial ''"),
        ("Colt", " - ", "found serial ' - '"),
        ("Colt", "12|34", "found serial '12|34'"),
        ("Colt", "12?45", "found serial '12?45'"),
    ],
)
def test_empty_or_unusable_parts_raise(make: str, serial: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        normalise_firearm(make, serial)
    assert info.value.kind is IdentifierKind.FIREARM
    assert fragment in str(info.value)


def test_dispatch_takes_and_gives_composite_keys() -> None:
    assert normalise(IdentifierKind.FIREARM, "S&W|dm 1234") == "SMITH & WESSON|DM1234"
    assert normalise(IdentifierKind.FIREARM, "SMITH & WESSON|DM1234") == "SMITH & WESSON|DM1234"
    with pytest.raises(InvalidIdentifier, match="MAKE"):
        normalise(IdentifierKind.FIREARM, "DM1234")
