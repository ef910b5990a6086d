"""The responder's HTTP routes, under /matching/v1/, for the node's app (built by a factory).

Authenticated as the TAXII exchange is (enlace.partners.authentication: the partner's token,
bearer or Basic). Bodies of the protocol are `application/octet-stream` (docs/matching.md gives
their layout); refusals are JSON problem bodies (RFC 9457) with the status saying which rule:
400 malformed, 401 no valid token, 403 no agreement for the kind, 404 unknown run or handle,
409 the run cannot go on (or is not of the agreement's mode), 413 a set larger than the agreement's cap, 429 the day's runs used
up. Each is audited.

A request body is read as a stream and cut off as soon as it is longer than the agreement
allows: the cap, not a server-wide limit, bounds what a partner can make this node hold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from enlace.matching import disclosure, operations, responder, threshold
from enlace.matching.blinding import BlindingPool
from enlace.matching.errors import MatchRefused
from enlace.matching.proofs import CHECK_BYTES
from enlace.matching.psi import POINT_BYTES
from enlace.matching.wire import OCTETS, PREFIX, PROBLEM
from enlace.model.handles import HANDLE_BYTES
from enlace.model.numerals import LARGEST_ROW_ID, ascii_whole_number
from enlace.model.text import holds_control_characters
from enlace.partners.authentication import (
    PARTNER_CHALLENGE,
    PartnerUnauthenticated,
    authenticate_partner,
)
from enlace.store.repositories.partners import Partner
from enlace.store.store import Store

_MAX_JSON_BODY = 16 * 1024
_MAX_CHECK_BODY = 1024
_MAX_CONTACTS_BODY = 512 * 1024  # a thousand handles with their contacts
# Larger than any agreement's cap (a larger size is refused as too large, 413); past it the
# text is not a size at all (400), and is never converted digit by digit.
_LARGEST_SIZE = 10**15


def create_matching_router(
    store: Store, party: str, *, workers: int | None = None, pool: BlindingPool | None = None
) -> APIRouter:
    """The /matching/v1 routes of the node of `party`; `workers` blinding processes a run,
    or `pool` blinds (a PostgreSQL node's job queue: enlace.jobs.blinding_pool)."""
    router = APIRouter(prefix=PREFIX)
    # One pool for the life of the server: its workers start on the first large run and are
    # reused, so a run does not pay for starting processes. They end with the server.
    pool = BlindingPool(workers) if pool is None else pool

    def authenticated(request: Request) -> Partner:
        try:
            return authenticate_partner(
                store,
                authorization=request.headers.get("authorization", ""),
                path=request.url.path,
                client=request.client.host if request.client else None,
            )
        except PartnerUnauthenticated:
            raise MatchRefused(
                401,
                "unauthenticated",
                "authentication required: a partner's token, as a bearer token or as Basic "
                "credentials (the partner's party code and its token)",
            ) from None

    async def refused(partner: Partner | None, kind: str | None, refusal: MatchRefused) -> Response:
        if partner is not None:
            await run_in_threadpool(
                responder.record_refusal, store, partner=partner.party, kind=kind, refusal=refusal
            )
        return problem(refusal)

    @router.get("/admission")
    async def admission(request: Request) -> Response:
        # Would a run of this kind and size be answered now? Counts as no run.
        kind_text = request.query_params.get("kind", "")
        size_text = request.query_params.get("size", "")
        partner = None
        try:
            partner = await run_in_threadpool(authenticated, request)
            size = _size(size_text)
            statement = await run_in_threadpool(
                threshold.stated_agreement,
                store,
                party=party,
                partner=partner.party,
                kind=kind_text,
                set_size=size,
            )
        except MatchRefused as refusal:
            return await refused(partner, kind_text, refusal)
        # The agreement's mode, terms and digest: the requester checks them before blinding.
        return JSONResponse(statement.to_json())

    @router.post("/offers")
    async def offer(request: Request) -> Response:
        # Threshold mode's first step (enlace.matching.threshold): no body, the size stated.
        kind_text = request.query_params.get("kind", "")
        partner = None
        try:
            partner = await run_in_threadpool(authenticated, request)
            size = _size(request.query_params.get("size", ""))
            kind, _ = await run_in_threadpool(
                responder.admitted_kind, store, partner=partner.party, kind=kind_text
            )
            await _read_body(request, 0, lambda size: "an offer's request has no body")
            answer = await run_in_threadpool(
                threshold.offer_run,
                store,
                party=party,
                partner=partner.party,
                kind=kind,
                size=size,
                pool=pool,
            )
        except MatchRefused as refusal:
            return await refused(partner, kind_text, refusal)
        return Response(answer, media_type=OCTETS)

    @router.post("/runs/{run_id}/count")
    async def count(run_id: str, request: Request) -> Response:
        partner = None
        try:
            partner = await run_in_threadpool(authenticated, request)
            limit = await run_in_threadpool(
                threshold.count_limit, store, partner=partner.party, run_id=run_id
            )
            body = await _read_body(
                request, limit, lambda size: f"a count step of {size:,} bytes is longer than n + m"
            )
            verdict = await run_in_threadpool(
                threshold.count_run,
                store,
                party=party,
                partner=partner.party,
                run_id=run_id,
                body=body,
                pool=pool,
            )
        except MatchRefused as refusal:
            return await refused(partner, None, refusal)
        return Response(verdict, media_type=OCTETS)

    @router.post("/runs")
    async def open_run(request: Request) -> Response:
        kind_text = request.query_params.get("kind", "")
        partner = None
        try:
            partner = await run_in_threadpool(authenticated, request)
            kind, cap = await run_in_threadpool(
                responder.admitted_kind, store, partner=partner.party, kind=kind_text
            )

            def too_large(size: int) -> str:
                return (
                    f"a set of {size // POINT_BYTES:,} or more {kind_text} identifiers is "
                    f"larger than the agreement's cap of {cap:,} per run"
                )

            body = await _read_body(request, cap * POINT_BYTES, too_large)
            answer = await run_in_threadpool(
                responder.answer_run,
                store,
                party=party,
                partner=partner.party,
                kind=kind,
                points=body,
                pool=pool,
            )
        except MatchRefused as refusal:
            return await refused(partner, kind_text, refusal)
        return Response(answer, media_type=OCTETS)

    @router.post("/runs/{run_id}/matches")
    async def matched(run_id: str, request: Request) -> Response:
        partner = None
        try:
            partner = await run_in_threadpool(authenticated, request)
            limit = await run_in_threadpool(
                responder.positions_limit, store, partner=partner.party, run_id=run_id
            )
            body = await _read_body(
                request, limit, lambda size: f"{size:,} bytes of positions is more than can match"
            )
            handles = await run_in_threadpool(
                responder.complete_run,
                store,
                party=party,
                partner=partner.party,
                run_id=run_id,
                body=body,
                pool=pool,
            )
        except MatchRefused as refusal:
            return await refused(partner, None, refusal)
        return Response(handles, media_type=OCTETS)

    @router.post("/runs/{run_id}/check")
    async def checked(run_id: str, request: Request) -> Response:
        # The requester's one check of this node's blinding (responder.check_run): 96 bytes
        # in, one 64-byte proof out, or 409 check-failed (the run aborted here).
        partner = None
        try:
            partner = await run_in_threadpool(authenticated, request)
            # Read past its exact length, so a wrong one is refused by read_check (400)
            # with the layout expected; a body beyond this is not a check at all.
            body = await _read_body(
                request,
                _MAX_CHECK_BODY,
                lambda size: f"a check of {size:,} bytes is far longer than {CHECK_BYTES} bytes",
            )
            proof = await run_in_threadpool(
                responder.check_run, store, partner=partner.party, run_id=run_id, body=body
            )
        except MatchRefused as refusal:
            return await refused(partner, None, refusal)
        return Response(proof, media_type=OCTETS)

    @router.post("/runs/{run_id}/contacts")
    async def contacts(run_id: str, request: Request) -> Response:
        # Deconfliction (docs/deconfliction.md): the requester's liaisons' contacts for this
        # node's operations matched in the run, answered with this node's liaisons' contacts.
        partner = None
        try:
            partner = await run_in_threadpool(authenticated, request)
            body = await _read_body(
                request, _MAX_CONTACTS_BODY, lambda size: f"{size:,} bytes of contacts is too many"
            )
            answer = await run_in_threadpool(
                operations.exchange_contacts,
                store,
                partner=partner.party,
                run_id=run_id,
                body=body,
            )
        except MatchRefused as refusal:
            return await refused(partner, "operation", refusal)
        return Response(answer, media_type="application/json")

    @router.post("/runs/{run_id}/abort")
    async def aborted(run_id: str, request: Request) -> Response:
        # The requester found this node's proof of its check false: the run is aborted here
        # too.
        partner = None
        try:
            partner = await run_in_threadpool(authenticated, request)
            body = await _read_body(
                request,
                responder.MAX_ABORT_REASON,
                lambda size: f"a reason of {size:,} bytes is too long",
            )
            await run_in_threadpool(
                responder.abort_run, store, partner=partner.party, run_id=run_id, body=body
            )
        except MatchRefused as refusal:
            return await refused(partner, None, refusal)
        return Response(status_code=204)

    @router.post("/disclosures")
    async def disclosures(request: Request) -> Response:
        partner = None
        try:
            partner = await run_in_threadpool(authenticated, request)
            body = await _read_body(
                request, _MAX_JSON_BODY, lambda size: f"a request of {size:,} bytes is too long"
            )
            handle, reason = _disclosure_body(body)
            request_id = await run_in_threadpool(
                disclosure.receive_request,
                store,
                partner=partner.party,
                handle=handle,
                reason=reason,
            )
        except MatchRefused as refusal:
            return await refused(partner, None, refusal)
        return JSONResponse({"id": request_id, "status": "pending"}, status_code=202)

    @router.get("/disclosures/{request_id}")
    async def disclosure_outcome(request_id: str, request: Request) -> Response:
        partner = None
        try:
            partner = await run_in_threadpool(authenticated, request)
            number = ascii_whole_number(request_id, low=1, high=LARGEST_ROW_ID)
            if number is None:
                raise MatchRefused(
                    400,
                    "bad-request",
                    f"a request id is a number from 1 to {LARGEST_ROW_ID} in the digits 0-9, "
                    f"found {request_id[:40]!r}",
                )
            outcome = await run_in_threadpool(
                disclosure.request_outcome, store, partner=partner.party, request_id=number
            )
        except MatchRefused as refusal:
            return await refused(partner, None, refusal)
        return JSONResponse(
            {
                "id": outcome.request_id,
                "status": outcome.status,
                "decided_at": outcome.decided_at,
                "reason": outcome.reason,
            }
        )

    return router


def problem(refusal: MatchRefused) -> JSONResponse:
    """The JSON problem body (RFC 9457) of a refusal."""
    headers = {"WWW-Authenticate": PARTNER_CHALLENGE} if refusal.status == 401 else None
    return JSONResponse(
        {
            "type": "about:blank",
            "title": refusal.reason,
            "status": refusal.status,
            "detail": refusal.detail,
        },
        status_code=refusal.status,
        media_type=PROBLEM,
        headers=headers,
    )


async def _read_body(request: Request, limit: int, too_large: Callable[[int], str]) -> bytes:
    # Refused from the declared length when there is one, else as soon as the stream
    # passes the limit: a partner cannot make this node hold more than the cap allows.
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise MatchRefused(413, "set-too-large", too_large(int(declared)))
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise MatchRefused(413, "set-too-large", too_large(size))
        chunks.append(chunk)
    return b"".join(chunks)


def _size(text: str) -> int:
    size = ascii_whole_number(text, high=_LARGEST_SIZE)
    if size is None:
        raise MatchRefused(
            400,
            "bad-request",
            f"size must be a count in the digits 0-9, at most {_LARGEST_SIZE}, found {text[:40]!r}",
        )
    return size


def _disclosure_body(body: bytes) -> tuple[str, str | None]:
    try:
        value: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
    handle = value.get("handle") if isinstance(value, dict) else None
    reason = value.get("reason") if isinstance(value, dict) else None
    if not (
        isinstance(handle, str)
        and len(handle) == 2 * HANDLE_BYTES
        and all(c in "0123456789abcdef" for c in handle)
    ):
        raise MatchRefused(
            400, "bad-request", 'expected JSON {"handle": "<16 hex digits>", "reason": "..."}'
        )
    if reason is not None and not isinstance(reason, str):
        raise MatchRefused(400, "bad-request", "'reason' must be text")
    if reason is not None and holds_control_characters(reason, line_breaks_allowed=True):
        # Shown to a liaison officer, and PostgreSQL refuses NUL: refused the same on SQLite.
        raise MatchRefused(400, "bad-request", "'reason' holds control characters")
    return handle, reason
