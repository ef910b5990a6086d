"""Indicator definitions: the TOML file coordinators read and edit, checked field by field.

Every problem names the file, the indicator, the field and what is allowed; see
docs/indicators.md for the format. The definitions shipped with Enlace are
default_indicators.toml, next to this module.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from enlace.model.errors import RecordError
from enlace.model.parties import party_code
from enlace.model.records import parsers
from enlace.model.vocabulary import DrugType, SeizedCategory, parse_choice
from enlace.tracking.indicators.periods import (
    PERIOD_KINDS,
    PeriodKind,
    label_example,
    period_start,
)

DEFAULT_DEFINITIONS = "default_indicators.toml"  # shipped next to this module

Source = Literal["records", "statistics"]
Measure = Literal["count", "sum"]
UNITS = ("kg", "lbs", "count", "events")
SOURCES: tuple[Source, ...] = ("records", "statistics")
MEASURES: tuple[Measure, ...] = ("count", "sum")
# The units each measure gives: a count of records or events, or a sum of quantities.
UNITS_BY_MEASURE: dict[str, tuple[str, ...]] = {
    "count": ("events",),
    "sum": ("kg", "lbs", "count"),
}
FIELDS = (
    "id",
    "name_es",
    "name_en",
    "unit",
    "source",
    "measure",
    "period",
    "filters",
    "baseline",
    "target",
    "commitment",
    "direction",
)
# Which way an indicator should move for the commitment it measures to be met.
DIRECTIONS = ("up", "down")
_REQUIRED = ("id", "name_es", "name_en", "unit", "source", "measure", "period")

# Record kinds an indicator can count, and the field that dates each record.
RECORD_KIND_DATES = {
    "seizure": "seizure_date",
    "laboratory": "found_date",
    "custody-transfer": "transfer_date",
}
ORIGINS = ("any", "own", "partners")
_CBP_REGIONS = ("Southwest Border", "Northern Border", "Coastal/Interior")
_CBP_COMPONENTS = ("Office of Field Operations", "U.S. Border Patrol")
_CBP_LAND_FILTERS = ("Land Only", "Other")


class IndicatorDefinitionError(ValueError):
    """An indicator file that cannot be used; the message names file, indicator and field."""


@dataclass(frozen=True, slots=True)
class IndicatorPoint:
    """One observation: a period (label and first day) and its value."""

    period: str
    start: date
    value: float


@dataclass(frozen=True, slots=True)
class IndicatorDefinition:
    """What an indicator measures, over which data, per which period, against what."""

    id: str
    name_es: str
    name_en: str
    unit: str
    source: Source
    measure: Measure
    period: PeriodKind
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    baseline: IndicatorPoint | None = None
    target: IndicatorPoint | None = None
    commitment_ref: str | None = None
    direction: str | None = None  # "up" or "down" is good; None when not said

    def filter_values(self, name: str) -> tuple[str, ...]:
        """The values a filter allows (empty: the filter is not set)."""
        return dict(self.filters).get(name, ())

    @property
    def record_kind(self) -> str:
        """For a records indicator: the kind of record it counts (seizure by default)."""
        return self.filter_values("kind")[0] if self.filter_values("kind") else "seizure"


def default_definitions_path() -> Path:
    """The indicator definitions shipped with Enlace (a TOML file to copy and edit)."""
    return Path(str(resources.files("enlace.tracking.indicators").joinpath(DEFAULT_DEFINITIONS)))


def load_definitions(path: Path) -> list[IndicatorDefinition]:
    """Read the indicator definitions of a TOML file; raise IndicatorDefinitionError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise IndicatorDefinitionError(f"{path}: cannot read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise IndicatorDefinitionError(f"{path}: not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise IndicatorDefinitionError(f"{path.name}: not valid TOML ({error})") from None
    unknown = sorted(set(document) - {"indicator"})
    if unknown:
        raise IndicatorDefinitionError(
            f"{path.name}: unknown table {', '.join(unknown)}; expected only [[indicator]] entries"
        )
    entries = document.get("indicator", [])
    if not isinstance(entries, list) or not entries:
        raise IndicatorDefinitionError(f"{path.name}: no [[indicator]] entries")
    definitions: list[IndicatorDefinition] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        definition = _definition(_Where(path.name, number, entry), entry)
        if definition.id in seen:
            raise IndicatorDefinitionError(
                f"{path.name}, indicator {definition.id!r}: the id is used twice; "
                "expected each id once"
            )
        seen.add(definition.id)
        definitions.append(definition)
    return definitions


@dataclass(frozen=True, slots=True)
class _Where:
    file: str
    number: int
    entry: Any

    def error(self, field: str, problem: str) -> IndicatorDefinitionError:
        name = self.entry.get("id") if isinstance(self.entry, dict) else None
        who = f"indicator {name!r}" if isinstance(name, str) else f"indicator #{self.number}"
        return IndicatorDefinitionError(f"{self.file}, {who}, field {field!r}: {problem}")


def _definition(where: _Where, entry: object) -> IndicatorDefinition:
    if not isinstance(entry, dict):
        raise where.error("indicator", "expected a table of fields")
    for name in entry:
        if name not in FIELDS:
            raise where.error(name, "unknown field; allowed: " + ", ".join(FIELDS))
    for name in _REQUIRED:
        if name not in entry:
            raise where.error(name, "missing; every indicator needs " + ", ".join(_REQUIRED))
    text = {name: _text(where, entry, name) for name in _REQUIRED}
    unit = _one_of(where, "unit", text["unit"], UNITS)
    source = cast(Source, _one_of(where, "source", text["source"], SOURCES))
    measure = cast(Measure, _one_of(where, "measure", text["measure"], MEASURES))
    period = cast(PeriodKind, _one_of(where, "period", text["period"], PERIOD_KINDS))
    if unit not in UNITS_BY_MEASURE[measure]:
        raise where.error(
            "unit",
            f"{unit!r} does not go with measure {measure!r}; allowed: "
            + ", ".join(UNITS_BY_MEASURE[measure]),
        )
    if source == "statistics" and unit == "count":
        raise where.error("unit", "CBP statistics give pounds and events; allowed: kg, lbs, events")
    filters = _filters(where, entry.get("filters", {}), source)
    definition = IndicatorDefinition(
        id=text["id"],
        name_es=text["name_es"],
        name_en=text["name_en"],
        unit=unit,
        source=source,
        measure=measure,
        period=period,
        filters=filters,
        baseline=_point(where, entry, "baseline", period),
        target=_point(where, entry, "target", period),
        commitment_ref=_commitment(where, entry),
        direction=_direction(where, entry),
    )
    _check_target(where, definition)
    if source == "records" and measure == "sum" and definition.record_kind != "seizure":
        raise where.error(
            "measure",
            f"only seizures have quantities to sum; a {definition.record_kind} is counted",
        )
    return definition


def _text(where: _Where, entry: Mapping[str, object], name: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise where.error(name, f"expected non-empty text, got {value!r}")
    return value.strip()


def _one_of(where: _Where, field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise where.error(field, f"{value!r} is not allowed; allowed: " + ", ".join(allowed))
    return value


def _point(
    where: _Where, entry: Mapping[str, object], field: str, period: PeriodKind
) -> IndicatorPoint | None:
    raw = entry.get(field)
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"period", "value"}:
        raise where.error(field, "expected a table with exactly 'period' and 'value'")
    label, value = raw["period"], raw["value"]
    if isinstance(label, int) and period == "calendar-year":
        label = str(label)  # `period = 2023` is what people write for a year
    start = period_start(label, period) if isinstance(label, str) else None
    if start is None:
        raise where.error(
            f"{field}.period", f"{label!r} is not a {period} period like {label_example(period)!r}"
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise where.error(f"{field}.value", f"expected a number, got {value!r}")
    return IndicatorPoint(period=label, start=start, value=float(value))


def _commitment(where: _Where, entry: Mapping[str, object]) -> str | None:
    raw = entry.get("commitment")
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.startswith("enlace-commitment--"):
        raise where.error(
            "commitment", f"expected a record id 'enlace-commitment--<uuid>', got {raw!r}"
        )
    return raw


def _direction(where: _Where, entry: Mapping[str, object]) -> str | None:
    raw = entry.get("direction")
    if raw is None:
        return None
    if not isinstance(raw, str) or raw not in DIRECTIONS:
        raise where.error("direction", f"{raw!r} is not allowed; allowed: up, down")
    return raw


def _check_target(where: _Where, definition: IndicatorDefinition) -> None:
    # A target that says the indicator should move against its own direction is a typo in
    # one of the two, and a report built on it would call a miss a success.
    baseline, target, direction = definition.baseline, definition.target, definition.direction
    if baseline is None or target is None:
        return
    if target.start <= baseline.start:
        raise where.error(
            "target.period",
            f"{target.period} is not after the baseline's period {baseline.period}; "
            "expected a target period later than the baseline",
        )
    if direction is None:
        return
    if (direction == "up" and target.value < baseline.value) or (
        direction == "down" and target.value > baseline.value
    ):
        raise where.error(
            "target.value",
            f"{target.value:g} is {'below' if direction == 'up' else 'above'} the baseline "
            f"{baseline.value:g}, but direction is {direction!r}; expected a target "
            f"{'above' if direction == 'up' else 'below'} the baseline or the other direction",
        )


# --- filters -------------------------------------------------------------------------------


def _kind(raw: str, field: str) -> str:
    if raw not in RECORD_KIND_DATES:
        raise RecordError(field, raw, "one of " + ", ".join(RECORD_KIND_DATES))
    return raw


def _origin(raw: str, field: str) -> str:
    if raw not in ORIGINS:
        raise RecordError(field, raw, "one of " + ", ".join(ORIGINS))
    return raw


def _among(allowed: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(raw: str, field: str) -> str:
        if raw not in allowed:
            raise RecordError(field, raw, "one of " + ", ".join(allowed))
        return raw

    return parse


def _cbp_drug(raw: str, field: str) -> str:
    return DrugType.from_cbp(raw).cbp_name  # "fentanyl" and "Fentanyl" both name CBP's Fentanyl


def _any_text(raw: str, field: str) -> str:
    return raw.strip()


RECORD_FILTERS: dict[str, Callable[[str, str], str]] = {
    "kind": _kind,
    "category": lambda raw, field: parse_choice(SeizedCategory, raw, field=field).value,
    "drug_type": lambda raw, field: parse_choice(DrugType, raw, field=field).value,
    "state": parsers.subdivision,
    "port_code": parsers.port_code,
    "owner": lambda raw, field: party_code(raw, field=field),
    "origin": _origin,
}
STATISTICS_FILTERS: dict[str, Callable[[str, str], str]] = {
    "region": _among(_CBP_REGIONS),
    "component": _among(_CBP_COMPONENTS),
    "land_filter": _among(_CBP_LAND_FILTERS),
    "area": _any_text,
    "drug_type": _cbp_drug,
}
# Filters that only make sense for seizures (laboratories have a state too).
SEIZURE_ONLY_FILTERS = ("category", "drug_type", "port_code")


def _filters(where: _Where, raw: object, source: Source) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(raw, dict):
        raise where.error("filters", 'expected a table such as { drug_type = "fentanyl" }')
    allowed = RECORD_FILTERS if source == "records" else STATISTICS_FILTERS
    parsed: list[tuple[str, tuple[str, ...]]] = []
    for name, value in raw.items():
        if name not in allowed:
            raise where.error(
                f"filters.{name}",
                f"unknown filter for source {source!r}; allowed: " + ", ".join(allowed),
            )
        values = [value] if isinstance(value, str) else value
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            raise where.error(f"filters.{name}", f"expected text or a list of text, got {value!r}")
        try:
            parsed.append((name, tuple(dict.fromkeys(allowed[name](v, name) for v in values))))
        except RecordError as error:
            raise where.error(
                f"filters.{name}", f"{error.found!r} is not allowed; expected {error.expected}"
            ) from None
    chosen = dict(parsed)
    for name in ("kind", "origin"):
        if len(chosen.get(name, ())) > 1:
            raise where.error(f"filters.{name}", "expected one value")
    kind = chosen.get("kind", ("seizure",))[0]
    if source == "records" and kind != "seizure":
        for name in SEIZURE_ONLY_FILTERS + (("state",) if kind == "custody-transfer" else ()):
            if name in chosen:
                raise where.error(f"filters.{name}", f"does not apply to kind {kind!r}")
    return tuple(sorted(parsed))


__all__ = [
    "DIRECTIONS",
    "FIELDS",
    "RECORD_FILTERS",
    "RECORD_KIND_DATES",
    "STATISTICS_FILTERS",
    "IndicatorDefinition",
    "IndicatorDefinitionError",
    "IndicatorPoint",
    "load_definitions",
]
