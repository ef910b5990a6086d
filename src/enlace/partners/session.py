"""One open line to a partner: who it is, the token this node presents to it, the client.

Every call this node makes to a partner (a match run, a disclosure request, asking what
became of one) goes through a `PartnerSession`, so the registration is checked, the token is
read and the client is opened (TLS verified, `enlace.partners.transport.partner_client`) the
same way each time, and the client is closed however the work ends.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from enlace.partners.credentials import read_outbound_token
from enlace.partners.registry import registered_partner
from enlace.partners.transport import partner_client
from enlace.store.repositories.partners import Partner
from enlace.store.unit_of_work import UnitOfWorkFactory


class PartnerSession:
    """A registered partner, the token this node presents to it and an HTTP client to it;
    a context manager that closes the client if it opened it."""

    def __init__(
        self, partner: Partner, token: str, client: httpx.Client, *, owns_client: bool
    ) -> None:
        self.partner = partner
        self.token = token
        self.client = client
        self._owns_client = owns_client

    @classmethod
    def open(
        cls,
        store: UnitOfWorkFactory,
        party: str,
        *,
        timeout: httpx.Timeout | float,
        key_dir: Path | None = None,
        token: str | None = None,
        client: httpx.Client | None = None,
    ) -> PartnerSession:
        """A session with `party`, checked in this order: it is registered (NotAPartner),
        there is a token to present (NodeError saying how to get one), its trust file is
        usable (NodeError).

        `token` is presented as given; without it, the one kept for `party` in `key_dir` is.
        `client` is used as given and left open (tests talk to an in-process app through
        one); without it, a client is opened that trusts the certificate(s) kept for `party`
        in `key_dir` (the system's CAs when `key_dir` is None or keeps none), and closed with
        the session.
        """
        # Read in a unit of work of its own, closed before any call: a transaction is never
        # held open across the network.
        with store.unit_of_work() as uow:
            partner = registered_partner(uow, party)
        if token is None:
            if key_dir is None:
                raise ValueError("give the token to present, or the key folder it is kept in")
            token = read_outbound_token(key_dir, party)
        if client is not None:
            return cls(partner, token, client, owns_client=False)
        # Opened last, so no earlier refusal leaves a client open.
        return cls(partner, token, partner_client(key_dir, party, timeout), owns_client=True)

    @property
    def party(self) -> str:
        """The partner's party code."""
        return self.partner.party

    @property
    def authorization(self) -> dict[str, str]:
        """The header that presents this node's token to the partner."""
        return {"Authorization": f"Bearer {self.token}"}

    def close(self) -> None:
        """Close the client if this session opened it; one given to it stays open."""
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
