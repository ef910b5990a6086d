"""What happened: seizures, clandestine laboratories and transfers of custody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from enlace.model import extensions as ext
from enlace.model.errors import RecordError
from enlace.model.records import parsers as p
from enlace.model.records.base import Record
from enlace.model.records.fields import (
    calendar_date,
    choice,
    domain_field,
    integer,
    quantity,
    stix_ref,
    text,
)
from enlace.model.vocabulary import (
    CustodyKind,
    DrugType,
    LaboratoryStatus,
    QuantityUnit,
    SeizedCategory,
)

_UNITS_BY_CATEGORY = {
    SeizedCategory.DRUG: {
        QuantityUnit.KG,
        QuantityUnit.LBS,
        QuantityUnit.PILLS,
        QuantityUnit.LITRES,
    },
    SeizedCategory.PRECURSOR: {QuantityUnit.KG, QuantityUnit.LBS, QuantityUnit.LITRES},
    SeizedCategory.FIREARM: {QuantityUnit.COUNT},
    SeizedCategory.AMMUNITION: {QuantityUnit.COUNT},
    SeizedCategory.CASH: {QuantityUnit.USD, QuantityUnit.MXN},
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Seizure(Record):
    """A seizure (aseguramiento, decomiso): what, how much, when, where, by whom."""

    STIX_TYPE: ClassVar[str] = "enlace-seizure"
    KIND: ClassVar[str] = "seizure"
    TYPE_EXTENSION = ext.SEIZURE

    category: SeizedCategory = domain_field(
        choice(SeizedCategory), "drug, firearm, ammunition, cash, precursor-chemical", required=True
    )
    drug_type: DrugType | None = domain_field(
        choice(DrugType), "For drugs: CBP's drug type, e.g. fentanyl"
    )
    quantity: float = domain_field(quantity, "How much, in `unit`", required=True)
    unit: QuantityUnit = domain_field(
        choice(QuantityUnit), "kg, lbs, l, pills, count, usd, mxn", required=True
    )
    seizure_date: date = domain_field(
        calendar_date, "Date of the seizure, YYYY-MM-DD", required=True
    )
    state: str | None = domain_field(p.subdivision, "Where, ISO 3166-2 (MX-SON, US-AZ)")
    port_code: str | None = domain_field(p.port_code, "CBP port of entry code, e.g. 2604 Nogales")
    place: str | None = domain_field(text, "Place as reported (city, highway, checkpoint)")
    seizing_agency_ref: str | None = domain_field(
        stix_ref("identity"), "Seizing agency, when not the author", refers=True
    )
    description: str | None = domain_field(text, "Free text")

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        if self.category is SeizedCategory.DRUG and self.drug_type is None:
            raise RecordError("drug_type", None, "a CBP drug type for a drug seizure")
        if self.category is not SeizedCategory.DRUG and self.drug_type is not None:
            raise RecordError(
                "drug_type", self.drug_type.value, "no drug type unless category=drug"
            )
        allowed = _UNITS_BY_CATEGORY[self.category]
        if self.unit not in allowed:
            raise RecordError(
                "unit",
                self.unit.value,
                f"for {self.category.value}: one of " + ", ".join(sorted(u.value for u in allowed)),
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Laboratory(Record):
    """A clandestine laboratory (laboratorio clandestino, narcolaboratorio)."""

    STIX_TYPE: ClassVar[str] = "enlace-clandestine-laboratory"
    KIND: ClassVar[str] = "laboratory"
    TYPE_EXTENSION = ext.LABORATORY

    found_date: date = domain_field(calendar_date, "Date found, YYYY-MM-DD", required=True)
    state: str = domain_field(p.subdivision, "State, ISO 3166-2 (MX-SIN)", required=True)
    municipality: str | None = domain_field(text, "Municipality (municipio)")
    status: LaboratoryStatus | None = domain_field(
        choice(LaboratoryStatus), "active, inactive, dismantled"
    )
    drug_type: DrugType | None = domain_field(choice(DrugType), "What it produced")
    reactors: int | None = domain_field(integer, "Reactors found")
    description: str | None = domain_field(text, "Free text")


@dataclass(frozen=True, slots=True, kw_only=True)
class CustodyTransfer(Record):
    """A transfer of custody of a person: extradition or traslado, with its legal mechanism."""

    STIX_TYPE: ClassVar[str] = "enlace-custody-transfer"
    KIND: ClassVar[str] = "custody-transfer"
    TYPE_EXTENSION = ext.CUSTODY_TRANSFER

    person_ref: str = domain_field(
        stix_ref("identity"), "The person transferred", required=True, refers=True
    )
    transfer_kind: CustodyKind = domain_field(
        choice(CustodyKind), "extradition, transfer, deportation, expulsion", required=True
    )
    legal_mechanism: str = domain_field(
        text, "e.g. extradition treaty; Ley de Seguridad Nacional art. 5", required=True
    )
    transfer_date: date = domain_field(calendar_date, "Date, YYYY-MM-DD", required=True)
    from_party: str = domain_field(p.party, "Party handing over custody", required=True)
    to_party: str = domain_field(p.party, "Party receiving custody", required=True)
    destination: str | None = domain_field(text, "Place received, e.g. a federal court district")

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        if self.from_party == self.to_party:
            raise RecordError("to_party", self.to_party, "a party other than from_party")
