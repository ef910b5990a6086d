"""Precision and recall of ingestion on the hand-marked communiqués, per language.

Computed by the same code as `bench/ingest_quality.py` (enlace.tracking.quality), against
the files in tests/tracking/communiques/ (4+ Spanish, 4+ English, one French).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from enlace.tracking.ingest import propose
from enlace.tracking.quality import Score, by_language, measure, score_proposal

COMMUNIQUES = Path(__file__).parent / "communiques"

# The floor: the rules are meant to leave a coordinator little to correct. At 0.8 at most one
# proposed item in five is wrong or missing, so reviewing a proposal stays quicker than
# reading the communiqué and typing it in; a change to the rules that drops below it makes
# review the bigger job and must be looked at. (Measured today: see docs/tracking.md; the
# floor sits below the figures so a reworded rule that trades one match for another passes.)
FLOOR = 0.8


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    return dict(by_language(measure(COMMUNIQUES)))


@pytest.mark.parametrize("language", ["es", "en"])
def test_precision_and_recall_per_language_reach_the_floor(
    scores: dict[str, Score], language: str
) -> None:
    score = scores[language]
    assert score.expected >= 15, "too few hand-marked items to measure"
    assert score.precision >= FLOOR, score
    assert score.recall >= FLOOR, score


def test_every_language_has_at_least_four_marked_communiques() -> None:
    results = measure(COMMUNIQUES)
    for language in ("es", "en"):
        assert sum(1 for r in results if r.language == language and not r.refused) >= 4
    refused = [r for r in results if r.refused]
    assert refused, "the third-language communiqué must be refused"
    assert all(r.language not in ("es", "en") for r in refused)


def test_a_proposal_matches_only_when_its_facts_agree() -> None:
    sentence = "Ambos gobiernos acordaron combatir el robo de combustible para febrero."
    proposal = propose(sentence, document_date=date(2025, 9, 5), source_document="x.txt")
    right = {"quote": "acordaron combatir", "theme": "fuel-theft", "responsible": "joint"}
    assert score_proposal(
        proposal, {"commitments": [{**right, "due_date": "2026-02-28"}]}
    ) == Score(1, 1, 1)
    # A wrong due date, theme or party, or another sentence: proposed but not matched.
    for wrong in (
        {**right, "due_date": "2026-02-01"},
        {**right, "due_date": "2026-02-28", "theme": "drones"},
        {**right, "due_date": "2026-02-28", "responsible": "MX"},
        {**right, "due_date": "2026-02-28", "quote": "acordaron otra cosa"},
    ):
        assert score_proposal(proposal, {"commitments": [wrong]}) == Score(1, 1, 0)
