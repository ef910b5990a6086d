"""Checking what a partner sent, object by object: here, or in worker processes.

Each object of a page is checked on its own (a known Enlace type, a valid record, its
owner's signature, owned by the sending partner or passed on with its owner's signed
consent, and releasable to this party) before anything is stored; what
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
from enlace.exchange.statements import StatementInvalid, read_consent
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


@dataclass(frozen=True, slots=True)
class Context:
    """What checking a page needs to know: who sent it, who receives it, and the signing keys
    of the registered partners (an onward record is signed by its owner, not the sender)."""

    sender: str
    receiver: str
    keys: Mapping[str, str]  # party -> Ed25519 public key (hex)


def check_object(
    obj: Any, signatures: Mapping[str, Any], context: Context, consents: Mapping[str, Any]
) -> Outcome:
    """Check one object of a page sent by `context.sender`; `consents` maps
    "<id>|<modified>" to the owner's signed consent that came with it (onward release)."""
    if not isinstance(obj, dict):
        return Refused("<not an object>", "malformed", "the item is not a JSON object")
    record_id, modified = obj.get("id"), obj.get("modified")
    if not (isinstance(record_id, str) and record_id and isinstance(modified, str)):
        subject = record_id if isinstance(record_id, str) and record_id else "<without id>"
        return Refused(subject, "malformed", "the object has no text id and modified")
    key = f"{record_id}|{modified}"
    signature = signatures.get(key)
    if not isinstance(signature, str) or not signature:
        return Refused(record_id, "missing-signature", "the object carries no signature")
    try:
        cls = class_for_stix(obj)
    except ValueError as error:
        return Refused(record_id, "unknown-type", str(error))
    try:
        record = cls.from_stix(obj)
    except Exception as error:  # any invalid object is refused, never a crash
        return Refused(record_id, "malformed", str(error) or type(error).__name__)
    sender, receiver = context.sender, context.receiver
    onward = record.owner != sender
    if onward:
        refusal = _consent_refusal(record.owner, record_id, modified, consents.get(key), context)
        if refusal is not None:
            return refusal
    owner_key = context.keys.get(record.owner, "")
    try:
        verify_record(obj, signature, owner_key)
    except SignatureInvalid as error:
        reason = "malformed" if error.problem == "not-canonical" else "bad-signature"
        return Refused(record_id, reason, error.reason)
    if not onward and receiver not in record.markings.releasable_to:
        # The receiver enforces the markings too: a record its owner did not release to this
        # party (say, released to a third party and put in this channel) is not kept, however
        # well it is signed.
        named = ", ".join(sorted(record.markings.releasable_to)) or "no partner (national only)"
        return Refused(
            record_id,
            "not-releasable-here",
            f"its markings release it to {named}, not to {receiver}",
        )
    text = orjson.dumps(obj).decode("utf-8")
    try:
        version = StoredVersion.of(record, stix=obj, stix_text=text, received_from=sender)
    except Exception as error:
        return Refused(record_id, "malformed", str(error) or type(error).__name__)
    return Accepted(version, signature)


def _consent_refusal(
    owner: str, record_id: str, modified: str, consent: Any, context: Context
) -> Refused | None:
    # A record owned by another party than the sender is accepted only with its owner's
    # signed consent naming the sender as holder, this party as recipient, and this version.
    owner_key = context.keys.get(owner)
    if owner_key is None:
        return Refused(
            record_id,
            "wrong-owner",
            f"the record's owner is {owner}, not the sending partner {context.sender}, and "
            f"{owner} is not a registered partner whose signature could be checked",
        )
    if not isinstance(consent, dict):
        return Refused(
            record_id,
            "wrong-owner",
            f"the record's owner is {owner}, not the sending partner {context.sender}, and no "
            f"consent of {owner} to pass it on came with it",
        )
    try:
        said, _, _ = read_consent(consent.get("statement"), consent.get("signature"), owner_key)
    except StatementInvalid as error:
        return Refused(record_id, "no-consent", f"the consent that came with it: {error}")
    expected = (record_id, modified, owner, context.sender, context.receiver)
    if (said.record_id, said.version, said.owner, said.holder, said.recipient) != expected:
        return Refused(
            record_id,
            "no-consent",
            f"the consent that came with it does not name this version, {context.sender} as "
            f"holder and {context.receiver} as recipient",
        )
    return None


def check_objects(
    objects: list[Any], signatures: Any, context: Context, consents: Any = None
) -> list[Outcome]:
    """Check each object of a page; `signatures` is the page's x_enlace_signatures,
    `consents` its x_enlace_consents."""
    if not isinstance(signatures, dict):
        signatures = {}
    by_version = _consents_by_version(consents)
    return [check_object(obj, signatures, context, by_version) for obj in objects]


def _consents_by_version(consents: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if not isinstance(consents, list):
        return found
    for item in consents[:10_000]:
        statement = item.get("statement") if isinstance(item, dict) else None
        if isinstance(statement, dict):
            record, version = statement.get("record"), statement.get("version")
            if isinstance(record, str) and isinstance(version, str):
                found[f"{record}|{version}"] = item
    return found


class PageChecker:
    """Checks pages here, or in worker processes once `use_workers` was called.

    `submit` returns a handle whose `result()` gives the outcomes in the page's order.
    """

    def __init__(self, context: Context) -> None:
        self._context = context
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

    def submit(
        self, body: bytes, objects: list[Any] | None, signatures: Any, consents: Any
    ) -> CheckedPage:
        """Check a page: `body` is its JSON as received; `objects`, `signatures` and
        `consents` parsed.

        With workers, `objects` may be None: the page is checked from `body`, and the caller
        need not keep thousands of parsed objects alive while it waits.
        """
        context = self._context

        def here() -> list[Outcome]:
            if objects is None:
                return _received(_check_page(body, context))
            return check_objects(objects, signatures, context, consents)

        if self._pool is None:
            return CheckedPage(here())
        try:
            future = self._pool.submit(_check_page, body, context)
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


def _check_page(body: bytes, context: Context) -> list[Any]:
    page = orjson.loads(body)
    objects = page.get("objects", []) if isinstance(page, dict) else []
    signatures = page.get("x_enlace_signatures") if isinstance(page, dict) else None
    consents = page.get("x_enlace_consents") if isinstance(page, dict) else None
    if not isinstance(objects, list):
        objects = []
    checked = check_objects(objects, signatures, context, consents)
    sent = [_sent(outcome) for outcome in checked]
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
