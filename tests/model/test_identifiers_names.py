"""Organisation names and the accent helper."""

import pytest

from enlace.model.identifiers import (
    IdentifierKind,
    InvalidIdentifier,
    normalise,
    normalise_org_name,
    strip_accents,
)


@pytest.mark.parametrize(
    "raw",
    [
        "Comercializadora Álamo, S.A. de C.V.",
        "COMERCIALIZADORA ALAMO SA DE CV",
        "comercializadora alamo s. a. de c. v.",
        "Comercializadora Alamo",
        "Comercializadora  Álamo S.A.",
    ],
)
def test_spanish_legal_forms_and_accents_are_removed(raw: str) -> None:
    assert normalise_org_name(raw) == "COMERCIALIZADORA ALAMO"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Grupo Ñandú, S. de R.L. de C.V.", "GRUPO NANDU"),
        ("Transportes del Norte S.A.P.I. de C.V.", "TRANSPORTES DEL NORTE"),
        ("Química Fina S.A.B. de C.V.", "QUIMICA FINA"),
        ("Acme Inc.", "ACME"),
        ("Acme, LLC", "ACME"),
        ("Acme Corp.", "ACME"),
        ("Acme Ltd", "ACME"),
        ("Sturm, Ruger & Co.", "STURM RUGER"),
        ("Hermanos Pérez y Cía.", "HERMANOS PEREZ"),
        ("Transportes A y B", "TRANSPORTES AB"),
        ("Transportes A & B", "TRANSPORTES AB"),
        ("J.P. Morgan Chase & Co.", "JP MORGAN CHASE"),
        ("Straße GmbH", "STRASSE"),
    ],
)
def test_org_names(raw: str, expected: str) -> None:
    assert normalise_org_name(raw) == expected
    assert normalise(IdentifierKind.ORG_NAME, raw) == expected


def test_a_name_that_is_only_a_legal_form_is_kept() -> None:
    assert normalise_org_name("S.A.") == "SA"


@pytest.mark.parametrize("raw", ["", " , . ", "北京"])
def test_names_without_latin_letters_or_digits_raise(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="Latin letters or digits"):
        normalise_org_name(raw)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Álamo", "Alamo"),
        ("Peña Nieto", "Pena Nieto"),
        ("Ñuñoa", "Nunoa"),
        ("Zürich", "Zurich"),
        ("Øresund", "Oresund"),
        ("plain", "plain"),
    ],
)
def test_strip_accents(text: str, expected: str) -> None:
    assert strip_accents(text) == expected
