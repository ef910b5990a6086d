"""A record received from a partner stays its owner's: no import makes this node its author.

Issue 12, item 4: a row (CSV, JSON Lines) or a bundle object whose id is a record this node
holds as received is refused in every format — one clear problem naming the row and the
party the record came from, nothing of the file written, the attempt audited
("takeover-refused") — and with `--rejects` only those rows are set aside.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import orjson
import pytest

from enlace.files.importer import import_file
from enlace.files.problems import ImportRejected
from enlace.node.config import NodeConfig
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support.exchange import add, phone

Node = tuple[NodeConfig, Store]

THEIRS = StoredVersion.of(phone("+1 520 555 0100", owner="US"), received_from="US")
OWN_ROW = {"type": "phone", "agency": "FGR", "number": "+52 55 1234 5678", "tlp": "green"}
TAKEOVER_ROW = {"type": "phone", "agency": "FGR", "number": "+1 520 555 0100", "id": THEIRS.id}


def _versions(store: Store) -> set[tuple[str, str, str | None]]:
    with store.unit_of_work() as uow:
        return {(r.id, r.owner, r.received_from) for r in uow.records.iter_latest()}


def _audit(store: Store) -> list[tuple[str, object]]:
    with store.unit_of_work() as uow:
        return [(e.action, e.detail) for e in uow.audit.entries()]


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = sorted({c for row in rows for c in row})
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _bundle(path: Path, rows: list[dict[str, str]]) -> Path:
    # The received record's own STIX, claimed by this node: what a forged bundle would carry.
    text = THEIRS.stix.replace('"owner":"US"', '"owner":"MX"')
    assert text != THEIRS.stix
    del rows  # a bundle carries objects, not rows
    path.write_bytes(
        orjson.dumps({"type": "bundle", "id": "bundle--1", "objects": [orjson.loads(text)]})
    )
    return path


@pytest.mark.parametrize("write", [_csv, _jsonl], ids=["csv", "jsonl"])
def test_a_row_naming_a_received_record_is_refused_audited_and_nothing_written(
    mx_node: Node, tmp_path: Path, write: object
) -> None:
    _config, store = mx_node
    add(store, THEIRS)
    before = _versions(store)
    suffix = ".csv" if write is _csv else ".jsonl"
    source = write(tmp_path / f"rows{suffix}", [OWN_ROW, TAKEOVER_ROW])  # type: ignore[operator]
    with pytest.raises(ImportRejected) as caught:
        import_file(store, party="MX", path=source)
    (problem,) = caught.value.problems
    assert (problem.field, problem.found) == ("id", THEIRS.id)
    assert "received from US" in problem.expected
    assert _versions(store) == before  # not even the good row: all or nothing
    action, detail = _audit(store)[-1]
    assert action == "takeover-refused"
    assert detail == {"count": 1, "records": [THEIRS.id], "via": "cli"}


def test_with_rejects_only_the_takeover_row_is_set_aside(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    add(store, THEIRS)
    rejects = tmp_path / "rejects.csv"
    source = _csv(tmp_path / "rows.csv", [OWN_ROW, TAKEOVER_ROW])
    report = import_file(store, party="MX", path=source, rejects=rejects)
    assert (report.imported, report.rejected) == (1, 1)
    held = _versions(store)
    assert (THEIRS.id, "US", "US") in held
    assert not any(rid == THEIRS.id and owner == "MX" for rid, owner, _ in held)
    with rejects.open(encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["field"], row["found"]) == ("id", THEIRS.id)
    assert _audit(store)[-1][0] == "takeover-refused"


def test_a_bundle_object_claiming_a_received_record_is_refused(
    mx_node: Node, tmp_path: Path
) -> None:
    _config, store = mx_node
    add(store, THEIRS)
    before = _versions(store)
    with pytest.raises(ImportRejected) as caught:
        import_file(store, party="MX", path=_bundle(tmp_path / "forged.json", []))
    (problem,) = caught.value.problems
    assert (problem.field, problem.found) == ("id", THEIRS.id)
    assert "received from US" in problem.expected
    assert _versions(store) == before
