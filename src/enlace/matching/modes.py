"""Matching modes (modos de cotejo): what an agreement lets the requester learn, and the
digest that binds a run to the agreement it ran under.

``links`` (vínculos): which of its identifiers the responder also holds, and the handles of
the records holding them (the protocol of enlace.matching.psi). ``count`` (solo conteo):
only how many; the responder shuffles the doubly-blinded values it returns, so no position
says which, and there is no second round. ``threshold`` (umbral) with a k: a count step that
tells both sides only whether at least k identifiers are shared (the responder learns the
count itself: docs/matching.md says why), then the links only if they are.

The responder states its agreement at admission (`AgreementStatement`, JSON) and in every
answer's header (mode, k and the agreement's digest, so the transcript digest covers them);
the requester recomputes the digest from the stated terms and checks the mode is one it
accepts before it blinds anything.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
import rfc8785

from enlace.matching.errors import MatchingError, MatchProtocolError

LINKS = "links"
COUNT = "count"
THRESHOLD = "threshold"
MODES = (LINKS, COUNT, THRESHOLD)
# The mode's byte in an answer's header (enlace.matching.psi).
MODE_CODES = {LINKS: 0, COUNT: 1, THRESHOLD: 2}
MODE_OF_CODE = {code: mode for mode, code in MODE_CODES.items()}
# The matching protocol this node speaks; stated at admission. 3: modes and the agreement's
# digest (admission answers JSON), the responder's per-run key and proofs of its blinding
# (answers start with EPS3). 4: the blinding checked once per run, after the answer, by a
# random combination the responder proves (answers start with EPS4, `POST …/check`). 5: the
# deconfliction of operations, kind `operation` and `POST …/contacts` after round 2 (answers
# unchanged: EPS4). A node of protocol 1 answers admission with 204 and no body.
PROTOCOL = 5
_DIGEST_DOMAIN = "enlace-match-agreement-v1"


class ModeNotAccepted(MatchingError):
    """The partner's agreement is in a mode this requester did not accept for the run."""


def check_terms(mode: str, threshold: int | None, max_set_size: int) -> None:
    """MatchingError saying what is wrong with a mode and threshold, if anything."""
    if mode not in MODES:
        raise MatchingError(f"unknown matching mode {mode!r}: expected one of {', '.join(MODES)}")
    if mode == THRESHOLD:
        if threshold is None:
            raise MatchingError(
                "threshold mode needs --threshold K: the least shared identifiers for links"
            )
        # k travels as a 32-bit number in an answer's header, as the set sizes do.
        if not 1 <= threshold <= min(max_set_size, 2**32 - 1):
            raise MatchingError(
                f"--threshold must be from 1 to the agreement's --max-set-size "
                f"({min(max_set_size, 2**32 - 1):,}), found {threshold:,}"
            )
    elif threshold is not None:
        raise MatchingError(f"--threshold applies to threshold mode only, not to {mode} mode")


def parse_modes(names: Iterable[str]) -> tuple[str, ...]:
    """The modes named (each checked), in the order given; MatchingError for an unknown one."""
    chosen = tuple(dict.fromkeys(name.strip().lower() for name in names))
    unknown = [name for name in chosen if name not in MODES]
    if unknown:
        raise MatchingError(
            f"unknown matching mode {unknown[0]!r}: expected one of {', '.join(MODES)}"
        )
    return chosen


def agreement_sha256(
    *,
    requester: str,
    responder: str,
    kind: str,
    mode: str,
    threshold: int | None,
    max_set_size: int,
    runs_per_day: int,
) -> str:
    """SHA-256 (hex) of the RFC 8785 canonical JSON of an agreement's terms.

    Both parties compute it from the same terms (the requester from those stated at
    admission), so each can show the run it recorded ran under these terms.
    """
    terms = {
        "domain": _DIGEST_DOMAIN,
        "requester": requester,
        "responder": responder,
        "kind": kind,
        "mode": mode,
        "threshold": threshold,
        "max_set_size": max_set_size,
        "runs_per_day": runs_per_day,
    }
    return hashlib.sha256(rfc8785.dumps(terms)).hexdigest()


