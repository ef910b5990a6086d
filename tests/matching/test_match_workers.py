"""A run large enough to blind in worker processes, on both sides, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from enlace.matching.blinding import INLINE_BELOW
from enlace.matching.requester import match_partner
from enlace.model.identifiers import IdentifierKind
from enlace.store.engine import sqlite_url
from support.exchange import phone
from support.matching import agree, handle_records, load, requester_token, served_nodes

pytestmark = pytest.mark.e2e


def test_run_blinded_by_worker_processes_finds_exactly_the_shared_numbers(tmp_path: Path) -> None:
    n = INLINE_BELOW + 100
    shared = range(n - 700, n)
    urls = {party: sqlite_url(str(tmp_path / f"{party}.sqlite")) for party in ("MX", "US")}
    with served_nodes(urls, workers=2) as nodes:
        mx_numbers = [f"+5255{i:08d}" for i in range(n)]
        us_numbers = [f"+5255{i:08d}" for i in shared] + [f"+5281{i:08d}" for i in range(n - 700)]
        load(nodes["MX"], [phone(number, owner="MX") for number in mx_numbers])
        load(nodes["US"], [phone(number, owner="US") for number in us_numbers])
        agree(nodes["US"], "MX", max_set_size=n, kinds=("phone",))
        [outcome] = match_partner(
            nodes["MX"].store,
            partner="US",
            token=requester_token("MX", "US"),
            kinds=[IdentifierKind.PHONE],
            workers=2,
        )
        handles = handle_records(nodes["US"].store, "MX")
    assert (outcome.own_size, outcome.partner_size, outcome.overlap) == (n, n, 700)
    ids = {phone(f"+5255{i:08d}", owner="US").id for i in shared}
    # support.exchange derives a phone record's id from its number: the same on both sides.
    assert {m.record_id for m in outcome.matches} == ids
    assert {handles[m.partner_handle] for m in outcome.matches} == ids
