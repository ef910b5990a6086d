"""Private name matching between two sets of records, in one process: keys, PSI, scoring.

`match_persons` and `match_organisations` take each side's records by id, derive their
match keys (keys.py), intersect the keys through `intersect` (the DH-PSI by default, the
same protocol and blinding pool as exact identifiers; `plain_intersection` to evaluate in
the clear) and keep the best one-to-one pairs (scoring.py). What each side learns in a run
between nodes: docs/matching.md, "Names".
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from enlace.matching.blinding import default_workers
from enlace.matching.names.evidence import person_weigh, weigh_organisation_key
from enlace.matching.names.keys import (
    NameKeyKind,
    OrgName,
    PersonName,
    key_domain,
    organisation_keys,
    person_keys,
)
from enlace.matching.psi import intersect_in_process
from enlace.matching.scoring import (
    Intersect,
    ScoredPair,
    Weigh,
    assign_one_to_one,
    distinct_keys,
    match_records,
    weigh_matched_keys,
)

A = TypeVar("A", bound=Hashable)
B = TypeVar("B", bound=Hashable)


@dataclass
class PsiIntersection:
    """The DH-PSI run in this process as an `Intersect`, adding up the bytes on the wire."""

    workers: int = field(default_factory=default_workers)  # 0: blind in this process
    wire_bytes: int = 0
    items: int = 0  # distinct keys sent through the PSI, both sides

    def __call__(
        self, left: Sequence[bytes], right: Sequence[bytes], domain: bytes
    ) -> list[tuple[int, int]]:
        pairs, wire = intersect_in_process(left, right, domain, self.workers)
        self.wire_bytes += wire
        self.items += len(left) + len(right)
        return pairs


def match_persons(
    left: Mapping[A, PersonName],
    right: Mapping[B, PersonName],
    intersect: Intersect | None = None,
) -> list[ScoredPair[A, B]]:
    """Pairs of person records (left id, right id) judged the same person, one to one."""
    left_keys = {record: person_keys(name) for record, name in left.items()}
    own = distinct_keys(left_keys)
    return match_records(
        left_keys,
        {record: person_keys(name) for record, name in right.items()},
        key_domain(NameKeyKind.PERSON),
        intersect or PsiIntersection(),
        weigh=person_weigh(((key, len(records)) for key, records in own.items()), len(right)),
    )


def match_organisations(
    left: Mapping[A, OrgName],
    right: Mapping[B, OrgName],
    intersect: Intersect | None = None,
) -> list[ScoredPair[A, B]]:
    """Pairs of organisation records judged the same organisation, one to one."""
    return match_records(
        {record: organisation_keys(org) for record, org in left.items()},
        {record: organisation_keys(org) for record, org in right.items()},
        key_domain(NameKeyKind.ORGANISATION),
        intersect or PsiIntersection(),
        weigh=weigh_organisation_key,
    )


def weigh_for(kind: NameKeyKind, own: Mapping[str, Sequence[object]], partner_size: int) -> Weigh:
    """What a shared key of `kind` is worth to a requester holding `own` keys (evidence.py)."""
    if kind is NameKeyKind.PERSON:
        return person_weigh(((key, len(records)) for key, records in own.items()), partner_size)
    return weigh_organisation_key


def assign_matched_keys(
    matched: Iterable[tuple[bytes | str, Sequence[A], Sequence[B]]],
    kind: NameKeyKind,
    own: Mapping[str, Sequence[object]],
    partner_size: int,
    *,
    min_shared: float = 1,
) -> list[ScoredPair[A, B]]:
    """The pairs to keep after a PSI run on name keys, from what the requester learned.

    `matched` holds, for each shared key, its text (this node's own key), this node's
    records holding it and the partner's handles for it (a node run's round 2); `own` is
    every key this node sent (key -> its records) and `partner_size` how many keys the
    partner sent, from which a rare name is told from a common one (evidence.py). Pairs
    are weighed and assigned one to one as in `match_records`: a run between nodes stores
    these pairs, not every record x handle.
    """
    weighed = weigh_matched_keys(
        (
            (k.encode("ascii") if isinstance(k, str) else k, ours, theirs)
            for k, ours, theirs in matched
        ),
        weigh_for(kind, own, partner_size),
    )
    return assign_one_to_one(weighed, min_shared=min_shared)
