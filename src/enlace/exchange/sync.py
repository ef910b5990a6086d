"""Pull sync: fetch what a partner released to this node, verify it, store it, page by page.

The client walks the partner's TAXII 2.1 service (discovery, API root, its one collection,
objects with ``limit``, ``next`` and ``match[version]=all``) with the bearer token this node
presents to that partner. Each page is handled in ONE unit of work: every object is checked
(signature from ``x_enlace_signatures`` against the partner's registered key, a known Enlace
type, a valid record, owned by the partner, not contradicting a version already held), the
good ones are stored with their signatures, each refused one is audited as ``refusal``, the
page as ``receipt``, and the cursor advances — all committed together. A sync killed at any
moment therefore resumes at the first page not committed, and a version is never stored
twice (the store's primary key and the idempotent writes make a re-fetched page a no-op).

Refusal reasons: ``malformed`` (not a STIX object with id and modified, no canonical form,
or not a valid record of its type), ``missing-signature``, ``bad-signature`` (changed
content, another key, or an unreadable signature), ``unknown-type``, ``wrong-owner`` (the
record claims an owner that is not the sending partner) and ``conflict`` (the same id and
version as one already held, with other content).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson
from sqlalchemy import Connection, select

from enlace.audit.log import AuditLog
from enlace.exchange.credentials import read_outbound_token
from enlace.exchange.errors import ExchangeError, SignatureInvalid
from enlace.exchange.partners import Partner, PartnerRepository
from enlace.exchange.signing import verify_record
from enlace.exchange.sync_state import (
    ReceivedSignature,
    RecordSignatureRepository,
    SyncCursorRepository,
)
from enlace.exchange.taxii.app import TAXII_MEDIA_TYPE, resume_cursor
from enlace.model.records.registry import class_for_stix
from enlace.node.errors import NodeError
from enlace.store.store import Store
from enlace.store.tables import records
from enlace.store.versions import StoredVersion

log = logging.getLogger("enlace.sync")

REFUSAL_REASONS = (
    "malformed",
    "missing-signature",
    "bad-signature",
    "unknown-type",
    "wrong-owner",
    "conflict",
)
DEFAULT_PAGE_SIZE = 500
TIMEOUT_SECONDS = 60.0


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

    @property
    def refused_total(self) -> int:
        """How many objects were refused, all reasons together."""
        return sum(self.refused.values())

    def summary(self) -> str:
        """One line for people."""
        refused = ", ".join(f"{n} {reason}" for reason, n in sorted(self.refused.items()))
        return (
            f"sync from {self.partner}: {self.pages} page(s), {self.received} version(s) "
            f"received, {self.already_held} already held, {self.refused_total} refused"
            + (f" ({refused})" if refused else "")
        )


@dataclass(frozen=True, slots=True)
class _Accepted:
    version: StoredVersion
    signature: str


@dataclass(frozen=True, slots=True)
class _Refused:
    subject: str
    reason: str
    message: str


def sync_partner(
    store: Store,
    *,
    partner: str,
    token: str,
    client: httpx.Client | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    actor: str = "sync",
) -> SyncReport:
    """Pull everything `partner` released to this node since the last sync; see the module.

    `token` is the bearer token this node presents to the partner. `client` lets tests talk
    to an in-process app; by default a new httpx client is used and closed. Raises SyncError
    (which partner, which URL, what status) when the partner cannot be read; pages committed
    before the error stay committed, and the next run resumes after them.
    """
    if page_size < 1:
        raise ValueError("page_size must be positive")
    with store.unit_of_work() as uow:
        registered = PartnerRepository(uow.connection).get(partner)
        held = SyncCursorRepository(uow.connection).get(partner)
    if registered is None:
        raise NodeError(f"{partner} is not a registered partner: run 'enlace partner add' first")
    own = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    try:
        return _Puller(store, registered, token, own, page_size, actor).run(
            held.next_cursor if held else None, held.last_added if held else None
        )
    finally:
        if client is None:
            own.close()


def sync_node_partner(
    store: Store,
    key_dir: Path,
    partner: str,
    *,
    client: httpx.Client | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    actor: str = "sync",
) -> SyncReport:
    """`sync_partner` with the token this node keeps for `partner` in its key folder."""
    token = read_outbound_token(key_dir, partner)
    return sync_partner(
        store, partner=partner, token=token, client=client, page_size=page_size, actor=actor
    )


def sync_all_partners(
    store: Store, key_dir: Path, *, page_size: int = DEFAULT_PAGE_SIZE, actor: str = "sync"
) -> dict[str, SyncReport | Exception]:
    """Sync every registered partner; a partner that fails does not stop the others."""
    with store.unit_of_work() as uow:
        parties = [p.party for p in PartnerRepository(uow.connection).all()]
    outcome: dict[str, SyncReport | Exception] = {}
    for party in parties:
        try:
            outcome[party] = sync_node_partner(
                store, key_dir, party, page_size=page_size, actor=actor
            )
        except Exception as error:  # one partner's failure must not stop others
            outcome[party] = error
    return outcome


class PeriodicSync:
    """A background thread syncing every partner every `seconds`; errors are logged only."""

    def __init__(
        self, store: Store, key_dir: Path, seconds: float, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> None:
        self._store = store
        self._key_dir = key_dir
        self._seconds = seconds
        self._page_size = page_size
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="enlace-sync", daemon=True)
        self.runs = 0

    def start(self) -> None:
        """Start syncing in the background."""
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop and wait for it (a page being stored is finished first)."""
        self._stop.set()
        self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                outcome = sync_all_partners(
                    self._store, self._key_dir, page_size=self._page_size, actor="serve"
                )
            except Exception:  # the server must keep running
                log.exception("scheduled sync failed")
                continue
            self.runs += 1
            for party, result in outcome.items():
                if isinstance(result, SyncReport):
                    log.info("%s", result.summary())
                else:
                    log.error("scheduled sync from %s failed: %s", party, result)


