"""CURP (Clave Única de Registro de Población): Mexico's 18-character personal key.

python-stdnum checks the format, the date, the sex, the state and the check digit; this
module adds the rule that positions 14-16 are consonants and turns failures into messages.
"""

from __future__ import annotations

import datetime
import functools
import re

from stdnum.exceptions import ValidationError
from stdnum.mx import curp as _stdnum_curp

from enlace.model.identifiers.errors import IdentifierKind, InvalidIdentifier

_SEPARATORS = str.maketrans("", "", " -\t\u00a0")

# Positions 14-16 are the first inner consonant of each name part, or X when there is
# none (Ñ is written X), so a vowel there is a typo stdnum would let through.
_INNER_CONSONANTS_RE = re.compile(r"[B-DF-HJ-NP-TV-Z]{3}")

_EXPECTED = (
    "18 characters: 4 letters, birth date YYMMDD, sex H/M, a 2-letter state code "
    "(NE if born abroad), 3 consonants, a disambiguator and a check digit"
)


# RENAPO's state codes (CURP characters 12-13) -> ISO 3166-2: where the holder was born.
# "NE" (nacido en el extranjero, born abroad) names no state and is not here.
CURP_STATE_CODES: dict[str, str] = {
    "AS": "MX-AGU", "BC": "MX-BCN", "BS": "MX-BCS", "CC": "MX-CAM", "CL": "MX-COA",
    "CM": "MX-COL", "CS": "MX-CHP", "CH": "MX-CHH", "DF": "MX-CMX", "DG": "MX-DUR",
    "GT": "MX-GUA", "GR": "MX-GRO", "HG": "MX-HID", "JC": "MX-JAL", "MC": "MX-MEX",
    "MN": "MX-MIC", "MS": "MX-MOR", "NT": "MX-NAY", "NL": "MX-NLE", "OC": "MX-OAX",
    "PL": "MX-PUE", "QT": "MX-QUE", "QR": "MX-ROO", "SP": "MX-SLP", "SL": "MX-SIN",
    "SR": "MX-SON", "TC": "MX-TAB", "TS": "MX-TAM", "TL": "MX-TLA", "VZ": "MX-VER",
    "YN": "MX-YUC", "ZS": "MX-ZAC",
}  # fmt: skip


def curp_birth_state(curp: str) -> str | None:
    """The ISO 3166-2 state a (normalised) CURP says its holder was born in; None if abroad."""
    return CURP_STATE_CODES.get(curp[11:13])


@functools.lru_cache(maxsize=65536)
def normalise_curp(raw: str) -> str:
    """Return the CURP upper-cased without spaces, or raise InvalidIdentifier."""
    curp = raw.translate(_SEPARATORS).upper()
    try:
        _stdnum_curp.validate(curp)
    except ValidationError:
        raise InvalidIdentifier(IdentifierKind.CURP, raw, _EXPECTED + _why(curp)) from None
    if _INNER_CONSONANTS_RE.fullmatch(curp, 13, 16) is None:
        raise InvalidIdentifier(
            IdentifierKind.CURP,
            raw,
            f"{_EXPECTED}; positions 14-16 hold {curp[13:16]!r}, not consonants",
        )
    return curp


def _why(curp: str) -> str:
    """Say which part of a CURP stdnum rejected (cold path only)."""
    if len(curp) != 18:
        return f"; found {len(curp)} characters"
    if not re.fullmatch(r"[A-Z]{4}[0-9]{6}[A-Z]{6}[0-9A-Z][0-9]", curp):
        return "; found characters out of place"
    century = 1900 if curp[16].isdigit() else 2000
    try:
        datetime.date(century + int(curp[4:6]), int(curp[6:8]), int(curp[8:10]))
    except ValueError:
        return f"; {curp[4:10]!r} is not a date"
    if curp[10] not in "HM":
        return f"; sex {curp[10]!r} is not H or M"
    if not _stdnum_curp.is_valid(curp[:11] + "NE" + curp[13:], validate_check_digits=False):
        return f"; {curp[:4]!r} is a word RENAPO never issues"
    if not _stdnum_curp.is_valid(curp, validate_check_digits=False):
        return f"; {curp[11:13]!r} is not a state code"
    return f"; check digit {curp[17]!r} should be {_stdnum_curp.calc_check_digit(curp)!r}"
