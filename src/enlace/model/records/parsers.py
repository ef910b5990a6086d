"""Field parsers that need the rest of the model: identifiers, states, parties, ports."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pycountry

from enlace.model.errors import RecordError
from enlace.model.geography import port_of_entry
from enlace.model.identifiers import (
    InvalidIdentifier,
    normalise_curp,
    normalise_rfc,
    normalise_vin,
)
from enlace.model.parties import party_code


def identifier(normaliser: Callable[[str], str]) -> Callable[[object, str], str]:
    """A parser that stores an identifier in its normalised form."""

    def parse(raw: object, field: str) -> str:
        if not isinstance(raw, str):
            raise RecordError(field, raw, "text")
        try:
            return normaliser(raw)
        except InvalidIdentifier as error:
            raise RecordError(field, raw, error.expected) from None

    return parse


vin = identifier(normalise_vin)
curp = identifier(normalise_curp)
rfc = identifier(lambda raw: normalise_rfc(raw)[0])


def party(raw: object, field: str) -> str:
    """An ISO 3166-1 alpha-2 party code."""
    return party_code(str(raw), field=field)


@cache
def _subdivisions() -> frozenset[str]:
    return frozenset(s.code for s in pycountry.subdivisions)


def subdivision(raw: object, field: str) -> str:
    """An ISO 3166-2 code such as MX-BCN or US-TX."""
    code = str(raw).strip().upper()
    # INEGI and CBP write Baja California as BC / BCN; ISO is MX-BCN.
    if code in _subdivisions():
        return code
    raise RecordError(field, raw, "an ISO 3166-2 state code such as MX-BCN or US-TX")


def port_code(raw: object, field: str) -> str:
    """A CBP port code of the US-Mexico land border."""
    return port_of_entry(str(raw), field=field).code
