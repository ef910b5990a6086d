"""Pull sync: fetch what a partner released to this node, page by page, and receive it.

The client walks the partner's TAXII 2.1 service (discovery, API root, its one collection,
objects with ``limit``, ``next`` and ``match[version]=all``) with the bearer token this node
presents to that partner. Pages are fetched ahead and checked object by object
(enlace.exchange.checking, in worker processes for a long sync), then stored strictly in
order, each in one unit of work with the cursor that resumes after it: what is accepted,
what is refused and why is enlace.exchange.receiving. A sync killed at any moment therefore
resumes at the first page not committed. The scheduled sync of ``enlace serve`` is
enlace.exchange.sync_schedule.

Exchange protocol 2 (enlace.exchange.statements): the client sends a fresh nonce with each
page request and accepts a page only with a manifest signed by the partner, addressed to this
party, answering that request (the number it asked to start after, its nonce). The cursor is
the partner's release sequence number, taken from that manifest — never from a header or a
``next`` the channel could forge — and only ever moves forward. Before reading on, a sync asks
again for the numbers still missing (``sequence_gaps``).
"""

from __future__ import annotations

import math
import os
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import orjson
from nacl.signing import SigningKey

from enlace.exchange.checking import CheckedPage, Context, PageChecker
from enlace.exchange.errors import ExchangeError
from enlace.exchange.receiving import Frame, store_checked_page
from enlace.exchange.statements import PROTOCOL, Manifest, StatementInvalid, read_manifest
from enlace.exchange.taxii.protocol import MAX_LIMIT, TAXII_MEDIA_TYPE, encode_cursor
from enlace.exchange.witness import (
    WITNESS_PREFIX,
    WitnessProtocolError,
    WitnessReport,
    witness_partner,
)
from enlace.node.errors import NodeError
from enlace.node.keys import load_signing_key
from enlace.partners.authentication import audit_partner_event
from enlace.partners.session import PartnerSession
from enlace.partners.transport import transport_problem
from enlace.store.repositories.partners import Partner
from enlace.store.store import BULK_ROWS, Store

DEFAULT_PAGE_SIZE = MAX_LIMIT  # the most a TAXII server here serves per page
TIMEOUT_SECONDS = 60.0  # connecting, and waiting for each piece of an answer


def _bound(variable: str, default: float) -> float:
    """The positive number in the environment variable `variable`, else `default`: the one
    place the bounds below are read from (the tests reach them in seconds, not minutes)."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise NodeError(f"{variable} must be a positive number, not {raw!r}")
    return value


# A whole answer (one page) must arrive within this time and size, however the partner or
# the channel trickles it: a per-read timeout alone lets a byte every minute go on for ever.
PAGE_DEADLINE_SECONDS = _bound("ENLACE_PAGE_DEADLINE_SECONDS", 2 * TIMEOUT_SECONDS)
# A full page of large records is a few megabytes.
MAX_ANSWER_BYTES = int(_bound("ENLACE_MAX_ANSWER_BYTES", 64 * 1024 * 1024))
# Pages fetched and being checked ahead of the one being stored, per checking process.
_PAGES_AHEAD = 2
# A sync whose first page is at least this long is worth starting worker processes for.
_WORKERS_FROM_PAGE_SIZE = 200
# Gaps asked for again per sync: runs of consecutive missing numbers, each one request.
_GAP_RUNS_PER_SYNC = 20
# Numbers a signed manifest may skip or announce beyond its page before the sync stops: a
# partner that claims a million numbers it does not serve must not make this node write a
# million gap rows.
_MAX_GAPS_PER_PAGE = 1000


class SyncError(ExchangeError):
    """The partner could not be pulled from; nothing of the failed page was written."""

    def __init__(self, partner: str, url: str, reason: str, status: int | None = None) -> None:
        self.partner = partner
        self.url = url
        self.status = status
        self.reason = reason
        shown = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"sync from {partner} failed at {url}{shown}: {reason}")


@dataclass(slots=True)
class SyncReport:
    """What one sync run did."""

    partner: str
    pages: int = 0
    received: int = 0
    already_held: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    revoked: int = 0  # tombstones newly received
    filled: int = 0  # numbers of the partner's sequence that were gaps and are held now
    not_held: dict[str, int] = field(default_factory=dict)  # gaps after the sync, by reason
    sequence: int = 0  # the partner's sequence is verified up to here
    highest: int = 0  # the highest number the partner declared
    witness: WitnessReport | None = None  # the audit logs' witnessing (issue 13), when done

    @property
    def not_held_total(self) -> int:
        """Numbers of the partner's sequence this node still does not hold."""
        return sum(self.not_held.values())

    @property
    def refused_total(self) -> int:
        """How many objects were refused, all reasons together."""
        return sum(self.refused.values())

    def summary(self) -> str:
        """One line for people."""
        refused = ", ".join(f"{n} {reason}" for reason, n in sorted(self.refused.items()))
        line = (
            f"sync from {self.partner}: {self.pages} page(s), {self.received} version(s) "
            f"received, {self.already_held} already held, {self.refused_total} refused"
            + (f" ({refused})" if refused else "")
        )
        if self.revoked:
            line += f"; {self.revoked} revocation(s) received"
        if self.not_held_total:
            missing = ", ".join(f"{n} {why}" for why, n in sorted(self.not_held.items()))
            line += (
                f"; WARNING: {self.not_held_total} of the {self.highest} item(s) {self.partner} "
                f"released to this node are not held ({missing}): asked for again at each sync"
            )
        if self.witness is not None:
            line += "; " + self.witness.summary()
        return line


