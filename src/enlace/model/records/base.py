"""The record envelope every type shares, and its mapping to and from STIX 2.1 JSON."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from enlace.model import extensions as ext
from enlace.model.errors import RecordError
from enlace.model.markings import (
    TLP_BY_MARKING_ID,
    TLP_MARKING_IDS,
    Evaluation,
    HandlingCode,
    Markings,
)
from enlace.model.parties import party_code, party_codes
from enlace.model.records.fields import BoundField, bound_fields, is_blank, to_json_value
from enlace.model.timestamps import format_timestamp, parse_timestamp

# Namespace for ids Enlace derives from content (agencies, imported rows without an id).
ENLACE_NAMESPACE = uuid.UUID("6f0d3c1e-2b7a-5e49-8c1d-4a9e0b7f3d21")

IdentifierKey = tuple[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """A STIX 2.1 object held by a node, versioned by id + modified, owned by a party."""

    STIX_TYPE: ClassVar[str]
    KIND: ClassVar[str]  # the name users write: "seizure", "person", ...
    TYPE_EXTENSION: ClassVar[ext.ExtensionDefinition | None] = None
    FIXED: ClassVar[Mapping[str, object]] = {}  # STIX properties every object of the kind has

    id: str
    owner: str
    markings: Markings
    created: datetime
    modified: datetime
    created_by_ref: str | None = None
    revoked: bool = False

    def __post_init__(self) -> None:
        prefix = self.STIX_TYPE + "--"
        if not self.id.startswith(prefix):
            raise RecordError("id", self.id, f"a STIX id '{prefix}<uuid>'")
        if self.modified < self.created:
            raise RecordError(
                "modified", format_timestamp(self.modified), "a time not before 'created'"
            )

    # --- identifiers ---------------------------------------------------------------------

    def identifier_keys(self) -> tuple[IdentifierKey, ...]:
        """Normalised identifiers (kind, key) that private matching compares; none by default."""
        return ()

    # --- STIX ------------------------------------------------------------------------------

    @property
    def version_key(self) -> tuple[str, str]:
        """(id, modified) as stored text: what makes a version unique."""
        return (self.id, _timestamp_text(self.modified))

    def to_stix(self) -> dict[str, object]:
        """This record as a STIX 2.1 JSON object (a plain dict)."""
        obj: dict[str, object] = {
            "type": self.STIX_TYPE,
            "spec_version": "2.1",
            "id": self.id,
            "created": "",
            "modified": _timestamp_text(self.modified),
        }
        # Most records are created as their first version: format the moment once.
        obj["created"] = (
            obj["modified"] if self.created == self.modified else _timestamp_text(self.created)
        )
        if self.created_by_ref:
            obj["created_by_ref"] = self.created_by_ref
        if self.revoked:
            obj["revoked"] = True
        obj.update(self.FIXED)
        type_body: dict[str, object] = {}
        for name, stix_name, top in _plan_of(type(self)).stix:
            value = getattr(self, name)
            kind = value.__class__
            if kind is str or kind is float or kind is int:  # already JSON, as most values are
                pass
            elif value is None or value == ():
                continue
            else:
                value = to_json_value(value)
            if top:
                obj[stix_name] = value
            else:
                type_body[stix_name] = value
        obj["object_marking_refs"] = [TLP_MARKING_IDS[self.markings.tlp]]
        extensions: dict[str, object] = {}
        if self.TYPE_EXTENSION is not None:
            if self.TYPE_EXTENSION.extension_type == "new-sdo":
                extensions[self.TYPE_EXTENSION.id] = {"extension_type": "new-sdo"}
            else:
                extensions[self.TYPE_EXTENSION.id] = {
                    "extension_type": "property-extension",
                    **type_body,
                }
        extensions[ext.MARKINGS.id] = _markings_extension(self.owner, self.markings)
        obj["extensions"] = extensions
        return obj

    @classmethod
    def from_stix(cls, obj: Mapping[str, Any]) -> Self:
        """Build a record from its STIX JSON, validating every field; raise RecordError."""
        if obj.get("type") != cls.STIX_TYPE:
            raise RecordError("type", obj.get("type"), f"'{cls.STIX_TYPE}'")
        if obj.get("spec_version") != "2.1":
            raise RecordError("spec_version", obj.get("spec_version"), "'2.1'")
        exts = obj.get("extensions")
        if not isinstance(exts, Mapping):
            raise RecordError("extensions", exts, "the Enlace markings extension")
        owner, markings = _markings_from_stix(obj, exts)
        type_body: Mapping[str, Any] = {}
        if cls.TYPE_EXTENSION is not None and cls.TYPE_EXTENSION.extension_type != "new-sdo":
            body = exts.get(cls.TYPE_EXTENSION.id, {})
            type_body = body if isinstance(body, Mapping) else {}
        values = {
            bound.name: (obj if bound.spec.place == "top" else type_body).get(bound.stix_name)
            for bound in _fields_of(cls)
        }
        return cls.from_values(
            id=_text_field(obj, "id"),
            owner=owner,
            markings=markings,
            created=parse_timestamp(obj.get("created"), field="created"),
            modified=parse_timestamp(obj.get("modified"), field="modified"),
            created_by_ref=obj.get("created_by_ref"),
            revoked=bool(obj.get("revoked", False)),
            values=values,
        )

    @classmethod
    def from_values(
        cls,
        *,
        id: str,
        owner: str,
        markings: Markings,
        created: datetime,
        modified: datetime,
        created_by_ref: str | None,
        revoked: bool = False,
        values: Mapping[str, object],
    ) -> Self:
        """Build a record from raw field values (CSV cells or JSON), parsing each one."""
        parsed: dict[str, object] = {}
        for name, parse, required in _plan_of(cls).parse:
            raw = values.get(name)
            # is_blank, with the common cases (no value, a CSV cell) tested first.
            if raw is None or (
                (not raw or raw.isspace()) if raw.__class__ is str else is_blank(raw)
            ):
                if required:
                    raise RecordError(name, raw, "a value (the field is required)")
                continue
            parsed[name] = parse(raw, name)
        if created_by_ref is not None and not (
            isinstance(created_by_ref, str) and created_by_ref.startswith("identity--")
        ):
            raise RecordError(
                "created_by_ref", created_by_ref, "an 'identity--<uuid>' of an agency"
            )
        return cls(
            id=id,
            owner=owner,
            markings=markings,
            created=created,
            modified=modified,
            created_by_ref=created_by_ref,
            revoked=revoked,
            **parsed,
        )

    def with_version(self, *, modified: datetime, **changes: object) -> Self:
        """A new version of this record (same id), as only its owner may issue."""
        return dataclasses.replace(self, modified=modified, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class _FieldPlan:
    """A record class's fields, flattened for the per-record loops of import and export."""

    fields: tuple[BoundField, ...]
    stix: tuple[tuple[str, str, bool], ...]  # (attribute, STIX name, at the top level)
    parse: tuple[tuple[str, Callable[[object, str], Any], bool], ...]  # (name, parser, required)


