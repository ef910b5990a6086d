"""Read model of the matching page: matches, hit notices, disclosure requests, runs."""

from __future__ import annotations

from dataclasses import dataclass

from enlace.store.repositories.disclosures import DisclosureRequest
from enlace.store.repositories.match_runs import MatchRun
from enlace.store.repositories.matches import HitNotice, Match
from enlace.store.store import Store
from enlace.web.queries.describe import titles_of

RECENT = 50


@dataclass(frozen=True, slots=True)
class MatchingView:
    """Everything the matching page shows."""

    matches: tuple[Match, ...]  # our records that a partner also holds (we asked)
    hit_notices: tuple[HitNotice, ...]  # our records a partner matched (they asked)
    incoming: tuple[DisclosureRequest, ...]  # partners asking us to disclose, newest first
    outgoing: tuple[DisclosureRequest, ...]  # what we asked partners for
    runs: tuple[MatchRun, ...]
    titles: dict[str, str]  # record id -> its title, for the records named above

    @property
    def pending(self) -> int:
        """Incoming disclosure requests waiting for a decision."""
        return sum(1 for request in self.incoming if request.status == "pending")


def matching_view(store: Store, *, recent: int = RECENT) -> MatchingView:
    """The matching page's content, newest first, at most `recent` of each list."""
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        found = uow.matches.recent_matches(recent)
        notices = uow.matches.hit_notices(limit=recent)
        requests = uow.disclosures.all()
        runs = uow.match_runs.recent(recent)
        named = [m.record_id for m in found] + [n.record_id for n in notices]
        named += [r.record_id for r in requests if r.record_id is not None]
        titles = titles_of(connection, named)
    newest_first = sorted(requests, key=lambda r: r.id, reverse=True)
    incoming = [r for r in newest_first if r.direction == "incoming"]
    # Pending first: they wait for someone.
    incoming.sort(key=lambda r: r.status != "pending")
    return MatchingView(
        matches=tuple(found),
        hit_notices=tuple(notices),
        incoming=tuple(incoming[:recent]),
        outgoing=tuple(r for r in newest_first if r.direction == "outgoing")[:recent],
        runs=tuple(runs),
        titles=titles,
    )