def sync_partner(
    store: Store,
    *,
    partner: str,
    token: str,
    client: httpx.Client | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    actor: str = "sync",
    from_start: bool = False,
    signing_key: SigningKey | None = None,
) -> SyncReport:
    """Pull everything `partner` released to this node since the last sync; see the module.

    With `signing_key` (the node's key), the two nodes then witness each other's audit log
    (enlace.exchange.witness): the outcome is the report's `witness`.

    `from_start` reads the partner's collection again from its first page, whatever the
    stored cursor says (audited as "sync-from-start"): versions already held are skipped, and
    an object refused before (say, signed with a key registered since) is checked again.

    `token` is the bearer token this node presents to the partner. `client` lets tests talk
    to an in-process app, and `sync_node_partner` passes one that trusts the partner's
    certificate; by default a new client trusting the system's CAs is used and closed.
    Raises SyncError (which partner, which URL, what status) when the partner cannot be
    read; pages committed before the error stay committed, and the next run resumes after
    them.
    """
    if page_size < 1:
        raise ValueError("page_size must be positive")
    # The registration is checked (NotAPartner) and the client opened by the one partner
    # session; this node's party, the partners' keys and the cursor are read here.
    with PartnerSession.open(
        store, partner, timeout=TIMEOUT_SECONDS, token=token, client=client
    ) as session:
        with store.unit_of_work() as uow:
            held = uow.cursors.get(partner)
            party = uow.settings.get("party") or ""
            keys = {p.party: p.verify_key_hex for p in uow.partners.all()}
            if from_start:
                uow.audit.append(
                    actor=actor,
                    action="sync-from-start",
                    subject=partner,
                    detail={"sequence": held.sequence if held else 0},
                )
                uow.commit()
                held = None
        context = Context(sender=partner, receiver=party, keys=keys)
        puller = _Puller(
            store, session.partner, context, session.token, session.client, page_size, actor
        )
        report = puller.run(held.sequence if held else 0, refill=not from_start)
        if signing_key is not None:
            report.witness = puller.witness(signing_key)
        return report


def sync_node_partner(
    store: Store,
    key_dir: Path,
    partner: str,
    *,
    client: httpx.Client | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    actor: str = "sync",
    from_start: bool = False,
) -> SyncReport:
    """`sync_partner` with the token and the TLS trust this node keeps for `partner` in its
    key folder."""
    with PartnerSession.open(
        store, partner, timeout=TIMEOUT_SECONDS, key_dir=key_dir, client=client
    ) as session:
        return sync_partner(
            store,
            partner=partner,
            token=session.token,
            client=session.client,
            page_size=page_size,
            actor=actor,
            from_start=from_start,
            signing_key=load_signing_key(key_dir),
        )


