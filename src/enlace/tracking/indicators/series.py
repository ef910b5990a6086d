"""Indicator series: each definition computed over a store, one point per period.

Records indicators are aggregated in the database (indicators.records); statistics
indicators sum CBP's published months (store.statistics). Each series holds one point per
period from the first period with data to the last one, empty periods as 0, none starting
after `today`. See docs/indicators.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from enlace.model.vocabulary import POUNDS_PER_KG
from enlace.store.repositories.statistics import CbpStatisticsRepository
from enlace.store.store import Store
from enlace.tracking.indicators.definitions import IndicatorDefinition, IndicatorPoint
from enlace.tracking.indicators.periods import (
    FISCAL_YEAR_START_MONTH,
    next_period,
    period_of,
)
from enlace.tracking.indicators.records import record_day_totals


@dataclass(frozen=True, slots=True)
class IndicatorSeries:
    """An indicator's observations in time order, with its baseline and target."""

    id: str
    name_es: str
    name_en: str
    unit: str
    period_kind: str  # "calendar-year" | "fiscal-year" | "month"
    points: tuple[IndicatorPoint, ...]
    baseline: IndicatorPoint | None
    target: IndicatorPoint | None
    commitment_ref: str | None
    # Records that matched but could not be summed in the indicator's unit (e.g. pills
    # or litres for a kg indicator): left out of the values, counted here.
    skipped: int = 0


def compute_indicators(
    store: Store, definitions: Sequence[IndicatorDefinition], *, today: date
) -> list[IndicatorSeries]:
    """Compute every definition over the store, in one read-only unit of work."""
    # Keyed by position, not id: a caller may compute two definitions with the same id.
    sums: list[dict[date, tuple[str, float]]] = [{} for _ in definitions]
    skipped = [0] * len(definitions)
    with store.unit_of_work() as uow:  # only reads: nothing to commit
        by_kind: dict[str, list[int]] = defaultdict(list)
        for index, definition in enumerate(definitions):
            if definition.source == "records":
                by_kind[definition.record_kind].append(index)
            else:
                repository = uow.statistics
                _add_statistics(repository, definition, sums[index])
        for kind, indexes in by_kind.items():
            group = [definitions[index] for index in indexes]
            for total in record_day_totals(uow.connection, kind, group):
                for index, value, skips in zip(indexes, total.values, total.skipped, strict=True):
                    skipped[index] += skips
                    if value is not None:
                        _add(sums[index], definitions[index], total.day, value)
    return [
        IndicatorSeries(
            id=d.id,
            name_es=d.name_es,
            name_en=d.name_en,
            unit=d.unit,
            period_kind=d.period,
            points=_points(sums[index], d, today),
            baseline=d.baseline,
            target=d.target,
            commitment_ref=d.commitment_ref,
            skipped=skipped[index],
        )
        for index, d in enumerate(definitions)
    ]


def _add_statistics(
    repository: CbpStatisticsRepository,
    definition: IndicatorDefinition,
    sums: dict[date, tuple[str, float]],
) -> None:
    for month in repository.month_totals(dict(definition.filters)):
        # CBP's months are numbered in the fiscal year: October of FY2023 is October 2022.
        year = (
            month.fiscal_year - 1 if month.month >= FISCAL_YEAR_START_MONTH else month.fiscal_year
        )
        day = date(year, month.month, 1)
        if definition.measure == "count":
            value = float(month.event_count)
        elif definition.unit == "kg":
            value = month.quantity_lbs / POUNDS_PER_KG
        else:
            value = month.quantity_lbs
        _add(sums, definition, day, value)


def _add(
    sums: dict[date, tuple[str, float]], definition: IndicatorDefinition, day: date, value: float
) -> None:
    label, start = period_of(day, definition.period)
    held = sums.get(start)
    sums[start] = (label, value if held is None else held[1] + value)


def _points(
    sums: dict[date, tuple[str, float]], definition: IndicatorDefinition, today: date
) -> tuple[IndicatorPoint, ...]:
    starts = sorted(start for start in sums if start <= today)
    if not starts:
        return ()
    points = []
    start = starts[0]
    while start <= starts[-1]:
        label, value = sums.get(start, (period_of(start, definition.period)[0], 0.0))
        points.append(IndicatorPoint(period=label, start=start, value=value))
        start = next_period(start, definition.period)
    return tuple(points)


def series_by_id(series: Iterable[IndicatorSeries]) -> dict[str, IndicatorSeries]:
    """Index computed series by indicator id."""
    return {s.id: s for s in series}
