"""RFC: 12 (company) or 13 (person) characters; a failed check digit only warns."""

import pytest

from enlace.model.identifiers import IdentifierKind, InvalidIdentifier, normalise, normalise_rfc


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # python-stdnum's documented examples.
        ("GODE 561231 GR8", "GODE561231GR8"),  # person
        ("MAB-930714-8T4", "MAB9307148T4"),  # company
    ],
)
def test_stdnum_examples_are_valid_without_warnings(raw: str, expected: str) -> None:
    assert normalise_rfc(raw) == (expected, ())
    assert normalise(IdentifierKind.RFC, raw) == expected


def test_bad_check_digit_is_a_warning_not_an_error() -> None:
    # python-stdnum's documented example of an RFC that fails only its check digit.
    rfc, warnings = normalise_rfc("VACE-460910-SX6")
    assert rfc == "VACE460910SX6"
    assert len(warnings) == 1
    assert "check digit '6' should be '5'" in warnings[0]
    assert normalise(IdentifierKind.RFC, "VACE-460910-SX6") == "VACE460910SX6"


def test_homoclave_outside_the_sat_alphabet_is_a_warning() -> None:
    rfc, warnings = normalise_rfc("GODE561231WZ8")
    assert rfc == "GODE561231WZ8"
    assert "homoclave 'WZ8'" in warnings[0]


def test_lower_case_is_upper_cased() -> None:
    assert normalise_rfc("gode561231gr8") == ("GODE561231GR8", ())


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        # stdnum accepts this 10-character documented example; without its homoclave it
        # does not identify one person, so it is no match key.
        ("COMG-600703", "found 10 characters"),
        ("GODE561331GR8", "'561331' is not a date"),
        ("G0DE561231GR8", "'G0DE' should be 4 letters"),
        ("MAB9313148T4", "'931314' is not a date"),
        ("GODE561231GR*", "homoclave 'GR*' should be 3 letters or digits"),
        ("PUTO561231GR8", "a word the SAT never issues"),
        ("XAXX010101000", "not a generic RFC"),
    ],
)
def test_structurally_invalid_rfcs_raise(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        normalise_rfc(raw)
    assert info.value.kind is IdentifierKind.RFC
    assert fragment in str(info.value)
    assert f"invalid RFC {raw!r}" in str(info.value)
