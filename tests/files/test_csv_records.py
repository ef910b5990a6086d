"""read_csv cuts a file into records exactly where the csv module does, without splitting cells."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enlace.files.readers import CsvRow, read_csv

CELL = st.text(alphabet=st.sampled_from(list('ab ,;\t"\n\r\réñ')), max_size=8)


def _records_by_csv_module(text: str, delimiter: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    body = rows[1:]  # the header
    return [row for row in body if row and not (len(row) == 1 and not row[0].strip())]


def _records_by_read_csv(path: Path) -> list[list[str]]:
    rows = []
    for item in read_csv(path, "utf-8"):
        assert isinstance(item.values, CsvRow)
        rows.append(item.values.cells)
    return [row for row in rows if not (len(row) == 1 and not row[0].strip())]


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(CELL, min_size=1, max_size=4), max_size=6),
    delimiter=st.sampled_from([",", ";", "\t"]),
    terminator=st.sampled_from(["\n", "\r\n"]),
)
def test_records_written_by_the_csv_module_are_read_back_cell_for_cell(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    delimiter: str,
    terminator: str,
) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=terminator)
    writer.writerow(["type", "b", "c", "d"])
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("csv") / "rows.csv"
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    assert _records_by_read_csv(path) == _records_by_csv_module(out.getvalue(), delimiter)


@settings(max_examples=300, deadline=None)
@given(body=st.text(alphabet=st.sampled_from(list('ab,"\n')), max_size=40))
def test_hand_written_files_quotes_anywhere_are_cut_as_the_csv_module_cuts_them(
    tmp_path_factory: pytest.TempPathFactory, body: str
) -> None:
    # Quotes in the middle of a cell, a quoted cell followed by text, an unterminated quote.
    text = "type,b\n" + body
    path = tmp_path_factory.mktemp("csv") / "rows.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert _records_by_read_csv(path) == _records_by_csv_module(text, ",")


def test_a_quoted_cell_over_three_lines_is_one_record_starting_on_its_first_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        'type,description\nseizure,"first\nsecond\nthird"\n\nseizure,5" barrel\n', encoding="utf-8"
    )
    items = list(read_csv(path))
    assert [item.line for item in items] == [2, 6]
    assert [item.values["description"] for item in items] == ["first\nsecond\nthird", '5" barrel']
    assert items[0].original == 'seizure,"first\nsecond\nthird"'
