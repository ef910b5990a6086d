"""The requester's driver: run the private set intersection with a partner, kind by kind.

For each kind: collect this node's own identifiers, blind them under a fresh secret and
send them (round 1); blind the partner's points under the same secret, intersect, tell the
partner which of its positions matched and receive its handles (round 2); store each match
as (local record, partner's handle) and audit the run, all in one unit of work. A refusal
by the partner is audited here too and raised as PartnerRefusedMatch with its reason.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import httpx
import orjson

from enlace.matching.blinding import BlindingJob, BlindingPool
from enlace.matching.disclosure import MAX_REASON, OUTGOING, record_outcome
from enlace.matching.errors import (
    MatchingError,
    MatchProofFailed,
    MatchProtocolError,
    PartnerRefusedMatch,
)
from enlace.matching.kinds import OPERATION, MatchKind, kind_domain, own_identifiers
from enlace.matching.modes import (
    COUNT,
    LINKS,
    MODES,
    THRESHOLD,
    AgreementStatement,
    check_accepted,
    read_statement,
    shuffle_values,
)
from enlace.matching.names.keys import NameKeyKind
from enlace.matching.names.match import assign_matched_keys
from enlace.matching.proofs import (
    CHECK_SEED_BYTES,
    PROOF_BYTES,
    check_body,
    check_sums,
    start_check_sums,
    verify_check,
)
from enlace.matching.psi import (
    POINT_BYTES,
    Answer,
    WireFormatError,
    decode_answer,
    decode_handles,
    encode_claims,
    fresh_scalar,
    intersect,
)
from enlace.matching.threshold import BELOW, BELOW_THRESHOLD, REACHES
from enlace.matching.transcript import Transcript
from enlace.matching.wire import OCTETS, PREFIX
from enlace.model.errors import RecordError
from enlace.model.timestamps import format_timestamp, parse_timestamp
from enlace.node.errors import NodeError
from enlace.partners.session import PartnerSession
from enlace.partners.transport import transport_problem
from enlace.store.repositories.agreements import REQUESTER
from enlace.store.repositories.match_runs import MatchRun
from enlace.store.repositories.matches import Match
from enlace.store.repositories.partners import Partner
from enlace.store.store import Store
from enlace.store.unit_of_work import UnitOfWork

# Blinding a million points takes a minute or more on the partner's side.
TIMEOUT = httpx.Timeout(30.0, read=900.0)

Advance = Callable[[int], None]
ProgressFactory = Callable[[str, int], AbstractContextManager[Advance]]
# What keeps a run's links, inside the unit of work that records the run: given it, the
# run's id and the (local id, partner's handle) pairs, it returns how many were new. By
# default they are stored as matches; a watchlist check raises alerts instead.
LinkKeeper = Callable[[UnitOfWork, str, list[tuple[str, bytes]]], int]


@contextmanager
def no_progress(label: str, total: int) -> Iterator[Advance]:
    """A progress reporter that reports nothing."""
    yield lambda done: None


@dataclass(slots=True)
class MatchOutcome:
    """What one run on one kind found and learned."""

    partner: str
    kind: str
    run_id: str | None  # None when there was nothing to match
    own_size: int
    partner_size: int | None
    overlap: int  # identifiers both hold
    matches: list[Match] = field(default_factory=list)
    new_matches: int = 0
    mode: str = LINKS  # the partner's agreement's (enlace.matching.modes)
    threshold: int | None = None
    reached: bool | None = None  # threshold mode: whether the count reached it
    # Deconfliction only (kind `operation`): the key each match shares, in the order of
    # `matches`, which are then not stored as record matches (enlace.matching.deconfliction).
    shared_keys: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people."""
        if self.run_id is None:
            return f"{self.kind}: no {self.kind} identifiers of our own to match"
        if self.mode == COUNT:
            return (
                f"{self.kind}: {self.partner} holds {self.overlap:,} of our {self.own_size:,} "
                f"{self.kind} identifiers (count only, by agreement)"
            )
        if self.mode == THRESHOLD and not self.reached:
            return (
                f"{self.kind}: {self.partner} holds fewer than {self.threshold:,} of our "
                f"{self.own_size:,} {self.kind} identifiers (threshold {self.threshold:,}, by "
                "agreement): no links"
            )
        reached = f" (threshold {self.threshold:,} reached)" if self.mode == THRESHOLD else ""
        return (
            f"{self.kind}: {self.overlap} shared identifier(s) out of our {self.own_size:,} and "
            f"{self.partner}'s {self.partner_size:,}; {len(self.matches)} record link(s), "
            f"{self.new_matches} new{reached}"
        )