class _Puller:
    def __init__(
        self,
        store: Store,
        partner: Partner,
        token: str,
        client: httpx.Client,
        page_size: int,
        actor: str,
    ) -> None:
        self.store = store
        self.partner = partner
        self.client = client
        self.page_size = page_size
        self.actor = actor
        self.headers = {"Accept": TAXII_MEDIA_TYPE, "Authorization": f"Bearer {token}"}
        self.report = SyncReport(partner=partner.party)

    def run(self, cursor: str | None, last_added: str | None) -> SyncReport:
        objects_url = self._objects_url()
        while True:
            params: dict[str, str | int] = {"limit": self.page_size, "match[version]": "all"}
            if cursor:
                params["next"] = cursor
            response = self._get(objects_url, params)
            body = response.json_body
            objects = body.get("objects", [])
            if not isinstance(objects, list):
                raise SyncError(self.partner.party, objects_url, "'objects' is not a list")
            more = body.get("more") is True
            next_cursor = body.get("next")
            added_last = response.headers.get("X-TAXII-Date-Added-Last") or last_added
            resume: str | None
            if isinstance(next_cursor, str) and next_cursor and more:
                resume = next_cursor
            else:
                resume = _resume_after(objects, added_last) or cursor
            self._store_page(objects, body.get("x_enlace_signatures"), resume, added_last)
            cursor, last_added = resume, added_last
            if not (more and isinstance(next_cursor, str) and next_cursor):
                return self.report

    def _objects_url(self) -> str:
        base = self.partner.url.rstrip("/") + "/"
        discovery_url = urljoin(base, "taxii2/")
        discovery = self._get(discovery_url).json_body
        root = discovery.get("default") or next(iter(discovery.get("api_roots") or []), None)
        if not isinstance(root, str):
            raise SyncError(self.partner.party, discovery_url, "the discovery names no API root")
        root_url = urljoin(discovery_url, root.rstrip("/") + "/")
        self._get(root_url)
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

    def _get(self, url: str, params: Mapping[str, str | int] | None = None) -> _Answer:
        party = self.partner.party
        try:
            response = self.client.get(url, params=params, headers=self.headers)
        except httpx.HTTPError as error:
            raise SyncError(party, url, f"cannot reach the partner: {error}") from None
        if response.status_code != 200:
            raise SyncError(party, url, _status_reason(party, response), response.status_code)
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise SyncError(party, url, "the answer is not JSON", response.status_code) from None
        if not isinstance(body, dict):
            raise SyncError(party, url, "the answer is not a JSON object", response.status_code)
        return _Answer(body, response.headers)

    def _store_page(
        self, objects: list[Any], signatures: Any, resume: str | None, added_last: str | None
    ) -> None:
        if not isinstance(signatures, dict):
            signatures = {}
        checked = [self._check(obj, signatures) for obj in objects]
        with self.store.unit_of_work() as uow:
            # The cursor first: on SQLite this write takes the database's write lock before
            # anything is read, so a concurrent sync of the same partner waits, never fails.
            # It commits with the page, or not at all.
            SyncCursorRepository(uow.connection).put(
                self.partner.party,
                next_cursor=resume,
                last_added=added_last,
                updated_at=uow.started_at,
            )
            accepted = [c for c in checked if isinstance(c, _Accepted)]
            refused = [c for c in checked if isinstance(c, _Refused)]
            accepted, conflicts = _without_conflicts(
                accepted,
                uow.records.digests_of_versions(
                    (a.version.id, a.version.modified) for a in accepted
                ),
            )
            refused.extend(conflicts)
            accepted, usurped = _without_usurped(
                accepted, _holders(uow.connection, {a.version.id for a in accepted})
            )
            refused.extend(usurped)
            new = uow.records.add([a.version for a in accepted], added_at=uow.started_at)
            RecordSignatureRepository(uow.connection).add(
                [
                    ReceivedSignature(
                        a.version.id,
                        a.version.modified,
                        self.partner.party,
                        a.signature,
                        uow.started_at,
                    )
                    for a in accepted
                ]
            )
            audit = AuditLog(uow.connection)
            for refusal in refused:
                audit.append(
                    actor=self.actor,
                    action="refusal",
                    subject=refusal.subject,
                    detail={
                        "partner": self.partner.party,
                        "reason": refusal.reason,
                        "message": refusal.message[:500],
                    },
                )
            counts = Counter(r.reason for r in refused)
            if objects:
                audit.append(
                    actor=self.actor,
                    action="receipt",
                    subject=self.partner.party,
                    detail={
                        "partner": self.partner.party,
                        "objects": len(objects),
                        "received": new,
                        "already_held": len(accepted) - new,
                        "refused": dict(counts),
                    },
                )
            uow.commit()
        self.report.pages += 1
        self.report.received += new
        self.report.already_held += len(accepted) - new
        self.report.refused.update(counts)

    def _check(self, obj: Any, signatures: Mapping[str, Any]) -> _Accepted | _Refused:
        if not isinstance(obj, dict):
            return _Refused("<not an object>", "malformed", "the item is not a JSON object")
        record_id, modified = obj.get("id"), obj.get("modified")
        if not (isinstance(record_id, str) and record_id and isinstance(modified, str)):
            subject = record_id if isinstance(record_id, str) and record_id else "<without id>"
            return _Refused(subject, "malformed", "the object has no text id and modified")
        signature = signatures.get(f"{record_id}|{modified}")
        if not isinstance(signature, str) or not signature:
            return _Refused(record_id, "missing-signature", "the object carries no signature")
        try:
            verify_record(obj, signature, self.partner.verify_key_hex)
        except SignatureInvalid as error:
            reason = "malformed" if error.problem == "not-canonical" else "bad-signature"
            return _Refused(record_id, reason, error.reason)
        try:
            cls = class_for_stix(obj)
        except ValueError as error:
            return _Refused(record_id, "unknown-type", str(error))
        try:
            record = cls.from_stix(obj)
        except Exception as error:  # any invalid object is refused, never a crash
            return _Refused(record_id, "malformed", str(error) or type(error).__name__)
        if record.owner != self.partner.party:
            return _Refused(
                record_id,
                "wrong-owner",
                f"the record's owner is {record.owner}, not the sending partner "
                f"{self.partner.party}",
            )
        text = orjson.dumps(obj).decode("utf-8")
        try:
            version = StoredVersion.of(
                record, stix=obj, stix_text=text, received_from=self.partner.party
            )
        except Exception as error:
            return _Refused(record_id, "malformed", str(error) or type(error).__name__)
        return _Accepted(version, signature)


