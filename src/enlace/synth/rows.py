"""Records as rows of the importer's CSV format (docs/import-formats.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum

from enlace.model.catalogue import DEFAULT_AGENCIES
from enlace.model.records import (
    Company,
    CriminalOrganisation,
    CustodyTransfer,
    Firearm,
    Laboratory,
    Location,
    Person,
    PhoneNumber,
    Record,
    Relationship,
    Seizure,
    Vehicle,
    agency_id,
    domain_fields,
)
from enlace.model.timestamps import format_timestamp

# Columns every row has, then the domain fields of its kind (named as the dataclass fields).
ENVELOPE_COLUMNS: tuple[str, ...] = (
    "type", "id", "created", "modified", "agency", "tlp", "releasable_to", "handling",
    "handling_text", "evaluation",
)  # fmt: skip

# The kinds the generator writes, in the order their columns appear in the union header.
SYNTH_CLASSES: tuple[type[Record], ...] = (
    Seizure, Firearm, Person, PhoneNumber, Vehicle, CriminalOrganisation, Company,
    Laboratory, CustodyTransfer, Location, Relationship,
)  # fmt: skip


def _union_columns() -> tuple[str, ...]:
    columns = list(ENVELOPE_COLUMNS)
    for cls in SYNTH_CLASSES:
        for bound in domain_fields(cls):
            if bound.name not in columns:
                columns.append(bound.name)
    return tuple(columns)


# The union header over every kind the generator writes; a row leaves other kinds' empty.
CSV_COLUMNS: tuple[str, ...] = _union_columns()
_EMPTY_ROW: dict[str, str] = dict.fromkeys(CSV_COLUMNS, "")
_ACRONYMS: dict[str, str] = {
    agency_id(party, acronym): acronym
    for party, agencies in DEFAULT_AGENCIES.items()
    for acronym, _ in agencies
}


def cell(value: object) -> str:
    """One field value as CSV text: lists joined with '|', dates ISO, enums by value."""
    if value is None:
        return ""
    if isinstance(value, StrEnum):  # before str: a StrEnum is a str
        return value.value
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return "|".join(cell(item) for item in value)
    if isinstance(value, frozenset | set):
        return "|".join(sorted(cell(item) for item in value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


_Plan = tuple[str, tuple[str, ...]]
_PLANS: dict[type[Record], _Plan] = {}


def _plan(cls: type[Record]) -> _Plan:
    found = _PLANS.get(cls)
    if found is None:
        found = _PLANS[cls] = (cls.KIND, tuple(b.name for b in domain_fields(cls)))
    return found


def row_of(record: Record) -> dict[str, str]:
    """The record as one CSV row in the importer's format, over the union header CSV_COLUMNS.

    Every value is a string; columns of other kinds are empty. Reading the row back with
    `type(record).from_values(..., values=row)` (owner = the record's party, created_by_ref
    = the agency's id) rebuilds an equal record.
    """
    kind, names = _plan(type(record))
    markings = record.markings
    row = _EMPTY_ROW.copy()
    row["type"] = kind
    row["id"] = record.id
    row["created"] = format_timestamp(record.created)
    row["modified"] = (
        row["created"] if record.modified == record.created else format_timestamp(record.modified)
    )
    row["agency"] = _ACRONYMS.get(record.created_by_ref or "", "")
    row["tlp"] = markings.tlp.value.upper()
    row["releasable_to"] = " ".join(sorted(markings.releasable_to))
    row["handling"] = markings.handling.value
    row["handling_text"] = markings.handling_text or ""
    row["evaluation"] = str(markings.evaluation)
    convert: Callable[[object], str] = cell
    for name in names:
        value = getattr(record, name)
        row[name] = value if value.__class__ is str else convert(value)
    return row
