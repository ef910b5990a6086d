"""Periods of an indicator: calendar year, US fiscal year (from 1 October) or month.

A period has a label ("2023", "FY2023", "2023-05") and a first day. Fiscal year N runs from
1 October of N-1 to 30 September of N, as CBP and the US government count it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

PeriodKind = Literal["calendar-year", "fiscal-year", "month"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("calendar-year", "fiscal-year", "month")
FISCAL_YEAR_START_MONTH = 10

_LABEL = {
    "calendar-year": re.compile(r"(\d{4})"),
    "fiscal-year": re.compile(r"FY(\d{4})"),
    "month": re.compile(r"(\d{4})-(\d{2})"),
}
_EXAMPLE = {"calendar-year": "2023", "fiscal-year": "FY2023", "month": "2023-05"}


def fiscal_year_of(day: date) -> int:
    """The US fiscal year a day falls in (1 October 2023 is in FY2024)."""
    return day.year + 1 if day.month >= FISCAL_YEAR_START_MONTH else day.year


def period_of(day: date, kind: PeriodKind) -> tuple[str, date]:
    """(label, first day) of the period of `kind` that holds `day`."""
    if kind == "calendar-year":
        return str(day.year), date(day.year, 1, 1)
    if kind == "fiscal-year":
        year = fiscal_year_of(day)
        return f"FY{year}", date(year - 1, FISCAL_YEAR_START_MONTH, 1)
    return f"{day.year:04d}-{day.month:02d}", date(day.year, day.month, 1)


def period_start(label: str, kind: PeriodKind) -> date | None:
    """The first day of the period a label names, or None when it is not a label of `kind`."""
    found = _LABEL[kind].fullmatch(label)
    if found is None:
        return None
    year = int(found.group(1))
    if kind == "calendar-year":
        return date(year, 1, 1)
    if kind == "fiscal-year":
        return date(year - 1, FISCAL_YEAR_START_MONTH, 1)
    month = int(found.group(2))
    return date(year, month, 1) if 1 <= month <= 12 else None


def label_example(kind: PeriodKind) -> str:
    """How a period label of `kind` is written, for messages."""
    return _EXAMPLE[kind]


def next_period(start: date, kind: PeriodKind) -> date:
    """The first day of the period after the one starting on `start`."""
    if kind == "month":
        return date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return date(start.year + 1, start.month, 1)


__all__ = [
    "PERIOD_KINDS",
    "PeriodKind",
    "fiscal_year_of",
    "label_example",
    "next_period",
    "period_of",
    "period_start",
]
