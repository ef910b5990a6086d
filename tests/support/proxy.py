"""A tampering reverse proxy on loopback: the hostile channel of the exchange tests (issue 12).

`TamperingProxy(upstream)` listens on 127.0.0.1 (stdlib `http.server`, a thread per
connection, HTTP/1.1 with keep-alive) and forwards each request — method, path, query,
headers and body — to `upstream` with httpx. Every header is forwarded but the hop-by-hop
ones: `Authorization`, and `Host` too, so the upstream sees the proxy's address, as behind a
transparent reverse proxy (a node's discovery names the address it was asked at). The
upstream's answer comes back unchanged unless a *rule* the test installed matches the
request: then the rule's *tamper* rewrites the answer first.

    with serving(mx, port) as mx_url, TamperingProxy(mx_url) as proxy:
        ...register proxy.url as MX's URL at US...
        proxy.tamper("/objects/", trickle(1, every=0.5), skip=1)  # every page but the first
        ...sync...
        assert not any(seen.header("authorization") for seen in elsewhere.requests)

A rule (`tamper(path, tamper, skip=, times=, when=)`) matches a request whose path contains
`path` (a `str`), or fully matches it (a compiled `re.Pattern`), and for which `when(seen)`
holds; it lets the first `skip` such requests through and tampers at most `times` answers.
Several rules matching one request apply in the order they were installed, each to what
the one before made (so `rewrite_json` then `trickle` trickles the rewritten page).

A tamper is a function `(Answer, Seen) -> Answer`. Those here: `rewrite_json`,
`rewrite_headers`, `set_headers`, `replace_body`, `replay` (an answer recorded earlier:
`proxy.answers(path)`), `drop_objects`, `reorder_objects`, `inject_objects` (say, objects
of another node's answer: `objects_of`), `force_next`, `repeat_page`, `trickle` and
`flood`. An `Answer` whose `stream` is set is sent with chunked transfer encoding as the
stream yields (trickle, flood); `cut_streams()` cuts every such answer in progress mid-body
(the client sees an unfinished answer), and so does leaving the `with` block.

What passed is recorded: `requests` (every request received, headers included, with the
port it arrived on), `exchanges` (each request with the upstream's answer, the answer
served, how many body bytes were written and whether all were), `answers(path)`.

`RecordingListener` is a small server that answers every request with a fixed answer (or a
function of the request) and records it the same way: the "somewhere else" a tampered
discovery points to, where no token may arrive, or a stand-in upstream.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import socket
import ssl
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import httpx
import orjson

from support import timing

# Headers about one connection, not the message (RFC 9110, 7.6.1): never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# httpx hands over the body decoded and whole: the proxy states its length itself.
_RECOMPUTED = frozenset({"content-length", "content-encoding"})
JSON = "application/json"

Headers = tuple[tuple[str, str], ...]


class StreamCut(Exception):
    """A streamed answer is to be cut mid-body (`cut_streams`, or the proxy closing)."""


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as a server here received it."""

    method: str
    path: str
    query: str  # as sent, still percent-encoded; "" when none
    headers: Headers  # as received, names lowercased
    body: bytes
    port: int  # the port it arrived on

    @property
    def target(self) -> str:
        """The path and query, as in the request line."""
        return f"{self.path}?{self.query}" if self.query else self.path

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)


# A streamed body: called with the event that, once set, asks it to stop (raise StreamCut).
Stream = Callable[[threading.Event], Iterator[bytes]]


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: status, headers (no hop-by-hop ones, no Content-Length), body.

    With `stream` set the answer is sent chunked, as the stream yields, and `body` is only
    what the stream was made from.
    """

    status: int
    headers: Headers
    body: bytes
    stream: Stream | None = None

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (fails the tamper loudly when it is not one)."""
        body = orjson.loads(self.body)
        if not isinstance(body, dict):
            raise TypeError(f"the answer's body is not a JSON object: {self.body[:80]!r}")
        return body

    def with_json(self, body: Mapping[str, Any]) -> Answer:
        """The same answer with `body` as its JSON body."""
        return dataclasses.replace(self, body=orjson.dumps(body))

    def with_headers(self, values: Mapping[str, str]) -> Answer:
        """The same answer with each header of `values` set (replacing any of that name)."""
        names = {name.lower() for name in values}
        kept = tuple((k, v) for k, v in self.headers if k.lower() not in names)
        return dataclasses.replace(self, headers=kept + tuple(values.items()))


