"""Ground truth for matching: which records of different parties are the same real thing."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from enlace.model.csv_cells import FormulaSafeDictWriter

TRUTH_COLUMNS: tuple[str, ...] = ("kind", "variation", "party_a", "record_a", "party_b", "record_b")


@dataclass(frozen=True)
class TruthLink:
    """Records of different parties that refer to the same real thing."""

    kind: str  # "firearm" | "phone" | "vehicle" | "person" | "organisation" | "company"
    records: tuple[tuple[str, str], ...]  # ((party, record_id), ...) one per party holding it
    variation: str  # what differs between them, e.g. "typo in surname", "plate formatting"


def truth_rows(truth: list[TruthLink]) -> list[dict[str, str]]:
    """The truth as CSV rows, one per pair of records (one per link with two parties)."""
    rows = []
    for link in truth:
        for (party_a, record_a), (party_b, record_b) in combinations(link.records, 2):
            rows.append({
                "kind": link.kind, "variation": link.variation,
                "party_a": party_a, "record_a": record_a,
                "party_b": party_b, "record_b": record_b,
            })  # fmt: skip
    return rows


def write_truth(truth: list[TruthLink], path: Path) -> None:
    """Write the truth as CSV: kind,variation,party_a,record_a,party_b,record_b."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = FormulaSafeDictWriter(handle, TRUTH_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(truth_rows(truth))
