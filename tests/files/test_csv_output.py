"""Every CSV Enlace writes is safe to open in a spreadsheet, and reads back as it was written.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is written behind a single
quote (OWASP, CSV injection); Enlace's importer takes that quote off again.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from enlace.cli.demo_commands import write_rows
from enlace.files.importer import import_file
from enlace.model.csv_cells import FORMULA_STARTS, neutralised, restored
from enlace.model.markings import Markings
from enlace.model.records import Location, PhoneNumber, derived_id
from enlace.node.config import NodeConfig
from enlace.store.store import Store
from support.exchange import CREATED

Node = tuple[NodeConfig, Store]
FORMULAS = ['=HYPERLINK("http://x.test","ver")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
MARKINGS = Markings.build(tlp="amber", releasable_to="US", handling="H0")


def _cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def test_the_rejects_file_never_holds_a_cell_a_spreadsheet_would_run(
    mx_node: Node, tmp_path: Path
) -> None:
    _config, store = mx_node
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["type", "name", "country"])
        for formula in FORMULAS:
            writer.writerow(["location", formula, formula])  # the country is bad: rejected
        writer.writerow(["=cmd|' /C calc'!A0", "x", "MX"])  # the type is bad too
    rejects = tmp_path / "bad.csv"
    report = import_file(store, party="MX", path=path, rejects=rejects)
    assert report.rejected == len(FORMULAS) + 1
    cells = _cells(rejects)
    assert any("HYPERLINK" in cell for cell in cells)
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []


@pytest.mark.parametrize(
    "value", ["", "plain", "-5", "+52 55 1234 5678", "'=x", "''+x", "'quoted", "=", *FORMULAS]
)
def test_restored_takes_back_exactly_what_neutralised_added(value: str) -> None:
    written = neutralised(value)
    assert isinstance(written, str)
    assert not written.startswith(FORMULA_STARTS)
    assert restored(written) == value


def test_a_number_that_could_start_a_formula_is_quoted_too() -> None:
    assert neutralised(-5) == "'-5"
    assert neutralised(5) == 5


def test_a_file_enlace_wrote_imports_as_the_data_it_was_written_from(
    mx_node: Node, tmp_path: Path
) -> None:
    # `enlace synth` writes what `enlace import` reads: the quote must not become data.
    _config, store = mx_node
    place = Location.from_values(
        id=derived_id("location", "MX", "csv-output-test"),
        owner="MX",
        markings=MARKINGS,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"name": "-=El Punto=-", "country": "MX"},
    )
    number = PhoneNumber.from_values(
        id=derived_id("enlace-phone-number", "MX", "csv-output-test"),
        owner="MX",
        markings=MARKINGS,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"number": "+52 55 1234 5678", "description": "@alias"},
    )
    path = tmp_path / "mx.csv"
    write_rows([place, number], path)
    assert [c for c in _cells(path) if c.startswith(FORMULA_STARTS)] == []
    report = import_file(store, party="MX", path=path)
    assert (report.imported, report.rejected) == (2, 0)
    with store.unit_of_work() as uow:
        held = {row.id: row.stix_object() for row in uow.records.iter_latest()}
    assert held[place.id]["name"] == "-=El Punto=-"
    written = number.to_stix()
    assert (held[number.id]["number"], held[number.id]["description"]) == (
        written["number"],
        "@alias",
    )
