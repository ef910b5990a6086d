"""A record as people name it: one line that says which record it is, and its fields.

Works on the stored STIX JSON (no validation: a page shows what is stored), so a record of
a kind this node cannot parse is still shown by its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, select

from enlace.model.extensions import TECHNICAL_PROPERTIES
from enlace.model.markings import TLP_BY_MARKING_ID
from enlace.store.tables import records
from enlace.web.codes import Code, Title

# Properties of a STIX object that are shown elsewhere on the record page (or not at all).
_TECHNICAL = TECHNICAL_PROPERTIES
_TITLE_KEYS = (
    "name",
    "title",
    "number",
    "description",
    "text_es",
    "text_en",
    "description_es",
    "description_en",
    "destination",
)
_LONGEST_TITLE = 120
_CHUNK = 500  # ids per query: under SQLite's bound-parameter limit


def properties(obj: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """The record's own properties, top level then those of its extensions, in order."""
    for key, value in obj.items():
        if key not in _TECHNICAL:
            yield key, value
    extensions = obj.get("extensions")
    if isinstance(extensions, Mapping):
        for body in extensions.values():
            if isinstance(body, Mapping):
                for key, value in body.items():
                    if key not in _TECHNICAL:
                        yield key, value


def record_title(obj: Mapping[str, Any]) -> str:
    """A short line naming the record: a name, a number, a make and serial, a description;
    a `Title` when it holds codes (a drug type, a unit, a relationship type) that the page
    writes in the reader's language."""
    found = dict(properties(obj))
    if "given_names" in found or "first_surname" in found:
        parts = [found.get("given_names"), found.get("first_surname"), found.get("second_surname")]
        return _short(" ".join(str(p) for p in parts if p))
    if "serial" in found:  # a firearm: make, model, serial
        parts = [found.get("make"), found.get("model"), found.get("serial")]
        return _short(" ".join(str(p) for p in parts if p))
    if "vin" in found or "plate_number" in found:
        parts = [
            found.get("make"),
            found.get("model"),
            found.get("vin") or found.get("plate_number"),
        ]
        return _short(" ".join(str(p) for p in parts if p))
    if obj.get("type") == "relationship":
        return _coded(Code("relationship_type", str(found.get("relationship_type", ""))))
    if "quantity" in found and "unit" in found:  # a seizure
        what = "drug_type" if found.get("drug_type") else "category"
        return _coded(
            Code(what, str(found.get(what) or "")),
            str(found["quantity"]),
            Code("unit", str(found["unit"])),
            str(found.get("place") or ""),
        )
    for key in _TITLE_KEYS:
        value = found.get(key)
        if isinstance(value, str) and value.strip():
            return _short(value)
    return str(obj.get("id", ""))


def tlp_of(obj: Mapping[str, Any]) -> str | None:
    """The TLP level named by the object's marking references, if any."""
    for ref in obj.get("object_marking_refs") or ():
        tlp = TLP_BY_MARKING_ID.get(str(ref))
        if tlp is not None:
            return tlp.value
    return None


def shown_value(value: Any) -> str:
    """A property value as text: lists joined, nested objects as key=value."""
    if isinstance(value, list | tuple):
        return ", ".join(shown_value(item) for item in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={shown_value(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


def _coded(*parts: str | Code) -> Title:
    kept = tuple(p for p in parts if (p.value if isinstance(p, Code) else p.strip()))
    text = " ".join(part.value if isinstance(part, Code) else part for part in kept)
    return Title(_short(text), kept)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _LONGEST_TITLE else text[: _LONGEST_TITLE - 1] + "…"


def titles_of(connection: Connection, ids: Iterable[str]) -> dict[str, str]:
    """Record id -> the title of its newest version, for the ids this node holds."""
    wanted = sorted(set(ids))
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = connection.execute(
            select(records.c.id, records.c.modified, records.c.stix).where(records.c.id.in_(chunk))
        )
        for record_id, modified, stix in rows:
            if record_id not in found or modified > found[record_id][0]:
                found[record_id] = (modified, stix)
    return {record_id: record_title(orjson.loads(stix)) for record_id, (_, stix) in found.items()}
