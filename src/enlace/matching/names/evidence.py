"""What a shared name key is worth as evidence that two records are one person or one body.

The requester weighs each key it shares with the partner by its kind (the tag at the start
of its own key's text, which it knows) and by how many records hold it on each side (which
the PSI run tells it anyway: its own records, and the partner's handles for the key). A pair
is kept when its keys add up to at least 1 (scoring.assign_one_to_one).

Strong keys weigh 1 alone: a person's surname, given-name sounds and date of birth, or both
surnames, the given name's initial and the date of birth; an organisation's whole name.
Weak keys say less, so they count only when they point at one record on each side: a key
two records of ours or two of theirs hold is what namesakes share (two "Juan García
Hernández" without a date of birth; two companies "Transportes Álamo ..." that differ in
one word). One record on each side is what remains when the name is rare enough on both;
it does not prove the pair, so these keys stay below a strong key in the ranking.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from enlace.matching.scoring import Weigh

# Tags of the person keys after the birth key (keys.py): the name without a date of birth
# (weak), the name with the state of birth (weak), both surnames with the given name's
# initial and the date of birth (strong).
PERSON_WITHOUT_BIRTH = b"#N|"
PERSON_BIRTHPLACE = b"#P|"
PERSON_BOTH_SURNAMES = b"#T|"
# The weak person keys: a name (and a sex or a state), weighed by how rare it is.
_WEAK_PERSON = (PERSON_WITHOUT_BIRTH, PERSON_BIRTHPLACE)
# Tags of organisation keys (organisations.py).
ORG_WHOLE = b"W|"
ORG_REDUCED = b"D|"
ORG_ACRONYM = b"A|"

_UNIQUE = 1.0
# A reduced organisation name held by several records: half, so it counts only with another
# key (a unique acronym or prefix key, or the reduced key of a second name or alias).
_REDUCED_SHARED = 0.5


def _unique(left_holders: int, right_holders: int) -> bool:
    return left_holders == 1 and right_holders == 1


# A name without a date of birth counts when fewer than this many of the partner's records
# are expected to bear it by chance (one in twenty). Measured on the generator at 100,000
# a side: 0.05 keeps every such pair found a true one; 0.2 lets 2.6 % namesakes through.
# The same bound holds for a name with a state of birth ("#P|"): BENCHMARKS.md, "Place of
# birth", gives its trade-off. Set on the generator's earlier hand-made names and not re-tuned
# when it moved to census frequencies (BENCHMARKS.md, "names on realistic synthetic names").
EXPECTED_NAMESAKES = 0.05


def weigh_person_key(key: bytes, left_holders: int, right_holders: int) -> float:
    """What a shared PERSON key is worth without knowing how common names are."""
    if key.startswith(_WEAK_PERSON):
        return 0.0
    return 1.0  # surname | given sounds | birth, and both surnames | initial | birth


@dataclass
class _Shares:
    """How many of one side's weak keys of one tag hold each given name, surname, last part."""

    given: Counter[str] = field(default_factory=Counter)
    surnames: Counter[str] = field(default_factory=Counter)
    last: Counter[str] = field(default_factory=Counter)  # sex ("#N|") or state ("#P|")
    records: int = 0

    def add(self, parts: list[str], holders: int) -> None:
        code, first, second, last = parts
        self.given[code] += holders
        self.surnames[first] += holders
        self.surnames[second] += holders
        self.last[last] += holders
        self.records += holders

    def name_share(self, code: str, first: str, second: str) -> float:
        """The share of records bearing this given name and these two surnames."""
        n = max(self.records, 1)
        share = self.given[code] / n * self.surnames[first] / (2 * n) * self.surnames[second]
        share /= 2 * n
        if first != second:
            share *= 2  # either order
        return share


@dataclass(frozen=True)
class PersonEvidence:
    """What a shared PERSON key is worth, knowing how common names are (a scoring.Weigh).

    A name without a date of birth ("#N|" key, the name and sex; "#P|", the name and the
    state of birth) counts only when one record on each side holds it and the name is
    rare: the requester estimates, from its own records (it knows their names; the
    partner's it never sees), how often a given name and each surname occur, and so how
    many of the partner's `partner_size` records would bear the name by chance. A "Juan
    García Hernández" is expected several times among 100,000 records and never counts; a
    rare combination does. For "#P|" the estimate is also multiplied by the share of this
    side's records born in that state: a name common in the country can be rare among
    those born in Colima, not among those born in Sinaloa. Every partner record is counted
    as one that could hold the state (the requester cannot tell how many do), which errs
    towards too many namesakes, not too few.
    """

    without_birth: _Shares
    birthplace: _Shares
    partner_size: int

    @classmethod
    def of_own_keys(
        cls, own: Iterable[tuple[bytes | str, int]], partner_size: int
    ) -> PersonEvidence:
        """From this side's PERSON keys and how many of its records hold each."""
        shares = {tag.decode("ascii"): _Shares() for tag in _WEAK_PERSON}
        for key, holders in own:
            text = key.decode("ascii") if isinstance(key, bytes) else key
            found = shares.get(text[:3])
            if found is not None:
                found.add(text[3:].split("|"), holders)
        return cls(shares["#N|"], shares["#P|"], partner_size)

    def expected_namesakes(self, key: bytes) -> float:
        """How many of the partner's records are expected to bear this weak key's name."""
        code, first, second, last = key[3:].decode("ascii").split("|")
        if key.startswith(PERSON_BIRTHPLACE):
            shares = self.birthplace
            share = shares.name_share(code, first, second)
            share *= shares.last[last] / max(shares.records, 1)
        else:
            share = self.without_birth.name_share(code, first, second)
        return share * self.partner_size

    def __call__(self, key: bytes, left_holders: int, right_holders: int) -> float:
        if key.startswith(_WEAK_PERSON):
            rare = self.expected_namesakes(key) <= EXPECTED_NAMESAKES
            return _UNIQUE if rare and _unique(left_holders, right_holders) else 0.0
        return weigh_person_key(key, left_holders, right_holders)


def person_weigh(own: Iterable[tuple[bytes | str, int]], partner_size: int) -> Weigh:
    """The PERSON weigh of a requester holding `own` keys, against `partner_size` records."""
    return PersonEvidence.of_own_keys(own, partner_size)


def weigh_organisation_key(key: bytes, left_holders: int, right_holders: int) -> float:
    """What a shared ORGANISATION key is worth (scoring.Weigh)."""
    if key.startswith(ORG_WHOLE):
        return 1.0
    if _unique(left_holders, right_holders):
        return _UNIQUE
    return _REDUCED_SHARED if key.startswith(ORG_REDUCED) else 0.0
