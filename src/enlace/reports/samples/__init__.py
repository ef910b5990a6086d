"""A sample joint statement (comunicado conjunto) of the group, in Spanish and English.

`enlace demo` ingests it so that its report has a meeting, commitments and actions to show.
Its dates are placeholders filled relative to the day the demo runs: the meeting was held
two months ago, the next one is a month away, and some commitments and actions are already
overdue while others are not, as in any real follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

from enlace.reports.catalogue import Language
from enlace.reports.formatting import long_date

SAMPLE_FILES: dict[Language, str] = {
    "es": "comunicado-conjunto.es.txt",
    "en": "joint-statement.en.txt",
}
# Days from the day of the demo to each date the statement names.
_OFFSETS = {
    "meeting_date": -60,
    "document_date": -59,
    "action_due_past": -30,
    "commitment_due_past": -15,
    "action_due_soon": 20,
    "next_meeting_date": 30,
    "commitment_due_soon": 45,
    "commitment_due_late": 120,
}


@dataclass(frozen=True, slots=True)
class SampleStatement:
    """The statement's text in one language, its file name and the date it bears."""

    name: str
    text: str
    document_date: date


def sample_communique(lang: Language, *, today: date) -> SampleStatement:
    """The sample statement in `lang`, its dates set relative to `today`."""
    name = SAMPLE_FILES[lang]
    template = resources.files("enlace.reports.samples").joinpath(name).read_text(encoding="utf-8")
    days = {key: today + timedelta(days=offset) for key, offset in _OFFSETS.items()}
    text = template.format(**{key: long_date(day, lang) for key, day in days.items()})
    return SampleStatement(name=name, text=text, document_date=days["document_date"])
