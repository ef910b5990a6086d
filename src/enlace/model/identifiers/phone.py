"""Phone numbers as E.164, for the two numbering plans of the parties: +1 (NANP) and +52.

phonenumbers does the parsing and validation. Its metadata follows Mexico's plan since
August 2019, which dropped the 01/044/045 prefixes and the extra mobile "1"; records
still carry them, so an invalid +52 number is retried once without them.
"""

from __future__ import annotations

import functools

import phonenumbers

from enlace.model.identifiers.errors import IdentifierKind, InvalidIdentifier

_ACCEPTED_CODES = frozenset({1, 52})

# Regions whose numbers are +1 or +52; any of them may serve as default_region.
_ACCEPTED_REGIONS = frozenset(
    r for code in _ACCEPTED_CODES for r in phonenumbers.region_codes_for_country_code(code)
)

# Mexican national significant numbers written with a pre-2019 prefix, by total length:
# 044/045 + 10 digits (mobile from a fixed line / long distance), 01 + 10 digits (long
# distance), 1 + 10 digits (the mobile "1" after +52).
_MX_LEGACY_PREFIXES: tuple[tuple[str, int], ...] = (("044", 13), ("045", 13), ("01", 12), ("1", 11))

_EXPECTED = "a valid +52 (Mexico) or +1 (NANP) number"


@functools.lru_cache(maxsize=65536)
def normalise_phone(raw: str, default_region: str | None = None) -> str:
    """Return the number as E.164 ("+525512345678"), or raise InvalidIdentifier.

    Numbers without a leading "+" are read in default_region ("MX" or "US", or another
    +1 region such as "CA"); with no default_region they are rejected. Only +1 and +52
    numbers are accepted. Extensions are dropped: E.164 has none. A default_region that
    is not a +1/+52 region is a caller error and raises ValueError.
    """
    region = _check_region(default_region)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier(
            IdentifierKind.PHONE, raw, _parse_problem(exc, raw, region)
        ) from None
    code = number.country_code
    if code not in _ACCEPTED_CODES:
        where = phonenumbers.region_code_for_country_code(code) if code else "none"
        raise InvalidIdentifier(
            IdentifierKind.PHONE,
            raw,
            f"country code +1 (NANP) or +52 (Mexico); found +{code} ({where})",
        )
    if phonenumbers.is_valid_number(number):
        return _e164(number)
    legacy = _without_mx_legacy_prefix(number) if code == 52 else None
    if legacy is None:
        raise InvalidIdentifier(
            IdentifierKind.PHONE,
            raw,
            f"{_EXPECTED}; read as {_e164(number)}, which is not an assigned number",
        )
    return _e164(legacy)


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _check_region(default_region: str | None) -> str | None:
    if default_region is None:
        return None
    region = default_region.upper()
    if region not in _ACCEPTED_REGIONS:
        raise ValueError(
            f"default_region must be an ISO 3166-1 alpha-2 code of a +1 or +52 region "
            f"such as 'MX' or 'US', not {default_region!r}"
        )
    return region


def _without_mx_legacy_prefix(
    number: phonenumbers.PhoneNumber,
) -> phonenumbers.PhoneNumber | None:
    """Return the +52 number without a pre-2019 prefix if that makes it valid, else None."""
    national = phonenumbers.national_significant_number(number)
    for prefix, length in _MX_LEGACY_PREFIXES:
        if len(national) == length and national.startswith(prefix):
            candidate = phonenumbers.PhoneNumber(
                country_code=52, national_number=int(national[len(prefix) :])
            )
            if phonenumbers.is_valid_number(candidate):
                return candidate
    return None


_PARSE_PROBLEMS = {
    phonenumbers.NumberParseException.NOT_A_NUMBER: "something that is not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too few digits",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too few digits",
    phonenumbers.NumberParseException.TOO_LONG: "too many digits",
}


def _parse_problem(exc: phonenumbers.NumberParseException, raw: str, region: str | None) -> str:
    if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        if region is None and not raw.lstrip().startswith(("+", "\uff0b")):
            return (
                f"{_EXPECTED}: without a leading + and country code, say which country "
                "the number is from (default_region 'MX' or 'US')"
            )
        return f"{_EXPECTED}; found no known country code"
    return f"{_EXPECTED}; found {_PARSE_PROBLEMS.get(exc.error_type, 'no phone number')}"
