"""Record versions in the store: id + modified is a version, and writing one twice is a no-op."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from enlace.model.markings import Markings
from enlace.model.records import (
    Person,
    PhoneNumber,
    Record,
    Seizure,
    Vehicle,
    agency_id,
    derived_id,
    record_from_stix,
)
from enlace.store.errors import VersionConflict
from enlace.store.store import Store
from enlace.store.versions import StoredVersion

CREATED = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
LATER = CREATED + timedelta(days=1, microseconds=1)
SHARED = Markings.build(tlp="amber", releasable_to="MX US", handling="H2", evaluation="B2")
NATIONAL = Markings.build(tlp="red", handling="H0")
FGR = agency_id("MX", "FGR")
CBP = agency_id("US", "CBP")


def phone(number: str, *, owner: str = "MX", modified: datetime = CREATED) -> PhoneNumber:
    return PhoneNumber.from_values(
        id=derived_id("enlace-phone-number", "store", number),
        owner=owner,
        markings=SHARED,
        created=CREATED,
        modified=modified,
        created_by_ref=None,
        values={"number": number},
    )


def seizure(key: str, *, kilograms: float = 10.0, owner: str = "US") -> Seizure:
    return Seizure.from_values(
        id=derived_id("enlace-seizure", "store", key),
        owner=owner,
        markings=SHARED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=CBP if owner == "US" else FGR,
        values={
            "category": "drug",
            "drug_type": "fentanyl",
            "quantity": kilograms,
            "unit": "kg",
            "seizure_date": "2025-08-30",
            "state": "US-AZ",
        },
    )


def person() -> Person:
    return Person.from_values(
        id=derived_id("identity", "store", "person"),
        owner="MX",
        markings=NATIONAL,
        created=CREATED,
        modified=CREATED,
        created_by_ref=FGR,
        values={
            "given_names": "María José",
            "first_surname": "Peña",
            "second_surname": "Ibáñez Güemes",
            "aliases": "La Señora|Ñoña",
            "curp": "HEGG560427MVZRRL04",
        },
    )


def vehicle() -> Vehicle:
    return Vehicle.from_values(
        id=derived_id("enlace-vehicle", "store", "tsuru"),
        owner="MX",
        markings=SHARED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=FGR,
        values={
            "vin": "1hgcm8263 3a004352",
            "plate_country": "MX",
            "plate_state": "MX-BCN",
            "plate_number": "abc-123-a",
        },
    )


def add(store: Store, *records: Record) -> int:
    with store.unit_of_work() as uow:
        added = uow.records.add([StoredVersion.of(r) for r in records], added_at=uow.started_at)
        uow.commit()
    return added


def count(store: Store) -> int:
    with store.unit_of_work() as uow:
        return uow.records.count_versions()


def test_added_version_is_stored_with_its_columns(store: Store) -> None:
    record = seizure("nogales")
    assert add(store, record) == 1
    with store.unit_of_work() as uow:
        row = uow.records.latest(record.id)
    assert row is not None
    assert (row.id, row.modified) == record.version_key
    assert row.modified == "2025-09-01T12:00:00.000000Z"
    assert (row.kind, row.owner, row.tlp, row.handling, row.evaluation) == (
        "seizure",
        "US",
        "amber",
        "H2",
        "B2",
    )
    assert row.releasable_to == ("MX", "US")
    assert row.revoked is False
    assert row.received_from is None
    assert record_from_stix(row.stix_object()) == record


def test_added_version_stores_its_normalised_identifiers(store: Store) -> None:
    written = phone("+52 (55) 1234-5678")
    add(store, vehicle(), written, person())
    with store.unit_of_work() as uow:
        records = uow.records
        assert records.ids_with_identifier("vin", "1HGCM82633A004352") == [vehicle().id]
        assert records.ids_with_identifier("plate", "MX|MX-BCN|ABC123A") == [vehicle().id]
        assert records.ids_with_identifier("phone", "+525512345678") == [written.id]
        assert records.ids_with_identifier("curp", "HEGG560427MVZRRL04") == [person().id]
        assert records.ids_with_identifier("vin", "1HGCM82633A004353") == []
        assert records.ids_with_identifier("phone", "1HGCM82633A004352") == []
        assert sorted(records.identifier_keys("vin")) == [(vehicle().id, "1HGCM82633A004352")]


def test_identifier_held_by_several_records_lists_each_once(store: Store) -> None:
    first = phone("+525512345678")
    newer = phone("+525512345678", modified=LATER)
    other = PhoneNumber.from_values(
        id=derived_id("enlace-phone-number", "store", "other"),
        owner="US",
        markings=SHARED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"number": "+525512345678"},
    )
    add(store, first, newer, other)
    with store.unit_of_work() as uow:
        assert uow.records.ids_with_identifier("phone", "+525512345678") == sorted(
            [first.id, other.id]
        )


def test_adding_the_same_version_twice_is_a_no_op(store: Store) -> None:
    record = seizure("nogales")
    assert add(store, record) == 1
    assert add(store, record) == 0
    assert count(store) == 1
    # Twice within one batch as well.
    other = seizure("sasabe")
    assert add(store, other, other) == 1
    assert count(store) == 2


def test_same_version_rebuilt_with_new_created_time_is_a_no_op(store: Store) -> None:
    # Re-importing a row gives it a new 'created'; the content digest leaves it out.
    record = seizure("nogales")
    assert add(store, record) == 1
    assert add(store, dataclasses.replace(record, created=CREATED - timedelta(hours=1))) == 0
    assert count(store) == 1


def test_same_version_with_different_content_raises_version_conflict(store: Store) -> None:
    record = seizure("nogales", kilograms=10.0)
    add(store, record)
    changed = seizure("nogales", kilograms=11.0)
    assert changed.version_key == record.version_key
    with pytest.raises(VersionConflict) as caught:
        add(store, changed)
    assert caught.value.record_id == record.id
    assert caught.value.modified == "2025-09-01T12:00:00.000000Z"
    assert "new 'modified' time" in str(caught.value)
    with store.unit_of_work() as uow:
        row = uow.records.latest(record.id)
    assert row is not None
    assert row.stix_object()["quantity"] == 10.0


def test_version_conflict_inside_a_unit_of_work_writes_nothing(store: Store) -> None:
    add(store, seizure("nogales", kilograms=10.0))
    innocent = phone("+525512345678")

    def add_innocent_then_conflicting() -> None:
        with store.unit_of_work() as uow:
            uow.records.add([StoredVersion.of(innocent)], added_at=uow.started_at)
            uow.records.add([StoredVersion.of(seizure("sasabe"))], added_at=uow.started_at)
            uow.records.add(
                [StoredVersion.of(seizure("nogales", kilograms=99.0))], added_at=uow.started_at
            )
            uow.commit()  # never reached

    with pytest.raises(VersionConflict):
        add_innocent_then_conflicting()
    assert count(store) == 1
    with store.unit_of_work() as uow:
        assert uow.records.latest(innocent.id) is None
        assert uow.records.ids_with_identifier("phone", "+525512345678") == []


def test_conflict_within_one_batch_writes_nothing(store: Store) -> None:
    with pytest.raises(VersionConflict), store.unit_of_work() as uow:
        uow.records.add(
            [
                StoredVersion.of(seizure("x", kilograms=1.0)),
                StoredVersion.of(phone("+12025550123")),
                StoredVersion.of(seizure("x", kilograms=2.0)),
            ],
            added_at=uow.started_at,
        )
    assert count(store) == 0


def test_two_versions_of_one_record_are_both_kept_and_latest_is_newer(store: Store) -> None:
    first = seizure("nogales", kilograms=10.0)
    second = first.with_version(modified=LATER, quantity=12.5)
    assert add(store, second, first) == 2
    with store.unit_of_work() as uow:
        versions = uow.records.versions(first.id)
        latest = uow.records.latest(first.id)
        digests = uow.records.latest_digests([first.id, "enlace-seizure--unknown"])
    assert [v.modified for v in versions] == [first.version_key[1], second.version_key[1]]
    assert latest is not None
    assert latest.modified == "2025-09-02T12:00:00.000001Z"
    assert record_from_stix(latest.stix_object()) == second
    assert list(digests) == [first.id]
    assert digests[first.id][0] == second.version_key[1]


def test_latest_among_gives_the_newest_version_of_each_held_id_past_one_chunk(
    store: Store,
) -> None:
    a = seizure("a")
    a2 = a.with_version(modified=LATER, quantity=20.0)
    phones = [phone(f"+5255{n:08d}") for n in range(600)]  # more ids than one lookup takes
    add(store, a2, a, *phones)
    unknown = "enlace-seizure--00000000-0000-4000-8000-000000000000"
    with store.unit_of_work() as uow:
        found = uow.records.latest_among([a.id, unknown, a.id, *(p.id for p in phones)])
    assert set(found) == {a.id, *(p.id for p in phones)}
    assert (found[a.id].modified, found[a.id].kind) == (a2.version_key[1], "seizure")
    assert record_from_stix(found[a.id].stix_object()) == a2
    assert found[phones[599].id].modified == phones[599].version_key[1]


def test_latest_of_unknown_record_is_none(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.records.latest("enlace-seizure--00000000-0000-4000-8000-000000000000") is None
        assert uow.records.versions("enlace-seizure--00000000-0000-4000-8000-000000000000") == []


def test_iter_latest_yields_only_newest_versions(store: Store) -> None:
    a = seizure("a")
    a2 = a.with_version(modified=LATER, quantity=20.0)
    a3 = a.with_version(modified=LATER + timedelta(seconds=1), quantity=30.0)
    b = seizure("b")
    p1 = phone("+525512345678")
    p2 = phone("+525512345678", modified=LATER)
    add(store, a, a3, b, p1)
    add(store, a2, p2)
    with store.unit_of_work() as uow:
        everything = list(uow.records.iter_latest(batch=2))
        seizures = list(uow.records.iter_latest(kind="seizure"))
        persons = list(uow.records.iter_latest(kind="person"))
    assert [(r.id, r.modified) for r in everything] == sorted(
        [a3.version_key, b.version_key, p2.version_key]
    )
    assert sorted(r.id for r in seizures) == sorted([a.id, b.id])
    assert {r.kind for r in seizures} == {"seizure"}
    assert persons == []


def test_holdings_counts_distinct_records_by_kind_and_owner(store: Store) -> None:
    a = seizure("a", owner="US")
    add(store, a, a.with_version(modified=LATER, quantity=1.0), seizure("b", owner="US"))
    add(
        store,
        seizure("c", owner="MX"),
        phone("+525512345678"),
        phone("+525512345678", modified=LATER),
        phone("+12025550123", owner="US"),
        person(),
    )
    with store.unit_of_work() as uow:
        holdings = uow.records.holdings()
    assert sorted(holdings) == [
        ("person", "MX", 1),
        ("phone", "MX", 1),
        ("phone", "US", 1),
        ("seizure", "MX", 1),
        ("seizure", "US", 2),
    ]


def test_batches_larger_than_one_lookup_chunk_work(store: Store) -> None:
    # 1,203 versions: more than two chunks of 500 ids in every lookup, and re-adding them
    # all (plus a few new ones) must find each one held.
    numbers = [f"+5255{n:08d}" for n in range(1200)]
    records = [phone(number) for number in numbers]
    assert add(store, *records) == 1200
    extra = [phone(f"+1202555{n:04d}") for n in range(3)]
    assert add(store, *records, *extra) == 3
    assert count(store) == 1203
    with store.unit_of_work() as uow:
        held = uow.records.digests_of_versions(r.version_key for r in records)
        latest = uow.records.latest_digests(r.id for r in (*records, *extra))
        assert len(held) == 1200
        assert len(latest) == 1203
        assert len(list(uow.records.iter_latest(batch=100))) == 1203
        assert len(list(uow.records.identifier_keys("phone"))) == 1203
    conflicting = [
        *records[:700],
        seizure("x"),
        phone(numbers[650]).with_version(modified=CREATED, description="changed"),
    ]
    with pytest.raises(VersionConflict), store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(r) for r in conflicting], added_at=uow.started_at)
    assert count(store) == 1203


def test_spanish_text_survives_byte_for_byte(store: Store) -> None:
    record = person()
    version = StoredVersion.of(record)
    assert "Ibáñez Güemes" in version.stix
    add(store, record)
    with store.unit_of_work() as uow:
        row = uow.records.latest(record.id)
    assert row is not None
    assert row.stix.encode("utf-8") == version.stix.encode("utf-8")
    assert record_from_stix(row.stix_object()) == record
    assert row.stix_object()["name"] == "María José Peña Ibáñez Güemes"
    assert row.releasable_to == ()


def test_received_json_is_kept_as_received(store: Store) -> None:
    # A partner's bytes are kept exactly (a signature over them must still verify).
    record = seizure("recibido")
    received_text = orjson.dumps(record.to_stix(), option=orjson.OPT_INDENT_2).decode()
    version = StoredVersion.of(record, stix_text=received_text, received_from="US")
    with store.unit_of_work() as uow:
        assert uow.records.add([version], added_at=uow.started_at) == 1
        uow.commit()
    with store.unit_of_work() as uow:
        row = uow.records.latest(record.id)
    assert row is not None
    assert row.stix == received_text
    assert row.received_from == "US"
    # The same version made locally has the same content: storing it again is a no-op.
    assert add(store, record) == 0


def test_revoked_version_is_stored_as_revoked(store: Store) -> None:
    record = seizure("revocado")
    revoked = record.with_version(modified=LATER, revoked=True)
    add(store, record, revoked)
    with store.unit_of_work() as uow:
        row = uow.records.latest(record.id)
        versions = uow.records.versions(record.id)
    assert row is not None
    assert row.revoked is True
    assert [v.revoked for v in versions] == [False, True]


def test_settings_are_set_once(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.settings.get("party") is None
        assert uow.settings.set_if_absent("party", "MX") == "MX"
        assert uow.settings.set_if_absent("party", "US") == "MX"
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.settings.set_if_absent("party", "US") == "MX"
        assert uow.settings.get("party") == "MX"


def test_adding_nothing_returns_zero(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.records.add([], added_at=uow.started_at) == 0
