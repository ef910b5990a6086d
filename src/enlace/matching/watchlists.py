"""Watchlists (listas de vigilancia) and their alerts (alertas), checked by private matching.

An analyst puts identifiers on their watchlist (a firearm reported stolen or lost, a phone,
a vehicle's VIN or plate, a person's CURP, a company's RFC or name: the exact kinds of
`enlace.matching.kinds`). A check runs the PSI with each partner on the identifiers of
every watchlist, kind by kind, under the agreements, exactly as a match run does on the
node's own records (docs/matching.md): the partner sees blinded points and learns the
match, nothing more; this node learns which watched identifiers the partner holds, under
opaque handles. A watched identifier newly found at a partner raises one alert
(coincidencia → alerta) for the watchlist's owner; a hit already alerted raises nothing
again. docs/watchlists.md.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from enlace.matching.errors import MatchingError, UnknownMatchKind
from enlace.matching.kind_names import EXACT_KIND_NAMES, NAME_KIND_NAMES
from enlace.matching.kinds import MatchKind
from enlace.matching.modes import LINKS, THRESHOLD, ModeNotAccepted
from enlace.matching.requester import MatchOutcome, match_node_partner
from enlace.matching.webhook import WebhookReport, deliver_alerts
from enlace.model.identifiers import IdentifierKind, InvalidIdentifier, normalise
from enlace.model.roles import Role
from enlace.node.errors import NodeError
from enlace.store.repositories.watchlists import NewAlert, WatchlistAlert, WatchlistEntry
from enlace.store.store import Store
from enlace.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("enlace.watchlists")

# Count mode would say how many watched identifiers a partner holds but not which: no alert
# could name its entry, so a check accepts only the modes that give links.
WATCH_MODES = (LINKS, THRESHOLD)
# An identifier as typed: long enough for any kind's written forms, short enough for a page.
MAX_IDENTIFIER = 200


class WatchlistError(MatchingError):
    """A watchlist entry or check that cannot go ahead; the message says what and why."""


@dataclass(frozen=True, slots=True)
class AddedEntry:
    """What adding an identifier did: the entry, and whether it was on the list already."""

    entry: WatchlistEntry
    added: bool


@dataclass(slots=True)
class WatchlistCheck:
    """What one check found: runs by partner, new alerts, problems, webhook deliveries."""

    outcomes: dict[str, list[MatchOutcome]] = field(default_factory=dict)
    new_alerts: int = 0
    problems: dict[str, str] = field(default_factory=dict)  # partner -> why it was not checked
    webhook: WebhookReport | None = None

    def summary(self) -> str:
        """One line for people."""
        checked = ", ".join(sorted(self.outcomes)) or "no partner"
        line = f"checked with {checked}: {self.new_alerts} new alert(s)"
        if self.problems:
            line += f"; not checked: {', '.join(sorted(self.problems))}"
        return line


def watched_kind(text: str) -> IdentifierKind:
    """The exact identifier kind named `text`; WatchlistError or UnknownMatchKind otherwise."""
    if text in NAME_KIND_NAMES:
        raise WatchlistError(
            f"names ({text}) cannot be watched: a name is shared by namesakes; watch a person "
            "by CURP (--kind curp) or an organisation by RFC or name (--kind rfc, org-name)"
        )
    if text not in EXACT_KIND_NAMES:
        raise UnknownMatchKind(text, EXACT_KIND_NAMES)
    return IdentifierKind(text)


def watched_key(kind: IdentifierKind, identifier: str) -> str:
    """The match key of `identifier` as a `kind`, as records' identifiers are normalised;
    WatchlistError saying what was expected when it does not parse."""
    text = identifier.strip()
    if not text or len(text) > MAX_IDENTIFIER or "\x00" in text:
        raise WatchlistError(
            f"the {kind.value} identifier must be 1 to {MAX_IDENTIFIER} characters (without NUL)"
        )
    try:
        return normalise(kind, text)
    except InvalidIdentifier as error:
        raise WatchlistError(f"not added to the watchlist: {error}") from None


def add_to_watchlist(
    store: UnitOfWorkFactory, *, owner: str, kind: str, identifier: str, actor: str
) -> AddedEntry:
    """Put `identifier` (of `kind`) on `owner`'s watchlist; audited as ``watchlist-added``.

    `owner` must be an active analyst. Bad input (an unknown kind, an identifier that does
    not parse for its kind) raises one error and changes nothing."""
    watched = watched_kind(kind)
    key = watched_key(watched, identifier)
    with store.unit_of_work() as uow:
        _check_owner(uow, owner)
        entry_id = uow.watchlists.add_entry(
            owner=owner, kind=watched.value, key=key, label=identifier.strip(), at=uow.started_at
        )
        entries = uow.watchlists.entries(owner=owner)
        if entry_id is None:
            held = next(e for e in entries if e.kind == watched.value and e.key == key)
            return AddedEntry(held, added=False)
        uow.audit.append(
            actor=actor,
            action="watchlist-added",
            subject=str(entry_id),
            # The kind only: the identifier itself stays in the watchlist's table.
            detail={"owner": owner, "kind": watched.value},
        )
        uow.commit()
    return AddedEntry(next(e for e in entries if e.id == entry_id), added=True)


def remove_from_watchlist(
    store: UnitOfWorkFactory, *, owner: str, entry_id: int, actor: str
) -> WatchlistEntry:
    """Take entry `entry_id` off `owner`'s watchlist; audited as ``watchlist-removed``.

    It is no longer checked; the alerts it raised stay as raised (they are what happened).
    WatchlistError, nothing changed, when `owner` has no such entry on the list."""
    with store.unit_of_work() as uow:
        removed = uow.watchlists.remove_entry(entry_id, owner=owner, at=uow.started_at)
        if removed is None:
            raise WatchlistError(
                f"not removed: {owner!r} has no entry {entry_id} on the watchlist "
                f"(enlace watchlist list --owner {owner})"
            )
        uow.audit.append(
            actor=actor,
            action="watchlist-removed",
            subject=str(entry_id),
            detail={"owner": owner, "kind": removed.kind},
        )
        uow.commit()
    return removed


def watchlist_entries(store: UnitOfWorkFactory, *, owner: str | None) -> list[WatchlistEntry]:
    """The entries of `owner`'s watchlist (every watchlist: None), oldest first."""
    with store.unit_of_work() as uow:
        return uow.watchlists.entries(owner=owner)


