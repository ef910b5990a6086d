"""The sample joint statement `enlace demo` ingests reads the same in both languages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from enlace.reports.catalogue import Language
from enlace.reports.samples import sample_communique
from enlace.tracking.ingest import propose

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_sample_statement_gives_a_past_meeting_a_next_one_and_overdue_duties(
    lang: Language,
) -> None:
    statement = sample_communique(lang, today=TODAY)
    assert "{" not in statement.text
    proposal = propose(
        statement.text, document_date=statement.document_date, source_document=statement.name
    )
    assert proposal.language == lang
    held, announced = sorted(proposal.meetings, key=lambda m: m.announced)
    assert held.meeting_date == TODAY - timedelta(days=60)
    assert announced.meeting_date == TODAY + timedelta(days=30)
    assert held.sequence == 3
    due = sorted(d for d in (c.due_date for c in proposal.commitments) if d is not None)
    assert due[0] < TODAY < due[-1]  # one overdue already, one still ahead
    assert len(proposal.commitments) == 4
    assert len(proposal.actions) == 2


def test_both_language_versions_propose_the_same_items() -> None:
    spanish, english = (
        propose(s.text, document_date=s.document_date, source_document=s.name)
        for s in (sample_communique("es", today=TODAY), sample_communique("en", today=TODAY))
    )
    assert [c.due_date for c in spanish.commitments] == [c.due_date for c in english.commitments]
    assert [a.due_date for a in spanish.actions] == [a.due_date for a in english.actions]
    assert [m.meeting_date for m in spanish.meetings] == [m.meeting_date for m in english.meetings]
