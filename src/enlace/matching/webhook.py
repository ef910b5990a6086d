"""The node's webhook for watchlist alerts: a POST of a small JSON per alert, nothing of any
record in it (docs/watchlists.md, "Webhook").

The URL is the node's (node.json's ``webhook_url``, on its ``webhook_allow`` list: set by
whoever administers the node's folder). An alert the webhook did not take (down, slow, not
2xx) is logged and sent again at the next check; a check is never held up longer than
`TIMEOUT` per alert, and never fails because of the webhook.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import httpx
import orjson

from enlace.store.repositories.watchlists import WatchlistAlert
from enlace.store.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("enlace.watchlists")

TIMEOUT = httpx.Timeout(5.0)
# At most this many alerts a check: a backlog after a long outage drains over a few checks.
MAX_PER_CHECK = 200
# One delivery at a time in a process: the scheduled check and a "check now" from the page
# run in the same server, and must not both POST an alert neither has marked sent yet.
_DELIVERING = threading.Lock()


@dataclass(slots=True)
class WebhookReport:
    """What one delivery did: alerts the webhook took, and those left for the next check."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def alert_payload(party: str, alert: WatchlistAlert) -> dict[str, object]:
    """The JSON body for `alert`: which alert, of whom, what kind, which partner, when.

    No identifier, label, handle or record: whoever receives it reads the alert in Enlace."""
    return {
        "type": "watchlist-alert",
        "node": party,
        "alert": alert.id,
        "owner": alert.owner,
        "kind": alert.kind,
        "partner": alert.partner,
        "raised_at": alert.raised_at,
    }


def deliver_alerts(
    store: UnitOfWorkFactory, *, webhook_url: str, client: httpx.Client | None = None
) -> WebhookReport:
    """POST every alert the webhook has not taken yet; mark those it took (2xx)."""
    with _DELIVERING:
        return _deliver(store, webhook_url, client)


def _deliver(
    store: UnitOfWorkFactory, webhook_url: str, client: httpx.Client | None
) -> WebhookReport:
    with store.unit_of_work() as uow:
        party = uow.settings.get("party") or ""
        pending = uow.watchlists.undelivered()[:MAX_PER_CHECK]
    report = WebhookReport()
    if not pending:
        return report
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)
    try:
        for alert in pending:
            try:
                response = http.post(
                    webhook_url,
                    content=orjson.dumps(alert_payload(party, alert)),
                    headers={"Content-Type": "application/json"},
                    timeout=TIMEOUT,
                )
                ok = 200 <= response.status_code < 300
                why = f"answered {response.status_code}"
            except httpx.HTTPError as error:
                ok, why = False, f"{type(error).__name__}: {error}"
            if ok:
                report.sent.append(alert.id)
            else:
                report.failed.append(alert.id)
                log.warning(
                    "webhook %s did not take alert %d (%s): sent again at the next check",
                    webhook_url,
                    alert.id,
                    why,
                )
    finally:
        if own:
            http.close()
    with store.unit_of_work() as uow:
        for alert_id in report.sent:
            uow.watchlists.mark_delivered(alert_id, at=uow.started_at)
        for alert_id in report.failed:
            uow.watchlists.mark_attempt_failed(alert_id)
        uow.commit()
    return report
