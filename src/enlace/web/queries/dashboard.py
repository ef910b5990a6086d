"""Read model of the home page (tablero): what the node holds, how exchange stands with
each partner, the latest hits, the indicators at a glance and the next meeting.

Counts and aggregates only: the dashboard shows no record's content, so every role may see
it; each section links to the page (and role) that shows the records themselves. Witnessing's
audit alerts are read only for the roles shown them (`navigation.ALERT_ROLES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from enlace.exchange.witness_status import AlertSummary, alert_summary
from enlace.reports.data import ReportData
from enlace.store.repositories.matches import RunHits
from enlace.store.store import Store
from enlace.tracking.indicators.series import IndicatorSeries
from enlace.web.queries.exchange import PartnerStanding, partner_standings
from enlace.web.queries.tracking import next_meeting, node_indicators

LATEST_HITS = 5


@dataclass(frozen=True, slots=True)
class KindHolding:
    """How many records of one kind the node holds, by owner."""

    kind: str
    by_owner: dict[str, int]

    @property
    def total(self) -> int:
        """All owners together."""
        return sum(self.by_owner.values())


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the home page shows."""

    holdings: tuple[KindHolding, ...]  # most held first
    owners: tuple[str, ...]  # the node's own party first
    partners: tuple[PartnerStanding, ...]
    hit_runs: tuple[RunHits, ...]  # our records partners matched, by run (hit notices)
    match_runs: tuple[RunHits, ...]  # our records partners also hold, by run (matches)
    indicators: tuple[IndicatorSeries, ...]
    meeting: ReportData | None
    alerts: AlertSummary | None = None  # None: not read, for a reader not shown them

    @property
    def records_total(self) -> int:
        """Records held, all kinds and owners."""
        return sum(holding.total for holding in self.holdings)


def dashboard(store: Store, *, party: str, today: date, alerts: bool = False) -> Dashboard:
    """The dashboard of the node of `party` on `today`, with witnessing's audit alerts when
    `alerts` (the reader's roles are shown them)."""
    with store.unit_of_work() as uow:  # only reads
        summary = alert_summary(uow) if alerts else None
        rows = uow.records.holdings()
        partners = partner_standings(uow)
        repository = uow.matches
        hit_runs = repository.latest_hit_runs(LATEST_HITS)
        match_runs = repository.latest_match_runs(LATEST_HITS)
    by_kind: dict[str, dict[str, int]] = {}
    for kind, owner, count in rows:
        by_kind.setdefault(kind, {})[owner] = count
    owners = sorted({owner for _, owner, _ in rows}, key=lambda o: (o != party, o))
    holdings = sorted(
        (KindHolding(kind, counts) for kind, counts in by_kind.items()),
        key=lambda h: (-h.total, h.kind),
    )
    return Dashboard(
        holdings=tuple(holdings),
        owners=tuple(owners),
        partners=tuple(partners),
        hit_runs=tuple(hit_runs),
        match_runs=tuple(match_runs),
        indicators=tuple(node_indicators(store, today=today)),
        meeting=next_meeting(store, today=today),
        alerts=summary,
    )
