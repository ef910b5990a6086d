"""The TAXII 2.1 read side of a node (FastAPI), built by `create_app` — nothing at import.

Every request is authenticated with ``Authorization: Bearer <token>``; the token is matched
by its SHA-256 against the registered partners. A partner sees exactly one collection, whose
id is derived from (this node's party, the partner's party), holding the record versions
released to it, in the order (released_at, record id, modified). ``date_added`` of a version
is when it was released to that partner.

Signatures: each objects/object/versions envelope carries ``x_enlace_signatures``, a map from
``"<id>|<modified>"`` to the base64 Ed25519 signature of that object's RFC 8785 form. They go
in the envelope, not in the objects, because adding a property to a signed object would
change what was signed; in the envelope they arrive in the same response as the objects
(no second round trip per object), and a plain TAXII client simply ignores the property.

Paging (exchange protocol 2): everything released to a partner — record versions, and the
signed tombstones and consents of enlace.exchange.statements — is numbered in one release
sequence per partner, and pages follow it. ``next`` is the number of the last item of the
page: stateless, so any server process, before or after a restart, continues from it.

Each objects page also carries a manifest signed by this node (enlace.exchange.statements):
recipient, the numbers and digests of what the page holds, the highest number released, and
the client's nonce — what lets the receiver refuse what was not addressed to it and notice
what the channel dropped, reordered or replayed. Discovery and the API root state the
protocol version (``x_enlace_protocol``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from nacl.signing import SigningKey
from starlette.exceptions import HTTPException as StarletteHTTPException

from enlace.exchange.statements import PROTOCOL, binding_of, build_manifest, manifest_entries
from enlace.exchange.taxii.protocol import (
    API_ROOT,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    STIX_MEDIA_TYPE,
    TAXII_MEDIA_TYPE,
    collection_id,
    decode_cursor,
    encode_cursor,
)
from enlace.exchange.taxii.witness_routes import create_witness_router
from enlace.model.errors import RecordError
from enlace.model.numerals import ascii_whole_number
from enlace.model.text import holds_control_characters
from enlace.model.timestamps import format_timestamp, parse_timestamp
from enlace.partners.authentication import (
    PARTNER_CHALLENGE,
    PartnerUnauthenticated,
    audit_partner_event,
    authenticate_partner,
)
from enlace.store.repositories.partners import Partner
from enlace.store.repositories.releases import (
    OutboundStatement,
    ReleasedVersion,
    VersionMatch,
)
from enlace.store.store import Store

__all__ = ["API_ROOT", "MAX_LIMIT", "TAXII_MEDIA_TYPE", "collection_id", "create_app"]

_ACCEPTABLE = {"application/taxii+json", "application/*", "*/*"}


class TaxiiResponse(Response):
    """A JSON response with the TAXII 2.1 media type."""

    media_type = TAXII_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _error(status: int, title: str, description: str, **headers: str) -> TaxiiResponse:
    body = {"title": title, "description": description, "http_status": str(status)}
    return TaxiiResponse(body, status_code=status, headers=headers or None)


def create_app(
    store: Store,
    party: str,
    *,
    signing_key: SigningKey,
    extra_routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The TAXII 2.1 application of the node of `party`, reading and auditing in `store`,
    signing each page's manifest with `signing_key` (the node's key).

    `extra_routers` (e.g. private matching's /matching/v1) are included first, so the TAXII
    routes with a path parameter at the root never shadow them.
    """
    # No /openapi.json: a stranger learns nothing of the node's routes from the node itself.
    # (Given here: FastAPI adds the route when it is built, so setting it after is too late.)
    app = FastAPI(
        title=f"Enlace node {party} (TAXII 2.1)", docs_url=None, redoc_url=None, openapi_url=None
    )
    for router in extra_routers:
        app.include_router(router)

    def partner_calling(request: Request) -> Partner:
        return authenticate_partner(
            store,
            authorization=request.headers.get("authorization", ""),
            path=request.url.path,
            client=request.client.host if request.client else None,
        )

    # Witnessing (issue 13): partners countersign each other's audit checkpoints at each sync.
    app.include_router(
        create_witness_router(store, party, signing_key=signing_key, authenticate=partner_calling)
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        headers = dict(error.headers or {})
        return _error(
            error.status_code, _TITLES.get(error.status_code, "Error"), str(error.detail), **headers
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        return _error(400, "Bad request", "the request's parameters are not valid")

    def audit(actor: str, action: str, subject: str | None, detail: dict[str, Any]) -> None:
        audit_partner_event(store, actor=actor, action=action, subject=subject, detail=detail)

    def authenticated(request: Request) -> Partner:
        try:
            partner = authenticate_partner(
                store,
                authorization=request.headers.get("authorization", ""),
                path=request.url.path,
                client=request.client.host if request.client else None,
            )
        except PartnerUnauthenticated as refused:
            raise HTTPException(
                401, str(refused), headers={"WWW-Authenticate": PARTNER_CHALLENGE}
            ) from None
        _check_accept(request)
        return partner

    def own_collection(partner: Partner, wanted: str, path: str) -> None:
        if wanted != collection_id(party, partner.party):
            audit(
                partner.party,
                "collection-denied",
                partner.party,
                {"collection": wanted, "path": path},
            )
            raise HTTPException(404, f"no collection {wanted} for {partner.party}")

    def check_root(api_root: str) -> None:
        if api_root != API_ROOT:
            raise HTTPException(404, f"no API root {api_root!r}")

    def describe(partner: Partner) -> dict[str, Any]:
        return {
            "id": collection_id(party, partner.party),
            "title": f"Released by {party} to {partner.party}",
            "description": f"Record versions node {party} released to {partner.party}",
            "can_read": True,
            "can_write": False,
            "media_types": [STIX_MEDIA_TYPE],
        }

    auth = Depends(authenticated)

    @app.get("/taxii2/")
    def discovery(request: Request, partner: Partner = auth) -> TaxiiResponse:
        return TaxiiResponse(
            {
                "title": f"Enlace node {party}",
                "description": f"TAXII 2.1 service of the Enlace node of {party}",
                "default": f"{request.base_url}{API_ROOT}/",
                "api_roots": [f"{request.base_url}{API_ROOT}/"],
                "x_enlace_protocol": PROTOCOL,
            }
        )

    @app.get("/{api_root}/")
    def api_root_info(api_root: str, partner: Partner = auth) -> TaxiiResponse:
        check_root(api_root)
        return TaxiiResponse(
            {
                "title": f"Enlace node {party}",
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": MAX_CONTENT_LENGTH,
                "x_enlace_protocol": PROTOCOL,
            }
        )

    @app.get("/{api_root}/collections/")
    def collections(api_root: str, partner: Partner = auth) -> TaxiiResponse:
        check_root(api_root)
        return TaxiiResponse({"collections": [describe(partner)]})

    @app.get("/{api_root}/collections/{collection}/")
    def collection(
        api_root: str, collection: str, request: Request, partner: Partner = auth
    ) -> TaxiiResponse:
        check_root(api_root)
        own_collection(partner, collection, request.url.path)
        return TaxiiResponse(describe(partner))

    def query(
        request: Request,
        partner: Partner,
        *,
        object_id: str | None = None,
        default_version: str = "last",
        statements: bool = False,
    ) -> _Found:
        params = request.query_params
        limit = _limit(params.get("limit"))
        after = _cursor(params.get("next"))
        added_after = _timestamp(params.get("added_after"), "added_after")
        ids = _listed(params.get("match[id]"))
        if object_id is not None:
            if ids and object_id not in ids:
                return _Found([], [], False, after or 0, 0, True)  # other objects asked for
            ids = [object_id]
        types = _listed(params.get("match[type]"))
        version = _version(params.get("match[version]") or default_version)
        spec_versions = _listed(params.get("match[spec_version]"))
        filtered = bool(ids or types or added_after) or version != "all"
        if spec_versions and "2.1" not in spec_versions:
            return _Found([], [], False, after or 0, 0, True)
        with store.unit_of_work() as uow:
            found = uow.releases.page(
                partner.party,
                after=after,
                added_after=added_after,
                ids=ids,
                types=types,
                version=version,
                limit=limit + 1,
            )
            said: list[OutboundStatement] = []
            if statements and not (ids or types or added_after):
                # Tombstones and consents are numbered in the same sequence; a page holds
                # the lowest numbers of both together.
                said = uow.releases.statements_page(
                    partner.party, after=after or 0, limit=limit + 1
                )
            highest = uow.releases.highest(partner.party)
        if not said:  # the usual page: record versions only, already in sequence order
            kept_versions = found[:limit]
            last = kept_versions[-1].sequence if kept_versions else None
            return _Found(
                kept_versions, [], len(found) > limit, after or 0, highest, filtered, last
            )
        items: list[ReleasedVersion | OutboundStatement] = sorted(
            [*found, *said], key=lambda item: item.sequence
        )
        more = len(items) > limit
        kept = items[:limit]
        return _Found(
            [item for item in kept if isinstance(item, ReleasedVersion)],
            [item for item in kept if isinstance(item, OutboundStatement)],
            more,
            after or 0,
            highest,
            filtered,
            kept[-1].sequence if kept else None,
        )

    def paged(
        kind: str,
        request: Request,
        partner: Partner,
        found: _Found,
        body: dict[str, Any] | bytes,
    ) -> Response:
        if found.more and found.last is not None and isinstance(body, dict):
            body["next"] = encode_cursor(found.last)
        headers = {}
        if found.versions:
            headers["X-TAXII-Date-Added-First"] = found.versions[0].released_at
            headers["X-TAXII-Date-Added-Last"] = found.versions[-1].released_at
        audit(
            partner.party,
            "partner-read",
            partner.party,
            {"endpoint": kind, "count": len(found.versions), "query": str(request.url.query)},
        )
        if isinstance(body, bytes):
            return Response(body, media_type=TAXII_MEDIA_TYPE, headers=headers)
        return TaxiiResponse(body, headers=headers)

    def envelope(kind: str, request: Request, partner: Partner, found: _Found) -> Response:
        # The stored STIX texts are spliced into the envelope as they are (compact JSON,
        # written by orjson when stored), not parsed and serialised again: the same bytes a
        # parse and re-serialisation would give, without the cost per object.
        versions = found.versions
        entries = manifest_entries("record", ((v.sequence, v.signature) for v in versions))
        if found.statements:
            entries += [(i.sequence, i.kind, binding_of(i.signature)) for i in found.statements]
            entries.sort(key=lambda entry: entry[0])
        nonce = request.query_params.get("x_enlace_nonce")
        manifest, manifest_signature = build_manifest(
            sender=party,
            recipient=partner.party,
            after=found.after,
            highest=found.highest,
            more=found.more,
            nonce=nonce[:64] if nonce else None,
            filtered=found.filtered,
            entries=entries,
            signing_key=signing_key,
        )
        extra: dict[str, Any] = {
            "x_enlace_manifest": manifest,
            "x_enlace_manifest_signature": manifest_signature,
        }
        if found.statements:
            extra["x_enlace_statements"] = [
                {
                    "kind": item.kind,
                    "statement": orjson.loads(item.statement),
                    "signature": item.signature,
                }
                for item in found.statements
            ]
        onward = [item for item in versions if item.owner != party]
        if onward:
            # A record passed on with its owner's consent travels with that consent, in the
            # same page, so the receiver can check both signatures before storing it.
            with store.unit_of_work() as uow:
                consents = [
                    consent
                    for item in onward
                    if (
                        consent := uow.consents.find(
                            item.record_id, item.modified, party, partner.party
                        )
                    )
                    is not None
                ]
            extra["x_enlace_consents"] = [
                {"statement": orjson.loads(c.statement), "signature": c.signature} for c in consents
            ]
        body = b"".join(
            (
                b'{"more":',
                b"true" if found.more else b"false",
                b',"objects":[',
                b",".join(item.stix.encode("utf-8") for item in versions),
                b'],"x_enlace_signatures":',
                orjson.dumps(
                    {f"{item.record_id}|{item.modified}": item.signature for item in versions}
                ),
                b"," + orjson.dumps(extra)[1:-1],
                b',"next":' + orjson.dumps(encode_cursor(found.last))
                if found.more and found.last is not None
                else b"",
                b"}",
            )
        )
        return paged(kind, request, partner, found, body)

    @app.get("/{api_root}/collections/{collection}/objects/")
    def objects(
        api_root: str, collection: str, request: Request, partner: Partner = auth
    ) -> Response:
        check_root(api_root)
        own_collection(partner, collection, request.url.path)
        found = query(request, partner, statements=True)
        return envelope("objects", request, partner, found)

    @app.get("/{api_root}/collections/{collection}/objects/{object_id}/")
    def one_object(
        api_root: str, collection: str, object_id: str, request: Request, partner: Partner = auth
    ) -> Response:
        check_root(api_root)
        own_collection(partner, collection, request.url.path)
        found = query(request, partner, object_id=object_id)
        if not found.versions and not _exists(partner, object_id):
            raise HTTPException(404, f"no object {object_id} in this collection")
        return envelope("object", request, partner, found)

    @app.get("/{api_root}/collections/{collection}/objects/{object_id}/versions/")
    def versions(
        api_root: str, collection: str, object_id: str, request: Request, partner: Partner = auth
    ) -> Response:
        check_root(api_root)
        own_collection(partner, collection, request.url.path)
        found = query(request, partner, object_id=object_id, default_version="all")
        if not found.versions and not _exists(partner, object_id):
            raise HTTPException(404, f"no object {object_id} in this collection")
        body: dict[str, Any] = {
            "more": found.more,
            "versions": [item.modified for item in found.versions],
        }
        return paged("versions", request, partner, found, body)

    @app.get("/{api_root}/collections/{collection}/manifest/")
    def manifest(
        api_root: str, collection: str, request: Request, partner: Partner = auth
    ) -> Response:
        check_root(api_root)
        own_collection(partner, collection, request.url.path)
        found = query(request, partner)
        body: dict[str, Any] = {
            "more": found.more,
            "objects": [
                {
                    "id": item.record_id,
                    "date_added": item.released_at,
                    "version": item.modified,
                    "media_type": STIX_MEDIA_TYPE,
                }
                for item in found.versions
            ],
        }
        return paged("manifest", request, partner, found, body)

    def _exists(partner: Partner, object_id: str) -> bool:
        with store.unit_of_work() as uow:
            return bool(uow.releases.page(partner.party, ids=[object_id], version="all", limit=1))

    return app


MAX_CONTENT_LENGTH = 10 * 1024 * 1024  # advertised; this server reads no request bodies


@dataclass(frozen=True, slots=True)
class _Found:
    """One page of a partner's release sequence: versions and statements, in order."""

    versions: list[ReleasedVersion]
    statements: list[OutboundStatement]
    more: bool
    after: int
    highest: int
    filtered: bool
    last: int | None = None  # the number of the page's last item


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
}


def _check_accept(request: Request) -> None:
    accept = request.headers.get("accept")
    if accept is None or not accept.strip():
        return
    for part in accept.split(","):
        media, *params = (piece.strip().lower() for piece in part.split(";"))
        if media not in _ACCEPTABLE:
            continue
        versions = [p.split("=", 1)[1].strip() for p in params if p.startswith("version=")]
        if media == "application/taxii+json" and versions and versions[0] != "2.1":
            continue
        return
    raise HTTPException(406, f"this server answers only {TAXII_MEDIA_TYPE}, not {accept!r}")


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    text = raw.strip()
    # ASCII digits only (int() reads '٣' as 3); a larger limit is served as the largest,
    # without int() of however many digits were sent.
    if not (text.isascii() and text.isdigit()) or not text.strip("0"):
        raise HTTPException(
            400, f"limit must be a positive integer in the digits 0-9, found {raw[:40]!r}"
        )
    return ascii_whole_number(text, low=1, high=MAX_LIMIT) or MAX_LIMIT


def _cursor(raw: str | None) -> int | None:
    if raw is None:
        return None
    position = decode_cursor(raw)
    if position is None:
        raise HTTPException(400, f"next {raw!r} is not a cursor this server issued")
    return position


def _timestamp(raw: str | None, name: str) -> str | None:
    if raw is None:
        return None
    try:
        return format_timestamp(parse_timestamp(raw, field=name))
    except RecordError:
        raise HTTPException(400, f"{name} must be a timestamp, found {raw!r}") from None


def _listed(raw: str | None) -> list[str]:
    if raw and holds_control_characters(raw):
        # No id, type or version has them, and PostgreSQL refuses NUL in a query's text.
        raise HTTPException(400, "a match[...] filter holds control characters")
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _version(raw: str) -> VersionMatch | list[str]:
    parts = _listed(raw)
    if parts in (["last"], ["first"], ["all"]):
        word: VersionMatch = parts[0]  # type: ignore[assignment]
        return word
    if "all" in parts:
        return "all"
    stamps = []
    for part in parts:
        if part in ("last", "first"):
            raise HTTPException(
                400, "match[version] mixing first/last with others is not supported"
            )
        stamps.append(_timestamp(part, "match[version]") or "")
    return stamps
