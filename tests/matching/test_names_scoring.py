"""Scoring candidate pairs by shared keys and assigning them one to one."""

from __future__ import annotations

from collections.abc import Sequence

from enlace.matching.names.keys import NameKeyKind
from enlace.matching.names.match import assign_matched_keys
from enlace.matching.scoring import (
    assign_one_to_one,
    distinct_keys,
    match_records,
    plain_intersection,
    shared_key_counts,
)


def test_distinct_keys_lists_every_record_holding_a_key() -> None:
    held = distinct_keys({"a": [b"k1", b"k2"], "b": [b"k1"]})
    assert held == {b"k1": ["a", "b"], b"k2": ["a"]}


def test_shared_key_counts_counts_each_shared_key_once_per_pair() -> None:
    left = distinct_keys({"a": [b"k1", b"k2"], "b": [b"k3"]})
    right = distinct_keys({"x": [b"k1", b"k2"], "y": [b"k2"], "z": [b"k9"]})
    counts = shared_key_counts(left, right, b"d", plain_intersection)
    assert counts == {("a", "x"): 2, ("a", "y"): 1}


def test_the_pair_sharing_more_keys_wins_and_each_record_is_used_once() -> None:
    counts = {("a", "x"): 2, ("a", "y"): 1, ("b", "y"): 1, ("b", "x"): 1}
    kept = {(p.left, p.right, p.score) for p in assign_one_to_one(counts)}
    assert kept == {("a", "x", 2), ("b", "y", 1)}


def test_a_tie_goes_to_the_pair_with_fewer_other_candidates() -> None:
    # a could be x or y; b only y: giving y to a would leave b unmatched.
    counts = {("a", "y"): 1, ("b", "y"): 1, ("a", "x"): 1, ("c", "x"): 1, ("c", "z"): 1}
    kept = {(p.left, p.right) for p in assign_one_to_one(counts)}
    assert ("b", "y") in kept
    assert len(kept) == 3


def test_pairs_below_the_threshold_are_dropped() -> None:
    counts = {("a", "x"): 2, ("b", "y"): 1}
    assert [(p.left, p.right) for p in assign_one_to_one(counts, min_shared=2)] == [("a", "x")]


def test_plain_intersection_gives_index_pairs_of_equal_keys() -> None:
    assert sorted(plain_intersection([b"a", b"b", b"c"], [b"c", b"z", b"a"], b"d")) == [
        (0, 2),
        (2, 0),
    ]


def test_match_records_sends_each_distinct_key_once() -> None:
    sent: list[tuple[int, int]] = []

    def counting(
        left: Sequence[bytes], right: Sequence[bytes], domain: bytes
    ) -> list[tuple[int, int]]:
        sent.append((len(left), len(right)))
        return plain_intersection(left, right, domain)

    pairs = match_records({"a": [b"k"], "b": [b"k"]}, {"x": [b"k"]}, b"d", counting)
    assert sent == [(1, 1)]
    assert len(pairs) == 1


def test_assign_matched_keys_counts_keys_per_record_and_handle() -> None:
    # Key 1: our a and b, their h1. Key 2: our a, their h1 and h2. Key 3: our b, their h2.
    k1, k2, k3 = "W|ALM", "W|ALM NRT", "W|BRB"
    matched = [(k1, ["a", "b"], [b"h1"]), (k2, ["a"], [b"h1", b"h2"]), (k3, ["b"], [b"h2"])]
    own = {k1: ["a", "b"], k2: ["a"], k3: ["b"]}
    kept = assign_matched_keys(matched, NameKeyKind.ORGANISATION, own, 3)
    assert {(p.left, p.right, p.score) for p in kept} == {("a", b"h1", 2), ("b", b"h2", 1)}


def test_weak_keys_count_only_when_one_record_on_each_side_holds_them() -> None:
    # A reduced name (D) held by two of ours weighs half; held by one on each side, 1.
    matched = [("D|ALM", ["a", "b"], [b"h1"]), ("D|BRB", ["c"], [b"h2"])]
    own = {"D|ALM": ["a", "b"], "D|BRB": ["c"]}
    kept = assign_matched_keys(matched, NameKeyKind.ORGANISATION, own, 2)
    assert {(p.left, p.right) for p in kept} == {("c", b"h2")}


def test_a_weighted_score_is_summed_per_pair() -> None:
    left = distinct_keys({"a": [b"k1", b"k2"], "b": [b"k2"]})
    right = distinct_keys({"x": [b"k1", b"k2"]})

    def half(key: bytes, left_holders: int, right_holders: int) -> float:
        return 0.5 if left_holders > 1 else 1.0

    scores = shared_key_counts(left, right, b"d", plain_intersection, half)
    assert scores == {("a", "x"): 1.5, ("b", "x"): 0.5}