def watchlist_alerts(
    store: UnitOfWorkFactory, *, owner: str | None, limit: int = 500
) -> list[WatchlistAlert]:
    """The newest alerts of `owner` (everyone's: None), newest first."""
    with store.unit_of_work() as uow:
        return uow.watchlists.alerts(owner=owner, limit=limit)


def check_watchlists(
    store: Store,
    key_dir: Path,
    *,
    partners: Sequence[str] | None = None,
    webhook_url: str | None = None,
    client: httpx.Client | None = None,
    webhook_client: httpx.Client | None = None,
    workers: int | None = 0,
    actor: str = "cli",
) -> WatchlistCheck:
    """Check every watchlist against each partner (all registered ones by default).

    One PSI run per partner and watched kind (docs/matching.md); a partner that refuses,
    is down or answers in count mode is noted in `problems` and the others go on. Alerts are
    committed with the run that found them; the webhook (when set) is then sent every alert
    it has not taken yet, failures logged and left for the next check."""
    with store.unit_of_work() as uow:
        entries = uow.watchlists.entries()
        registered = [p.party for p in uow.partners.all()]
    report = WatchlistCheck()
    chosen = registered if partners is None else [p for p in partners if p in registered]
    for missing in [p for p in partners or () if p not in registered]:
        report.problems[missing] = f"{missing} is not a registered partner"
    by_id = {entry.id: entry for entry in entries}
    held: dict[MatchKind, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        held[IdentifierKind(entry.kind)][entry.key].append(str(entry.id))
    kinds = [IdentifierKind(k) for k in EXACT_KIND_NAMES if IdentifierKind(k) in held]
    for partner in chosen if kinds else ():
        _check_partner(store, key_dir, partner, kinds, held, by_id, report, client, workers, actor)
    if webhook_url is not None:
        report.webhook = deliver_alerts(store, webhook_url=webhook_url, client=webhook_client)
    return report


def _check_partner(
    store: Store,
    key_dir: Path,
    partner: str,
    kinds: Sequence[MatchKind],
    held: dict[MatchKind, dict[str, list[str]]],
    by_id: dict[int, WatchlistEntry],
    report: WatchlistCheck,
    client: httpx.Client | None,
    workers: int | None,
    actor: str,
) -> None:
    def keep(uow: UnitOfWork, run_id: str, linked: list[tuple[str, bytes]]) -> int:
        return _raise_alerts(uow, partner, run_id, linked, by_id, actor)

    # Kind by kind, so that a kind the partner's agreement puts in count mode (no alert could
    # name its entry) leaves the other kinds checked; a partner that cannot be reached is
    # not asked again for the next kind.
    refused: list[str] = []
    outcomes: list[MatchOutcome] = []
    for kind in kinds:
        try:
            outcomes += match_node_partner(
                store,
                key_dir,
                partner,
                [kind],
                client=client,
                workers=workers,
                actor=actor,
                on_refusal=lambda refusal: refused.append(str(refusal)),
                accept=WATCH_MODES,
                held={kind: dict(held[kind])},
                keep=keep,
            )
        except ModeNotAccepted as error:
            refused.append(str(error))
        except (MatchingError, NodeError) as error:
            refused.append(str(error))
            break
    if outcomes:  # every kind refused: not checked with it at all
        report.outcomes[partner] = outcomes
    if refused:
        report.problems[partner] = "; ".join(refused)
        log.warning("watchlist check with %s: %s", partner, report.problems[partner])
    report.new_alerts += sum(o.new_matches for o in outcomes)


def _raise_alerts(
    uow: UnitOfWork,
    partner: str,
    run_id: str,
    linked: list[tuple[str, bytes]],
    by_id: dict[int, WatchlistEntry],
    actor: str,
) -> int:
    # Every handle of the partner's records holding a watched identifier, by entry: one
    # alert per entry and partner, ever (the repository keeps the first).
    handles: dict[int, list[str]] = defaultdict(list)
    for entry_id, handle in linked:
        handles[int(entry_id)].append(handle.hex())
    found = [
        NewAlert(
            entry_id=entry_id,
            owner=by_id[entry_id].owner,
            kind=by_id[entry_id].kind,
            partner=partner,
            handles=tuple(sorted(set(hs))),
            run_id=run_id,
        )
        for entry_id, hs in sorted(handles.items())
    ]
    new = uow.watchlists.add_alerts(found, at=uow.started_at)
    if new:
        uow.audit.append(
            actor=actor,
            action="watchlist-alerts",
            subject=run_id,
            detail={"partner": partner, "hits": len(found), "new_alerts": new},
        )
    return new


def _check_owner(uow: UnitOfWork, owner: str) -> None:
    user = uow.users.get(owner)
    if user is None or user.disabled:
        raise WatchlistError(f"no active user {owner!r}: a watchlist belongs to an analyst")
    if Role.ANALYST not in user.roles:
        raise WatchlistError(
            f"{owner!r} is not an analyst: watchlists are kept by analysts "
            f"(enlace user roles {owner} --role analyst)"
        )
