"""Errors of private matching a user can meet; each says what, with whom and what to do."""

from __future__ import annotations

from enlace.exchange.errors import ExchangeError


class MatchingError(ExchangeError):
    """A matching run, agreement or disclosure could not go ahead; the message says why."""


class UnknownMatchKind(MatchingError):
    """A kind of identifier that private matching does not compare."""

    def __init__(self, kind: str, known: tuple[str, ...]) -> None:
        self.kind = kind
        super().__init__(f"unknown identifier kind {kind!r}: expected one of {', '.join(known)}")


class MatchRefused(MatchingError):
    """The responder would not run the match (outside the agreement, a bad request, ...).

    `status` is the HTTP status the responder answers with, `reason` the short machine word
    (no-agreement, set-too-large, too-many-runs, bad-request, unknown-run, set-changed, ...).
    """

    def __init__(self, status: int, reason: str, detail: str) -> None:
        self.status = status
        self.reason = reason
        self.detail = detail
        super().__init__(detail)


class PartnerRefusedMatch(MatchingError):
    """What the requester sees when the partner refused: the partner's own words."""

    def __init__(self, partner: str, kind: str, status: int, detail: str) -> None:
        self.partner = partner
        self.kind = kind
        self.status = status
        self.detail = detail
        super().__init__(f"{partner} refused to match {kind}: {detail} (HTTP {status})")


class MatchProtocolError(MatchingError):
    """A message of the protocol is malformed (wrong length, wrong header, bad point)."""


class MatchProofFailed(MatchProtocolError):
    """The partner's answer fails the check that it blinded our points with the run's key:
    the run is aborted, nothing of it is used or recorded (but the audit entry)."""

    def __init__(self, partner: str, kind: str, run_id: str, reason: str, *, told: bool) -> None:
        self.partner = partner
        self.kind = kind
        self.run_id = run_id
        self.reason = reason
        self.told = told
        said = "told" if told else "could not be told"
        super().__init__(
            f"{partner}'s answer to run {run_id} on {kind} failed its check: {reason}; "
            f"the run was aborted and nothing was recorded ({partner} {said} so)"
        )


class DisclosureError(MatchingError):
    """A disclosure request cannot be made, approved or refused; the message says why."""
