"""The records a confirmed proposal becomes: ids, links, markings, texts.

Nothing ingestion proposes is stored until a person confirms it; the confirming itself (one
audited unit of work, with reconciliation) is `enlace.tracking.review.review`.
"""

from __future__ import annotations

from datetime import datetime

from enlace.model.markings import Markings
from enlace.model.records import Action, Commitment, Meeting, Record, derived_id
from enlace.model.vocabulary import TrackingStatus
from enlace.tracking.proposal import (
    Proposal,
    ProposedAction,
    ProposedCommitment,
    ProposedMeeting,
)

# What a confirmed proposal is marked with unless the person says otherwise: what the
# importer assumes for a row without markings (TLP amber, H0), kept national only until
# the owner decides to release it, and evaluated B2 (an official source, probably true).
DEFAULT_MARKINGS = Markings.build(tlp="amber", releasable_to=None, handling="H0", evaluation="B2")


def proposal_records(
    proposal: Proposal, *, party: str, markings: Markings, now: datetime
) -> list[Record]:
    """The records a proposal becomes, commitments linked to their meeting and actions to
    their commitment. Ids derive from the document and the sentence, so confirming the same
    proposal twice gives the same records."""
    ids: dict[str, str] = {}
    records: list[Record] = []
    for m in proposal.meetings:
        meeting = meeting_record(proposal, m, party=party, markings=markings, now=now)
        ids[m.key] = meeting.id
        records.append(meeting)
    for c in proposal.commitments:
        ref = ids[c.meeting_key] if c.meeting_key else None
        commitment = commitment_record(
            proposal, c, meeting_ref=ref, party=party, markings=markings, now=now
        )
        ids[c.key] = commitment.id
        records.append(commitment)
    for a in proposal.actions:
        records.append(
            action_record(
                proposal,
                a,
                commitment_ref=ids[a.commitment_key],
                party=party,
                markings=markings,
                now=now,
            )
        )
    return records


def item_id(proposal: Proposal, stix_type: str, key: str, sentence: str, *, party: str) -> str:
    """The id a proposed item's record gets: derived from the party, document, key and
    sentence, so the same item confirmed twice is the same record."""
    return derived_id(stix_type, party, proposal.source_document, key, sentence)


def meeting_record(
    proposal: Proposal, m: ProposedMeeting, *, party: str, markings: Markings, now: datetime
) -> Meeting:
    """The meeting record a proposed meeting becomes."""
    return Meeting(
        id=item_id(proposal, Meeting.STIX_TYPE, m.key, m.source_sentence, party=party),
        owner=party,
        markings=markings,
        created=now,
        modified=now,
        title=m.title,
        mechanism=m.mechanism,
        sequence=m.sequence,
        meeting_date=m.meeting_date,
        meeting_month=m.meeting_month,
        place=m.place,
        mx_agencies=m.mx_agencies,
        us_agencies=m.us_agencies,
        source_document=proposal.source_document,
        source_sentence=m.source_sentence,
    )


def commitment_record(
    proposal: Proposal,
    c: ProposedCommitment,
    *,
    meeting_ref: str | None,
    party: str,
    markings: Markings,
    now: datetime,
) -> Commitment:
    """The commitment record a proposed commitment becomes, its text in the document's
    language."""
    spanish = proposal.language == "es"
    return Commitment(
        id=item_id(proposal, Commitment.STIX_TYPE, c.key, c.source_sentence, party=party),
        owner=party,
        markings=markings,
        created=now,
        modified=now,
        text_es=c.text if spanish else None,
        text_en=None if spanish else c.text,
        theme=c.theme,
        responsible=c.responsible,
        lead_agencies=c.lead_agencies,
        due_date=c.due_date,
        status=TrackingStatus.ANNOUNCED,
        meeting_ref=meeting_ref,
        source_document=proposal.source_document,
        source_sentence=c.source_sentence,
    )


def action_record(
    proposal: Proposal,
    a: ProposedAction,
    *,
    commitment_ref: str,
    party: str,
    markings: Markings,
    now: datetime,
) -> Action:
    """The action record a proposed action becomes."""
    spanish = proposal.language == "es"
    return Action(
        id=item_id(proposal, Action.STIX_TYPE, a.key, a.source_sentence, party=party),
        owner=party,
        markings=markings,
        created=now,
        modified=now,
        commitment_ref=commitment_ref,
        description_es=a.description if spanish else None,
        description_en=None if spanish else a.description,
        owner_agency=a.owner_agency,
        due_date=a.due_date,
        status=TrackingStatus.ANNOUNCED,
        source_document=proposal.source_document,
        source_sentence=a.source_sentence,
    )
