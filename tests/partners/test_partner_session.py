"""The partner boundary: one refusal of a party not registered, one session to a partner."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from enlace.node.errors import NodeError
from enlace.partners import session as session_module
from enlace.partners.credentials import write_outbound_token
from enlace.partners.errors import NotAPartner
from enlace.partners.registry import registered_partner
from enlace.partners.session import PartnerSession
from enlace.store.store import Store
from support.exchange import US_TOKEN, mx_node

OUTBOUND = "mx-presents-this-to-us-0123456789"


@pytest.fixture
def node(store: Store) -> Store:
    """An MX node with US and CA registered."""
    mx_node(store)
    return store


def refuse_everything(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request was to be sent, but {request.url} was")


def test_a_registered_partner_is_found_and_any_other_party_is_not_a_partner(node: Store) -> None:
    with node.unit_of_work() as uow:
        assert registered_partner(uow, "US").url == "https://us.example"
        with pytest.raises(NotAPartner) as refused:
            registered_partner(uow, "GT")
    assert refused.value.party == "GT"
    assert str(refused.value) == (
        "GT is not a registered partner (run 'enlace partner add --party GT --url URL --key HEX')"
    )
    # The command line and the web pages show a NodeError as one line: so is this.
    assert isinstance(refused.value, NodeError)


def test_a_session_to_a_party_not_registered_is_refused_before_its_token_is_looked_for(
    node: Store, tmp_path: Path
) -> None:
    # No token is kept for GT either: the refusal says what is wrong first, not that.
    with pytest.raises(NotAPartner, match="GT is not a registered partner"):
        PartnerSession.open(node, "GT", timeout=5.0, key_dir=tmp_path)


def test_a_session_presents_the_token_kept_in_the_key_folder_and_closes_its_client(
    node: Store, tmp_path: Path
) -> None:
    write_outbound_token(tmp_path, "US", OUTBOUND)
    with PartnerSession.open(node, "US", timeout=5.0, key_dir=tmp_path) as session:
        assert (session.party, session.partner.url) == ("US", "https://us.example")
        assert session.token == OUTBOUND
        assert session.authorization == {"Authorization": f"Bearer {OUTBOUND}"}
        assert not session.client.is_closed
    assert session.client.is_closed


def test_a_session_without_a_kept_token_says_how_to_get_one(node: Store, tmp_path: Path) -> None:
    with pytest.raises(NodeError, match="no token to present to US"):
        PartnerSession.open(node, "US", timeout=5.0, key_dir=tmp_path)


def test_a_client_given_to_a_session_is_used_and_left_open(node: Store) -> None:
    given = httpx.Client(transport=httpx.MockTransport(refuse_everything))
    with PartnerSession.open(node, "US", timeout=5.0, token=US_TOKEN, client=given) as session:
        assert session.client is given
        assert session.token == US_TOKEN
    assert not given.is_closed
    given.close()


def test_a_session_opens_its_client_with_the_partners_trust_and_timeout(
    node: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[tuple[Path | None, str, httpx.Timeout | float]] = []

    def partner_client(
        key_dir: Path | None, party: str, timeout: httpx.Timeout | float
    ) -> httpx.Client:
        opened.append((key_dir, party, timeout))
        return httpx.Client(transport=httpx.MockTransport(refuse_everything))

    monkeypatch.setattr(session_module, "partner_client", partner_client)
    with PartnerSession.open(node, "US", timeout=7.0, key_dir=tmp_path, token=US_TOKEN):
        pass
    with PartnerSession.open(node, "US", timeout=9.0, token=US_TOKEN):
        pass
    # With the key folder its trust file is used; without, the system's CAs.
    assert opened == [(tmp_path, "US", 7.0), (None, "US", 9.0)]


def test_a_session_needs_a_token_or_the_folder_it_is_kept_in(node: Store) -> None:
    with pytest.raises(ValueError, match="give the token to present"):
        PartnerSession.open(node, "US", timeout=5.0)
