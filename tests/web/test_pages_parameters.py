"""Request parameters are read at the edge: what no page can use is a 400 page in the
reader's language (JSON for scripts) that names the parameter, never a 500, and the pages'
own links repeat only what was read.

A real node web server on loopback (`support.web.serving`), on SQLite and PostgreSQL: an id
that fits SQLite's 64-bit INTEGER can still be past PostgreSQL's 32-bit one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from enlace.matching.disclosure import receive_request
from enlace.model.roles import Role
from enlace.store.store import Store
from enlace.store.tables import audit_log, disclosure_requests, releases
from enlace.store.versions import StoredVersion
from enlace.users.tokens import create_token
from support.pages import OWN_PHONE, TO_US, mx_node, phone
from support.web import RunningWeb, serving, session_csrf, switch_language, user_of

pytestmark = pytest.mark.e2e

UNICODE_DIGITS = ["٣", "３", "²", "۷"]  # Arabic-Indic, fullwidth, superscript, Persian
OWN_ID = phone(OWN_PHONE, owner="MX", markings=TO_US).id


@pytest.fixture
def web(store: Store, tmp_path: Path) -> Iterator[RunningWeb]:
    mx_node(store)
    with serving(store, tmp_path / "mx") as running:
        yield running


def refused(answer: httpx.Response, name: str) -> None:
    """`answer` is the 400 page (in Spanish, the users' language) naming parameter `name`."""
    assert answer.status_code == 400, f"{answer.request.url}: {answer.status_code}"
    assert 'class="error-page"' in answer.text
    assert f"El parámetro {name} " in html.unescape(answer.text), answer.text[-800:]


def written(store: Store) -> tuple[int, int, int]:
    with store.unit_of_work() as uow:
        return tuple(  # type: ignore[return-value]
            int(uow.connection.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (disclosure_requests, releases, audit_log)
        )


@pytest.mark.parametrize("request_id", [str(2**31), str(2**64), "9" * 29, *UNICODE_DIGITS, "0"])
def test_a_disclosure_id_no_store_can_hold_is_a_400_page_and_changes_nothing(
    web: RunningWeb, request_id: str
) -> None:
    liaison = web.login(user_of(Role.LIAISON))
    token = session_csrf(liaison, "/web/matching")
    before = written(web.store)
    for action, form in (("approve", {}), ("refuse", {"reason": "not ours"})):
        answer = liaison.post(
            f"/web/matching/disclosures/{request_id}/{action}",
            data={**form, "csrf_token": token},
        )
        refused(answer, "request_id")
    assert written(web.store) == before


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/web/matching?asked=" + "9" * 29, "asked"),
        ("/web/matching?asked=٣", "asked"),
        ("/web/matching?decided=maybe", "decided"),
        ("/web/records?until=9999-12-31", "until"),
        ("/web/records?since=0001-01-01", "since"),
        ("/web/records?until=2025-02-30", "until"),
        ("/web/records?since=２０２５-01-01", "since"),
        ("/web/records?since=20250101", "since"),
        ("/web/records?page=٣", "page"),
        ("/web/records?page=0", "page"),
        ("/web/records?page=" + "9" * 29, "page"),
        ("/web/records?tlp=purple", "tlp"),
        ("/web/records?owner=MEX", "owner"),
        ("/web/records?agency=identity--nope", "agency"),
        ("/web/records?q=" + "x" * 201, "q"),
        (
            "/web/records/enlace-phone-number--00000000-0000-4000-8000-000000000001?released=X1",
            "released",
        ),
        ("/web/exchange?received=３&synced=US", "received"),
        ("/web/exchange?refused=" + "9" * 29 + "&synced=US", "refused"),
        ("/web/exchange?synced=U%00", "synced"),
        ("/web/audit?page=３", "page"),
        ("/web/audit?action=%3Cscript%3E", "action"),
        ("/web/tracking?meeting=" + "m" * 129, "meeting"),
        ("/web/records?q=%00", "q"),  # PostgreSQL refuses NUL in text: a 500 there
        ("/web/tracking?meeting=a%00", "meeting"),
    ],
)
def test_a_parameter_no_page_can_use_is_a_400_page_naming_it(
    web: RunningWeb, path: str, name: str
) -> None:
    # Every role: each page is opened by someone who may see it.
    web.add("everyone", *Role)
    answer = web.login("everyone").get(path)
    refused(answer, name)
    assert "<script>" not in answer.text


