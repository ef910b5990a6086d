"""The node's whole HTTP application: web pages for people, the matching API and TAXII.

`create_node_app` composes, in this order (first match wins): static files under
``/web/static``, ``/`` → ``/web/``, the login routes, the page routers of
`enlace.web.pages.ROUTERS`, a catch-all 404 page (signed-in users only) for other
``/web/...`` paths, and last the partners' application mounted at ``/``: the matching API
(`enlace.matching.api`) and TAXII 2.1 — last, so that TAXII's ``/{api_root}/`` catch-all
never shadows the routes above. Nothing is built at import; two nodes can run in one process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from enlace.exchange.taxii.app import create_app as create_taxii_app
from enlace.matching.api import create_matching_router
from enlace.matching.blinding import BlindingPool
from enlace.matching.wire import PREFIX as MATCHING_PREFIX
from enlace.model.text import holds_control_characters
from enlace.node.config import NodeConfig
from enlace.node.keys import load_signing_key
from enlace.store.store import Store
from enlace.users.authentication import ThrottlePolicy
from enlace.users.sessions import SessionPolicy
from enlace.web.context import WebContext
from enlace.web.errors import error_page, install_error_pages
from enlace.web.guard import RequestGuard
from enlace.web.login import build_login_router
from enlace.web.pages import ROUTERS
from enlace.web.pages.imports import FORM_OVERHEAD, MAX_UPLOAD_BYTES
from enlace.web.security import CSRF_COOKIE, allow, csrf_checked, public, t

_STATIC = Path(__file__).with_name("static")
_NO_SUCH_PAGE = t("There is no page {path} on this node.")
_CONTROL_CHARACTERS = t("The address holds control characters: no page has them.")
# What a browser may do with our pages: no framing by other sites (clickjacking), no
# guessing of content types, forms only back to this node, no referrer to other sites.
# Scripts, styles, fonts and frames only from this node (the pages need no third-party
# script, and no inline one); images also as data: URIs (the charts).
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'self'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
_HSTS = "max-age=31536000"


def _refusal(request: Request, status: int, message: str, values: dict[str, str]) -> Response:
    return error_page(request, status, message, values=values)


def create_node_app(
    store: Store,
    config: NodeConfig,
    *,
    key_dir: Path | None = None,
    sessions: SessionPolicy | None = None,
    throttle: ThrottlePolicy | None = None,
    blinding: BlindingPool | None = None,
) -> FastAPI:
    """The HTTP application of the node `config` describes, reading and writing `store`;
    `blinding` blinds the PSI runs partners start (default: this machine's processes)."""
    key_dir = key_dir or config.key_dir
    app = FastAPI(
        title=f"Enlace node {config.party}", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.enlace = WebContext(
        store=store,
        config=config,
        key_dir=key_dir,
        sessions=sessions or SessionPolicy(),
        throttle=throttle or ThrottlePolicy(),
    )
    install_error_pages(app)
    # Inside the headers middleware, so that its refusals carry the same headers.
    app.add_middleware(
        RequestGuard,
        refuse=_refusal,
        limits={("POST", "/web/import"): MAX_UPLOAD_BYTES + FORM_OVERHEAD},
        # The matching API reads its bodies itself, after authenticating the partner, up
        # to what the partner's agreement allows.
        own_limit_prefixes=(MATCHING_PREFIX + "/",),
    )
    app.middleware("http")(_web_headers)
    if _STATIC.is_dir():
        app.mount("/web/static", StaticFiles(directory=_STATIC), name="static")

    @app.get("/", dependencies=[public()], include_in_schema=False)
    def root() -> Response:
        return RedirectResponse("/web/", status_code=303)

    app.include_router(build_login_router())
    for router in ROUTERS:
        app.include_router(router)

    @app.api_route(
        "/web/{rest:path}",
        methods=["GET", "POST", "PUT", "DELETE"],
        # Signed-in users only: a visitor learns nothing of which pages exist.
        dependencies=[allow(), csrf_checked],
        include_in_schema=False,
    )
    def no_such_page(request: Request, rest: str) -> Response:
        return error_page(request, 404, _NO_SUCH_PAGE, values={"path": f"/web/{rest}"})

    # The partners' protocols (matching, then TAXII) share one sub-application: partner
    # bearer tokens, JSON problem answers, and no user sessions.
    matching = create_matching_router(store, config.party, pool=blinding)
    # The node's key signs each page's manifest (exchange protocol 2); loading it here
    # refuses, at start-up, a key others can read.
    taxii = create_taxii_app(
        store, config.party, signing_key=load_signing_key(key_dir), extra_routers=[matching]
    )
    app.mount("/", taxii, name="partners")
    return app


async def _web_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    if holds_control_characters(request.scope.get("path", "")):
        # No route has control characters in its path; refused here, once for every
        # application below (a NUL would reach the audit log, which PostgreSQL refuses).
        return error_page(request, 400, _CONTROL_CHARACTERS)
    response = await call_next(request)
    if request.url.scheme == "https":
        # Browsers that met the node over TLS never try it over plain HTTP again.
        response.headers.setdefault("Strict-Transport-Security", _HSTS)
    path = request.url.path
    if path == "/" or path.startswith("/web"):
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not path.startswith("/web/static/"):
            # Pages show records: never kept by the browser or a cache on the way, where
            # the back button or the next person at the desk would find them.
            response.headers["Cache-Control"] = "no-store"
        new_token = getattr(request.state, "enlace_new_csrf_cookie", None)
        if isinstance(new_token, str):
            response.set_cookie(
                CSRF_COOKIE,
                new_token,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path="/web",
            )
    return response
