"""Turning one input item (a CSV row, a JSON Lines row, a STIX object) into a record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from enlace.model import extensions as ext
from enlace.model.errors import RecordError
from enlace.model.markings import TLP_MARKING_IDS, Markings
from enlace.model.records import Record, class_for_kind, class_for_stix, derived_id, domain_fields
from enlace.model.timestamps import parse_timestamp

# Columns every row has besides the fields of its kind (docs/import-formats.md).
ENVELOPE_COLUMNS = (
    "type",
    "id",
    "created",
    "modified",
    "agency",
    "tlp",
    "releasable_to",
    "handling",
    "handling_text",
    "evaluation",
)
# Objects a bundle carries to describe Enlace itself; they are not records to store.
_DESCRIPTIVE_IDS = frozenset(
    [ext.ENLACE_IDENTITY_ID, *(e.id for e in ext.ALL), *TLP_MARKING_IDS.values()]
)


@lru_cache(maxsize=4096)
def _markings(
    tlp: str, releasable_to: str, handling: str, evaluation: str, handling_text: str
) -> Markings:
    # Rows repeat a handful of marking combinations: parse each combination once.
    return Markings.build(
        tlp=tlp or "amber",
        releasable_to=releasable_to,
        handling=handling or "H0",
        evaluation=evaluation or None,
        handling_text=handling_text or None,
    )


@lru_cache(maxsize=64)
def _field_names(kind: str) -> frozenset[str]:
    return frozenset(bound.name for bound in domain_fields(class_for_kind(kind)))


class RowConverter:
    """Builds records owned by `party`, authored by its known agencies."""

    def __init__(self, *, party: str, agencies: Mapping[str, str], now: datetime) -> None:
        self.party = party
        self.agencies = {acronym.upper(): agency for acronym, agency in agencies.items()}
        self.now = now

    def is_descriptive(self, obj: Mapping[str, Any]) -> bool:
        """True for the extension, TLP and Enlace identity objects a bundle carries along."""
        return obj.get("id") in _DESCRIPTIVE_IDS

    def from_stix(self, obj: Mapping[str, Any]) -> tuple[Record, bool]:
        """A record from a STIX object of this party; (record, timestamps_given=True)."""
        record = class_for_stix(obj).from_stix(obj)
        if record.owner != self.party:
            raise RecordError(
                "owner",
                record.owner,
                f"{self.party}: a node imports only its own party's records; partners' records "
                "arrive by sync",
            )
        return record, True

    def from_row(self, row: Mapping[str, Any]) -> tuple[Record, bool]:
        """A record from a flat row; (record, timestamps_given)."""
        kind = _cell(row, "type")
        if not kind:
            raise RecordError("type", "", "the kind of record, e.g. seizure, firearm, person")
        cls = class_for_kind(kind)
        fields = _field_names(cls.KIND)
        values: dict[str, Any] = {}
        for column, value in row.items():
            if column in fields:
                values[column] = value
            elif column not in ENVELOPE_COLUMNS and not _blank(value):
                raise RecordError(
                    column, value, f"no such column for a {cls.KIND} (see docs/import-formats.md)"
                )
        if cls.KIND == "phone" and _blank(values.get("country")):
            # A number typed without +52/+1 is taken to be from the importing party.
            values["country"] = self.party
        markings = _markings(
            _cell(row, "tlp"),
            _cell(row, "releasable_to"),
            _cell(row, "handling"),
            _cell(row, "evaluation"),
            _cell(row, "handling_text"),
        )
        acronym = _cell(row, "agency").upper()
        created_by: str | None = None
        if acronym:
            created_by = self.agencies.get(acronym)
            if created_by is None:
                raise RecordError(
                    "agency", acronym, "an agency of this node: " + ", ".join(sorted(self.agencies))
                )
        record_id = _cell(row, "id") or derived_id(
            cls.STIX_TYPE,
            self.party,
            cls.KIND,
            orjson.dumps(values, option=orjson.OPT_SORT_KEYS, default=str).decode(),
        )
        created_text, modified_text = _cell(row, "created"), _cell(row, "modified")
        given = bool(modified_text)
        modified = parse_timestamp(modified_text, field="modified") if given else self.now
        created = parse_timestamp(created_text, field="created") if created_text else modified
        return cls.from_values(
            id=record_id,
            owner=self.party,
            markings=markings,
            created=created,
            modified=modified,
            created_by_ref=created_by,
            values=values,
        ), given


def _cell(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return value.strip() if isinstance(value, str) else str(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []
