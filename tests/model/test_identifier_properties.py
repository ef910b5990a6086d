"""Properties every kind's normalisation must have: idempotent, blind to formatting,
and never merging two different identifiers into one key."""

import datetime
import string
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.mx import curp as stdnum_curp
from stdnum.mx import rfc as stdnum_rfc

from enlace.model.identifiers import (
    IdentifierKind,
    InvalidIdentifier,
    normalise,
    normalise_firearm,
    normalise_org_name,
    normalise_phone,
    normalise_plate,
    vin_check_digit,
)
from enlace.model.identifiers.firearm import ALIASES
from enlace.model.identifiers.plate import MX_STATES, US_STATES

FAST = settings(max_examples=150, deadline=None)

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
CONSONANTS = "BCDFGHJKLMNPQRSTVWXYZ"
# RENAPO's state codes (python-stdnum's list); NE = born abroad.
CURP_STATES = (
    "AS", "BC", "BS", "CC", "CH", "CL", "CM", "CS", "DF", "DG", "GR", "GT", "HG", "JC",
    "MC", "MN", "MS", "NE", "NL", "NT", "OC", "PL", "QR", "QT", "SL", "SP", "SR", "TC",
    "TL", "TS", "VZ", "YN", "ZS",
)  # fmt: skip
UPPER = string.ascii_uppercase


@st.composite
def vins(draw: st.DrawFn) -> str:
    body = draw(st.text(VIN_ALPHABET, min_size=16, max_size=16))
    vin = body[:8] + "0" + body[8:]
    return vin[:8] + vin_check_digit(vin) + vin[9:]


@st.composite
def curps(draw: st.DrawFn) -> str:
    name = draw(st.text(UPPER, min_size=4, max_size=4))
    born = draw(st.dates(min_value=datetime.date(1900, 1, 1)))
    if born.year >= 2100:
        born = born.replace(year=2000 + born.year % 100)
    disambiguator = draw(st.sampled_from(string.digits if born.year < 2000 else UPPER))
    body = (
        name
        + born.strftime("%y%m%d")
        + draw(st.sampled_from("HM"))
        + draw(st.sampled_from(CURP_STATES))
        + draw(st.text(CONSONANTS, min_size=3, max_size=3))
        + disambiguator
    )
    curp = body + stdnum_curp.calc_check_digit(body)
    # A handful of 4-letter words are never issued; stdnum knows which.
    return draw(st.just(curp).filter(stdnum_curp.is_valid))


@st.composite
def rfcs(draw: st.DrawFn) -> str:
    letters = draw(st.sampled_from([3, 4]))
    head = draw(st.text(UPPER, min_size=letters, max_size=letters))
    date = draw(st.dates()).strftime("%y%m%d")
    homoclave = draw(st.text("123456789ABCDEFGHIJKLMNPQRSTUV", min_size=2, max_size=2))
    body = head + date + homoclave
    rfc = body + stdnum_rfc.calc_check_digit(body)
    return draw(st.just(rfc).filter(lambda r: stdnum_rfc.is_valid(r, True)))


MX_AREAS = ["55", "33", "81", "664", "656", "686", "899", "868", "867", "614", "662", "998"]
US_AREAS = ["202", "212", "213", "305", "312", "415", "512", "520", "602", "713", "915", "956"]


@st.composite
def phones(draw: st.DrawFn) -> str:
    """E.164 numbers in ranges phonenumbers knows are assigned."""
    if draw(st.booleans()):
        area = draw(st.sampled_from(MX_AREAS))
        return (
            "+52"
            + area
            + draw(st.text(string.digits, min_size=10 - len(area), max_size=10 - len(area)))
        )
    area = draw(st.sampled_from(US_AREAS))
    exchange = draw(st.sampled_from("23456789")) + draw(
        st.text(string.digits, min_size=2, max_size=2)
    )
    return "+1" + area + exchange + draw(st.text(string.digits, min_size=4, max_size=4))


@st.composite
def plates(draw: st.DrawFn) -> tuple[str, str, str, str | None]:
    state = draw(st.sampled_from(sorted(MX_STATES | US_STATES)))
    number = draw(st.text(UPPER + string.digits, min_size=1, max_size=8))
    kind = draw(st.none() | st.text(UPPER, min_size=1, max_size=3))
    return state[:2], state, number, kind


MAKES = sorted(set(ALIASES) | {"HECKLER AND KOCH", "KEL TEC", "ACME ARMS"})
serials = st.text(UPPER + string.digits, min_size=1, max_size=12)

# Words no legal-form suffix or connector uses, so each generated name is its own key.
name_words = st.text(UPPER, min_size=2, max_size=10).filter(
    lambda w: normalise_org_name(f"X {w}") == f"X {w}"
)
org_names = st.lists(name_words, min_size=1, max_size=4).map(" ".join)


def composite_plate(p: tuple[str, str, str, str | None]) -> str:
    return "|".join(p[:3] + ((p[3],) if p[3] else ()))


@st.composite
def messy(draw: st.DrawFn, text: str) -> str:
    """The same identifier as people type it: random case, spaces and hyphens inserted."""
    out = []
    for ch in text:
        out.append(ch.lower() if draw(st.booleans()) else ch)
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from([" ", "-"])))
    return "".join(out)


