"""A firearm trace in real browsers on two nodes: an MX analyst asks US through the trace
page, US's liaison officer syncs, finds it in the queue and answers, MX syncs and sees the
answer, the analyst closes it. Saves the queue's screenshots in both languages
(docs/images/web/trace-queue-{es,en}.png)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from enlace.model.roles import Role
from support.browser import WebNode, sign_in, two_nodes
from support.web import RunningWeb, user_of

pytestmark = pytest.mark.e2e

VIEWPORT: ViewportSize = {"width": 1280, "height": 900}

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images" / "web"


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[dict[str, WebNode]]:
    with two_nodes(tmp_path) as running:
        yield running


def sync_now(page: Page, web: RunningWeb) -> None:
    page.goto(f"{web.url}/web/exchange")
    page.click("#partners button:has-text('Sincronizar ahora')")
    expect(page.locator("#sync-result")).to_be_visible()


def test_a_trace_asked_answered_and_closed_through_the_pages(
    browser: Browser, nodes: dict[str, WebNode]
) -> None:
    mx, us = nodes["MX"].web, nodes["US"].web
    analyst = _sign_in(browser, mx, Role.ANALYST)
    analyst.click("nav.menu >> text=Rastreos")
    expect(analyst.locator("h1")).to_have_text("Solicitudes de rastreo de armas")
    form = analyst.locator("#trace-request-form")
    form.locator("input[name=partner]").fill("US")
    form.locator("input[name=make]").fill("Colt")
    form.locator("input[name=serial]").fill("KQ77310")
    form.locator("input[name=caliber]").fill(".38 Super")
    form.locator("select[name=firearm_type]").select_option("pistol")
    form.locator("input[name=recovery_state]").fill("MX-SIN")
    form.locator("input[name=recovery_date]").fill("2025-08-30")
    form.locator("input[name=case_reference]").fill("FGR/SIN/0042/2025")
    form.locator("button[type=submit]").click()
    expect(analyst.locator(".flash.ok")).to_contain_text("Rastreo solicitado")
    expect(analyst.locator("#outgoing tr.trace")).to_have_count(1)
    expect(analyst.locator("#outgoing tr.trace")).to_contain_text("Enviada")
    # An analyst does not answer: the queue shows no answer form to them.
    expect(analyst.locator("form.trace-answer")).to_have_count(0)

    liaison = _sign_in(browser, us, Role.LIAISON)
    sync_now(liaison, us)
    liaison.click("nav.menu >> text=Rastreos")
    queued = liaison.locator("#queue tr.trace")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text("KQ77310")
    expect(queued).to_contain_text("Enviada")
    expect(liaison.locator("#new-request")).to_have_count(0)  # liaisons answer, not ask
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    liaison.screenshot(path=str(SCREENSHOTS / "trace-queue-es.png"), full_page=True)

    answer = queued.locator("form.trace-answer")
    answer.locator("select[name=status]").select_option("answered")
    answer.locator("select[name=outcome]").select_option("traced")
    answer.locator("input[name=first_sale_state]").fill("US-TX")
    answer.locator("input[name=dealer]").fill("Lone Star Guns, Houston")
    answer.locator("input[name=purchase_date]").fill("2024-02-01")
    answer.locator("button[type=submit]").click()
    expect(liaison.locator(".flash.ok")).to_contain_text("Guardado")
    expect(queued).to_contain_text("Respondida")
    expect(queued).to_contain_text("Tiempo al delito: 576 días")
    expect(queued.locator("form.trace-answer")).to_have_count(0)  # an answer stands

    mx_liaison = _sign_in(browser, mx, Role.LIAISON)
    sync_now(mx_liaison, mx)
    analyst.goto(f"{mx.url}/web/traces")
    mine = analyst.locator("#outgoing tr.trace")
    expect(mine).to_contain_text("Respondida")
    expect(mine).to_contain_text("US-TX")
    expect(analyst.locator("#indicator-outgoing")).to_contain_text("100")
    mine.locator("form.trace-close button").click()
    expect(analyst.locator(".flash.ok")).to_contain_text("Rastreo cerrado")
    expect(mine).to_contain_text("Cerrada")

    with mx.store.unit_of_work() as uow:
        steps = [(e.actor, e.action) for e in uow.audit.entries() if e.action.startswith("trace-")]
    assert steps == [
        (user_of(Role.ANALYST), "trace-request"),
        (steps[1][0], "trace-received"),
        (user_of(Role.ANALYST), "trace-close"),
    ]
    with us.store.unit_of_work() as uow:
        steps = [(e.actor, e.action) for e in uow.audit.entries() if e.action.startswith("trace-")]
    assert [a for _, a in steps] == ["trace-received", "trace-response"]
    assert steps[1][0] == user_of(Role.LIAISON)

    # The request and the response are records like any other on the record pages.
    request_id = queued.get_attribute("data-request")
    liaison.goto(f"{us.url}/web/records/{request_id}")
    expect(liaison.locator("body")).to_contain_text("Contraparte a la que se pide")
    expect(liaison.locator("body")).to_contain_text("KQ77310")
    liaison.goto(f"{us.url}/web/traces")
    liaison.click("nav.langs >> text=English")
    expect(liaison.locator("h1")).to_have_text("Firearm trace requests")
    expect(liaison.locator("#queue tr.trace")).to_contain_text("Answered")
    liaison.screenshot(path=str(SCREENSHOTS / "trace-queue-en.png"), full_page=True)


def test_a_bad_answer_is_refused_with_one_clear_message_and_changes_nothing(
    browser: Browser, nodes: dict[str, WebNode]
) -> None:
    mx, us = nodes["MX"].web, nodes["US"].web
    analyst = _sign_in(browser, mx, Role.ANALYST)
    analyst.goto(f"{mx.url}/web/traces")
    form = analyst.locator("#trace-request-form")
    form.locator("input[name=partner]").fill("US")
    form.locator("input[name=make]").fill("Glock")
    form.locator("button[type=submit]").click()
    liaison = _sign_in(browser, us, Role.LIAISON)
    sync_now(liaison, us)
    liaison.goto(f"{us.url}/web/traces")
    answer = liaison.locator("#queue form.trace-answer")
    answer.locator("select[name=outcome]").select_option("traced")  # but no state of first sale
    answer.locator("button[type=submit]").click()
    expect(liaison.locator("body")).to_contain_text("first_sale_state")
    with us.store.unit_of_work() as uow:
        assert not [e for e in uow.audit.entries() if e.action == "trace-response"]


def _sign_in(browser: Browser, web: RunningWeb, role: Role) -> Page:
    """A new browser context signed in as the user holding `role`, in Spanish."""
    return sign_in(browser, web, role, viewport=VIEWPORT)
