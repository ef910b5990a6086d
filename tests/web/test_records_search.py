"""Search of the records list at any size: full text folded the same way on both stores,
identifiers from their index, newest versions only, totals, sorting and paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from enlace.model.identifiers import vin_check_digit
from enlace.model.markings import Markings
from enlace.model.records import Firearm, Person, Record, Vehicle, derived_id
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from enlace.web.queries import records as queries
from enlace.web.queries.records import clean_filter, clean_sort, search_records

CREATED = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
SHARED = Markings.build(tlp="green", releasable_to="MX US", handling="H1", evaluation="B2")
VIN = "1M8GDM9AXKP042788"
OTHER_VIN = "1HGCM82633A004352"


def a_vin(number: int) -> str:
    """A valid VIN (its check digit right) for each number."""
    body = f"1HGCM8260{number:08d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def person(
    key: str, given: str, first: str, second: str | None, *, owner: str, days: int = 0
) -> Person:
    values = {"given_names": given, "first_surname": first}
    if second:
        values["second_surname"] = second
    return Person.from_values(
        id=derived_id("identity", "search-test", key),
        owner=owner,
        markings=SHARED,
        created=CREATED,
        modified=CREATED + timedelta(days=days),
        created_by_ref=None,
        values=values,
    )


def vehicle(key: str, vin: str, *, owner: str, days: int = 0) -> Vehicle:
    return Vehicle.from_values(
        id=derived_id("enlace-vehicle", "search-test", key),
        owner=owner,
        markings=SHARED,
        created=CREATED,
        modified=CREATED + timedelta(days=days),
        created_by_ref=None,
        values={"vin": vin, "make": "Kenworth", "model": "T680"},
    )


def add(store: Store, *found: Record, received: bool = False) -> None:
    with store.unit_of_work() as uow:
        uow.records.add(
            [StoredVersion.of(r, received_from=r.owner if received else None) for r in found],
            added_at=uow.started_at,
        )
        uow.commit()


def ids(store: Store, **raw: str) -> set[str]:
    return {row.id for row in search_records(store, clean_filter(raw)).rows}


def test_a_name_with_or_without_accents_in_either_order_finds_the_same_records(
    store: Store,
) -> None:
    # The same man as MX wrote him (accents) and as US sent him (none); a namesake by half.
    mx = person("mx", "José", "Hernández", "López", owner="MX")
    us = person("us", "JOSE", "HERNANDEZ", "LOPEZ", owner="US")
    other = person("other", "Josefina", "Hernán", "Ruiz", owner="MX", days=1)
    add(store, mx, other)
    add(store, us, received=True)
    both = {mx.id, us.id}
    for typed in (
        "José Hernández López",
        "hernandez jose",
        "HERNÁNDEZ",
        "lopez, HERNANDEZ josé",
        "Hernández-López",
    ):
        assert ids(store, q=typed) == both, typed
    assert ids(store, q="josefina") == {other.id}
    assert ids(store, q="hernandez ruiz") == set()  # every word must be there
    assert ids(store, q="hern") == set()  # whole words
    assert ids(store, q="jose", owner="US") == {us.id}
    assert ids(store, q="!!! ¿?") == set()


def test_a_newer_version_replaces_the_older_in_search_and_counts(store: Store) -> None:
    first = person("ana", "Ana", "Ruiz", None, owner="MX")
    renamed = person("ana", "Ana", "Ortega", None, owner="MX", days=2)
    add(store, first)
    add(store, renamed)
    assert ids(store, q="ruiz") == set()
    assert ids(store, q="ortega ana") == {renamed.id}
    listed = search_records(store, clean_filter({}))
    assert listed.total == 1
    assert listed.rows[0].modified == renamed.to_stix()["modified"]
    # An older version arriving late (a partner's resend) does not take the newest's place.
    late = person("ana", "Ana", "Vieja", None, owner="MX", days=1)
    add(store, late)
    assert ids(store, q="vieja") == set()
    assert ids(store, q="ortega") == {renamed.id}
    with store.unit_of_work() as uow:
        assert uow.records.holdings() == [("person", "MX", 1)]
        assert uow.records.latest(renamed.id).modified == listed.rows[0].modified  # type: ignore[union-attr]


def test_an_identifier_finds_the_records_of_both_parties_holding_it(store: Store) -> None:
    ours = vehicle("ours", VIN, owner="MX")
    theirs = vehicle("theirs", VIN, owner="US", days=1)
    add(store, ours, vehicle("else", OTHER_VIN, owner="MX"))
    add(store, theirs, received=True)
    for typed in (VIN, "1m8 gdm9ax kp042788", "1M8GDM9AX"):  # spaced, lower case, its start
        found = search_records(store, clean_filter({"q": typed}))
        assert {row.id for row in found.rows} == {ours.id, theirs.id}, typed
        assert {row.owner for row in found.rows} == {"MX", "US"}
    assert ids(store, q=ours.id) == {ours.id}
    assert ids(store, q="1M8GD") == set()  # too short a start to look up: thousands would


def test_totals_come_from_the_counts_or_stop_at_the_cap(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(store, *(vehicle(f"v{n}", a_vin(n), owner="MX", days=n % 5) for n in range(12)))
    add(store, vehicle("us", a_vin(99), owner="US"), received=True)
    assert search_records(store, clean_filter({})).total == 13
    assert search_records(store, clean_filter({"owner": "US"})).total == 1
    monkeypatch.setattr(queries, "COUNT_CAP", 5)
    monkeypatch.setattr(queries, "PAGE_SIZE", 4)
    capped = search_records(store, clean_filter({"q": "kenworth"}))
    assert capped.more
    assert len(capped.rows) == 4
    exact = search_records(store, clean_filter({"kind": "vehicle", "owner": "MX"}))
    assert (exact.total, exact.more, exact.pages) == (12, False, 3)
    monkeypatch.setattr(queries, "DEEPEST_PAGE", 2)
    deep = search_records(store, clean_filter({"page": "3"}))
    assert deep.too_deep
    assert deep.rows == ()


def test_the_list_sorts_by_a_column_either_way_and_ignores_other_orders(store: Store) -> None:
    add(
        store,
        person("p", "Eva", "Sol", None, owner="MX", days=3),
        vehicle("a", OTHER_VIN, owner="MX", days=1),
    )
    add(store, vehicle("b", VIN, owner="US", days=2), received=True)

    def kinds(sort: str) -> list[tuple[str, str]]:
        rows = search_records(store, clean_filter({"sort": sort})).rows
        return [(row.kind, row.owner) for row in rows]

    assert kinds("") == [("person", "MX"), ("vehicle", "US"), ("vehicle", "MX")]
    assert kinds("modified") == [("vehicle", "MX"), ("vehicle", "US"), ("person", "MX")]
    assert kinds("kind") == [("person", "MX"), ("vehicle", "MX"), ("vehicle", "US")]
    assert kinds("-kind") == [("vehicle", "US"), ("vehicle", "MX"), ("person", "MX")]
    assert kinds("owner") == [("vehicle", "MX"), ("person", "MX"), ("vehicle", "US")]
    assert kinds("-owner")[0] == ("vehicle", "US")
    for bad in ("stix", "--kind", "kind; drop table records", "-", "modified desc", "ñ" * 300):
        assert clean_sort(bad) == ""
        assert kinds(bad) == kinds("")
    assert clean_filter({"page": "x", "sort": "owner"}).page == 1


def test_a_serial_is_found_written_with_or_without_its_separators(store: Store) -> None:
    rifle = Firearm.from_values(
        id=derived_id("enlace-firearm", "search-test", "rifle"),
        owner="MX",
        markings=SHARED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"make": "Colt", "serial": "LW-012345", "model": "AR-15"},
    )
    add(store, rifle)
    for typed in ("LW-012345", "lw012345", "LW 012345", "colt lw012345"):
        assert ids(store, q=typed) == {rifle.id}, typed