@dataclass(frozen=True, slots=True)
class _Answer:
    json_body: dict[str, Any]
    headers: httpx.Headers


def _without_conflicts(
    accepted: list[_Accepted], held: Mapping[tuple[str, str], str]
) -> tuple[list[_Accepted], list[_Refused]]:
    # A version held (or earlier on this page) with other content is refused, not stored:
    # the store would otherwise roll the whole page back.
    kept: list[_Accepted] = []
    refused: list[_Refused] = []
    digests = dict(held)
    for item in accepted:
        key = (item.version.id, item.version.modified)
        digest = digests.setdefault(key, item.version.content_digest)
        if digest != item.version.content_digest:
            refused.append(
                _Refused(
                    item.version.id,
                    "conflict",
                    f"version {item.version.modified} is already held with other content",
                )
            )
        else:
            kept.append(item)
    return kept, refused


def _holders(connection: Connection, ids: set[str]) -> dict[str, set[tuple[str, str | None]]]:
    # (owner, received_from) of every version held of the given ids.
    found: dict[str, set[tuple[str, str | None]]] = {}
    chunk_size = 500
    ordered = sorted(ids)
    for start in range(0, len(ordered), chunk_size):
        query = (
            select(records.c.id, records.c.owner, records.c.received_from)
            .where(records.c.id.in_(ordered[start : start + chunk_size]))
            .distinct()
        )
        for record_id, owner, received_from in connection.execute(query):
            found.setdefault(record_id, set()).add((owner, received_from))
    return found


