"""The web pages' two languages: gettext catalogs read at runtime, and Babel formatting.

The catalogs are ordinary gettext ``messages.po`` files under ``locales/<lang>/LC_MESSAGES``,
read with Babel when first needed — no compiled ``.mo`` files and no build step to forget.
Message ids are the English text; the English catalog may leave a translation empty.
Numbers and dates are written as each language's country writes them (Babel, CLDR), with
the same locales as the reports (``es_MX``, ``en_US``).
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from babel.messages.pofile import read_po

from enlace.model.timestamps import parse_timestamp
from enlace.reports import formatting
from enlace.reports.catalogue import LANGUAGES, LOCALES, Language, term
from enlace.tracking.indicators.definitions import IndicatorPoint
from enlace.web.codes import (
    CODE_VOCABULARIES,
    FIELD_VOCABULARY,
    STATUS_CODES,
    Code,
    Title,
)
from enlace.web.fields import FIELD_LABELS

LANGUAGE_COOKIE = "enlace_lang"
DEFAULT_LANGUAGE: Language = "es"
LANGUAGE_NAMES: dict[Language, str] = {"es": "Español", "en": "English"}
# Kinds of identifier matched between nodes (enlace.model.identifiers), as msgids.
IDENTIFIER_KINDS = {
    "vin": "VIN (vehicle identification number)",
    "curp": "CURP",
    "rfc": "RFC (tax id)",
    "phone": "Phone number",
    "plate": "Licence plate",
    "firearm": "Firearm (make and serial)",
    "org-name": "Organisation name",
    "person-name": "Person name",
}
# Date and time of an event: the day as each language writes it, a 24-hour UTC clock (the
# two parties' offices sit in different time zones; UTC is what the log stores).
_TIMESTAMP: dict[Language, str] = {"es": "d MMM y, HH:mm", "en": "MMM d, y, HH:mm"}
_LOCALES_DIR = Path(__file__).with_name("locales")
_LONGEST_TITLE = 120  # as enlace.web.queries.describe shortens titles


def parse_language(raw: str | None) -> Language | None:
    """'es' or 'en' from a cookie, a form or a header value; None when it is neither."""
    code = (raw or "").strip().lower()[:2]
    if code == "es":
        return "es"
    if code == "en":
        return "en"
    return None


def preferred_language(accept_language: str | None) -> Language | None:
    """The first of our languages named in an Accept-Language header, honouring q-values."""
    choices: list[tuple[float, int, Language]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        lang = parse_language(tag)
        if lang is None:
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        choices.append((-quality, position, lang))
    return min(choices)[2] if choices else None


@functools.cache
def catalog(lang: Language) -> dict[str, str]:
    """msgid -> translation of one language, read from its messages.po once."""
    path = _LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        messages = read_po(handle, locale=LOCALES[lang])
    return {
        str(message.id): str(message.string)
        for message in messages
        if message.id and isinstance(message.id, str) and message.string
    }


def translate(lang: Language, message: str, **values: Any) -> str:
    """`message` (English text, the msgid) in `lang`, with `{name}` fields filled in."""
    text = catalog(lang).get(message) or message
    return text.format(**values) if values else text


class Formatter:
    """Everything a page writes in the reader's language: words, numbers, dates, terms."""

    def __init__(self, lang: Language) -> None:
        self.lang: Language = lang
        self.other: Language = next(other for other in LANGUAGES if other != lang)

    def __call__(self, message: str, **values: Any) -> str:
        return translate(self.lang, message, **values)

    def number(self, value: float | None) -> str:
        """1,234.5 — grouping, at most one decimal ('—' for nothing)."""
        return "—" if value is None else formatting.number(value, self.lang)

    def count(self, value: int | None) -> str:
        """12,345."""
        return "—" if value is None else formatting.count(value, self.lang)

    def date(self, day: dt.date | None) -> str:
        """'15 ene 2026', 'Jan 15, 2026'."""
        return "—" if day is None else formatting.short_date(day, self.lang)

    def long_date(self, day: dt.date | None) -> str:
        """'15 de enero de 2026', 'January 15, 2026'."""
        return "—" if day is None else formatting.long_date(day, self.lang)

    def month(self, text: str | None) -> str:
        """A month stored as YYYY-MM (a meeting's month when its day is not known) as people
        write it: 'septiembre de 2025', 'September 2025'; other text as it is."""
        if not text:
            return "—"
        try:
            day = dt.date.fromisoformat(f"{text}-01")
        except ValueError:
            return text
        return formatting.month_name(day, self.lang)

    def timestamp(self, text: str | dt.datetime | None) -> str:
        """A stored timestamp as a date and a 24-hour time in UTC: '4 abr 2025, 16:04 UTC'."""
        if not text:
            return "—"
        moment = parse_timestamp(text, field="timestamp")
        shown = format_datetime(
            moment, _TIMESTAMP[self.lang], tzinfo=dt.UTC, locale=LOCALES[self.lang]
        )
        return f"{shown} UTC"

    def period(self, point: IndicatorPoint, period_kind: str) -> str:
        """An indicator period as readers say it: 'ene 2026', 'FY 2025' / 'AF 2025'."""
        return formatting.period_label(point.period, point.start, period_kind, self.lang)

    def identifier(self, kind: str) -> str:
        """A kind of identifier (vin, phone, plate...) as people name it."""
        return self(IDENTIFIER_KINDS.get(kind, kind))

    def field(self, name: str) -> str:
        """A record property's label (FIELD_LABELS), or its STIX name when unlisted."""
        label = FIELD_LABELS.get(name)
        return self(label) if label is not None else name

    def term(self, vocabulary: str, value: str | None) -> str:
        """A vocabulary value (kind, status, theme, party...) in the reader's language."""
        return "—" if value is None else term(vocabulary, value, self.lang)

    def code(self, vocabulary: str, value: str | None) -> str:
        """A code value (`traced-us`, `MX-NLE`, `seized-in`) as people read it; a code no
        vocabulary knows is shown as it is. `vocabulary` is one of CODE_VOCABULARIES, or
        "catalogue:<name>" for the reports' vocabularies (status, theme, unit...)."""
        if value is None:
            return "—"
        if vocabulary.startswith("catalogue:"):
            return self.term(vocabulary.removeprefix("catalogue:"), value)
        label = CODE_VOCABULARIES.get(vocabulary, {}).get(value)
        return self(label) if label is not None else value

    def value(self, field: str, text: str | None) -> str:
        """A record property's value as the record page shows it: a code of the property's
        vocabulary by its label (`trace_status` traced-us -> "Traced to the United
        States"), any other value as it is."""
        if text is None:
            return "—"
        if field == "status":  # a laboratory's, or a commitment's or action's
            vocabulary = "laboratory_status" if text in STATUS_CODES else "catalogue:status"
            return self.code(vocabulary, text)
        coded = FIELD_VOCABULARY.get(field)
        return self.code(coded, text) if coded is not None else text

    def relationship(self, relationship_type: str) -> str:
        """A relationship type (seized-in, member-of...) in words: "seized in"."""
        return self.code("relationship", relationship_type)

    def state(self, code: str | None) -> str:
        """An ISO 3166-2 state (MX-NLE, US-TX) by its name: "Nuevo León", "Texas"."""
        return self.code("state", code)

    def title(self, title: str) -> str:
        """A record's generated title with its codes in the reader's language."""
        if not isinstance(title, Title):
            return title
        words = [
            self.value(part.field, part.value) if isinstance(part, Code) else part
            for part in title.parts
        ]
        text = " ".join(" ".join(words).split())
        return text if len(text) <= _LONGEST_TITLE else text[: _LONGEST_TITLE - 1] + "…"

    def pick(self, spanish: str | None, english: str | None) -> str:
        """The text in the reader's language, else the other one (marked), else '—'."""
        chosen, fallback = (spanish, english) if self.lang == "es" else (english, spanish)
        if chosen:
            return chosen
        if fallback:
            note = self("only in English") if self.lang == "es" else self("only in Spanish")
            return f"{fallback} ({note})"
        return "—"


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "LANGUAGE_NAMES",
    "Formatter",
    "Language",
    "catalog",
    "parse_language",
    "preferred_language",
    "translate",
]