def match_node_partner(
    store: Store,
    key_dir: Path,
    partner: str,
    kinds: Sequence[MatchKind],
    *,
    client: httpx.Client | None = None,
    workers: int | None = None,
    progress: ProgressFactory = no_progress,
    actor: str = "cli",
    on_refusal: Callable[[PartnerRefusedMatch], None] | None = None,
    accept: Sequence[str] = MODES,
    held: Mapping[MatchKind, dict[str, list[str]]] | None = None,
    keep: LinkKeeper | None = None,
    pool: BlindingPool | None = None,
) -> list[MatchOutcome]:
    """`match_partner` with the token and the TLS trust this node keeps for `partner` in its
    key folder.

    `held`: the sets to match, by kind (key -> local ids), instead of this node's own
    records' identifiers, and `keep` what keeps their links instead of storing matches (a
    watchlist check: enlace.matching.watchlists)."""
    with PartnerSession.open(
        store, partner, timeout=TIMEOUT, key_dir=key_dir, client=client
    ) as session:
        return _match_kinds(
            store, session, kinds, workers, progress, actor, on_refusal, accept, held, keep, pool
        )


def request_node_disclosure(
    store: Store, key_dir: Path, partner: str, *, handle: str, reason: str | None, actor: str
) -> int:
    """`request_disclosure` with the token and the TLS trust this node keeps for `partner`."""
    with PartnerSession.open(store, partner, timeout=TIMEOUT, key_dir=key_dir) as session:
        return _request_disclosure(store, session, handle, reason, actor)


def refresh_node_disclosures(
    store: Store, key_dir: Path, partner: str, *, actor: str
) -> list[DecidedRequest]:
    """`refresh_disclosures` with the token and the TLS trust this node keeps for `partner`."""
    with PartnerSession.open(store, partner, timeout=TIMEOUT, key_dir=key_dir) as session:
        return _refresh_disclosures(store, session, actor)


def refresh_all_disclosures(
    store: Store, key_dir: Path, *, actor: str
) -> list[tuple[str, list[DecidedRequest]]]:
    """`refresh_node_disclosures` for every partner this node awaits a decision from:
    (partner, what it decided since the last time), in partner order."""
    with store.unit_of_work() as uow:
        awaited = uow.disclosures.partners_awaited()
    return [
        (partner, refresh_node_disclosures(store, key_dir, partner, actor=actor))
        for partner in awaited
    ]


def match_partner(
    store: Store,
    *,
    partner: str,
    token: str,
    kinds: Sequence[MatchKind],
    client: httpx.Client | None = None,
    workers: int | None = None,
    progress: ProgressFactory = no_progress,
    actor: str = "cli",
    on_refusal: Callable[[PartnerRefusedMatch], None] | None = None,
    accept: Sequence[str] = MODES,
    pool: BlindingPool | None = None,
) -> list[MatchOutcome]:
    """Run the PSI with `partner` on each kind in turn; see the module.

    A refusal of one kind raises PartnerRefusedMatch, unless `on_refusal` is given: then it
    is handed the refusal and the other kinds go on (the refused kind has no outcome).
    NotAPartner when `partner` is not registered. `client` is used and left open; without
    it, one trusting the system's CAs is opened and closed. `accept`: the modes
    (enlace.matching.modes) this run accepts; a partner's agreement in another mode raises
    ModeNotAccepted before anything is blinded. `pool`, when given, blinds (and stays open):
    a PostgreSQL node's job queue (enlace.jobs.blinding_pool); else `workers` processes.
    """
    with PartnerSession.open(
        store, partner, timeout=TIMEOUT, token=token, client=client
    ) as session:
        return _match_kinds(
            store, session, kinds, workers, progress, actor, on_refusal, accept, pool=pool
        )


