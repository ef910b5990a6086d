"""The seizure map's kept counts (`map_counts`) stay equal to a recount from the records,
on SQLite and PostgreSQL, whatever changes what is newest and unrevoked: new records, newer
versions (moved, redated, revoked, no longer a recovery), versions arriving late, tombstones,
a bulk import of new records and new versions; and the migration fills them for a node that
held records before. The map's counts for day-precise periods (month rows plus day rows at
the ends) equal the counts worked out from the records."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic import command
from sqlalchemy import select

from enlace.files.exporter import export_bundle
from enlace.files.importer import import_file
from enlace.model.records import Firearm, Record, Seizure, record_from_stix
from enlace.store.schema import _config, upgrade_schema
from enlace.store.store import Store
from enlace.store.tables import map_counts, records
from enlace.store.versions import StoredVersion
from enlace.web.queries.seizure_map import MapFilter
from enlace.web.queries.seizure_map import map_counts as count_map
from support.seizure_map import PORTS, STATES, MapData, expected_counts, map_node

# Periods that end inside months, start inside months, lie inside one month or across two,
# and one backwards: the month rows and the day rows at the ends must add up exactly.
DAY_PERIODS = [
    MapFilter(since=date(2024, 6, 15)),
    MapFilter(until=date(2024, 8, 10)),
    MapFilter(until=date(2024, 8, 31)),
    MapFilter(since=date(2024, 6, 15), until=date(2024, 8, 10)),
    MapFilter(since=date(2024, 6, 15), until=date(2024, 7, 10)),
    MapFilter(since=date(2024, 6, 2), until=date(2024, 6, 29), kind="seizure"),
    MapFilter(since=date(2024, 2, 1), until=date(2025, 2, 28), owner="MX"),
    MapFilter(since=date(2024, 12, 31), until=date(2025, 1, 1)),
    MapFilter(since=date(2025, 3, 5), until=date(2024, 3, 5)),  # backwards: nothing
    MapFilter(since=date(2024, 3, 17), until=date(2025, 10, 3), drug="fentanyl"),
]


def kept(store: Store) -> dict[tuple[str, ...], int]:
    """The rows of `map_counts` as held."""
    with store.unit_of_work() as uow:
        rows = uow.connection.execute(select(map_counts)).all()
    return {tuple(row[:8]): int(row[8]) for row in rows}


def newest_current(store: Store) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, owner, STIX) of the newest version of each record, revoked ones left out:
    found by comparing versions here, not by the store's own 'latest' marker."""
    with store.unit_of_work() as uow:
        rows = uow.connection.execute(
            select(
                records.c.id,
                records.c.modified,
                records.c.kind,
                records.c.owner,
                records.c.revoked,
                records.c.stix,
            )
        ).all()
    newest: dict[str, Any] = {}
    for row in rows:
        if row.id not in newest or row.modified > newest[row.id].modified:
            newest[row.id] = row
    return [(r.kind, r.owner, json.loads(r.stix)) for r in newest.values() if not r.revoked]


def recount(store: Store) -> dict[tuple[str, ...], int]:
    """What `map_counts` must hold, counted from the records."""
    counted: Counter[tuple[str, ...]] = Counter()
    for kind, owner, stix in newest_current(store):
        if kind == "seizure":
            day = stix["seizure_date"]
            place = (
                "seizure",
                owner,
                stix.get("state", ""),
                stix.get("port_code", ""),
                stix["category"],
                stix.get("drug_type", ""),
            )
        elif kind == "firearm" and (stix.get("recovery_state") or stix.get("recovery_date")):
            day = stix.get("recovery_date", "")
            place = ("recovery", owner, stix.get("recovery_state", ""), "", "", "")
        else:
            continue
        counted[("month", day[:7], *place)] += 1
        if day:
            counted[("day", day, *place)] += 1
    return dict(counted)


def current_data(store: Store) -> MapData:
    """The records the map must count, as the oracle of `support.seizure_map` takes them."""
    current = [record_from_stix(stix) for _, _, stix in newest_current(store)]
    return MapData(tuple(current), moved="", revoked="", revoked_owner="")


def assert_kept_equals_recount(store: Store) -> None:
    assert kept(store) == recount(store)
    data = current_data(store)
    for wanted in [MapFilter(), *DAY_PERIODS]:
        counts = count_map(store, wanted)
        states, ports, no_state = expected_counts(data, wanted)
        assert {c: (n.seizures, n.recoveries) for c, n in counts.states.items()} == states
        assert counts.ports == ports
        assert (counts.no_state.seizures, counts.no_state.recoveries) == no_state


