"""JSON Lines and STIX bundles in, STIX bundles out (checked by the OASIS validator)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from stix2validator import ValidationOptions, validate_file

from enlace.files.exporter import RECEIVED_FROM, export_bundle
from enlace.files.importer import import_file
from enlace.files.problems import ImportRejected, UnreadableFile
from enlace.node.config import NodeConfig
from enlace.node.setup import initialise_node, open_node
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support.exchange import add, phone

Node = tuple[NodeConfig, Store]

ROWS: list[dict[str, object]] = [
    {
        "type": "seizure",
        "agency": "ANAM",
        "tlp": "green",
        "releasable_to": ["US"],
        "category": "drug",
        "drug_type": "methamphetamine",
        "quantity": 250,
        "unit": "kg",
        "seizure_date": "2025-05-04",
        "state": "MX-SON",
    },
    {
        "type": "vehicle",
        "agency": "FGR",
        "vin": "1M8GDM9AXKP042788",
        "plate_country": "MX",
        "plate_state": "MX-BCN",
        "plate_number": "ABC-123-A",
        "make": "Nissan",
        "year": 2019,
    },
    {
        "type": "firearm",
        "agency": "DEFENSA",
        "make": "Colt's Manufacturing",
        "serial": "LW-004512",
        "caliber": "5.56",
        "firearm_type": "rifle",
        "recovery_state": "MX-SIN",
        "trace_status": "traced-us",
        "source_state": "US-TX",
    },
    {
        "type": "organisation",
        "agency": "FGR",
        "name": "Cártel de Sinaloa",
        "aliases": ["CDS"],
        "designations": ["FTO"],
    },
]


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def _count(store: Store) -> int:
    with store.unit_of_work() as uow:
        return uow.records.count_versions()


def test_jsonl_flat_rows_import(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    report = import_file(store, party="MX", path=_jsonl(tmp_path / "rows.jsonl", ROWS))
    assert report.imported == 4
    with store.unit_of_work() as uow:
        assert uow.records.ids_with_identifier("firearm", "COLT|LW004512")
        assert uow.records.ids_with_identifier("plate", "MX|MX-BCN|ABC123A")


def test_jsonl_bad_json_line_is_reported_by_line(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n{not json\n", encoding="utf-8")
    before = _count(store)
    with pytest.raises(ImportRejected) as caught:
        import_file(store, party="MX", path=path)
    assert caught.value.problems[0].where == "line 2"
    assert _count(store) == before


def test_exported_bundle_passes_the_oasis_validator_and_reimports_as_no_op(
    mx_node: Node, tmp_path: Path
) -> None:
    _config, store = mx_node
    import_file(store, party="MX", path=_jsonl(tmp_path / "rows.jsonl", ROWS))
    bundle = tmp_path / "export.json"
    report = export_bundle(store, path=bundle)
    assert report.records == _count(store)
    result = validate_file(str(bundle), ValidationOptions(strict=False))
    assert result.is_valid, [str(e) for o in result.object_results for e in o.errors]
    before = _count(store)
    again = import_file(store, party="MX", path=bundle)
    assert again.imported == 0
    assert _count(store) == before


def test_bundle_moves_records_between_nodes_of_the_same_party_byte_for_byte(
    mx_node: Node, tmp_path: Path, store_url: str
) -> None:
    _config, store = mx_node
    import_file(store, party="MX", path=_jsonl(tmp_path / "rows.jsonl", ROWS))
    bundle = tmp_path / "export.json"
    export_bundle(store, path=bundle)
    initialise_node(tmp_path / "mx2", party="MX")
    _c2, other = open_node(tmp_path / "mx2")
    try:
        import_file(other, party="MX", path=bundle)
        with store.unit_of_work() as a, other.unit_of_work() as b:
            for row in a.records.iter_latest():
                copies = [v.stix for v in b.records.versions(row.id)]
                assert row.stix in copies  # the exported version arrived byte for byte
    finally:
        other.close()


def test_bundle_with_partner_owned_record_is_refused(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    import_file(store, party="MX", path=_jsonl(tmp_path / "rows.jsonl", ROWS[:1]))
    bundle = tmp_path / "export.json"
    export_bundle(store, path=bundle, kind="seizure")
    text = bundle.read_text(encoding="utf-8").replace('"owner":"MX"', '"owner":"US"')
    forged = tmp_path / "forged.json"
    forged.write_text(text, encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_file(store, party="MX", path=forged)
    assert caught.value.problems[0].field == "owner"
    assert "arrive by sync" in caught.value.problems[0].expected


def test_bundle_with_unknown_type_is_refused_and_changes_nothing(
    mx_node: Node, tmp_path: Path
) -> None:
    _config, store = mx_node
    before = _count(store)
    bundle = tmp_path / "odd.json"
    bundle.write_text(
        json.dumps(
            {
                "type": "bundle",
                "id": "bundle--1",
                "objects": [{"type": "x-spaceship", "spec_version": "2.1", "id": "x-spaceship--1"}],
            }
        )
    )
    with pytest.raises(ImportRejected) as caught:
        import_file(store, party="MX", path=bundle)
    assert caught.value.problems[0].field == "type"
    assert _count(store) == before


def test_truncated_bundle_is_unreadable_and_changes_nothing(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    import_file(store, party="MX", path=_jsonl(tmp_path / "rows.jsonl", ROWS))
    bundle = tmp_path / "export.json"
    export_bundle(store, path=bundle)
    cut = tmp_path / "cut.json"
    cut.write_bytes(bundle.read_bytes()[:-200])
    before = _count(store)
    with pytest.raises(UnreadableFile, match="not a valid STIX bundle"):
        import_file(store, party="MX", path=cut)
    assert _count(store) == before


def test_export_leaves_out_partners_records_unless_asked_and_marks_them(
    mx_node: Node, tmp_path: Path
) -> None:
    _config, store = mx_node
    import_file(store, party="MX", path=_jsonl(tmp_path / "rows.jsonl", ROWS[:1]))
    owned = _count(store)
    theirs = StoredVersion.of(phone("+1 520 555 0100", owner="US"), received_from="US")
    add(store, theirs)

    own_only = tmp_path / "own.json"
    report = export_bundle(store, path=own_only)
    written = {o["id"]: o for o in orjson.loads(own_only.read_bytes())["objects"]}
    assert theirs.id not in written
    assert (report.records, report.received, report.received_left_out) == (owned, 0, 1)

    everything = tmp_path / "all.json"
    report = export_bundle(store, path=everything, include_received=True)
    objects = {o["id"]: o for o in orjson.loads(everything.read_bytes())["objects"]}
    assert objects[theirs.id][RECEIVED_FROM] == "US"
    assert [i for i, o in objects.items() if RECEIVED_FROM in o] == [theirs.id]
    assert objects.keys() - written.keys() == {theirs.id}
    assert (report.records, report.received, report.received_left_out) == (owned + 1, 1, 0)