def _match_kinds(
    store: Store,
    session: PartnerSession,
    kinds: Sequence[MatchKind],
    workers: int | None,
    progress: ProgressFactory,
    actor: str,
    on_refusal: Callable[[PartnerRefusedMatch], None] | None,
    accept: Sequence[str] = MODES,
    held: Mapping[MatchKind, dict[str, list[str]]] | None = None,
    keep: LinkKeeper | None = None,
    pool: BlindingPool | None = None,
) -> list[MatchOutcome]:
    with store.unit_of_work() as uow:
        party = uow.settings.get("party")
    if party is None:
        raise NodeError("this store is not a node (no party set): run 'enlace init'")
    # A pool given (a node's job queue: enlace.jobs.blinding_pool) is the caller's to close.
    with BlindingPool(workers) if pool is None else nullcontext(pool) as used:
        run = _Requester(store, party, session, used, progress, actor, tuple(accept), keep)
        outcomes = []
        for kind in kinds:
            try:
                outcomes.append(run.match(kind, None if held is None else held[kind]))
            except PartnerRefusedMatch as refusal:
                if on_refusal is None:
                    raise
                on_refusal(refusal)
        return outcomes


def request_disclosure(
    store: Store,
    *,
    partner: str,
    token: str,
    handle: str,
    reason: str | None,
    client: httpx.Client | None = None,
    actor: str = "cli",
) -> int:
    """Ask `partner` to release its record behind `handle`; return the partner's request id.

    NotAPartner when `partner` is not registered; `client` as for `match_partner`."""
    with PartnerSession.open(
        store, partner, timeout=TIMEOUT, token=token, client=client
    ) as session:
        return _request_disclosure(store, session, handle, reason, actor)


def _request_disclosure(
    store: Store, session: PartnerSession, handle: str, reason: str | None, actor: str
) -> int:
    partner, registered = session.party, session.partner
    try:
        response = session.client.post(
            _url(registered, "/disclosures"),
            content=orjson.dumps({"handle": handle, "reason": reason}),
            headers={**session.authorization, "Content-Type": "application/json"},
        )
    except httpx.HTTPError as error:
        problem = transport_problem(partner, registered.url, error)
        raise MatchingError(f"{problem} (at {registered.url})") from None
    if response.status_code != 202:
        raise PartnerRefusedMatch(partner, "disclosure", response.status_code, _detail(response))
    remote_id = int(response.json()["id"])
    with store.unit_of_work() as uow:
        uow.disclosures.add(
            direction=OUTGOING,
            partner=partner,
            handle=handle,
            record_id=None,
            reason=reason,
            at=uow.started_at,
            remote_id=remote_id,
        )
        uow.audit.append(
            actor=actor,
            action="disclosure-asked",
            subject=handle,
            detail={"partner": partner, "remote_id": remote_id, "reason": reason},
        )
        uow.commit()
    return remote_id


@dataclass(frozen=True, slots=True)
class DecidedRequest:
    """One of this node's disclosure requests the owner has decided since it last asked."""

    request_id: int  # here
    remote_id: int  # on the owner's node
    handle: str
    status: str  # approved or refused
    reason: str | None  # the owner's, for a refusal


def refresh_disclosures(
    store: Store,
    *,
    partner: str,
    token: str,
    client: httpx.Client | None = None,
    actor: str = "cli",
) -> list[DecidedRequest]:
    """Ask `partner` what became of this node's pending requests to it; record decisions.

    Each decided request is updated here (status, when, decided by the partner) and audited
    as ``disclosure-outcome``, one unit of work per request; an approved record then arrives
    by the normal sync. Returns the requests decided since the last refresh. NotAPartner
    when `partner` is not registered; `client` as for `match_partner`.
    """
    with PartnerSession.open(
        store, partner, timeout=TIMEOUT, token=token, client=client
    ) as session:
        return _refresh_disclosures(store, session, actor)