def changed(record: Record, rng: random.Random, days: int) -> Record:
    """A newer (or, with days < 0, older) version of `record` with a change the map sees."""
    stix = record.to_stix()
    stamp = record.modified + timedelta(days=days, seconds=rng.randrange(86_400))
    stix["modified"] = stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    when = (date(2024, 1, 1) + timedelta(days=rng.randrange(700))).isoformat()
    roll = rng.random()
    if isinstance(record, Seizure):
        if roll < 0.15:
            stix["revoked"] = True
        elif roll < 0.55:
            state = rng.choice((*STATES, None))
            stix.pop("port_code", None)
            stix.pop("state", None)
            if state is not None:
                stix["state"] = state
                if state in PORTS and rng.random() < 0.5:
                    stix["port_code"] = rng.choice(PORTS[state])
        else:
            stix["seizure_date"] = when
        return Seizure.from_stix(stix)
    assert isinstance(record, Firearm)
    if roll < 0.15:
        stix["revoked"] = True
    elif roll < 0.35:  # no longer a recovery: off the map
        stix.pop("recovery_state", None)
        stix.pop("recovery_date", None)
    elif roll < 0.7:
        stix["recovery_state"] = rng.choice(STATES[:6])
    else:
        stix["recovery_date"] = when
    return Firearm.from_stix(stix)


def held_records(store: Store) -> list[Record]:
    """The newest version of every map record held, revoked ones too."""
    with store.unit_of_work() as uow:
        rows = list(uow.records.iter_latest())
    found = [record_from_stix(orjson.loads(row.stix)) for row in rows]
    return [r for r in found if isinstance(r, Seizure | Firearm)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_counts_equal_a_recount_after_any_changes(store: Store, seed: int) -> None:
    map_node(store)
    assert_kept_equals_recount(store)
    rng = random.Random(seed)
    for _round in range(4):
        held = held_records(store)
        picked = rng.sample(held, 12)
        versions = [changed(r, rng, days=1) for r in picked[:8]]
        # Two newer versions of one record in one unit of work: only the newest counts.
        versions.append(changed(versions[0], rng, days=1))
        versions += [changed(r, rng, days=3) for r in picked[8:10]]
        with store.unit_of_work() as uow:
            uow.records.add([StoredVersion.of(v) for v in versions], added_at=uow.started_at)
            # A tombstone revokes every version held of a record.
            for record in picked[10:]:
                uow.revocations.mark_revoked([record.id], record.owner)
            uow.commit()
        assert_kept_equals_recount(store)
        # Versions arriving late, older than the newest held: they change nothing.
        late = [changed(r, rng, days=1) for r in picked[8:10]]
        before = kept(store)
        with store.unit_of_work() as uow:
            assert uow.records.add([StoredVersion.of(v) for v in late], added_at=uow.started_at)
            uow.commit()
        assert kept(store) == before
        assert_kept_equals_recount(store)


def test_a_rolled_back_unit_of_work_leaves_the_counts_as_they_were(store: Store) -> None:
    map_node(store)
    before = kept(store)
    rng = random.Random(7)
    versions = [changed(r, rng, days=1) for r in held_records(store)[:10]]
    with store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(v) for v in versions], added_at=uow.started_at)
        uow.revocations.mark_revoked([versions[0].id], versions[0].owner)
        # left without commit: rolled back
    assert kept(store) == before


@pytest.mark.e2e  # the import's worker processes: the map place crosses from them
def test_the_kept_counts_equal_a_recount_after_bulk_imports(store: Store, tmp_path: Path) -> None:
    map_node(store)
    # New versions of MX's records in a STIX bundle: exported, changed, imported back.
    bundle = tmp_path / "mx.json"
    export_bundle(store, path=bundle)
    objects = json.loads(bundle.read_text(encoding="utf-8"))["objects"]
    rng = random.Random(5)
    mine = []
    for number, stix in enumerate(objects):
        if stix["type"] not in (Seizure.STIX_TYPE, Firearm.STIX_TYPE):
            mine.append(stix)
            continue
        record = record_from_stix(stix)
        if record.owner != "MX":  # the test node holds US's as its own; MX imports MX's only
            continue
        mine.append(changed(record, rng, days=2).to_stix() if number % 2 else stix)
    changes = sum(1 for stix in mine if stix not in objects)
    assert changes > 10
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--map", "objects": mine}))
    report = import_file(store, party="MX", path=bundle, workers=2)
    assert report.imported >= changes
    assert_kept_equals_recount(store)
    # New records in flat JSON Lines, several to a place and some without a state.
    rows = [
        {
            "type": "seizure",
            "agency": "FGR",
            "tlp": "amber",
            "releasable_to": ["US"],
            "category": "drug",
            "drug_type": "cocaine",
            "quantity": n + 1,
            "unit": "kg",
            "seizure_date": f"2024-0{1 + n % 9}-{10 + n % 19}",
            **({"state": "US-AZ", "port_code": "2604"} if n % 3 else {}),
        }
        for n in range(30)
    ]
    lines = tmp_path / "new.jsonl"
    lines.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    assert import_file(store, party="MX", path=lines).imported == 30
    assert_kept_equals_recount(store)


def test_the_migration_counts_the_records_a_node_already_held(store: Store) -> None:
    map_node(store)
    rng = random.Random(11)
    versions = [changed(r, rng, days=1) for r in held_records(store)[:20]]
    with store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(v) for v in versions], added_at=uow.started_at)
        uow.revocations.mark_revoked([versions[-1].id], versions[-1].owner)
        uow.commit()
    expected = recount(store)
    assert kept(store) == expected
    config = _config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0020_job_queue")
    upgrade_schema(store.engine)
    assert kept(store) == expected
    assert_kept_equals_recount(store)
