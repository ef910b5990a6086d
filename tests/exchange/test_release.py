"""The release rule, on SQLite and PostgreSQL: only owned, releasable, newest versions go out."""

from __future__ import annotations

import pytest

from enlace.exchange.release import (
    ReleaseRefused,
    release_all_allowed,
    release_everything_allowed,
    release_one,
)
from enlace.exchange.signing import verify_record
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support.exchange import (
    MX_KEY,
    NATIONAL,
    TO_CA,
    add,
    later,
    mx_node,
    phone,
)


def release(store: Store, record_id: str, partner: str = "US") -> bool:
    return release_one(
        store, record_id=record_id, partner=partner, signing_key=MX_KEY, actor="tester"
    )


def audit_actions(store: Store) -> list[tuple[str, str | None, object]]:
    with store.unit_of_work() as uow:
        return [(e.action, e.subject, e.detail) for e in uow.audit.entries()]


def released(store: Store, partner: str = "US") -> list[tuple[str, str]]:
    with store.unit_of_work() as uow:
        page = uow.releases.page(partner, version="all")
    return [(r.record_id, r.modified) for r in page]


def test_owned_releasable_record_is_released_signed_and_audited(store: Store) -> None:
    mx_node(store)
    record = phone("+52 55 1234 5678")
    add(store, StoredVersion.of(record))
    assert release(store, record.id) is True
    with store.unit_of_work() as uow:
        (version,) = uow.releases.page("US")
        stored = uow.records.latest(record.id)
    assert stored is not None
    verify_record(stored.stix_object(), version.signature, MX_KEY.verify_key.encode().hex())
    assert audit_actions(store)[-1][:2] == ("release", record.id)


def test_release_is_idempotent(store: Store) -> None:
    mx_node(store)
    record = phone("+52 55 1234 5678")
    add(store, StoredVersion.of(record))
    assert release(store, record.id) is True
    entries = len(audit_actions(store))
    assert release(store, record.id) is False
    assert released(store) == [record.version_key]
    assert len(audit_actions(store)) == entries


def test_only_the_newest_version_is_released(store: Store) -> None:
    mx_node(store)
    old, new = phone("+52 55 1111 2222"), phone("+52 55 1111 2222", modified=later(1))
    add(store, StoredVersion.of(old), StoredVersion.of(new))
    release(store, old.id)
    assert released(store) == [new.version_key]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("national", "national only"),
        ("other-partner", "only to CA, MX"),
        ("received", "received from US"),
        ("foreign-owner", "owned by US"),
        ("missing", "no such record"),
        ("unregistered", "not a registered partner"),
    ],
)
def test_forbidden_release_is_refused_and_audited(store: Store, kind: str, reason: str) -> None:
    mx_node(store, partners=kind != "unregistered")
    versions = {
        "national": StoredVersion.of(phone("+52 55 0000 0001", markings=NATIONAL)),
        "other-partner": StoredVersion.of(phone("+52 55 0000 0002", markings=TO_CA)),
        "received": StoredVersion.of(phone("+1 520 555 0100", owner="US"), received_from="US"),
        "foreign-owner": StoredVersion.of(phone("+1 520 555 0101", owner="US")),
        "unregistered": StoredVersion.of(phone("+52 55 0000 0003")),
    }
    version = versions.get(kind)
    record_id = (
        version.id if version else "enlace-phone-number--00000000-0000-4000-8000-000000000000"
    )
    if version:
        add(store, version)
    with pytest.raises(ReleaseRefused, match=reason):
        release(store, record_id)
    assert released(store) == []
    action, subject, detail = audit_actions(store)[-1]
    assert (action, subject) == ("release-refused", record_id)
    assert isinstance(detail, dict)
    assert reason in detail["reason"]
    assert detail["partner"] == "US"


def test_release_all_allowed_releases_exactly_what_markings_allow(store: Store) -> None:
    mx_node(store)
    to_us = [phone(f"+52 55 2000 000{i}") for i in range(3)]
    add(
        store,
        *(StoredVersion.of(r) for r in to_us),
        StoredVersion.of(phone("+52 55 3000 0001", markings=NATIONAL)),
        StoredVersion.of(phone("+52 55 3000 0002", markings=TO_CA)),
        StoredVersion.of(phone("+1 520 555 0100", owner="US"), received_from="US"),
    )
    with store.unit_of_work() as uow:
        assert release_all_allowed(uow, partner="US", signing_key=MX_KEY, actor="tester") == 3
        uow.commit()
    with store.unit_of_work() as uow:
        assert release_all_allowed(uow, partner="US", signing_key=MX_KEY, actor="tester") == 0
        uow.commit()
    assert sorted(released(store)) == sorted(r.version_key for r in to_us)
    assert len(released(store, "CA")) == 0


def test_release_all_to_an_unregistered_partner_is_refused(store: Store) -> None:
    mx_node(store, partners=False)
    with pytest.raises(ReleaseRefused, match="not a registered"):
        release_everything_allowed(store, partner="US", signing_key=MX_KEY, actor="tester")
    assert audit_actions(store)[-1][:2] == ("release-refused", "US")


def test_every_release_entry_carries_the_release_sequence_number(store: Store) -> None:
    # One by one, then the rest in a batch: each entry names the number the partner's
    # collection serves the version under, so an entry here matches a receipt there.
    mx_node(store)
    records = [phone(f"+52 55 1234 56{n:02d}") for n in range(5)]
    for record in records:
        add(store, StoredVersion.of(record))
    for record in records[:2]:
        release(store, record.id)
    release_everything_allowed(store, partner="US", signing_key=MX_KEY, actor="tester")
    with store.unit_of_work() as uow:
        numbered = {r.record_id: r.sequence for r in uow.releases.page("US", version="all")}
    logged = {
        subject: detail["sequence"]  # type: ignore[index]
        for action, subject, detail in audit_actions(store)
        if action == "release"
    }
    assert logged == numbered
    assert sorted(logged.values()) == [1, 2, 3, 4, 5]
