"""Identifier normalisation and validation: the exact keys private matching compares.

Pure functions, no I/O. Each normalise_* returns the canonical key or raises
InvalidIdentifier saying what was found and what was expected.
"""

from enlace.model.identifiers.curp import CURP_STATE_CODES, curp_birth_state, normalise_curp
from enlace.model.identifiers.dispatch import normalise
from enlace.model.identifiers.errors import IdentifierKind, InvalidIdentifier
from enlace.model.identifiers.firearm import normalise_firearm
from enlace.model.identifiers.names import normalise_org_name
from enlace.model.identifiers.phone import normalise_phone
from enlace.model.identifiers.plate import normalise_plate
from enlace.model.identifiers.rfc import normalise_rfc
from enlace.model.identifiers.text import strip_accents
from enlace.model.identifiers.vin import normalise_vin, vin_check_digit

__all__ = [
    "CURP_STATE_CODES",
    "IdentifierKind",
    "InvalidIdentifier",
    "curp_birth_state",
    "normalise",
    "normalise_curp",
    "normalise_firearm",
    "normalise_org_name",
    "normalise_phone",
    "normalise_plate",
    "normalise_rfc",
    "normalise_vin",
    "strip_accents",
    "vin_check_digit",
]
