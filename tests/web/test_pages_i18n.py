"""The pages' two languages, their formats, and how markings are shown."""

from __future__ import annotations

import re
import string
from datetime import date
from pathlib import Path

import pytest

from enlace.exchange import receiving, statements
from enlace.model.roles import Role
from enlace.web.i18n import Formatter, catalog, parse_language, preferred_language, translate
from enlace.web.markings import evaluation_badge, handling_badge, tlp_badge
from enlace.web.navigation import NAV_ITEMS, menu_for
from enlace.web.pages import exchange, records
from enlace.web.queries.exchange import REFUSAL_ACTIONS
from support.messages import WEB, used_messages


def fields_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_the_pages_show_has_a_spanish_translation() -> None:
    spanish = catalog("es")
    missing = sorted(message for message in used_messages() if not spanish.get(message))
    assert missing == []


def test_translations_keep_the_placeholders_of_their_message() -> None:
    spanish = catalog("es")
    wrong = [m for m in used_messages() if m in spanish and fields_of(m) != fields_of(spanish[m])]
    assert wrong == []


def test_the_catalogs_hold_no_message_the_pages_no_longer_show() -> None:
    used = used_messages()
    for lang in ("es", "en"):
        po = (WEB / "locales" / lang / "LC_MESSAGES" / "messages.po").read_text("utf-8")
        ids = set(re.findall(r'^msgid "(.+)"$', po, flags=re.MULTILINE))
        unescaped = {i.replace('\\"', '"').replace("\\\\", "\\") for i in ids}
        assert unescaped - used == set(), lang


def english_msgids() -> set[str]:
    po = (WEB / "locales" / "en" / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    ids = set(re.findall(r'^msgid "(.+)"$', po, flags=re.MULTILINE))
    return {i.replace('\\"', '"').replace("\\\\", "\\") for i in ids}


@pytest.mark.parametrize(
    ("labels", "codes"),
    [
        (exchange.REFUSAL_REASONS, (*receiving.REFUSAL_REASONS, "missing")),
        (records.REVOCATION_REASONS, statements.REVOCATION_REASONS),
        (exchange.REFUSAL_NAMES, REFUSAL_ACTIONS),
    ],
    ids=["refusal-reasons", "revocation-reasons", "refusal-actions"],
)
def test_every_reason_the_exchange_gives_has_an_english_and_a_spanish_label(
    labels: dict[str, str], codes: tuple[str, ...]
) -> None:
    english, spanish = english_msgids(), catalog("es")
    for code in codes:
        label = labels.get(code, code)
        assert label != code, f"{code} has no label: the page would show the bare code"
        assert label in english, f"{label!r} is not in the English catalogue"
        assert spanish.get(label, label) != label, f"{label!r} has no Spanish translation"


def test_translate_fills_fields_and_falls_back_to_the_message() -> None:
    assert translate("es", "Node of {party}", party="México") == "Nodo de México"
    assert translate("en", "Node of {party}", party="Mexico") == "Node of Mexico"
    assert translate("es", "a message no catalog has") == "a message no catalog has"


def test_numbers_and_dates_are_written_as_each_language_writes_them() -> None:
    es, en = Formatter("es"), Formatter("en")
    assert (es.number(1234.5), en.number(1234.5)) == ("1,234.5", "1,234.5")  # es_MX groups so
    assert es.date(date(2026, 1, 15)) == "15 ene 2026"
    assert en.date(date(2026, 1, 15)) == "Jan 15, 2026"
    assert es.long_date(date(2026, 1, 15)) == "15 de enero de 2026"
    assert es.timestamp("2025-04-04T16:04:10.809000Z") == "4 abr 2025, 16:04 UTC"
    assert en.timestamp("2025-04-04T16:04:10.809000Z") == "Apr 4, 2025, 16:04 UTC"
    assert es.term("kind", "seizure") == "Aseguramiento"
    assert es.pick(None, "Only in English") == "Only in English (solo en inglés)"
    assert en.pick("Texto", "Text") == "Text"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("fr-FR, es-MX;q=0.7, en;q=0.5", "es"),
        ("de-DE", None),
        ("es;q=0.2, en;q=0.9", "en"),
        ("", None),
    ],
)
def test_accept_language_picks_the_preferred_of_our_languages(
    header: str, expected: str | None
) -> None:
    assert preferred_language(header) == expected


def test_only_spanish_and_english_are_languages() -> None:
    assert [parse_language(x) for x in ("es", "EN", "es-MX", "fr", None)] == [
        "es",
        "en",
        "es",
        None,
        None,
    ]


def test_tlp_badges_use_the_first_tlp_2_colours() -> None:
    css = (WEB / "static" / "enlace.css").read_text("utf-8")
    t = Formatter("en")
    expected = {
        "red": "#ff2b2b",
        "amber": "#ffc000",
        "amber+strict": "#ffc000",
        "green": "#33ff00",
        "clear": "#fff",
    }
    for level, colour in expected.items():
        badge = tlp_badge(level, t)
        assert badge.text == "TLP:" + level.upper()
        rule = re.search(r"[^}]*\." + re.escape(badge.css) + r"\b[^{]*\{([^}]*)\}", css)
        assert rule is not None, badge.css
        assert "background: #000" in rule.group(1)
        assert f"color: {colour}" in rule.group(1)


def test_handling_codes_and_evaluation_explain_themselves_in_the_readers_language() -> None:
    assert handling_badge("H2", Formatter("en")).title == (
        "No onward dissemination without the owner's consent."
    )
    assert handling_badge("H2", Formatter("es")).title.startswith("Sin difusión posterior")
    grade = evaluation_badge("B2", Formatter("es"))
    assert grade.text == "B2"
    assert "mayoría de los casos" in grade.title
    assert "conocida personalmente" in grade.title


def test_the_menu_shows_each_role_only_its_pages() -> None:
    assert [i.path for i in menu_for(frozenset({Role.AUDITOR}))] == ["/web/", "/web/audit"]
    assert [i.path for i in menu_for(frozenset({Role.ANALYST}))] == [
        "/web/",
        "/web/records",
        "/web/import",
        "/web/matching",
        "/web/map",
        "/web/traces",
        "/web/watchlist",
    ]
    assert [i.path for i in menu_for(frozenset({Role.COORDINATOR}))] == [
        "/web/",
        "/web/map",
        "/web/tracking",
    ]
    assert menu_for(frozenset(Role)) == list(NAV_ITEMS)


def test_templates_are_found_where_the_package_ships_them() -> None:
    names = {path.name for path in Path(WEB / "templates").glob("*.html")}
    assert {"base.html", "dashboard.html", "records.html", "record.html", "audit.html"} <= names