def _refresh_disclosures(store: Store, session: PartnerSession, actor: str) -> list[DecidedRequest]:
    with store.unit_of_work() as uow:
        pending = uow.disclosures.outgoing_pending(session.party)
    decided: list[DecidedRequest] = []
    for request in pending:
        assert request.remote_id is not None  # outgoing_pending gives only those
        status, decided_at, reason = _outcome(session, request.remote_id)
        if status not in ("approved", "refused"):
            continue
        record_outcome(
            store, request, status=status, decided_at=decided_at, reason=reason, actor=actor
        )
        decided.append(
            DecidedRequest(request.id, request.remote_id, request.handle, status, reason)
        )
    return decided


def _outcome(session: PartnerSession, remote_id: int) -> tuple[str, str | None, str | None]:
    partner = session.partner
    url = _url(partner, f"/disclosures/{remote_id}")
    try:
        response = session.client.get(url, headers=session.authorization)
    except httpx.HTTPError as error:
        problem = transport_problem(partner.party, url, error)
        raise MatchingError(f"{problem} (at {url})") from None
    if response.status_code != 200:
        raise PartnerRefusedMatch(
            partner.party, "disclosure", response.status_code, _detail(response)
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    answer = body if isinstance(body, dict) else {}
    status, decided_at, reason = (answer.get(k) for k in ("status", "decided_at", "reason"))
    if status not in ("pending", "approved", "refused") or not (
        reason is None or (isinstance(reason, str) and len(reason) <= MAX_REASON)
    ):
        raise MatchingError(
            f"{partner.party} answered the state of disclosure request {remote_id} in an "
            "unexpected form (expected JSON with a status of pending, approved or refused, "
            f"and a reason of at most {MAX_REASON} characters)"
        )
    return status, _timestamp_or_none(decided_at), reason


def _timestamp_or_none(value: Any) -> str | None:
    # The partner's clock says when it decided; a value that is not a timestamp is dropped
    # (the decision is then dated by this node), never stored as sent.
    if not isinstance(value, str):
        return None
    try:
        return format_timestamp(parse_timestamp(value, field="decided_at"))
    except RecordError:
        return None


class _Requester:
    def __init__(
        self,
        store: Store,
        party: str,
        session: PartnerSession,
        pool: BlindingPool,
        progress: ProgressFactory,
        actor: str,
        accept: tuple[str, ...] = MODES,
        keep: LinkKeeper | None = None,
    ) -> None:
        self.accept = accept
        self.keep = keep
        self.store = store
        self.party = party
        self.partner = session.partner
        self.client = session.client
        self.pool = pool
        self.progress = progress
        self.actor = actor
        self.headers = {**session.authorization, "Content-Type": OCTETS}

    def match(self, kind: MatchKind, held: dict[str, list[str]] | None = None) -> MatchOutcome:
        """One run on `kind`, over `held` (key -> local ids holding it; by default this
        node's own records' identifiers)."""
        if held is None:
            with self.store.unit_of_work() as uow:
                held = own_identifiers(
                    uow.connection, self.party, kind, name_keys=self.pool.name_keys
                )
        if not held:
            return MatchOutcome(self.partner.party, kind.value, None, 0, None, 0)
        keys = list(held)
        # The partner sees the points in this order: random, so it says nothing of the keys.
        random.Random(secrets.randbits(256)).shuffle(keys)
        # Asked first, so a run the agreement does not allow (or in a mode this run does not
        # accept) costs no blinding on either side.
        statement = self._admit(kind, len(keys))
        if statement.mode == THRESHOLD:
            return self._threshold(kind, keys, held, statement)
        secret = fresh_scalar()
        with self.progress(f"blinding our {kind.value} set", len(keys)) as advance:
            blinded = self.pool.hash_and_blind(
                kind_domain(kind), [key.encode("utf-8") for key in keys], secret, progress=advance
            )
        # Both rounds' messages are hashed as sent and received, as the partner hashes them
        # (enlace.matching.transcript): both parties audit the same digest.
        transcript = Transcript(kind.value)
        transcript.add(blinded)
        with self.progress(f"{self.partner.party} blinding both sets", 0):
            body = self._post(kind, f"/runs?kind={kind.value}", blinded)
        transcript.add(body)
        try:
            answer = decode_answer(body, expected_n=len(keys))
            self._check_bound(kind, answer, statement)
            # In links mode the answer is checked before anything of it is used: the seed
            # is drawn now that the answer is fixed, and the check's sums are computed on
            # the pool side by side with the blinding of the partner's set. Count mode's
            # values come shuffled and unproved (docs/matching.md says why).
            seed = secrets.token_bytes(CHECK_SEED_BYTES)
            sums = None
            if answer.mode == LINKS:
                sums = start_check_sums(self.pool, seed, blinded, answer.doubly)
            del blinded  # sent, hashed and handed to the check
            with self.progress(
                f"blinding {self.partner.party}'s set", answer.responder_size
            ) as advance:
                theirs = self.pool.blind(
                    answer.responder_points, secret, width=answer.width, progress=advance
                )
        except WireFormatError as error:
            raise MatchProtocolError(
                f"{self.partner.party}'s answer on {kind.value}: {error}"
            ) from None
        before = transcript.hexdigest()
        if sums is not None:
            before = self._check(kind, answer, seed, sums, before, len(keys))
        pairs = intersect(answer.compared(), theirs, answer.width)
        if statement.mode == COUNT:
            # The values came shuffled: how many matched is all they say. No round 2.
            return self._record(
                kind,
                answer.run_id.hex(),
                keys,
                held,
                answer.responder_size,
                [],
                [],
                before,
                statement,
                overlap=len(pairs),
            )
        return self._links(kind, answer, keys, held, pairs, before, statement)

    def _check(
        self,
        kind: MatchKind,
        answer: Answer,
        seed: bytes,
        sums: BlindingJob,
        before: str,
        size: int,
    ) -> str:
        """Ask the partner the run's one check (docs/matching.md, "Proofs") and verify its
        proof against the key of its answer; the run's digest chained with the check, or
        the run aborted (`_proof_failed`) when it does not hold."""
        run_id = answer.run_id.hex()
        try:
            m, z = check_sums(sums.result())
        except WireFormatError:
            # A value of the answer that is not a point: not our point raised to any key.
            self._proof_failed(
                kind,
                run_id,
                size,
                "a value of the answer is not a valid ristretto255 point",
                before,
                tell=True,
            )
        body = check_body(seed, m, z)
        transcript = Transcript(kind.value, before=before)
        transcript.add(body)
        with self.progress(f"{self.partner.party} checking", 0):
            response = self._request(kind, f"/runs/{run_id}/check", body)
        if response.status_code == 409 and _title(response) == "check-failed":
            # The partner found Z is not M raised to its key, aborted the run itself and
            # audited it (`match-check-failed`): there is nothing left to abort there.
            self._proof_failed(
                kind,
                run_id,
                size,
                "the partner's check of its blinding failed: some of our points were not "
                "blinded with the run's key",
                before,
                tell=False,
            )
        self._refused_unless_ok(kind, response, 200)
        proof = response.content
        transcript.add(proof)
        if len(proof) != PROOF_BYTES or not verify_check(answer.public, m, z, proof):
            self._proof_failed(
                kind,
                run_id,
                size,
                "the partner's proof of the check does not hold for the key of its answer: "
                "some of our points were not blinded with the run's key",
                transcript.hexdigest(),
                tell=True,
            )
        return transcript.hexdigest()

    def _links(
        self,
        kind: MatchKind,
        answer: Answer,
        keys: list[str],
        held: dict[str, list[str]],
        pairs: list[tuple[int, int]],
        before: str,
        statement: AgreementStatement,
    ) -> MatchOutcome:
        """Round 2: claim the positions that matched, each with its key; receive handles."""
        pairs.sort(key=lambda pair: pair[1])
        run_id = answer.run_id.hex()
        transcript = Transcript(kind.value, before=before)
        # Each matched position with the key found there: the partner checks every claim
        # against its own key at that position and refuses a false one.
        positions = encode_claims([(j, keys[i].encode("utf-8")) for i, j in pairs])
        transcript.add(positions)
        reply = self._post(kind, f"/runs/{run_id}/matches", positions)
        transcript.add(reply)
        try:
            groups = decode_handles(reply, positions=len(pairs))
        except WireFormatError as error:
            raise MatchProtocolError(
                f"{self.partner.party}'s handles on {kind.value}: {error}"
            ) from None
        return self._record(
            kind,
            run_id,
            keys,
            held,
            answer.responder_size,
            pairs,
            groups,
            transcript.hexdigest(),
            statement,
        )

    def _admit(self, kind: MatchKind, size: int) -> AgreementStatement:
        """Ask whether a run of `size` would be answered, and under which agreement; check
        the partner's statement and that its mode is one this run accepts."""
        # 204 (no statement) is how a node of matching protocol 1 admits: named as such.
        path = f"/admission?kind={kind.value}&size={size}"
        body = self._send(kind, "GET", path, b"", (200, 204))
        statement = read_statement(
            body, requester=self.party, responder=self.partner.party, kind=kind.value
        )
        check_accepted(statement, self.accept, self.partner.party)
        return statement

    def _check_bound(self, kind: MatchKind, answer: Answer, statement: AgreementStatement) -> None:
        # The answer's header states the agreement it was made under (the transcript covers
        # it): the one stated at admission, or the agreement changed in between.
        if (
            answer.mode != statement.mode
            or answer.agreement_sha256.hex() != statement.agreement_sha256
            or (statement.mode == THRESHOLD and answer.threshold != statement.threshold)
        ):
            raise MatchProtocolError(
                f"{self.partner.party}'s answer on {kind.value} is under another agreement "
                f"({answer.mode} mode, digest {answer.agreement_sha256.hex()[:16]}…) than "
                f"the one it stated at admission ({statement.mode} mode, digest "
                f"{statement.agreement_sha256[:16]}…): run it again"
            )

    def _threshold(
        self,
        kind: MatchKind,
        keys: list[str],
        held: dict[str, list[str]],
        statement: AgreementStatement,
    ) -> MatchOutcome:
        """Threshold mode (enlace.matching.threshold): the partner's offer, then the count
        step, then round 2 only if the count reached the agreement's k."""
        body = self._post(kind, f"/offers?kind={kind.value}&size={len(keys)}", b"")
        transcript = Transcript(kind.value)
        transcript.add(b"")
        transcript.add(body)
        try:
            offer = decode_answer(body, expected_n=len(keys))
        except WireFormatError as error:
            raise MatchProtocolError(
                f"{self.partner.party}'s offer on {kind.value}: {error}"
            ) from None
        self._check_bound(kind, offer, statement)
        secret = fresh_scalar()
        with self.progress(f"blinding our {kind.value} set", len(keys)) as advance:
            blinded = self.pool.hash_and_blind(
                kind_domain(kind), [key.encode("utf-8") for key in keys], secret, progress=advance
            )
        try:
            with self.progress(
                f"blinding {self.partner.party}'s set", offer.responder_size
            ) as advance:
                theirs = self.pool.blind(
                    offer.responder_points, secret, width=offer.width, progress=advance
                )
        except WireFormatError as error:
            raise MatchProtocolError(
                f"{self.partner.party}'s offer on {kind.value}: {error}"
            ) from None
        run_id = offer.run_id.hex()
        # Returned in an order of our own: the partner counts, but cannot tell which matched.
        # Our points are kept: the link step's check is computed on them.
        step = blinded + shuffle_values(theirs, offer.width)
        transcript = Transcript(kind.value, before=transcript.hexdigest())
        transcript.add(step)
        with self.progress(f"{self.partner.party} counting", 0):
            verdict = self._post(kind, f"/runs/{run_id}/count", step)
        transcript.add(verdict)
        if verdict == BELOW:
            return self._record(
                kind,
                run_id,
                keys,
                held,
                offer.responder_size,
                [],
                [],
                transcript.hexdigest(),
                statement,
                overlap=None,
                reached=False,
            )
        n = len(keys)
        if verdict[:1] != REACHES or len(verdict) != 1 + n * POINT_BYTES:
            raise MatchProtocolError(
                f"{self.partner.party}'s count step on {kind.value} is {len(verdict):,} bytes "
                f"starting {verdict[:1].hex() or 'with nothing'}: expected 00, or 01 then "
                f"{n:,} points of {POINT_BYTES} bytes"
            )
        reached = Answer(
            offer.run_id,
            offer.width,
            offer.public,
            verdict[1:],
            offer.responder_points,
            mode=THRESHOLD,
        )
        # The link step is checked as links mode's answer is, against the offer's key.
        seed = secrets.token_bytes(CHECK_SEED_BYTES)
        sums = start_check_sums(self.pool, seed, blinded, reached.doubly)
        del blinded
        before = self._check(kind, reached, seed, sums, transcript.hexdigest(), n)
        pairs = intersect(reached.compared(), theirs, offer.width)
        return self._links(kind, reached, keys, held, pairs, before, statement)

    def _record(
        self,
        kind: MatchKind,
        run_id: str,
        keys: list[str],
        held: dict[str, list[str]],
        partner_size: int,
        pairs: list[tuple[int, int]],
        groups: list[list[bytes]],
        transcript_sha256: str,
        statement: AgreementStatement,
        *,
        overlap: int | None = -1,
        reached: bool | None = None,
    ) -> MatchOutcome:
        # `overlap`: -1 counts the pairs (links); the count (count mode); None, unknown
        # (threshold mode below k: only that is learned).
        overlap_learned = len(pairs) if overlap == -1 else overlap
        if statement.mode == THRESHOLD and reached is None:
            reached = True
        with self.store.unit_of_work() as uow:
            linked = [
                (record_id, handle)
                for (i, _), handles in zip(pairs, groups, strict=True)
                for record_id in held[keys[i]]
                for handle in handles
            ]
            shared_keys = (
                [
                    keys[i]
                    for (i, _), handles in zip(pairs, groups, strict=True)
                    for _record_id in held[keys[i]]
                    for _handle in handles
                ]
                if kind is OPERATION
                else []
            )
            if isinstance(kind, NameKeyKind):
                # A name key is shared by namesakes too: keep the best pairs, one to one.
                shared = [
                    (keys[i], held[keys[i]], handles)
                    for (i, _), handles in zip(pairs, groups, strict=True)
                ]
                linked = [
                    (p.left, p.right) for p in assign_matched_keys(shared, kind, held, partner_size)
                ]
            found = [
                Match(
                    self.partner.party, kind.value, record_id, handle.hex(), run_id, uow.started_at
                )
                for record_id, handle in linked
            ]
            if self.keep is not None:
                new = self.keep(uow, run_id, linked)
            elif kind is OPERATION:
                # An operation is not a record: its matches become deconfliction notices.
                new = 0
            else:
                new = uow.matches.add_matches(found)
            uow.match_runs.add(
                MatchRun(
                    id=run_id,
                    role=REQUESTER,
                    partner=self.partner.party,
                    kind=kind.value,
                    status=BELOW_THRESHOLD if reached is False else "completed",
                    started_at=uow.started_at,
                    finished_at=uow.started_at,
                    requester_size=len(keys),
                    responder_size=partner_size,
                    overlap=overlap_learned,
                    order_seed=None,
                    set_digest=None,
                    transcript_sha256=transcript_sha256,
                    mode=statement.mode,
                    threshold=statement.threshold,
                    agreement_sha256=statement.agreement_sha256,
                )
            )
            uow.audit.append(
                actor=self.actor,
                action="match-run",
                subject=run_id,
                detail={
                    "role": REQUESTER,
                    "partner": self.partner.party,
                    "kind": kind.value,
                    "requester_size": len(keys),
                    "responder_size": partner_size,
                    "overlap": overlap_learned,
                    "matches": len(found),
                    # The agreement is the responder's caps: its entry names their terms;
                    # both entries carry its mode and digest.
                    **statement.record(),
                    "reached": reached,
                    "transcript_sha256": transcript_sha256,
                },
            )
            uow.commit()
        return MatchOutcome(
            self.partner.party,
            kind.value,
            run_id,
            len(keys),
            partner_size,
            overlap_learned or 0,
            found,
            new,
            mode=statement.mode,
            threshold=statement.threshold,
            reached=reached,
            shared_keys=shared_keys,
        )

    def _proof_failed(
        self, kind: MatchKind, run_id: str, size: int, reason: str, digest: str, *, tell: bool
    ) -> NoReturn:
        # Nothing of the answer is used or recorded but this entry; the partner is told
        # (its own audit then shows the run aborted) unless its own check already aborted
        # the run there, and the run stops here.
        with self.store.unit_of_work() as uow:
            uow.audit.append(
                actor=self.actor,
                action="match-proof-failed",
                subject=run_id,
                detail={
                    "role": REQUESTER,
                    "partner": self.partner.party,
                    "kind": kind.value,
                    "requester_size": size,
                    "reason": reason,
                    # The run's digest so far: round 1 (or the count step), chained with the
                    # check when the partner answered it.
                    "transcript_sha256": digest,
                },
            )
            uow.commit()
        told = True
        if tell:
            try:
                response = self.client.post(
                    _url(self.partner, f"/runs/{run_id}/abort"),
                    content=reason.encode("utf-8"),
                    headers={**self.headers, "Content-Type": "text/plain; charset=utf-8"},
                )
                told = response.status_code == 204
            except httpx.HTTPError:
                told = False
        raise MatchProofFailed(self.partner.party, kind.value, run_id, reason, told=told)

    def _post(self, kind: MatchKind, path: str, body: bytes) -> bytes:
        return self._send(kind, "POST", path, body, 200)

    def _send(
        self, kind: MatchKind, method: str, path: str, body: bytes, ok: int | tuple[int, ...]
    ) -> bytes:
        response = self._request(kind, path, body, method=method)
        self._refused_unless_ok(kind, response, ok)
        return response.content

    def _request(
        self, kind: MatchKind, path: str, body: bytes, *, method: str = "POST"
    ) -> httpx.Response:
        url = _url(self.partner, path)
        try:
            return self.client.request(method, url, content=body, headers=self.headers)
        except httpx.HTTPError as error:
            problem = transport_problem(self.partner.party, url, error)
            raise MatchingError(f"{problem} (at {url})") from None

    def _refused_unless_ok(
        self, kind: MatchKind, response: httpx.Response, ok: int | tuple[int, ...]
    ) -> None:
        if response.status_code not in ((ok,) if isinstance(ok, int) else ok):
            detail = _detail(response)
            with self.store.unit_of_work() as uow:
                uow.audit.append(
                    actor=self.actor,
                    action="match-refused",
                    subject=self.partner.party,
                    detail={"kind": kind.value, "status": response.status_code, "detail": detail},
                )
                uow.commit()
            raise PartnerRefusedMatch(self.partner.party, kind.value, response.status_code, detail)


def _title(response: httpx.Response) -> str | None:
    # The machine word of a problem body (RFC 9457), as the matching routes answer it.
    try:
        body = response.json()
    except ValueError:
        return None
    title = body.get("title") if isinstance(body, dict) else None
    return title if isinstance(title, str) else None


def _url(partner: Partner, path: str) -> str:
    return partner.url.rstrip("/") + PREFIX + path


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        text = body.get("detail") or body.get("description")
        if isinstance(text, str):
            return text
    return response.reason_phrase or "no reason given"
