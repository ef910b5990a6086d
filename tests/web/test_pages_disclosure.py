"""Disclosure requests decided through the matching page, and the report download's input.

A real node web server on loopback; the requests arrive as the matching API stores them
(`receive_request`), for records matched under an opaque handle.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enlace.matching.disclosure import receive_request
from enlace.model.roles import Role
from enlace.node.keys import create_signing_key
from enlace.partners.credentials import write_outbound_token
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from enlace.store.tables import releases
from support.pages import OWN_PHONE, mx_node
from support.web import RunningWeb, serving, session_csrf, switch_language, user_of

pytestmark = pytest.mark.e2e


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[RunningWeb, dict[str, str]]]:
    store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    ids = mx_node(store)
    create_signing_key(tmp_path / "mx" / "keys")
    try:
        with serving(store, tmp_path / "mx") as running:
            yield running, ids
    finally:
        store.close()


def request_for(store: Store, record_id: str, reason: str) -> int:
    """A partner's disclosure request for `record_id`, as the matching API stores it."""
    with store.unit_of_work() as uow:
        handle = uow.handles.handles_for("US", [record_id], at=uow.started_at)[record_id]
        uow.commit()
    return receive_request(store, partner="US", handle=handle, reason=reason)


def released_to_us(store: Store) -> int:
    with store.unit_of_work() as uow:
        query = select(func.count()).select_from(releases).where(releases.c.partner == "US")
        return int(uow.connection.execute(query).scalar_one())


def status_of(store: Store, request_id: int) -> str:
    with store.unit_of_work() as uow:
        found = uow.disclosures.get(request_id)
    assert found is not None
    return found.status


def confirmed(token: str) -> dict[str, str]:
    """The confirmation page's form: approve, having seen the markings."""
    return {"csrf_token": token, "confirmed": "yes"}


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("es", ["Aprobar una solicitud de divulgación", "Liberable a", "Código de manejo"]),
        ("en", ["Approve a disclosure request", "Releasable to", "Handling code"]),
    ],
)
def test_approving_first_shows_the_record_and_its_markings_then_asks_to_confirm(
    node: tuple[RunningWeb, dict[str, str]], lang: str, words: list[str]
) -> None:
    web, ids = node
    request_id = request_for(web.store, ids["own"], "the same phone")
    liaison = web.login(user_of(Role.LIAISON))
    switch_language(liaison, lang)
    listed = liaison.get("/web/matching").text
    assert f'href="/web/matching/disclosures/{request_id}/approve"' in listed
    page = liaison.get(f"/web/matching/disclosures/{request_id}/approve")
    assert page.status_code == 200
    for word in words:
        assert word in page.text
    assert f"<h2>{OWN_PHONE}</h2>" in page.text  # the record's title
    assert "TLP:AMBER" in page.text.split('id="confirm-tlp"', 1)[1].split("</dd>", 1)[0]
    assert "MX, US" in page.text.split('id="confirm-releasable"', 1)[1].split("</dd>", 1)[0]
    assert ">H2<" in page.text.split('id="confirm-handling"', 1)[1].split("</dd>", 1)[0]
    assert ">B2<" in page.text.split('id="confirm-evaluation"', 1)[1].split("</dd>", 1)[0]
    assert 'name="confirmed" value="yes"' in page.text
    token = session_csrf(liaison, "/web/matching")
    # A post without the confirmation changes nothing: it leads to the confirmation page.
    unconfirmed = liaison.post(
        f"/web/matching/disclosures/{request_id}/approve", data={"csrf_token": token}
    )
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == f"/web/matching/disclosures/{request_id}/approve"
    assert status_of(web.store, request_id) == "pending"
    assert released_to_us(web.store) == 0
    done = liaison.post(f"/web/matching/disclosures/{request_id}/approve", data=confirmed(token))
    assert done.status_code == 303
    assert status_of(web.store, request_id) == "approved"
    assert liaison.get("/web/matching/disclosures/999/approve").status_code == 404
    analyst = web.login(user_of(Role.ANALYST))
    assert analyst.get(f"/web/matching/disclosures/{request_id}/approve").status_code == 403


