"""What: phone numbers, vehicles and firearms (Enlace new-sdo types)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from enlace.model import extensions as ext
from enlace.model.errors import RecordError
from enlace.model.identifiers import (
    IdentifierKind,
    InvalidIdentifier,
    normalise_firearm,
    normalise_phone,
    normalise_plate,
)
from enlace.model.records import parsers as p
from enlace.model.records.base import IdentifierKey, Record
from enlace.model.records.fields import calendar_date, choice, domain_field, text, year
from enlace.model.vocabulary import FirearmType, TraceStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class PhoneNumber(Record):
    """A telephone number (número telefónico), kept in E.164 form."""

    STIX_TYPE: ClassVar[str] = "enlace-phone-number"
    KIND: ClassVar[str] = "phone"
    TYPE_EXTENSION = ext.PHONE_NUMBER

    number: str = domain_field(
        text,
        "Number, e.g. +52 55 1234 5678 or (656) 123-4567; "
        "legacy Mexican prefixes 044/045/01 are accepted; kept in E.164",
        required=True,
    )
    country: str | None = domain_field(
        p.party,
        "Country the number is from when written without +; defaults to the importing node's party",
    )
    description: str | None = domain_field(text, "Context: whose, where seen")

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        try:
            e164 = normalise_phone(self.number, default_region=self.country)
        except InvalidIdentifier as error:
            raise RecordError("number", self.number, error.expected) from None
        # Frozen record: the normalised form replaces what was typed, once, at construction.
        object.__setattr__(self, "number", e164)

    def identifier_keys(self) -> tuple[IdentifierKey, ...]:
        """The E.164 number."""
        return ((IdentifierKind.PHONE.value, self.number),)


@dataclass(frozen=True, slots=True, kw_only=True)
class Vehicle(Record):
    """A vehicle: VIN (NIV in Mexico) and/or plate (placa)."""

    STIX_TYPE: ClassVar[str] = "enlace-vehicle"
    KIND: ClassVar[str] = "vehicle"
    TYPE_EXTENSION = ext.VEHICLE

    vin: str | None = domain_field(p.vin, "VIN / NIV, 17 characters with its check digit")
    plate_country: str | None = domain_field(p.party, "Plate country, MX or US")
    plate_state: str | None = domain_field(p.subdivision, "Plate state, ISO 3166-2 (MX-BCN, US-TX)")
    plate_number: str | None = domain_field(text, "Plate number as written, e.g. ABC-123-A")
    plate_type: str | None = domain_field(text, "Plate type (NCIC type or Mexican series)")
    make: str | None = domain_field(text, "Make (marca)")
    model: str | None = domain_field(text, "Model (modelo)")
    year: int | None = domain_field(year, "Model year")
    colour: str | None = domain_field(text, "Colour")

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        if not self.vin and not self.plate_number:
            raise RecordError("vin", None, "a VIN or a plate number (a vehicle needs one)")
        if self.plate_number and not (self.plate_country and self.plate_state):
            raise RecordError(
                "plate_state",
                self.plate_state,
                "plate_country and plate_state with every plate_number",
            )

    def identifier_keys(self) -> tuple[IdentifierKey, ...]:
        """VIN and plate keys (country + state + number, type left out so partners still meet)."""
        keys: list[IdentifierKey] = []
        if self.vin:
            keys.append((IdentifierKind.VIN.value, self.vin))
        if self.plate_number and self.plate_country and self.plate_state:
            try:
                plate = normalise_plate(self.plate_country, self.plate_state, self.plate_number)
            except InvalidIdentifier as error:
                raise RecordError("plate_number", self.plate_number, error.expected) from None
            keys.append((IdentifierKind.PLATE.value, plate))
        return tuple(keys)


@dataclass(frozen=True, slots=True, kw_only=True)
class Firearm(Record):
    """A firearm (arma de fuego), as trace requests describe it."""

    STIX_TYPE: ClassVar[str] = "enlace-firearm"
    KIND: ClassVar[str] = "firearm"
    TYPE_EXTENSION = ext.FIREARM

    make: str = domain_field(text, "Manufacturer (marca), e.g. Colt", required=True)
    serial: str | None = domain_field(
        text, "Serial number (número de serie) as read; leave empty when obliterated"
    )
    importer: str | None = domain_field(text, "Importer, for firearms made abroad")
    model: str | None = domain_field(text, "Model")
    caliber: str | None = domain_field(text, "Caliber (calibre), e.g. 7.62x39, .50")
    firearm_type: FirearmType | None = domain_field(
        choice(FirearmType), "pistol, revolver, rifle, shotgun, ..."
    )
    recovery_state: str | None = domain_field(p.subdivision, "Where recovered, ISO 3166-2")
    recovery_date: date | None = domain_field(calendar_date, "When recovered, YYYY-MM-DD")
    trace_status: TraceStatus | None = domain_field(
        choice(TraceStatus), "not-submitted, pending, traced-us, ..."
    )
    source_state: str | None = domain_field(p.subdivision, "Where first sold, ISO 3166-2 (trace)")

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        if self.serial is not None:
            try:
                normalise_firearm(self.make, self.serial)
            except InvalidIdentifier as error:
                raise RecordError("serial", self.serial, error.expected) from None

    def identifier_keys(self) -> tuple[IdentifierKey, ...]:
        """Normalised make + serial, when the serial could be read."""
        if not self.serial:
            return ()
        return ((IdentifierKind.FIREARM.value, normalise_firearm(self.make, self.serial)),)
