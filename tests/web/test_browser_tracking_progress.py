"""A coordinator records a commitment's progress in a real browser: its new status and due
date are a new audited version, and the meeting's report (the report use case) shows them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from enlace.model.roles import Role
from enlace.reports.render import render_html
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from enlace.tracking.ingest import propose
from enlace.tracking.review import held_document, review, text_digest
from enlace.web.queries.tracking import tracking_view
from support.browser import sign_in
from support.web import RunningWeb, serving, session_csrf, switch_language, user_of

pytestmark = pytest.mark.e2e

COMMUNIQUE = Path(__file__).parents[1] / "tracking" / "communiques" / "es-01.txt"
TODAY = date(2025, 10, 1)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[RunningWeb, dict[str, str]]]:
    """An MX node holding the communiqué's meeting, commitments and actions, all accepted."""
    store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    text = COMMUNIQUE.read_text(encoding="utf-8")
    proposal = propose(text, document_date=date(2025, 9, 5), source_document=COMMUNIQUE.name)
    digest = text_digest(text)
    review(store, proposal, content_sha256=digest, party="MX", accept="all")
    held = held_document(store, digest)
    assert held is not None
    ids = {key: str(decision["record_id"]) for key, decision in held.decisions.items()}
    try:
        with serving(store, tmp_path / "mx") as running:
            yield running, ids
    finally:
        store.close()


def report(web: RunningWeb, meeting_id: str, lang: str) -> str:
    data = tracking_view(web.store, meeting_id=meeting_id, today=TODAY).data
    assert data is not None
    return render_html(data, "es" if lang == "es" else "en")


def delivered(html: str, label: str) -> int:
    """The report's count of delivered commitments (its table by status)."""
    found = re.search(rf'>{label}</span></td><td class="num">(\d+)</td>', html)
    assert found is not None, label
    return int(found.group(1))


def test_a_coordinator_updates_a_commitments_status_and_due_date_and_the_report_shows_it(
    browser: Browser, node: tuple[RunningWeb, dict[str, str]]
) -> None:
    web, ids = node
    c1 = ids["c1"]
    before = report(web, ids["m1"], "es")
    assert "17 feb 2026" not in before
    assert delivered(before, "Cumplido") == 0

    page = sign_in(browser, web, Role.COORDINATOR)
    page.click("nav.menu >> text=Seguimiento")
    expect(page.locator("#commitments .record-id").first).to_be_visible()  # ids to find
    expect(page.locator(f"#commitments .record-id >> text={c1}")).to_have_count(1)
    page.click(f"a.progress-link[href='/web/tracking/edit?record={c1}#progress']")
    expect(page.locator("#progress h2")).to_have_text("Avance")
    page.select_option("#progress-form select[name=status]", "delivered")
    page.fill("#progress-form input[name=due_date]", "2026-02-17")
    page.click("#progress-form button[type=submit]")
    expect(page.locator(".flash.ok")).to_have_text(
        "Avance registrado: se guardó una nueva versión."
    )
    expect(page.locator("#progress-form select[name=status]")).to_have_value("delivered")
    page.context.close()

    with web.store.unit_of_work() as uow:
        assert len(uow.records.versions(c1)) == 2
        entries = [e for e in uow.audit.entries() if e.action == "tracking-progress"]
    assert [(e.actor, e.subject) for e in entries] == [(user_of(Role.COORDINATOR), c1)]
    spanish = report(web, ids["m1"], "es")
    english = report(web, ids["m1"], "en")
    assert "17 feb 2026" in spanish
    assert delivered(spanish, "Cumplido") == 1
    assert "Feb 17, 2026" in english
    assert delivered(english, "Delivered") == 1


def test_the_progress_form_in_english_adds_evidence_and_refuses_bad_input_clearly(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, ids = node
    coordinator = web.login(user_of(Role.COORDINATOR))
    switch_language(coordinator, "en")
    action = next(record_id for key, record_id in ids.items() if key.startswith("a"))
    page = coordinator.get(f"/web/tracking/edit?record={action}")
    assert "Record progress" in page.text
    assert 'name="evidence"' in page.text
    tracking = coordinator.get(f"/web/tracking?meeting={ids['m1']}").text
    assert "Update progress" in tracking
    assert f'<span class="muted mono record-id">{action}</span>' in tracking
    token = session_csrf(coordinator, f"/web/tracking/edit?record={action}")

    def send(**fields: str) -> httpx.Response:
        return coordinator.post(
            "/web/tracking/progress", data={"csrf_token": token, "record": action, **fields}
        )

    assert send(status="finished").status_code == 400
    assert "Unknown status finished" in send(status="finished").text
    assert send(due_date="31/12/2025").status_code == 400
    unchanged = send(status="announced")
    assert unchanged.status_code == 409
    assert "nothing to change" in unchanged.text
    unknown = send(evidence="enlace-seizure--00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 409
    assert "no such record in this node" in unknown.text
    added = send(status="in-progress", evidence=ids["c1"])
    assert added.status_code == 303
    shown = coordinator.get(added.headers["location"]).text
    assert "Progress recorded: a new version is stored." in shown
    assert f"Evidence held: {ids['c1']}." in shown
    with web.store.unit_of_work() as uow:
        assert len(uow.records.versions(action)) == 2
    commitment = coordinator.get(f"/web/tracking/edit?record={ids['c1']}").text
    assert 'name="evidence"' not in commitment  # commitments carry no evidence of their own
    assert (
        coordinator.post(
            "/web/tracking/progress", data={"csrf_token": token, "record": ids["m1"]}
        ).status_code
        == 404
    )  # a meeting has no progress
