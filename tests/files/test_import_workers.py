"""Importing with worker processes stores, rejects and reports exactly what one process does."""

from __future__ import annotations

import csv
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from enlace.files.importer import ImportReport, import_file
from enlace.files.problems import ImportRejected
from enlace.files.readers import CsvHeader, CsvRow
from enlace.node.setup import initialise_node, open_node
from enlace.store.store import Store

HEADER = (
    "type,id,created,modified,agency,tlp,releasable_to,handling,evaluation,category,drug_type,"
    "quantity,unit,seizure_date,port_code,given_names,first_surname,second_surname,number,"
    "make,serial,plate_country,plate_state,plate_number\n"
)
ROWS = (
    "seizure,,,,ANAM,amber,US,H2,B2,drug,fentanyl,12.5,kg,2025-03-01,2604,,,,,,,,,\n"
    "person,,,,FGR,amber,US,H1,B2,,,,,,,José María,Núñez,Peña,,,,,,\n"
    "phone,,,,FGR,red,,H0,C3,,,,,,,,,,044 55 1234 5678,,,,,\n"
    "firearm,enlace-firearm--6b5f2c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f,2025-01-02T03:04:05Z,"
    '2025-01-02T03:04:05Z,DEFENSA,amber,US,H0,B2,,,,,,,,,,,"Sturm, Ruger & Co.",AB-123,,,\n'
    "vehicle,,,,SSPC,green,US,H0,A1,,,,,,,,,,,,,MX,MX-BCN,ABC-123-A\n"
)
BAD_ROWS = (
    "seizure,,,,ANAM,amber,US,H2,B2,drug,fentanil,12.5,kg,2025-03-01,2604,,,,,,,,,\n"
    "seizure,,,,ANAM,amber,XX,H2,B2,drug,fentanyl,-3,kg,2025-03-01,2604,,,,,,,,,\n"
    "vehicle,,,,SSPC,green,US,H0,A1,,,,,,,,,,,,,MX,MX-BCN,ABC#123\n"
)


def _file(path: Path, repeat: int, bad: bool = False) -> Path:
    # Several chunks' worth of rows: seizures, vehicles and firearms distinct in each
    # repeat, the same person and phone again and again (held, so "unchanged").
    lines = [HEADER]
    for n in range(repeat):
        lines.append(
            ROWS.replace("12.5", f"{n}.5")
            .replace("ABC-123-A", f"ABC-{n}")
            .replace("6b5f2c1e", f"{n:08x}")
        )
        if bad and n % 500 == 0:
            lines.append(BAD_ROWS)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _stored(store: Store) -> tuple[list[Any], list[Any]]:
    with store.engine.connect() as connection:
        records = connection.exec_driver_sql(
            "SELECT id, modified, kind, tlp, releasable_to, content_digest, stix FROM records "
            "WHERE kind <> 'agency' ORDER BY id, modified"
        ).all()
        identifiers = connection.exec_driver_sql(
            "SELECT record_id, modified, kind, key FROM record_identifiers "
            "ORDER BY record_id, modified, kind, key"
        ).all()
    return [tuple(r) for r in records], [tuple(i) for i in identifiers]


def _two_nodes(tmp_path: Path, new_store_url: Callable[[], str]) -> tuple[Store, Store]:
    stores = []
    for name in ("one", "many"):
        initialise_node(tmp_path / name, party="MX", database_url=new_store_url())
        stores.append(open_node(tmp_path / name)[1])
    return stores[0], stores[1]


def _summary(report: ImportReport) -> tuple[int, int, int, int]:
    return (report.read, report.imported, report.unchanged, report.rejected)


@pytest.mark.e2e
@pytest.mark.usefixtures("frozen_now")
def test_workers_store_exactly_what_one_process_stores(
    tmp_path: Path, new_store_url: Callable[[], str]
) -> None:
    path = _file(tmp_path / "many.csv", 700)  # 3,500 rows: several chunks per worker
    one, many = _two_nodes(tmp_path, new_store_url)
    try:
        alone = import_file(one, party="MX", path=path, workers=0)
        pooled = import_file(many, party="MX", path=path, workers=2)
        assert _summary(pooled) == _summary(alone) == (3500, 3500 - 2 * 699, 2 * 699, 0)
        assert _stored(many) == _stored(one)
        again = import_file(many, party="MX", path=path, workers=2)
        assert _summary(again) == (3500, 0, 3500, 0)
    finally:
        one.close()
        many.close()


@pytest.mark.e2e
@pytest.mark.usefixtures("frozen_now")
def test_workers_reject_and_report_exactly_as_one_process(
    tmp_path: Path, new_store_url: Callable[[], str]
) -> None:
    path = _file(tmp_path / "bad.csv", 1200, bad=True)
    one, many = _two_nodes(tmp_path, new_store_url)
    try:
        with pytest.raises(ImportRejected) as alone:
            import_file(one, party="MX", path=path, workers=0)
        with pytest.raises(ImportRejected) as pooled:
            import_file(many, party="MX", path=path, workers=2)
        assert [str(p) for p in pooled.value.problems] == [str(p) for p in alone.value.problems]
        assert pooled.value.total == alone.value.total == 9
        assert "line 7, field 'drug_type'" in str(alone.value.problems[0])
        assert "line 9, field 'plate_number'" in str(alone.value.problems[2])
        assert _stored(many) == _stored(one) == ([], [])

        rejects_one, rejects_many = tmp_path / "r1.csv", tmp_path / "r2.csv"
        kept = import_file(one, party="MX", path=path, workers=0, rejects=rejects_one)
        kept_pooled = import_file(many, party="MX", path=path, workers=2, rejects=rejects_many)
        assert _summary(kept_pooled) == _summary(kept)
        assert kept.rejected == 9
        assert _stored(many) == _stored(one)
        with rejects_one.open(encoding="utf-8") as a, rejects_many.open(encoding="utf-8") as b:
            assert list(csv.reader(b)) == list(csv.reader(a))
    finally:
        one.close()
        many.close()


def test_a_csv_row_reads_like_the_dict_of_its_header_and_cells() -> None:
    columns = ["type", "make", "serial", "make"]  # a repeated column: the last cell counts
    index = {name: position for position, name in enumerate(columns)}
    header = CsvHeader(tuple(index), index, len(columns), ",")
    row = CsvRow(header, "firearm,Colt,X1,Glock")
    expected = dict(zip(columns, ["firearm", "Colt", "X1", "Glock"], strict=True))
    assert dict(row) == expected
    assert list(row) == list(expected)
    assert row.get("make") == "Glock"
    assert row.get("absent") is None
    assert "serial" in row
    assert len(row) == 3
    assert dict(pickle.loads(pickle.dumps(row))) == expected
