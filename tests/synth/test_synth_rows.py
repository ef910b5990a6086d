"""row_of: every record as one importer CSV row, readable back into an equal record."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

import pytest

from enlace.model.markings import Markings
from enlace.model.records import Record, agency_id, class_for_kind
from enlace.model.timestamps import parse_timestamp
from enlace.synth import CSV_COLUMNS, ENVELOPE_COLUMNS, SynthConfig, generate, row_of
from enlace.synth.rows import SYNTH_CLASSES


@pytest.fixture(scope="module")
def records() -> list[Record]:
    data = generate(SynthConfig(seed=11))
    return data.records["MX"] + data.records["US"]


def _read_back(row: Mapping[str, str], party: str) -> Record:
    markings = Markings.build(
        tlp=row["tlp"],
        releasable_to=row["releasable_to"],
        handling=row["handling"],
        evaluation=row["evaluation"],
        handling_text=row["handling_text"],
    )
    return class_for_kind(row["type"]).from_values(
        id=row["id"],
        owner=party,
        markings=markings,
        created=parse_timestamp(row["created"], field="created"),
        modified=parse_timestamp(row["modified"], field="modified"),
        created_by_ref=agency_id(party, row["agency"]),
        values=row,
    )


def test_rows_are_plain_strings_over_the_union_header(records: list[Record]) -> None:
    for record in records:
        row = row_of(record)
        assert tuple(row) == CSV_COLUMNS
        assert all(type(value) is str for value in row.values())
        assert row["type"] == record.KIND
        assert row["agency"]


@pytest.mark.parametrize("cls", SYNTH_CLASSES, ids=lambda c: c.KIND)
def test_every_kind_round_trips(records: list[Record], cls: type[Record]) -> None:
    of_kind = [r for r in records if type(r) is cls]
    assert of_kind
    for record in of_kind:
        assert _read_back(row_of(record), record.owner) == record


def test_rows_survive_a_csv_file(records: list[Record]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(row_of(record))
    read = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(read) == len(records)
    for row, record in zip(read, records, strict=True):
        assert _read_back(row, record.owner) == record


def test_union_header_starts_with_the_envelope() -> None:
    assert CSV_COLUMNS[: len(ENVELOPE_COLUMNS)] == ENVELOPE_COLUMNS
    assert len(set(CSV_COLUMNS)) == len(CSV_COLUMNS)
    for column in ("category", "serial", "curp", "vin", "plate_number", "relationship_type"):
        assert column in CSV_COLUMNS


def test_a_row_fills_only_its_kind(records: list[Record]) -> None:
    seizure = next(r for r in records if r.KIND == "seizure")
    row = row_of(seizure)
    assert row["serial"] == row["curp"] == row["vin"] == ""
    assert row["quantity"]
    assert row["unit"]
    assert row["seizure_date"]


def test_the_importer_reads_rows_into_equal_records(records: list[Record]) -> None:
    from datetime import UTC, datetime

    from enlace.files.rows import RowConverter
    from enlace.model.catalogue import DEFAULT_AGENCIES

    for party in ("MX", "US"):
        agencies = {acronym: agency_id(party, acronym) for acronym, _ in DEFAULT_AGENCIES[party]}
        converter = RowConverter(party=party, agencies=agencies, now=datetime.now(UTC))
        for record in records:
            if record.owner != party:
                continue
            imported, timestamps_given = converter.from_row(row_of(record))
            assert timestamps_given
            assert imported == record
