"""Errors of the partner boundary a user can meet; each says which party and what to do."""

from __future__ import annotations

from enlace.node.errors import NodeError


class NotAPartner(NodeError):
    """`party` is not registered as a partner of this node, so nothing can be asked of it,
    sent to it or agreed with it.

    A NodeError, as every caller raised before this type existed: the command line and the
    web pages already show one of those as one line."""

    def __init__(self, party: str) -> None:
        self.party = party
        super().__init__(
            f"{party} is not a registered partner (run 'enlace partner add --party {party} "
            "--url URL --key HEX')"
        )
