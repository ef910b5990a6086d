"""Confirming a proposal stores exactly what was proposed, linked and audited, in one
transaction, on SQLite and PostgreSQL; a third-language communiqué stores nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from enlace.model.records import Action, Commitment, Meeting, record_from_stix
from enlace.model.vocabulary import TrackingStatus
from enlace.store.repositories.audit import AuditLog
from enlace.store.store import Store
from enlace.tracking.confirm import DEFAULT_MARKINGS
from enlace.tracking.errors import UnsupportedLanguage
from enlace.tracking.ingest import propose
from enlace.tracking.proposal import Proposal
from enlace.tracking.review import ReviewReport, review, text_digest

COMMUNIQUES = Path(__file__).parent / "communiques"


def _proposal(name: str, day: date) -> Proposal:
    path = COMMUNIQUES / name
    return propose(path.read_text(encoding="utf-8"), document_date=day, source_document=name)


def _accept(store: Store, proposal: Proposal, *, party: str) -> ReviewReport:
    """Every proposal accepted as read, the way `tracking ingest --accept all` does."""
    text = (COMMUNIQUES / proposal.source_document).read_text(encoding="utf-8")
    return review(store, proposal, content_sha256=text_digest(text), party=party, accept="all")


def _held(store: Store) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {"meeting": [], "commitment": [], "action": []}
    with store.unit_of_work() as uow:
        for kind, records in found.items():
            records += [
                record_from_stix(r.stix_object()) for r in uow.records.iter_latest(kind=kind)
            ]
    return found


def _audit_actions(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        rows = uow.connection.exec_driver_sql("SELECT action FROM audit_log ORDER BY seq").all()
    return [row[0] for row in rows]


def test_accept_stores_exactly_the_proposals_linked_and_audited(store: Store) -> None:
    proposal = _proposal("es-01.txt", date(2025, 9, 5))
    report = _accept(store, proposal, party="MX")
    held = _held(store)
    assert (
        len(held["meeting"])
        == len(proposal.meetings)
        == sum(k.startswith("m") for k in report.accepted)
    )
    assert len(held["commitment"]) == len(proposal.commitments)
    assert len(held["action"]) == len(proposal.actions)
    assert report.written == proposal.size
    meetings = {m.source_sentence: m for m in held["meeting"]}
    commitments = {c.source_sentence: c for c in held["commitment"]}
    held_meeting = next(m for m in proposal.meetings if not m.announced)
    for record in held["meeting"] + held["commitment"] + held["action"]:
        assert record.owner == "MX"
        assert record.markings == DEFAULT_MARKINGS
        assert record.markings.national_only
        assert record.source_document == "es-01.txt"
    for proposed in proposal.commitments:
        stored = commitments[proposed.source_sentence]
        assert isinstance(stored, Commitment)
        assert stored.text_es == proposed.text
        assert stored.text_en is None
        assert stored.status is TrackingStatus.ANNOUNCED
        assert stored.due_date == proposed.due_date
        assert stored.meeting_ref == meetings[held_meeting.source_sentence].id
    for proposed_action in proposal.actions:
        parent = next(c for c in proposal.commitments if c.key == proposed_action.commitment_key)
        (stored_action,) = [
            a for a in held["action"] if a.source_sentence == proposed_action.source_sentence
        ]
        assert isinstance(stored_action, Action)
        assert stored_action.commitment_ref == commitments[parent.source_sentence].id
    assert all(isinstance(m, Meeting) for m in held["meeting"])
    assert _audit_actions(store) == ["tracking-review"]


def test_accepting_the_same_proposal_again_writes_nothing_new(store: Store) -> None:
    proposal = _proposal("en-02.txt", date(2025, 10, 10))
    first = _accept(store, proposal, party="US")
    again = _accept(store, proposal, party="US")
    assert first.written == proposal.size
    assert again.written == 0
    assert again.already_read_as == "en-02.txt"
    assert again.accepted == {}
    assert first.pending == again.pending == ()
    with store.unit_of_work() as uow:
        assert uow.records.count_versions() == proposal.size


def test_accept_is_one_transaction_nothing_stored_when_it_fails(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposal = _proposal("en-01.txt", date(2025, 9, 4))

    def broken_append(self: AuditLog, **_: object) -> None:
        raise RuntimeError("disk full while writing the audit entry")

    # The audit log is the last write of the unit of work: failing there must undo the records.
    monkeypatch.setattr(AuditLog, "append", broken_append)
    with pytest.raises(RuntimeError, match="disk full"):
        _accept(store, proposal, party="US")
    with store.unit_of_work() as uow:
        assert uow.records.count_versions() == 0
    assert _audit_actions(store) == []


def test_third_language_communique_proposes_and_stores_nothing(store: Store) -> None:
    with pytest.raises(UnsupportedLanguage, match="French"):
        _proposal("fr-01.txt", date(2025, 9, 5))
    with store.unit_of_work() as uow:
        assert uow.records.count_versions() == 0
    assert _audit_actions(store) == []
