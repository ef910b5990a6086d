"""The requester's deconfliction check (desconflicto de operativos) with one partner.

One matching run of the kind `operation` in links mode (this node's active operations' keys
against the partner's: docs/deconfliction.md), then, when operations share keys, one request
that hands the partner our liaisons' contacts for the partner's matched operations (named
by the handles round 2 gave) and receives its liaisons' contacts for them. Each pair of
operations that share a key becomes one notice on each side. A transaction is never held
open across a call: the run records itself; the notices are recorded after the answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from enlace.matching.errors import MatchingError, MatchProtocolError, PartnerRefusedMatch
from enlace.matching.kinds import OPERATION
from enlace.matching.modes import LINKS
from enlace.matching.operations import contacts_body, matched_on_text, read_contacts
from enlace.matching.requester import TIMEOUT, _match_kinds, no_progress
from enlace.matching.wire import PREFIX
from enlace.partners.session import PartnerSession
from enlace.partners.transport import transport_problem
from enlace.store.repositories.agreements import REQUESTER
from enlace.store.repositories.operations import DeconflictionNotice, Operation
from enlace.store.store import Store


@dataclass(slots=True)
class DeconflictionOutcome:
    """What one check with one partner found."""

    partner: str
    run_id: str | None  # None: no active operation to check
    own_keys: int
    notices: list[DeconflictionNotice] = field(default_factory=list)
    new_notices: int = 0

    def summary(self) -> str:
        """One line for people."""
        if self.run_id is None:
            return "no active operation to check"
        if not self.notices:
            return f"no operation of {self.partner} overlaps ours"
        return (
            f"{len(self.notices)} overlap(s) with {self.partner}'s operations "
            f"({self.new_notices} new): see 'enlace operation notices'"
        )


def check_operations(
    store: Store,
    *,
    partner: str,
    token: str | None = None,
    key_dir: Path | None = None,
    client: httpx.Client | None = None,
    workers: int | None = None,
    actor: str = "cli",
) -> DeconflictionOutcome:
    """Use case: check this node's active operations against `partner`'s; see the module.

    The token is `token`, or the one kept for `partner` in `key_dir`. PartnerRefusedMatch
    when the partner has no agreement for `operation` (or refuses), NotAPartner when
    `partner` is not registered.
    """
    with PartnerSession.open(
        store, partner, timeout=TIMEOUT, key_dir=key_dir, token=token, client=client
    ) as session:
        (outcome,) = _match_kinds(
            store, session, [OPERATION], workers, no_progress, actor, None, (LINKS,)
        )
        if outcome.run_id is None:
            return DeconflictionOutcome(partner, None, 0)
        if not outcome.matches:
            return DeconflictionOutcome(partner, outcome.run_id, outcome.own_size)
        # Each pair (our operation, the partner's handle) is one overlap, on whatever keys.
        shared: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
        for match, key in zip(outcome.matches, outcome.shared_keys, strict=True):
            shared[(match.record_id, match.partner_handle)].add(key)
        with store.unit_of_work() as uow:
            contacts = {
                operation_id: _contact(uow.operations.get(operation_id))
                for operation_id, _ in shared
            }
        pairs = sorted({(handle, contacts[operation_id]) for operation_id, handle in shared})
        answer = _post_contacts(session, outcome.run_id, contacts_body(pairs))
    theirs = dict(answer)
    missing = {handle for _, handle in shared} - set(theirs)
    if missing:
        raise MatchProtocolError(
            f"{partner} gave no contact for {len(missing)} of its matched operations in run "
            f"{outcome.run_id}"
        )
    with store.unit_of_work() as uow:
        notices = [
            DeconflictionNotice(
                operation_id=operation_id,
                partner=partner,
                role=REQUESTER,
                counterpart=handle,
                run_id=outcome.run_id,
                matched_on=matched_on_text(keys),
                partner_contact=theirs[handle],
                at=uow.started_at,
            )
            for (operation_id, handle), keys in sorted(shared.items())
        ]
        new = sum(uow.operations.add_notice(notice) for notice in notices)
        uow.audit.append(
            actor=actor,
            action="deconfliction-notice",
            subject=outcome.run_id,
            detail={
                "role": REQUESTER,
                "partner": partner,
                "operations": sorted({n.operation_id for n in notices}),
                "overlaps": len(notices),
            },
        )
        uow.commit()
    return DeconflictionOutcome(partner, outcome.run_id, outcome.own_size, notices, new)


def _contact(operation: Operation | None) -> str:
    if operation is None:
        raise MatchingError("an operation matched in this run is no longer held: check again")
    return operation.contact


def _post_contacts(session: PartnerSession, run_id: str, body: bytes) -> list[tuple[str, str]]:
    url = session.partner.url.rstrip("/") + PREFIX + f"/runs/{run_id}/contacts"
    try:
        response = session.client.post(
            url, content=body, headers={**session.authorization, "Content-Type": "application/json"}
        )
    except httpx.HTTPError as error:
        raise MatchingError(f"{transport_problem(session.party, url, error)} (at {url})") from None
    if response.status_code != 200:
        try:
            detail = str(response.json().get("detail", ""))
        except ValueError:
            detail = response.text[:200]
        raise PartnerRefusedMatch(session.party, OPERATION.value, response.status_code, detail)
    try:
        return read_contacts(response.content)
    except MatchingError as error:
        raise MatchProtocolError(f"{session.party}'s contacts: {error}") from None
