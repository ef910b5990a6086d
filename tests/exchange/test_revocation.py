"""Revocation, withdrawal and read-only received records, between three in-process nodes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from enlace.exchange.release import ReleaseRefused, release_everything_allowed, release_one
from enlace.exchange.revocation import RevocationRefused, revoke_owned_record
from enlace.model.markings import Markings
from enlace.store.versions import StoredRow, StoredVersion
from support.exchange import add, later, phone
from support.parties import Node, party_nodes, pull, received_versions

TO_US_CA = Markings.build(tlp="amber", releasable_to="US CA", handling="H2", evaluation="B2")
TO_US = Markings.build(tlp="amber", releasable_to="US", handling="H2", evaluation="B2")
TO_CA = Markings.build(tlp="amber", releasable_to="CA", handling="H2", evaluation="B2")


@pytest.fixture
def nodes(new_store_url: Callable[[], str]) -> Iterator[dict[str, Node]]:
    with party_nodes({p: new_store_url() for p in ("MX", "US", "CA")}) as made:
        yield made


def release(node: Node, record_id: str, partner: str) -> bool:
    return release_one(
        node.store, record_id=record_id, partner=partner, signing_key=node.key, actor="t"
    )


def release_all(node: Node, partner: str) -> int:
    return release_everything_allowed(node.store, partner=partner, signing_key=node.key, actor="t")


def revoke(node: Node, record_id: str) -> int:
    return revoke_owned_record(node.store, record_id=record_id, signing_key=node.key, actor="t")


def actions(node: Node) -> list[tuple[str, str | None, object]]:
    with node.store.unit_of_work() as uow:
        log = uow.audit
        assert log.verify().ok
        return [(e.action, e.subject, e.detail) for e in log.entries()]


def newest(node: Node, record_id: str) -> StoredRow | None:
    with node.store.unit_of_work() as uow:
        return uow.records.latest(record_id)


def test_revocation_reaches_every_partner_that_had_the_record(nodes: dict[str, Node]) -> None:
    mx, us, ca = nodes["MX"], nodes["US"], nodes["CA"]
    first = phone("+52 55 7000 0001", markings=TO_US_CA)
    add(mx.store, StoredVersion.of(first))
    assert release(mx, first.id, "US")
    assert release(mx, first.id, "CA")
    # A second version no longer names CA: CA keeps the first, and must still be told.
    second = first.with_version(modified=later(1), markings=TO_US)
    add(mx.store, StoredVersion.of(second))
    assert release_all(mx, "US") == 1
    assert release_all(mx, "CA") == 0
    assert revoke(mx, first.id) == 2
    assert revoke(mx, first.id) == 0  # already revoked: nothing new
    mx_newest = newest(mx, first.id)
    assert mx_newest is not None
    assert mx_newest.revoked
    assert mx_newest.modified > second.version_key[1]
    assert [a[:2] for a in actions(mx) if a[0] == "revocation"] == [("revocation", first.id)]
    for partner, newest_held in ((us, second.version_key[1]), (ca, first.version_key[1])):
        report = pull(partner, mx)
        assert report.refused_total == 0
        assert report.revoked == 1  # a tombstone, not a version: no content
        held = newest(partner, first.id)
        assert held is not None
        assert held.revoked  # every version held is revoked
        assert held.modified == newest_held  # CA never gets the second version's content
        assert (first.id, mx_newest.modified) not in received_versions(partner, "MX")
    # Revoked: released to no one else, even a partner its markings name.
    with pytest.raises(ReleaseRefused, match="revoked"):
        release(mx, first.id, "US")


def test_a_received_record_cannot_be_revoked_released_onward_or_re_versioned(
    nodes: dict[str, Node],
) -> None:
    mx, us, ca = nodes["MX"], nodes["US"], nodes["CA"]
    record = phone("+52 55 7000 0002", markings=TO_US)
    add(mx.store, StoredVersion.of(record))
    release(mx, record.id, "US")
    pull(us, mx)
    before = received_versions(us, "MX")
    with pytest.raises(RevocationRefused, match="received from MX"):
        revoke(us, record.id)
    assert actions(us)[-1][:2] == ("revocation-refused", record.id)
    with pytest.raises(ReleaseRefused, match="received from MX"):
        release(us, record.id, "CA")
    assert actions(us)[-1][:2] == ("release-refused", record.id)
    assert release_all(us, "CA") == 0
    assert received_versions(us, "MX") == before
    assert pull(ca, us).received == 0
    assert received_versions(ca, "MX") == set()
    # US claims the id as its own, in a newer version: neither MX (who made it) nor CA
    # (who got it from MX) accepts a version of it from US.
    usurper = phone("+52 55 7000 0002", owner="US", markings=TO_CA, modified=later(5))
    assert usurper.id == record.id
    release(mx, record.id, "US")  # no-op
    with pytest.raises(ReleaseRefused):
        release(us, record.id, "CA")  # its newest version is still MX's, received
    other = StoredVersion.of(usurper)
    with us.store.unit_of_work() as uow:
        uow.records.add([other], added_at=uow.started_at)
        uow.commit()
    assert release(us, record.id, "CA")  # US's own newest version, as far as US knows
    mx_markings_to_ca = phone("+52 55 7000 0002", markings=TO_US_CA, modified=later(2))
    add(mx.store, StoredVersion.of(mx_markings_to_ca))
    release(mx, record.id, "CA")
    assert pull(ca, mx).received == 1
    report = pull(ca, us)
    assert report.received == 0
    assert report.refused["wrong-owner"] == 1
    held = newest(ca, record.id)
    assert held is not None
    assert held.owner == "MX"


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("foreign", "owned by US"), ("missing", "no such record")],
)
def test_revoking_what_this_node_does_not_own_is_refused(
    nodes: dict[str, Node], kind: str, reason: str
) -> None:
    mx = nodes["MX"]
    record = phone("+1 520 555 0199", owner="US")
    if kind == "foreign":
        add(mx.store, StoredVersion.of(record))
    with pytest.raises(RevocationRefused, match=reason):
        revoke(mx, record.id)
    assert actions(mx)[-1][:2] == ("revocation-refused", record.id)


def test_withdrawn_partner_gets_nothing_new(nodes: dict[str, Node]) -> None:
    mx, us, ca = nodes["MX"], nodes["US"], nodes["CA"]
    first = phone("+52 55 7000 0003", markings=TO_US_CA)
    add(mx.store, StoredVersion.of(first))
    assert release_all(mx, "US") == 1
    assert release_all(mx, "CA") == 1
    assert pull(us, mx).received == 1
    assert pull(ca, mx).received == 1
    second = first.with_version(modified=later(1), markings=TO_CA)
    add(mx.store, StoredVersion.of(second))
    assert release_all(mx, "US") == 0
    with pytest.raises(ReleaseRefused, match="only to CA"):
        release(mx, first.id, "US")
    assert release_all(mx, "CA") == 1
    us_report, ca_report = pull(us, mx), pull(ca, mx)
    assert (us_report.received, us_report.refused_total) == (0, 0)
    assert ca_report.received == 1
    assert received_versions(us, "MX") == {first.version_key}
    assert received_versions(ca, "MX") == {first.version_key, second.version_key}
