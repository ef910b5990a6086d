"""The indicators kept ready: computed once per change of the data, not on every page view.

Computing an indicator reads every newest record of its kind (a seizure's quantity, place
and date are in its JSON): at ten million records that is tens of seconds, far too long for
the dashboard and the tracking page, which show the default indicators on every view. So the
computed series are kept in the node (`node_settings`, one JSON value) with what they were
computed from — the definitions' digest, the month of the day they were computed for (a
series depends on the month it is read in: its last, partial period) and the node's data
generation, which every write of records or public statistics bumps
(`enlace.store.repositories.settings.DATA_GENERATION`). A snapshot whose three agree is
served as it is; otherwise the series are computed again and kept. The commands that write
data (import, sync, statistics import) refresh it at their end, so the pages find it ready.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson

from enlace.store.repositories.settings import DATA_GENERATION
from enlace.store.store import Store
from enlace.tracking.indicators.definitions import (
    IndicatorDefinition,
    IndicatorPoint,
    default_definitions_path,
    load_definitions,
)
from enlace.tracking.indicators.series import IndicatorSeries, compute_indicators

SNAPSHOT = "indicator-snapshot"


def default_indicators(store: Store, *, today: date) -> list[IndicatorSeries]:
    """The shipped definitions' series over the node's data on `today`: the kept snapshot
    when the data have not changed since it was made (this month), else computed and kept."""
    definitions = load_definitions(default_definitions_path())
    key = _key(definitions, today)
    with store.unit_of_work() as uow:  # only reads
        generation = uow.settings.get(DATA_GENERATION) or "0"
        held = uow.settings.get(SNAPSHOT)
    if held is not None:
        kept = orjson.loads(held)
        if kept.get("key") == key and kept.get("generation") == generation:
            return [_series(item) for item in kept["series"]]
    return refresh_indicators(store, today=today, definitions=definitions)


def refresh_indicators(
    store: Store, *, today: date, definitions: Sequence[IndicatorDefinition] | None = None
) -> list[IndicatorSeries]:
    """Compute the default indicators and keep them as the node's snapshot; one unit of work
    that only writes the snapshot (no audit entry: it is derived, not a fact)."""
    definitions = definitions or load_definitions(default_definitions_path())
    with store.unit_of_work() as uow:
        # The generation read before computing: a write landing meanwhile leaves the kept
        # snapshot older than the data, so the next view computes again, never the reverse.
        generation = uow.settings.get(DATA_GENERATION) or "0"
    series = compute_indicators(store, definitions, today=today)
    body = {
        "key": _key(definitions, today),
        "generation": generation,
        "series": [_json(s) for s in series],
    }
    with store.unit_of_work() as uow:
        uow.settings.put(SNAPSHOT, orjson.dumps(body).decode())
        uow.commit()
    return series


def _key(definitions: Sequence[IndicatorDefinition], today: date) -> str:
    digest = hashlib.sha256(repr(tuple(definitions)).encode()).hexdigest()[:32]
    return f"{digest}:{today.year:04d}-{today.month:02d}"


def _point_json(point: IndicatorPoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {"period": point.period, "start": point.start.isoformat(), "value": point.value}


def _point(raw: dict[str, Any] | None) -> IndicatorPoint | None:
    if raw is None:
        return None
    return IndicatorPoint(raw["period"], date.fromisoformat(raw["start"]), float(raw["value"]))


def _json(series: IndicatorSeries) -> dict[str, Any]:
    return {
        "id": series.id,
        "name_es": series.name_es,
        "name_en": series.name_en,
        "unit": series.unit,
        "period_kind": series.period_kind,
        "points": [_point_json(p) for p in series.points],
        "baseline": _point_json(series.baseline),
        "target": _point_json(series.target),
        "commitment_ref": series.commitment_ref,
        "skipped": series.skipped,
        "latest_month": series.latest_month.isoformat() if series.latest_month else None,
        "partial": [list(p) for p in series.partial],
        "direction": series.direction,
    }


def _series(raw: dict[str, Any]) -> IndicatorSeries:
    points = tuple(p for p in (_point(item) for item in raw["points"]) if p is not None)
    return IndicatorSeries(
        id=raw["id"],
        name_es=raw["name_es"],
        name_en=raw["name_en"],
        unit=raw["unit"],
        period_kind=raw["period_kind"],
        points=points,
        baseline=_point(raw["baseline"]),
        target=_point(raw["target"]),
        commitment_ref=raw["commitment_ref"],
        skipped=int(raw["skipped"]),
        latest_month=date.fromisoformat(raw["latest_month"]) if raw["latest_month"] else None,
        partial=tuple((str(a), int(b), int(c)) for a, b, c in raw["partial"]),
        direction=raw["direction"],
    )
