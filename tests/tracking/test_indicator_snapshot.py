"""The default indicators are kept ready (issue 20): computed once per change of the data,
served from the snapshot until records or statistics are written or the month turns — on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from enlace.store.store import Store
from enlace.tracking.indicators import series, snapshot
from enlace.tracking.indicators.series import IndicatorSeries
from support.seizures import seizure, store_versions

TODAY = date(2026, 1, 20)


def _own_fentanyl(computed: list[IndicatorSeries]) -> float:
    (found,) = [s for s in computed if s.id == "own-fentanyl-kg-month"]
    return sum(p.value for p in found.points)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[date]:
    computed: list[date] = []
    real = series.compute_indicators

    def counted(store, definitions, *, today):  # type: ignore[no-untyped-def]
        computed.append(today)
        return real(store, definitions, today=today)

    monkeypatch.setattr(snapshot, "compute_indicators", counted)
    return computed


def test_the_snapshot_is_served_until_the_data_change(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = _counting(monkeypatch)
    store_versions(store, seizure("a", "2025-12-03", 2.0))
    first = snapshot.default_indicators(store, today=TODAY)
    again = snapshot.default_indicators(store, today=date(2026, 1, 28))
    assert computed == [TODAY]  # the second view read the snapshot
    assert again == first
    assert _own_fentanyl(first) == 2.0
    store_versions(store, seizure("b", "2025-12-04", 3.5))  # a write bumps the generation
    after = snapshot.default_indicators(store, today=TODAY)
    assert len(computed) == 2
    assert _own_fentanyl(after) == 5.5


def test_a_new_month_or_a_refresh_computes_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = _counting(monkeypatch)
    store_versions(store, seizure("a", "2025-12-03", 2.0))
    snapshot.default_indicators(store, today=TODAY)
    snapshot.default_indicators(store, today=date(2026, 2, 2))  # the last period moved
    assert computed == [TODAY, date(2026, 2, 2)]
    snapshot.refresh_indicators(store, today=date(2026, 2, 3))  # what import and sync call
    snapshot.default_indicators(store, today=date(2026, 2, 5))
    assert computed == [TODAY, date(2026, 2, 2), date(2026, 2, 3)]


def test_the_snapshot_reads_back_equal_to_what_was_computed(store: Store) -> None:
    store_versions(store, seizure("a", "2025-11-03", 2.0), seizure("b", "2025-12-03", 1.0))
    computed = snapshot.refresh_indicators(store, today=TODAY)
    assert snapshot.default_indicators(store, today=TODAY) == computed