def test_a_script_is_told_which_parameter_in_json(web: RunningWeb) -> None:
    _, secret = create_token(web.store, user_of(Role.ANALYST), "parameters")
    answer = web.client().get(
        "/web/records", params={"page": "٣"}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/json")
    detail = answer.json()["detail"]
    assert detail.startswith("The parameter page must be a whole number from 1 to 1000000")
    assert "٣" in detail


def test_the_400_page_speaks_english_to_an_english_reader(web: RunningWeb) -> None:
    web.add("reader", Role.ANALYST)
    reader = web.login("reader")
    assert switch_language(reader, "en").status_code == 303
    answer = reader.get("/web/records", params={"until": "9999-12-31"})
    assert answer.status_code == 400
    text = html.unescape(answer.text)
    assert (
        "The parameter until must be a date from 1900-01-01 to 2999-12-31, written YYYY-MM-DD; "
        'found "9999-12-31".'
    ) in text


_NEXT_LINK = re.compile(r'href="(/web/records\?[^"]*page=2[^"]*)"')


def test_the_pages_links_repeat_only_the_filter_as_read(web: RunningWeb) -> None:
    with web.store.unit_of_work() as uow:
        many = [phone(f"+52551000{i:04d}", owner="MX", markings=TO_US) for i in range(60)]
        uow.records.add([StoredVersion.of(r) for r in many], added_at=uow.started_at)
        uow.commit()
    analyst = web.login(user_of(Role.ANALYST))
    page = analyst.get(
        "/web/records",
        params=[
            ("q", "+52 551"),
            ("tlp", "AMBER"),
            ("evil", '"><b>x</b>'),
            ("origin", "own"),
        ],
    )
    assert page.status_code == 200
    found = _NEXT_LINK.search(page.text)
    assert found is not None, "no link to the next page"
    link = urlsplit(html.unescape(found.group(1)))
    assert parse_qs(link.query, keep_blank_values=True) == {
        "q": ["+52 551"],
        "tlp": ["amber"],
        "origin": ["own"],
        "page": ["2"],
    }
    pages = re.findall(r'href="(/web/records\?[^"]*page=[^"]*)"', page.text)
    assert pages
    assert not any("evil" in link for link in pages)
    assert analyst.get(found.group(1).replace("&amp;", "&")).status_code == 200


def test_a_refusal_reason_with_control_characters_is_a_400_and_changes_nothing(
    web: RunningWeb,
) -> None:
    with web.store.unit_of_work() as uow:
        handle = uow.handles.handles_for("US", [OWN_ID], at=uow.started_at)[OWN_ID]
        uow.commit()
    request_id = receive_request(web.store, partner="US", handle=handle, reason="to check")
    liaison = web.login(user_of(Role.LIAISON))
    token = session_csrf(liaison, "/web/matching")
    before = written(web.store)
    answer = liaison.post(
        f"/web/matching/disclosures/{request_id}/refuse",
        data={"reason": "no\x00thanks", "csrf_token": token},
    )
    refused(answer, "reason")
    assert written(web.store) == before


def test_the_records_list_sorts_by_a_column_and_ignores_an_order_it_does_not_offer(
    web: RunningWeb,
) -> None:
    analyst = web.login(user_of(Role.ANALYST))
    by_kind = analyst.get("/web/records", params={"sort": "-kind", "owner": "MX"})
    assert by_kind.status_code == 200
    assert 'aria-sort="descending"' in by_kind.text
    # The kind header now offers the other way, keeping the filter.
    assert 'href="/web/records?owner=MX&amp;sort=kind"' in by_kind.text
    plain = analyst.get("/web/records").text
    for bad in ("stix", "modified; drop table records", "--kind", "ñ" * 300, ""):
        answer = analyst.get("/web/records", params={"sort": bad})
        assert answer.status_code == 200, bad
        assert answer.text.count("/web/records/") == plain.count("/web/records/")
