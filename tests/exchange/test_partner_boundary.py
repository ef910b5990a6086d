"""The receiver enforces what the owner decided, against a hostile partner or channel (issue 12).

Three in-process nodes (MX, US, CA) on real databases; the channel between two of them is a
`TamperingTransport` that changes answers as an attacker on the wire (or a hostile serving
node) would: it injects a record signed by its owner for someone else, drops, reorders and
replays objects, forges the date header and `next`, and floods. The end-to-end versions, with
real `enlace serve` processes and a proxy, are in test_hostile_channel.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest

from enlace.exchange.consent import ConsentRefused, consent_to_onward_release
from enlace.exchange.release import ReleaseRefused, release_one
from enlace.exchange.revocation import revoke_owned_record
from enlace.exchange.signing import sign_record
from enlace.exchange.statements import binding_of, manifest_entries
from enlace.exchange.sync_client import SyncError
from enlace.model.markings import Markings
from enlace.store.versions import StoredVersion
from support.exchange import MX_KEY, later, phone
from support.parties import Node, party_nodes, pull, received_versions

pytestmark = pytest.mark.usefixtures("database")


def marked(to: str) -> Markings:
    return Markings.build(tlp="amber", releasable_to=to, handling="H2", evaluation="B2")


@pytest.fixture
def nodes(new_store_url: Callable[[], str]) -> Iterator[dict[str, Node]]:
    with party_nodes({p: new_store_url() for p in ("MX", "US", "CA")}) as made:
        yield made


def own(node: Node, *numbers: str, to: str = "MX US", days: int = 0) -> list[str]:
    """Add phones owned by `node`'s party, releasable to `to`; their ids."""
    versions = [
        StoredVersion.of(phone(n, owner=node.party, markings=marked(to), modified=later(days)))
        for n in numbers
    ]
    with node.store.unit_of_work() as uow:
        uow.records.add(versions, added_at=uow.started_at)
        uow.commit()
    return [v.id for v in versions]


def release(node: Node, record_id: str, partner: str) -> None:
    release_one(node.store, record_id=record_id, partner=partner, signing_key=node.key, actor="t")


def body_of(response: httpx.Response) -> dict[str, Any]:
    body = orjson.loads(response.content)
    assert isinstance(body, dict)
    return body


