"""Field descriptions: one declaration gives a record field its parser, its STIX place and its docs.

A record class declares each domain field once, with `domain_field(...)`; the STIX mapping,
the CSV columns and the documentation all read that declaration, so they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Literal, TypeVar

from enlace.model.errors import RecordError
from enlace.model.timestamps import parse_date

Place = Literal["top", "ext"]
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How a domain field is read, where it sits in STIX, and what it means."""

    parse: Callable[[object, str], Any]
    doc: str
    required: bool = False
    place: Place = "top"
    stix_name: str | None = None  # defaults to the field's own name
    # Holds the id (or ids) of other records: a release checks that the partner may hold
    # each one (enlace.model.records.references, enlace.exchange.references).
    refers: bool = False


def domain_field(
    parse: Callable[[object, str], Any],
    doc: str,
    *,
    required: bool = False,
    place: Place = "top",
    stix_name: str | None = None,
    default: object = None,
    refers: bool = False,
) -> Any:
    """Declare a dataclass field of a record with its FieldSpec in the metadata."""
    spec = FieldSpec(
        parse=parse, doc=doc, required=required, place=place, stix_name=stix_name, refers=refers
    )
    if isinstance(default, list | set | dict):
        raise TypeError("mutable defaults are not allowed on immutable records")
    return dataclasses.field(default=default, metadata={"spec": spec})


@dataclass(frozen=True, slots=True)
class BoundField:
    """A FieldSpec together with the dataclass field name it belongs to."""

    name: str
    spec: FieldSpec

    @property
    def stix_name(self) -> str:
        """The property name in STIX JSON."""
        return self.spec.stix_name or self.name


def bound_fields(cls: type) -> tuple[BoundField, ...]:
    """The domain fields a record class declares, in declaration order."""
    return tuple(
        BoundField(f.name, f.metadata["spec"])
        for f in dataclasses.fields(cls)
        if "spec" in f.metadata
    )


def is_blank(raw: object) -> bool:
    """True for None, an empty string and an empty list: a field the user did not fill."""
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


# --- parsers: each takes the raw value (a CSV cell or a JSON value) and the field name ---


def text(raw: object, field: str) -> str:
    """A non-empty string, stripped."""
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    raise RecordError(field, raw, "text")


def integer(raw: object, field: str) -> int:
    """A whole number."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            pass
    raise RecordError(field, raw, "a whole number")


def year(raw: object, field: str) -> int:
    """A model year between 1900 and 2100."""
    value = integer(raw, field)
    if not 1900 <= value <= 2100:
        raise RecordError(field, raw, "a year between 1900 and 2100")
    return value


def quantity(raw: object, field: str) -> float:
    """A non-negative decimal number ('1234.5'; a decimal comma '1234,5' is accepted)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip().replace(",", "."))
        except ValueError:
            raise RecordError(field, raw, "a non-negative number such as 12.5") from None
    else:
        raise RecordError(field, raw, "a non-negative number such as 12.5")
    if not value >= 0 or value == float("inf"):
        raise RecordError(field, raw, "a non-negative number such as 12.5")
    return value


def calendar_date(raw: object, field: str) -> date:
    """An ISO 8601 date."""
    return parse_date(raw, field=field)


def text_list(raw: object, field: str) -> tuple[str, ...]:
    """A list of strings: a JSON list, or text separated by '|'."""
    if isinstance(raw, str):
        items: Iterable[object] = raw.split("|")
    elif isinstance(raw, list | tuple):
        items = raw
    else:
        raise RecordError(field, raw, "a list of text, separated by '|' in CSV")
    return tuple(str(item).strip() for item in items if str(item).strip())


def choice(enum: type[E]) -> Callable[[object, str], E]:
    """A parser for one member of a closed vocabulary."""

    by_value = {member.value: member for member in enum}
    by_text: dict[str, E] = {}  # text as written -> member, for the few spellings a file uses

    def parse(raw: object, field: str) -> E:
        if raw.__class__ is str:
            known = by_text.get(raw)
            if known is not None:
                return known
        if isinstance(raw, enum):
            return raw
        if not isinstance(raw, str):
            raise RecordError(field, raw, "one of " + ", ".join(m.value for m in enum))
        member = by_value.get(raw.strip().lower().replace("_", "-").replace(" ", "-"))
        if member is not None:
            if len(by_text) < 4096:
                by_text[raw] = member
            return member
        raise RecordError(field, raw, "one of " + ", ".join(m.value for m in enum))

    return parse


def stix_ref(prefix: str) -> Callable[[object, str], str]:
    """A parser for a STIX identifier of one type, e.g. 'identity--<uuid>'."""

    def parse(raw: object, field: str) -> str:
        if isinstance(raw, str) and raw.startswith(prefix + "--") and len(raw) == len(prefix) + 38:
            return raw
        raise RecordError(field, raw, f"a STIX id '{prefix}--<uuid>'")

    return parse


def to_json_value(value: object) -> object:
    """The JSON form of a parsed field value (enums by value, dates ISO, tuples as lists)."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | frozenset):
        return sorted(value) if isinstance(value, frozenset) else list(value)
    return value