def _without_usurped(
    accepted: list[_Accepted], holders: Mapping[str, set[tuple[str, str | None]]]
) -> tuple[list[_Accepted], list[_Refused]]:
    # Only a record's owner issues its versions: a version of a record this node holds as
    # made here, or as received from another party, is refused (a partner cannot re-version
    # or revoke a record it does not own, even by claiming ownership of its id).
    kept: list[_Accepted] = []
    refused: list[_Refused] = []
    for item in accepted:
        others = {
            (owner, source)
            for owner, source in holders.get(item.version.id, set())
            if (owner, source) != (item.version.owner, item.version.received_from)
        }
        if others:
            owner, source = sorted(others, key=lambda h: (h[0], h[1] or ""))[0]
            held_as = "made here" if source is None else f"received from {source}"
            refused.append(
                _Refused(
                    item.version.id,
                    "wrong-owner",
                    f"the record is held here as owned by {owner} ({held_as}); only its "
                    "owner may issue its versions",
                )
            )
        else:
            kept.append(item)
    return kept, refused


def _resume_after(objects: list[Any], added_last: str | None) -> str | None:
    # The last page carries no `next`: continue after its last version next time.
    if not objects or not added_last:
        return None
    last = objects[-1]
    if not isinstance(last, dict):
        return None
    record_id, modified = last.get("id"), last.get("modified")
    if not (isinstance(record_id, str) and isinstance(modified, str)):
        return None
    return resume_cursor(added_last, record_id, modified)


def _status_reason(party: str, response: httpx.Response) -> str:
    try:
        body = response.json()
        said = body.get("description") or body.get("title") if isinstance(body, dict) else None
    except ValueError:
        said = None
    hint = {
        401: f"{party} does not accept the token this node presents; ask {party} for a new "
        "invite ('enlace partner invite') and register it with 'enlace partner add "
        "--outbound-token-file'",
        403: f"{party} refuses this node access to that resource",
        404: f"{party} has no such resource for this node (wrong URL, or not registered there)",
    }.get(response.status_code, f"{party} answered {response.status_code}")
    return hint + (f" — {said}" if said else "")
