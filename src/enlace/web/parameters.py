"""The request parameters of the web pages, read at the edge: one parser per kind of value.

Every page reads its query string, path and form values through these, so what cannot be
read is refused the same way everywhere: `BadParameter`, which the application answers with
a 400 page in the reader's language (JSON for scripts) naming the parameter, what was found
and what was expected — before any query runs, so no value a store cannot hold (an id past
its column, a day past year 9999) ever reaches one. Numbers are ASCII digits only
(`enlace.model.numerals`). Links a page builds back to itself are made from the values read
here (`query_string`), never from the request's own query string.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from urllib.parse import urlencode

from enlace.model.numerals import LARGEST_ROW_ID, ascii_whole_number
from enlace.model.text import holds_control_characters
from enlace.web.security import t

# A results page past these is no page: the lists hold far fewer (50-100 rows a page).
LAST_PAGE = 1_000_000
# Counts the pages show after an action (records received, decisions asked about).
LARGEST_COUNT = 10**12
# Days a search may name: records and the log are dated well inside these, and a day at
# either end of Python's calendar could not be stepped past (9999-12-31 + 1 day).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
_SHOWN = 40  # characters of a refused value repeated back to the reader

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # [0-9], not \d: \d matches '٣' in str
_PARTY = re.compile(r"[A-Z]{2}")
_STIX_ID = re.compile(
    r"[a-z][a-z0-9-]{0,80}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
_NAME = re.compile(r"[a-z][a-z0-9-]{0,80}")  # a record kind, an audit action

NOT_A_NUMBER = t(
    'The parameter {name} must be a whole number from {low} to {high}, written with the digits 0-9; found "{found}".'
)
NOT_A_DAY = t(
    'The parameter {name} must be a date from {low} to {high}, written YYYY-MM-DD; found "{found}".'
)
NOT_A_CHOICE = t('The parameter {name} must be one of {choices}; found "{found}".')
NOT_A_PARTY = t(
    'The parameter {name} must be a two-letter party code such as MX or US; found "{found}".'
)
NOT_A_STIX_ID = t('The parameter {name} must be an id such as {kind}--<UUID>; found "{found}".')
NOT_A_NAME = t(
    'The parameter {name} must be a name of lower-case letters, digits and hyphens; found "{found}".'
)
TOO_LONG = t("The parameter {name} may hold at most {high} characters; it holds {length}.")
CONTROL_CHARACTERS = t(
    "The parameter {name} holds control characters (such as NUL, U+0000): no text here has them."
)


class BadParameter(Exception):
    """A request parameter that cannot be read; `msgid` (English) is filled with `values`."""

    def __init__(self, msgid: str, **values: str) -> None:
        super().__init__(msgid.format(**values))
        self.msgid = msgid
        self.values = values


def shown(raw: str) -> str:
    """`raw` as a refusal may repeat it: short, with no control characters."""
    cut = raw[:_SHOWN] + ("…" if len(raw) > _SHOWN else "")
    return "".join(char if char.isprintable() else "\ufffd" for char in cut)


def whole_number(raw: str | None, *, name: str, low: int, high: int) -> int | None:
    """A number from `low` to `high` in ASCII digits; None when absent or empty."""
    text = (raw or "").strip()
    if not text:
        return None
    value = ascii_whole_number(text, low=low, high=high)
    if value is None:
        raise BadParameter(
            NOT_A_NUMBER, name=name, low=str(low), high=str(high), found=shown(raw or "")
        )
    return value


def page_number(raw: str | None, *, name: str = "page") -> int:
    """A results page from 1 to `LAST_PAGE`; 1 when absent."""
    value = whole_number(raw, name=name, low=1, high=LAST_PAGE)
    return 1 if value is None else value


def count(raw: str | None, *, name: str) -> int | None:
    """A count from 0 to `LARGEST_COUNT`; None when absent."""
    return whole_number(raw, name=name, low=0, high=LARGEST_COUNT)


def row_id(raw: str, *, name: str) -> int:
    """The id of a row (a disclosure request...): from 1 to what every store's column holds."""
    value = whole_number(raw, name=name, low=1, high=LARGEST_ROW_ID)
    if value is None:
        raise BadParameter(
            NOT_A_NUMBER, name=name, low="1", high=str(LARGEST_ROW_ID), found=shown(raw)
        )
    return value


def day(raw: str | None, *, name: str) -> date | None:
    """A day written YYYY-MM-DD from `FIRST_DAY` to `LAST_DAY`; None when absent."""
    text = (raw or "").strip()
    if not text:
        return None
    found: date | None = None
    if _DAY.fullmatch(text):
        try:
            found = date.fromisoformat(text)
        except ValueError:  # 2025-02-30
            found = None
    if found is None or not FIRST_DAY <= found <= LAST_DAY:
        raise BadParameter(
            NOT_A_DAY,
            name=name,
            low=FIRST_DAY.isoformat(),
            high=LAST_DAY.isoformat(),
            found=shown(raw or ""),
        )
    return found


def choice(raw: str | None, *, name: str, choices: Collection[str]) -> str:
    """One of `choices` (compared in lower case); "" when absent."""
    text = (raw or "").strip().lower()
    if text and text not in choices:
        raise BadParameter(
            NOT_A_CHOICE, name=name, choices=", ".join(sorted(choices)), found=shown(raw or "")
        )
    return text


def party(raw: str | None, *, name: str) -> str:
    """A two-letter party code (upper-cased); "" when absent."""
    text = (raw or "").strip().upper()
    if text and not (text.isascii() and _PARTY.fullmatch(text)):
        raise BadParameter(NOT_A_PARTY, name=name, found=shown(raw or ""))
    return text


def stix_id(raw: str | None, *, name: str, kind: str) -> str:
    """The id of a STIX object of type `kind`; "" when absent."""
    text = (raw or "").strip().lower()
    if text and not (_STIX_ID.fullmatch(text) and text.startswith(f"{kind}--")):
        raise BadParameter(NOT_A_STIX_ID, name=name, kind=kind, found=shown(raw or ""))
    return text


def name_text(raw: str | None, *, name: str) -> str:
    """A name such as a record kind or an audit action (lower case); "" when absent."""
    text = (raw or "").strip().lower()
    if text and not _NAME.fullmatch(text):
        raise BadParameter(NOT_A_NAME, name=name, found=shown(raw or ""))
    return text


def bounded_text(raw: str | None, *, name: str, high: int) -> str:
    """Free text of at most `high` characters (stripped), without control characters other
    than tabs and line breaks; "" when absent."""
    text = (raw or "").strip()
    if len(text) > high:
        raise BadParameter(TOO_LONG, name=name, high=str(high), length=str(len(text)))
    # PostgreSQL refuses NUL in text (SQLite stores it): refused here, the same on both.
    if holds_control_characters(text, line_breaks_allowed=True):
        raise BadParameter(CONTROL_CHARACTERS, name=name)
    return text


def query_string(values: Mapping[str, str | int | None]) -> str:
    """The query string of the values a page read (empty ones left out), for its own links."""
    return urlencode({key: str(value) for key, value in values.items() if value not in (None, "")})
