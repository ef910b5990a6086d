"""Scoring candidate pairs of name records by the match keys they share, locally.

After the intersection, the requester knows for each matched key which of its records hold
it and which of the partner's records (by opaque handle) do. A pair of records is a
candidate when it shares at least one key; its score adds up what each shared key is worth
(`Weigh`: by default 1, so the score is how many keys it shares; name keys weigh by their
kind and by how many records hold them, names/evidence.py). The pairs are then assigned one
to one, best first: a person is one record on each side, and a second, weaker candidate of
an already matched record is most likely a namesake born the same day. Ties are broken
towards the pair whose records have fewer other candidates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

A = TypeVar("A", bound=Hashable)  # a record of the left (requesting) side
B = TypeVar("B", bound=Hashable)  # a record of the right side, e.g. an opaque handle
T = TypeVar("T", bound=Hashable)


class Intersect(Protocol):
    """Which keys two sides share: (index in left, index in right) of each equal key.

    The keys of each side are distinct. `plain_intersection` compares in the clear (tests,
    evaluation); the private run passes the DH-PSI, where the requester learns only this.
    """

    def __call__(
        self, left: Sequence[bytes], right: Sequence[bytes], domain: bytes
    ) -> list[tuple[int, int]]: ...


class Weigh(Protocol):
    """What one shared key is worth as evidence for a pair of records.

    `key` is the requester's own key (it knows its text), `left_holders` how many of its
    records hold it and `right_holders` how many of the partner's do (what the PSI run
    tells the requester anyway).
    """

    def __call__(self, key: bytes, left_holders: int, right_holders: int) -> float: ...


def count_each(key: bytes, left_holders: int, right_holders: int) -> float:
    """Every shared key is worth 1: the score is the number of shared keys."""
    return 1.0


def plain_intersection(
    left: Sequence[bytes], right: Sequence[bytes], domain: bytes
) -> list[tuple[int, int]]:
    """The intersection in the clear (both sides' keys in one process): for evaluation."""
    index = {key: i for i, key in enumerate(left)}
    return [(index[key], j) for j, key in enumerate(right) if key in index]


@dataclass(frozen=True, slots=True)
class ScoredPair(Generic[A, B]):
    """A candidate pair: one record of each side and its score (the weighted shared keys)."""

    left: A
    right: B
    score: float


def distinct_keys(keys_by_record: Mapping[T, Sequence[bytes]]) -> dict[bytes, list[T]]:
    """Each distinct key and the records that hold it (a key goes through the PSI once)."""
    holders: defaultdict[bytes, list[T]] = defaultdict(list)
    for record, keys in keys_by_record.items():
        for key in keys:
            holders[key].append(record)
    return dict(holders)


def shared_key_counts(
    left: Mapping[bytes, Sequence[A]],
    right: Mapping[bytes, Sequence[B]],
    domain: bytes,
    intersect: Intersect,
    weigh: Weigh = count_each,
) -> dict[tuple[A, B], float]:
    """For every pair of records sharing a key: the sum of what its shared keys weigh."""
    left_keys = list(left)
    right_keys = list(right)
    matched = [
        (left_keys[i], left[left_keys[i]], right[right_keys[j]])
        # Sorted, so ties in the assignment fall the same way whichever intersection ran.
        for i, j in sorted(intersect(left_keys, right_keys, domain))
    ]
    return weigh_matched_keys(matched, weigh)


def weigh_matched_keys(
    matched: Iterable[tuple[bytes, Sequence[A], Sequence[B]]], weigh: Weigh = count_each
) -> dict[tuple[A, B], float]:
    """Pair scores from each shared key (its text, our records, the partner's records)."""
    counts: defaultdict[tuple[A, B], float] = defaultdict(float)
    for key, ours, theirs in matched:
        worth = weigh(key, len(ours), len(theirs))
        if worth <= 0:
            continue
        for a in ours:
            for b in theirs:
                counts[(a, b)] += worth
    return dict(counts)


def assign_one_to_one(
    counts: Mapping[tuple[A, B], float], *, min_shared: float = 1
) -> list[ScoredPair[A, B]]:
    """The pairs kept: best first, each record at most once, scoring at least `min_shared`."""
    per_left: defaultdict[A, int] = defaultdict(int)
    per_right: defaultdict[B, int] = defaultdict(int)
    for a, b in counts:
        per_left[a] += 1
        per_right[b] += 1
    ranked = sorted(
        ((n, a, b) for (a, b), n in counts.items() if n >= min_shared),
        key=lambda t: (-t[0], per_left[t[1]] + per_right[t[2]]),
    )
    taken_left: set[A] = set()
    taken_right: set[B] = set()
    kept = []
    for n, a, b in ranked:
        if a in taken_left or b in taken_right:
            continue
        taken_left.add(a)
        taken_right.add(b)
        kept.append(ScoredPair(a, b, n))
    return kept


def match_records(
    left: Mapping[A, Sequence[bytes]],
    right: Mapping[B, Sequence[bytes]],
    domain: bytes,
    intersect: Intersect = plain_intersection,
    *,
    weigh: Weigh = count_each,
    min_shared: float = 1,
) -> list[ScoredPair[A, B]]:
    """Match two sides' records by their keys of one kind: intersect, weigh, assign."""
    counts = shared_key_counts(distinct_keys(left), distinct_keys(right), domain, intersect, weigh)
    return assign_one_to_one(counts, min_shared=min_shared)
