"""Registering operations: their keys, and bad input refused with one clear message and
nothing written (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from enlace.matching.operations import (
    UnknownOperation,
    cancel_operation,
    list_operations,
    register_operation,
)
from enlace.model.errors import RecordError
from enlace.model.operations import CELL_DEGREES, MAX_WINDOW_DAYS, area_keys, plan_operation
from enlace.store.store import Store

START = date(2026, 12, 20)


def plan(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "reference": "OP-1",
        "agency": "FGR",
        "contact": "Lic. Ana Pérez, +52 55 5555 0000",
        "targets": ["phone:+52 55 1234 5678", "firearm:Colt|ab1234"],
        "latitude": 19.43,
        "longitude": -99.13,
        "starts": START,
        "ends": START + timedelta(days=1),
    }
    return {**fields, **changes}


def test_targets_are_normalised_as_matching_normalises_them() -> None:
    planned = plan_operation(
        **plan(targets=["phone:(55) 1234 5678", "FIREARM:colt|AB-1234"]), default_region="MX"
    )
    keys = planned.keys()
    assert "target|phone|+525512345678" in keys
    assert any(key.startswith("target|firearm|COLT|") for key in keys)
    assert len([k for k in keys if k.startswith("area|")]) == 9 * 2


def test_points_about_a_cell_apart_on_a_common_day_share_area_keys_and_further_do_not() -> None:
    day = START
    here = set(area_keys(19.43, -99.13, day, day))
    assert here & set(area_keys(19.43 + CELL_DEGREES, -99.13, day, day))
    assert here & set(area_keys(19.43 + 2 * CELL_DEGREES, -99.13 + CELL_DEGREES, day, day))
    assert not here & set(area_keys(19.43 + 3 * CELL_DEGREES, -99.13, day, day))
    assert not here & set(
        area_keys(19.43, -99.13, day + timedelta(days=1), day + timedelta(days=1))
    )


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"ends": START + timedelta(days=MAX_WINDOW_DAYS)}, "ends", "at most 31 days"),
        ({"ends": START - timedelta(days=1)}, "ends", "on or after"),
        ({"targets": ["phone:not a number"]}, "target", "a valid phone"),
        ({"targets": ["passport:X123"]}, "target", "KIND:IDENTIFIER"),
        ({"targets": ["+52 55 1234 5678"]}, "target", "KIND:IDENTIFIER"),
        ({"latitude": 91.0}, "latitude", "from -90 to 90"),
        ({"latitude": float("nan")}, "latitude", "from -90 to 90"),
        ({"longitude": -180.5}, "longitude", "from -180 to 180"),
        ({"contact": ""}, "contact", "printable characters"),
        ({"reference": "a\x00b"}, "reference", "printable characters"),
    ],
)
def test_bad_input_is_refused_with_one_clear_message_and_nothing_written(
    store: Store, changes: dict[str, Any], field: str, expected: str
) -> None:
    with store.unit_of_work() as uow:
        entries = len(list(uow.audit.entries()))
    with pytest.raises(RecordError) as refused:
        register_operation(store, **plan(**changes), actor="liaison")
    assert refused.value.field == field
    assert expected in str(refused.value)
    assert list_operations(store) == []
    with store.unit_of_work() as uow:
        assert len(list(uow.audit.entries())) == entries


def test_an_operation_is_registered_listed_and_cancelled_with_audit_entries(store: Store) -> None:
    operation = register_operation(store, **plan(), actor="liaison")
    assert [op.id for op in list_operations(store)] == [operation.id]
    cancel_operation(store, operation_id=operation.id, actor="liaison")
    assert list_operations(store)[0].status == "cancelled"
    with store.unit_of_work() as uow:
        actions = [e.action for e in uow.audit.entries()]
    assert actions[-2:] == ["operation-registered", "operation-cancelled"]
    with pytest.raises(UnknownOperation, match="no operation 'operation--nope'"):
        cancel_operation(store, operation_id="operation--nope", actor="liaison")
