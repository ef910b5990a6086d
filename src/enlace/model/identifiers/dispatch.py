"""One entry point for every kind, taking and giving single strings.

Plates and firearms are composite; their keys ("MX|MX-BCN|ABC123A", "COLT|AB1234") are
accepted as input and re-normalised part by part, so normalise is idempotent.
"""

from __future__ import annotations

from enlace.model.identifiers.curp import normalise_curp
from enlace.model.identifiers.errors import IdentifierKind, InvalidIdentifier
from enlace.model.identifiers.firearm import normalise_firearm
from enlace.model.identifiers.names import normalise_org_name
from enlace.model.identifiers.phone import normalise_phone
from enlace.model.identifiers.plate import normalise_plate
from enlace.model.identifiers.rfc import normalise_rfc
from enlace.model.identifiers.vin import normalise_vin


def normalise(kind: IdentifierKind, raw: str, *, default_region: str | None = None) -> str:
    """Return the match key of raw as an identifier of kind, or raise InvalidIdentifier.

    default_region is used only for phone numbers. RFC warnings are dropped (call
    normalise_rfc to see them). Plates take "COUNTRY|STATE|NUMBER[|TYPE]", firearms
    "MAKE|SERIAL".
    """
    # Ordered by expected volume in imports.
    if kind is IdentifierKind.PHONE:
        return normalise_phone(raw, default_region)
    if kind is IdentifierKind.VIN:
        return normalise_vin(raw)
    if kind is IdentifierKind.FIREARM:
        parts = raw.split("|")
        if len(parts) != 2:
            raise InvalidIdentifier(kind, raw, "'MAKE|SERIAL'")
        return normalise_firearm(parts[0], parts[1])
    if kind is IdentifierKind.PLATE:
        parts = raw.split("|")
        if len(parts) == 3:
            return normalise_plate(parts[0], parts[1], parts[2])
        if len(parts) == 4:
            return normalise_plate(parts[0], parts[1], parts[2], parts[3])
        raise InvalidIdentifier(kind, raw, "'COUNTRY|STATE|NUMBER' or 'COUNTRY|STATE|NUMBER|TYPE'")
    if kind is IdentifierKind.CURP:
        return normalise_curp(raw)
    if kind is IdentifierKind.RFC:
        return normalise_rfc(raw)[0]
    if kind is IdentifierKind.ORG_NAME:
        return normalise_org_name(raw)
    raise ValueError(f"unknown identifier kind {kind!r}")
