"""Who: agencies, persons, companies and criminal organisations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from enlace.model import extensions as ext
from enlace.model.identifiers import IdentifierKind, curp_birth_state, normalise_org_name
from enlace.model.records import parsers as p
from enlace.model.records.base import IdentifierKey, Record, derived_id
from enlace.model.records.fields import calendar_date, choice, domain_field, text, text_list
from enlace.model.vocabulary import Sex


def agency_id(party: str, acronym: str) -> str:
    """The stable id of an agency: the same party and acronym always give the same id."""
    return derived_id("identity", "agency", party.upper(), acronym.strip().upper())


@dataclass(frozen=True, slots=True, kw_only=True)
class Agency(Record):
    """An organisation inside a party that authors records (STIX identity)."""

    STIX_TYPE: ClassVar[str] = "identity"
    KIND: ClassVar[str] = "agency"
    TYPE_EXTENSION = ext.AGENCY
    FIXED: ClassVar[dict[str, object]] = {
        "identity_class": "organization",
        "sectors": ["government-national"],
    }

    name: str = domain_field(
        text, "Full name, e.g. Fiscalía General de la República", required=True
    )
    acronym: str = domain_field(text, "Short name, e.g. FGR, CBP", required=True, place="ext")
    party: str = domain_field(
        p.party, "The agency's party (ISO 3166-1 alpha-2)", required=True, place="ext"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Person(Record):
    """A person of interest, with both surnames as Spanish names have them (STIX identity)."""

    STIX_TYPE: ClassVar[str] = "identity"
    KIND: ClassVar[str] = "person"
    TYPE_EXTENSION = ext.PERSON
    FIXED: ClassVar[dict[str, object]] = {"identity_class": "individual"}

    given_names: str = domain_field(text, "Given names (nombres)", required=True, place="ext")
    first_surname: str = domain_field(
        text, "First surname (primer apellido, paterno)", required=True, place="ext"
    )
    second_surname: str | None = domain_field(
        text, "Second surname (segundo apellido, materno)", place="ext"
    )
    date_of_birth: date | None = domain_field(
        calendar_date, "Date of birth, YYYY-MM-DD", place="ext"
    )
    sex: Sex | None = domain_field(choice(Sex), "male, female or unknown", place="ext")
    nationality: str | None = domain_field(p.party, "Nationality (ISO 3166-1 alpha-2)", place="ext")
    curp: str | None = domain_field(
        p.curp, "CURP (Mexico), validated with its check digit", place="ext"
    )
    aliases: tuple[str, ...] = domain_field(
        text_list, "Aliases (alias, apodos), '|'-separated", place="ext", default=()
    )
    place_of_birth: str | None = domain_field(
        p.subdivision,
        "State of birth, ISO 3166-2 (MX-SIN, US-TX); left empty, the CURP's state",
        place="ext",
    )

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        # A CURP says where its holder was born (characters 12-13, RENAPO's state code):
        # a Mexican record with a CURP and no place of birth holds the CURP's state, so
        # name matching can use it (matching/names, "#P|" keys). A place the record gives
        # is kept as given; a CURP of someone born abroad ("NE") gives none.
        if self.place_of_birth is None and self.curp is not None:
            object.__setattr__(self, "place_of_birth", curp_birth_state(self.curp))

    @property
    def full_name(self) -> str:
        """Given names and surnames in Spanish order."""
        parts = (self.given_names, self.first_surname, self.second_surname)
        return " ".join(part for part in parts if part)

    def to_stix(self) -> dict[str, object]:
        """STIX identity; `name` is the full name, required by STIX."""
        obj = Record.to_stix(self)
        obj["name"] = self.full_name
        return obj

    def identifier_keys(self) -> tuple[IdentifierKey, ...]:
        """The CURP, when known."""
        return ((IdentifierKind.CURP.value, self.curp),) if self.curp else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Company(Record):
    """A company, e.g. a front company (empresa fachada) (STIX identity)."""

    STIX_TYPE: ClassVar[str] = "identity"
    KIND: ClassVar[str] = "company"
    TYPE_EXTENSION = ext.COMPANY
    FIXED: ClassVar[dict[str, object]] = {"identity_class": "organization"}

    name: str = domain_field(text, "Legal name (razón social)", required=True)
    rfc: str | None = domain_field(
        p.rfc, "RFC (Mexican tax id); a failed check digit is accepted with a warning", place="ext"
    )
    country: str | None = domain_field(p.party, "Country of registration", place="ext")

    def identifier_keys(self) -> tuple[IdentifierKey, ...]:
        """RFC and normalised legal name."""
        keys = [(IdentifierKind.ORG_NAME.value, normalise_org_name(self.name))]
        if self.rfc:
            keys.append((IdentifierKind.RFC.value, self.rfc))
        return tuple(keys)


@dataclass(frozen=True, slots=True, kw_only=True)
class CriminalOrganisation(Record):
    """A criminal organisation: a STIX threat-actor of type crime-syndicate."""

    STIX_TYPE: ClassVar[str] = "threat-actor"
    KIND: ClassVar[str] = "organisation"
    TYPE_EXTENSION = ext.CRIMINAL_ORGANISATION
    FIXED: ClassVar[dict[str, object]] = {"threat_actor_types": ["crime-syndicate"]}

    name: str = domain_field(text, "Name, e.g. Cártel de Sinaloa", required=True)
    aliases: tuple[str, ...] = domain_field(text_list, "Other names, '|'-separated", default=())
    designations: tuple[str, ...] = domain_field(
        text_list, "Legal designations, e.g. FTO|SDGT, '|'-separated", place="ext", default=()
    )

    def identifier_keys(self) -> tuple[IdentifierKey, ...]:
        """Normalised name and aliases."""
        names = {normalise_org_name(n) for n in (self.name, *self.aliases)}
        return tuple((IdentifierKind.ORG_NAME.value, n) for n in sorted(names) if n)
