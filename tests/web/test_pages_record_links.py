"""The record page shows what a record is linked to (issue 20): its matches and hit notices
with the partner's handle, a disclosure request for those who may ask one, its relationships
from both ends as links, and the other records holding the same identifier — on SQLite and
PostgreSQL, read as the queries give them and as the served page shows them."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enlace.model.records import Relationship, derived_id
from enlace.model.roles import Role
from enlace.store.repositories.matches import HitNotice, Match
from enlace.store.store import Store
from enlace.store.tables import disclosure_requests, record_links
from enlace.store.versions import StoredVersion
from enlace.web.queries.record_links import SHOWN
from enlace.web.queries.records import record_detail
from support.pages import CREATED, TO_MX, TO_US, US_VIN, mx_node, vehicle
from support.web import RunningWeb, serving, session_csrf, user_of

PARTNER_HANDLE = "00112233aabbccdd"
RUN = "ab" * 16
FOUND_AT = "2025-09-05T10:00:00.000000Z"


@dataclass(frozen=True, slots=True)
class Linked:
    ids: dict[str, str]
    our_handle: str  # the handle US knows our matched record by


def linked_node(store: Store) -> Linked:
    """MX's node (support.pages) with a match and a hit notice on its own phone, a vehicle
    of its own with the VIN of US's vehicle, and a relationship from that vehicle to the
    phone."""
    ids = mx_node(store)
    own_vehicle = dataclasses.replace(
        vehicle(US_VIN, owner="MX", markings=TO_US),
        id=derived_id("enlace-vehicle", "pages-test-mx", US_VIN),
    )
    link = Relationship.from_values(
        id=derived_id("relationship", "pages-test", "used-by"),
        owner="MX",
        markings=TO_US,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={
            "relationship_type": "used-by",
            "source_ref": own_vehicle.id,
            "target_ref": ids["own"],
        },
    )
    with store.unit_of_work() as uow:
        uow.records.add(
            [StoredVersion.of(own_vehicle), StoredVersion.of(link)], added_at=uow.started_at
        )
        uow.matches.add_matches([Match("US", "phone", ids["own"], PARTNER_HANDLE, RUN, FOUND_AT)])
        uow.matches.add_hit_notices([HitNotice(RUN, ids["own"], "US", "phone", None, FOUND_AT)])
        ours = uow.handles.handles_for("US", [ids["own"]], at=uow.started_at)[ids["own"]]
        uow.commit()
    return Linked({**ids, "vehicle": own_vehicle.id, "link": link.id}, ours)


def test_a_record_shows_its_match_and_hit_notice_with_the_handles(store: Store) -> None:
    node = linked_node(store)
    detail = record_detail(store, node.ids["own"], party="MX")
    assert detail is not None
    [match] = detail.links.matches
    assert (match.partner, match.kind, match.handle, match.at) == (
        "US",
        "phone",
        PARTNER_HANDLE,
        FOUND_AT,
    )
    assert match.request_status is None
    assert detail.links.requestable == (match,)
    [notice] = detail.links.hit_notices
    assert (notice.partner, notice.kind, notice.handle) == ("US", "phone", node.our_handle)
    with store.unit_of_work() as uow:
        uow.disclosures.add(
            direction="outgoing",
            partner="US",
            handle=PARTNER_HANDLE,
            record_id=None,
            reason="caso 7",
            at=uow.started_at,
            remote_id=3,
        )
        uow.commit()
    asked = record_detail(store, node.ids["own"], party="MX")
    assert asked is not None
    assert asked.links.matches[0].request_status == "pending"
    assert asked.links.requestable == ()  # asked already: no second request


def test_a_relationship_shows_on_both_of_its_ends(store: Store) -> None:
    node = linked_node(store)
    source = record_detail(store, node.ids["vehicle"], party="MX")
    target = record_detail(store, node.ids["own"], party="MX")
    assert source is not None
    assert target is not None
    [out] = source.links.relationships
    assert (out.outgoing, out.relationship_type, out.other_id) == (True, "used-by", node.ids["own"])
    assert out.other is not None
    assert out.other.title == "+526641234567"
    [back] = target.links.relationships
    assert (back.outgoing, back.other_id, back.relationship_id) == (
        False,
        node.ids["vehicle"],
        node.ids["link"],
    )
    # A newer version that revokes the relationship takes it off both pages.
    with store.unit_of_work() as uow:
        [stored] = uow.records.versions(node.ids["link"])
        obj = stored.stix_object()
    revoked = Relationship.from_stix({**obj, "revoked": True, "modified": "2025-09-09T00:00:00Z"})
    with store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(revoked)], added_at=uow.started_at)
        uow.commit()
        kept = uow.connection.execute(select(func.count()).select_from(record_links))
        assert kept.scalar_one() == 2  # both versions' ends are kept, the newest decides
    after = record_detail(store, node.ids["vehicle"], party="MX")
    assert after is not None
    assert after.links.relationships == ()


def test_other_records_with_the_same_vin_are_listed_from_either_party(store: Store) -> None:
    node = linked_node(store)
    ours = record_detail(store, node.ids["vehicle"], party="MX")
    theirs = record_detail(store, node.ids["tampered"], party="MX")
    assert ours is not None
    assert theirs is not None
    [group] = ours.links.same_identifiers
    assert (group.kind, group.key, group.more) == ("vin", US_VIN, 0)
    assert [(r.id, r.owner, r.received_from) for r in group.records] == [
        (node.ids["tampered"], "US", "US")
    ]
    assert [r.id for r in theirs.links.same_identifiers[0].records] == [node.ids["vehicle"]]
    phone = record_detail(store, node.ids["national"], party="MX")
    assert phone is not None
    assert phone.links.same_identifiers == ()


def test_many_holders_of_an_identifier_are_bounded_with_a_count_of_the_rest(
    store: Store,
) -> None:
    node = linked_node(store)
    many = [
        dataclasses.replace(
            vehicle(US_VIN, owner="MX", markings=TO_MX),
            id=derived_id("enlace-vehicle", "pages-test-many", str(n)),
        )
        for n in range(SHOWN + 5)
    ]
    with store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(v) for v in many], added_at=uow.started_at)
        uow.commit()
    detail = record_detail(store, node.ids["vehicle"], party="MX")
    assert detail is not None
    [group] = detail.links.same_identifiers
    assert len(group.records) == SHOWN
    assert group.more == len(many) + 1 - SHOWN  # the others and US's vehicle


@pytest.fixture
def web(store: Store, tmp_path: Path) -> Iterator[tuple[RunningWeb, Linked]]:
    node = linked_node(store)
    with serving(store, tmp_path / "mx") as running:
        yield running, node


def _page(text: str) -> str:
    return html.unescape(text)


@pytest.mark.e2e
def test_the_record_page_links_matches_relationships_and_same_identifiers(
    web: tuple[RunningWeb, Linked],
) -> None:
    running, node = web
    analyst = running.login(user_of(Role.ANALYST))
    page = analyst.get(f"/web/records/{node.ids['own']}")
    assert page.status_code == 200
    text = _page(page.text)
    assert 'id="matches"' in text
    assert PARTNER_HANDLE in text
    assert node.our_handle in text
    assert f'href="/web/records/{node.ids["vehicle"]}"' in text  # the relationship's other end
    assert "usado por" in text  # used-by, in the reader's language (Spanish by default)
    assert "Solicitar divulgación" not in text  # analysts do not ask partners
    vehicle_page = _page(analyst.get(f"/web/records/{node.ids['vehicle']}").text)
    assert f'href="/web/records/{node.ids["own"]}"' in vehicle_page
    assert f'href="/web/records/{node.ids["tampered"]}"' in vehicle_page  # same VIN, US's
    assert 'id="same-identifiers"' in vehicle_page
    tried = analyst.post(
        f"/web/records/{node.ids['own']}/disclosure",
        data={
            "csrf_token": session_csrf(analyst, "/web/records"),
            "partner": "US",
            "handle": PARTNER_HANDLE,
        },
    )
    assert tried.status_code == 403


@pytest.mark.e2e
def test_a_liaison_officer_may_request_disclosure_of_a_held_match_only(
    web: tuple[RunningWeb, Linked],
) -> None:
    running, node = web
    liaison = running.login(user_of(Role.LIAISON))
    page = _page(liaison.get(f"/web/records/{node.ids['own']}").text)
    assert "Solicitar divulgación" in page
    assert f'action="/web/records/{node.ids["own"]}/disclosure"' in page
    assert f'name="handle" value="{PARTNER_HANDLE}"' in page
    token = session_csrf(liaison, "/web/records")
    unheld = liaison.post(
        f"/web/records/{node.ids['own']}/disclosure",
        data={"csrf_token": token, "partner": "US", "handle": "ffffffffffffffff"},
    )
    assert unheld.status_code == 404  # a handle the page never showed is not sent
    # The partner cannot be reached (no token kept for it): one clear page, nothing stored.
    unreachable = liaison.post(
        f"/web/records/{node.ids['own']}/disclosure",
        data={"csrf_token": token, "partner": "US", "handle": PARTNER_HANDLE, "reason": "x"},
    )
    assert unreachable.status_code == 502
    assert "No se pudo consultar" in unreachable.text
    with running.store.unit_of_work() as uow:
        count = select(func.count()).select_from(disclosure_requests)
        assert uow.connection.execute(count).scalar_one() == 0