VALID: dict[IdentifierKind, st.SearchStrategy[str]] = {
    IdentifierKind.VIN: vins(),
    IdentifierKind.CURP: curps(),
    IdentifierKind.RFC: rfcs(),
    IdentifierKind.PHONE: phones(),
    IdentifierKind.PLATE: plates().map(composite_plate),
    IdentifierKind.FIREARM: st.tuples(st.sampled_from(MAKES), serials).map("|".join),
    IdentifierKind.ORG_NAME: org_names,
}


@FAST
@given(st.sampled_from(sorted(VALID)).flatmap(lambda k: st.tuples(st.just(k), VALID[k])))
def test_normalise_is_idempotent(case: tuple[IdentifierKind, str]) -> None:
    kind, raw = case
    once = normalise(kind, raw)
    assert normalise(kind, once) == once


@FAST
@given(st.sampled_from(sorted(IdentifierKind)), st.text(max_size=40))
def test_any_text_is_either_rejected_or_normalised_idempotently(
    kind: IdentifierKind, raw: str
) -> None:
    try:
        once = normalise(kind, raw, default_region="MX")
    except InvalidIdentifier as exc:
        rejected_as = exc.kind
    else:
        assert normalise(kind, once, default_region="MX") == once
        return
    assert rejected_as is kind


def same_key_for_messy_variants(
    kind: IdentifierKind, strategy: st.SearchStrategy[str]
) -> Callable[[], None]:
    @FAST
    @given(strategy.flatmap(lambda x: st.tuples(st.just(x), messy(x))))
    def check(pair: tuple[str, str]) -> None:
        clean, variant = pair
        assert normalise(kind, variant) == normalise(kind, clean)

    return check


test_vin_formatting_variants_give_one_key = same_key_for_messy_variants(IdentifierKind.VIN, vins())
test_curp_formatting_variants_give_one_key = same_key_for_messy_variants(
    IdentifierKind.CURP, curps()
)
test_rfc_formatting_variants_give_one_key = same_key_for_messy_variants(IdentifierKind.RFC, rfcs())


@FAST
@given(phones(), st.data())
def test_phone_formatting_variants_give_one_key(e164: str, data: st.DataObject) -> None:
    if e164.startswith("+52"):
        national = e164[3:]
        variants = [
            (national, "MX"),
            ("01" + national, "MX"),
            ("+52 1 " + national, None),
            ("011 52 " + national, "US"),
        ]
        if national.startswith(("55", "33", "81")):
            variants.append((f"044 {national[:2]} {national[2:6]} {national[6:]}", "MX"))
    else:
        n = e164[2:]
        variants = [
            (f"({n[:3]}) {n[3:6]}-{n[6:]}", "US"),
            (f"{n[:3]}.{n[3:6]}.{n[6:]}", "US"),
            (f"1-{n[:3]}-{n[3:6]}-{n[6:]}", "US"),
            (f"+1 {n[:3]} {n[3:6]} {n[6:]}", None),
            (f"00 1 {n}", "MX"),
        ]
    raw, region = data.draw(st.sampled_from(variants))
    assert normalise_phone(raw, region) == e164


@FAST
@given(plates(), st.data())
def test_plate_formatting_variants_give_one_key(
    plate: tuple[str, str, str, str | None], data: st.DataObject
) -> None:
    country, state, number, kind = plate
    short_state = data.draw(st.sampled_from([state, state[3:], state.lower(), state[3:].lower()]))
    variant_number = data.draw(messy(number)).replace(" ", data.draw(st.sampled_from([" ", "."])))
    assert normalise_plate(country.lower(), short_state, variant_number, kind and kind.lower()) == (
        normalise_plate(country, state, number, kind)
    )


@FAST
@given(st.sampled_from(MAKES), serials, st.data())
def test_firearm_formatting_variants_give_one_key(
    make: str, serial: str, data: st.DataObject
) -> None:
    variant_serial = data.draw(messy(serial)).replace(
        " ", data.draw(st.sampled_from([" ", ".", "/"]))
    )
    variant_make = data.draw(
        st.sampled_from([make.lower(), make.title(), f"{make}, Inc.", f"{make} LLC"])
    )
    assert normalise_firearm(variant_make, variant_serial) == normalise_firearm(make, serial)


@FAST
@given(
    org_names,
    st.sampled_from(["", ", S.A. de C.V.", " S. de R.L. de C.V.", " Inc.", ", LLC", " SAPI DE CV"]),
)
def test_org_name_formatting_variants_give_one_key(name: str, suffix: str) -> None:
    assert normalise_org_name(name.lower() + suffix) == normalise_org_name(name)
    assert normalise_org_name(name.title().replace(" ", "  ") + suffix) == name


DISTINCT: dict[IdentifierKind, st.SearchStrategy[str]] = {
    **VALID,
    # Different makes can be aliases of one another; distinct serials of one make must
    # stay distinct.
    IdentifierKind.FIREARM: serials.map(lambda s: "COLT|" + s),
}


@FAST
@given(
    st.sampled_from(sorted(DISTINCT)).flatmap(
        lambda k: st.tuples(st.just(k), st.lists(DISTINCT[k], min_size=2, max_size=2, unique=True))
    )
)
def test_different_identifiers_never_share_a_key(case: tuple[IdentifierKind, list[str]]) -> None:
    kind, (a, b) = case
    assert normalise(kind, a) != normalise(kind, b)
