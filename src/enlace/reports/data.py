"""What a meeting progress report shows, as plain frozen values the renderers read.

Built by `enlace.reports.queries.build_report_data`; nothing here touches the store, so a
renderer can be tested with values made by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from enlace.model.markings import Markings
from enlace.traces.queue import TraceIndicators
from enlace.tracking.indicators.series import IndicatorSeries

# The order statuses are listed in: what needs attention first.
STATUS_ORDER = ("stalled", "in-progress", "announced", "delivered")

Direction = Literal["released", "received"]


@dataclass(frozen=True, slots=True)
class MeetingItem:
    """A meeting (reunión) of the group: when, where, of which mechanism, who took part."""

    id: str
    title: str | None
    mechanism: str
    sequence: int | None
    meeting_date: date | None
    meeting_month: str | None  # "YYYY-MM" when only the month is known
    place: str | None
    mx_agencies: tuple[str, ...]
    us_agencies: tuple[str, ...]
    owner: str

    @property
    def sort_date(self) -> date:
        """The day a meeting is ordered by: its date, or the first day of its month."""
        if self.meeting_date is not None:
            return self.meeting_date
        if self.meeting_month is not None:
            year, month = self.meeting_month.split("-")
            return date(int(year), int(month), 1)
        return date.min

    def is_on_or_after(self, day: date) -> bool:
        """Whether the meeting is on `day` or later (a month-only meeting: in its month or later)."""
        if self.meeting_date is not None:
            return self.meeting_date >= day
        if self.meeting_month is not None:
            return self.meeting_month >= f"{day.year:04d}-{day.month:02d}"
        return False


@dataclass(frozen=True, slots=True)
class ActionItem:
    """An action (acción) under a commitment: who does what by when, and its evidence."""

    id: str
    description_es: str | None
    description_en: str | None
    owner_agency: str | None
    due_date: date | None
    status: str
    overdue: bool
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CommitmentItem:
    """A commitment (compromiso) with its actions, ordered overdue first, then by status."""

    id: str
    text_es: str | None
    text_en: str | None
    theme: str
    responsible: str
    lead_agencies: tuple[str, ...]
    due_date: date | None
    status: str
    overdue: bool
    agreed_at: MeetingItem | None  # the meeting that agreed it, when the node holds it
    actions: tuple[ActionItem, ...]


@dataclass(frozen=True, slots=True)
class ExchangeFlow:
    """How many record versions of one kind went to, or came from, one partner."""

    partner: str
    direction: Direction
    kind: str
    versions: int


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything one meeting progress report shows."""

    party: str  # the node's own party: the report is written from its point of view
    meeting: MeetingItem
    previous_meeting: MeetingItem | None  # exchange is counted since its date
    commitments: tuple[CommitmentItem, ...]
    indicators: tuple[IndicatorSeries, ...]
    exchange: tuple[ExchangeFlow, ...]
    exchange_since: date | None
    markings: Markings | None  # the most restrictive of the records shown; None if none
    today: date
    # Record id -> (Spanish title, English title) of each record an action cites as
    # evidence, so the report names it rather than printing a bare id.
    evidence_titles: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # Firearm trace turnaround and answer rate: (requests this node made, requests asked of
    # it), from the trace records it holds (enlace.traces.queue); empty when it holds none.
    traces: tuple[TraceIndicators, ...] = ()

    def status_counts(self) -> dict[str, tuple[int, int]]:
        """Status -> (commitments, actions) with it, in STATUS_ORDER."""
        counts = {status: [0, 0] for status in STATUS_ORDER}
        for commitment in self.commitments:
            counts.setdefault(commitment.status, [0, 0])[0] += 1
            for action in commitment.actions:
                counts.setdefault(action.status, [0, 0])[1] += 1
        return {status: (pair[0], pair[1]) for status, pair in counts.items()}

    def overdue_counts(self) -> tuple[int, int]:
        """(commitments, actions) overdue."""
        return (
            sum(c.overdue for c in self.commitments),
            sum(a.overdue for c in self.commitments for a in c.actions),
        )
