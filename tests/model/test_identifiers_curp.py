"""CURP: 18 characters; stdnum checks most of it, we add the inner-consonant rule."""

import pytest

from enlace.model.identifiers import (
    IdentifierKind,
    InvalidIdentifier,
    normalise,
    normalise_curp,
)


def test_domain_example_is_valid() -> None:
    # DOMAIN.md's example, also python-stdnum's documented one.
    assert normalise_curp("BOXW310820HNERXN09") == "BOXW310820HNERXN09"
    assert normalise(IdentifierKind.CURP, "BOXW310820HNERXN09") == "BOXW310820HNERXN09"


def test_case_and_spaces_are_normalised() -> None:
    assert normalise_curp(" boxw 310820 hnerxn09 ") == "BOXW310820HNERXN09"
    assert normalise_curp("BOXW-310820-HNERXN-09") == "BOXW310820HNERXN09"


def test_born_abroad_state_ne_and_2000s_letter_disambiguator_are_valid() -> None:
    # NE = nacido en el extranjero; a letter at position 17 means born from 2000.
    from stdnum.mx.curp import calc_check_digit

    body = "GOMA050101MNELRRA"
    assert normalise_curp(body + calc_check_digit(body)) == body + calc_check_digit(body)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        # python-stdnum's documented invalid example: wrong check digit.
        ("BOXW310820HNERXN08", "check digit '8' should be '9'"),
        ("BOXW310820HNERXN0", "found 17 characters"),
        ("BOXW311320HNERXN09", "'311320' is not a date"),
        ("BOXW310820XNERXN09", "sex 'X' is not H or M"),
        ("BOXW310820HZZRXN09", "'ZZ' is not a state code"),
        ("B0XW310820HNERXN09", "characters out of place"),
        ("BOXW310820HNEAXN09", "positions 14-16 hold 'AXN', not consonants"),
    ],
)
def test_invalid_curps_raise_saying_what_was_found(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        normalise_curp(raw)
    assert info.value.kind is IdentifierKind.CURP
    assert info.value.found == raw
    assert fragment in str(info.value)
    assert f"invalid CURP {raw!r}: expected 18 characters" in str(info.value)


def test_words_renapo_never_issues_are_rejected() -> None:
    from stdnum.mx.curp import calc_check_digit

    body = "PUTO310820HNERXN0"
    with pytest.raises(InvalidIdentifier, match="RENAPO never issues"):
        normalise_curp(body + calc_check_digit(body))
