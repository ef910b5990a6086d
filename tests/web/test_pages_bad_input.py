"""Bad input through the web pages: a clear answer, and nothing written.

A real node web server on loopback (`support.web.serving`, one user per role), driven with
httpx as a browser would: session cookie, the CSRF token of the page's forms.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from enlace.model.roles import Role
from enlace.node.keys import create_signing_key
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from enlace.store.tables import audit_log, records, releases
from enlace.users.accounts import get_user
from enlace.web.pages.imports import MAX_UPLOAD_BYTES
from support.pages import US_PHONE, mx_node
from support.web import RunningWeb, serving, session_csrf, switch_language, user_of

pytestmark = pytest.mark.e2e

GOOD_CSV = (
    "type,number,tlp,releasable_to,handling,evaluation\nphone,+52 81 8123 4567,amber,US,H1,B2\n"
)
BAD_CSV = GOOD_CSV + "phone,not a number,amber,US,H1,B2\n"


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


def counts(store: Store) -> tuple[int, int, int]:
    """(record versions, releases, audit entries): what 'nothing written' compares."""
    with store.unit_of_work() as uow:
        return tuple(  # type: ignore[return-value]
            int(uow.connection.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (records, releases, audit_log)
        )


def audit_actions(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        return list(
            uow.connection.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).scalars()
        )


def upload(client: httpx.Client, name: str, body: bytes, token: str) -> httpx.Response:
    return client.post(
        "/web/import",
        data={"csrf_token": token, "format": ""},
        files={"file": (name, body, "text/csv")},
    )


def test_a_good_upload_is_imported_and_audited(node: tuple[RunningWeb, dict[str, str]]) -> None:
    web, _ = node
    analyst = web.login(user_of(Role.ANALYST))
    before = counts(web.store)
    answer = upload(analyst, "phones.csv", GOOD_CSV.encode(), session_csrf(analyst, "/web/import"))
    assert answer.status_code == 200
    assert "phones.csv" in answer.text
    assert "1 new record versions imported" not in answer.text
    after = counts(web.store)
    assert after[0] == before[0] + 1
    assert audit_actions(web.store)[-1] == "import"


def test_a_malformed_upload_is_refused_with_its_bad_rows_and_writes_nothing(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, _ = node
    analyst = web.login(user_of(Role.ANALYST))
    token = session_csrf(analyst, "/web/import")
    before = counts(web.store)
    answer = upload(analyst, "phones.csv", BAD_CSV.encode(), token)
    assert answer.status_code == 400
    assert "línea 3" in answer.text
    assert "not a number" in answer.text
    assert counts(web.store) == before
    not_csv = upload(analyst, "bundle.json", b"{not json", token)
    assert not_csv.status_code == 400
    assert "bundle.json" in not_csv.text
    assert "/tmp" not in not_csv.text
    no_name = upload(analyst, "records.exe", GOOD_CSV.encode(), token)
    assert no_name.status_code == 400
    empty = upload(analyst, "empty.csv", b"", token)
    assert empty.status_code == 400
    assert counts(web.store) == before


def test_an_oversized_upload_is_refused_and_writes_nothing(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, _ = node
    analyst = web.login(user_of(Role.ANALYST))
    token = session_csrf(analyst, "/web/import")
    before = counts(web.store)
    line = b"phone,+52 81 8123 4567,amber,US,H1,B2\n"
    body = GOOD_CSV.encode() + line * (MAX_UPLOAD_BYTES // len(line) + 10)
    answer = upload(analyst, "huge.csv", body, token)
    assert answer.status_code == 413
    assert "20 MiB" in answer.text  # the Spanish page: "excede el límite de 20 MiB"
    assert counts(web.store) == before


def test_a_forged_csrf_token_is_refused_and_writes_nothing(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, ids = node
    liaison = web.login(user_of(Role.LIAISON))
    analyst = web.login(user_of(Role.ANALYST))
    before = counts(web.store)
    forged = liaison.post(
        "/web/exchange/release",
        data={"record_id": ids["own"], "partner": "US", "csrf_token": "forged-" + "0" * 30},
    )
    assert forged.status_code == 403
    missing = liaison.post("/web/exchange/release", data={"record_id": ids["own"], "partner": "US"})
    assert missing.status_code == 403
    other_session = session_csrf(analyst, "/web/import")
    stolen = liaison.post(
        "/web/exchange/release",
        data={"record_id": ids["own"], "partner": "US", "csrf_token": other_session},
    )
    assert stolen.status_code == 403
    forged_upload = upload(analyst, "phones.csv", GOOD_CSV.encode(), "forged-" + "1" * 30)
    assert forged_upload.status_code == 403
    assert counts(web.store) == before


def test_a_release_through_the_web_is_signed_and_a_refused_one_writes_only_its_refusal(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, ids = node
    liaison = web.login(user_of(Role.LIAISON))
    token = session_csrf(liaison, "/web/exchange")
    done = liaison.post(
        "/web/exchange/release",
        data={"record_id": ids["own"], "partner": "US", "csrf_token": token},
    )
    assert done.status_code == 303
    assert done.headers["location"].endswith("?released=US")
    before = counts(web.store)
    refused = liaison.post(
        "/web/exchange/release",
        data={"record_id": ids["national"], "partner": "US", "csrf_token": token},
    )
    assert refused.status_code == 409
    assert "national only" in refused.text  # the reason, as the release rule words it
    after = counts(web.store)
    # No release; the refusal itself is evidence, kept in the audit log.
    assert after[:2] == before[:2]
    assert after[2] == before[2] + 1
    assert audit_actions(web.store)[-1] == "release-refused"
    bad = liaison.post(
        "/web/exchange/release", data={"record_id": "x", "partner": "usa", "csrf_token": token}
    )
    assert bad.status_code == 400
    assert counts(web.store) == after


def test_a_partners_record_opened_by_the_wrong_role_shows_nothing_and_writes_only_the_refusal(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, ids = node
    path = f"/web/records/{ids['received']}"
    others = [
        web.login(user_of(role)) for role in (Role.COORDINATOR, Role.AUDITOR, Role.ADMINISTRATOR)
    ]
    before = counts(web.store)  # after signing in: logins are audited too
    for client in others:
        answer = client.get(path)
        assert answer.status_code == 403
        assert US_PHONE not in answer.text
        assert "seen in a test" not in answer.text
    anonymous = web.client().get(path)
    assert anonymous.status_code == 303
    assert "/web/login" in anonymous.headers["location"]
    versions, released, entries = before
    assert counts(web.store) == (versions, released, entries + len(others))
    assert audit_actions(web.store)[-len(others) :] == ["access-denied"] * len(others)
    with web.store.unit_of_work() as uow:
        denied = uow.connection.execute(
            select(audit_log.c.actor, audit_log.c.subject).where(
                audit_log.c.action == "access-denied"
            )
        ).all()
    assert sorted(actor for actor, _ in denied) == sorted(
        user_of(role) for role in (Role.COORDINATOR, Role.AUDITOR, Role.ADMINISTRATOR)
    )
    assert {subject for _, subject in denied} == {path}
    assert "record-read" not in audit_actions(web.store)
    analyst = web.login(user_of(Role.ANALYST)).get(path)
    assert analyst.status_code == 200
    assert US_PHONE in analyst.text
    assert "seen in a test" in analyst.text
    assert audit_actions(web.store)[-1] == "record-read"


def test_a_record_id_that_is_not_held_or_not_an_id_is_a_clear_404(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, _ = node
    analyst = web.login(user_of(Role.ANALYST))
    before = counts(web.store)
    for path in (
        "/web/records/enlace-phone-number--00000000-0000-4000-8000-000000000001",
        "/web/records/%3Cscript%3E",
        "/web/records?page=-4&since=yesterday&tlp=blue",
    ):
        answer = analyst.get(path)
        assert answer.status_code in (400, 404), path
        assert "<script>" not in answer.text
    assert counts(web.store) == before


def test_language_switch_is_remembered_in_the_browser_and_on_the_user(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, _ = node
    analyst = web.login(user_of(Role.ANALYST))
    assert "Registros" in analyst.get("/web/records").text
    switched = switch_language(analyst, "en", "/web/records")
    assert switched.status_code == 303
    assert switched.headers["location"] == "/web/records"
    assert analyst.cookies.get("enlace_lang") == "en"
    page = analyst.get("/web/records")
    assert page.headers["content-language"] == "en"
    assert "Records held" not in page.text
    assert ">Records<" in page.text
    account = get_user(web.store, user_of(Role.ANALYST))
    assert account is not None
    assert account.language == "en"
    offsite = switch_language(analyst, "en", "//evil.example/")
    assert offsite.headers["location"] == "/web/"
    bad = switch_language(analyst, "fr")
    assert bad.status_code == 400
    again = web.login(user_of(Role.ANALYST))  # another browser: the saved choice follows
    assert again.get("/web/records").headers["content-language"] == "en"
