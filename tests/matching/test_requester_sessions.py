"""The requester talks to a partner only through a partner session: a party not registered
is refused before anything is sent, the token is presented as the session holds it, and a
client the requester opened is closed when the call ends."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from enlace.matching.kinds import MatchKind
from enlace.matching.requester import (
    match_node_partner,
    match_partner,
    refresh_disclosures,
    refresh_node_disclosures,
    request_disclosure,
    request_node_disclosure,
)
from enlace.model.identifiers import IdentifierKind
from enlace.partners import session as session_module
from enlace.partners.credentials import write_outbound_token
from enlace.partners.errors import NotAPartner
from enlace.store.store import Store
from support.exchange import US_TOKEN, audit_actions, mx_node

OUTBOUND = "mx-presents-this-to-us-0123456789"
HANDLE = "ab" * 16
PHONE: list[MatchKind] = [IdentifierKind.PHONE]


@pytest.fixture
def node(store: Store) -> Store:
    """An MX node with US and CA registered."""
    mx_node(store)
    return store


def unused(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing was to be sent, but {request.url} was")


CALLS: dict[str, Callable[[Store, Path, httpx.Client], Any]] = {
    "match_partner": lambda s, _, c: match_partner(
        s, partner="GT", token=US_TOKEN, kinds=PHONE, client=c
    ),
    "request_disclosure": lambda s, _, c: request_disclosure(
        s, partner="GT", token=US_TOKEN, handle=HANDLE, reason=None, client=c
    ),
    "refresh_disclosures": lambda s, _, c: refresh_disclosures(
        s, partner="GT", token=US_TOKEN, client=c
    ),
    "match_node_partner": lambda s, k, c: match_node_partner(s, k, "GT", PHONE, client=c),
    "request_node_disclosure": lambda s, k, _: request_node_disclosure(
        s, k, "GT", handle=HANDLE, reason=None, actor="t"
    ),
    "refresh_node_disclosures": lambda s, k, _: refresh_node_disclosures(s, k, "GT", actor="t"),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_party_not_registered_is_refused_with_one_error_and_nothing_is_sent(
    node: Store, tmp_path: Path, call: str
) -> None:
    write_outbound_token(tmp_path, "GT", OUTBOUND)  # a token alone does not make a partner
    with (
        httpx.Client(transport=httpx.MockTransport(unused)) as client,
        pytest.raises(NotAPartner, match=r"^GT is not a registered partner \(run 'enlace"),
    ):
        CALLS[call](node, tmp_path, client)
    assert audit_actions(node) == []


def test_disclosure_calls_present_the_kept_token_and_close_the_clients_they_open(
    node: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_outbound_token(tmp_path, "US", OUTBOUND)
    seen: list[httpx.Request] = []

    def us(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(202, json={"id": 7})
        return httpx.Response(200, json={"status": "approved", "decided_at": None, "reason": None})

    opened: list[httpx.Client] = []

    def partner_client(
        key_dir: Path | None, party: str, timeout: httpx.Timeout | float
    ) -> httpx.Client:
        assert (key_dir, party) == (tmp_path, "US")
        opened.append(httpx.Client(transport=httpx.MockTransport(us)))
        return opened[-1]

    monkeypatch.setattr(session_module, "partner_client", partner_client)
    asked = request_node_disclosure(
        node, tmp_path, "US", handle=HANDLE, reason="same phone", actor="t"
    )
    [decided] = refresh_node_disclosures(node, tmp_path, "US", actor="t")

    assert asked == 7
    assert (decided.remote_id, decided.status) == (7, "approved")
    assert [(r.method, r.url.path) for r in seen] == [
        ("POST", "/matching/v1/disclosures"),
        ("GET", "/matching/v1/disclosures/7"),
    ]
    assert all(r.headers["authorization"] == f"Bearer {OUTBOUND}" for r in seen)
    assert json.loads(seen[0].content) == {"handle": HANDLE, "reason": "same phone"}
    assert len(opened) == 2
    assert all(client.is_closed for client in opened)
