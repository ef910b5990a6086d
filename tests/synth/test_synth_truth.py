"""write_truth: the truth as CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from enlace.model.csv_cells import restored
from enlace.synth import TRUTH_COLUMNS, SynthConfig, TruthLink, truth_links, write_truth


def test_truth_csv_has_one_row_per_link(tmp_path: Path) -> None:
    truth = truth_links(SynthConfig(scale=300))
    path = tmp_path / "truth.csv"
    write_truth(truth, path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == TRUTH_COLUMNS
        rows = list(reader)
    assert len(rows) == len(truth)
    for row, link in zip(rows, truth, strict=True):
        assert row["kind"] == link.kind
        # Quoted against spreadsheet formulas ('+1 vs dashes), as every CSV Enlace writes.
        assert restored(row["variation"]) == link.variation
        assert (row["party_a"], row["record_a"]) == link.records[0]
        assert (row["party_b"], row["record_b"]) == link.records[1]


def test_links_of_more_parties_become_pairs(tmp_path: Path) -> None:
    link = TruthLink(
        "person", (("MX", "identity--a"), ("US", "identity--b"), ("CA", "identity--c")), "exact"
    )
    path = tmp_path / "truth.csv"
    write_truth([link], path)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["party_a"], r["party_b"]) for r in rows] == [
        ("MX", "US"),
        ("MX", "CA"),
        ("US", "CA"),
    ]
