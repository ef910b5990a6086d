"""Threshold mode's count step (umbral): the responder learns how many identifiers are
shared and tells the requester only whether that reaches the agreement's k.

The steps (docs/matching.md, "Modes"):

T1. `POST /offers?kind=K&size=n`: the requester A states the size n of its set and sends
    nothing else. The responder B, within the agreement, answers its m points H(b)^β in an
    order shuffled under a per-run key (the same answer header as round 1, with no
    doubly-blinded values). B keeps β until the count step.
T2. `POST /runs/{run}/count`: A sends its n points H(a)^α and, in an order it shuffled,
    the m values H(b)^βα truncated to the answer's width. B raises A's points to β and
    counts the distinct values both lists hold: that is the size of the intersection, since
    A can only compute H(b)^βα for B's own identifiers (a repeated value counts once). B
    answers one byte, 0 (below k) or 1 (reaches k); after a 1 come H(a)^αβ, whole, in A's
    order, unproved: A checks them as links mode's answer is (`POST /runs/{run}/check`,
    `enlace.matching.responder.check_run`: one DLEQ proof of a random combination drawn by A,
    against the public key B = β·G of T1's answer), finds the links and goes on with round 2
    (claims, handles) as in links mode. β is erased below k, and after the check above it;
    the step cannot be repeated in a run. The count itself is not
    proved: A's word on B's values and B's verdict are trusted there (docs/matching.md).

B learns the count (it computes it: it must, to enforce k without trusting A's word); A
learns only the verdict when it is below k, and the links when it is not.
"""

from __future__ import annotations

import secrets

from enlace.matching import responder
from enlace.matching.agreements import check_within_agreement, statement_of
from enlace.matching.blinding import BlindingPool
from enlace.matching.errors import MatchProtocolError, MatchRefused
from enlace.matching.kinds import MatchKind, kind_domain
from enlace.matching.modes import THRESHOLD, AgreementStatement
from enlace.matching.proofs import public_key
from enlace.matching.psi import (
    MAX_SET_SIZE,
    POINT_BYTES,
    Answer,
    WireFormatError,
    encode_answer,
    fresh_scalar,
    truncate_points,
    truncation_width,
)
from enlace.matching.transcript import Transcript
from enlace.store.repositories.agreements import RESPONDER
from enlace.store.repositories.match_runs import MatchRun
from enlace.store.store import Store

BELOW = b"\x00"
REACHES = b"\x01"
OFFERED = "offered"  # T1 answered; waiting for the count step
REACHED = responder.REACHED  # the count reached k; waiting for the check, then round 2
BELOW_THRESHOLD = "below-threshold"  # finished: the count was below k


def stated_agreement(
    store: Store, *, party: str, partner: str, kind: str, set_size: int
) -> AgreementStatement:
    """Admission: the agreement this node would answer a run of `set_size` under, as it
    states it to `partner`; MatchRefused when it would not answer."""
    parsed, _ = responder.admitted_kind(store, partner=partner, kind=kind, set_size=set_size)
    with store.unit_of_work() as uow:
        agreement = uow.agreements.get(partner, parsed.value)
    assert agreement is not None  # admitted_kind checked it
    return statement_of(agreement, party=party)


def offer_run(
    store: Store, *, party: str, partner: str, kind: MatchKind, size: int, pool: BlindingPool
) -> bytes:
    """T1: this node's blinded set for a threshold run of `size` identifiers of `partner`."""
    if size < 1:
        raise MatchRefused(400, "bad-request", "the set is empty: nothing to match")
    if size > MAX_SET_SIZE:  # sizes travel as 32-bit numbers
        raise MatchRefused(
            413, "set-too-large", f"a set of {size:,} is more than one run can carry"
        )
    with store.unit_of_work() as uow:
        agreement = check_within_agreement(
            uow.agreements, partner=partner, kind=kind.value, set_size=size, now=responder._now()
        )
    statement = statement_of(agreement, party=party)
    if statement.mode != THRESHOLD:
        raise MatchRefused(
            409,
            "wrong-mode",
            f"the agreement with {partner} on {kind.value} is in {statement.mode} mode: "
            "a run starts with POST /runs, not with an offer",
        )
    assert statement.threshold is not None
    secret = fresh_scalar()
    keys = responder._own_keys(store, party, kind, pool)
    seed = secrets.token_bytes(16)
    order = responder._shuffled(keys, seed)
    run_id = secrets.token_bytes(16)
    points = pool.hash_and_blind(kind_domain(kind), [key.encode("utf-8") for key in order], secret)
    answer = encode_answer(
        Answer(
            run_id,
            truncation_width(size, len(order)),
            public_key(secret),
            b"",
            points,
            mode=THRESHOLD,
            threshold=statement.threshold,
            agreement_sha256=bytes.fromhex(statement.agreement_sha256),
            requester_size=size,
        )
    )
    transcript = Transcript(kind.value)
    transcript.add(b"")  # the offer's request carries no body: n is in the answer's header
    transcript.add(answer)
    with store.unit_of_work() as uow:
        responder.expire_waiting(uow)
        agreement = check_within_agreement(
            uow.agreements, partner=partner, kind=kind.value, set_size=size, now=uow.started_at
        )
        _same_agreement(statement, statement_of(agreement, party=party), partner)
        uow.match_runs.add(
            MatchRun(
                id=run_id.hex(),
                role=RESPONDER,
                partner=partner,
                kind=kind.value,
                status=OFFERED,
                started_at=uow.started_at,
                finished_at=None,
                requester_size=size,
                responder_size=len(order),
                overlap=None,
                order_seed=seed.hex(),
                set_digest=responder._set_digest(order),
                transcript_sha256=transcript.hexdigest(),
                mode=THRESHOLD,
                threshold=statement.threshold,
                agreement_sha256=statement.agreement_sha256,
                blinding_scalar=secret.hex(),
            )
        )
        uow.audit.append(
            actor=partner,
            action="match-answered",
            subject=run_id.hex(),
            detail={
                "role": RESPONDER,
                "partner": partner,
                "kind": kind.value,
                "agreement": responder.agreement_terms(agreement),
                **statement.record(),
                "requester_size": size,
                "responder_size": len(order),
                "round1_sha256": transcript.hexdigest(),
            },
        )
        uow.commit()
    return answer