def partner_countersigned(
    store: Store, key_dir: Path, partner: str, *, client: httpx.Client | None = None
) -> tuple[int, str] | None:
    """What `partner` holds as the newest checkpoint of this node's log it countersigned:
    (size, root hex), asked of it now over its witnessing route; None when it holds none.
    SyncError when it cannot be asked or answers what is not the protocol."""
    with PartnerSession.open(
        store, partner, timeout=TIMEOUT_SECONDS, key_dir=key_dir, client=client
    ) as session:
        with store.unit_of_work() as uow:
            party = uow.settings.get("party") or ""
        context = Context(sender=partner, receiver=party, keys={})
        puller = _Puller(
            store, session.partner, context, session.token, session.client, 1, "audit-verify"
        )
        url = urljoin(session.partner.url.rstrip("/") + "/", WITNESS_PREFIX.strip("/") + "/log")
        answer = puller._get(url, {"since": 0}).json_body
    yours = answer.get("yours")
    if yours is None:
        return None
    size = yours.get("size") if isinstance(yours, dict) else None
    root = yours.get("root") if isinstance(yours, dict) else None
    if (
        not isinstance(size, int)
        or isinstance(size, bool)
        or size < 0
        or not isinstance(root, str)
        or len(root) != 64
        or any(c not in "0123456789abcdef" for c in root)
    ):
        raise SyncError(partner, url, "its answer names no checkpoint size and root")
    return size, root


def sync_all_partners(
    store: Store,
    key_dir: Path,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    actor: str = "sync",
    due: Callable[[str], bool] | None = None,
    parallel: int = 8,
) -> dict[str, SyncReport | Exception]:
    """Sync every registered partner (that is `due`, when given), each in a thread of its
    own, up to `parallel` at once: a partner that is slow, stuck (a page trickled until its
    deadline) or failing neither stops nor delays the others, and its exception is its
    outcome alone. The outcome is by partner, in the order the partners are listed.

    Each sync has its own client and units of work on the one store. Their page stores wait
    for each other, never fail for it: on SQLite each begins by writing the partner's cursor,
    which takes the database's write lock, and a connection waits for that lock up to its
    busy timeout (enlace.store.engine); on PostgreSQL the audit log's lock orders them.
    """
    if parallel < 1:
        raise ValueError("parallel must be positive")
    with store.unit_of_work() as uow:
        parties = [p.party for p in uow.partners.all()]
    chosen = [party for party in parties if due is None or due(party)]
    outcome: dict[str, SyncReport | Exception] = {}
    if not chosen:
        return outcome
    with ThreadPoolExecutor(
        max_workers=min(parallel, len(chosen)), thread_name_prefix="enlace-sync"
    ) as pool:
        running = {
            party: pool.submit(
                sync_node_partner, store, key_dir, party, page_size=page_size, actor=actor
            )
            for party in chosen
        }
        for party, future in running.items():
            try:
                outcome[party] = future.result()
            except Exception as error:  # one partner's failure must not stop others
                outcome[party] = error
    return outcome


