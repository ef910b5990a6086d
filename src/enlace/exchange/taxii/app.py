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

Paging: ``next`` is an opaque, stateless cursor — URL-safe base64 of the JSON
``[released_at, record_id, modified]`` of the last version of the page — so any server
process, before or after a restart, continues from it. No offsets, no memory per client.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

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
from enlace.model.errors import RecordError
from enlace.model.timestamps import format_timestamp, parse_timestamp
from enlace.partners.authentication import (
    PartnerUnauthenticated,
    audit_partner_event,
    authenticate_partner,
)
from enlace.store.repositories.partners import Partner
from enlace.store.repositories.releases import ReleasedVersion, VersionMatch
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


def create_app(store: Store, party: str, *, extra_routers: Sequence[APIRouter] = ()) -> FastAPI:
    """The TAXII 2.1 application of the node of `party`, reading and auditing in `store`.

    `extra_routers` (e.g. private matching's /matching/v1) are included first, so the TAXII
    routes with a path parameter at the root never shadow them.
    """
    app = FastAPI(title=f"Enlace node {party} (TAXII 2.1)", docs_url=None, redoc_url=None)
    app.openapi_url = None
    for router in extra_routers:
        app.include_router(router)

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
            raise HTTPException(401, str(refused), headers={"WWW-Authenticate": "Bearer"}) from None
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
            }
        )

    @app.get("/{api_root}/")
    def api_root_info(api_root: str, partner: Partner = auth) -> TaxiiResponse:
        check_root(api_root)
        return TaxiiResponse(
            {
                "title": f"Enlace node {party}",
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": 10 * 1024 * 1024,
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
    ) -> tuple[list[ReleasedVersion], bool]:
        params = request.query_params
        limit = _limit(params.get("limit"))
        after = _cursor(params.get("next"))
        added_after = _timestamp(params.get("added_after"), "added_after")
        ids = _listed(params.get("match[id]"))
        if object_id is not None:
            if ids and object_id not in ids:
                return [], False  # match[id] names other objects than the one asked for
            ids = [object_id]
        types = _listed(params.get("match[type]"))
        version = _version(params.get("match[version]") or default_version)
        spec_versions = _listed(params.get("match[spec_version]"))
        if spec_versions and "2.1" not in spec_versions:
            return [], False
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
        return found[:limit], len(found) > limit

    def paged(
        kind: str,
        request: Request,
        partner: Partner,
        found: list[ReleasedVersion],
        more: bool,
        body: dict[str, Any] | bytes,
    ) -> Response:
        if more and found and isinstance(body, dict):
            body["next"] = encode_cursor(found[-1].cursor)
        headers = {}
        if found:
            headers["X-TAXII-Date-Added-First"] = found[0].released_at
            headers["X-TAXII-Date-Added-Last"] = found[-1].released_at
        audit(
            partner.party,
            "partner-read",
            partner.party,
            {"endpoint": kind, "count": len(found), "query": str(request.url.query)},
        )
        if isinstance(body, bytes):
            return Response(body, media_type=TAXII_MEDIA_TYPE, headers=headers)
        return TaxiiResponse(body, headers=headers)

    def envelope(
        kind: str, request: Request, partner: Partner, found: list[ReleasedVersion], more: bool
    ) -> Response:
        # The stored STIX texts are spliced into the envelope as they are (compact JSON,
        # written by orjson when stored), not parsed and serialised again: the same bytes a
        # parse and re-serialisation would give, without the cost per object.
        body = b"".join(
            (
                b'{"more":',
                b"true" if more else b"false",
                b',"objects":[',
                b",".join(item.stix.encode("utf-8") for item in found),
                b'],"x_enlace_signatures":',
                orjson.dumps(
                    {f"{item.record_id}|{item.modified}": item.signature for item in found}
                ),
                b',"next":' + orjson.dumps(encode_cursor(found[-1].cursor))
                if more and found
                else b"",
                b"}",
            )
        )
        return paged(kind, request, partner, found, more, body)

    @app.get("/{api_root}/collections/{collection}/objects/")
    def objects(
        api_root: str, collection: str, request: Request, partner: Partner = auth
    ) -> Response:
        check_root(api_root)
        own_collection(partner, collection, request.url.path)
        found, more = query(request, partner)
        return envelope("objects", request, partner, found, more)

    @app.get("/{api_root}/collections/{collection}/objects/{object_id}/")
    def one_object(
        api_root: str, collection: str, object_id: str, request: Request, partner: Partner = auth
    ) -> Response:
        check_root(api_root)
        own_collection(partner, collection, request.url.path)
        found, more = query(request, partner, object_id=object_id)
        if not found and not _exists(partner, object_id):
            raise HTTPException(404, f"no object {object_id} in this collection")
        return envelope("object", request, partner, found, more)

    @app.get("/{api_root}/collections/{collection}/objects/{object_id}/versions/")
    def versions(
        api_root: str, collection: str, object_id: str, request: Request, partner: Partner = auth
    ) -> Response:
        check_root(api_root)
        own_collection(partner, collection, request.url.path)
        found, more = query(request, partner, object_id=object_id, default_version="all")
        if not found and not _exists(partner, object_id):
            raise HTTPException(404, f"no object {object_id} in this collection")
        body: dict[str, Any] = {"more": more, "versions": [item.modified for item in found]}
        return paged("versions", request, partner, found, more, body)

    @app.get("/{api_root}/collections/{collection}/manifest/")
    def manifest(
        api_root: str, collection: str, request: Request, partner: Partner = auth
    ) -> Response:
        check_root(api_root)
        own_collection(partner, collection, request.url.path)
        found, more = query(request, partner)
        body: dict[str, Any] = {
            "more": more,
            "objects": [
                {
                    "id": item.record_id,
                    "date_added": item.released_at,
                    "version": item.modified,
                    "media_type": STIX_MEDIA_TYPE,
                }
                for item in found
            ],
        }
        return paged("manifest", request, partner, found, more, body)

    def _exists(partner: Partner, object_id: str) -> bool:
        with store.unit_of_work() as uow:
            return bool(uow.releases.page(partner.party, ids=[object_id], version="all", limit=1))

    return app


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
    try:
        value = int(raw)
    except ValueError:
        raise HTTPException(400, f"limit must be a positive integer, found {raw!r}") from None
    if value < 1:
        raise HTTPException(400, f"limit must be a positive integer, found {raw!r}")
    return min(value, MAX_LIMIT)


def _cursor(raw: str | None) -> tuple[str, str, str] | None:
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