def test_a_liaison_officer_approves_a_request_and_the_record_is_released(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, ids = node
    request_id = request_for(web.store, ids["own"], "the same phone is in our case")
    liaison = web.login(user_of(Role.LIAISON))
    page = liaison.get("/web/matching")
    assert "the same phone is in our case" in page.text
    assert OWN_PHONE in page.text  # the record by its title, not only its id
    token = session_csrf(liaison, "/web/matching")
    answer = liaison.post(f"/web/matching/disclosures/{request_id}/approve", data=confirmed(token))
    assert answer.status_code == 303
    assert status_of(web.store, request_id) == "approved"
    assert released_to_us(web.store) == 1
    again = liaison.post(f"/web/matching/disclosures/{request_id}/approve", data=confirmed(token))
    assert again.status_code == 409
    assert released_to_us(web.store) == 1


def test_a_request_the_markings_forbid_stays_pending_and_releases_nothing(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, ids = node
    request_id = request_for(web.store, ids["national"], "please")
    liaison = web.login(user_of(Role.LIAISON))
    token = session_csrf(liaison, "/web/matching")
    confirm = liaison.get(f"/web/matching/disclosures/{request_id}/approve")
    assert 'id="not-releasable"' in confirm.text  # the page says so before the approval
    answer = liaison.post(f"/web/matching/disclosures/{request_id}/approve", data=confirmed(token))
    assert answer.status_code == 409
    assert "national only" in answer.text
    assert status_of(web.store, request_id) == "pending"
    assert released_to_us(web.store) == 0


def test_refusing_needs_a_reason_and_only_a_liaison_officer_decides(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, ids = node
    request_id = request_for(web.store, ids["own"], "please")
    analyst = web.login(user_of(Role.ANALYST))
    assert "please" in analyst.get("/web/matching").text  # analysts see the request
    tried = analyst.post(
        f"/web/matching/disclosures/{request_id}/refuse",
        data={"csrf_token": session_csrf(analyst, "/web/matching"), "reason": "no"},
    )
    assert tried.status_code == 403
    liaison = web.login(user_of(Role.LIAISON))
    token = session_csrf(liaison, "/web/matching")
    blank = liaison.post(
        f"/web/matching/disclosures/{request_id}/refuse", data={"csrf_token": token, "reason": " "}
    )
    assert blank.status_code == 400
    assert status_of(web.store, request_id) == "pending"
    nul = liaison.post(
        f"/web/matching/disclosures/{request_id}/refuse",
        data={"csrf_token": token, "reason": "no\x00way"},
    )
    assert nul.status_code == 400  # a page naming the NUL, not a fault
    assert "U+0000" in nul.text
    assert status_of(web.store, request_id) == "pending"
    refused = liaison.post(
        f"/web/matching/disclosures/{request_id}/refuse",
        data={"csrf_token": token, "reason": "ongoing operation"},
    )
    assert refused.status_code == 303
    assert status_of(web.store, request_id) == "refused"
    assert released_to_us(web.store) == 0
    unknown = liaison.post(
        "/web/matching/disclosures/999/refuse", data={"csrf_token": token, "reason": "x"}
    )
    assert unknown.status_code == 409


def test_the_report_download_refuses_unknown_languages_formats_and_meetings(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, _ = node
    coordinator = web.login(user_of(Role.COORDINATOR))
    for params, status in (
        ({"lang": "fr"}, 400),
        ({"format": "docx"}, 400),
        ({"meeting": "enlace-meeting--nope"}, 404),
        ({}, 404),  # this node holds no meeting at all
    ):
        answer = coordinator.get("/web/tracking/report", params=params)
        assert answer.status_code == status, params
        assert answer.headers["content-type"].startswith("text/html")
    assert coordinator.get("/web/tracking").status_code == 200


def test_our_requests_are_listed_and_asking_an_unreachable_partner_is_one_clear_page(
    node: tuple[RunningWeb, dict[str, str]], tmp_path: Path
) -> None:
    web, _ = node
    write_outbound_token(tmp_path / "mx" / "keys", "US", "mx-pulls-us-0123456789abcdef")
    with web.store.unit_of_work() as uow:
        uow.partners.put(
            party="US",
            url="http://127.0.0.1:1",  # nothing listens there: refused at once, on loopback
            verify_key_hex="00" * 32,
            token_hash="0" * 64,
            added_at=uow.started_at,
        )
        request_id = uow.disclosures.add(
            direction="outgoing",
            partner="US",
            handle="00112233aabbccdd",
            record_id=None,
            reason="caso 7",
            at=uow.started_at,
            remote_id=5,
        )
        uow.commit()
    analyst = web.login(user_of(Role.ANALYST))
    page = analyst.get("/web/matching")
    assert "00112233aabbccdd" in page.text
    assert "caso 7" in page.text
    assert "/web/matching/outgoing/refresh" not in page.text  # only liaison officers ask
    tried = analyst.post(
        "/web/matching/outgoing/refresh",
        data={"csrf_token": session_csrf(analyst, "/web/matching")},
    )
    assert tried.status_code == 403
    liaison = web.login(user_of(Role.LIAISON))
    assert "/web/matching/outgoing/refresh" in liaison.get("/web/matching").text
    answer = liaison.post(
        "/web/matching/outgoing/refresh",
        data={"csrf_token": session_csrf(liaison, "/web/matching")},
    )
    assert answer.status_code == 502
    assert "No se pudo consultar" in answer.text  # the page is in the user's language
    assert "cannot reach US" in answer.text
    assert status_of(web.store, request_id) == "pending"
