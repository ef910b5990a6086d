"""Which record class a STIX object or a user-written kind maps to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from enlace.model import extensions as ext
from enlace.model.errors import RecordError
from enlace.model.records.actors import Agency, Company, CriminalOrganisation, Person
from enlace.model.records.base import Record
from enlace.model.records.events import CustodyTransfer, Laboratory, Seizure
from enlace.model.records.objects import Firearm, PhoneNumber, Vehicle
from enlace.model.records.places import Location, Relationship
from enlace.model.records.traces import TraceRequest, TraceResponse
from enlace.model.records.tracking import Action, Commitment, Meeting

RECORD_CLASSES: tuple[type[Record], ...] = (
    Agency,
    Person,
    Company,
    CriminalOrganisation,
    PhoneNumber,
    Vehicle,
    Firearm,
    Seizure,
    Laboratory,
    CustodyTransfer,
    Location,
    Relationship,
    Meeting,
    Commitment,
    Action,
    TraceRequest,
    TraceResponse,
)
BY_KIND: dict[str, type[Record]] = {cls.KIND: cls for cls in RECORD_CLASSES}
_IDENTITY_BY_EXTENSION = {ext.AGENCY.id: Agency, ext.PERSON.id: Person, ext.COMPANY.id: Company}
_BY_STIX_TYPE = {cls.STIX_TYPE: cls for cls in RECORD_CLASSES if cls.STIX_TYPE != "identity"}


def class_for_kind(kind: str) -> type[Record]:
    """The record class users call `kind` (seizure, person, ...); raise RecordError."""
    key = kind.strip().lower().replace("_", "-")
    try:
        return BY_KIND[key]
    except KeyError:
        raise RecordError("type", kind, "one of " + ", ".join(sorted(BY_KIND))) from None


def class_for_stix(obj: Mapping[str, Any]) -> type[Record]:
    """The record class for a STIX object; raise RecordError for types Enlace does not hold."""
    stix_type = obj.get("type")
    if stix_type == "identity":
        exts = obj.get("extensions") or {}
        for ext_id, cls in _IDENTITY_BY_EXTENSION.items():
            if isinstance(exts, Mapping) and ext_id in exts:
                return cls
        raise RecordError(
            "extensions",
            obj.get("id"),
            "an identity carrying the Enlace agency, person or company extension",
        )
    if isinstance(stix_type, str) and stix_type in _BY_STIX_TYPE:
        return _BY_STIX_TYPE[stix_type]
    raise RecordError(
        "type", stix_type, "one of " + ", ".join(sorted({cls.STIX_TYPE for cls in RECORD_CLASSES}))
    )


def record_from_stix(obj: Mapping[str, Any]) -> Record:
    """Parse and validate any STIX object Enlace holds."""
    return class_for_stix(obj).from_stix(obj)
