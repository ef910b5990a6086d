"""Where, and how records relate: STIX location and relationship."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from enlace.model import extensions as ext
from enlace.model.records import parsers as p
from enlace.model.records.base import Record
from enlace.model.records.fields import domain_field, text


@dataclass(frozen=True, slots=True, kw_only=True)
class Location(Record):
    """A place: a state (ISO 3166-2), a city, or a CBP port of entry (STIX location)."""

    STIX_TYPE: ClassVar[str] = "location"
    KIND: ClassVar[str] = "location"
    TYPE_EXTENSION = ext.PORT

    name: str | None = domain_field(text, "Name of the place")
    country: str = domain_field(p.party, "Country, ISO 3166-1 alpha-2", required=True)
    administrative_area: str | None = domain_field(p.subdivision, "State, ISO 3166-2")
    city: str | None = domain_field(text, "City or municipality")
    port_code: str | None = domain_field(p.port_code, "CBP port of entry code", place="ext")


def _relationship_type(raw: object, field: str) -> str:
    return text(raw, field).lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class Relationship(Record):
    """A link between two records, e.g. a firearm 'seized-in' a seizure (STIX relationship)."""

    STIX_TYPE: ClassVar[str] = "relationship"
    KIND: ClassVar[str] = "relationship"

    relationship_type: str = domain_field(
        _relationship_type, "e.g. related-to, seized-in, owned-by, member-of", required=True
    )
    source_ref: str = domain_field(text, "STIX id of the source record", required=True, refers=True)
    target_ref: str = domain_field(text, "STIX id of the target record", required=True, refers=True)
    description: str | None = domain_field(text, "Free text")
