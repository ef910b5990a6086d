"""Precision and recall of ingestion on the held-out communiqués, per language.

The files in tests/tracking/communiques/heldout/ (3 Spanish, 3 English) were written and
marked by hand without reading the ingestion rules and measured once (docs/tracking.md,
"Held-out measurement"); the rules were then revised on them, so they are development
material now. tests/tracking/communiques/heldout2/ (2 + 2) was written blind afterwards and
never used to tune anything: it is the unseen set. Computed by the same code as
`bench/ingest_quality.py` (enlace.tracking.quality).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from enlace.tracking.quality import Score, by_language, measure

HELDOUT = Path(__file__).parent / "communiques" / "heldout"
HELDOUT2 = Path(__file__).parent / "communiques" / "heldout2"
BLIND3 = Path(__file__).parent / "communiques" / "blind3"
BLIND4 = Path(__file__).parent / "communiques" / "blind4"
DEV5 = Path(__file__).parent / "communiques" / "dev5"

# The fourth blind set, measured once (2026-12-03, 14:46 UTC, b041eb7), all kinds together:
# en 38 proposed, 46 expected, 30 matched; es 35 proposed, 42 expected, 25 matched
# (docs/tracking.md, "Fourth blind set"). Same guard; the targets were not met.
FIRST4 = {
    "en": {"precision": 30 / 38, "recall": 30 / 46},  # 0.789, 0.652
    "es": {"precision": 25 / 35, "recall": 25 / 42},  # 0.714, 0.595
}

# The development set dev5, after the rules were tuned on it (its first, unseen figures were
# en 23 of 32 proposed and 44 expected, es 27 of 33 and 43): en 42 proposed, 44 expected, 41
# matched; es 42, 43, 41. The guard keeps the fixes.
TUNED5 = {
    "en": {"precision": 41 / 42, "recall": 41 / 44},  # 0.976, 0.932
    "es": {"precision": 41 / 42, "recall": 41 / 43},  # 0.976, 0.953
}

# The third blind set (issue 16), measured once with the rules of issue 16 (2026-12-03, 13:12
# UTC, 55c890f), all kinds together: en 33 proposed, 40 expected, 15 matched; es 37 proposed,
# 43 expected, 21 matched (docs/tracking.md, "Third blind set"). Same guard.
FIRST3 = {
    "en": {"precision": 15 / 33, "recall": 15 / 40},  # 0.455, 0.375
    "es": {"precision": 21 / 37, "recall": 21 / 43},  # 0.568, 0.488
}

# The third blind set after the rules were revised on its misses (docs/tracking.md, "Why the
# third blind set's items were missed"): en 38 proposed, 40 expected, 24 matched (0.632,
# 0.600); es 44 proposed, 43 expected, 34 matched (0.773, 0.791). Development figures, not
# unseen ones; the guard follows them so the fixes are not lost.
REVISED3 = {
    "en": {"precision": 24 / 38, "recall": 24 / 40},  # 0.632, 0.600
    "es": {"precision": 34 / 44, "recall": 34 / 43},  # 0.773, 0.791
}

# The second blind set, measured once with the revised rules (2026-11-25, 19:43 UTC): en 18
# proposed, 19 expected, 12 matched; es 18 proposed, 18 expected, 14 matched. Same guard.
FIRST2 = {
    "en": {"precision": 12 / 18, "recall": 12 / 19},  # 0.667, 0.632
    "es": {"precision": 14 / 18, "recall": 14 / 18},  # 0.778, 0.778
}

# The first measurement on the held-out set, taken once with the rules untouched
# (2026-11-25): en 26 proposed, 29 expected, 12 matched; es 27 proposed, 27 expected,
# 14 matched.
FIRST = {
    "en": {"precision": 12 / 26, "recall": 12 / 29},  # 0.462, 0.414
    "es": {"precision": 14 / 27, "recall": 14 / 27},  # 0.519, 0.519
}

# A regression guard, not a target: these figures are low, and the test only fails when a
# change to the rules makes them worse than the first measurement by more than 0.05. Raising
# them by tuning the rules on these files would make the set no longer held out; write new
# unseen communiqués for that and measure them once, before any tuning.
MARGIN = 0.05


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    return dict(by_language(measure(HELDOUT)))


@pytest.mark.parametrize("language", ["es", "en"])
def test_heldout_precision_and_recall_do_not_regress(
    scores: dict[str, Score], language: str
) -> None:
    score = scores[language]
    assert score.expected >= 25, "the held-out set lost hand-marked items"
    assert score.precision >= FIRST[language]["precision"] - MARGIN, score
    assert score.recall >= FIRST[language]["recall"] - MARGIN, score


@pytest.mark.parametrize("language", ["es", "en"])
def test_second_blind_set_precision_and_recall_do_not_regress(language: str) -> None:
    score = dict(by_language(measure(HELDOUT2)))[language]
    assert score.expected >= 18, "the second blind set lost hand-marked items"
    assert score.precision >= FIRST2[language]["precision"] - MARGIN, score
    assert score.recall >= FIRST2[language]["recall"] - MARGIN, score


@pytest.mark.parametrize("language", ["es", "en"])
def test_third_blind_set_precision_and_recall_do_not_regress(language: str) -> None:
    score = dict(by_language(measure(BLIND3)))[language]
    assert score.expected >= 40, "the third blind set lost hand-marked items"
    assert score.precision >= REVISED3[language]["precision"] - MARGIN, score
    assert score.recall >= REVISED3[language]["recall"] - MARGIN, score


@pytest.mark.parametrize(
    ("folder", "floor", "least_expected"), [(BLIND4, FIRST4, 42), (DEV5, TUNED5, 43)]
)
@pytest.mark.parametrize("language", ["es", "en"])
def test_fourth_blind_set_and_dev5_do_not_regress(
    folder: Path, floor: dict[str, dict[str, float]], least_expected: int, language: str
) -> None:
    score = dict(by_language(measure(folder)))[language]
    assert score.expected >= least_expected, f"{folder.name} lost hand-marked items"
    assert score.precision >= floor[language]["precision"] - MARGIN, score
    assert score.recall >= floor[language]["recall"] - MARGIN, score


def test_heldout_set_is_three_communiques_per_language_with_their_quotes() -> None:
    texts = sorted(HELDOUT.glob("*.txt"))
    languages = [json.loads(p.with_suffix(".json").read_text("utf-8"))["language"] for p in texts]
    assert sorted(languages) == ["en", "en", "en", "es", "es", "es"]
    for path in texts:
        marked = json.loads(path.with_suffix(".json").read_text("utf-8"))
        date.fromisoformat(marked["document_date"])
        text = " ".join(path.read_text("utf-8").split())
        for kind in ("meetings", "commitments", "actions"):
            for item in marked[kind]:
                # Each quote occurs exactly once, so a match cannot come from another sentence.
                assert text.count(" ".join(item["quote"].split())) == 1, (path.name, item)
