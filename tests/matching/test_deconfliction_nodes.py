"""Deconfliction of operations end to end: two real node servers on loopback, on SQLite and
on PostgreSQL. Overlapping operations give exactly one notice on each side, with the other
side's contact; others give none; nothing else of either operation crosses the wire."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

import httpx
import pytest

import enlace.matching.requester as requester
from enlace.matching.deconfliction import check_operations
from enlace.matching.errors import PartnerRefusedMatch
from enlace.matching.operations import (
    cancel_operation,
    deconfliction_notices,
    register_operation,
)
from enlace.matching.psi import encode_claims
from enlace.model.operations import CELL_DEGREES
from enlace.store.store import Store
from support.matching import ServedNode, agree, requester_token, served_nodes

pytestmark = pytest.mark.e2e

DAY = date.today() + timedelta(days=10)  # active operations end today or later
MX_CONTACT = "Cmdte. Laura Ríos, +52 55 5000 1111"
US_CONTACT = "SA John Miller, jmiller@atf.example"


class RecordingTransport(httpx.BaseTransport):
    """Real HTTP over loopback, keeping every byte of every request and answer."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.wire: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.wire.append(request.method.encode() + bytes(request.url.raw_path))
        self.wire.append(b"".join(f"{k}: {v}".encode() for k, v in request.headers.items()))
        self.wire.append(request.read())
        response = self.inner.handle_request(request)
        body = response.read()
        self.wire.append(b"".join(f"{k}: {v}".encode() for k, v in response.headers.items()))
        self.wire.append(body)
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    def close(self) -> None:
        self.inner.close()


def register(
    node: ServedNode,
    *,
    reference: str,
    contact: str,
    targets: tuple[str, ...] = (),
    lat: float = 19.4326,
    lon: float = -99.1332,
    starts: date = DAY,
    days: int = 2,
) -> str:
    return register_operation(
        node.store,
        reference=reference,
        agency="FGR" if node.party == "MX" else "ATF",
        contact=contact,
        targets=targets,
        latitude=lat,
        longitude=lon,
        starts=starts,
        ends=starts + timedelta(days=days - 1),
        actor="liaison",
    ).id


def check(mx: ServedNode, client: httpx.Client | None = None) -> None:
    check_operations(
        mx.store, partner="US", token=requester_token("MX", "US"), client=client, actor="liaison"
    )


