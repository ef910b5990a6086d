"""Dates in communiqués: exact days, months alone and relative phrases, read against the
document's own date.

Candidate phrases are found by rules (so what counts as a date is explicit and testable) and
each is handed to `dateparser` with the document date as its base. dateparser works offline:
it reads its own bundled language data, and the languages are always given so it never tries
to guess one. Whether an ambiguous phrase ("23 de enero", "December", "Friday") means the
past or the future depends on the sentence: a meeting that was held looks back, a deadline
or a next meeting looks ahead.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import dateparser

Direction = Literal["past", "future"]

_ES_MONTHS = (
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    "noviembre|diciembre"
)
_EN_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# Abbreviated months of news agencies' datelines ("Jan. 22, 2026", "Dec 3"): only before a
# day number, where they cannot be ordinary words ("Mar", "May").
_EN_MONTH_ABBREVIATIONS = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "sept": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}
_EN_MONTHS_SHORT = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
_ES_WEEKDAYS = "lunes|martes|miércoles|jueves|viernes|sábado|domingo"
_EN_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_NUMBER_WORDS = {
    "diez": 10,
    "quince": 15,
    "veinte": 20,
    "treinta": 30,
    "cuarenta": 40,
    "cincuenta": 50,
    "sesenta": 60,
    "setenta": 70,
    "ochenta": 80,
    "noventa": 90,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_UNIT_WORDS = {
    **{
        w: n
        for n, w in enumerate(
            ["uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"], 1
        )
    },
    **{
        w: n
        for n, w in enumerate(
            ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"], 1
        )
    },
}
_TENS = "|".join(_NUMBER_WORDS)
_UNITS = "|".join(_UNIT_WORDS)
# A count of months, in figures or words ("seis meses", "six months", "a year" is not one).
_MONTHS_BY_WORD = {
    **dict.fromkeys(("un", "uno", "one", "a"), 1),
    **dict.fromkeys(("dos", "two"), 2),
    **dict.fromkeys(("tres", "three"), 3),
    **dict.fromkeys(("cuatro", "four"), 4),
    **dict.fromkeys(("cinco", "five"), 5),
    **dict.fromkeys(("seis", "six"), 6),
    **dict.fromkeys(("siete", "seven"), 7),
    **dict.fromkeys(("ocho", "eight"), 8),
    **dict.fromkeys(("nueve", "nine"), 9),
    **dict.fromkeys(("diez", "ten"), 10),
    **dict.fromkeys(("once", "eleven"), 11),
    **dict.fromkeys(("doce", "twelve"), 12),
    **dict.fromkeys(("dieciocho", "eighteen"), 18),
}
_MONTH_COUNT = r"(\d{1,2}|" + "|".join(sorted(_MONTHS_BY_WORD, key=len, reverse=True)) + ")"
# "cuarenta y cinco", "forty-five": a ten and a unit are one count of days.
_NUMBER = rf"(\d{{1,3}}|(?:{_TENS})(?:(?:\s+y\s+|-|\s+)(?:{_UNITS}))?)"

# (pattern, what it gives): "day" an exact date, "month" a month alone, "days" a count of
# days from the document date, "end" the last day of a year or month, "weekday" and
# "next-week"/"next-month"/"relative" (yesterday, ayer) relative to the document date.
# "quarter" the last day of a quarter or half-year, "fiscal" the end of the US fiscal year
# (30 September), "past-weekday" a bare weekday ("met Tuesday", "el martes") read with the
# sentence's direction, "this-weekday" ("este jueves") the same, or the document's day itself
# when it is that weekday, "months" a count of months from the document date ("within six
# months", "en un plazo de tres meses": the same day that many months later).
_Shape = Literal[
    "day",
    "month",
    "days",
    "end",
    "weekday",
    "next-week",
    "next-month",
    "relative",
    "quarter",
    "fiscal",
    "past-weekday",
    "this-weekday",
    "months",
]
_PERIOD_END = {
    "primer": 3,
    "segundo": 6,
    "tercer": 9,
    "cuarto": 12,
    "first": 3,
    "second": 6,
    "third": 9,
    "fourth": 12,
    "último": 12,
    "last": 12,
}
_PATTERNS: dict[str, tuple[tuple[re.Pattern[str], _Shape], ...]] = {
    "es": (
        # A range of days ("del 12 al 13 de marzo", "los días 12 y 13 de marzo"): its first.
        (
            re.compile(
                rf"(\d{{1,2}})\s+(?:al|y|-|–)\s+\d{{1,2}}\s+de\s+({_ES_MONTHS})"
                r"(?:\s+(?:de|del)\s+(\d{4}))?",
                re.IGNORECASE,
            ),
            "day",
        ),
        (
            re.compile(
                rf"(?:(?:{_ES_WEEKDAYS}),?\s+)?(\d{{1,2}})\s+de\s+({_ES_MONTHS})"
                r"(?:\s+(?:de|del)\s+(\d{4}))?",
                re.IGNORECASE,
            ),
            "day",
        ),
        (
            re.compile(
                rf"(?:finales|fin|final|cierre)\s+(?:de(?:l)?\s+)?(?:(?:mes\s+de\s+)?({_ES_MONTHS})"
                r"|(?:este\s+|presente\s+)?año)(?:\s+(?:de|del)\s+(\d{4}))?",
                re.IGNORECASE,
            ),
            "end",
        ),
        (
            re.compile(
                # whole words: "con mayor incidencia" names no May
                rf"(?:mes\s+de\s+)?\b({_ES_MONTHS})\b(?:\s+(?:de|del)\s+(\d{{4}}))?",
                re.IGNORECASE,
            ),
            "month",
        ),
        (
            re.compile(
                rf"(?:dentro\s+de|en(?:\s+un\s+plazo\s+de)?)\s+(?:los\s+próximos\s+)?{_NUMBER}\s+días",
                re.IGNORECASE,
            ),
            "days",
        ),
        (
            re.compile(
                rf"(?:dentro\s+de|en(?:\s+un\s+plazo\s+de)?)\s+(?:los\s+próximos\s+)?"
                rf"{_MONTH_COUNT}\s+mes(?:es)?\b",
                re.IGNORECASE,
            ),
            "months",
        ),
        (re.compile(r"(?:a\s+)?(?:fin(?:ales)?\s+de(?:l)?\s+año)", re.IGNORECASE), "end"),
        (
            re.compile(
                rf"(?:el\s+)?(?:próximo\s+({_ES_WEEKDAYS})|({_ES_WEEKDAYS})\s+próximo)",
                re.IGNORECASE,
            ),
            "weekday",
        ),
        (
            re.compile(r"(?:la\s+)?(?:próxima\s+semana|semana\s+próxima)", re.IGNORECASE),
            "next-week",
        ),
        (re.compile(r"(?:el\s+)?(?:próximo\s+mes|mes\s+próximo)", re.IGNORECASE), "next-month"),
        (re.compile(r"\b(ayer|anteayer)\b", re.IGNORECASE), "relative"),
        # "antes de que termine el año", "al cierre del año": the end of the current year.
        (
            re.compile(
                r"(?:antes\s+de\s+que\s+(?:termine|concluya|finalice|acabe|cierre)|"
                r"al\s+(?:término|cierre|final)\s+de)l?\s+(?:el\s+|este\s+|presente\s+)?año",
                re.IGNORECASE,
            ),
            "end",
        ),
        (re.compile(r"(?:este|el\s+presente)\s+año", re.IGNORECASE), "end"),
        (
            re.compile(
                r"(?:el\s+)?(primer|segundo|tercer|cuarto|último)\s+(trimestre|semestre)"
                r"(?:\s+(?:de|del)\s+(?:año\s+)?(\d{4}))?",
                re.IGNORECASE,
            ),
            "quarter",
        ),
        # "celebraron este jueves" in a note dated a Thursday is that day; otherwise "este
        # jueves" is the nearest one before the document's date.
        (
            re.compile(rf"\beste\s+({_ES_WEEKDAYS})\b(?!\s+próximo)", re.IGNORECASE),
            "this-weekday",
        ),
        # "acordaron el jueves": in a report, the nearest one before the document's date.
        (
            re.compile(rf"\bel\s+({_ES_WEEKDAYS})\b(?!\s+próximo)", re.IGNORECASE),
            "past-weekday",
        ),
    ),
    "en": (
        (
            re.compile(
                rf"(?:(?:{_EN_WEEKDAYS}),?\s+)?({_EN_MONTHS})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b"
                r"(?:,?\s+(\d{4}))?"
            ),
            "day",
        ),
        (
            re.compile(
                rf"\b({_EN_MONTHS_SHORT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"
            ),
            "day",
        ),
        (
            re.compile(
                rf"(?:(?:{_EN_WEEKDAYS}),?\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_EN_MONTHS})"
                r"(?:,?\s+(\d{4}))?"
            ),
            "day",
        ),
        (
            re.compile(
                rf"(?:the\s+)?end\s+of\s+(?:({_EN_MONTHS})|(?:the|this)\s+year)(?:\s+(\d{{4}}))?",
                re.IGNORECASE,
            ),
            "end",
        ),
        # "May" alone is also a verb: a month alone must follow a preposition or take a year.
        (
            re.compile(
                rf"(?:(?<=\bin\s)|(?<=\bby\s)|(?<=\buntil\s)|(?<=\bbefore\s)|(?<=\bduring\s)|"
                rf"(?<=\bthrough\s)|(?<=\bof\s)|(?<=\bfrom\s)|(?<=\bfor\s)|(?<=\bearly\s)|"
                rf"(?<=\bmid-)|(?<=\blate\s)|(?<=\bthe\s)|(?<=\bsince\s))({_EN_MONTHS})(?:\s+(\d{{4}}))?"
                rf"|({_EN_MONTHS})\s+(\d{{4}})"
            ),
            "month",
        ),
        (
            re.compile(rf"(?:within|in)\s+(?:the\s+next\s+)?{_NUMBER}\s+days", re.IGNORECASE),
            "days",
        ),
        (
            re.compile(
                rf"(?:within|in)\s+(?:the\s+next\s+)?{_MONTH_COUNT}\s+months?\b", re.IGNORECASE
            ),
            "months",
        ),
        (re.compile(r"\byear[-\s]end\b|\byear's\s+end\b", re.IGNORECASE), "end"),
        (re.compile(rf"next\s+({_EN_WEEKDAYS})", re.IGNORECASE), "weekday"),
        (re.compile(r"next\s+week", re.IGNORECASE), "next-week"),
        (re.compile(r"\b(yesterday)\b", re.IGNORECASE), "relative"),
        (re.compile(r"this\s+year", re.IGNORECASE), "end"),
        (re.compile(r"next\s+month", re.IGNORECASE), "next-month"),
        (
            re.compile(
                r"(?:the\s+)?end\s+of\s+(?:the\s+)?(?:current\s+)?fiscal\s+year"
                r"(?:\s+(?:\(?FY\)?\s*)?(\d{4}))?|(?:the\s+)?end\s+of\s+(?:fiscal\s+year|FY)\s*(\d{4})",
                re.IGNORECASE,
            ),
            "fiscal",
        ),
        (
            re.compile(
                r"(?:the\s+)?(first|second|third|fourth|last)\s+(quarter|half)"
                r"(?:\s+of\s+(?:the\s+year\s+)?(\d{4}))?",
                re.IGNORECASE,
            ),
            "quarter",
        ),
        (re.compile(rf"\b({_EN_WEEKDAYS})\b"), "past-weekday"),
    ),
}

# Words shortly before a date that make it a date to come, whatever the sentence reports:
# "se reunieron el 4 de septiembre y volverán a reunirse en diciembre".
_FUTURE_CUE = {
    "es": re.compile(
        r"próxim[oa]|volver[áa]n?|se reunirá|para\b|antes\s+d|a\s+más\s+tardar|dentro\s+de|"
        r"\w+(?:ará|erá|irá|arán|erán|irán)\b",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\bnext\b|\bwill\b|\bby\b|\bbefore\b|no\s+later\s+than|\buntil\b|\bupcoming\b|"
        r"\bshall\b",
        re.IGNORECASE,
    ),
}


@dataclass(frozen=True, slots=True)
class DatePhrase:
    """A date found in a sentence: the words, and the day or month they mean."""

    text: str
    start: int
    day: date | None  # an exact day, when the phrase names one
    month: str | None  # YYYY-MM, when the phrase names only a month
    # "finales de febrero", "the end of March": a deadline's day, but for a meeting only
    # its month (it is held some day near the end, not on the last one).
    approximate: bool = False
    # What kind of phrase it is ("day", "month", "days", "past-weekday", ...; see _PATTERNS).
    shape: str = ""

    @property
    def deadline(self) -> date:
        """The day a deadline phrase means: the day itself, or the last day of the month."""
        if self.day is not None:
            return self.day
        assert self.month is not None
        year, month = (int(part) for part in self.month.split("-"))
        return date(year, month, calendar.monthrange(year, month)[1])


def find_dates(
    sentence: str, *, language: str, document_date: date, direction: Direction
) -> list[DatePhrase]:
    """Every date phrase in `sentence`, in order, resolved against `document_date`."""
    found: list[DatePhrase] = []
    taken: list[tuple[int, int]] = []
    for pattern, shape in _PATTERNS[language]:
        for match in pattern.finditer(sentence):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            ahead = _FUTURE_CUE[language].search(sentence[max(0, span[0] - 60) : span[0]])
            phrase = _resolve(
                match, shape, language, document_date, "future" if ahead else direction
            )
            if phrase is not None:
                taken.append(span)
                found.append(phrase)
    return sorted(found, key=lambda phrase: phrase.start)


def _resolve(
    match: re.Match[str], shape: _Shape, language: str, base: date, direction: Direction
) -> DatePhrase | None:
    words = match.group(0)
    groups = [group for group in match.groups() if group]
    day: date | None = None
    month: str | None = None
    approximate = False
    if shape == "days":
        count = groups[0].lower()
        day = base + timedelta(days=_count(count))
    elif shape == "months":
        word = groups[0].lower()
        months = int(word) if word.isdigit() else _MONTHS_BY_WORD[word]
        day = _months_after(base, months)
    elif shape == "next-week":
        day = _parse("next week", "en", base, "future")
    elif shape == "next-month":
        parsed = _parse("next month", "en", base, "future")
        month = parsed.strftime("%Y-%m") if parsed else None
    elif shape == "relative":
        day = _parse(groups[0], language, base, "past")
    elif shape == "weekday":
        day = _parse(groups[0], language, base, "future")
    elif shape == "past-weekday":
        day = _weekday(groups[0], language, base, direction)
    elif shape == "this-weekday":
        same_day = _ES_WEEKDAYS.split("|").index(groups[0].lower()) == base.weekday()
        day = base if same_day else _weekday(groups[0], language, base, direction)
    elif shape == "quarter":
        day = _period_end(groups, base)
    elif shape == "fiscal":
        year = int(groups[0]) if groups else (base.year + (base > date(base.year, 9, 30)))
        day = date(year, 9, 30)
    elif shape == "end":
        named_month = next((g for g in groups if not g.isdigit()), None)
        year_text = next((g for g in groups if g.isdigit()), None)
        if named_month is None:
            day = date(int(year_text) if year_text else base.year, 12, 31)
        else:
            text = named_month + (" " + year_text if year_text else "")
            parsed = _parse(text, language, base, direction, last_day=True)
            day = parsed
            approximate = True
    elif shape == "month":
        text = " ".join(groups)
        parsed = _parse(text, language, base, direction)
        month = parsed.strftime("%Y-%m") if parsed else None
    else:
        text = " ".join(_EN_MONTH_ABBREVIATIONS.get(g.lower(), g) for g in groups)
        day = _parse(text, language, base, direction)
    if day is None and month is None:
        return None
    return DatePhrase(
        text=words,
        start=match.start(),
        day=day,
        month=month,
        approximate=approximate,
        shape=shape,
    )


def _months_after(base: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    index = base.month - 1 + months
    year, month = base.year + index // 12, index % 12 + 1
    return date(year, month, min(base.day, calendar.monthrange(year, month)[1]))


def _count(words: str) -> int:
    """The number of days a count in figures or in words means."""
    if words.isdigit():
        return int(words)
    parts = re.split(r"\s+y\s+|-|\s+", words)
    return _NUMBER_WORDS[parts[0]] + (_UNIT_WORDS[parts[1]] if len(parts) > 1 else 0)


def _weekday(name: str, language: str, base: date, direction: Direction) -> date | None:
    """A bare weekday: the nearest one on or before the document date, or after it."""
    names = (_ES_WEEKDAYS if language == "es" else _EN_WEEKDAYS.lower()).split("|")
    if (
        direction == "past"
        and name.lower() in names
        and names.index(name.lower()) == base.weekday()
    ):
        return base
    parsed = _parse(name, language, base, direction)
    if parsed is None:
        return None
    if parsed == base:
        # "officials pledged on Thursday" in a story dated a Thursday is that day (the wire
        # services' usage); a Thursday to come is a week away.
        return base + timedelta(days=7) if direction == "future" else base
    return parsed


def _period_end(groups: list[str], base: date) -> date:
    """The last day of a quarter or half-year; without a year, the next one to end."""
    ordinal, period = groups[0].lower(), groups[1].lower()
    month = _PERIOD_END[ordinal]
    if period in ("semestre", "half"):
        month = 6 if month == 3 else 12
    year = int(groups[2]) if len(groups) > 2 else base.year
    if len(groups) <= 2 and date(year, month, calendar.monthrange(year, month)[1]) < base:
        year += 1
    return date(year, month, calendar.monthrange(year, month)[1])


def _parse(
    text: str, language: str, base: date, direction: Direction, *, last_day: bool = False
) -> date | None:
    settings = {
        "RELATIVE_BASE": datetime(base.year, base.month, base.day),
        "PREFER_DATES_FROM": direction,
        "PREFER_DAY_OF_MONTH": "last" if last_day else "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    parsed = dateparser.parse(text, languages=[language], settings=settings)
    return parsed.date() if parsed is not None else None
