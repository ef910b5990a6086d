"""Record types: STIX 2.1 objects with markings, one class per kind of record."""

from enlace.model.records.actors import Agency, Company, CriminalOrganisation, Person, agency_id
from enlace.model.records.base import Record, derived_id, domain_fields, new_id
from enlace.model.records.events import CustodyTransfer, Laboratory, Seizure
from enlace.model.records.objects import Firearm, PhoneNumber, Vehicle
from enlace.model.records.places import Location, Relationship
from enlace.model.records.registry import (
    BY_KIND,
    RECORD_CLASSES,
    class_for_kind,
    class_for_stix,
    record_from_stix,
)
from enlace.model.records.traces import TraceRequest, TraceResponse
from enlace.model.records.tracking import Action, Commitment, Meeting

__all__ = [
    "BY_KIND",
    "RECORD_CLASSES",
    "Action",
    "Agency",
    "Commitment",
    "Company",
    "CriminalOrganisation",
    "CustodyTransfer",
    "Firearm",
    "Laboratory",
    "Location",
    "Meeting",
    "Person",
    "PhoneNumber",
    "Record",
    "Relationship",
    "Seizure",
    "TraceRequest",
    "TraceResponse",
    "Vehicle",
    "agency_id",
    "class_for_kind",
    "class_for_stix",
    "derived_id",
    "domain_fields",
    "new_id",
    "record_from_stix",
]