def audit_actions(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        return [entry.action for entry in uow.audit.entries()]


def test_operations_on_the_same_target_give_one_notice_each_side_with_the_others_contact(
    new_store_url: Callable[[], str],
) -> None:
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        agree(us, "MX", kinds=("operation",))
        # Same phone written two ways; far apart in space (Mexico City and Houston).
        mx_op = register(
            mx,
            reference="OP-TORMENTA",
            contact=MX_CONTACT,
            targets=("phone:(55) 1234-5678", "vin:1M8GDM9AXKP042788"),
        )
        us_op = register(
            us,
            reference="HOU-24-0117",
            contact=US_CONTACT,
            targets=("phone:+52 55 1234 5678",),
            lat=29.76,
            lon=-95.37,
        )
        check(mx)
        mx_notices = deconfliction_notices(mx.store)
        us_notices = deconfliction_notices(us.store)
        assert [
            (n.operation_id, n.partner, n.partner_contact, n.matched_on) for n in mx_notices
        ] == [(mx_op, "US", US_CONTACT, "target")]
        assert [
            (n.operation_id, n.partner, n.partner_contact, n.matched_on) for n in us_notices
        ] == [(us_op, "MX", MX_CONTACT, "target")]
        assert "deconfliction-notice" in audit_actions(mx.store)
        assert "deconfliction-notice" in audit_actions(us.store)
        # Checked again: still one notice on each side.
        check(mx)
        assert len(deconfliction_notices(mx.store)) == 1
        assert len(deconfliction_notices(us.store)) == 1


def test_operations_in_the_same_area_on_a_common_day_give_one_notice_each_side(
    new_store_url: Callable[[], str],
) -> None:
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        agree(us, "MX", kinds=("operation",))
        # Tijuana, about a cell apart; windows overlapping on one day; no common target.
        mx_op = register(
            mx,
            reference="OP-FRONTERA",
            contact=MX_CONTACT,
            targets=("phone:+52 664 123 4567",),
            lat=32.5149,
            lon=-117.0382,
            days=3,
        )
        us_op = register(
            us,
            reference="SD-77",
            contact=US_CONTACT,
            targets=("phone:+1 619 555 0100",),
            lat=32.5149 + CELL_DEGREES,
            lon=-117.0382,
            starts=DAY + timedelta(days=2),
        )
        check(mx)
        assert [
            (n.operation_id, n.partner_contact, n.matched_on)
            for n in deconfliction_notices(mx.store)
        ] == [(mx_op, US_CONTACT, "area")]
        assert [
            (n.operation_id, n.partner_contact, n.matched_on)
            for n in deconfliction_notices(us.store)
        ] == [(us_op, MX_CONTACT, "area")]


def test_operations_far_apart_or_on_other_days_give_no_notice(
    new_store_url: Callable[[], str],
) -> None:
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        agree(us, "MX", kinds=("operation",))
        register(mx, reference="OP-A", contact=MX_CONTACT, targets=("phone:+52 55 1111 2222",))
        # The same place the week after; and the same days 1° (about 110 km) away.
        register(us, reference="US-A", contact=US_CONTACT, starts=DAY + timedelta(days=7))
        register(us, reference="US-B", contact=US_CONTACT, lat=19.4326 + 1.0)
        # A cancelled operation on the same target takes no part.
        cancelled = register(
            us, reference="US-C", contact=US_CONTACT, targets=("phone:+52 55 1111 2222",)
        )
        cancel_operation(us.store, operation_id=cancelled, actor="liaison")
        check(mx)
        assert deconfliction_notices(mx.store) == []
        assert deconfliction_notices(us.store) == []


def test_nothing_of_either_operation_but_the_contacts_crosses_the_wire(
    new_store_url: Callable[[], str],
) -> None:
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        agree(us, "MX", kinds=("operation",))
        register(
            mx,
            reference="OP-SECRETO-MX",
            contact=MX_CONTACT,
            targets=("phone:+52 55 1234 5678", "vin:1M8GDM9AXKP042788"),
            lat=25.6866,
            lon=-100.3161,
        )
        register(
            us,
            reference="SECRET-US-OP",
            contact=US_CONTACT,
            targets=("phone:+52 55 1234 5678", "plate:US|US-TX|ABC1234"),
            lat=29.4241,
            lon=-98.4936,
        )
        # A second operation on each side that overlaps nothing: its contact must not cross.
        register(
            mx,
            reference="OP-OTRO",
            contact="Lic. Oculto, +52 81 0000 0000",
            lat=20.6597,
            lon=-103.3496,
        )
        register(
            us,
            reference="US-OTHER",
            contact="Hidden Agent, hidden@dea.example",
            lat=31.7619,
            lon=-106.4850,
        )
        transport = RecordingTransport()
        with httpx.Client(transport=transport) as client:
            check(mx, client)
        # The one key both hold is claimed back to its holder in round 2 (docs/matching.md,
        # "Checkable claims"); nothing else of it crosses, and nothing of what is not shared.
        shared = b"target|phone|+525512345678"
        claims = [i for i, part in enumerate(transport.wire) if shared in part]
        assert len(claims) == 1
        assert transport.wire[claims[0] - 2].endswith(b"/matches")
        wire = b"\n".join(part for i, part in enumerate(transport.wire) if i not in claims)
        assert MX_CONTACT.encode() in wire  # the contacts did
        assert US_CONTACT.encode() in wire
        secrets_ = [
            "OP-SECRETO-MX",
            "SECRET-US-OP",
            "OP-OTRO",
            "US-OTHER",
            "Oculto",
            "Hidden",
            "5512345678",
            "1M8GDM9AXKP042788",
            "ABC1234",
            "US-TX",
            "25.6866",
            "-100.316",
            "29.4241",
            "-98.4936",
            "20.6597",
            "-103.349",
            "31.7619",
            "-106.485",
            DAY.isoformat(),
            (DAY + timedelta(days=1)).isoformat(),
            "area|",
            "target|",
            "operation--",
            "FGR",
            "ATF",
        ]
        for secret in secrets_:
            assert secret.encode() not in wire, secret
        # The liaisons got their notices all the same.
        assert len(deconfliction_notices(mx.store)) == 1
        assert len(deconfliction_notices(us.store)) == 1


def test_a_contact_for_an_operation_not_in_the_intersection_is_refused_and_changes_nothing(
    new_store_url: Callable[[], str],
) -> None:
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        agree(us, "MX", kinds=("operation",))
        register(mx, reference="OP-A", contact=MX_CONTACT, targets=("phone:+52 55 1234 5678",))
        register(
            us,
            reference="US-A",
            contact=US_CONTACT,
            targets=("phone:+52 55 1234 5678",),
            lat=29.76,
            lon=-95.37,
        )
        check(mx)
        (notice,) = deconfliction_notices(us.store)
        with mx.store.unit_of_work() as uow:
            (held,) = uow.operations.notices()
        # A hostile MX names, in the run that matched, a handle it was never given, then
        # the right handle with another run.
        headers = {"Authorization": f"Bearer {requester_token('MX', 'US')}"}
        forged = [
            (held.run_id, "00" * 8),
            ("ab" * 16, held.counterpart),
        ]
        for run_id, handle in forged:
            response = httpx.post(
                f"{us.url}/matching/v1/runs/{run_id}/contacts",
                json={"contacts": [{"handle": handle, "contact": "Impostor, +52 55 0000 0000"}]},
                headers=headers,
            )
            assert response.status_code == 422, response.text
            assert response.json()["title"] == "false-claim"
            assert "Impostor" not in response.text
            assert US_CONTACT not in response.text
        assert deconfliction_notices(us.store) == [notice]
        assert audit_actions(us.store).count("deconfliction-refusal") == 2
        # Malformed bodies: 400, nothing recorded.
        for body in (b"not json", b'{"contacts": [{"handle": "xyz", "contact": "a"}]}'):
            response = httpx.post(
                f"{us.url}/matching/v1/runs/{held.run_id}/contacts", content=body, headers=headers
            )
            assert response.status_code == 400
        assert deconfliction_notices(us.store) == [notice]


def test_without_an_agreement_for_operations_the_partner_refuses_and_nobody_is_told(
    new_store_url: Callable[[], str],
) -> None:
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        agree(us, "MX", kinds=("phone",))
        register(mx, reference="OP-A", contact=MX_CONTACT, targets=("phone:+52 55 1234 5678",))
        register(us, reference="US-A", contact=US_CONTACT, targets=("phone:+52 55 1234 5678",))
        with pytest.raises(PartnerRefusedMatch, match="no matching agreement"):
            check(mx)
        assert deconfliction_notices(mx.store) == []
        assert deconfliction_notices(us.store) == []


def test_a_requester_claiming_an_overlap_not_in_the_intersection_gets_no_notice_and_no_contact(
    new_store_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    honest = encode_claims

    def inflated(claims: Sequence[tuple[int, bytes]]) -> bytes:
        # One more claim: a position that did not match, named with a key the requester holds.
        taken = {position for position, _ in claims}
        free = next(p for p in range(len(taken) + 1) if p not in taken)
        return honest([*claims, (free, claims[0][1])])

    monkeypatch.setattr(requester, "encode_claims", inflated)
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        agree(us, "MX", kinds=("operation",))
        register(mx, reference="OP-A", contact=MX_CONTACT, targets=("phone:+52 55 1234 5678",))
        register(us, reference="US-A", contact=US_CONTACT, targets=("phone:+52 55 1234 5678",),
                 lat=29.76, lon=-95.37)  # fmt: skip
        register(
            us, reference="US-B", contact="Other Agent, other@dea.example", lat=31.7, lon=-106.4
        )
        with pytest.raises(PartnerRefusedMatch) as caught:
            check(mx)
        assert caught.value.status == 422
        assert deconfliction_notices(mx.store) == []
        assert deconfliction_notices(us.store) == []
        assert "deconfliction-match" not in audit_actions(us.store)
        # Honest again: exactly the one overlap.
        monkeypatch.setattr(requester, "encode_claims", honest)
        check(mx)
        assert [n.partner_contact for n in deconfliction_notices(mx.store)] == [US_CONTACT]


def test_a_partner_without_active_operations_answers_an_empty_set_and_nobody_is_told(
    new_store_url: Callable[[], str],
) -> None:
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        agree(us, "MX", kinds=("operation",))
        register(mx, reference="OP-A", contact=MX_CONTACT, targets=("phone:+52 55 1234 5678",))
        outcome = check_operations(
            mx.store, partner="US", token=requester_token("MX", "US"), actor="liaison"
        )
        assert outcome.summary() == "no operation of US overlaps ours"
        assert deconfliction_notices(mx.store) == []
        assert deconfliction_notices(us.store) == []
