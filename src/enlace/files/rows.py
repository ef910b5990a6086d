"""Turning one input item (a CSV row, a JSON Lines row, a STIX object) into a record."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

import orjson

from enlace.files.readers import CsvRow
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
_ENVELOPE = frozenset(ENVELOPE_COLUMNS)
_MAX_LAYOUTS = 256  # (kind, header) pairs remembered; a file has a handful
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
        self._layouts: dict[tuple[type[Record], tuple[str, ...]], _CsvLayout] = {}
        self._envelopes: dict[tuple[tuple[str, ...], int], Callable[[list[str]], Any]] = {}

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
        if isinstance(row, CsvRow):
            envelope = self._csv_envelope(row)
        else:
            envelope = tuple(_cell(row, name) for name in ENVELOPE_COLUMNS)
        (
            kind,
            id_text,
            created_text,
            modified_text,
            agency,
            tlp,
            releasable_to,
            handling,
            handling_text,
            evaluation,
        ) = envelope
        if not kind:
            raise RecordError("type", "", "the kind of record, e.g. seizure, firearm, person")
        cls = class_for_kind(kind)
        values = self._csv_values(cls, row) if isinstance(row, CsvRow) else _values(cls, row)
        if cls.KIND == "phone" and _blank(values.get("country")):
            # A number typed without +52/+1 is taken to be from the importing party.
            values["country"] = self.party
        markings = _markings(tlp, releasable_to, handling, evaluation, handling_text)
        acronym = agency.upper()
        created_by: str | None = None
        if acronym:
            created_by = self.agencies.get(acronym)
            if created_by is None:
                raise RecordError(
                    "agency", acronym, "an agency of this node: " + ", ".join(sorted(self.agencies))
                )
        record_id = id_text or derived_id(
            cls.STIX_TYPE,
            self.party,
            cls.KIND,
            orjson.dumps(values, option=orjson.OPT_SORT_KEYS, default=str).decode(),
        )
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

    def _csv_envelope(self, row: CsvRow) -> tuple[str, ...]:
        """The envelope cells of a CSV row, stripped, in ENVELOPE_COLUMNS order ('' if absent)."""
        cells = row.cells
        key = (row.columns, len(cells))
        pick = self._envelopes.get(key)
        if pick is None:
            if len(self._envelopes) >= _MAX_LAYOUTS:
                self._envelopes.clear()
            # A column the header lacks reads the empty cell appended after the others.
            positions = [row.index.get(name, len(cells)) for name in ENVELOPE_COLUMNS]
            pick = self._envelopes[key] = itemgetter(*positions)
        return tuple(map(str.strip, pick([*cells, ""])))

    def _csv_values(self, cls: type[Record], row: CsvRow) -> dict[str, Any]:
        """What `_values` gives, through positions worked out once per kind and header."""
        layout = self._layouts.get((cls, row.columns))
        if layout is None:
            if len(self._layouts) >= _MAX_LAYOUTS:
                self._layouts.clear()
            layout = self._layouts[(cls, row.columns)] = _CsvLayout.of(cls, row)
        cells = row.cells
        values = {name: cells[position] for name, position in layout.fields}
        if not layout.others_empty(cells):
            for column, position in layout.others:
                value = cells[position]
                if value != "" and not _blank(value):
                    raise _no_such_column(cls, column, value)
        return values


@dataclass(frozen=True, slots=True)
class _CsvLayout:
    """Where a kind's fields, and the columns it must leave empty, are in a CSV header."""

    fields: tuple[tuple[str, int], ...]  # (field, position), in header order
    others: tuple[tuple[str, int], ...]  # columns neither envelope nor a field of the kind
    pick_others: Callable[[Sequence[str]], Any]

    @classmethod
    def of(cls, kind: type[Record], row: CsvRow) -> _CsvLayout:
        names = _field_names(kind.KIND)
        fields = tuple((c, row.index[c]) for c in row.columns if c in names)
        others = tuple(
            (c, row.index[c]) for c in row.columns if c not in names and c not in _ENVELOPE
        )
        positions = [position for _, position in others]
        pick: Callable[[Sequence[str]], Any]
        if len(positions) >= 2:
            pick = itemgetter(*positions)  # a tuple of cells, picked in C
        else:
            pick = lambda cells: tuple(cells[p] for p in positions)  # noqa: E731
        return cls(fields, others, pick)

    def others_empty(self, cells: Sequence[str]) -> bool:
        """True when every column outside the kind is an empty string (the common case)."""
        picked: tuple[str, ...] = self.pick_others(cells)
        return picked.count("") == len(self.others)


def _values(cls: type[Record], row: Mapping[str, Any]) -> dict[str, Any]:
    """The row's values for the fields of `cls`; any other non-blank column is an error."""
    fields = _field_names(cls.KIND)
    values: dict[str, Any] = {}
    for column, value in row.items():
        if column in fields:
            values[column] = value
        elif value == "" or column in _ENVELOPE or _blank(value):
            # A union header gives every row the other kinds' columns, empty: cheap first.
            continue
        else:
            raise _no_such_column(cls, column, value)
    return values


def _no_such_column(cls: type[Record], column: str, value: object) -> RecordError:
    return RecordError(
        column, value, f"no such column for a {cls.KIND} (see docs/import-formats.md)"
    )


def _cell(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return value.strip() if isinstance(value, str) else str(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []
