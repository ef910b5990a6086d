"""The review page in a real browser: a coordinator corrects one proposal, rejects one and
accepts the rest; the meeting's report (made by the report use case) shows the corrections."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from enlace.model.roles import Role
from enlace.reports.render import render_html
from enlace.tracking.ingest import propose
from enlace.tracking.proposal import Proposal
from enlace.tracking.review import held_document, review, text_digest
from enlace.web.queries.tracking import tracking_view
from support.browser import WebNode, sign_in, two_nodes

pytestmark = pytest.mark.e2e

COMMUNIQUE = Path(__file__).parents[1] / "tracking" / "communiques" / "es-01.txt"
EDITED_EN = "Exchange information on chemical precursor shipments (corrected)."


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[dict[str, WebNode]]:
    with two_nodes(tmp_path) as running:
        yield running


def _decide(page: Page, key: str, decision: str) -> None:
    page.click(f"#proposal-{key} button[value={decision}]")
    flash = "Aceptado y guardado." if decision == "accept" else "Rechazado: no se guardará."
    expect(page.locator(".flash.ok")).to_have_text(flash)
    expect(page.locator(f"#proposal-{key}")).to_have_count(0)


def test_a_proposal_edited_one_rejected_the_rest_accepted_and_the_report_shows_the_edits(
    browser: Browser, nodes: dict[str, WebNode]
) -> None:
    mx = nodes["MX"].web
    text = COMMUNIQUE.read_text(encoding="utf-8")
    proposal = propose(text, document_date=date(2025, 9, 5), source_document=COMMUNIQUE.name)
    digest = text_digest(text)
    review(mx.store, proposal, content_sha256=digest, party="MX")  # kept, nothing decided
    keys = [m.key for m in proposal.meetings] + [c.key for c in proposal.commitments]
    keys += [a.key for a in proposal.actions]
    assert {"m1", "c1", "c3"} <= set(keys)
    rejected_text = next(c.text for c in proposal.commitments if c.key == "c3")
    assert not any(a.commitment_key == "c3" for a in proposal.actions)

    page = sign_in(browser, mx, Role.COORDINATOR)
    page.click("nav.menu >> text=Seguimiento")
    page.click("#review-link")
    expect(page.locator("h1")).to_have_text("Propuestas por revisar")
    expect(page.locator("form.proposal")).to_have_count(len(keys))
    page.fill("#proposal-m1 input[name=place]", "Hidalgo, Texas")
    _decide(page, "m1", "accept")
    page.fill("#proposal-c1 textarea[name=text_en]", EDITED_EN)
    page.fill("#proposal-c1 input[name=due_date]", "2025-11-14")
    page.select_option("#proposal-c1 select[name=theme]", "fentanyl")
    _decide(page, "c1", "accept")
    _decide(page, "c3", "reject")
    for key in keys:
        if key not in ("m1", "c1", "c3"):
            _decide(page, key, "accept")
    expect(page.locator("#nothing-to-review")).to_be_visible()

    held = held_document(mx.store, digest)
    assert held is not None
    assert held.pending == ()
    meeting_id = held.decisions["m1"]["record_id"]
    data = tracking_view(mx.store, meeting_id=meeting_id, today=date(2025, 10, 1)).data
    assert data is not None
    english = render_html(data, "en")
    spanish = render_html(data, "es")
    assert "Hidalgo, Texas" in english
    assert "Hidalgo, Texas" in spanish
    assert EDITED_EN in english
    # Its Spanish text is kept, so the Spanish report needs no "English only" mark for it.
    c1_spanish = next(c.text for c in proposal.commitments if c.key == "c1")
    assert c1_spanish in spanish
    assert EDITED_EN not in spanish
    assert "14 nov 2025" in spanish
    assert rejected_text not in spanish
    # Each report marks only what its language still lacks: every item has its Spanish text;
    # of the three commitments and two actions, only c1 has its English one.
    assert "(solo en inglés)" not in spanish
    assert english.count("(Spanish only)") == 4
    assert len(data.commitments) == len(proposal.commitments) - 1

    # After accepting: a correction from the tracking page is a new version, in the report.
    c2_id = held.decisions["c2"]["record_id"]
    page.goto(f"{mx.url}/web/tracking?meeting={meeting_id}")
    page.click(f"a.edit-link[href='/web/tracking/edit?record={c2_id}']")
    page.fill("#edit-form textarea[name=text_en]", "Strengthen firearms tracing (translated).")
    page.click("#edit-form button[type=submit]")
    expect(page.locator(".flash.ok")).to_have_text("Corregido: se guardó una nueva versión.")
    with mx.store.unit_of_work() as uow:
        assert len(uow.records.versions(c2_id)) == 2
    data = tracking_view(mx.store, meeting_id=meeting_id, today=date(2025, 10, 1)).data
    assert data is not None
    assert "Strengthen firearms tracing (translated)." in render_html(data, "en")

    # The English communiqué's commitment, reviewed as the same one held: its text joins c4.
    c4 = next(c for c in proposal.commitments if c.key == "c4")
    english_text = "The delegations agreed to present a joint report on illicit finance."
    translated = replace(c4, text=english_text, source_sentence=english_text, meeting_key=None)
    review(
        mx.store,
        Proposal("statement-en.txt", date(2025, 9, 5), "en", commitments=(translated,)),
        content_sha256="e" * 64,
        party="MX",
    )
    c4_id = held.decisions["c4"]["record_id"]
    page.goto(f"{mx.url}/web/tracking/review")
    page.select_option("#proposal-c4 select[name=same_as]", c4_id)
    _decide(page, "c4", "accept")
    data = tracking_view(mx.store, meeting_id=meeting_id, today=date(2025, 10, 1)).data
    assert data is not None
    assert len(data.commitments) == len(proposal.commitments) - 1  # nothing new
    assert english_text in render_html(data, "en")
    assert c4.text in render_html(data, "es")
