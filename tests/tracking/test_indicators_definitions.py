"""The indicator file: the shipped one loads; mistakes name the indicator, the field, what is allowed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from enlace.tracking.indicators.definitions import (
    IndicatorDefinition,
    IndicatorDefinitionError,
    default_definitions_path,
    load_definitions,
)

GOOD = """
[[indicator]]
id = "fentanyl-own"
name_es = "Fentanilo asegurado, kg por mes"
name_en = "Fentanyl seized, kg per month"
unit = "kg"
source = "records"
measure = "sum"
period = "month"
filters = { category = "drug", drug_type = "fentanyl", origin = "own" }
baseline = { period = "2025-01", value = 12.5 }
target = { period = "2026-12", value = 40 }
commitment = "enlace-commitment--0b5c1e2a-9f3d-4c6b-8a7e-1d2f3a4b5c6d"
"""


def _load(tmp_path: Path, text: str) -> list[IndicatorDefinition]:
    path = tmp_path / "indicators.toml"
    path.write_text(text, encoding="utf-8")
    return list(load_definitions(path))


def test_shipped_definitions_hold_the_required_indicators() -> None:
    definitions = {d.id: d for d in load_definitions(default_definitions_path())}
    monthly = definitions["cbp-fentanyl-swb-month"]
    assert monthly.name_en == "Fentanyl seized at the Southwest border, pounds per month (CBP)"
    assert (monthly.source, monthly.period, monthly.unit) == ("statistics", "month", "lbs")
    assert dict(monthly.filters) == {"region": ("Southwest Border",), "drug_type": ("Fentanyl",)}
    assert definitions["cbp-fentanyl-swb-fy"].period == "fiscal-year"
    assert dict(definitions["cbp-meth-swb-fy"].filters)["drug_type"] == ("Methamphetamine",)
    own = definitions["own-fentanyl-kg-month"]
    assert (own.source, own.unit, own.period) == ("records", "kg", "month")
    assert own.filter_values("origin") == ("own",)
    firearms = definitions["firearms-seized-year"]
    assert (firearms.unit, firearms.period) == ("count", "calendar-year")
    assert firearms.filter_values("category") == ("firearm",)


def test_a_complete_definition_reads_every_field(tmp_path: Path) -> None:
    (definition,) = _load(tmp_path, GOOD)
    assert definition.baseline is not None
    assert definition.baseline.start == date(2025, 1, 1)
    assert definition.target is not None
    assert definition.target.value == 40.0
    assert definition.commitment_ref == "enlace-commitment--0b5c1e2a-9f3d-4c6b-8a7e-1d2f3a4b5c6d"


def test_unknown_field_names_indicator_field_and_allowed_fields(tmp_path: Path) -> None:
    with pytest.raises(IndicatorDefinitionError) as caught:
        _load(tmp_path, GOOD + 'colour = "red"\n')
    message = str(caught.value)
    assert "indicators.toml, indicator 'fentanyl-own', field 'colour': unknown field" in message
    assert "allowed: id, name_es, name_en, unit, source, measure, period, filters" in message


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (('unit = "kg"', 'unit = "tonnes"'), "unit", "allowed: kg, lbs, count, events"),
        (
            ('period = "month"', 'period = "quarter"'),
            "period",
            "allowed: calendar-year, fiscal-year, month",
        ),
        (('measure = "sum"', "measure = 3"), "measure", "expected non-empty text, got 3"),
        (
            ('origin = "own"', 'origin = "mine"'),
            "filters.origin",
            "expected one of any, own, partners",
        ),
        (
            ('drug_type = "fentanyl"', 'drug_type = "tea"'),
            "filters.drug_type",
            "'tea' is not allowed",
        ),
        (
            ('category = "drug"', 'colour = "drug"'),
            "filters.colour",
            "unknown filter for source 'records'",
        ),
        (
            ('period = "2025-01"', 'period = "FY2025"'),
            "baseline.period",
            "not a month period like '2023-05'",
        ),
        (("value = 40", 'value = "forty"'), "target.value", "expected a number"),
        (('unit = "kg"', 'unit = "events"'), "unit", "does not go with measure 'sum'"),
    ],
    ids=[
        "unit",
        "period",
        "type",
        "origin",
        "drug",
        "filter",
        "baseline",
        "target",
        "measure-unit",
    ],
)
def test_wrong_type_or_value_names_the_field_and_what_is_allowed(
    tmp_path: Path, change: tuple[str, str], field: str, says: str
) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(IndicatorDefinitionError) as caught:
        _load(tmp_path, GOOD.replace(old, new, 1))
    message = str(caught.value)
    assert f"indicator 'fentanyl-own', field '{field}'" in message
    assert says in message


def test_statistics_filters_are_checked_against_cbp_values(tmp_path: Path) -> None:
    text = GOOD.replace('source = "records"', 'source = "statistics"').replace(
        'filters = { category = "drug", drug_type = "fentanyl", origin = "own" }',
        'filters = { region = "Southwest", drug_type = "Fentanyl" }',
    )
    with pytest.raises(IndicatorDefinitionError, match="Southwest Border, Northern Border"):
        _load(tmp_path, text)


def test_same_id_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IndicatorDefinitionError, match="the id is used twice"):
        _load(tmp_path, GOOD + GOOD)


def test_a_file_that_is_not_toml_says_so(tmp_path: Path) -> None:
    with pytest.raises(IndicatorDefinitionError, match="not valid TOML"):
        _load(tmp_path, "[[indicator]\nid = ")
