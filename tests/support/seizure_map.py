"""Builders of the seizure map tests: seizures and firearm recoveries spread over states,
ports, drugs, owners and two years, with an older version moved to another state and a
revoked one, on MX's node of `support.pages`; and the counts worked out in Python from the
records themselves, the oracle the database's counts are held to."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from enlace.model.markings import Markings
from enlace.model.records import Firearm, Record, Seizure, derived_id
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from enlace.web.queries.seizure_map import MapFilter
from support.pages import mx_node

SHARED = Markings.build(tlp="amber", releasable_to="MX US", handling="H0", evaluation="B2")
CREATED = datetime(2025, 1, 1, tzinfo=UTC)
STATES = ("MX-BCN", "MX-SON", "MX-CHH", "MX-TAM", "MX-SIN", "MX-CMX", "US-CA", "US-AZ", "US-TX")
# Ports on the US side of each state above that has one.
PORTS = {"US-CA": ("2504", "2506"), "US-AZ": ("2604",), "US-TX": ("2304", "2402")}
DRUGS = ("fentanyl", "methamphetamine", "cocaine")
FIRST_DAY = date(2024, 1, 1)


@dataclass(frozen=True, slots=True)
class MapData:
    """What was stored: the newest current version of each record, and the ids by role."""

    current: tuple[Record, ...]
    moved: str  # a seizure whose newest version names another state than its first
    revoked: str  # a seizure revoked by its newest version
    revoked_owner: str


def _seizure(index: int, rng: random.Random) -> Seizure:
    owner = rng.choice(("MX", "MX", "US"))
    state = rng.choice((*STATES, None))
    category = rng.choice(("drug", "drug", "firearm", "cash"))
    values: dict[str, object] = {
        "category": category,
        "quantity": rng.randint(1, 90),
        "unit": {"drug": "kg", "firearm": "count", "cash": "usd"}[category],
        "seizure_date": (FIRST_DAY + timedelta(days=rng.randrange(700))).isoformat(),
    }
    if category == "drug":
        values["drug_type"] = rng.choice(DRUGS)
    if state is not None:
        values["state"] = state
        if state in PORTS and rng.random() < 0.7:
            values["port_code"] = rng.choice(PORTS[state])
    return Seizure.from_values(
        id=derived_id("enlace-seizure", "map-test", str(index)),
        owner=owner,
        markings=SHARED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values=values,
    )


def _firearm(index: int, rng: random.Random) -> Firearm:
    values: dict[str, object] = {"make": "Colt", "serial": f"MAP{index:04d}"}
    if index % 5:  # one in five is only a firearm, never recovered: not on the map
        values["recovery_date"] = (FIRST_DAY + timedelta(days=rng.randrange(700))).isoformat()
        if index % 7:  # and some recoveries name no state
            values["recovery_state"] = rng.choice(STATES[:6])
    return Firearm.from_values(
        id=derived_id("enlace-firearm", "map-test", str(index)),
        owner=rng.choice(("MX", "US")),
        markings=SHARED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values=values,
    )


def map_node(store: Store, *, seizures: int = 80, firearms: int = 30) -> MapData:
    """MX's node holding the map's records (see the module's doc)."""
    mx_node(store)
    rng = random.Random(18)
    made: list[Record] = [_seizure(i, rng) for i in range(seizures)]
    made += [_firearm(i, rng) for i in range(firearms)]
    first, second = made[0], made[1]
    assert isinstance(first, Seizure)
    assert isinstance(second, Seizure)
    later = CREATED + timedelta(days=30)
    moved_to = "MX-ZAC"
    moved = Seizure.from_stix(
        {**first.to_stix(), "state": moved_to, "modified": "2025-01-31T00:00:00.000Z"}
    )
    revoked = Seizure.from_stix(
        {**second.to_stix(), "revoked": True, "modified": "2025-01-31T00:00:00.000Z"}
    )
    assert moved.modified == later
    with store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(r) for r in made], added_at=uow.started_at)
        uow.records.add(
            [StoredVersion.of(moved), StoredVersion.of(revoked)], added_at=uow.started_at
        )
        uow.commit()
    current = [moved, *made[2:]]
    return MapData(tuple(current), moved=moved.id, revoked=revoked.id, revoked_owner=revoked.owner)


def expected_counts(
    data: MapData, wanted: MapFilter
) -> tuple[dict[str, tuple[int, int]], dict[str, int], tuple[int, int]]:
    """(seizures, recoveries) by state, seizures by port, and both without a state: what
    the map must count for `wanted`, from the records in Python."""
    states: dict[str, list[int]] = {}
    ports: dict[str, int] = {}
    no_state = [0, 0]

    def in_period(day: date | None) -> bool:
        if day is None:
            return wanted.since is None and wanted.until is None
        return (wanted.since is None or day >= wanted.since) and (
            wanted.until is None or day <= wanted.until
        )

    for record in data.current:
        if wanted.owner and record.owner != wanted.owner:
            continue
        if isinstance(record, Seizure) and wanted.kind in ("", "seizure"):
            if wanted.category and record.category.value != wanted.category:
                continue
            if wanted.drug and (record.drug_type is None or record.drug_type.value != wanted.drug):
                continue
            if not in_period(record.seizure_date):
                continue
            (states.setdefault(record.state, [0, 0]) if record.state else no_state)[0] += 1
            if record.port_code:
                ports[record.port_code] = ports.get(record.port_code, 0) + 1
        elif isinstance(record, Firearm) and wanted.kind in ("", "recovery"):
            if wanted.category or wanted.drug:
                continue
            if record.recovery_state is None and record.recovery_date is None:
                continue
            if not in_period(record.recovery_date):
                continue
            state = record.recovery_state
            (states.setdefault(state, [0, 0]) if state else no_state)[1] += 1
    return (
        {code: (pair[0], pair[1]) for code, pair in sorted(states.items())},
        dict(sorted(ports.items())),
        (no_state[0], no_state[1]),
    )