@dataclass(frozen=True, slots=True)
class AgreementStatement:
    """The responder's agreement for one (requester, kind), as stated at admission."""

    kind: str
    mode: str
    threshold: int | None
    max_set_size: int
    runs_per_day: int
    agreement_sha256: str

    def to_json(self) -> dict[str, Any]:
        """The admission answer's body."""
        return {
            "protocol": PROTOCOL,
            "kind": self.kind,
            "mode": self.mode,
            "threshold": self.threshold,
            "max_set_size": self.max_set_size,
            "runs_per_day": self.runs_per_day,
            "agreement_sha256": self.agreement_sha256,
        }

    def record(self) -> dict[str, Any]:
        """What the audit entries of a run say of its agreement."""
        return {
            "mode": self.mode,
            "threshold": self.threshold,
            "agreement_sha256": self.agreement_sha256,
        }


def read_statement(body: bytes, *, requester: str, responder: str, kind: str) -> AgreementStatement:
    """The responder's admission answer, checked: the protocol, the kind asked for, a known
    mode with sane terms, and a digest that is that of the terms; MatchProtocolError else."""
    try:
        value: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise MatchProtocolError(
            f"{responder} answered admission on {kind} without a JSON statement of its "
            f"agreement: it speaks an older matching protocol (this node speaks {PROTOCOL}); "
            "both nodes must run the same Enlace release"
        )
    if value.get("protocol") != PROTOCOL:
        raise MatchProtocolError(
            f"{responder} speaks matching protocol {str(value.get('protocol'))[:20]}, this "
            f"node speaks {PROTOCOL}: both nodes must run the same Enlace release"
        )
    mode, threshold = value.get("mode"), value.get("threshold")
    size, runs = value.get("max_set_size"), value.get("runs_per_day")
    digest = value.get("agreement_sha256")
    if not (
        value.get("kind") == kind
        and isinstance(mode, str)
        and isinstance(size, int)
        and _count(size)
        and isinstance(runs, int)
        and _count(runs)
        and (threshold is None or _count(threshold))
        and isinstance(digest, str)
    ):
        raise MatchProtocolError(
            f"{responder}'s statement of its agreement on {kind} is malformed (expected kind, "
            "mode, threshold, max_set_size, runs_per_day and agreement_sha256)"
        )
    try:
        check_terms(mode, threshold, size)
    except MatchingError as error:
        raise MatchProtocolError(f"{responder}'s agreement on {kind}: {error}") from None
    expected = agreement_sha256(
        requester=requester,
        responder=responder,
        kind=kind,
        mode=mode,
        threshold=threshold,
        max_set_size=size,
        runs_per_day=runs,
    )
    if digest != expected:
        raise MatchProtocolError(
            f"{responder} stated an agreement digest on {kind} that is not that of the terms "
            f"it stated ({digest[:64]!r}, expected {expected})"
        )
    return AgreementStatement(kind, mode, threshold, size, runs, digest)


def check_accepted(statement: AgreementStatement, accepted: Iterable[str], responder: str) -> None:
    """ModeNotAccepted unless the stated mode is one of `accepted`."""
    allowed = tuple(accepted)
    if statement.mode not in allowed:
        raise ModeNotAccepted(
            f"{responder} answers {statement.kind} in {statement.mode} mode, which this run does "
            f"not accept (accepted: {', '.join(allowed)}); nothing was sent"
        )


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**63


def shuffle_values(values: bytes, width: int) -> bytes:
    """Count mode: the doubly-blinded values in a fresh random order, so that no position
    tells the requester which of its identifiers matched. The order is drawn from the
    system's random source per run and kept nowhere."""
    chunks = [values[i : i + width] for i in range(0, len(values), width)]
    random.Random(secrets.randbits(256)).shuffle(chunks)
    return b"".join(chunks)
