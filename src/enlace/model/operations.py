"""Planned operations (operativos) and the keys deconfliction compares privately.

An operation is never a record: it does not travel by sync, and a partner learns of it only
that one of its keys is also one of the partner's, and the liaison's contact
(docs/deconfliction.md). Its keys:

- each target identifier, normalised as matching normalises it
  (`enlace.model.identifiers.normalise`), as `target|<kind>|<key>`;
- for each UTC day of its window, the cell of its area point on a fixed grid of
  `CELL_DEGREES` and the 8 cells around it, as `area|<lat cell>|<lon cell>|<day>`: two
  operations whose points are within about two cells of each other on a common day share
  at least one such key (the cells around each point overlap).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from enlace.model.errors import RecordError
from enlace.model.identifiers import IdentifierKind, InvalidIdentifier, normalise

CELL_DEGREES = 0.05  # about 5.5 km of latitude: coarse on purpose (docs/deconfliction.md)
MAX_WINDOW_DAYS = 31  # a longer window would be a guess list of cells by the day
MAX_TARGETS = 50
MAX_CONTACT = 200  # characters of the liaison's contact
TARGET_PREFIX = "target"
AREA_PREFIX = "area"
_TARGET_FORM = "KIND:IDENTIFIER with KIND one of " + ", ".join(
    kind.value for kind in IdentifierKind
)


@dataclass(frozen=True, slots=True)
class PlannedOperation:
    """What a liaison registers: checked, with its targets normalised."""

    reference: str
    agency: str
    contact: str
    targets: tuple[tuple[IdentifierKind, str], ...]
    latitude: float
    longitude: float
    starts: date
    ends: date

    def keys(self) -> list[str]:
        """The keys deconfliction compares (see the module), sorted, without repeats."""
        found = {f"{TARGET_PREFIX}|{kind.value}|{key}" for kind, key in self.targets}
        found.update(area_keys(self.latitude, self.longitude, self.starts, self.ends))
        return sorted(found)


def plan_operation(
    *,
    reference: str,
    agency: str,
    contact: str,
    targets: Iterable[str],
    latitude: float,
    longitude: float,
    starts: date,
    ends: date,
    default_region: str | None = None,
) -> PlannedOperation:
    """The operation, checked; RecordError naming the field and what it expects.

    `default_region` (the node's party) reads a phone number written without its country
    code, as the node's own records are read."""
    reference = _text("reference", reference, 128)
    agency = _text("agency", agency, 128)
    contact = _text("contact", contact, MAX_CONTACT)
    if not -90.0 <= latitude <= 90.0 or not math.isfinite(latitude):
        raise RecordError("latitude", str(latitude), "a number from -90 to 90")
    if not -180.0 <= longitude <= 180.0 or not math.isfinite(longitude):
        raise RecordError("longitude", str(longitude), "a number from -180 to 180")
    if ends < starts:
        raise RecordError("ends", ends.isoformat(), f"a date on or after {starts.isoformat()}")
    days = (ends - starts).days + 1
    if days > MAX_WINDOW_DAYS:
        raise RecordError(
            "ends",
            ends.isoformat(),
            f"a window of at most {MAX_WINDOW_DAYS} days (this one has {days}): "
            "register a longer operation as several",
        )
    parsed = tuple(dict.fromkeys(parse_target(text, default_region) for text in targets))
    if len(parsed) > MAX_TARGETS:
        raise RecordError("target", f"{len(parsed)} targets", f"at most {MAX_TARGETS}")
    return PlannedOperation(reference, agency, contact, parsed, latitude, longitude, starts, ends)


def parse_target(text: str, default_region: str | None = None) -> tuple[IdentifierKind, str]:
    """`phone:+52 55 1234 5678` -> (PHONE, '+525512345678'); RecordError otherwise."""
    name, colon, raw = text.partition(":")
    if not colon or not raw.strip():
        raise RecordError("target", text, _TARGET_FORM)
    try:
        kind = IdentifierKind(name.strip().lower())
    except ValueError:
        raise RecordError("target", text, _TARGET_FORM) from None
    try:
        return kind, normalise(kind, raw.strip(), default_region=default_region)
    except InvalidIdentifier as error:
        raise RecordError("target", text, f"a valid {kind.value} ({error})") from None


def area_keys(latitude: float, longitude: float, starts: date, ends: date) -> list[str]:
    """The point's cell and its 8 neighbours, for each day from `starts` to `ends`."""
    row = math.floor(latitude / CELL_DEGREES)
    column = math.floor(longitude / CELL_DEGREES)
    cells = [(row + dr, column + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
    keys: list[str] = []
    day = starts
    while day <= ends:
        keys.extend(f"{AREA_PREFIX}|{r}|{c}|{day.isoformat()}" for r, c in cells)
        day += timedelta(days=1)
    return keys


def matched_on(key: str) -> str:
    """What a shared key says the two operations have in common: 'target' or 'area'."""
    return TARGET_PREFIX if key.startswith(TARGET_PREFIX + "|") else AREA_PREFIX


def _text(field: str, value: str, most: int) -> str:
    value = value.strip()
    if not value or len(value) > most or any(ord(c) < 32 for c in value):
        raise RecordError(field, value, f"1 to {most} printable characters")
    return value