def count_limit(store: Store, *, partner: str, run_id: str) -> int:
    """The exact size of the count step's body for `run_id` (n points and m values)."""
    with store.unit_of_work() as uow:
        run = _offered_run(uow.match_runs.get(run_id, RESPONDER), partner, run_id)
    return _count_body_size(run)


def count_run(
    store: Store, *, party: str, partner: str, run_id: str, body: bytes, pool: BlindingPool
) -> bytes:
    """T2: count the shared identifiers, answer whether they reach k (and, if they do, the
    doubly-blinded values for the links). One try per run: a malformed step ends it."""
    with store.unit_of_work() as uow:
        # Runs past their expiry lose their key first (this one too: it is then refused).
        if responder.expire_waiting(uow):
            uow.commit()
    with store.unit_of_work() as uow:
        run = _offered_run(uow.match_runs.get(run_id, RESPONDER), partner, run_id)
        current = uow.agreements.get(partner, run.kind)
    assert run.responder_size is not None
    assert run.blinding_scalar is not None
    assert run.threshold is not None
    n, m = run.requester_size, run.responder_size
    width = truncation_width(n, m)
    try:
        if len(body) != _count_body_size(run):
            raise MatchProtocolError(
                f"the count step of run {run_id} is {len(body):,} bytes; it must be "
                f"{n:,} points of {POINT_BYTES} bytes then {m:,} values of {width} bytes"
            )
        if current is None or (
            statement_of(current, party=party).agreement_sha256 != run.agreement_sha256
        ):
            raise MatchRefused(
                409,
                "agreement-changed",
                f"the agreement with {partner} on {run.kind} changed during run {run_id}: "
                "run it again",
            )
        secret = bytes.fromhex(run.blinding_scalar)
        sent = body[: n * POINT_BYTES]
        try:
            # Whole points: the link step's check covers them; the count compares prefixes.
            doubly = pool.blind(sent, secret)
        except WireFormatError as error:
            raise MatchProtocolError(f"the count step's points: {error}") from None
    except (MatchProtocolError, MatchRefused) as error:
        _fail(store, run_id)
        if isinstance(error, MatchRefused):
            raise
        raise MatchRefused(400, "bad-request", str(error)) from None
    compared = truncate_points(doubly, width)
    ours = {compared[i : i + width] for i in range(0, len(compared), width)}
    returned = body[n * POINT_BYTES :]
    # A set: a value the requester repeats counts once, so it cannot inflate the count.
    theirs = {returned[i : i + width] for i in range(0, len(returned), width)}
    count = len(ours & theirs)
    reached = count >= run.threshold
    # Checked only when the links follow (`responder.check_run`): a run below k costs none.
    answer = REACHES + doubly if reached else BELOW
    transcript = Transcript(run.kind, before=run.transcript_sha256)
    transcript.add(body)
    transcript.add(answer)
    with store.unit_of_work() as uow:
        if reached:
            # β is kept for the check (erased by it, or by the run's expiry).
            uow.match_runs.advance(
                run_id,
                RESPONDER,
                status=REACHED,
                transcript_sha256=transcript.hexdigest(),
                keep_scalar=True,
            )
        else:
            uow.match_runs.finish(
                run_id,
                RESPONDER,
                status=BELOW_THRESHOLD,
                at=uow.started_at,
                overlap=count,
                transcript_sha256=transcript.hexdigest(),
            )
            uow.audit.append(
                actor=partner,
                action="match-run",
                subject=run_id,
                detail={
                    "role": RESPONDER,
                    "partner": partner,
                    "kind": run.kind,
                    "agreement": None if current is None else responder.agreement_terms(current),
                    "mode": THRESHOLD,
                    "threshold": run.threshold,
                    "agreement_sha256": run.agreement_sha256,
                    "requester_size": n,
                    "responder_size": m,
                    "overlap": count,
                    "reached": False,
                    "records": 0,
                    "transcript_sha256": transcript.hexdigest(),
                },
            )
        uow.commit()
    return answer


def _count_body_size(run: MatchRun) -> int:
    assert run.responder_size is not None
    width = truncation_width(run.requester_size, run.responder_size)
    return run.requester_size * POINT_BYTES + run.responder_size * width


def _offered_run(run: MatchRun | None, partner: str, run_id: str) -> MatchRun:
    if run is None or run.partner != partner:
        raise MatchRefused(404, "unknown-run", f"no run {run_id} of {partner} here")
    if run.mode != THRESHOLD or run.status != OFFERED:
        raise MatchRefused(
            409,
            "run-finished",
            f"run {run_id} is not a threshold run waiting for its count step "
            f"(it is {run.mode or 'links'}, {run.status})",
        )
    return run


def _fail(store: Store, run_id: str) -> None:
    with store.unit_of_work() as uow:
        uow.match_runs.finish(run_id, RESPONDER, status="failed", at=uow.started_at)
        uow.commit()


def _same_agreement(stated: AgreementStatement, now: AgreementStatement, partner: str) -> None:
    if stated.agreement_sha256 != now.agreement_sha256:
        raise MatchRefused(
            409,
            "agreement-changed",
            f"the agreement with {partner} on {stated.kind} changed while the run was "
            "answered: run it again",
        )
