"""The synthetic world both parties' records are drawn from, as pure functions of the config.

Every "real thing" (a firearm, a phone, a person, ...) is a world entity with an index. Which
parties hold it, and everything about it, comes from a hash of (config, kind, index), so any
entity can be rebuilt on its own: a party's records stream out without keeping the others in
memory, and both parties see the same entity the same way before each writes it in its own
style.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Generic, TypeVar

from enlace.model.catalogue import DEFAULT_AGENCIES
from enlace.model.markings import Evaluation, HandlingCode, Markings, Tlp
from enlace.model.records import Record, Relationship, agency_id, derived_id
from enlace.synth.config import SUPPORTED_PARTIES, SynthConfig

T = TypeVar("T")


class Weighted(Generic[T]):
    """Items with weights, picked with one draw of an rng."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        items: list[T] = []
        cum: list[float] = []
        total = 0.0
        for item, weight in pairs:
            if weight <= 0:
                continue
            total += weight
            items.append(item)
            cum.append(total)
        if not items:
            raise ValueError("Weighted needs at least one item with a positive weight")
        self.items: tuple[T, ...] = tuple(items)
        self.cum: tuple[float, ...] = tuple(cum)
        self.total = total

    def pick(self, rng: random.Random) -> T:
        """One item, with probability proportional to its weight."""
        return self.items[bisect_right(self.cum, rng.random() * self.total)]

    def share(self, item: T) -> float:
        """The probability of picking item."""
        total = 0.0
        previous = 0.0
        for candidate, cum in zip(self.items, self.cum, strict=True):
            if candidate == item:
                total += cum - previous
            previous = cum
        return total / self.total

    def at(self, u: float) -> T:
        """The item a uniform draw u in [0, 1) falls on."""
        return self.items[min(bisect_right(self.cum, u * self.total), len(self.items) - 1)]


def uniform(items: Sequence[T]) -> Weighted[T]:
    """Equal weights."""
    return Weighted((item, 1.0) for item in items)


# Of the entities only one party holds, the share Mexico holds, by kind.
MX_SHARE: dict[str, float] = {
    "firearm": 0.65,  # most records of trafficked guns are recoveries in Mexico
    "person": 0.55,
    "phone": 0.5,
    "vehicle": 0.5,
    "company": 0.6,
}

# The share of firearms Mexico holds that come back traced to a US source (GAO-21-322: ~70%
# of firearms recovered in Mexico in 2014-2018 and submitted for tracing were US-sourced).
US_SOURCED_SHARE = 0.70


@dataclass(frozen=True)
class Counts:
    """How many world entities of each kind, and party-local events, a scale gives."""

    companies: int
    persons: int
    phones: int
    vehicles: int
    firearms: int
    seizures: dict[str, int]
    laboratories: int
    transfers: int

    @classmethod
    def for_scale(cls, scale: int) -> Counts:
        """Counts tuned so each party holds about `scale` records at the default overlap."""
        return cls(
            companies=max(2, round(0.012 * scale)),
            persons=max(4, round(0.08 * scale)),
            phones=max(3, round(0.07 * scale)),
            vehicles=max(3, round(0.05 * scale)),
            firearms=max(5, round(0.14 * scale)),
            seizures={"MX": max(5, round(0.535 * scale)), "US": max(5, round(0.685 * scale))},
            laboratories=max(1, round(0.015 * scale)),
            transfers=max(1, round(0.004 * scale)),
        )


_TLPS = Weighted(
    ((Tlp.CLEAR, 4), (Tlp.GREEN, 44), (Tlp.AMBER, 38), (Tlp.AMBER_STRICT, 10), (Tlp.RED, 4))
)
_HANDLING = Weighted(
    ((HandlingCode.H0, 40), (HandlingCode.H1, 25), (HandlingCode.H2, 25), (HandlingCode.H3, 10))
)
_EVALUATIONS = Weighted(
    (Evaluation.parse(code), weight)
    for code, weight in (
        ("B2", 35), ("B3", 18), ("A2", 10), ("C3", 12), ("A1", 6), ("C2", 6), ("B1", 5),
        ("X4", 5), ("C4", 3),
    )
)  # fmt: skip
_H3_TEXT = {
    "MX": (
        "Solo para la investigación conjunta; consultar a {agency} antes de cualquier uso "
        "operativo",
        "No difundir a autoridades estatales o municipales sin autorización de {agency}",
        "Uso exclusivo para inteligencia; no incorporar a carpetas de investigación sin "
        "autorización de {agency}",
    ),
    "US": (
        "Only for the joint investigation it was shared for; contact {agency} before any "
        "operational use",
        "Not for release to state or local agencies without {agency} approval",
        "Lead information only; corroborate before any arrest or search ({agency})",
    ),
}


