"""Every label and every vocabulary term of a report exists in Spanish and in English."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import pytest

from enlace.model.records import BY_KIND
from enlace.model.vocabulary import CommitmentTheme, MeetingMechanism, Responsible, TrackingStatus
from enlace.reports import formatting
from enlace.reports.catalogue import LABELS, VOCABULARIES, label, language, term
from enlace.reports.errors import UnknownLanguage


def test_every_label_is_written_in_both_languages() -> None:
    for key, (spanish, english) in LABELS.items():
        assert spanish.strip(), key
        assert english.strip(), key
    assert label("section_indicators", "es") == "Indicadores"
    assert label("section_indicators", "en") == "Indicators"


@pytest.mark.parametrize(
    ("vocabulary", "enum"),
    [
        ("status", TrackingStatus),
        ("theme", CommitmentTheme),
        ("mechanism", MeetingMechanism),
        ("responsible", Responsible),
    ],
)
def test_every_value_of_the_model_vocabularies_is_translated(
    vocabulary: str, enum: type[StrEnum]
) -> None:
    for member in enum:
        assert member.value in VOCABULARIES[vocabulary], member
    assert set(VOCABULARIES[vocabulary]) == {m.value for m in enum}


def test_every_record_kind_has_a_name_in_both_languages() -> None:
    assert set(BY_KIND) <= set(VOCABULARIES["kind"])
    assert term("kind", "seizure", "es") == "Aseguramiento"
    assert term("kind", "seizure", "en") == "Seizure"


def test_status_and_theme_are_translated_not_copied() -> None:
    assert term("status", "in-progress", "es") == "En curso"
    assert term("status", "in-progress", "en") == "In progress"
    assert term("theme", "firearms", "es") != term("theme", "firearms", "en")


def test_unknown_language_is_refused_with_the_choices() -> None:
    assert language(" EN ") == "en"
    with pytest.raises(UnknownLanguage, match="expected es or en"):
        language("fr")


def test_numbers_and_dates_follow_each_countrys_convention() -> None:
    # CLDR: Mexico groups thousands with a comma and uses a decimal point, as the US does;
    # dates and month names differ.
    assert formatting.number(1234.5, "es") == "1,234.5"
    assert formatting.number(1234.5, "en") == "1,234.5"
    assert formatting.long_date(date(2026, 1, 15), "es") == "15 de enero de 2026"
    assert formatting.long_date(date(2026, 1, 15), "en") == "January 15, 2026"
    assert formatting.period_label("FY2025", date(2024, 10, 1), "fiscal-year", "es") == "AF 2025"
    assert formatting.period_label("2025-03", date(2025, 3, 1), "month", "en") == "Mar 2025"


def test_meetings_are_numbered_as_each_language_says_it() -> None:
    assert formatting.ordinal_meeting(3, "es") == "3.ª\u00a0reunión"
    ordinals = [
        formatting.ordinal_meeting(n, "en").replace("\u00a0", " ")
        for n in (1, 2, 3, 4, 11, 12, 13, 21, 22)
    ]
    assert ordinals == [
        "1st meeting",
        "2nd meeting",
        "3rd meeting",
        "4th meeting",
        "11th meeting",
        "12th meeting",
        "13th meeting",
        "21st meeting",
        "22nd meeting",
    ]
