"""Numbers, dates and periods written as each language's country writes them (Babel, CLDR).

Spanish uses the es_MX locale and English en_US (catalogue.LOCALES): Mexico, like the US,
writes 1,234.5 (CLDR's es_MX data); the two differ in dates, "15 de enero de 2026" against
"January 15, 2026", and in month names.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal

from enlace.reports.catalogue import LOCALES, Language


def number(value: float, lang: Language) -> str:
    """A quantity with grouping and at most one decimal, e.g. 1,234.5."""
    return str(format_decimal(value, format="#,##0.#", locale=LOCALES[lang]))


def count(value: int, lang: Language) -> str:
    """A whole count with grouping, e.g. 12,345."""
    return str(format_decimal(value, format="#,##0", locale=LOCALES[lang]))


def long_date(day: date, lang: Language) -> str:
    """A date as written in a letter: '15 de enero de 2026', 'January 15, 2026'."""
    return str(format_date(day, format="long", locale=LOCALES[lang]))


def short_date(day: date, lang: Language) -> str:
    """A date for a table cell: '15 ene 2026', 'Jan 15, 2026'."""
    return str(format_date(day, format="medium", locale=LOCALES[lang]))


def month_name(day: date, lang: Language) -> str:
    """A month with its year: 'enero de 2026', 'January 2026'."""
    return str(format_skeleton("yMMMM", day, locale=LOCALES[lang]))


def short_month(day: date, lang: Language) -> str:
    """An abbreviated month for a chart axis: 'ene 2026', 'Jan 2026'."""
    return str(format_skeleton("yMMM", day, locale=LOCALES[lang]))


def period_label(period: str, start: date, period_kind: str, lang: Language) -> str:
    """An indicator period as readers say it: a month by name, a US fiscal year as FY/AF."""
    if period_kind == "month":
        return short_month(start, lang)
    if period_kind == "fiscal-year" and period.upper().startswith("FY"):
        # Año fiscal: Spanish documents of the US government write "AF 2023".
        return ("AF " if lang == "es" else "FY ") + period[2:]
    return period


def ordinal_meeting(sequence: int, lang: Language) -> str:
    """'3.ª reunión', '3rd meeting': the session number of a meeting."""
    if lang == "es":
        return f"{sequence}.ª\u00a0reunión"  # no break inside a meeting's name
    suffix = (
        "th" if 10 <= sequence % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(sequence % 10, "th")
    )
    return f"{sequence}{suffix}\u00a0meeting"
