"""The responder's side of a run: answer a partner's blinded set, then learn what matched.

Services over the store (each does its work in units of work and commits once per step);
`enlace.matching.api` puts them behind HTTP. Every refusal raises MatchRefused; the caller
audits it with `record_refusal`, so a refused run writes nothing but that audit entry.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select

from enlace.matching.agreements import check_within_agreement, statement_of
from enlace.matching.blinding import BlindingPool
from enlace.matching.errors import MatchRefused, UnknownMatchKind
from enlace.matching.kinds import OPERATION, MatchKind, kind_domain, own_identifiers, parse_kind
from enlace.matching.modes import COUNT, THRESHOLD, shuffle_values
from enlace.matching.names.store import NameKeys, own_name_keys
from enlace.matching.operations import record_responder_notices
from enlace.matching.proofs import answer_check, public_key, read_check
from enlace.matching.psi import (
    MAX_CLAIMED_KEY,
    POINT_BYTES,
    Answer,
    WireFormatError,
    check_points,
    decode_claims,
    encode_answer,
    encode_handles,
    fresh_scalar,
    truncation_width,
)
from enlace.matching.transcript import Transcript
from enlace.model.text import holds_control_characters
from enlace.model.timestamps import format_timestamp, parse_timestamp, utc_now
from enlace.store.repositories.agreements import RESPONDER, MatchAgreement
from enlace.store.repositories.match_runs import MatchRun, MatchRunRepository
from enlace.store.repositories.matches import HitNotice
from enlace.store.store import Store
from enlace.store.tables import records
from enlace.store.unit_of_work import UnitOfWork

_CHUNK = 500
ANSWERED = "answered"  # links mode: answered, waiting for the requester's check
REACHED = "reached"  # threshold mode: the count reached k, waiting for the check
CHECKED = "checked"  # the check passed: waiting for round 2
# How long a run may wait for its next step (the check, or threshold mode's count step)
# while this node keeps its blinding scalar: past it the scalar is erased and the run
# expired, by the next run, check or count step on this node. An hour is many times what
# the requester's side of the check takes (two multiplications per point: about a quarter
# of an hour at 10,000,000 points on two cores).
RUN_EXPIRY = timedelta(hours=1)


def admitted_kind(
    store: Store, *, partner: str, kind: str, set_size: int | None = None
) -> tuple[MatchKind, int]:
    """The kind asked for and the agreement's cap on the set size, if the agreement allows
    a run now (of `set_size` identifiers, when given); MatchRefused otherwise.

    Checked before a body is read, and by the requester before it blinds anything (the
    admission route), so a refused run costs neither side any blinding.
    """
    try:
        parsed = parse_kind(kind)
    except UnknownMatchKind as error:
        raise MatchRefused(400, "unknown-kind", str(error)) from None
    with store.unit_of_work() as uow:
        agreement = check_within_agreement(
            uow.agreements,
            partner=partner,
            kind=parsed.value,
            set_size=set_size,
            now=_now(),
        )
    return parsed, agreement.max_set_size


def answer_run(
    store: Store,
    *,
    party: str,
    partner: str,
    kind: MatchKind,
    points: bytes,
    pool: BlindingPool,
) -> bytes:
    """Blind the partner's points and this node's own set; record and audit the run."""
    try:
        n = check_points(points, "the blinded set")
    except WireFormatError as error:
        raise MatchRefused(400, "bad-request", str(error)) from None
    if n == 0:
        raise MatchRefused(400, "bad-request", "the blinded set is empty: nothing to match")
    with store.unit_of_work() as uow:
        agreed = check_within_agreement(
            uow.agreements,
            partner=partner,
            kind=kind.value,
            set_size=n,
            now=_now(),
        )
    statement = statement_of(agreed, party=party)
    if statement.mode == THRESHOLD:
        raise MatchRefused(
            409,
            "wrong-mode",
            f"the agreement with {partner} on {kind.value} is in threshold mode "
            f"(k = {statement.threshold}): a run starts with an offer "
            "(enlace.matching.threshold), not with the blinded set",
        )
    secret = fresh_scalar()
    keys = _own_keys(store, party, kind, pool)
    width = truncation_width(n, len(keys))
    seed = secrets.token_bytes(16)
    order = _shuffled(keys, seed)
    run_id = secrets.token_bytes(16)
    counted = statement.mode == COUNT
    # The partner's points and this node's own set are blinded side by side; a bad point
    # is refused before anything is written, and the own set's work is then dropped. In
    # links mode the partner's points come back whole, unproved: the requester checks them
    # after the answer (`check_run`), so β is kept with the run until then. In count mode
    # they come back truncated and shuffled, unproved (docs/matching.md says why).
    theirs = pool.start_blind(points, secret, width=width if counted else POINT_BYTES)
    ours = pool.start_hash_and_blind(
        kind_domain(kind), [key.encode("utf-8") for key in order], secret
    )
    try:
        # Hashed here while the pool's workers blind: the same bytes the requester sent.
        transcript = Transcript(kind.value)
        transcript.add(points)
        try:
            doubly = theirs.result()
            if counted:
                # Positions lost: only a count is learned.
                doubly = shuffle_values(doubly, width)
        except WireFormatError as error:
            ours.cancel()  # not wanted any more (on a node's queue: its batch is deleted)
            raise MatchRefused(400, "bad-request", str(error)) from None
        # The answer is made before the run is recorded, so that its digest is recorded
        # with it (round 2 may reach another process: nothing is kept in memory). The
        # digest covers the public key: both sides audit the key the check refers to.
        answer = encode_answer(
            Answer(
                run_id,
                width,
                public_key(secret),
                doubly,
                ours.result(),
                mode=statement.mode,
                agreement_sha256=bytes.fromhex(statement.agreement_sha256),
            )
        )
        transcript.add(answer)
        with store.unit_of_work() as uow:
            expire_waiting(uow)
            # Checked again where the run is recorded: two runs at once cannot both pass.
            agreement = check_within_agreement(
                uow.agreements,
                partner=partner,
                kind=kind.value,
                set_size=n,
                now=uow.started_at,
            )
            if statement_of(agreement, party=party).agreement_sha256 != (
                statement.agreement_sha256
            ):
                raise MatchRefused(
                    409,
                    "agreement-changed",
                    f"the agreement with {partner} on {kind.value} changed while the run was "
                    "answered: run it again",
                )
            uow.match_runs.add(
                MatchRun(
                    id=run_id.hex(),
                    role=RESPONDER,
                    partner=partner,
                    kind=kind.value,
                    # Count mode has no round 2: the run is over once answered.
                    status="completed" if counted else ANSWERED,
                    started_at=uow.started_at,
                    finished_at=uow.started_at if counted else None,
                    requester_size=n,
                    responder_size=len(order),
                    overlap=None,
                    order_seed=None if counted else seed.hex(),
                    set_digest=None if counted else _set_digest(order),
                    transcript_sha256=transcript.hexdigest(),
                    mode=statement.mode,
                    agreement_sha256=statement.agreement_sha256,
                    # Links mode: kept for the requester's check only (erased by it, by the
                    # run's end or by its expiry).
                    blinding_scalar=None if counted else secret.hex(),
                )
            )
            # Round 1 answered: the whole run's "match-run" entry is written at round 2,
            # or now in count mode (this node does not learn the count).
            uow.audit.append(
                actor=partner,
                action="match-run" if counted else "match-answered",
                subject=run_id.hex(),
                detail={
                    "role": RESPONDER,
                    "partner": partner,
                    "kind": kind.value,
                    "agreement": agreement_terms(agreement),
                    **statement.record(),
                    "requester_size": n,
                    "responder_size": len(order),
                    **(
                        {"overlap": None, "records": 0, "transcript_sha256": transcript.hexdigest()}
                        if counted
                        else {"round1_sha256": transcript.hexdigest()}
                    ),
                },
            )
            uow.commit()
    except BaseException:
        ours.cancel()
        raise
    return answer


def check_run(store: Store, *, partner: str, run_id: str, body: bytes) -> bytes:
    """The requester's check of this node's blinding (docs/matching.md, "Proofs"): the body
    is a seed, M and Z (`enlace.matching.proofs.read_check`); when Z = β·M, answer the one
    DLEQ proof of it under the run's key B = β·G and audit `match-checked`; when not, mark
    the run aborted, audit `match-check-failed` and refuse it (409, `check-failed`). β is
    erased either way: one question per run (a second is refused, 409, `check-asked`).

    This node does not keep the requester's points, so it cannot recompute M itself: it
    answers whether Z = β·M for the M the requester sent. That is one decisional
    Diffie–Hellman question on a point of the requester's choosing, asked once per run and
    recorded; docs/matching.md says why it tells the requester nothing it could use.
    """
    with store.unit_of_work() as uow:
        runs = uow.match_runs
        run = runs.get(run_id, RESPONDER)
        if run is None or run.partner != partner:
            raise MatchRefused(404, "unknown-run", f"no run {run_id} of {partner} here")
        if run.status == CHECKED:
            raise MatchRefused(
                409,
                "check-asked",
                f"run {run_id} was checked already: a run answers one check",
            )
        if run.status not in (ANSWERED, REACHED) or run.blinding_scalar is None:
            raise MatchRefused(
                409,
                "run-finished",
                f"run {run_id} is {run.status}: it waits for no check",
            )
        if _expired(run, uow.started_at):
            expire_waiting(uow)  # this run among them
            uow.commit()
            raise MatchRefused(
                409,
                "run-expired",
                f"run {run_id} waited longer than {RUN_EXPIRY} for its check: its key was "
                "erased; run it again",
            )
    try:
        _, m, z = read_check(body)
    except WireFormatError as error:
        raise MatchRefused(400, "bad-request", str(error)) from None
    proof = answer_check(bytes.fromhex(run.blinding_scalar), m, z)
    transcript = Transcript(run.kind, before=run.transcript_sha256)
    transcript.add(body)
    transcript.add(proof or b"")
    detail = {
        "role": RESPONDER,
        "partner": partner,
        "kind": run.kind,
        "mode": run.mode,
        "before_sha256": run.transcript_sha256,
        "check_sha256": hashlib.sha256(body).hexdigest(),
    }
    waiting = (ANSWERED, REACHED)
    with store.unit_of_work() as uow:
        expire_waiting(uow)
        # Conditional on the run still waiting: of two checks racing, one is answered.
        if proof is None:
            moved = uow.match_runs.finish(
                run_id, RESPONDER, status="aborted", at=uow.started_at, only_from=waiting
            )
        else:
            moved = uow.match_runs.advance(
                run_id,
                RESPONDER,
                status=CHECKED,
                transcript_sha256=transcript.hexdigest(),
                only_from=waiting,
            )
        if not moved:
            raise MatchRefused(
                409, "check-asked", f"run {run_id} was checked already: a run answers one check"
            )
        uow.audit.append(
            actor=partner,
            action="match-check-failed" if proof is None else "match-checked",
            subject=run_id,
            detail={**detail, "transcript_sha256": transcript.hexdigest()},
        )
        uow.commit()
    if proof is None:
        raise MatchRefused(
            409,
            "check-failed",
            f"the check of run {run_id} does not hold: Z is not M raised to this node's key "
            "for the run; the run is aborted",
        )
    return proof


def expire_waiting(uow: UnitOfWork) -> int:
    """Erase the blinding scalars of runs that waited longer than RUN_EXPIRY for their
    next step, marking them expired, each audited as `match-expired` so the node's log shows
    the runs a partner began and left (called by each new run, check and count step). How
    many."""
    now = uow.started_at
    cutoff = format_timestamp(parse_timestamp(now, field="now") - RUN_EXPIRY)
    expired = uow.match_runs.expire_waiting(RESPONDER, started_before=cutoff, at=now)
    for run in expired:
        uow.audit.append(
            actor=run.partner,
            action="match-expired",
            subject=run.id,
            detail={
                "role": RESPONDER,
                "partner": run.partner,
                "kind": run.kind,
                "mode": run.mode,
                "started_at": run.started_at,
                "transcript_sha256": run.transcript_sha256,
            },
        )
    return len(expired)


def _expired(run: MatchRun, now: str) -> bool:
    started = parse_timestamp(run.started_at, field="started_at")
    return parse_timestamp(now, field="now") - started > RUN_EXPIRY


def positions_limit(store: Store, *, partner: str, run_id: str) -> int:
    """The most bytes the claims of `run_id` can take (a position, a length and a key)."""
    with store.unit_of_work() as uow:
        run = _answered_run(uow.match_runs, partner, run_id)
    assert run.responder_size is not None
    return (5 + 2 + MAX_CLAIMED_KEY) * min(run.requester_size, run.responder_size)


def complete_run(
    store: Store,
    *,
    party: str,
    partner: str,
    run_id: str,
    body: bytes,
    pool: BlindingPool | None = None,
) -> bytes:
    """Check the claimed matches, give the owners hit notices, answer their handles.

    Each claim names a position in this node's list and the key the requester says is
    there; a claim whose key is not this node's at that position refuses the whole round
    (422, `false-claim`): the run is marked failed and no hit notice is recorded.
    `pool`: the server's blinding pool, whose `name_keys` rebuild a name kind's set (a
    node's workers, when it has them); without it, this process.
    """
    with store.unit_of_work() as uow:
        runs = uow.match_runs
        run = _answered_run(runs, partner, run_id)
        assert run.responder_size is not None
        assert run.order_seed is not None
        try:
            claims = decode_claims(
                body,
                responder_size=run.responder_size,
                most=min(run.requester_size, run.responder_size),
            )
        except WireFormatError as error:
            raise MatchRefused(400, "bad-request", f"matched positions: {error}") from None
        positions = [position for position, _ in claims]
        kind = parse_kind(run.kind)
        # The set again, as round 1 had it (its name keys derived where round 1's were).
        name_keys: NameKeys = own_name_keys if pool is None else pool.name_keys
        held = own_identifiers(uow.connection, party, kind, name_keys=name_keys)
        order = _shuffled(list(held), bytes.fromhex(run.order_seed))
        if _set_digest(order) != run.set_digest:
            runs.finish(run_id, RESPONDER, status="failed", at=uow.started_at)
            uow.commit()
            raise MatchRefused(
                409,
                "set-changed",
                f"this node's {kind.value} identifiers changed during run {run_id}: run it again",
            )
        false = check_claims(order, claims)
        if false:
            runs.finish(run_id, RESPONDER, status="failed", at=uow.started_at)
            uow.commit()
            raise MatchRefused(
                422,
                "false-claim",
                f"{len(false)} of the {len(claims)} matches claimed in run {run_id} are not "
                f"this node's {kind.value} identifiers at those positions (the first at "
                f"position {false[0]}): no hit notice was recorded",
            )
        matched = [held[order[p]] for p in positions]
        handles = uow.handles.handles_for(
            partner, (rid for ids in matched for rid in ids), at=uow.started_at
        )
        if kind is OPERATION:
            # Operations are not records: their liaisons get deconfliction notices instead,
            # whose contacts the requester exchanges next (enlace.matching.operations).
            notices = []
            record_responder_notices(
                uow, partner=partner, run_id=run_id, matched=[order[p] for p in positions]
            )
        else:
            authors = _authors(uow.connection, list(handles))
            notices = [
                HitNotice(run_id, rid, partner, kind.value, authors.get(rid), uow.started_at)
                for rid in handles
            ]
            uow.matches.add_hit_notices(notices)
        answer = encode_handles([[bytes.fromhex(handles[rid]) for rid in ids] for ids in matched])
        digest = None
        if run.transcript_sha256 is not None:  # None: answered before migration 13
            transcript = Transcript(kind.value, before=run.transcript_sha256)
            transcript.add(body)
            transcript.add(answer)
            digest = transcript.hexdigest()
        runs.finish(
            run_id,
            RESPONDER,
            status="completed",
            at=uow.started_at,
            overlap=len(positions),
            transcript_sha256=digest,
        )
        agreement = uow.agreements.get(partner, kind.value)
        uow.audit.append(
            actor=partner,
            action="match-run",
            subject=run_id,
            detail={
                "role": RESPONDER,
                "partner": partner,
                "kind": kind.value,
                "agreement": None if agreement is None else agreement_terms(agreement),
                "mode": run.mode,
                "threshold": run.threshold,
                "agreement_sha256": run.agreement_sha256,
                "reached": True if run.mode == THRESHOLD else None,
                "requester_size": run.requester_size,
                "responder_size": run.responder_size,
                "overlap": len(positions),
                "records": len(notices),
                "transcript_sha256": digest,
            },
        )
        # One entry for the run's hit notices, not one each: a large run has hundreds of
        # thousands. The digest over the notices' record ids chains them into the log, so
        # a notice removed or added later shows against it. (An operation run's notices
        # have their own entry: `deconfliction-match`.)
        if kind is not OPERATION:
            uow.audit.append(
                actor=partner,
                action="hit-notices",
                subject=run_id,
                detail={
                    "role": RESPONDER,
                    "kind": kind.value,
                    "partner": partner,
                    "overlap": len(positions),
                    "records": len(notices),
                    "records_sha256": notices_digest(notices),
                },
            )
        uow.commit()
    return answer


def check_claims(order: Sequence[str], claims: Sequence[tuple[int, bytes]]) -> list[int]:
    """The claimed positions whose key is not this node's key there (none: all hold).

    A requester finds a position only through the doubly-blinded values of its own round-1
    points, so a key it names correctly there is one it held and blinded (or one it
    guessed, along with its position among this node's keys: see docs/matching.md)."""
    return [p for p, key in claims if order[p].encode("utf-8") != key]


MAX_ABORT_REASON = 1000  # bytes of UTF-8 a requester's reason for aborting may take


def abort_run(store: Store, *, partner: str, run_id: str, body: bytes) -> None:
    """The requester aborted `run_id` after round 1 (its check failed on its side: this
    node's proof did not verify): mark the run aborted (its key erased) and audit
    `match-aborted` with the requester's reason, so that the failure shows on both sides.
    Only a run of that partner waiting for its check or round 2 can be aborted."""
    try:
        reason = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MatchRefused(400, "bad-request", "the reason for aborting is not UTF-8") from None
    if len(body) > MAX_ABORT_REASON or holds_control_characters(reason):
        raise MatchRefused(
            400,
            "bad-request",
            f"the reason for aborting must be at most {MAX_ABORT_REASON} bytes of text "
            "without control characters",
        )
    with store.unit_of_work() as uow:
        run = _answered_run(uow.match_runs, partner, run_id, waiting=(ANSWERED, REACHED, CHECKED))
        uow.match_runs.finish(run_id, RESPONDER, status="aborted", at=uow.started_at)
        uow.audit.append(
            actor=partner,
            action="match-aborted",
            subject=run_id,
            detail={
                "role": RESPONDER,
                "partner": partner,
                "kind": run.kind,
                "reason": reason,
                # The run's digest so far: round 1 (or the count step), chained with the
                # check when it was answered.
                "transcript_sha256": run.transcript_sha256,
            },
        )
        uow.commit()


def notices_digest(notices: Sequence[HitNotice]) -> str:
    """SHA-256 (hex) over the sorted record ids of a run's hit notices, one per line."""
    ids = sorted(notice.record_id for notice in notices)
    return hashlib.sha256("".join(f"{rid}\n" for rid in ids).encode("utf-8")).hexdigest()


def record_refusal(store: Store, *, partner: str, kind: str | None, refusal: MatchRefused) -> None:
    """Audit a refused request (the only thing a refusal writes)."""
    with store.unit_of_work() as uow:
        uow.audit.append(
            actor=partner,
            action="match-refusal",
            subject=partner,
            detail={
                "kind": kind,
                "status": refusal.status,
                "reason": refusal.reason,
                "detail": refusal.detail,
            },
        )
        uow.commit()


def agreement_terms(agreement: MatchAgreement) -> dict[str, Any]:
    """The agreement's terms as a run's audit entry records them (both modes' responders).

    An agreement has no id: it is named by its partner and kind (in the entry already) and
    these, its terms when the run was answered."""
    return {
        "max_set_size": agreement.max_set_size,
        "runs_per_day": agreement.runs_per_day,
        "updated_at": agreement.updated_at,
    }


def _answered_run(
    runs: MatchRunRepository, partner: str, run_id: str, *, waiting: tuple[str, ...] = (CHECKED,)
) -> MatchRun:
    run = runs.get(run_id, RESPONDER)
    if run is None or run.partner != partner:
        raise MatchRefused(404, "unknown-run", f"no run {run_id} of {partner} here")
    # A threshold run has round 2 only once its count step reached k (status "reached").
    if run.status == "offered":
        raise MatchRefused(
            409,
            "run-finished",
            f"run {run_id} is a threshold run whose count step has not reached k: no round 2",
        )
    if run.status in (ANSWERED, REACHED) and run.status not in waiting:
        raise MatchRefused(
            409,
            "run-unchecked",
            f"run {run_id} has not been checked: round 2 comes after POST …/runs/{run_id}/check",
        )
    if run.status not in waiting:
        raise MatchRefused(409, "run-finished", f"run {run_id} is already {run.status}")
    return run


def _own_keys(store: Store, party: str, kind: MatchKind, pool: BlindingPool) -> list[str]:
    # Name keys are derived where the run blinds: a node's workers too, when it has them.
    with store.unit_of_work() as uow:
        return list(own_identifiers(uow.connection, party, kind, name_keys=pool.name_keys))


def _shuffled(keys: Sequence[str], seed: bytes) -> list[str]:
    # A keyed hash orders the set: unpredictable to the partner, so a position says nothing
    # about the identifier there, yet the same for the same seed and set (round 2 rebuilds
    # it from the store instead of keeping the run in memory).
    def rank(key: str) -> bytes:
        return hashlib.blake2b(key.encode("utf-8"), key=seed, digest_size=16).digest()

    return sorted(keys, key=rank)


def _set_digest(order: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for key in order:
        digest.update(key.encode("utf-8") + b"\x00")
    return digest.hexdigest()


def _authors(connection: Connection, record_ids: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for start in range(0, len(record_ids), _CHUNK):
        chunk = record_ids[start : start + _CHUNK]
        rows = connection.execute(
            select(records.c.id, records.c.created_by_ref).where(records.c.id.in_(chunk))
        )
        found.update({row[0]: row[1] for row in rows})
    return found


def _now() -> str:
    return format_timestamp(utc_now())