Tamper = Callable[[Answer, Seen], Answer]
PathMatch = str | re.Pattern[str]


@dataclass(slots=True, eq=False)
class Rule:
    """A tamper and the requests whose answers it applies to (see the module)."""

    path: PathMatch
    tamper: Tamper
    skip: int = 0
    times: int | None = None
    when: Callable[[Seen], bool] | None = None
    matched: int = 0  # matching requests seen so far
    applied: int = 0  # answers tampered so far

    def matches(self, seen: Seen) -> bool:
        """Whether `seen` is a request this rule is about (skip and times aside)."""
        if isinstance(self.path, str):
            hit = self.path in seen.path
        else:
            hit = self.path.fullmatch(seen.path) is not None
        return hit and (self.when is None or self.when(seen))


@dataclass(slots=True, eq=False)
class Exchange:
    """A request, what the upstream answered (None at a listener), what was served."""

    request: Seen
    upstream: Answer | None
    served: Answer
    sent: int = 0  # body bytes written to the client so far
    finished: bool = False  # the whole answer was written


# --- the servers -------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """A ThreadingHTTPServer on 127.0.0.1 that knows its open connections, to cut them."""

    daemon_threads = False
    block_on_close = True  # server_close joins the connections' threads: nothing outlives it

    def __init__(self, owner: _Loopback, port: int, tls: ssl.SSLContext | None) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)
        self.tls = tls is not None
        if tls is not None:
            # The handshake is made in the connection's own thread (finish_request), not
            # in the accept loop, so that a client that never speaks TLS holds up nobody.
            self.socket = tls.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )

    def finish_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        assert isinstance(request, socket.socket)
        with self.connections_lock:
            self.connections.add(request)
        try:
            if isinstance(request, ssl.SSLSocket):
                try:
                    request.do_handshake()
                except ssl.SSLError as refused:
                    # Plain HTTP on the TLS port: whatever it carried went over the wire
                    # in clear. Counted for the test (`plain_requests`), never answered.
                    if refused.reason == "HTTP_REQUEST":
                        self.owner.record_plain_request()
                    return
                except OSError:
                    return
            super().finish_request(request, client_address)
        finally:
            with self.connections_lock:
                self.connections.discard(request)

    def cut_connections(self) -> None:
        """Shut every open connection: a thread reading or writing one returns at once."""
        with self.connections_lock:
            open_now = list(self.connections)
        for connection in open_now:
            with contextlib.suppress(OSError):  # already closed by the other end
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Kept for the test to read (`errors`), not printed into its output.
        self.owner.record_error(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked answers, as a real proxy serves
    server: _Server

    def do_GET(self) -> None:
        self._relay()

    def do_HEAD(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def do_PUT(self) -> None:
        self._relay()

    def do_PATCH(self) -> None:
        self._relay()

    def do_DELETE(self) -> None:
        self._relay()

    def do_OPTIONS(self) -> None:
        self._relay()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: what passed is in `requests`, not in the test's output."""

    def _relay(self) -> None:
        body = self._read_body()
        path, _, query = self.path.partition("?")
        headers = tuple((name.lower(), value) for name, value in self.headers.items())
        seen = Seen(self.command, path, query, headers, body, self.server.server_port)
        self._send(self.server.owner.exchange(seen))

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers: none are kept
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, exchange: Exchange) -> None:
        answer = exchange.served
        # Not send_response: it adds Date and Server, which the upstream's answer carries.
        self.send_response_only(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        if answer.stream is None:
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
                exchange.sent = len(answer.body)
            exchange.finished = True
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        owner = self.server.owner
        cut = owner.stream_started()
        try:
            for chunk in answer.stream(cut):
                if cut.is_set():
                    raise StreamCut
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    exchange.sent += len(chunk)
            self.wfile.write(b"0\r\n\r\n")
            exchange.finished = True
        except (StreamCut, OSError):
            # Cut mid-body, or the client stopped reading and went: end the connection
            # without the last chunk, so the client sees an answer that never finished.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        finally:
            owner.stream_ended()


class _Loopback:
    """What the proxy and the listener share: a server on 127.0.0.1 in a thread, the
    exchanges it recorded, the streams it is sending."""

    def __init__(self, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self._requested_port = port
        self._tls = tls
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self._errors: list[str] = []
        self._plain_requests = 0
        self._cut = threading.Event()
        self._streaming = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.url = ""

    def __enter__(self) -> Self:
        self._server = _Server(self, self._requested_port, self._tls)
        self.port = self._server.server_port
        self.url = f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop: streams in progress are cut, connections shut, every thread joined."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        self._cut.set()
        server.shutdown()  # no new connections
        server.cut_connections()  # threads waiting on a kept-alive connection return
        server.server_close()  # and are joined
        thread.join(timeout=timing.timeout(10))

    # --- what the handlers call -----------------------------------------------------------

    def exchange(self, seen: Seen) -> Exchange:
        """The answer to `seen` (recorded before it is sent)."""
        raise NotImplementedError

    def _record(self, exchange: Exchange) -> Exchange:
        with self._lock:
            self._exchanges.append(exchange)
        return exchange

    def record_error(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)

    def record_plain_request(self) -> None:
        with self._lock:
            self._plain_requests += 1

    def stream_started(self) -> threading.Event:
        """Count a streamed answer starting; the event that cuts it."""
        with self._lock:
            self._streaming += 1
            return self._cut

    def stream_ended(self) -> None:
        with self._lock:
            self._streaming -= 1

    # --- what the tests read --------------------------------------------------------------

    @property
    def requests(self) -> list[Seen]:
        """Every request received so far, in order."""
        with self._lock:
            return [e.request for e in self._exchanges]

    @property
    def exchanges(self) -> list[Exchange]:
        """Every request received so far with its answers, in order."""
        with self._lock:
            return list(self._exchanges)

    @property
    def streaming(self) -> int:
        """How many streamed answers are being sent now."""
        with self._lock:
            return self._streaming

    @property
    def plain_requests(self) -> int:
        """With TLS: how many connections spoke plain HTTP instead (their bytes, a token
        included, crossed the network in clear)."""
        with self._lock:
            return self._plain_requests

    @property
    def errors(self) -> list[str]:
        """Tracebacks of the handlers' own failures (a bug in a tamper, say)."""
        with self._lock:
            return list(self._errors)

    def cut_streams(self) -> None:
        """Cut every streamed answer in progress mid-body; later ones are sent as usual."""
        with self._lock:
            cut, self._cut = self._cut, threading.Event()
        cut.set()


class TamperingProxy(_Loopback):
    """A reverse proxy to `upstream` on 127.0.0.1 that tampers with answers (see the module).

    `port` 0 takes a free one; `proxy.url` and `proxy.port` are known once it is entered.
    With `tls` (a server context) it terminates TLS, as a proxy in front of a node
    serving plain HTTP does: `proxy.url` is then https. `forward_headers` are added to every
    request it forwards (a well configured TLS-terminating proxy sends
    `X-Forwarded-Proto: https`); the test may change them while the proxy runs.
    """

    def __init__(self, upstream: str, *, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(port, tls)
        self.upstream = upstream.rstrip("/")
        self.forward_headers: list[tuple[str, str]] = []
        self._rules: list[Rule] = []
        self._client = httpx.Client(
            timeout=timing.timeout(30),
            follow_redirects=False,
            trust_env=False,  # straight to the upstream on loopback, whatever HTTP_PROXY says
        )

    def close(self) -> None:
        super().close()
        self._client.close()

    def tamper(
        self,
        path: PathMatch,
        tamper: Tamper,
        *,
        skip: int = 0,
        times: int | None = None,
        when: Callable[[Seen], bool] | None = None,
    ) -> Rule:
        """Install a rule: answers to requests matching `path` (and `when`) go through
        `tamper`, but for the first `skip` of them, and at most `times` (None: all)."""
        rule = Rule(path, tamper, skip=skip, times=times, when=when)
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: Rule) -> None:
        """Take a rule out: the answers it matched pass unchanged again."""
        with self._lock:
            self._rules.remove(rule)

    def clear(self) -> None:
        """Take every rule out."""
        with self._lock:
            self._rules.clear()

    def answers(self, path: PathMatch) -> list[Answer]:
        """The upstream's answers so far (before any tampering) to requests matching `path`,
        in order: what `replay` serves again."""
        probe = Rule(path, lambda answer, _seen: answer)
        return [
            e.upstream
            for e in self.exchanges
            if e.upstream is not None and probe.matches(e.request)
        ]

    def exchange(self, seen: Seen) -> Exchange:
        upstream = self._forward(seen)
        with self._lock:
            chosen: list[Rule] = []
            for rule in self._rules:
                if not rule.matches(seen):
                    continue
                rule.matched += 1
                if rule.matched <= rule.skip:
                    continue
                if rule.times is not None and rule.applied >= rule.times:
                    continue
                rule.applied += 1
                chosen.append(rule)
        served = upstream
        for rule in chosen:
            served = rule.tamper(served, seen)
        return self._record(Exchange(seen, upstream, served))

    def _forward(self, seen: Seen) -> Answer:
        headers = [
            (name, value)
            for name, value in seen.headers
            if name not in HOP_BY_HOP and name != "content-length"
        ] + list(self.forward_headers)
        try:
            response = self._client.request(
                seen.method, self.upstream + seen.target, headers=headers, content=seen.body
            )
        except httpx.HTTPError as error:
            body = {"title": "the proxy could not reach its upstream", "description": str(error)}
            return Answer(502, (("content-type", JSON),), orjson.dumps(body))
        kept = tuple(
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in HOP_BY_HOP | _RECOMPUTED
        )
        return Answer(response.status_code, kept, response.content)


class RecordingListener(_Loopback):
    """A server on 127.0.0.1 that records every request and answers it with `answer` (a
    fixed answer, or a function of the request; by default 200 and an empty JSON object)."""

    def __init__(
        self, answer: Answer | Callable[[Seen], Answer] | None = None, *, port: int = 0
    ) -> None:
        super().__init__(port)
        self._answer = answer or Answer(200, (("content-type", JSON),), b"{}")

    def exchange(self, seen: Seen) -> Exchange:
        answer = self._answer(seen) if callable(self._answer) else self._answer
        return self._record(Exchange(seen, None, answer))


# --- tampers -----------------------------------------------------------------------------


def objects_of(answer: Answer) -> list[Any]:
    """The objects of a TAXII envelope (an objects page), [] when it has none."""
    found = answer.json().get("objects")
    return list(found) if isinstance(found, list) else []


def rewrite_json(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Tamper:
    """Serve the JSON body as `change` rewrites it (it may change the dict it is given)."""
    return lambda answer, _seen: answer.with_json(change(answer.json()))


def rewrite_headers(change: Callable[[Headers], Headers]) -> Tamper:
    """Serve the headers as `change` rewrites them (Content-Length is the proxy's own)."""
    return lambda answer, _seen: dataclasses.replace(answer, headers=change(answer.headers))


def set_headers(values: Mapping[str, str]) -> Tamper:
    """Set these headers (replacing the upstream's of the same name), e.g. a forged
    X-TAXII-Date-Added-Last."""
    return lambda answer, _seen: answer.with_headers(values)


def replace_body(
    body: bytes, *, status: int | None = None, content_type: str | None = None
) -> Tamper:
    """Serve `body` in place of the upstream's (with `status` and `content_type` when given)."""

    def tamper(answer: Answer, _seen: Seen) -> Answer:
        replaced = dataclasses.replace(answer, body=body, status=status or answer.status)
        return replaced.with_headers({"content-type": content_type}) if content_type else replaced

    return tamper


def replay(recorded: Answer) -> Tamper:
    """Serve `recorded` (an earlier answer: `proxy.answers(path)[i]`) again, whatever the
    upstream answers now."""
    return lambda _answer, _seen: recorded


def drop_objects(drop: Callable[[Any], bool] = lambda _object: True) -> Tamper:
    """Leave out of an objects page the objects for which `drop` is true (by default all);
    the rest of the envelope (signatures, `more`, `next`) is left as it is."""

    def change(body: dict[str, Any]) -> dict[str, Any]:
        body["objects"] = [o for o in body.get("objects") or [] if not drop(o)]
        return body

    return rewrite_json(change)


def reorder_objects(order: Callable[[list[Any]], list[Any]] | None = None) -> Tamper:
    """Serve an objects page's objects in the order `order` gives (by default reversed)."""

    def change(body: dict[str, Any]) -> dict[str, Any]:
        objects = list(body.get("objects") or [])
        body["objects"] = order(objects) if order is not None else objects[::-1]
        return body

    return rewrite_json(change)


def inject_objects(objects: Sequence[Any], *, at: int | None = None) -> Tamper:
    """Add `objects` to an objects page (at index `at`, by default at its end), e.g. objects
    taken from another node's answer (`objects_of`). Only the objects: a signature for them
    in the envelope is the test's to add (`rewrite_json`), as the envelope's format is the
    wire protocol's."""

    def change(body: dict[str, Any]) -> dict[str, Any]:
        held = list(body.get("objects") or [])
        where = len(held) if at is None else at
        body["objects"] = held[:where] + list(objects) + held[where:]
        return body

    return rewrite_json(change)


def force_next(cursor: str | None = None) -> Tamper:
    """Every page says `more` with `next` = `cursor` (by default the first `next` the
    upstream gave): pages go on, but the client is sent back to the same place each time."""
    lock = threading.Lock()
    fixed: list[str] = [cursor] if cursor is not None else []

    def change(body: dict[str, Any]) -> dict[str, Any]:
        with lock:
            if not fixed and isinstance(body.get("next"), str):
                fixed.append(body["next"])
            if fixed:
                body["more"], body["next"] = True, fixed[0]
        return body

    return rewrite_json(change)


def repeat_page() -> Tamper:
    """The first page this rule tampers is served every time after, whatever was asked:
    the same objects, the same `next`, for ever."""
    lock = threading.Lock()
    first: list[Answer] = []

    def tamper(answer: Answer, _seen: Seen) -> Answer:
        with lock:
            if not first:
                first.append(answer)
            return first[0]

    return tamper


def trickle(size: int = 1, every: float = 1.0, *, endless: bool = False) -> Tamper:
    """Send the body `size` bytes every `every` seconds (chunked). `endless`: once the body
    is sent, go on sending spaces (JSON allows them after the value) until cut."""
    if size < 1 or every <= 0:
        raise ValueError("trickle needs size >= 1 and every > 0")

    def tamper(answer: Answer, _seen: Seen) -> Answer:
        data = answer.body

        def stream(cut: threading.Event) -> Iterator[bytes]:
            for start in range(0, len(data), size):
                # The pace is the tamper itself; the wait ends early only to be cut.
                if start and cut.wait(every):
                    raise StreamCut
                yield data[start : start + size]
            while endless:
                if cut.wait(every):
                    raise StreamCut
                yield b" " * size

        return dataclasses.replace(answer, stream=stream)

    return tamper


def flood(size: int, *, chunk: int = 64 * 1024) -> Tamper:
    """Serve an objects page of `size` bytes (chunked, made as it is sent): a valid, empty
    envelope padded with spaces — a page far larger than any client should read whole."""
    head, tail = b'{"more":false,"objects":[', b"]}"
    if size < len(head) + len(tail) or chunk < 1:
        raise ValueError(f"a flood is at least {len(head) + len(tail)} bytes, in chunks of >= 1")

    def stream(cut: threading.Event) -> Iterator[bytes]:
        yield head
        left = size - len(head) - len(tail)
        while left > 0:
            if cut.is_set():
                raise StreamCut
            piece = min(chunk, left)
            left -= piece
            yield b" " * piece
        yield tail

    def tamper(answer: Answer, _seen: Seen) -> Answer:
        return dataclasses.replace(answer, status=200, body=head + tail, stream=stream)

    return tamper
