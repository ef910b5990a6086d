"""Reviewing proposals item by item, correcting records after accepting them, reconciling an
announced meeting with the same meeting held, and texts in both languages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from enlace.model.records import Commitment, Meeting, record_from_stix
from enlace.model.vocabulary import CommitmentTheme, MeetingMechanism, Responsible
from enlace.store.store import Store
from enlace.tracking.edit import edit_record
from enlace.tracking.errors import TrackingError
from enlace.tracking.ingest import propose
from enlace.tracking.proposal import Proposal, ProposedCommitment, ProposedMeeting
from enlace.tracking.register import tracking_register
from enlace.tracking.review import pending_documents, review, text_digest

COMMUNIQUES = Path(__file__).parent / "communiques"
GROUP = MeetingMechanism("security-implementation-group")


def _latest(store: Store, kind: str) -> list[Any]:
    with store.unit_of_work() as uow:
        return [record_from_stix(r.stix_object()) for r in uow.records.iter_latest(kind=kind)]


def _versions(store: Store, record_id: str) -> int:
    with store.unit_of_work() as uow:
        return len(uow.records.versions(record_id))


def _audit(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        rows = uow.connection.exec_driver_sql("SELECT action FROM audit_log ORDER BY seq").all()
    return [row[0] for row in rows]


def _meeting(key: str, sentence: str, **fields: Any) -> ProposedMeeting:
    values: dict[str, Any] = {
        "mechanism": GROUP,
        "sequence": 2,
        "meeting_date": None,
        "meeting_month": None,
        "place": None,
        "mx_agencies": (),
        "us_agencies": (),
        "announced": False,
    }
    values.update(fields)
    return ProposedMeeting(key=key, source_sentence=sentence, cues=(), **values)


def _doc(name: str, *meetings: ProposedMeeting, commitments: tuple[Any, ...] = ()) -> Proposal:
    return Proposal(name, date(2025, 12, 10), "es", meetings=meetings, commitments=commitments)


def test_only_the_accepted_keys_are_stored_the_rejected_never_the_rest_stay_pending(
    store: Store,
) -> None:
    text = (COMMUNIQUES / "es-01.txt").read_text(encoding="utf-8")
    proposal = propose(text, document_date=date(2025, 9, 5), source_document="es-01.txt")
    report = review(
        store,
        proposal,
        content_sha256=text_digest(text),
        party="MX",
        accept=["m1", "c1"],
        reject=["c2"],
    )
    assert set(report.accepted) == {"m1", "c1"}
    assert report.rejected == ("c2",)
    keys = [m.key for m in proposal.meetings] + [c.key for c in proposal.commitments]
    keys += [a.key for a in proposal.actions]
    assert set(report.pending) == set(keys) - {"m1", "c1", "c2"}
    assert len(_latest(store, "meeting")) == 1
    (commitment,) = _latest(store, "commitment")
    assert commitment.meeting_ref == report.accepted["m1"]
    (pending,) = pending_documents(store).documents
    assert set(pending.pending) == set(report.pending)
    # Accepting a rejected one later is refused, naming it.
    with pytest.raises(TrackingError, match="c2: already rejected"):
        review(store, proposal, content_sha256=text_digest(text), party="MX", accept=["c2"])
    assert _audit(store) == ["tracking-review"]


def test_an_action_whose_commitment_is_not_accepted_is_refused_and_nothing_stored(
    store: Store,
) -> None:
    text = (COMMUNIQUES / "es-01.txt").read_text(encoding="utf-8")
    proposal = propose(text, document_date=date(2025, 9, 5), source_document="es-01.txt")
    action = proposal.actions[0]
    with pytest.raises(TrackingError, match=f"{action.key}: its commitment"):
        review(
            store,
            proposal,
            content_sha256=text_digest(text),
            party="MX",
            accept=[action.key],
            reject=[action.commitment_key],
        )
    assert _latest(store, "action") == []
    assert pending_documents(store).documents == ()


def test_an_edited_proposal_is_stored_with_its_edits(store: Store) -> None:
    text = (COMMUNIQUES / "es-01.txt").read_text(encoding="utf-8")
    proposal = propose(text, document_date=date(2025, 9, 5), source_document="es-01.txt")
    review(
        store,
        proposal,
        content_sha256=text_digest(text),
        party="MX",
        accept=["m1"],
        edits={"c2": {"due": "2026-01-15", "agencies": "FGR|ATF", "text_en": "Trace firearms."}},
    )
    (commitment,) = _latest(store, "commitment")
    assert commitment.due_date == date(2026, 1, 15)
    assert commitment.lead_agencies == ("FGR", "ATF")
    assert commitment.text_en == "Trace firearms."
    assert commitment.text_es == proposal.commitments[1].text


def test_an_edit_after_accepting_is_a_new_audited_version(store: Store) -> None:
    proposal = _doc("a.txt", _meeting("m1", "Se reunió.", meeting_date=date(2025, 9, 4)))
    report = review(store, proposal, content_sha256="a" * 64, party="MX", accept="all")
    meeting_id = report.accepted["m1"]
    edited = edit_record(
        store,
        meeting_id,
        {"place": "McAllen, Texas", "mechanism": "ministerial", "sequence": ""},
        party="MX",
    )
    assert edited.changed == ("mechanism", "place", "sequence")
    (meeting,) = _latest(store, "meeting")
    assert meeting.place == "McAllen, Texas"
    assert meeting.mechanism is MeetingMechanism("ministerial")
    assert meeting.sequence is None
    assert _versions(store, meeting_id) == 2
    assert _audit(store)[-1] == "tracking-edit"
    with pytest.raises(TrackingError, match="source_document: not a field"):
        edit_record(store, meeting_id, {"source_document": "x"}, party="MX")
    with pytest.raises(TrackingError, match="date"):
        edit_record(store, meeting_id, {"date": "next week"}, party="MX")
    with pytest.raises(TrackingError, match="owned by MX"):
        edit_record(store, meeting_id, {"place": "X"}, party="US")


def test_the_announced_meeting_and_the_same_meeting_held_are_one_record_with_both_sources(
    store: Store,
) -> None:
    announced = _doc(
        "anuncio.txt",
        _meeting("m1", "La próxima reunión será en diciembre.", meeting_month="2025-12",
                 announced=True),
    )  # fmt: skip
    held = _doc(
        "celebrada.txt",
        _meeting("m1", "El Grupo celebró su segunda reunión el 9 de diciembre.",
                 meeting_date=date(2025, 12, 9), place="Ciudad de México"),
    )  # fmt: skip
    first = review(store, announced, content_sha256="1" * 64, party="MX", accept="all")
    second = review(store, held, content_sha256="2" * 64, party="MX", accept="all")
    assert second.reconciled == {"m1": first.accepted["m1"]}
    (meeting,) = _latest(store, "meeting")
    assert meeting.source_document == "anuncio.txt"
    assert meeting.other_sources == ("celebrada.txt",)
    assert meeting.meeting_date == date(2025, 12, 9)
    assert meeting.meeting_month is None
    assert meeting.place == "Ciudad de México"
    # The register (`tracking list`) shows both documents.
    (listed,) = [
        i for i in tracking_register(store, today=date(2025, 12, 10)) if i.kind == "meeting"
    ]
    assert listed.sources == ("anuncio.txt", "celebrada.txt")
    assert listed.to_json()["sources"] == ["anuncio.txt", "celebrada.txt"]


def test_two_meetings_of_different_mechanisms_on_one_day_stay_two(store: Store) -> None:
    day = date(2026, 2, 12)
    review(store, _doc("a.txt", _meeting("m1", "Grupo.", sequence=None, meeting_date=day)),
           content_sha256="1" * 64, party="MX", accept="all")  # fmt: skip
    review(
        store,
        _doc("b.txt", _meeting("m1", "Ministerial.", mechanism=MeetingMechanism("ministerial"),
                               sequence=None, meeting_date=day)),
        content_sha256="2" * 64, party="MX", accept="all",
    )  # fmt: skip
    assert len(_latest(store, "meeting")) == 2


def test_the_same_text_under_another_name_is_reported_as_held_and_nothing_duplicated(
    store: Store,
) -> None:
    text = (COMMUNIQUES / "es-01.txt").read_text(encoding="utf-8")
    day = date(2025, 9, 5)
    first = propose(text, document_date=day, source_document="es-01.txt")
    review(store, first, content_sha256=text_digest(text), party="MX", accept="all")
    held = {kind: len(_latest(store, kind)) for kind in ("meeting", "commitment", "action")}
    again = propose(text + "\r\n", document_date=day, source_document="copia.txt")
    report = review(
        store, again, content_sha256=text_digest(text + "\r\n"), party="MX", accept="all"
    )
    assert report.already_read_as == "es-01.txt"
    assert report.written == 0
    assert report.accepted == {}
    assert {kind: len(_latest(store, kind)) for kind in held} == held


def test_a_repeated_sentence_gives_one_proposal(store: Store) -> None:
    sentence = "Ambos gobiernos acordaron intercambiar información sobre armas."
    commitment = ProposedCommitment(
        "c1", sentence, CommitmentTheme("firearms"), Responsible("joint"), (), None, None,
        sentence, (),
    )  # fmt: skip
    twice = _doc("r.txt", commitments=(commitment, commitment.__class__(
        **{**{f: getattr(commitment, f) for f in commitment.__dataclass_fields__}, "key": "c2"}
    )))  # fmt: skip
    report = review(store, twice, content_sha256="3" * 64, party="MX", accept="all")
    assert list(report.accepted) == ["c1"]
    assert len(_latest(store, "commitment")) == 1


def test_the_other_language_text_joins_the_held_commitment(store: Store) -> None:
    es = "Ambos gobiernos acordaron intercambiar información sobre armas."
    en = "Both governments agreed to exchange information on firearms."

    def commitment(text: str) -> ProposedCommitment:
        return ProposedCommitment(
            "c1", text, CommitmentTheme("firearms"), Responsible("joint"), (), None, None,
            text, (),
        )  # fmt: skip

    spanish = Proposal("es.txt", date(2025, 9, 5), "es", commitments=(commitment(es),))
    english = Proposal("en.txt", date(2025, 9, 5), "en", commitments=(commitment(en),))
    first = review(store, spanish, content_sha256="4" * 64, party="MX", accept="all")
    held_id = first.accepted["c1"]
    review(store, english, content_sha256="5" * 64, party="MX",
           edits={"c1": {"same_as": held_id}})  # fmt: skip
    (record,) = _latest(store, "commitment")
    assert isinstance(record, Commitment)
    assert (record.id, record.text_es, record.text_en) == (held_id, es, en)


def test_meeting_records_read_back_with_their_other_sources() -> None:
    assert "other_sources" in Meeting.__dataclass_fields__


def test_an_edit_of_a_key_the_proposal_lacks_or_rejects_is_refused(store: Store) -> None:
    proposal = _doc("a.txt", _meeting("m1", "Se reunió.", meeting_date=date(2025, 9, 4)))
    with pytest.raises(TrackingError, match=r"m7: no such proposal in a\.txt"):
        review(store, proposal, content_sha256="6" * 64, party="MX", accept="all",
               edits={"m7": {"place": "X"}})  # fmt: skip
    with pytest.raises(TrackingError, match="m1: both accepted and rejected"):
        review(store, proposal, content_sha256="6" * 64, party="MX", reject=["m1"],
               edits={"m1": {"place": "X"}})  # fmt: skip
    assert _latest(store, "meeting") == []