_MASK64 = (1 << 64) - 1
_TO_UNIT = 1.0 / 18446744073709551616.0
_ONLY_MX = ("MX",)
_ONLY_US = ("US",)


def _mix64(x: int) -> int:
    """SplitMix64's finaliser: a fast, well-spread bijection on 64-bit integers."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def below(rng: random.Random, n: int) -> int:
    """A whole number in [0, n) from one draw (faster than randrange, bias below 2**-40)."""
    return int(rng.random() * n)


def other_party(party: str) -> str:
    """The partner of a party in the MX-US world."""
    return "US" if party == "MX" else "MX"


class World:
    """The config's world: entity membership, random streams, ids, markings and timestamps."""

    def __init__(self, config: SynthConfig) -> None:
        self.config = config
        self.tag = (
            f"synth|{config.seed}|{config.scale}|{config.overlap!r}|"
            f"{config.start.isoformat()}|{config.end.isoformat()}"
        )
        self.start = config.start
        self.days = (config.end - config.start).days + 1
        self.counts = Counts.for_scale(config.scale)
        self._t0 = datetime.combine(config.start, time(), UTC)
        self._agency_refs = {
            (party, acronym): agency_id(party, acronym)
            for party, agencies in DEFAULT_AGENCIES.items()
            for acronym, _ in agencies
        }
        self._acronyms = {ref: acronym for (_, acronym), ref in self._agency_refs.items()}
        self._markings: dict[tuple[str, str], Weighted[Markings]] = {}
        self._salts: dict[str, int] = {}
        self._dates = [config.start + timedelta(days=k) for k in range(self.days)]

    # --- randomness ----------------------------------------------------------------------

    def digest(self, *parts: object) -> bytes:
        """16 bytes that depend on the config and the parts only."""
        key = "|".join((self.tag, *map(str, parts)))
        return hashlib.blake2b(key.encode(), digest_size=16).digest()

    def salt(self, name: str) -> int:
        """A 64-bit number for a named use of randomness (cached: names are few)."""
        found = self._salts.get(name)
        if found is None:
            found = self._salts[name] = int.from_bytes(self.digest(name)[:8])
        return found

    def mix(self, name: str, index: int) -> int:
        """A 64-bit hash of (config, name, index): different indexes never collide."""
        salt = self._salts.get(name)
        if salt is None:
            salt = self.salt(name)
        return _mix64((salt + index) & _MASK64)

    def unit(self, name: str, index: int) -> float:
        """A number in [0, 1) that depends on the config, the name and the index only."""
        return self.mix(name, index) * _TO_UNIT

    def rng(self, *parts: object) -> random.Random:
        """A random stream that depends on the config and the parts only."""
        return random.Random(int.from_bytes(self.digest(*parts)))

    def holders_of(self, u: float, kind: str) -> tuple[str, ...]:
        """Which parties hold an entity whose membership draw is u."""
        overlap = self.config.overlap
        if u < overlap:
            return SUPPORTED_PARTIES
        rest = (u - overlap) / (1.0 - overlap)
        return _ONLY_MX if rest < MX_SHARE[kind] else _ONLY_US

    def entity(self, kind: str, index: int) -> tuple[tuple[str, ...], random.Random]:
        """The holders of world entity (kind, index) and its own random stream."""
        seed = self.mix("entity:" + kind, index)
        return self.holders(kind, index), random.Random(seed)

    def holders(self, kind: str, index: int) -> tuple[str, ...]:
        """The holders of world entity (kind, index), without its random stream."""
        return self.holders_of(self.unit("holders:" + kind, index), kind)

    def linked(
        self, kind: str, count: int, holders: tuple[str, ...], purpose: str, index: int
    ) -> int | None:
        """An entity of kind held by (at least) all of holders, picked for (purpose, index)."""
        if count <= 0:
            return None
        name = f"link:{kind}:{purpose}"
        for attempt in range(48):
            candidate = self.mix(name, index * 64 + attempt) % count
            target = self.holders(kind, candidate)
            if all(p in target for p in holders):
                return candidate
        return None

    # --- ids, agencies, time -------------------------------------------------------------

    def record_id(self, stix_type: str, party: str, kind: str, index: object) -> str:
        """The id of a party's record of one entity or event: stable for the config."""
        return derived_id(stix_type, self.tag, party, kind, str(index))

    def agency_ref(self, party: str, acronym: str) -> str:
        """The id of a catalogue agency (enlace.model.records.agency_id)."""
        return self._agency_refs[(party, acronym)]

    def acronym_of(self, ref: str | None) -> str:
        """The acronym of a catalogue agency id, '' for none."""
        return self._acronyms.get(ref, "") if ref else ""

    def day(self, rng: random.Random) -> date:
        """A day in the config's period."""
        return self._dates[int(rng.random() * self.days)]

    def day_at(self, offset: int) -> date:
        """The day `offset` days into the period (clamped to it)."""
        return self._dates[min(max(offset, 0), self.days - 1)]

    def stamps(self, rng: random.Random, day: date, lag_days: int = 3) -> tuple[datetime, datetime]:
        """When a record of something on `day` was created, and last modified.

        Created within lag_days after the day, between 06:00 and midnight UTC, to the
        millisecond; most records have one version, some a later one (corrected, completed)
        up to 60 days on.
        """
        offset = (day - self.start).days + int(rng.random() * (lag_days + 1))
        seconds = offset * 86400 + 21600 + int(rng.random() * 64800)
        created = self._t0 + timedelta(0, seconds, int(rng.random() * 1000) * 1000)
        if rng.random() < 0.85:
            return created, created
        return created, created + timedelta(0, 3600 + int(rng.random() * 59 * 86400))

    def markings(self, rng: random.Random, party: str, acronym: str) -> Markings:
        """Markings as a party's agencies set them: mostly GREEN/AMBER, releasable to the partner.

        TLP, releasability, handling code (H3 with its text) and evaluation are drawn
        independently, in one draw over their combinations.
        """
        table = self._markings.get((party, acronym))
        if table is None:
            table = self._markings[(party, acronym)] = _markings_table(party, acronym)
        return table.pick(rng)

    def relationship(
        self,
        party: str,
        relationship_type: str,
        source: Record,
        target_ref: str,
        description: str | None = None,
    ) -> Relationship:
        """A relationship the author of `source` records, with the source's markings."""
        return Relationship(
            id=derived_id(
                "relationship", self.tag, party, relationship_type, source.id, target_ref
            ),
            owner=party,
            markings=source.markings,
            created=source.created,
            modified=source.modified,
            created_by_ref=source.created_by_ref,
            relationship_type=relationship_type,
            source_ref=source.id,
            target_ref=target_ref,
            description=description,
        )


