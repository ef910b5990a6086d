"""The reference rule, on SQLite and PostgreSQL: a record that names other records goes to a
partner only if the partner may hold each of them; otherwise it is withheld, with a reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from enlace.exchange.references import AUDITED_IDS
from enlace.exchange.release import (
    ReleaseRefused,
    release_all_allowed,
    release_everything_allowed,
    release_one,
)
from enlace.model.markings import Markings
from enlace.model.records import CustodyTransfer, Record, Relationship, derived_id
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support.exchange import (
    CREATED,
    MX_KEY,
    NATIONAL,
    TO_CA,
    TO_US,
    add,
    audit_actions,
    later,
    mx_node,
    phone,
)

UNKNOWN = "identity--00000000-0000-4000-8000-000000000000"


def relationship(
    source: str, target: str, *, key: str = "", markings: Markings = TO_US, owner: str = "MX"
) -> Relationship:
    return Relationship.from_values(
        id=derived_id("relationship", "references-test", source, target, key),
        owner=owner,
        markings=markings,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"relationship_type": "used-by", "source_ref": source, "target_ref": target},
    )


def release(store: Store, record_id: str, partner: str = "US") -> bool:
    return release_one(
        store, record_id=record_id, partner=partner, signing_key=MX_KEY, actor="tester"
    )


def release_all(store: Store, partner: str = "US") -> int:
    return release_everything_allowed(store, partner=partner, signing_key=MX_KEY, actor="tester")


def released_ids(store: Store, partner: str = "US") -> set[str]:
    with store.unit_of_work() as uow:
        return {r.record_id for r in uow.releases.page(partner, version="all")}


def withheld_entries(store: Store) -> list[dict[str, Any]]:
    return [detail for action, _, detail in audit_actions(store) if action == "release-withheld"]


def stored(*records: Record, received_from: str | None = None) -> list[StoredVersion]:
    return [StoredVersion.of(r, received_from=received_from) for r in records]


SOURCE = phone("+52 55 7000 0001")  # MX's, releasable to US: every test's source


def target_named(store: Store, kind: str) -> str:
    """Store a record of the given kind (or none) and return the id a relationship names."""
    if kind == "missing":
        return UNKNOWN
    if kind == "releasable":  # MX's, its markings name US, not released yet
        target = phone("+52 55 7000 0002")
        add(store, *stored(target))
    elif kind == "partner's own":  # US's, received from US
        target = phone("+1 520 555 0102", owner="US")
        add(store, *stored(target, received_from="US"))
    elif kind == "released before":  # released to US, then made national only
        target = phone("+52 55 7000 0003")
        add(store, *stored(target))
        release(store, target.id)
        add(store, *stored(phone("+52 55 7000 0003", markings=NATIONAL, modified=later(1))))
    elif kind == "national":
        target = phone("+52 55 7000 0004", markings=NATIONAL)
        add(store, *stored(target))
    elif kind == "other partner":
        target = phone("+52 55 7000 0005", markings=TO_CA)
        add(store, *stored(target))
    elif kind == "third party's":  # CA's, received from CA: never passed on
        target = phone("+1 613 555 0100", owner="CA")
        add(store, *stored(target, received_from="CA"))
    else:
        assert kind == "revoked"
        target = phone("+52 55 7000 0006")
        add(store, *stored(target, target.with_version(modified=later(1), revoked=True)))
    return target.id


@pytest.mark.parametrize("kind", ["releasable", "partner's own", "released before"])
def test_relationship_to_a_record_the_partner_may_hold_is_released(store: Store, kind: str) -> None:
    mx_node(store)
    link = relationship(SOURCE.id, target_named(store, kind))
    add(store, *stored(SOURCE, link))
    assert release(store, link.id) is True
    assert link.id in released_ids(store)


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ("national", "national only"),
        ("other partner", "only to CA, MX"),
        ("third party's", "received from CA"),
        ("revoked", "it is revoked"),
        ("missing", "this node does not hold it, so US may not be entitled even to its id"),
    ],
)
def test_relationship_to_a_record_the_partner_may_not_hold_is_refused_and_audited(
    store: Store, kind: str, why: str
) -> None:
    mx_node(store)
    target = target_named(store, kind)
    link = relationship(SOURCE.id, target)
    add(store, *stored(SOURCE, link))
    with pytest.raises(ReleaseRefused, match="may not hold") as refused:
        release(store, link.id)
    assert refused.value.reason.startswith(f"it refers to {target}, which US may not hold: ")
    assert why in refused.value.reason
    assert link.id not in released_ids(store)
    action, subject, detail = audit_actions(store)[-1]
    assert (action, subject) == ("release-refused", link.id)
    assert detail == {"partner": "US", "reason": refused.value.reason}


def test_the_same_relationship_goes_to_the_partner_its_target_names_only(store: Store) -> None:
    mx_node(store)
    to_both = Markings.build(tlp="amber", releasable_to="CA US", handling="H2")
    target = phone("+52 55 7000 0007", markings=TO_CA)
    link = relationship(SOURCE.id, target.id, markings=to_both)
    source = phone("+52 55 7000 0001", markings=to_both)
    add(store, *stored(source, target, link))
    assert release(store, link.id, "CA") is True
    with pytest.raises(ReleaseRefused, match="only to CA, MX"):
        release(store, link.id, "US")


def test_every_record_the_partner_may_not_hold_is_counted_and_the_first_named(
    store: Store,
) -> None:
    mx_node(store)
    national = phone("+52 55 7000 0008", markings=NATIONAL)
    link = relationship(national.id, UNKNOWN)
    add(store, *stored(national, link))
    with pytest.raises(ReleaseRefused) as refused:
        release(store, link.id)
    assert refused.value.reason.startswith(f"it refers to {national.id}, which US may not hold")
    assert refused.value.reason.endswith("; it also refers to 1 other record(s) US may not hold")


def test_a_custody_transfer_naming_a_national_person_is_refused(store: Store) -> None:
    mx_node(store)
    person = phone("+52 55 7000 0009", markings=NATIONAL)  # any record: the id is what counts
    transfer = CustodyTransfer.from_values(
        id=derived_id("enlace-custody-transfer", "references-test"),
        owner="MX",
        markings=TO_US,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={
            "person_ref": derived_id("identity", "references-test", "person"),
            "transfer_kind": "extradition",
            "legal_mechanism": "extradition treaty",
            "transfer_date": "2025-02-27",
            "from_party": "MX",
            "to_party": "US",
        },
    )
    add(store, *stored(person, transfer))
    with pytest.raises(ReleaseRefused, match="does not hold it"):
        release(store, transfer.id)


def test_release_all_withholds_what_names_a_record_the_partner_may_not_hold(
    store: Store,
) -> None:
    mx_node(store)
    national = phone("+52 55 7100 0001", markings=NATIONAL)
    shared = phone("+52 55 7100 0002")
    good = [relationship(SOURCE.id, shared.id, key=str(i)) for i in range(3)]
    bad = [relationship(SOURCE.id, national.id, key="n"), relationship(SOURCE.id, UNKNOWN)]
    add(store, *stored(SOURCE, national, shared, *good, *bad))
    assert release_all(store) == 2 + len(good)  # the two phones and the good relationships
    assert released_ids(store) == {SOURCE.id, shared.id, *(r.id for r in good)}
    (entry,) = withheld_entries(store)
    assert entry["partner"] == "US"
    assert entry["count"] == 2
    assert set(entry["withheld"]) == {r.id for r in bad}
    assert national.id in entry["withheld"][bad[0].id]
    assert "does not hold it" in entry["withheld"][bad[1].id]
    # Run again: nothing new goes, and the withholding is evidence again.
    assert release_all(store) == 0
    assert len(withheld_entries(store)) == 2


def test_release_all_audits_one_withheld_entry_per_batch_naming_at_most_100(
    store: Store,
) -> None:
    mx_node(store)
    national = phone("+52 55 7200 0001", markings=NATIONAL)
    # 1,100 relationships after the two phones (their ids sort first): batches of 1,000 read
    # the phones and 998 relationships, then the other 102.
    links = [relationship(SOURCE.id, national.id, key=str(i)) for i in range(1100)]
    add(store, *stored(SOURCE, national, *links))
    assert release_all(store) == 1  # the source phone only
    entries = withheld_entries(store)
    assert [e["count"] for e in entries] == [998, 102]
    assert all(len(e["withheld"]) == AUDITED_IDS for e in entries)
    first_ids = sorted(r.id for r in links)[:AUDITED_IDS]
    assert sorted(entries[0]["withheld"]) == first_ids


def test_release_all_looks_references_up_per_batch_not_per_reference(tmp_path: Path) -> None:
    def statements_to_release(distinct: bool) -> int:
        # The same rows either way (a phone, 200 targets, a national phone, 400 links), naming
        # 3 records or 401: only the number of records named differs.
        store = Store.open(sqlite_url(str(tmp_path / f"distinct-{distinct}.sqlite")))
        try:
            mx_node(store)
            national = phone("+52 55 4000 0001", markings=NATIONAL)
            targets = [phone(f"+52 55 3000 {i:04d}") for i in range(200)]
            named = targets if distinct else [targets[0]] * len(targets)
            links = [relationship(SOURCE.id, t.id, key=str(i)) for i, t in enumerate(named)]
            links += [relationship(t.id, national.id, key=str(i)) for i, t in enumerate(named)]
            add(store, *stored(SOURCE, national, *targets, *links))
            executed = 0

            def count_statement(*_: object) -> None:
                nonlocal executed
                executed += 1

            event.listen(store.engine, "before_cursor_execute", count_statement)
            with store.unit_of_work() as uow:
                released = release_all_allowed(
                    uow, partner="US", signing_key=MX_KEY, actor="tester"
                )
                uow.commit()
            event.remove(store.engine, "before_cursor_execute", count_statement)
            assert released == 1 + 200 + 200  # the phones, and the links between them
            assert withheld_entries(store)[0]["count"] == 200  # the links to the national one
            return executed
        finally:
            store.close()

    assert statements_to_release(distinct=True) == statements_to_release(distinct=False)
