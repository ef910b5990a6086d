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
    # The first day of the latest month the data covers: CBP's latest published month for
    # statistics, the month of `today` for the node's own records (they are current).
    latest_month: date | None = None
    # (period label, months of data, months in the period) of each partial period.
    partial: tuple[tuple[str, int, int], ...] = ()
    direction: str | None = None  # "up" or "down": which way is good; None when not said

    def coverage(self, period: str) -> tuple[int, int] | None:
        """(months of data, months in the period) when `period` is partial, else None."""
        return next(((have, of) for label, have, of in self.partial if label == period), None)

    def last_complete(self) -> IndicatorPoint | None:
        """The latest period with all its months of data: the one a comparison may use."""
        return next((p for p in reversed(self.points) if self.coverage(p.period) is None), None)


# How many months a series' latest data may lag the meeting reported on before it is stale:
# a month's figure is published within about two months; a year's (calendar or fiscal) is
# reported once it is over, so the year before the meeting's plus that publication lag.
STALE_AFTER_MONTHS = {"month": 3, "calendar-year": 15, "fiscal-year": 15}


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from the month of `earlier` to the month of `later`."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def is_stale(series: IndicatorSeries, on: date) -> bool:
    """Whether the series' latest data is older than its period allows on the day `on`.

    A series with no data at all is not stale (the report says it has no observations).
    """
    if series.latest_month is None:
        return False
    return months_between(series.latest_month, on) > STALE_AFTER_MONTHS[series.period_kind]


def compute_indicators(
    store: Store, definitions: Sequence[IndicatorDefinition], *, today: date
) -> list[IndicatorSeries]:
    """Compute every definition over the store, in one read-only unit of work."""
    # Keyed by position, not id: a caller may compute two definitions with the same id.
    sums: list[dict[date, tuple[str, float]]] = [{} for _ in definitions]
    skipped = [0] * len(definitions)
    held_months: set[date] = set()
    with store.unit_of_work() as uow:  # only reads: nothing to commit
        # Months CBP published at all, whatever the filters: a month with no fentanyl at a
        # border is a month of data (zero), not a missing one.
        for fiscal_year, numbers in uow.statistics.months_held().items():
            held_months.update(_cbp_day(fiscal_year, month) for month in numbers)
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
    this_month = date(today.year, today.month, 1)
    result = []
    for index, d in enumerate(definitions):
        points = _points(sums[index], d, today)
        if d.source == "statistics":
            months = {m for m in held_months if m <= today}
            latest = max(months) if months and points else None
        else:
            # The node's records are current to `today`: every month before this one is
            # covered, and this one only in part (so the year holding it is partial).
            first = points[0].start if points else this_month
            months = set(_months_from(first, this_month)) - {this_month}
            latest = this_month if points else None
        result.append(
            IndicatorSeries(
                id=d.id,
                name_es=d.name_es,
                name_en=d.name_en,
                unit=d.unit,
                period_kind=d.period,
                points=points,
                baseline=d.baseline,
                target=d.target,
                commitment_ref=d.commitment_ref,
                skipped=skipped[index],
                latest_month=latest,
                partial=_partial(points, months, d),
                direction=d.direction,
            )
        )
    return result


def _cbp_day(fiscal_year: int, month: int) -> date:
    # CBP's months are numbered in the fiscal year: October of FY2023 is October 2022.
    return date(fiscal_year - 1 if month >= FISCAL_YEAR_START_MONTH else fiscal_year, month, 1)


def _months_from(first: date, last: date) -> list[date]:
    months = []
    day = date(first.year, first.month, 1)
    while day <= last:
        months.append(day)
        day = next_period(day, "month")
    return months


def _partial(
    points: Sequence[IndicatorPoint], months: set[date], definition: IndicatorDefinition
) -> tuple[tuple[str, int, int], ...]:
    if definition.period == "month":
        return ()  # a month is covered or not; a missing one has no point
    partial = []
    for point in points:
        end = next_period(point.start, definition.period)
        have = sum(1 for m in months if point.start <= m < end)
        if have < 12:
            partial.append((point.period, have, 12))
    return tuple(partial)


def _add_statistics(
    repository: CbpStatisticsRepository,
    definition: IndicatorDefinition,
    sums: dict[date, tuple[str, float]],
) -> None:
    for month in repository.month_totals(dict(definition.filters)):
        day = _cbp_day(month.fiscal_year, month.month)
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
