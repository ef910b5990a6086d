"""The witnessing routes of a node (/witness/v1/, enlace.exchange.witness), for its partners.

Authenticated as the TAXII exchange is (the partner's token). Answers are JSON; a request
this node cannot read is a 400 with one line saying what was expected, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from nacl.signing import SigningKey
from starlette.concurrency import run_in_threadpool

from enlace.exchange.statements import PROTOCOL
from enlace.exchange.witness import MAX_ALSO, WITNESS_PREFIX, receive_cosign, serve_log
from enlace.model.numerals import ascii_whole_number
from enlace.partners.authentication import PARTNER_CHALLENGE, PartnerUnauthenticated
from enlace.store.repositories.partners import Partner
from enlace.store.store import Store

MAX_COSIGN_BODY = 48 * 1024  # a checkpoint, a proof, eight checkpoints passed on: ~12 KiB
_LARGEST_SIZE = 2**63 - 1
_MAX_ABOUT = 64  # parties named in `about`


def create_witness_router(
    store: Store,
    party: str,
    *,
    signing_key: SigningKey,
    authenticate: Callable[[Request], Partner],
) -> APIRouter:
    """GET /witness/v1/log and POST /witness/v1/cosign of the node of `party`."""
    router = APIRouter(prefix=WITNESS_PREFIX)

    def problem(status: int, title: str, description: str, **headers: str) -> Response:
        body = {"title": title, "description": description, "protocol": PROTOCOL}
        return JSONResponse(body, status_code=status, headers=headers or None)

    async def partner_of(request: Request) -> Partner | Response:
        try:
            return await run_in_threadpool(authenticate, request)
        except PartnerUnauthenticated as refused:
            return problem(
                401, "Unauthorized", str(refused), **{"WWW-Authenticate": PARTNER_CHALLENGE}
            )

    @router.get("/log")
    async def log(request: Request) -> Response:
        partner = await partner_of(request)
        if isinstance(partner, Response):
            return partner
        params = request.query_params
        since = ascii_whole_number(params.get("since", "0"), high=_LARGEST_SIZE)
        also = _sizes(params.get("also", ""))
        about = [p for p in params.get("about", "").split(",") if p][:_MAX_ABOUT]
        if since is None or also is None or not all(_party_code(p) for p in about):
            return problem(
                400,
                "Bad request",
                "since is a whole number, also a comma-separated list of at most "
                f"{MAX_ALSO} whole numbers, about a comma-separated list of party codes",
            )
        answer = await run_in_threadpool(
            serve_log,
            store,
            party=party,
            signing_key=signing_key,
            partner=partner,
            since=since,
            also=also,
            about=about,
        )
        return JSONResponse({"protocol": PROTOCOL, **answer})

    @router.post("/cosign")
    async def cosign(request: Request) -> Response:
        partner = await partner_of(request)
        if isinstance(partner, Response):
            return partner
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_COSIGN_BODY:
                return problem(
                    413, "Too large", f"a cosign request is at most {MAX_COSIGN_BODY} bytes"
                )
        try:
            body: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict) or body.get("protocol") != PROTOCOL:
            return problem(
                400,
                "Bad request",
                f"a cosign request is a JSON object of witnessing protocol {PROTOCOL}",
            )
        status, answer = await run_in_threadpool(
            receive_cosign, store, party=party, signing_key=signing_key, partner=partner, body=body
        )
        return JSONResponse({"protocol": PROTOCOL, **answer}, status_code=status)

    return router


def _sizes(text: str) -> list[int] | None:
    parts = [part for part in text.split(",") if part]
    if len(parts) > MAX_ALSO:
        return None
    sizes = [ascii_whole_number(part, high=_LARGEST_SIZE) for part in parts]
    return None if any(size is None for size in sizes) else [s for s in sizes if s is not None]


def _party_code(text: str) -> bool:
    return len(text) == 2 and text.isascii() and text.isalpha() and text.isupper()
