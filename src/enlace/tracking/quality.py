"""Precision and recall of ingestion against communiqués marked by hand.

Matching rule: a proposed item matches an expected item of the same kind (meeting,
commitment, action) when its source sentence contains the expected item's `quote` (both with
whitespace collapsed) and the facts a coordinator would act on agree:

- meeting: the same mechanism, the same date or month, and the same place (the expected place
  contains the proposed one's first part, before any comma, or the other way round, accents
  and case aside);
- commitment: the same theme, responsible party and due date (both none counts as agreeing);
- action: the same owner agency and due date.

Each expected item matches at most one proposed item. Precision is matched / proposed,
recall matched / expected, over all items of all documents of a language.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from enlace.tracking.errors import UnsupportedLanguage
from enlace.tracking.ingest import propose
from enlace.tracking.proposal import Proposal

_KINDS = ("meetings", "commitments", "actions")


@dataclass(frozen=True, slots=True)
class Score:
    """Counts over some documents: what was proposed, expected and matched."""

    proposed: int
    expected: int
    matched: int

    @property
    def precision(self) -> float:
        """Matched / proposed (1.0 when nothing was proposed)."""
        return self.matched / self.proposed if self.proposed else 1.0

    @property
    def recall(self) -> float:
        """Matched / expected (1.0 when nothing was expected)."""
        return self.matched / self.expected if self.expected else 1.0

    def __add__(self, other: Score) -> Score:
        return Score(
            self.proposed + other.proposed,
            self.expected + other.expected,
            self.matched + other.matched,
        )


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """The score of one hand-marked communiqué, or the refusal of one in a third language."""

    name: str
    language: str
    score: Score
    refused: bool = False
    # The same counts per kind ("meetings", "commitments", "actions"): the targets differ
    # by kind, and a total hides a kind that does badly behind one that does well.
    kinds: Mapping[str, Score] = field(default_factory=dict)


def score_proposal(proposal: Proposal, expected: Mapping[str, Any]) -> Score:
    """Compare a proposal with a hand-marked expectation (see the module's matching rule)."""
    total = Score(0, 0, 0)
    for score in score_by_kind(proposal, expected).values():
        total += score
    return total


def score_by_kind(proposal: Proposal, expected: Mapping[str, Any]) -> dict[str, Score]:
    """`score_proposal`, kind by kind."""
    found = proposal.to_json()
    scores: dict[str, Score] = {}
    for kind in _KINDS:
        wanted = list(expected.get(kind, []))
        remaining = list(found[kind])
        matched = 0
        for item in wanted:
            hit = next((p for p in remaining if _matches(kind, p, item)), None)
            if hit is not None:
                remaining.remove(hit)
                matched += 1
        scores[kind] = Score(len(found[kind]), len(wanted), matched)
    return scores


def measure(folder: Path) -> list[DocumentResult]:
    """Ingest every `*.txt` of `folder` against its `.json` expectation."""
    results = []
    for path in sorted(folder.glob("*.txt")):
        expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        document_date = date.fromisoformat(expected["document_date"])
        try:
            proposal = propose(
                path.read_text(encoding="utf-8"),
                document_date=document_date,
                source_document=path.name,
            )
        except UnsupportedLanguage:
            results.append(DocumentResult(path.name, expected["language"], Score(0, 0, 0), True))
            continue
        kinds = score_by_kind(proposal, expected)
        total = Score(0, 0, 0)
        for score in kinds.values():
            total += score
        results.append(DocumentResult(path.name, proposal.language, total, kinds=kinds))
    return results


def by_language(results: Iterable[DocumentResult]) -> dict[str, Score]:
    """The summed score of the supported-language documents, per language."""
    totals: dict[str, Score] = {}
    for result in results:
        if not result.refused:
            totals[result.language] = totals.get(result.language, Score(0, 0, 0)) + result.score
    return totals


def by_language_and_kind(results: Iterable[DocumentResult]) -> dict[tuple[str, str], Score]:
    """The summed score per (language, kind) of the supported-language documents."""
    totals: dict[tuple[str, str], Score] = {}
    for result in results:
        if result.refused:
            continue
        for kind, score in result.kinds.items():
            key = (result.language, kind)
            totals[key] = totals.get(key, Score(0, 0, 0)) + score
    return totals


def _matches(kind: str, proposed: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    if _collapse(expected["quote"]) not in _collapse(proposed["source_sentence"]):
        return False
    if kind == "meetings":
        return bool(
            proposed["mechanism"] == expected["mechanism"]
            and proposed["meeting_date"] == expected.get("meeting_date")
            and proposed["meeting_month"] == expected.get("meeting_month")
            and _same_place(proposed["place"], expected.get("place"))
        )
    if kind == "commitments":
        return bool(
            proposed["theme"] == expected["theme"]
            and proposed["responsible"] == expected["responsible"]
            and proposed["due_date"] == expected.get("due_date")
        )
    return bool(
        proposed["owner_agency"] == expected["owner_agency"]
        and proposed["due_date"] == expected.get("due_date")
    )


def _same_place(proposed: str | None, expected: str | None) -> bool:
    if not proposed or not expected:
        return proposed == expected
    first, wanted = _fold(proposed.split(",")[0]), _fold(expected)
    return first in wanted or wanted in first


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _collapse(text: str) -> str:
    return " ".join(text.split())
