"""Indicators over records, computed in the database, checked with hand-made seizures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from enlace.model.records import Laboratory, agency_id, derived_id
from enlace.model.vocabulary import POUNDS_PER_KG
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from enlace.tracking.indicators.definitions import IndicatorDefinition
from enlace.tracking.indicators.series import IndicatorSeries, compute_indicators
from support.seizures import CREATED, SHARED, seizure, store_versions

TODAY = date(2026, 1, 1)


def definition(
    period: str = "month", unit: str = "kg", measure: str = "sum", **filters: str
) -> IndicatorDefinition:
    return IndicatorDefinition(
        id=f"test-{period}-{unit}",
        name_es="prueba",
        name_en="test",
        unit=unit,
        source="records",
        measure=measure,  # type: ignore[arg-type]
        period=period,  # type: ignore[arg-type]
        filters=tuple(sorted((name, (value,)) for name, value in filters.items())),
    )


def values(series: IndicatorSeries) -> dict[str, float]:
    return {p.period: p.value for p in series.points}


def compute(store: Store, *definitions: IndicatorDefinition) -> list[IndicatorSeries]:
    return compute_indicators(store, definitions, today=TODAY)


def test_fiscal_year_starts_on_1_october(store: Store) -> None:
    store_versions(
        store,
        seizure("a", "2023-09-30", 1.0),
        seizure("b", "2023-10-01", 2.0),
        seizure("c", "2024-09-30", 4.0),
        seizure("d", "2024-10-01", 8.0),
    )
    fiscal, calendar = compute(store, definition("fiscal-year"), definition("calendar-year"))
    assert values(fiscal) == {"FY2023": 1.0, "FY2024": 6.0, "FY2025": 8.0}
    assert [p.start for p in fiscal.points] == [
        date(2022, 10, 1),
        date(2023, 10, 1),
        date(2024, 10, 1),
    ]
    assert values(calendar) == {"2023": 3.0, "2024": 12.0}


def test_kilograms_and_pounds_are_converted_and_other_units_skipped(store: Store) -> None:
    store_versions(
        store,
        seizure("kg", "2025-03-02", 1.0, "kg"),
        seizure("lbs", "2025-03-20", POUNDS_PER_KG, "lbs"),
        seizure("pills", "2025-03-21", 500, "pills"),
    )
    in_kg, in_lbs, events = compute(
        store,
        definition(unit="kg"),
        definition(unit="lbs"),
        definition(unit="events", measure="count"),
    )
    assert values(in_kg) == {"2025-03": pytest.approx(2.0)}
    assert values(in_lbs) == {"2025-03": pytest.approx(2 * POUNDS_PER_KG)}
    assert in_kg.skipped == in_lbs.skipped == 1
    assert values(events) == {"2025-03": 3.0}
    assert events.skipped == 0


def test_only_the_latest_version_counts_and_revoked_records_not_at_all(store: Store) -> None:
    first = seizure("versioned", "2025-05-01", 10.0)
    gone = seizure("revoked", "2025-05-02", 5.0)
    store_versions(store, first, gone, seizure("plain", "2025-05-03", 1.0))
    later = CREATED + timedelta(days=3)
    store_versions(
        store,
        first.with_version(modified=later, quantity=3.0),
        gone.with_version(modified=later, revoked=True),
    )
    (series,) = compute(store, definition())
    assert values(series) == {"2025-05": pytest.approx(4.0)}  # 3 (newest) + 1; revoked left out


def test_records_partners_released_count_when_the_filter_asks(store: Store) -> None:
    store_versions(store, seizure("own", "2025-06-01", 1.0, owner="MX"))
    store_versions(store, seizure("theirs", "2025-06-02", 4.0, owner="US"), received_from="US")
    own, partners, either, us_owned = compute(
        store,
        definition(origin="own"),
        definition(origin="partners"),
        definition(origin="any"),
        definition(owner="US"),
    )
    assert values(own) == {"2025-06": 1.0}
    assert values(partners) == {"2025-06": 4.0}
    assert values(either) == {"2025-06": 5.0}
    assert values(us_owned) == {"2025-06": 4.0}


def test_filters_select_category_and_drug(store: Store) -> None:
    store_versions(
        store,
        seizure("fent", "2024-02-01", 2.0),
        seizure("meth", "2024-02-01", 30.0, drug="methamphetamine"),
        seizure("guns", "2024-07-01", 3, "count", category="firearm", drug=None),
        seizure("guns2", "2024-08-01", 2, "count", category="firearm", drug=None),
    )
    fentanyl, firearms = compute(
        store,
        definition(category="drug", drug_type="fentanyl"),
        definition("calendar-year", "count", category="firearm"),
    )
    assert values(fentanyl) == {"2024-02": 2.0}
    assert values(firearms) == {"2024": 5.0}


def test_empty_months_between_show_zero_and_periods_after_today_are_left_out(store: Store) -> None:
    store_versions(
        store,
        seizure("jan", "2025-01-15", 1.0),
        seizure("apr", "2025-04-15", 2.0),
        seizure("future", "2026-03-01", 7.0),
    )
    (series,) = compute(store, definition())
    assert values(series) == {"2025-01": 1.0, "2025-02": 0.0, "2025-03": 0.0, "2025-04": 2.0}


def test_laboratories_are_counted_by_the_date_they_were_found(store: Store) -> None:
    labs = [
        Laboratory.from_values(
            id=derived_id("enlace-clandestine-laboratory", "indicators", key),
            owner="MX",
            markings=SHARED,
            created=CREATED,
            modified=CREATED,
            created_by_ref=agency_id("MX", "DEFENSA"),
            values={"found_date": day, "state": state, "status": "dismantled"},
        )
        for key, day, state in (
            ("a", "2024-12-31", "MX-SIN"),
            ("b", "2025-01-02", "MX-SIN"),
            ("c", "2025-02-02", "MX-SON"),
        )
    ]
    with store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(lab) for lab in labs], added_at=uow.started_at)
        uow.commit()
    everywhere, sinaloa = compute(
        store,
        definition("calendar-year", "events", "count", kind="laboratory"),
        definition("calendar-year", "events", "count", kind="laboratory", state="MX-SIN"),
    )
    assert values(everywhere) == {"2024": 1.0, "2025": 2.0}
    assert values(sinaloa) == {"2024": 1.0, "2025": 1.0}