def answer(response: httpx.Response, body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(
        response.status_code, headers=response.headers, content=orjson.dumps(body)
    )


def on_objects(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    def tamper(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if not request.url.path.endswith("/objects/") or response.status_code != 200:
            return response
        return answer(response, change(body_of(response)))

    return tamper


def audited(node: Node, action: str) -> list[dict[str, Any]]:
    with node.store.unit_of_work() as uow:
        return [e.detail for e in uow.audit.entries() if e.action == action]


# --- 1. the receiver enforces markings --------------------------------------------------------


def test_a_record_released_to_a_third_party_injected_in_the_channel_is_refused(
    nodes: dict[str, Node],
) -> None:
    mx, us = nodes["MX"], nodes["US"]
    (for_ca,) = own(mx, "+52 55 9100 0001", to="MX CA")
    (for_us,) = own(mx, "+52 55 9100 0002", to="MX US")
    release(mx, for_ca, "CA")
    release(mx, for_us, "US")
    with mx.store.unit_of_work() as uow:
        row = uow.records.latest(for_ca)
        assert row is not None
        stolen = row.stix_object()
    stolen_signature = sign_record(stolen, mx.key)  # MX's own, valid signature

    def inject(body: dict[str, Any]) -> dict[str, Any]:
        body["objects"].append(stolen)
        body["x_enlace_signatures"][f"{stolen['id']}|{stolen['modified']}"] = stolen_signature
        return body

    report = pull(us, mx, tamper=on_objects(inject))
    assert report.received == 1
    assert report.refused == {"not-releasable-here": 1}
    assert {rid for rid, _ in received_versions(us, "MX")} == {for_us}
    (refusal,) = audited(us, "refusal")
    assert refusal["ids"] == {"not-releasable-here": [for_ca]}


def test_a_record_not_listed_in_the_signed_manifest_is_refused(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    first, unreleased = own(mx, "+52 55 9200 0001", "+52 55 9200 0002", to="MX US")
    release(mx, first, "US")  # the second is releasable to US but MX did not release it
    with mx.store.unit_of_work() as uow:
        row = uow.records.latest(unreleased)
        assert row is not None
        extra = row.stix_object()

    def inject(body: dict[str, Any]) -> dict[str, Any]:
        body["objects"].append(extra)
        key = f"{extra['id']}|{extra['modified']}"
        body["x_enlace_signatures"][key] = sign_record(extra, mx.key)
        return body

    report = pull(us, mx, tamper=on_objects(inject))
    assert report.refused == {"not-in-manifest": 1}
    assert {rid for rid, _ in received_versions(us, "MX")} == {first}


def test_a_changed_manifest_stops_the_sync_and_takes_nothing(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    (record,) = own(mx, "+52 55 9300 0001")
    release(mx, record, "US")

    def readdress(body: dict[str, Any]) -> dict[str, Any]:
        body["x_enlace_manifest"] = body["x_enlace_manifest"].replace('"US"', '"CA"')
        return body

    with pytest.raises(SyncError, match="manifest"):
        pull(us, mx, tamper=on_objects(readdress))
    assert received_versions(us, "MX") == set()
    assert pull(us, mx).received == 1  # the cursor did not move past what was not verified


# --- 2. revocation carries no content ----------------------------------------------------------


def test_revocation_sends_a_content_free_tombstone_to_every_past_holder(
    nodes: dict[str, Node],
) -> None:
    mx, us, ca = nodes["MX"], nodes["US"], nodes["CA"]
    (record,) = own(mx, "+52 55 9400 0001", to="MX US CA")
    release(mx, record, "US")
    release(mx, record, "CA")
    pull(us, mx)
    pull(ca, mx)
    # v2 no longer names CA, and says something new: CA must never see it.
    v1 = phone("+52 55 9400 0001", owner="MX", markings=marked("MX US CA"))
    v2 = v1.with_version(modified=later(2), markings=marked("MX US"))
    v2 = type(v2).from_values(
        id=v2.id,
        owner="MX",
        markings=v2.markings,
        created=v2.created,
        modified=v2.modified,
        created_by_ref=None,
        values={"number": "+52 55 9499 0099"},
    )
    with mx.store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(v2)], added_at=uow.started_at)
        uow.commit()
    release(mx, record, "US")
    assert revoke_owned_record(mx.store, record_id=record, signing_key=mx.key, actor="t") == 2

    seen: list[bytes] = []

    def watch(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        seen.append(response.content)
        return response

    report = pull(ca, mx, tamper=watch)
    assert report.revoked == 1
    assert report.received == 0
    assert not any(b"9499" in content for content in seen)  # v2's content never reached CA
    with ca.store.unit_of_work() as uow:
        versions = uow.records.versions(record)
        assert [v.modified for v in versions] == [
            v.modified for v in versions if v.modified.startswith("2025-09-01")
        ]
        assert all(v.revoked for v in versions)  # held as revoked: never matched or counted
        held = uow.revocations.get(record)
        assert held is not None
        assert (held.owner, held.reason) == ("MX", "withdrawn")
        assert set(orjson.loads(held.statement)) == {"type", "id", "owner", "revoked_at", "reason"}
    pull(us, mx)
    with us.store.unit_of_work() as uow:
        assert all(v.revoked for v in uow.records.versions(record))


def test_a_tombstone_from_someone_else_than_the_owner_is_refused(nodes: dict[str, Node]) -> None:
    mx, us, ca = nodes["MX"], nodes["US"], nodes["CA"]
    (record,) = own(ca, "+1 613 555 0199", to="CA US")
    release(ca, record, "US")
    pull(us, ca)
    # MX forges a tombstone of CA's record with its own key and puts it in its sequence.
    from enlace.exchange.statements import Tombstone, sign_tombstone

    forged = sign_tombstone(Tombstone(record, "CA", later(3).isoformat(), "withdrawn"), mx.key)
    with mx.store.unit_of_work() as uow:
        uow.releases.add_statement(
            partner="US",
            kind="tombstone",
            record_id=record,
            statement=forged.text,
            digest=forged.digest,
            signature=forged.signature,
            at=uow.started_at,
        )
        uow.commit()
    report = pull(us, mx)
    assert report.revoked == 0
    assert report.refused == {"wrong-owner": 1}
    with us.store.unit_of_work() as uow:
        assert not any(v.revoked for v in uow.records.versions(record))


# --- 5. loss, reordering, replay, forged header and next -----------------------------------------


def test_an_object_the_channel_drops_is_reported_then_fetched_again(
    nodes: dict[str, Node],
) -> None:
    mx, us = nodes["MX"], nodes["US"]
    ids = own(mx, *(f"+52 55 9500 {n:04d}" for n in range(10)))
    for record in ids:
        release(mx, record, "US")
    dropped: list[str] = []

    def drop(body: dict[str, Any]) -> dict[str, Any]:
        if not dropped and body["objects"]:
            dropped.append(body["objects"].pop(2)["id"])
        return body

    first = pull(us, mx, tamper=on_objects(drop))
    assert first.received == 9
    assert first.not_held == {"missing": 1}
    assert "not held" in first.summary()
    (gap,) = audited(us, "sequence-gap")
    assert gap["count"] == 1
    again = pull(us, mx)
    assert (again.received, again.filled, again.not_held_total) == (1, 1, 0)
    assert {rid for rid, _ in received_versions(us, "MX")} == set(ids)


def test_reordered_objects_are_all_accepted(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    ids = own(mx, *(f"+52 55 9600 {n:04d}" for n in range(6)))
    for record in ids:
        release(mx, record, "US")

    def reverse(body: dict[str, Any]) -> dict[str, Any]:
        body["objects"].reverse()
        return body

    report = pull(us, mx, tamper=on_objects(reverse))
    assert (report.received, report.refused_total, report.not_held_total) == (6, 0, 0)


def test_an_old_answer_replayed_is_refused(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    ids = own(mx, *(f"+52 55 9700 {n:04d}" for n in range(3)))
    for record in ids:
        release(mx, record, "US")
    recorded: list[httpx.Response] = []

    def record_answers(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.url.path.endswith("/objects/"):
            recorded.append(answer(response, body_of(response)))
        return response

    pull(us, mx, tamper=record_answers, from_start=True)

    def replay(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        return recorded[0] if request.url.path.endswith("/objects/") else response

    with pytest.raises(SyncError, match="another request"):
        pull(us, mx, tamper=replay, from_start=True)


def test_a_forged_date_header_and_next_do_not_move_the_cursor(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    ids = own(mx, *(f"+52 55 9800 {n:04d}" for n in range(10)))
    for record in ids[:5]:
        release(mx, record, "US")

    def forge(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if not request.url.path.endswith("/objects/"):
            return response
        body = body_of(response)
        if "next" in body:
            body["next"] = "999999"
        forged = answer(response, body)
        forged.headers["X-TAXII-Date-Added-Last"] = "2099-01-01T00:00:00.000000Z"
        return forged

    assert pull(us, mx, tamper=forge, page_size=2).received == 5
    for record in ids[5:]:
        release(mx, record, "US")
    later_sync = pull(us, mx)
    assert later_sync.received == 5  # nothing stalled behind a date in 2099
    assert {rid for rid, _ in received_versions(us, "MX")} == set(ids)


def test_a_page_larger_than_asked_for_is_refused_whole(nodes: dict[str, Node]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    (record,) = own(mx, "+52 55 9900 0001")
    release(mx, record, "US")

    def flood(body: dict[str, Any]) -> dict[str, Any]:
        body["objects"] = body["objects"] * 1000  # 1,000 objects where 7 were asked for
        return body

    with pytest.raises(SyncError, match="were asked for"):
        pull(us, mx, tamper=on_objects(flood))
    assert audited(us, "refusal") == []  # not one audit entry per junk object: none


# --- onward release with the owner's consent (H2) ----------------------------------------------


def test_onward_release_needs_the_owners_signed_consent(nodes: dict[str, Node]) -> None:
    mx, us, ca = nodes["MX"], nodes["US"], nodes["CA"]
    (record,) = own(mx, "+52 55 9010 0001", to="MX US")
    release(mx, record, "US")
    pull(us, mx)
    with pytest.raises(ReleaseRefused, match="consent"):
        release(us, record, "CA")
    with pytest.raises(ConsentRefused, match="not released to CA"):
        consent_to_onward_release(
            mx.store, record_id=record, holder="CA", recipient="US", signing_key=mx.key, actor="t"
        )
    assert consent_to_onward_release(
        mx.store, record_id=record, holder="US", recipient="CA", signing_key=mx.key, actor="t"
    )
    assert pull(us, mx).refused_total == 0  # the consent arrives in MX's sequence to US
    release(us, record, "CA")
    report = pull(ca, us)
    assert (report.received, report.refused_total) == (1, 0)
    with ca.store.unit_of_work() as uow:
        row = uow.records.latest(record)
        assert row is not None
        assert (row.owner, row.received_from) == ("MX", "US")
        (consent,) = uow.consents.of_record(record)
        assert (consent.owner, consent.holder, consent.recipient) == ("MX", "US", "CA")
    # The owner knows CA holds it: its revocation reaches CA directly.
    assert revoke_owned_record(mx.store, record_id=record, signing_key=mx.key, actor="t") == 2
    assert pull(ca, mx).revoked == 1
    with ca.store.unit_of_work() as uow:
        assert all(v.revoked for v in uow.records.versions(record))


def test_an_onward_record_whose_consent_was_changed_is_refused(nodes: dict[str, Node]) -> None:
    mx, us, ca = nodes["MX"], nodes["US"], nodes["CA"]
    (record,) = own(mx, "+52 55 9020 0001", to="MX US")
    release(mx, record, "US")
    consent_to_onward_release(
        mx.store, record_id=record, holder="US", recipient="CA", signing_key=mx.key, actor="t"
    )
    pull(us, mx)
    release(us, record, "CA")

    def widen(body: dict[str, Any]) -> dict[str, Any]:
        for item in body.get("x_enlace_consents", []):
            item["statement"]["granted_at"] = "2020-01-01T00:00:00Z"
        return body

    report = pull(ca, us, tamper=on_objects(widen))
    assert report.refused == {"no-consent": 1}
    assert received_versions(ca, "US") == set()


def test_a_pages_manifest_entries_bind_each_item_as_binding_of_does() -> None:
    signatures = [sign_record({"id": f"x--{i}", "n": i}, MX_KEY) for i in range(5)]
    numbered = list(enumerate(signatures, start=7))
    assert manifest_entries("record", numbered) == [
        (number, "record", binding_of(signature)) for number, signature in numbered
    ]
    assert len({binding for _, _, binding in manifest_entries("record", numbered)}) == 5
