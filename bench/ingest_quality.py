"""Precision and recall of communiqué ingestion against the hand-marked communiqués.

    .venv/bin/python bench/ingest_quality.py [FOLDER]   # default tests/tracking/communiques
    .venv/bin/python bench/ingest_quality.py --set heldout   # tests/tracking/communiques/heldout

Prints one table per language (proposed, expected, matched, precision, recall, per document
and in total), one per language and kind (meetings, commitments, actions: the targets are
per kind), and the third-language documents that were refused. The matching rule is the
one of `enlace.tracking.quality`: same kind, the proposed source sentence contains the
expected quote, and the facts agree (meeting: mechanism, date or month, place; commitment:
theme, responsible party, due date; action: owner agency, due date). The same code computes
the floors that tests/tracking/test_ingest_quality.py asserts.

`--set heldout` measures the held-out communiqués (written and marked by hand without looking
at the rules, never used to tune them; docs/tracking.md, "Held-out measurement"), whose floors
tests/tracking/test_ingest_heldout.py asserts. Only the `*.txt` files directly in the folder are
read, so the default set does not include the held-out one.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from enlace.tracking.quality import (
    DocumentResult,
    Score,
    by_language,
    by_language_and_kind,
    measure,
)

DEFAULT = Path(__file__).resolve().parents[1] / "tests" / "tracking" / "communiques"
SETS = {"tuning": DEFAULT, "heldout": DEFAULT / "heldout"}


def _row(name: str, score: Score) -> tuple[str, ...]:
    return (
        name,
        str(score.proposed),
        str(score.expected),
        str(score.matched),
        f"{score.precision:.3f}",
        f"{score.recall:.3f}",
    )


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description="Precision and recall of communiqué ingestion.")
    parser.add_argument("folder", nargs="?", type=Path, help="a folder of *.txt with *.json")
    parser.add_argument(
        "--set",
        choices=sorted(SETS),
        help="a named set instead of a folder: tuning (the default) or heldout",
    )
    arguments = parser.parse_args()
    if arguments.folder is not None and arguments.set is not None:
        parser.error("give a folder or --set, not both")
    folder = arguments.folder or SETS[arguments.set or "tuning"]
    started = time.perf_counter()
    results = measure(folder)
    elapsed = time.perf_counter() - started
    console = Console(highlight=False)
    totals = by_language(results)
    for language, total in sorted(totals.items()):
        table = Table(
            "document",
            "proposed",
            "expected",
            "matched",
            "precision",
            "recall",
            title=f"ingestion quality: {language}",
        )
        documents: list[DocumentResult] = [
            r for r in results if r.language == language and not r.refused
        ]
        for result in documents:
            table.add_row(*_row(result.name, result.score))
        table.add_row(*_row(f"all {len(documents)}", total), style="bold")
        console.print(table)
    kinds = Table(
        "language",
        "kind",
        "proposed",
        "expected",
        "matched",
        "precision",
        "recall",
        title="per kind (targets: meetings >= 0.95, commitments >= 0.9, both figures)",
    )
    for (language, kind), score in sorted(by_language_and_kind(results).items()):
        kinds.add_row(language, *_row(kind, score))
    console.print(kinds)
    for result in results:
        if result.refused:
            console.print(f"{result.name}: refused as unsupported language ({result.language})")
    console.print(f"{len(results)} documents read in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
