"""RFC (Registro Federal de Contribuyentes): Mexico's tax identifier.

12 characters for a company (3 letters), 13 for a person (4 letters): name letters, a date
YYMMDD, a 2-character homoclave and a check digit. About 1.5% of RFCs the SAT actually
issued fail the check digit, so a failed check is returned as a warning, never raised.
"""

from __future__ import annotations

import functools

from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.mx import rfc as _stdnum_rfc

from enlace.model.identifiers.errors import IdentifierKind, InvalidIdentifier

_SEPARATORS = str.maketrans("", "", " -_\t\u00a0")

# The SAT's generic RFCs (público en general, extranjeros) stand for anyone; as match keys
# they would link every record that uses them.
_GENERIC = frozenset({"XAXX010101000", "XEXX010101000"})

_EXPECTED = (
    "12 characters (company: 3 letters, date YYMMDD, 3-character homoclave) or "
    "13 (person: 4 letters, date YYMMDD, 3-character homoclave)"
)


@functools.lru_cache(maxsize=65536)
def normalise_rfc(raw: str) -> tuple[str, tuple[str, ...]]:
    """Return (RFC upper-cased without separators, warnings), or raise InvalidIdentifier.

    Structural errors raise; a homoclave or check digit that fails the SAT's algorithm is
    reported in the warnings and the RFC is still returned.
    """
    rfc = raw.translate(_SEPARATORS).upper()
    if len(rfc) not in (12, 13):
        # stdnum also accepts 10-character personal RFCs without homoclave; those do not
        # identify one person, so they are no match key.
        raise InvalidIdentifier(
            IdentifierKind.RFC, raw, f"{_EXPECTED}; found {len(rfc)} characters"
        )
    if rfc in _GENERIC:
        raise InvalidIdentifier(
            IdentifierKind.RFC, raw, "the RFC of one taxpayer, not a generic RFC"
        )
    try:
        # The full check first: it is the common case and one stdnum call.
        _stdnum_rfc.validate(rfc, validate_check_digits=True)
    except ValidationError as exc:
        return rfc, _warnings_or_raise(raw, rfc, exc)
    return rfc, ()


def _warnings_or_raise(raw: str, rfc: str, exc: ValidationError) -> tuple[str, ...]:
    """Raise if the RFC is structurally invalid, else say why its check failed."""
    if not _stdnum_rfc.is_valid(rfc):
        raise InvalidIdentifier(IdentifierKind.RFC, raw, _EXPECTED + _why(rfc))
    if isinstance(exc, InvalidChecksum):
        expected = _stdnum_rfc.calc_check_digit(rfc[:-1])
        return (
            f"RFC {rfc}: check digit {rfc[-1]!r} should be {expected!r} "
            "(kept: about 1.5% of issued RFCs fail it)",
        )
    return (
        f"RFC {rfc}: homoclave {rfc[-3:]!r} is outside the SAT's alphabet "
        "(kept: issued RFCs do not always follow it)",
    )


def _why(rfc: str) -> str:
    """Say which part of an RFC stdnum rejected (cold path only)."""
    letters = 4 if len(rfc) == 13 else 3
    head, date, tail = rfc[:letters], rfc[letters : letters + 6], rfc[letters + 6 :]
    if not all((c.isascii() and c.isalpha()) or c in "&Ñ" for c in head):
        return f"; {head!r} should be {letters} letters"
    if not (date.isascii() and date.isdigit()):
        return f"; {date!r} should be a date YYMMDD"
    if not (tail.isascii() and tail.isalnum()):
        return f"; homoclave {tail!r} should be 3 letters or digits"
    if letters == 4 and _stdnum_rfc.is_valid("XXXX" + rfc[4:]):
        return f"; {head!r} is a word the SAT never issues"
    return f"; {date!r} is not a date"
