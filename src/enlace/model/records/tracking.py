"""What the group decided: meetings (reuniones), commitments (compromisos) and actions (acciones).

They are records like any other, so a party can release them to its partner under markings;
each keeps the document and the sentence it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from enlace.model import extensions as ext
from enlace.model.errors import RecordError
from enlace.model.records.base import Record
from enlace.model.records.fields import (
    calendar_date,
    choice,
    domain_field,
    integer,
    stix_ref,
    text,
    text_list,
)
from enlace.model.vocabulary import (
    CommitmentTheme,
    MeetingMechanism,
    Responsible,
    TrackingStatus,
)

_MONTH = re.compile(r"(19|20)\d\d-(0[1-9]|1[0-2])")
_INDICATOR_EVIDENCE = re.compile(r"indicator:[^@\s]+@\S+")
_STIX_ID = re.compile(
    r"[a-z][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def month(raw: object, field: str) -> str:
    """A calendar month written YYYY-MM."""
    if isinstance(raw, str) and _MONTH.fullmatch(raw.strip()):
        return raw.strip()
    raise RecordError(field, raw, "a month written YYYY-MM, e.g. 2025-12")


def responsible(raw: object, field: str) -> Responsible:
    """MX, US or joint (party codes are upper case, 'joint' is a word)."""
    if isinstance(raw, Responsible):
        return raw
    if isinstance(raw, str):
        key = raw.strip()
        for member in Responsible:
            if member.value.lower() == key.lower():
                return member
    raise RecordError(field, raw, "one of MX, US, joint")


def is_indicator_observation(item: str) -> bool:
    """Whether an evidence item is an indicator observation ('indicator:<id>@<period>').

    It names an indicator the group defined and a period, not a record.
    """
    return _INDICATOR_EVIDENCE.fullmatch(item) is not None


def evidence_list(raw: object, field: str) -> tuple[str, ...]:
    """Record ids, or indicator observations written 'indicator:<indicator id>@<period>'."""
    items = text_list(raw, field)
    for item in items:
        if not (_STIX_ID.fullmatch(item) or is_indicator_observation(item)):
            raise RecordError(
                field, item, "a record id (type--uuid) or 'indicator:<indicator id>@<period>'"
            )
    return items


_STATUS = choice(TrackingStatus)


def is_overdue(due_date: date | None, status: TrackingStatus, *, today: date) -> bool:
    """Due before today and not delivered."""
    return due_date is not None and due_date < today and status is not TrackingStatus.DELIVERED


@dataclass(frozen=True, slots=True, kw_only=True)
class Meeting(Record):
    """A meeting (reunión) of a bilateral mechanism, with its date or month and place."""

    STIX_TYPE: ClassVar[str] = "enlace-meeting"
    KIND: ClassVar[str] = "meeting"
    TYPE_EXTENSION = ext.MEETING

    title: str | None = domain_field(
        text, "Title, e.g. Segunda reunión del Grupo de Implementación"
    )
    mechanism: MeetingMechanism = domain_field(
        choice(MeetingMechanism),
        "security-implementation-group, high-level-security-dialogue, ministerial, "
        "working-group, other",
        required=True,
    )
    sequence: int | None = domain_field(
        integer, "Sequence number within the mechanism (2 = second)"
    )
    meeting_date: date | None = domain_field(calendar_date, "Date, YYYY-MM-DD")
    meeting_month: str | None = domain_field(month, "Month when no day is known, YYYY-MM")
    place: str | None = domain_field(text, "City or institution, e.g. Ciudad de México, SRE")
    mx_agencies: tuple[str, ...] = domain_field(
        text_list, "Mexican agencies, e.g. SRE|SSPC|FGR", default=()
    )
    us_agencies: tuple[str, ...] = domain_field(
        text_list, "US agencies, e.g. DHS|DOJ|ATF", default=()
    )
    source_document: str | None = domain_field(text, "The document it came from")
    source_sentence: str | None = domain_field(text, "The sentence it came from")
    other_sources: tuple[str, ...] = domain_field(
        text_list,
        "Other documents that report the same meeting (announced, then held), e.g. a.txt|b.txt",
        default=(),
    )

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        if self.meeting_date is None and self.meeting_month is None:
            raise RecordError("meeting_date", None, "a date or a meeting_month (a meeting has one)")
        if self.sequence is not None and self.sequence < 1:
            raise RecordError("sequence", self.sequence, "a sequence number of 1 or more")


@dataclass(frozen=True, slots=True, kw_only=True)
class Commitment(Record):
    """A commitment (compromiso): who must deliver what by when, in Spanish and English."""

    STIX_TYPE: ClassVar[str] = "enlace-commitment"
    KIND: ClassVar[str] = "commitment"
    TYPE_EXTENSION = ext.COMMITMENT

    text_es: str | None = domain_field(text, "The commitment in Spanish")
    text_en: str | None = domain_field(text, "The commitment in English")
    theme: CommitmentTheme = domain_field(
        choice(CommitmentTheme),
        "fentanyl, firearms, illicit-finance, custody-transfers, drones, fuel-theft, "
        "public-health, information-exchange, other",
        required=True,
    )
    responsible: Responsible = domain_field(responsible, "MX, US or joint", required=True)
    lead_agencies: tuple[str, ...] = domain_field(
        text_list, "Lead agencies, e.g. FGR|ATF", default=()
    )
    due_date: date | None = domain_field(calendar_date, "Due date, YYYY-MM-DD")
    status: TrackingStatus = domain_field(
        _STATUS, "announced, in-progress, delivered, stalled", required=True
    )
    meeting_ref: str | None = domain_field(
        stix_ref("enlace-meeting"), "The meeting that agreed it", refers=True
    )
    source_document: str | None = domain_field(text, "The document it came from")
    source_sentence: str | None = domain_field(text, "The sentence it came from")

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        if not self.text_es and not self.text_en:
            raise RecordError("text_es", None, "the commitment's text in Spanish or in English")

    def is_overdue(self, *, today: date) -> bool:
        """Due before `today` and not delivered."""
        return is_overdue(self.due_date, self.status, today=today)


@dataclass(frozen=True, slots=True, kw_only=True)
class Action(Record):
    """An action (acción) taken under a commitment, with its owner agency and evidence."""

    STIX_TYPE: ClassVar[str] = "enlace-action"
    KIND: ClassVar[str] = "action"
    TYPE_EXTENSION = ext.ACTION

    commitment_ref: str = domain_field(
        stix_ref("enlace-commitment"), "The commitment it serves", required=True, refers=True
    )
    description_es: str | None = domain_field(text, "What is done, in Spanish")
    description_en: str | None = domain_field(text, "What is done, in English")
    owner_agency: str | None = domain_field(text, "Agency that does it (acronym), e.g. ANAM")
    due_date: date | None = domain_field(calendar_date, "Due date, YYYY-MM-DD")
    status: TrackingStatus = domain_field(
        _STATUS, "announced, in-progress, delivered, stalled", required=True
    )
    evidence: tuple[str, ...] = domain_field(
        evidence_list,
        "Record ids, or indicator observations 'indicator:<indicator id>@<period>'",
        default=(),
        refers=True,  # its record ids; an indicator observation names no record
    )
    source_document: str | None = domain_field(text, "The document it came from")
    source_sentence: str | None = domain_field(text, "The sentence it came from")

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        if not self.description_es and not self.description_en:
            raise RecordError(
                "description_es", None, "the action's description in Spanish or in English"
            )

    def is_overdue(self, *, today: date) -> bool:
        """Due before `today` and not delivered."""
        return is_overdue(self.due_date, self.status, today=today)
