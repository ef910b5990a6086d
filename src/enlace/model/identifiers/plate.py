"""Vehicle plates (placas): the key is country + ISO 3166-2 state + number (+ type).

Neither country has one national plate format (Mexico's NOM-001-SCT-2-2016 gives each
state its own letter series; US states each have their own), so the number is only
cleaned, not checked against a pattern. The state is what makes the key unique.
"""

from __future__ import annotations

import re

from enlace.model.identifiers.errors import IdentifierKind, InvalidIdentifier

# ISO 3166-2:MX, the 32 federal entities (CMX replaced DIF in 2016).
MX_STATES: frozenset[str] = frozenset(
    (
        "MX-AGU", "MX-BCN", "MX-BCS", "MX-CAM", "MX-CHP", "MX-CHH", "MX-CMX", "MX-COA",
        "MX-COL", "MX-DUR", "MX-GUA", "MX-GRO", "MX-HID", "MX-JAL", "MX-MEX", "MX-MIC",
        "MX-MOR", "MX-NAY", "MX-NLE", "MX-OAX", "MX-PUE", "MX-QUE", "MX-ROO", "MX-SLP",
        "MX-SIN", "MX-SON", "MX-TAB", "MX-TAM", "MX-TLA", "MX-VER", "MX-YUC", "MX-ZAC",
    )
)  # fmt: skip

# ISO 3166-2:US: the 50 states, DC, and the six outlying areas that issue their own
# plates under US-xx codes (Puerto Rico's plates do reach the border).
US_STATES: frozenset[str] = frozenset(
    (
        "US-AL", "US-AK", "US-AZ", "US-AR", "US-CA", "US-CO", "US-CT", "US-DE", "US-FL",
        "US-GA", "US-HI", "US-ID", "US-IL", "US-IN", "US-IA", "US-KS", "US-KY", "US-LA",
        "US-ME", "US-MD", "US-MA", "US-MI", "US-MN", "US-MS", "US-MO", "US-MT", "US-NE",
        "US-NV", "US-NH", "US-NJ", "US-NM", "US-NY", "US-NC", "US-ND", "US-OH", "US-OK",
        "US-OR", "US-PA", "US-RI", "US-SC", "US-SD", "US-TN", "US-TX", "US-UT", "US-VT",
        "US-VA", "US-WA", "US-WV", "US-WI", "US-WY",
        "US-DC",
        "US-AS", "US-GU", "US-MP", "US-PR", "US-UM", "US-VI",
    )
)  # fmt: skip

SUBDIVISIONS: dict[str, frozenset[str]] = {"MX": MX_STATES, "US": US_STATES}

# Every accepted spelling of a state, per country, mapped to its ISO code: "BCN" and
# "MX-BCN" (upper-cased before lookup), plus Mexico City's pre-2016 code.
_STATE_LOOKUP: dict[str, dict[str, str]] = {
    country: {code: code for code in codes} | {code[3:]: code for code in codes}
    for country, codes in SUBDIVISIONS.items()
}
_STATE_LOOKUP["MX"] |= {"DIF": "MX-CMX", "MX-DIF": "MX-CMX"}

# Separators people type inside plate numbers and types.
_SEPARATORS = str.maketrans("", "", " -.\t\u00a0")

# Letters and digits only; O and 0 (and I and 1) are distinct: the issuing state decides.
_NUMBER_RE = re.compile(r"[A-Z0-9]{1,10}")
_TYPE_RE = re.compile(r"[A-Z0-9]{1,10}")


def normalise_plate(country: str, state: str, number: str, plate_type: str | None = None) -> str:
    """Return the plate key "MX|MX-BCN|ABC123A" (or "...|TYPE"), or raise InvalidIdentifier.

    country is ISO 3166-1 alpha-2; state is its ISO 3166-2 code with or without the
    country prefix ("BCN", "MX-BCN", "bcn"); the number is upper-cased with spaces,
    hyphens and dots removed. An empty plate_type counts as none.
    """
    country_code = country.strip().upper()
    states = _STATE_LOOKUP.get(country_code)
    if states is None:
        raise _invalid(
            (country, state, number, plate_type),
            f"a country with a state list ({', '.join(sorted(_STATE_LOOKUP))}); "
            f"found country {country!r}",
        )
    state_code = states.get(state.strip().upper())
    if state_code is None:
        raise _invalid(
            (country, state, number, plate_type),
            f"an ISO 3166-2 state code of {country_code} such as "
            f"{'BCN or MX-BCN' if country_code == 'MX' else 'TX or US-TX'}; "
            f"found state {state!r}{_belongs_elsewhere(country_code, state)}",
        )
    plate = number.translate(_SEPARATORS).upper()
    if _NUMBER_RE.fullmatch(plate) is None:
        raise _invalid(
            (country, state, number, plate_type),
            f"a plate number of 1 to 10 letters and digits; found {number!r}",
        )
    if plate_type is None or not plate_type.strip():
        return f"{country_code}|{state_code}|{plate}"
    kind = plate_type.translate(_SEPARATORS).upper()
    if _TYPE_RE.fullmatch(kind) is None:
        raise _invalid(
            (country, state, number, plate_type),
            f"a plate type of 1 to 10 letters and digits; found {plate_type!r}",
        )
    return f"{country_code}|{state_code}|{plate}|{kind}"


def _belongs_elsewhere(country: str, state: str) -> str:
    """Name the country a mismatched state belongs to (cold path only)."""
    others = [
        c for c, lookup in _STATE_LOOKUP.items() if c != country and state.strip().upper() in lookup
    ]
    return f", which is a state of {' or '.join(others)}" if others else ""


def _invalid(parts: tuple[str, str, str, str | None], expected: str) -> InvalidIdentifier:
    """Build the error, showing the input in key form (cold path only)."""
    country, state, number, plate_type = parts
    found = "|".join((country, state, number) + ((plate_type,) if plate_type else ()))
    return InvalidIdentifier(IdentifierKind.PLATE, found, expected)
