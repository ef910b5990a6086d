"""The identifier kinds and the one error every normaliser raises."""

from __future__ import annotations

import enum


class IdentifierKind(enum.StrEnum):
    """The kinds of exact identifier the nodes normalise and match on."""

    VIN = "vin"
    CURP = "curp"
    RFC = "rfc"
    PHONE = "phone"
    PLATE = "plate"
    FIREARM = "firearm"
    ORG_NAME = "org-name"


# What an analyst reads in an error message; the enum values are for machines.
_LABELS: dict[IdentifierKind, str] = {
    IdentifierKind.VIN: "VIN",
    IdentifierKind.CURP: "CURP",
    IdentifierKind.RFC: "RFC",
    IdentifierKind.PHONE: "phone number",
    IdentifierKind.PLATE: "plate",
    IdentifierKind.FIREARM: "firearm",
    IdentifierKind.ORG_NAME: "organisation name",
}

# Inputs can be whole garbage records; keep the message readable.
_MAX_SHOWN = 80


# The name is the public API other packages import; it reads better than ...Error here.
class InvalidIdentifier(ValueError):
    """Raised with a message saying what was found and what was expected."""

    def __init__(self, kind: IdentifierKind, found: str, expected: str) -> None:
        self.kind = kind
        self.found = found
        self.expected = expected
        shown = found if len(found) <= _MAX_SHOWN else found[:_MAX_SHOWN] + "…"
        super().__init__(f"invalid {_LABELS[kind]} {shown!r}: expected {expected}")

    def __reduce__(self) -> tuple[type[InvalidIdentifier], tuple[IdentifierKind, str, str]]:
        # The default reduce passes only the message back to __init__, which would fail
        # when an error crosses a process boundary (matching runs in worker processes).
        return (type(self), (self.kind, self.found, self.expected))
