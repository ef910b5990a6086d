"""The private matching half of `enlace demo`: MX and US find what they both hold.

Runs while both `enlace serve` servers are up, through the real pieces: each node's
agreement for the other, `match_node_partner` over HTTP with the partner's bearer token,
the partner's hit notices, then one disclosure request approved by the owner (the normal
release) and fetched by the normal sync.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from enlace.cli.terminal import safe_text
from enlace.exchange.release import ReleaseRefused
from enlace.exchange.sync_client import sync_node_partner
from enlace.matching.agreements import agree_to_match
from enlace.matching.disclosure import approve_request, refuse_request
from enlace.matching.errors import MatchingError
from enlace.matching.kinds import KIND_NAMES, MATCH_KINDS
from enlace.matching.requester import MatchOutcome, match_node_partner, request_node_disclosure
from enlace.node.keys import load_signing_key
from enlace.node.setup import open_node

# Generous for a demo, and still a cap: a partner cannot probe one identifier at a time.
DEMO_MAX_SET_SIZE = 100_000
DEMO_RUNS_PER_DAY = 24


def run_matching_demo(nodes: dict[str, Path], console: Console) -> None:
    """Agreements both ways, a run each way on every kind, what each side learned, and one
    disclosure request approved and delivered. Both nodes must be serving."""
    parties = list(nodes)
    partner_of = {party: next(p for p in parties if p != party) for party in parties}
    for party in parties:
        _agree(nodes[party], partner_of[party])
    console.print(
        f"agreements (acuerdos) both ways: {', '.join(KIND_NAMES)}; at most "
        f"{DEMO_MAX_SET_SIZE:,} identifiers a run, {DEMO_RUNS_PER_DAY} runs a day per kind"
    )
    outcomes: dict[str, list[MatchOutcome]] = {}
    for party in parties:
        partner = partner_of[party]
        config, store = open_node(nodes[party])
        try:
            outcomes[party] = match_node_partner(
                store, config.key_dir, partner, MATCH_KINDS, actor="demo"
            )
        finally:
            store.close()
        _print_run(console, party, partner, outcomes[party], nodes[partner])
    _disclosure(console, nodes, parties[0], partner_of[parties[0]], outcomes[parties[0]])


def _agree(node: Path, partner: str) -> None:
    _, store = open_node(node)
    try:
        agree_to_match(
            store,
            partner=partner,
            kinds=KIND_NAMES,
            max_set_size=DEMO_MAX_SET_SIZE,
            runs_per_day=DEMO_RUNS_PER_DAY,
            actor="demo",
        )
    finally:
        store.close()


def _print_run(
    console: Console, party: str, partner: str, outcomes: list[MatchOutcome], partner_node: Path
) -> None:
    table = Table(title=f"{party} matches with {partner} (private set intersection)")
    for column in ("kind", f"{party}'s set", f"{partner}'s set", "shared", "record links"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for outcome in outcomes:
        table.add_row(
            outcome.kind,
            f"{outcome.own_size:,}",
            "-" if outcome.partner_size is None else f"{outcome.partner_size:,}",
            str(outcome.overlap),
            str(len(outcome.matches)),
        )
    console.print(table)
    console.print(
        f"{party} learned: {partner}'s set size per kind, which of its own identifiers "
        f"{partner} also holds, and an opaque handle for each matching {partner} record"
    )
    _, store = open_node(partner_node)
    try:
        with store.unit_of_work() as uow:
            notices = uow.matches.hit_notices()
    finally:
        store.close()
    by_kind = Counter(n.kind for n in notices if n.partner == party)
    shown = ", ".join(f"{kind} {count}" for kind, count in sorted(by_kind.items())) or "none"
    console.print(
        f"{partner} learned: {party}'s set size per kind and which of its own records "
        f"matched; hit notices (avisos de coincidencia) for their owners in total: {shown}"
    )


def _disclosure(
    console: Console,
    nodes: dict[str, Path],
    party: str,
    owner: str,
    outcomes: list[MatchOutcome],
) -> None:
    found = next((m for o in outcomes for m in o.matches), None)
    if found is None:
        console.print("no match to ask a disclosure for")
        return
    config, store = open_node(nodes[party])
    try:
        remote_id = request_node_disclosure(
            store,
            config.key_dir,
            owner,
            handle=found.partner_handle,
            reason="demo: the same " + found.kind + " appears in our case",
            actor="demo",
        )
    finally:
        store.close()
    console.print(
        f"{party} asks {owner} to disclose the record behind handle {found.partner_handle} "
        f"(solicitud de divulgación {remote_id} on {owner})"
    )
    owner_config, owner_store = open_node(nodes[owner])
    try:
        key = load_signing_key(owner_config.key_dir)
        try:
            approval = approve_request(
                owner_store, request_id=remote_id, signing_key=key, actor="demo"
            )
            record_id = approval.request.record_id
            if not approval.newly_released:
                console.print(
                    f"{owner} approves: {record_id} was already released to {party} "
                    "(its markings allowed it, so it came by the exchange)"
                )
                return
            console.print(f"{owner} approves: {record_id} released to {party}")
        except (ReleaseRefused, MatchingError) as error:
            console.print(
                f"{owner} cannot approve ({safe_text(error, lines=True)}); it refuses instead"
            )
            refuse_request(
                owner_store,
                request_id=remote_id,
                reason="its markings do not allow the release",
                actor="demo",
            )
            return
    finally:
        owner_store.close()
    config, store = open_node(nodes[party])
    try:
        report = sync_node_partner(store, config.key_dir, owner, actor="demo")
    finally:
        store.close()
    console.print(f"{party} syncs from {owner}: {safe_text(report.summary())}")
