"""What a request may send before any route reads it: a body-size limit and a cross-site check.

`RequestGuard` wraps the node's whole application (web pages, matching API, TAXII) as an
ASGI middleware, so it runs before any parsing:

- **Body size** (*tamaño del cuerpo*): a declared ``Content-Length`` over the route's limit
  is answered 413 at once, its body never read; a body with no length (chunked) is counted
  as it streams and cut off as soon as it passes the limit, whatever was reading it (a form
  parser, FastAPI's ``Form`` fields, the CSRF check): the answer is 413, with
  ``Connection: close`` so the server stops reading the rest. Nothing larger than the limit
  reaches memory or a temporary file. Routes that bound their own body after
  authenticating the partner (the matching API, whose limit comes from the agreement) are
  named in `own_limit_prefixes` and left to that bound.
- **Cross-site forms**: a browser's POST/PUT/PATCH/DELETE under ``/web`` that says it comes
  from another site (``Sec-Fetch-Site`` other than ``same-origin`` or ``none``, or an
  ``Origin`` other than this node's) is refused 403 before its body is read. The CSRF token
  (inside the body, checked by `enlace.web.security.csrf_checked`) still decides for
  requests without those headers; the two together are what DECISIONS.md asks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from enlace.web.security import CSRF_MISMATCH, t

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_BODY_LIMIT = 64 * 1024  # the largest form a page sends is a few hundred bytes
TOO_LARGE = t(
    "The request is larger than this page accepts ({limit_kib} KiB): nothing was read or written."
)
_SAME_SITE = frozenset({"same-origin", "none"})  # "none": typed in the address bar, a bookmark


class BodyTooLarge(Exception):
    """The request's body passed its route's limit while it was being read."""


class RequestGuard:
    """ASGI middleware: body-size limits and the cross-site check, before any route runs."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        refuse: Callable[[Request, int, str, dict[str, str]], Response],
        default_limit: int = DEFAULT_BODY_LIMIT,
        limits: Mapping[tuple[str, str], int] | None = None,
        own_limit_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.refuse = refuse  # builds the answer (an error page or JSON) for a refusal
        self.default_limit = default_limit
        self.limits = dict(limits or {})
        self.own_limit_prefixes = own_limit_prefixes

    def limit_for(self, method: str, path: str) -> int | None:
        """The largest body `method` `path` may send; None when the route bounds its own."""
        found = self.limits.get((method, path))
        if found is not None:
            return found
        if path.startswith(self.own_limit_prefixes) and self.own_limit_prefixes:
            return None
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method = str(scope["method"])
        if method in UNSAFE_METHODS and _cross_site(scope, headers):
            await self._answer(scope, receive, send, 403, CSRF_MISMATCH, {})
            return
        limit = self.limit_for(method, str(scope["path"]))
        if limit is None:
            await self.app(scope, receive, send)
            return
        values = {"limit_kib": f"{limit // 1024:,}"}
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._answer(scope, receive, send, 413, TOO_LARGE, values)
            return
        await self._guarded(scope, receive, send, limit, values)

    async def _guarded(
        self, scope: Scope, receive: Receive, send: Send, limit: int, values: dict[str, str]
    ) -> None:
        received = 0
        exceeded = False
        started = False  # the application began its answer
        replaced = False  # ...and it was swallowed for the 413

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def checked_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start" and exceeded:
                # Whoever read the body turned the cut-off into its own answer (a 400 from
                # a form parser, a 403 from a token it could not read): the truth is 413.
                replaced = True
                await self._answer(scope, receive, send, 413, TOO_LARGE, values)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, checked_send)
        except BodyTooLarge:
            if not started and not replaced:
                await self._answer(scope, receive, send, 413, TOO_LARGE, values)

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        message: str,
        values: dict[str, str],
    ) -> None:
        request = Request(scope, receive)
        answer = self.refuse(request, status, message, values)
        if status == 413:
            # The rest of the body is not wanted: the server closes instead of reading it.
            answer.headers["Connection"] = "close"
        await answer(scope, receive, send)


def _cross_site(scope: Scope, headers: Headers) -> bool:
    """True for a browser's form under /web that says it comes from another site."""
    if not str(scope["path"]).startswith("/web"):
        return False
    if headers.get("authorization", "").lower().startswith("bearer "):
        return False  # a script with an API token: browsers never add that header themselves
    site = headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() not in _SAME_SITE:
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    return origin.strip().lower() != own.lower()
