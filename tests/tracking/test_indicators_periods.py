"""Periods: US fiscal years start on 1 October; labels and first days agree."""

from __future__ import annotations

from datetime import date

import pytest

from enlace.tracking.indicators.periods import (
    fiscal_year_of,
    next_period,
    period_of,
    period_start,
)


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [(date(2023, 9, 30), 2023), (date(2023, 10, 1), 2024), (date(2024, 1, 1), 2024)],
)
def test_fiscal_year_turns_on_1_october(day: date, fiscal_year: int) -> None:
    assert fiscal_year_of(day) == fiscal_year
    assert period_of(day, "fiscal-year") == (f"FY{fiscal_year}", date(fiscal_year - 1, 10, 1))


@pytest.mark.parametrize(
    ("label", "kind", "start"),
    [
        ("2023", "calendar-year", date(2023, 1, 1)),
        ("FY2023", "fiscal-year", date(2022, 10, 1)),
        ("2023-05", "month", date(2023, 5, 1)),
        ("2023-13", "month", None),
        ("2023", "fiscal-year", None),
        ("FY2023", "month", None),
    ],
)
def test_period_labels_give_their_first_day_or_none(
    label: str, kind: str, start: date | None
) -> None:
    assert period_start(label, kind) == start  # type: ignore[arg-type]


def test_next_period_crosses_year_ends() -> None:
    assert next_period(date(2023, 12, 1), "month") == date(2024, 1, 1)
    assert next_period(date(2022, 10, 1), "fiscal-year") == date(2023, 10, 1)
    assert next_period(date(2023, 1, 1), "calendar-year") == date(2024, 1, 1)
