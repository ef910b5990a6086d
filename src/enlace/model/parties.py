"""Parties: sovereign participants named by ISO 3166-1 alpha-2 codes."""

from __future__ import annotations

from functools import cache

import pycountry

from enlace.model.errors import RecordError


@cache
def _alpha2_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def party_code(raw: str, *, field: str = "party") -> str:
    """Return the ISO 3166-1 alpha-2 code for `raw` (any case), or raise RecordError."""
    code = raw.strip().upper()
    if code not in _alpha2_codes():
        raise RecordError(field, raw, "an ISO 3166-1 alpha-2 country code such as MX or US")
    return code


def party_codes(raw: object, *, field: str = "releasable_to") -> frozenset[str]:
    """Parse a list of party codes (an iterable or a string separated by spaces, commas or |)."""
    if raw is None or raw == "":
        return frozenset()
    if isinstance(raw, str):
        parts = [p for p in raw.replace(",", " ").replace("|", " ").replace(";", " ").split() if p]
    elif isinstance(raw, list | tuple | set | frozenset):
        parts = [str(p) for p in raw]
    else:
        raise RecordError(field, raw, "a list of ISO 3166-1 alpha-2 country codes")
    return frozenset(party_code(p, field=field) for p in parts)
