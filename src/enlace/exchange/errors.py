"""Errors of the exchange between nodes; each message names the record and says why."""

from __future__ import annotations

from typing import Literal

SignatureProblem = Literal["malformed-signature", "malformed-key", "mismatch", "not-canonical"]


class ExchangeError(Exception):
    """Something received from or sent to a partner cannot be accepted; the message says why."""


class CanonicalFormError(ExchangeError):
    """A record cannot be written in RFC 8785 canonical JSON, so it can be neither signed nor
    verified (a number outside what JSON interoperably carries, a key that is not text, ...)."""

    def __init__(self, record_id: str, reason: str) -> None:
        self.record_id = record_id
        self.reason = reason
        super().__init__(f"record {record_id} has no canonical JSON form (RFC 8785): {reason}")


class SignatureInvalid(ExchangeError):
    """A record's signature does not prove that the registered key signed this content.

    `problem` says which check failed: the signature text is malformed, the registered
    key is malformed, the record is not canonicalisable, or the signature does not match
    (the content changed after signing, or another key signed it: Ed25519 cannot tell
    these two apart, and either way the record must be refused).
    """

    def __init__(self, record_id: str, problem: SignatureProblem, reason: str) -> None:
        self.record_id = record_id
        self.problem = problem
        self.reason = reason
        super().__init__(f"signature of record {record_id} refused: {reason}")