_PLANS: dict[type, _FieldPlan] = {}


def _plan_of(cls: type) -> _FieldPlan:
    # Looked up for every row of an import: computed once per class.
    found = _PLANS.get(cls)
    if found is None:
        fields = bound_fields(cls)
        found = _PLANS[cls] = _FieldPlan(
            fields=fields,
            stix=tuple((b.name, b.stix_name, b.spec.place == "top") for b in fields),
            parse=tuple((b.name, b.spec.parse, b.spec.required) for b in fields),
        )
    return found


def _fields_of(cls: type) -> tuple[BoundField, ...]:
    return _plan_of(cls).fields


def _timestamp_text(moment: datetime) -> str:
    """format_timestamp(moment), without strftime for the UTC moments records hold."""
    if moment.tzinfo is UTC and moment.year >= 1000:  # strftime does not pad years < 1000
        return moment.isoformat(timespec="microseconds")[:-6] + "Z"
    return format_timestamp(moment)


def domain_fields(cls: type[Record]) -> tuple[BoundField, ...]:
    """The domain fields of a record class (for importers and documentation)."""
    return _fields_of(cls)


def _text_field(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise RecordError(name, value, "text")
    return value


def _markings_extension(owner: str, markings: Markings) -> dict[str, object]:
    head, releasable, tail = _markings_extension_parts(owner, markings)
    body: dict[str, object] = dict(head)
    if releasable:  # STIX 2.1 forbids empty lists: national only omits it
        body["releasable_to"] = list(releasable)  # a list of its own for each object
    body.update(tail)
    return body


_Items = tuple[tuple[str, object], ...]


@functools.lru_cache(maxsize=1024)
def _markings_extension_parts(
    owner: str, markings: Markings
) -> tuple[_Items, tuple[str, ...], _Items]:
    # Records share a handful of markings: work out each extension body once.
    tail: dict[str, object] = {
        "handling_code": markings.handling.value,
        "evaluation": str(markings.evaluation),
    }
    if markings.handling_text:
        tail["handling_text"] = markings.handling_text
    head = (("extension_type", "property-extension"), ("owner", owner))
    return head, tuple(sorted(markings.releasable_to)), tuple(tail.items())


def _markings_from_stix(obj: Mapping[str, Any], exts: Mapping[str, Any]) -> tuple[str, Markings]:
    body = exts.get(ext.MARKINGS.id)
    if not isinstance(body, Mapping):
        raise RecordError("extensions", sorted(exts), f"the markings extension {ext.MARKINGS.id}")
    refs = obj.get("object_marking_refs") or []
    releasable = body.get("releasable_to") or []
    try:
        # Records share a handful of markings: each combination is parsed once. Lists are
        # not hashable, so the key holds tuples; a value of any other shape is parsed (and
        # refused) the slow way.
        key = (
            tuple(refs),
            body.get("owner"),
            tuple(releasable),
            body.get("handling_code"),
            body.get("evaluation"),
            body.get("handling_text"),
        )
        return _parsed_markings(*key)
    except TypeError:  # something unhashable: not a valid marking anyway
        return _parse_markings(refs, body)


@functools.lru_cache(maxsize=1024)
def _parsed_markings(
    refs: tuple[Any, ...],
    owner: Any,
    releasable: tuple[Any, ...],
    handling: Any,
    evaluation: Any,
    handling_text: Any,
) -> tuple[str, Markings]:
    return _parse_markings(
        list(refs),
        {
            "owner": owner,
            "releasable_to": list(releasable),
            "handling_code": handling,
            "evaluation": evaluation,
            "handling_text": handling_text,
        },
    )


def _parse_markings(refs: Any, body: Mapping[str, Any]) -> tuple[str, Markings]:
    if not isinstance(refs, list | tuple):
        raise RecordError("object_marking_refs", refs, "exactly one TLP 2.0 marking-definition id")
    tlps = [TLP_BY_MARKING_ID[r] for r in refs if isinstance(r, str) and r in TLP_BY_MARKING_ID]
    if len(tlps) != 1:
        raise RecordError("object_marking_refs", refs, "exactly one TLP 2.0 marking-definition id")
    owner = party_code(str(body.get("owner", "")), field="owner")
    markings = Markings(
        tlp=tlps[0],
        releasable_to=party_codes(body.get("releasable_to") or [], field="releasable_to"),
        handling=HandlingCode.parse(str(body.get("handling_code", "")), field="handling_code"),
        evaluation=Evaluation.parse(str(body.get("evaluation", "")), field="evaluation"),
        handling_text=body.get("handling_text") or None,
    )
    return owner, markings


def derived_id(stix_type: str, *parts: str) -> str:
    """A stable id computed from content: the same parts always give the same id.

    STIX says SDO ids SHOULD be UUIDv4, so the SHA-256 of the parts is shaped as a version-4
    UUID (version and variant bits set): validators accept it, and re-importing the same
    row finds the same record.
    """
    digest = hashlib.sha256(("|".join((_NAMESPACE_TEXT, *parts))).encode()).digest()
    # What uuid.UUID(bytes=digest[:16], version=4) gives, without building the object.
    value = int.from_bytes(digest[:16])
    value = (value & _UUID4_CLEAR) | _UUID4_SET
    text = f"{value:032x}"
    return f"{stix_type}--{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_NAMESPACE_TEXT = str(ENLACE_NAMESPACE)
_UUID4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))  # variant and version bits
_UUID4_SET = (0x8000 << 48) | (4 << 76)  # RFC 4122 variant, version 4


def new_id(stix_type: str) -> str:
    """A fresh random STIX id."""
    return f"{stix_type}--{uuid.uuid4()}"
