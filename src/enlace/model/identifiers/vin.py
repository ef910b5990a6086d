"""VIN (NIV in Mexico): 17 characters with a check digit at position 9.

The rule is the North American one (49 CFR 565, ISO 3779 with the check digit made
mandatory), which Mexico's NIV follows too.
"""

from __future__ import annotations

import re

from enlace.model.identifiers.errors import IdentifierKind, InvalidIdentifier

_VIN_RE = re.compile(r"[A-HJ-NPR-Z0-9]{17}")

# Separators people type inside a VIN; removed before validation.
_SEPARATORS = str.maketrans("", "", " -\t\u00a0")

# The standard's transliteration of letters to values; I, O and Q never occur.
_VALUES: dict[str, int] = {str(d): d for d in range(10)} | {
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}  # fmt: skip

_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

_EXPECTED = "17 characters from A-H, J-N, P, R-Z, 0-9 with a valid check digit at position 9"


def vin_check_digit(vin17: str) -> str:
    """Return the check digit ('0'-'9' or 'X') for a 17-character upper-case VIN.

    Position 9 itself has weight 0, so whatever it holds does not affect the result.
    Raises InvalidIdentifier on a wrong length or a character a VIN cannot contain.
    """
    try:
        total = sum(_VALUES[c] * w for c, w in zip(vin17, _WEIGHTS, strict=True))
    except (KeyError, ValueError):
        # ValueError: zip(strict=True) found a length other than 17.
        raise InvalidIdentifier(
            IdentifierKind.VIN, vin17, _EXPECTED + _why_malformed(vin17)
        ) from None
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def normalise_vin(raw: str) -> str:
    """Return the VIN upper-cased without spaces or hyphens, or raise InvalidIdentifier.

    Checks the length, the alphabet (no I, O, Q) and the check digit at position 9.
    """
    vin = raw.translate(_SEPARATORS).upper()
    if _VIN_RE.fullmatch(vin) is None:
        raise InvalidIdentifier(IdentifierKind.VIN, raw, _EXPECTED + _why_malformed(vin))
    check = vin_check_digit(vin)
    if vin[8] != check:
        raise InvalidIdentifier(
            IdentifierKind.VIN,
            raw,
            f"{_EXPECTED}; position 9 holds {vin[8]!r} but the check digit is {check!r}",
        )
    return vin


def _why_malformed(vin: str) -> str:
    """Say what is wrong with a string that failed the pattern (cold path only)."""
    problems = []
    if len(vin) != 17:
        problems.append(f"found {len(vin)} characters")
    banned = sorted({c for c in vin if c in "IOQ"})
    if banned:
        problems.append(f"found {', '.join(banned)}, which VINs never use")
    other = sorted({c for c in vin if c not in _VALUES and c not in "IOQ"})
    if other:
        problems.append(f"found invalid characters {''.join(other)!r}")
    return "; " + "; ".join(problems) if problems else ""
