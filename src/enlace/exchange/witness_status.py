"""Where witnessing stands (issue 13), as `enlace status`, the dashboard and the exchange page
show it: per partner, the newest checkpoint each side countersigned of the other's audit log,
and the alerts witnessing raised.

Building blocks on the caller's unit of work: they only read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from enlace.store.repositories.witness import AuditAlert, Cosigned, Witnessed
from enlace.store.unit_of_work import UnitOfWork

NEWEST_ALERTS = 5  # shown where alerts are raised; `enlace audit alerts` lists them all

# What each kind of alert says about whose log, in a few words (English; the web pages'
# msgids). A kind not listed here (a newer node's) is shown as its code.
ALERT_KINDS: dict[str, str] = {
    "truncated": "truncated: the log is shorter than a size already countersigned",
    "rewritten": "rewritten: a size already countersigned now has another root",
    "inconsistent": "inconsistent: the consistency proof from the countersigned size fails",
    "bad-checkpoint": "bad checkpoint: not signed by the node's key, or malformed",
    "split-view": "split view: another partner was shown a different history",
    "refused-by-partner": "refused by the partner: it would not countersign our checkpoint",
}


@dataclass(frozen=True, slots=True)
class PartnerWitnessing:
    """How far each side countersigned the other's audit log, with one partner."""

    party: str
    ours: Cosigned | None  # this node's newest checkpoint the partner countersigned
    theirs: Witnessed | None  # the partner's newest checkpoint this node countersigned


@dataclass(frozen=True, slots=True)
class AlertSummary:
    """How many alerts witnessing raised, and the newest of them (newest first)."""

    total: int
    newest: tuple[AuditAlert, ...]

    @property
    def more(self) -> int:
        """Alerts not among the newest shown."""
        return self.total - len(self.newest)


def partner_witnessing(uow: UnitOfWork, parties: Iterable[str]) -> list[PartnerWitnessing]:
    """Each of `parties` with the newest checkpoint countersigned each way."""
    witness = uow.witness
    return [
        PartnerWitnessing(party, witness.latest_cosigned(party), witness.latest_witnessed(party))
        for party in parties
    ]


def alert_summary(uow: UnitOfWork, *, newest: int = NEWEST_ALERTS) -> AlertSummary:
    """The count of alerts and the `newest` of them."""
    witness = uow.witness
    return AlertSummary(total=witness.alert_count(), newest=tuple(witness.alerts(newest)))


def alert_kind(kind: str) -> str:
    """What an alert's kind means (English), or the kind itself when unknown here."""
    return ALERT_KINDS.get(kind, kind)