class _Puller:
    def __init__(
        self,
        store: Store,
        partner: Partner,
        context: Context,
        token: str,
        client: httpx.Client,
        page_size: int,
        actor: str,
    ) -> None:
        self.store = store
        self.partner = partner
        self.context = context
        self.client = client
        self.page_size = page_size
        self.actor = actor
        self.headers = {"Accept": TAXII_MEDIA_TYPE, "Authorization": f"Bearer {token}"}
        self.report = SyncReport(partner=partner.party)
        self.endpoint = registered_endpoint(partner.url)
        self.max_answer = MAX_ANSWER_BYTES
        self.analyze_at = BULK_ROWS  # received versions at which the planner is told next

    def run(self, cursor: int, *, refill: bool) -> SyncReport:
        objects_url = self._objects_url()
        if refill:
            self._refill(objects_url)
        # Pages are fetched ahead (the partner's server works meanwhile, and waiting on the
        # network releases the GIL) and, in a long sync, checked by worker processes, a
        # page each; they are stored strictly in order, each in its own unit of work.
        window: deque[_Page] = deque()
        failure: SyncError | None = None
        with (
            ThreadPoolExecutor(max_workers=1) as fetcher,
            PageChecker(self.context) as checker,
        ):
            request = _Request(cursor, self.page_size)
            fetching: Future[_Answer] | None = fetcher.submit(self._fetch, objects_url, request)
            try:
                while True:
                    while fetching is not None and len(window) < _PAGES_AHEAD * (
                        1 + checker.workers
                    ):
                        try:
                            response = fetching.result()
                            page = self._page(objects_url, response, request)
                        except SyncError as error:
                            failure, fetching = error, None  # store what came before
                            break
                        if page.manifest.more:
                            request = _Request(page.manifest.through, self.page_size)
                            fetching = fetcher.submit(self._fetch, objects_url, request)
                            if page.count >= _WORKERS_FROM_PAGE_SIZE:
                                checker.use_workers()
                        else:
                            fetching = None
                        self._check(checker, page, response)
                        window.append(page)
                    if not window:
                        break
                    page = window.popleft()
                    self._store_page(page)
            except BaseException:
                for waiting in window:
                    if waiting.checked is not None:
                        waiting.checked.cancel()
                raise
        self._finish()
        if failure is not None:
            raise failure
        return self.report

    def witness(self, signing_key: SigningKey) -> WitnessReport:
        """Witness the partner's audit log and have it witness this node's; a problem of
        transport or protocol is the report's `problem` (the pull itself has succeeded)."""
        url = urljoin(self.partner.url.rstrip("/") + "/", WITNESS_PREFIX.strip("/") + "/")

        def get(params: dict[str, Any]) -> dict[str, Any]:
            return self._get(url + "log", params).json_body

        def post(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            content = orjson.dumps({"protocol": PROTOCOL, **body})
            status, _, answer = self._bounded(url + "cosign", None, content)
            try:
                said = orjson.loads(answer)
            except orjson.JSONDecodeError:
                said = None
            if status not in (200, 409) or not isinstance(said, dict):
                raise SyncError(self.partner.party, url + "cosign", _status_reason(
                    self.partner.party, status, answer), status)  # fmt: skip
            return status, said

        party = self.context.receiver
        try:
            return witness_partner(
                self.store,
                party=party,
                signing_key=signing_key,
                partner=self.partner,
                get=get,
                post=post,
            )
        except (SyncError, WitnessProtocolError) as error:
            return WitnessReport(self.partner.party, problem=str(error))

    def _check(self, checker: PageChecker, page: _Page, response: _Answer) -> None:
        if checker.workers:
            # A worker parses the page again from its bytes: the parsed objects are
            # freed now, not held while the page waits (the signatures, small, are kept:
            # they name what a gap is about).
            page.objects = None
        page.checked = checker.submit(
            response.content, page.objects, page.signatures, page.consents
        )

    def _refill(self, objects_url: str) -> None:
        # The numbers a signed manifest announced and this node does not hold (dropped on
        # the way, or refused): asked for again, a run of consecutive numbers per request.
        with self.store.unit_of_work() as uow:
            gaps = [gap.sequence for gap in uow.gaps.of(self.partner.party, limit=10_000)]
        runs: list[tuple[int, int]] = []
        for number in gaps:
            if runs and number == runs[-1][1] + 1 and number - runs[-1][0] < self.page_size:
                runs[-1] = (runs[-1][0], number)
            else:
                runs.append((number, number))
        with PageChecker(self.context) as checker:
            for first, last in runs[:_GAP_RUNS_PER_SYNC]:
                request = _Request(first - 1, last - first + 1)
                response = self._fetch(objects_url, request)
                page = self._page(objects_url, response, request)
                self._check(checker, page, response)
                self._store_page(page)

    def _finish(self) -> None:
        with self.store.unit_of_work() as uow:
            self.report.not_held = uow.gaps.counts(self.partner.party)
            held = uow.cursors.get(self.partner.party)
        if held is not None:
            self.report.sequence, self.report.highest = held.sequence, held.highest

    def _fetch(self, url: str, request: _Request) -> _Answer:
        params: dict[str, str | int] = {
            "limit": request.limit,
            "match[version]": "all",
            "x_enlace_nonce": request.nonce,
        }
        if request.after:
            params["next"] = encode_cursor(request.after)
        return self._get(url, params)

    def _page(self, url: str, response: _Answer, request: _Request) -> _Page:
        party = self.partner.party
        body = response.json_body
        objects = body.get("objects", [])
        if not isinstance(objects, list):
            raise SyncError(party, url, "'objects' is not a list")
        if len(objects) > request.limit:
            # A page larger than asked for is a flood, not a page: nothing of it is stored.
            raise SyncError(
                party,
                url,
                f"the page holds {len(objects):,} objects, {request.limit:,} were asked for: "
                "stopped; what came before is kept",
            )
        manifest = self._manifest(url, body, request)
        statements = body.get("x_enlace_statements") or []
        consents = body.get("x_enlace_consents") or []
        return _Page(
            len(objects),
            objects,
            body.get("x_enlace_signatures"),
            consents if isinstance(consents, list) else [],
            statements if isinstance(statements, list) else [],
            manifest,
        )

    def _manifest(self, url: str, body: dict[str, Any], request: _Request) -> Manifest:
        party = self.partner.party
        try:
            manifest = read_manifest(
                body.get("x_enlace_manifest"),
                body.get("x_enlace_manifest_signature"),
                self.partner.verify_key_hex,
            )
        except StatementInvalid as error:
            raise SyncError(party, url, f"page refused: {error}") from None
        problem = None
        if manifest.sender != party or manifest.recipient != self.context.receiver:
            problem = (
                f"its manifest is from {manifest.sender} to {manifest.recipient}, not from "
                f"{party} to {self.context.receiver}"
            )
        elif manifest.after != request.after or manifest.nonce != request.nonce:
            problem = "its manifest answers another request (an old answer sent again?)"
        elif manifest.filtered:
            problem = "its manifest says the page was filtered; the whole sequence was asked for"
        elif len(manifest.entries) > request.limit:
            problem = f"its manifest lists more than the {request.limit} items asked for"
        elif manifest.more and manifest.through <= manifest.after:
            problem = "it says more follows but does not advance: its paging loops"
        else:
            skipped = manifest.through - manifest.after - len(manifest.entries)
            beyond = 0 if manifest.more else manifest.highest - manifest.through
            if skipped + beyond > _MAX_GAPS_PER_PAGE:
                problem = (
                    f"its manifest skips or announces {skipped + beyond:,} numbers it does not "
                    "serve"
                )
        if problem is not None:
            raise SyncError(party, url, f"page refused: {problem}; what came before is kept")
        return manifest

    def _objects_url(self) -> str:
        base = self.partner.url.rstrip("/") + "/"
        discovery_url = urljoin(base, "taxii2/")
        discovery = self._get(discovery_url).json_body
        root = discovery.get("default") or next(iter(discovery.get("api_roots") or []), None)
        if not isinstance(root, str):
            raise SyncError(self.partner.party, discovery_url, "the discovery names no API root")
        root_url = urljoin(discovery_url, root.rstrip("/") + "/")
        self._check_root(root_url, self._get(root_url).json_body)
        collections_url = urljoin(root_url, "collections/")
        found = self._get(collections_url).json_body.get("collections") or []
        readable = [c for c in found if isinstance(c, dict) and c.get("can_read") and c.get("id")]
        if len(readable) != 1:
            raise SyncError(
                self.partner.party,
                collections_url,
                f"expected exactly one readable collection, found {len(readable)}",
            )
        return urljoin(collections_url, f"{readable[0]['id']}/objects/")

    def _check_root(self, url: str, root: dict[str, Any]) -> None:
        spoken = root.get("x_enlace_protocol", 1)
        if spoken != PROTOCOL:
            raise SyncError(
                self.partner.party,
                url,
                f"{self.partner.party}'s node speaks Enlace exchange protocol {str(spoken)[:20]}, "
                f"this node speaks {PROTOCOL}: both nodes must run the same Enlace release to "
                "exchange (nothing was read)",
            )
        # The partner's advertised limit holds too, when it is lower than this node's.
        advertised = root.get("max_content_length")
        if isinstance(advertised, int) and not isinstance(advertised, bool) and advertised > 0:
            self.max_answer = min(MAX_ANSWER_BYTES, advertised)

    def _get(self, url: str, params: Mapping[str, str | int] | None = None) -> _Answer:
        party = self.partner.party
        if registered_endpoint(url) != self.endpoint:
            self._refuse_endpoint(url)
        try:
            status, headers, content = self._bounded(url, params)
        except httpx.HTTPError as error:
            raise SyncError(party, url, transport_problem(party, url, error)) from None
        if status != 200:
            raise SyncError(party, url, _status_reason(party, status, content), status)
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise SyncError(party, url, "the answer is not JSON", status) from None
        if not isinstance(body, dict):
            raise SyncError(party, url, "the answer is not a JSON object", status)
        return _Answer(body, headers, content)

    def _bounded(
        self, url: str, params: Mapping[str, str | int] | None, content: bytes | None = None
    ) -> tuple[int, httpx.Headers, bytes]:
        # Streamed, so the deadline and the size are checked as the answer arrives, not
        # after a partner has trickled or flooded it whole; an error answer's body too.
        # A GET, or a POST of `content` (JSON) when it is given.
        if registered_endpoint(url) != self.endpoint:
            self._refuse_endpoint(url)
        deadline = time.monotonic() + PAGE_DEADLINE_SECONDS
        method, headers = "GET", self.headers
        if content is not None:
            method = "POST"
            headers = {**self.headers, "Content-Type": "application/json"}
        try:
            opened = self.client.stream(
                method, url, params=params, headers=headers, content=content
            )
        except httpx.HTTPError as error:  # pragma: no cover - stream() opens lazily
            raise SyncError(self.partner.party, url, transport_problem(
                self.partner.party, url, error)) from None  # fmt: skip
        with opened as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_answer:
                    raise SyncError(
                        self.partner.party,
                        url,
                        f"the answer is larger than {self.max_answer:,} bytes: stopped reading",
                    )
                if time.monotonic() > deadline:
                    raise SyncError(
                        self.partner.party,
                        url,
                        f"the answer did not arrive whole within {PAGE_DEADLINE_SECONDS:.0f} s: "
                        "stopped reading",
                    )
                chunks.append(chunk)
        return response.status_code, response.headers, b"".join(chunks)

    def _refuse_endpoint(self, url: str) -> None:
        # A discovery or API root that points elsewhere (another host, port or scheme, e.g.
        # http:// behind a TLS-terminating proxy) would take the bearer token with it.
        scheme, host, port = self.endpoint
        registered = f"{scheme}://{host}:{port}"
        audit_partner_event(
            self.store,
            actor=self.actor,
            action="endpoint-refused",
            subject=self.partner.party,
            detail={"url": url[:_URL_AUDITED], "registered": registered},
        )
        raise SyncError(
            self.partner.party,
            url[:_URL_AUDITED],
            f"refused: it is not {self.partner.party}'s registered endpoint {registered}; "
            "the token is sent nowhere else (audited as endpoint-refused)",
        )

    def _store_page(self, page: _Page) -> None:
        assert page.checked is not None
        frame = Frame(
            manifest=page.manifest,
            statements=page.statements,
            receiver=self.context.receiver,
            keys=self.context.keys,
            onward_consents=page.consents,
            signatures=page.signatures,
        )
        receipt = store_checked_page(
            self.store,
            self.partner.party,
            actor=self.actor,
            count=page.count,
            checked=page.checked.result(),
            frame=frame,
        )
        self.report.pages += 1
        self.report.received += receipt.received
        if self.report.received >= self.analyze_at:
            # A first sync fills an empty node: PostgreSQL's planner, knowing no rows, read
            # the whole records table for each page's lookup by id (quadratic at 1,000,000).
            # Told as the sync grows (50,000, 100,000, 200,000, ...), it keeps to the indexes.
            self.store.refresh_planner_statistics()
            self.analyze_at = 2 * self.report.received
        self.report.already_held += receipt.already_held
        self.report.refused.update(receipt.refused)
        self.report.revoked += receipt.revoked
        self.report.filled += receipt.filled


_URL_AUDITED = 500  # the longest URL written to the audit log or an error: a partner chooses it
_DEFAULT_PORTS = {"http": 80, "https": 443}


def registered_endpoint(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of `url`, the port made explicit: the sync client sends a
    partner's token only where these equal the registered URL's."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number: matches nothing registered
        port = -1
    return scheme, (parts.hostname or "").lower(), port


@dataclass(frozen=True, slots=True)
class _Answer:
    json_body: dict[str, Any]
    headers: httpx.Headers
    content: bytes


@dataclass(slots=True)
class _Page:
    count: int
    objects: list[Any] | None  # None once handed to a worker
    signatures: Any
    consents: list[Any]
    statements: list[Any]
    manifest: Manifest
    checked: CheckedPage | None = None


class _Request:
    """One page asked for: after which number, how many, with a fresh nonce (which the
    signed manifest must repeat, so an old answer cannot be passed off as this one)."""

    def __init__(self, after: int, limit: int) -> None:
        self.after = after
        self.limit = limit
        self.nonce = secrets.token_hex(16)


_SAID_SHOWN = 300  # the most of a partner's own error text repeated to the person


def _status_reason(party: str, status: int, content: bytes) -> str:
    try:
        body = orjson.loads(content)
        said = body.get("description") or body.get("title") if isinstance(body, dict) else None
    except orjson.JSONDecodeError:
        said = None
    if not isinstance(said, str):
        said = None
    hint = {
        401: f"{party} does not accept the token this node presents; ask {party} for a new "
        "invite ('enlace partner invite') and register it with 'enlace partner add "
        "--outbound-token-file'",
        403: f"{party} refuses this node access to that resource",
        404: f"{party} has no such resource for this node (wrong URL, or not registered there)",
    }.get(status, f"{party} answered {status}")
    return hint + (f" — {said[:_SAID_SHOWN]}" if said else "")
