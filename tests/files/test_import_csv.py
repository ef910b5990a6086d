"""Importing CSV: encodings, separators, all-or-nothing, rejects, re-import."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from enlace.files.importer import import_file
from enlace.files.problems import ImportRejected, UnreadableFile
from enlace.node.config import NodeConfig
from enlace.store.store import Store

HEADER = "type,agency,tlp,releasable_to,handling,evaluation,category,drug_type,quantity,unit,seizure_date,port_code,given_names,first_surname,second_surname,number\n"
GOOD = (
    "seizure,ANAM,amber,US,H2,B2,drug,fentanyl,12.5,kg,2025-03-01,2604,,,,\n"
    "person,FGR,amber,US,H1,B2,,,,,,,José María,Núñez,Peña,\n"
    "phone,FGR,red,,H0,C3,,,,,,,,,,044 55 1234 5678\n"
)
BAD = (
    "seizure,ANAM,amber,US,H2,B2,drug,fentanyl,12.5,kg,2025-03-01,2604,,,,\n"
    "seizure,ANAM,amber,US,H2,B2,drug,fentanil,12.5,kg,2025-03-01,2604,,,,\n"
    "seizure,ANAM,amber,XX,H2,B2,drug,fentanyl,-3,kg,2025-03-01,2604,,,,\n"
    "seizure,ANAM,amber,US,H2,B2,drug,fentanyl,3,kg,2025-02-30,2604,,,,\n"
    "person,FGR,amber,US,H1,B2,,,,,,,José María,Núñez,Peña,\n"
)

Node = tuple[NodeConfig, Store]


def write(path: Path, text: str) -> Path:
    """Write a UTF-8 test input file."""
    path.write_text(text, encoding="utf-8")
    return path


def _count(store: Store) -> int:
    with store.unit_of_work() as uow:
        return uow.records.count_versions()


def test_good_csv_imports_every_row(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    before = _count(store)
    report = import_file(store, party="MX", path=write(tmp_path / "ok.csv", HEADER + GOOD))
    assert (report.read, report.imported, report.rejected) == (3, 3, 0)
    assert _count(store) == before + 3


def test_phone_without_country_code_is_taken_as_the_importing_party(
    mx_node: Node, tmp_path: Path
) -> None:
    _config, store = mx_node
    import_file(store, party="MX", path=write(tmp_path / "ok.csv", HEADER + GOOD))
    with store.unit_of_work() as uow:
        assert uow.records.ids_with_identifier("phone", "+525512345678")


@pytest.mark.parametrize(
    ("encoding", "separator", "bom"),
    [("utf-8", ",", False), ("utf-8", ";", True), ("latin-1", ";", False), ("latin-1", ",", False)],
)
def test_csv_in_every_accepted_encoding_and_separator_reads_the_same(
    mx_node: Node, tmp_path: Path, encoding: str, separator: str, bom: bool
) -> None:
    _config, store = mx_node
    text = (HEADER + GOOD).replace(",", separator)
    path = tmp_path / "in.csv"
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    report = import_file(store, party="MX", path=path)
    assert report.imported == 3
    with store.unit_of_work() as uow:
        people = list(uow.records.iter_latest(kind="person"))
    assert "Núñez" in people[0].stix  # accents survive whatever the file's encoding


def test_bad_rows_are_all_reported_and_nothing_is_written(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    before = _count(store)
    with pytest.raises(ImportRejected) as caught:
        import_file(store, party="MX", path=write(tmp_path / "bad.csv", HEADER + BAD))
    messages = [str(p) for p in caught.value.problems]
    assert messages == [
        "bad.csv: line 3, field 'drug_type': found 'fentanil', expected one of cocaine, ecstasy, "
        "fentanyl, heroin, ketamine, khat, lsd, marijuana, methamphetamine, other-drugs",
        "bad.csv: line 4, field 'releasable_to': found 'XX', expected an ISO 3166-1 alpha-2 "
        "country code such as MX or US",
        "bad.csv: line 5, field 'seizure_date': found '2025-02-30', expected a date as "
        "YYYY-MM-DD, e.g. 2025-09-01",
    ]
    assert "nothing was imported" in str(caught.value)
    assert _count(store) == before


def test_rejects_option_keeps_good_rows_and_writes_bad_ones_with_reasons(
    mx_node: Node, tmp_path: Path
) -> None:
    _config, store = mx_node
    before = _count(store)
    rejects = tmp_path / "rejects.csv"
    report = import_file(
        store, party="MX", path=write(tmp_path / "bad.csv", HEADER + BAD), rejects=rejects
    )
    assert (report.imported, report.rejected) == (2, 3)
    assert _count(store) == before + 2
    with rejects.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["where"], r["field"], r["found"]) for r in rows] == [
        ("line 3", "drug_type", "fentanil"),
        ("line 4", "releasable_to", "XX"),
        ("line 5", "seizure_date", "2025-02-30"),
    ]
    assert "fentanil" in rows[0]["original"]


def test_reimporting_a_file_creates_no_duplicates(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    path = write(tmp_path / "ok.csv", HEADER + GOOD)
    import_file(store, party="MX", path=path)
    after_first = _count(store)
    again = import_file(store, party="MX", path=path)
    assert (again.imported, again.unchanged) == (0, 3)
    assert _count(store) == after_first


def test_changed_row_with_an_id_becomes_a_new_version(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    header = "type,id,agency,category,drug_type,quantity,unit,seizure_date\n"
    record_id = "enlace-seizure--0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8"
    first = f"seizure,{record_id},ANAM,drug,fentanyl,10,kg,2025-03-01\n"
    import_file(store, party="MX", path=write(tmp_path / "a.csv", header + first))
    import_file(
        store, party="MX", path=write(tmp_path / "b.csv", header + first.replace(",10,", ",11,"))
    )
    with store.unit_of_work() as uow:
        versions = uow.records.versions(record_id)
    assert len(versions) == 2
    assert '"quantity":11.0' in versions[-1].stix


def test_unknown_column_with_a_value_is_refused(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    text = "type,agency,category,drug_type,quantity,unit,seizure_date,quantitty\nseizure,ANAM,drug,fentanyl,1,kg,2025-03-01,2\n"
    with pytest.raises(ImportRejected) as caught:
        import_file(store, party="MX", path=write(tmp_path / "typo.csv", text))
    assert "field 'quantitty'" in str(caught.value.problems[0])


def test_unknown_agency_and_unknown_type_are_refused(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    text = (
        "type,agency,category,drug_type,quantity,unit,seizure_date\n"
        "seizure,NOPE,drug,fentanyl,1,kg,2025-03-01\n"
        "spaceship,ANAM,,,,,\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_file(store, party="MX", path=write(tmp_path / "x.csv", text))
    fields = [p.field for p in caught.value.problems]
    assert fields == ["agency", "type"]


def test_row_with_wrong_number_of_cells_is_reported_by_line(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    text = "type,agency,category\nseizure,ANAM\n"
    with pytest.raises(ImportRejected) as caught:
        import_file(store, party="MX", path=write(tmp_path / "short.csv", text))
    assert caught.value.problems[0].line == 2
    assert "as many cells as the header" in str(caught.value.problems[0])


def test_csv_without_type_column_is_unreadable(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    with pytest.raises(UnreadableFile, match="no 'type' column"):
        import_file(store, party="MX", path=write(tmp_path / "h.csv", "kind,x\nseizure,1\n"))


def test_missing_file_and_unknown_extension_are_clear_errors(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    with pytest.raises(UnreadableFile, match="no such file"):
        import_file(store, party="MX", path=tmp_path / "absent.csv")
    with pytest.raises(UnreadableFile, match=r"expected \.csv, \.jsonl or \.json"):
        import_file(store, party="MX", path=write(tmp_path / "data.xlsx", "x"))


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_bulk_load_is_analyzed_for_the_planner_on_postgresql(
    mx_node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without statistics PostgreSQL scanned a million records for the exchange page's list
    # of received versions, which an index held none of (issue 20's bench).
    _config, store = mx_node
    monkeypatch.setattr("enlace.files.importer.BULK_ROWS", 3)
    import_file(store, party="MX", path=write(tmp_path / "ok.csv", HEADER + GOOD))
    with store.engine.connect() as connection:
        analyzed = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_user_tables "
            "WHERE relname = 'records' AND schemaname = current_schema() "
            "AND last_analyze IS NOT NULL"
        ).scalar_one()
    assert analyzed == 1
