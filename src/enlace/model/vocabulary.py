"""Closed vocabularies of the field: what is seized, in which units, and how."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from enlace.model.errors import RecordError

E = TypeVar("E", bound=StrEnum)


def parse_choice(enum: type[E], raw: str, *, field: str) -> E:
    """Match `raw` to a member of `enum` by value, case- and separator-insensitively."""
    key = raw.strip().lower().replace("_", "-").replace(" ", "-")
    for member in enum:
        if member.value == key:
            return member
    choices = ", ".join(m.value for m in enum)
    raise RecordError(field, raw, f"one of {choices}")


class SeizedCategory(StrEnum):
    """What a seizure took: the categories both parties report."""

    DRUG = "drug"
    FIREARM = "firearm"
    AMMUNITION = "ammunition"
    CASH = "cash"
    PRECURSOR = "precursor-chemical"


class DrugType(StrEnum):
    """CBP's drug types, as in its Nationwide Drug Seizures statistics."""

    COCAINE = "cocaine"
    ECSTASY = "ecstasy"
    FENTANYL = "fentanyl"
    HEROIN = "heroin"
    KETAMINE = "ketamine"
    KHAT = "khat"
    LSD = "lsd"
    MARIJUANA = "marijuana"
    METHAMPHETAMINE = "methamphetamine"
    OTHER = "other-drugs"

    @property
    def cbp_name(self) -> str:
        """The name as it appears in CBP's published CSV."""
        return _CBP_NAMES[self]

    @classmethod
    def from_cbp(cls, name: str) -> DrugType:
        """Map a CBP 'Drug Type' cell to a member."""
        for member, cbp in _CBP_NAMES.items():
            if cbp == name.strip():
                return member
        return parse_choice(cls, name, field="drug_type")


_CBP_NAMES = {
    DrugType.COCAINE: "Cocaine",
    DrugType.ECSTASY: "Ecstasy",
    DrugType.FENTANYL: "Fentanyl",
    DrugType.HEROIN: "Heroin",
    DrugType.KETAMINE: "Ketamine",
    DrugType.KHAT: "Khat (Catha Edulis)",
    DrugType.LSD: "Lsd",
    DrugType.MARIJUANA: "Marijuana",
    DrugType.METHAMPHETAMINE: "Methamphetamine",
    DrugType.OTHER: "Other Drugs**",
}


class QuantityUnit(StrEnum):
    """Units results are reported in; Mexico counts fentanyl pills apart from kilograms."""

    KG = "kg"
    LBS = "lbs"
    LITRES = "l"
    PILLS = "pills"
    COUNT = "count"
    USD = "usd"
    MXN = "mxn"


POUNDS_PER_KG = 2.20462262185


class FirearmType(StrEnum):
    """Firearm types as trace reports group them."""

    PISTOL = "pistol"
    REVOLVER = "revolver"
    RIFLE = "rifle"
    SHOTGUN = "shotgun"
    MACHINE_GUN = "machine-gun"
    OTHER = "other"


class TraceStatus(StrEnum):
    """Where a firearm trace request stands."""

    NOT_SUBMITTED = "not-submitted"
    PENDING = "pending"
    TRACED_US = "traced-us"
    TRACED_OTHER = "traced-other"
    UNTRACEABLE = "untraceable"


class Sex(StrEnum):
    """Sex as recorded in identity documents (CURP uses H/M)."""

    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class CustodyKind(StrEnum):
    """How a person changed custody between parties."""

    EXTRADITION = "extradition"
    TRANSFER = "transfer"  # e.g. a "traslado" under Mexico's National Security Law
    DEPORTATION = "deportation"
    EXPULSION = "expulsion"


class LaboratoryStatus(StrEnum):
    """State of a clandestine laboratory when found."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    DISMANTLED = "dismantled"


class MeetingMechanism(StrEnum):
    """The bilateral mechanism a meeting belongs to."""

    SECURITY_IMPLEMENTATION_GROUP = "security-implementation-group"  # Grupo de Implementación
    HIGH_LEVEL_SECURITY_DIALOGUE = "high-level-security-dialogue"  # Diálogo de Alto Nivel
    MINISTERIAL = "ministerial"
    WORKING_GROUP = "working-group"
    OTHER = "other"


class CommitmentTheme(StrEnum):
    """What a commitment (compromiso) is about."""

    FENTANYL = "fentanyl"
    FIREARMS = "firearms"
    ILLICIT_FINANCE = "illicit-finance"
    CUSTODY_TRANSFERS = "custody-transfers"
    DRONES = "drones"
    FUEL_THEFT = "fuel-theft"
    PUBLIC_HEALTH = "public-health"
    INFORMATION_EXCHANGE = "information-exchange"
    OTHER = "other"


class Responsible(StrEnum):
    """Who must deliver a commitment: one party or both."""

    MX = "MX"
    US = "US"
    JOINT = "joint"


class TrackingStatus(StrEnum):
    """Where a commitment or an action stands."""

    ANNOUNCED = "announced"
    IN_PROGRESS = "in-progress"
    DELIVERED = "delivered"
    STALLED = "stalled"


class TraceRequestStatus(StrEnum):
    """Where a trace request stands on the requester's side: only the requester closes it."""

    SUBMITTED = "submitted"
    CLOSED = "closed"


class TraceResponseStatus(StrEnum):
    """Where the answering party's work on a trace request stands."""

    IN_PROGRESS = "in-progress"
    INFORMATION_REQUESTED = "information-requested"
    ANSWERED = "answered"


class TraceOutcome(StrEnum):
    """What a trace found: the first retail sale, or that the firearm cannot be traced."""

    TRACED = "traced"
    NOT_TRACEABLE = "not-traceable"