def _markings_table(party: str, acronym: str) -> Weighted[Markings]:
    texts = [t.format(agency=acronym) for t in _H3_TEXT[party]]
    combos = []
    for tlp, w_tlp in zip(_TLPS.items, _weights(_TLPS), strict=True):
        for releasable, w_rel in (((other_party(party),), 0.85), ((), 0.15)):
            for handling, w_h in zip(_HANDLING.items, _weights(_HANDLING), strict=True):
                options = (
                    [(t, 1.0 / len(texts)) for t in texts]
                    if handling is HandlingCode.H3
                    else [(None, 1.0)]
                )
                for text, w_text in options:
                    for evaluation, w_ev in zip(
                        _EVALUATIONS.items, _weights(_EVALUATIONS), strict=True
                    ):
                        markings = Markings(
                            tlp=tlp,
                            releasable_to=frozenset(releasable),
                            handling=handling,
                            evaluation=evaluation,
                            handling_text=text,
                        )
                        combos.append((markings, w_tlp * w_rel * w_h * w_text * w_ev))
    return Weighted(combos)


def _weights(table: Weighted[T]) -> list[float]:
    return [table.share(item) for item in table.items]


@dataclass(slots=True)
class Rendered:
    """One party's record of an entity, before it is built: envelope and domain fields."""

    agency: str
    markings: Markings
    created: datetime
    modified: datetime
    fields: dict[str, object]


@dataclass(slots=True)
class Entity:
    """A world entity as each holder writes it, and what differs between them."""

    holders: tuple[str, ...]
    variation: str
    parties: dict[str, Rendered]


def render(
    world: World,
    rng: random.Random,
    party: str,
    agency: str,
    day: date,
    fields: dict[str, object],
    lag_days: int = 3,
) -> Rendered:
    """Markings and timestamps for a party's record of an entity, drawn from rng."""
    markings = world.markings(rng, party, agency)
    created, modified = world.stamps(rng, day, lag_days)
    return Rendered(agency, markings, created, modified, fields)


R = TypeVar("R", bound=Record)


def build(
    world: World, cls: type[R], party: str, kind: str, index: object, rendered: Rendered
) -> R:
    """The record of a rendered entity."""
    return cls(
        id=world.record_id(cls.STIX_TYPE, party, kind, index),
        owner=party,
        markings=rendered.markings,
        created=rendered.created,
        modified=rendered.modified,
        created_by_ref=world.agency_ref(party, rendered.agency),
        **rendered.fields,  # type: ignore[arg-type]
    )
