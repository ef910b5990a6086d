"""Checking what a partner sent, object by object: here, or in worker processes.

Each object of a page is checked on its own (signature against the partner's key, a known
Enlace type, a valid record, owned by the sending partner) before anything is stored; what
needs the store (conflicts with versions held, records held as someone else's) is decided
afterwards, when the page is stored in its unit of work (enlace.exchange.receiving).

Checking is nearly all of a sync's work — an Ed25519 verification and the validation of the
record, about a tenth of a millisecond each — and needs no database, so a long sync hands
whole pages, as the bytes that came over the wire, to a pool of worker processes, one page
each, while the syncing process fetches the next pages and stores the checked ones in order.
The outcome of an object is the same wherever it is checked.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Self

import orjson

from enlace.exchange.errors import SignatureInvalid
from enlace.exchange.signing import verify_record
from enlace.model.records.registry import class_for_stix
from enlace.processes import collect_now_and_then, exit_with_parent
from enlace.store.versions import StoredVersion

MAX_WORKERS = 4


@dataclass(frozen=True, slots=True)
class Accepted:
    """An object that passed every check of its own, as the version to store."""

    version: StoredVersion
    signature: str


@dataclass(frozen=True, slots=True)
class Refused:
    """An object refused, with the reason (one of receiving.REFUSAL_REASONS) and why."""

    subject: str
    reason: str
    message: str


Outcome = Accepted | Refused


def check_object(obj: Any, signatures: Mapping[str, Any], party: str, key_hex: str) -> Outcome:
    """Check one object sent by `party`, whose signing key is `key_hex`."""
    if not isinstance(obj, dict):
        return Refused("<not an object>", "malformed", "the item is not a JSON object")
    record_id, modified = obj.get("id"), obj.get("modified")
    if not (isinstance(record_id, str) and record_id and isinstance(modified, str)):
        subject = record_id if isinstance(record_id, str) and record_id else "<without id>"
        return Refused(subject, "malformed", "the object has no text id and modified")
    signature = signatures.get(f"{record_id}|{modified}")
    if not isinstance(signature, str) or not signature:
        return Refused(record_id, "missing-signature", "the object carries no signature")
    try:
        verify_record(obj, signature, key_hex)
    except SignatureInvalid as error:
        reason = "malformed" if error.problem == "not-canonical" else "bad-signature"
        return Refused(record_id, reason, error.reason)
    try:
        cls = class_for_stix(obj)
    except ValueError as error:
        return Refused(record_id, "unknown-type", str(error))
    try:
        record = cls.from_stix(obj)
    except Exception as error:  # any invalid object is refused, never a crash
        return Refused(record_id, "malformed", str(error) or type(error).__name__)
    if record.owner != party:
        return Refused(
            record_id,
            "wrong-owner",
            f"the record's owner is {record.owner}, not the sending partner {party}",
        )
    text = orjson.dumps(obj).decode("utf-8")
    try:
        version = StoredVersion.of(record, stix=obj, stix_text=text, received_from=party)
    except Exception as error:
        return Refused(record_id, "malformed", str(error) or type(error).__name__)
    return Accepted(version, signature)


def check_objects(objects: list[Any], signatures: Any, party: str, key_hex: str) -> list[Outcome]:
    """Check each object of a page; `signatures` is the page's x_enlace_signatures."""
    if not isinstance(signatures, dict):
        signatures = {}
    return [check_object(obj, signatures, party, key_hex) for obj in objects]


class PageChecker:
    """Checks pages here, or in worker processes once `use_workers` was called.

    `submit` returns a handle whose `result()` gives the outcomes in the page's order.
    """

    def __init__(self, party: str, key_hex: str) -> None:
        self._party = party
        self._key_hex = key_hex
        self._pool: ProcessPoolExecutor | None = None
        self._workers = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._workers = 0

    @property
    def workers(self) -> int:
        """How many worker processes check pages (0: this process does)."""
        return self._workers

    def use_workers(self) -> int:
        """Start the worker processes (one per CPU, up to MAX_WORKERS); return how many."""
        if self._pool is None:
            try:
                cpus = len(os.sched_getaffinity(0))
            except AttributeError:  # not on Linux
                cpus = os.cpu_count() or 1
            if cpus < 2:
                return 0
            # spawn, not fork: the syncing process runs threads and holds a connection.
            self._workers = min(cpus, MAX_WORKERS)
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return self.workers

    def submit(self, body: bytes, objects: list[Any] | None, signatures: Any) -> CheckedPage:
        """Check a page: `body` is its JSON as received; `objects` and `signatures` parsed.

        With workers, `objects` may be None: the page is checked from `body`, and the caller
        need not keep thousands of parsed objects alive while it waits.
        """
        party, key_hex = self._party, self._key_hex

        def here() -> list[Outcome]:
            if objects is None:
                return _received(_check_page(body, party, key_hex))
            return check_objects(objects, signatures, party, key_hex)

        if self._pool is None:
            return CheckedPage(here())
        try:
            future = self._pool.submit(_check_page, body, party, key_hex)
        except BrokenProcessPool:  # a worker died earlier: go on here
            return CheckedPage(here())
        return CheckedPage(future, here)


class CheckedPage:
    """The outcomes of a page being checked, here (already done) or by a worker."""

    def __init__(
        self,
        outcome: list[Outcome] | Future[list[Any]],
        here: Callable[[], list[Outcome]] | None = None,
    ) -> None:
        self._outcome = outcome
        self._here = here

    def result(self) -> list[Outcome]:
        """The outcomes, in the page's order (waiting for the worker if need be)."""
        if not isinstance(self._outcome, Future):
            return self._outcome
        try:
            return _received(self._outcome.result())
        except BrokenProcessPool:
            # A worker died (killed, out of memory): check the page here instead; the
            # outcome is the same, only slower.
            assert self._here is not None
            return self._here()

    def cancel(self) -> None:
        """Give up on the page (a worker that has not started it never will)."""
        if isinstance(self._outcome, Future):
            self._outcome.cancel()


# --- in a worker process -------------------------------------------------------------------


def _start_worker(parent: int) -> None:
    exit_with_parent(parent)
    # A page's objects are freed by reference counting; the collector's automatic passes
    # over them find nothing. It runs once per page instead (collect_now_and_then).
    gc.disable()


def _check_page(body: bytes, party: str, key_hex: str) -> list[Any]:
    page = orjson.loads(body)
    objects = page.get("objects", []) if isinstance(page, dict) else []
    signatures = page.get("x_enlace_signatures") if isinstance(page, dict) else None
    if not isinstance(objects, list):
        objects = []
    sent = [_sent(outcome) for outcome in check_objects(objects, signatures, party, key_hex)]
    collect_now_and_then()
    return sent


def _sent(outcome: Outcome) -> Any:
    # Plain tuples: they unpickle several times faster than dataclasses and named tuples.
    if isinstance(outcome, Accepted):
        return (True, tuple(outcome.version), outcome.signature)
    return (False, outcome.subject, outcome.reason, outcome.message)


def _received(sent: list[Any]) -> list[Outcome]:
    make = StoredVersion._make
    return [
        Accepted(make(item[1]), item[2]) if item[0] else Refused(item[1], item[2], item[3])
        for item in sent
    ]
