"""The append-only, hash-chained audit log of a node.

Every entry carries the SHA-256 of the previous entry (``prev_hash``; 64 zeros for the first)
and its own hash (``entry_hash``) over the RFC 8785 canonical JSON of
``{seq, at, actor, action, subject, detail, prev_hash}``. Editing an entry breaks its own
hash; deleting, inserting or reordering entries breaks the chain of ``prev_hash`` links or
the run of ``seq`` numbers. `AuditLog.verify` walks the chain and names the first entry that
does not hold.

Beside the chain, every entry is a leaf of an RFC 9162 Merkle tree (enlace.store.repositories
.audit_tree), whose signed checkpoints partners countersign (enlace.exchange.witness): the
chain shows an entry changed in place, the countersigned tree shows a history rewritten whole.

Entries are written inside the caller's transaction: the caller's unit of work commits the
entry together with what it records (a release and its audit entry are stored together or not
at all). The audit log never commits.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import rfc8785
from sqlalchemy import Connection, Row, func, insert, select

from enlace.canonical import canonical_json
from enlace.model.timestamps import format_timestamp, utc_now
from enlace.store.errors import AuditError
from enlace.store.repositories.audit_tree import AuditTree
from enlace.store.repositories.writer_lock import take_writer_lock
from enlace.store.tables import audit_log

GENESIS_HASH = "0" * 64
"""The `prev_hash` of the first entry."""


_ACTION = re.compile(r"[a-z][a-z0-9-]*")
_ACTOR_MAX = 64  # the column lengths in tables.py
_ACTION_MAX = 32
_VERIFY_BATCH = 2000

TamperKind = Literal["edited", "deleted", "reordered"]


def entry_hash(
    *,
    seq: int,
    at: str,
    actor: str,
    action: str,
    subject: str | None,
    detail: Any,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of the RFC 8785 canonical JSON of an entry's fields.

    `detail` is the parsed JSON value (an object, or None), so anyone can recompute the
    hash of an exported entry with any JCS implementation.
    """
    body = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "subject": subject,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditItem:
    """An entry to append: who did what, about what, with which particulars."""

    actor: str
    action: str
    subject: str | None = None
    detail: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the log, as stored."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str | None
    detail_json: str | None  # canonical JSON text, as stored
    prev_hash: str
    entry_hash: str

    @property
    def detail(self) -> Any:
        """The detail as parsed JSON (None when the entry has none)."""
        return None if self.detail_json is None else json.loads(self.detail_json)


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """The first entry of the log that does not hold, and what was done to it."""

    seq: int
    kind: TamperKind
    message: str


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The outcome of walking the chain."""

    entries: int  # entries found intact: all of them, or those before the problem
    last_seq: int | None  # seq of the newest intact entry checked (None: none)
    head_hash: str  # its entry_hash (GENESIS_HASH when empty); "" when unknown after a problem
    problem: AuditProblem | None = None
    first_seq: int = 1  # where the check started (a check in steps continues after the last)
    remaining: int = 0  # entries after last_seq left for the next step (0: checked to the end)

    @property
    def ok(self) -> bool:
        """True when no entry was edited, deleted or reordered."""
        return self.problem is None

    @property
    def message(self) -> str:
        """One paragraph a security officer can act on."""
        if self.problem is None:
            if self.last_seq is None:
                return "audit log intact: 0 entries (the log is empty)"
            if self.first_seq > 1 or self.remaining:
                return (
                    f"audit log intact from entry {self.first_seq} to entry {self.last_seq} "
                    f"({self.entries} entries); entry {self.last_seq} has hash "
                    f"{self.head_hash}; {self.remaining} entries after it not checked in this step"
                )
            return (
                f"audit log intact: {self.entries} entries; "
                f"latest entry {self.last_seq} has hash {self.head_hash}"
            )
        intact = {0: "", 1: " The entry before it is intact."}.get(
            self.entries, f" The {self.entries} entries before it are intact."
        )
        return (
            f"audit log TAMPERED at entry {self.problem.seq} ({self.problem.kind}): "
            f"{self.problem.message}.{intact}"
        )


class AuditLog:
    """Appends to and verifies the audit log, on the caller's connection (never commits)."""

    def __init__(self, connection: Connection, *, tree: AuditTree | None = None) -> None:
        # `tree`: the Merkle tree grown with each append (the stored one by default; the
        # benchmark passes one that keeps nothing, to time the chain alone).
        self._connection = connection
        self._dialect = connection.dialect.name
        self._tree = AuditTree(connection) if tree is None else tree

    def append(
        self,
        *,
        actor: str,
        action: str,
        subject: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Chain one entry to the log inside the caller's transaction and return it.

        `actor` is who acted (a user, a partner's party code, "node", "cli"); `action` a
        lower-case word such as release, receipt, refusal, revocation, auth-failure,
        partner-read, import, init; `subject` what it was about (a record id, a partner, a
        file name); `detail` a JSON object with the particulars. Never put secrets in it.
        """
        return self.append_many([AuditItem(actor, action, subject, detail)])[0]

    def append_many(self, items: Sequence[AuditItem]) -> list[AuditEntry]:
        """Chain several entries, in order, as `append` would one by one; return them.

        One lock, one read of the newest entry and one multi-row insert: a release of a
        million record versions writes a million entries.
        """
        prepared = [_prepare(item) for item in items]
        if not prepared:
            return []
        self._lock()
        # Read the newest entry only while holding the lock: no other writer can append
        # between this read and our insert, so the chain cannot fork. (On PostgreSQL at READ
        # COMMITTED, this statement sees what the previous lock holder committed. Were the
        # transaction's snapshot older, the insert would hit the primary key on `seq` and
        # fail, never fork.)
        last = self._connection.execute(
            select(audit_log.c.seq, audit_log.c.entry_hash)
            .order_by(audit_log.c.seq.desc())
            .limit(1)
        ).first()
        entries = _chain(
            prepared,
            seq=0 if last is None else int(last.seq),
            prev_hash=GENESIS_HASH if last is None else str(last.entry_hash),
            at=format_timestamp(utc_now()),
        )
        self._connection.execute(
            insert(audit_log),
            [
                {
                    "seq": e.seq,
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "subject": e.subject,
                    "detail": e.detail_json,
                    "prev_hash": e.prev_hash,
                    "entry_hash": e.entry_hash,
                }
                for e in entries
            ],
        )
        # The Merkle tree grows in the same transaction: an entry and its leaf are
        # committed together or not at all (issue 13).
        self._tree.extend([e.entry_hash for e in entries])
        return entries

    def _lock(self) -> None:
        # Two writers must never both read the same newest entry and chain to it.
        take_writer_lock(self._connection)

    def count(self) -> int:
        """How many entries the log holds."""
        return int(
            self._connection.execute(select(func.count()).select_from(audit_log)).scalar_one()
        )

    def latest(self, limit: int = 20) -> list[AuditEntry]:
        """The newest `limit` entries, oldest first."""
        rows = self._connection.execute(
            select(audit_log).order_by(audit_log.c.seq.desc()).limit(max(limit, 0))
        ).all()
        return [_entry(row) for row in reversed(rows)]

    def entry(self, seq: int) -> AuditEntry | None:
        """The entry numbered `seq`, or None when the log holds none."""
        row = self._connection.execute(select(audit_log).where(audit_log.c.seq == seq)).first()
        return None if row is None else _entry(row)

    def entries(self, *, after: int = 0) -> Generator[AuditEntry, None, None]:
        """Every entry in seq order (those after seq `after`), streamed."""
        # The option goes on the statement: on the connection it would stay for the rest
        # of the caller's unit of work.
        result = self._connection.execute(
            select(audit_log)
            .where(audit_log.c.seq > after)
            .order_by(audit_log.c.seq)
            .execution_options(yield_per=_VERIFY_BATCH)
        )
        try:
            for row in result:
                yield _entry(row)
        finally:
            result.close()

    def verify(self, *, start: int = 1, limit: int | None = None) -> AuditVerification:
        """Walk the chain in seq order and report the first entry edited, deleted or moved.

        Detects: an entry whose content no longer matches its hash (edited); a missing seq
        or an entry not linked to its predecessor (deleted); an entry that is not where the
        chain puts it (reordered). It cannot detect the newest entries being removed, or the
        whole chain being rewritten by someone with write access: compare `head_hash` with
        a copy kept elsewhere for that.

        In steps (the web page, so that no request walks millions of entries): `limit`
        entries at most, from entry `start`, linked to the stored hash of entry start - 1
        (which the step before checked); `remaining` says how many entries are left.
        """
        if start < 1:
            raise AuditError(f"a check starts at entry 1 or later, not {start}")
        expected_seq = start
        expected_prev = GENESIS_HASH if start == 1 else self._hash_of(start - 1)
        if expected_prev is None:
            raise AuditError(f"there is no entry {start - 1} to continue the check from")
        intact = 0
        bad: AuditEntry | None = None
        bad_content_ok = False
        following: AuditEntry | None = None
        stopped = False
        entries = self.entries(after=start - 1)
        try:
            for entry in entries:
                if limit is not None and intact >= limit:
                    stopped = True
                    break
                content_ok = _content_matches(entry)
                if content_ok and entry.seq == expected_seq and entry.prev_hash == expected_prev:
                    intact += 1
                    expected_seq += 1
                    expected_prev = entry.entry_hash
                    continue
                bad, bad_content_ok = entry, content_ok
                following = next(entries, None)
                break
        finally:
            entries.close()
        if bad is None:
            last = expected_seq - 1
            return AuditVerification(
                entries=intact,
                last_seq=last or None,
                head_hash=expected_prev,
                first_seq=start,
                remaining=self._count_after(last) if stopped else 0,
            )
        problem = self._diagnose(
            bad, bad_content_ok, following, expected_seq=expected_seq, expected_prev=expected_prev
        )
        # Entries start..start+intact-1 verified; when the problem is the entry before
        # (rewritten and rehashed) that one is not intact after all.
        intact = max(0, min(intact, problem.seq - start))
        last = start + intact - 1
        return AuditVerification(
            entries=intact,
            last_seq=last or None,
            head_hash=expected_prev if last == expected_seq - 1 else "",
            problem=problem,
            first_seq=start,
        )

    def _hash_of(self, seq: int) -> str | None:
        found = self._connection.execute(
            select(audit_log.c.entry_hash).where(audit_log.c.seq == seq)
        ).scalar_one_or_none()
        return None if found is None else str(found)

    def _count_after(self, seq: int) -> int:
        return int(
            self._connection.execute(
                select(func.count()).select_from(audit_log).where(audit_log.c.seq > seq)
            ).scalar_one()
        )

    def _diagnose(
        self,
        entry: AuditEntry,
        content_ok: bool,
        following: AuditEntry | None,
        *,
        expected_seq: int,
        expected_prev: str,
    ) -> AuditProblem:
        before = expected_seq - 1
        after = f"entry {before}" if before else "the start of the log"
        if entry.seq == expected_seq and entry.prev_hash == expected_prev:
            return AuditProblem(
                entry.seq,
                "edited",
                f"entry {entry.seq} was altered after it was written: its content no longer "
                "matches its hash",
            )
        moved_to = self._successor_of(expected_prev, other_than=entry.seq)
        if moved_to is not None:
            return AuditProblem(
                expected_seq,
                "reordered",
                f"entries are out of order: the entry written right after {after} is now "
                f"stored at position {moved_to}, and position {expected_seq} holds "
                f"{'nothing' if entry.seq != expected_seq else 'another entry'}",
            )
        if entry.seq > expected_seq:
            missing = (
                f"entry {expected_seq} is missing"
                if entry.seq == expected_seq + 1
                else f"entries {expected_seq} to {entry.seq - 1} are missing"
            )
            return AuditProblem(
                expected_seq,
                "deleted",
                f"{missing}: deleted from the log (the next entry present is {entry.seq})",
            )
        # Position expected_seq holds an entry that does not link to its predecessor.
        if content_ok:
            if before == 0:
                return AuditProblem(
                    entry.seq,
                    "edited",
                    "entry 1 does not start the chain: it was rewritten or forged "
                    "with a recomputed hash",
                )
            # This entry is intact and was written at this position, so its prev_hash is the
            # original hash of the entry before it: that one was rewritten and rehashed.
            return AuditProblem(
                before,
                "edited",
                f"entry {before} was altered after it was written and its hash was "
                f"recomputed to hide it: entry {entry.seq} still carries its original hash",
            )
        if _content_matches(entry, prev_hash=expected_prev):
            return AuditProblem(
                entry.seq,
                "edited",
                f"entry {entry.seq} was altered after it was written: its link to {after} "
                "was changed",
            )
        linked = following is not None and following.prev_hash == entry.entry_hash
        if linked and entry.seq == expected_seq:
            return AuditProblem(
                entry.seq,
                "deleted",
                f"the entry written right after {after} is missing (deleted) and later entries "
                f"were renumbered to hide the gap; entry {entry.seq} does not link to {after} "
                "and its number no longer matches its hash",
            )
        return AuditProblem(
            entry.seq,
            "deleted",
            f"entry {entry.seq} does not link to {after} and its content does not match its "
            "hash: entries were deleted or replaced here",
        )

    def _successor_of(self, prev_hash: str, *, other_than: int) -> int | None:
        seq = self._connection.execute(
            select(audit_log.c.seq)
            .where(audit_log.c.prev_hash == prev_hash, audit_log.c.seq != other_than)
            .order_by(audit_log.c.seq)
            .limit(1)
        ).scalar()
        return None if seq is None else int(seq)


def chain_entries(
    items: Sequence[AuditItem], *, after: AuditEntry | None, at: str
) -> list[AuditEntry]:
    """The entries `items` become when chained after the entry `after` (None: they start
    the log) at time `at`, checked as `AuditLog.append_many` checks them; AuditError when one
    cannot be written. Pure: what `append_many` stores, for a log kept elsewhere (the tests'
    log in memory)."""
    return _chain(
        [_prepare(item) for item in items],
        seq=0 if after is None else after.seq,
        prev_hash=GENESIS_HASH if after is None else after.entry_hash,
        at=at,
    )


_Prepared = tuple[AuditItem, str | None, Any, str | None]  # item, subject, detail, its JSON


def _prepare(item: AuditItem) -> _Prepared:
    _check_name("actor", item.actor, _ACTOR_MAX)
    _check_name("action", item.action, _ACTION_MAX)
    if not _ACTION.fullmatch(item.action):
        raise AuditError(
            f"audit action {item.action!r} must be lower-case letters, digits and "
            "'-', e.g. 'release' or 'auth-failure'"
        )
    return (item, _storable(item.subject), *_canonical_detail(item.detail))


def _chain(prepared: Sequence[_Prepared], *, seq: int, prev_hash: str, at: str) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for item, subject, detail_value, detail_json in prepared:
        seq += 1
        entry = AuditEntry(
            seq=seq,
            at=at,
            actor=item.actor,
            action=item.action,
            subject=subject,
            detail_json=detail_json,
            prev_hash=prev_hash,
            entry_hash=entry_hash(
                seq=seq,
                at=at,
                actor=item.actor,
                action=item.action,
                subject=subject,
                detail=detail_value,
                prev_hash=prev_hash,
            ),
        )
        entries.append(entry)
        prev_hash = entry.entry_hash
    return entries


def _storable(subject: str | None) -> str | None:
    # What is audited can come from a request (a path, a file name): PostgreSQL's text holds
    # no NUL character, so one is written as the six characters JSON uses for it, \u0000:
    # the entry is kept, readable, and the same on both databases.
    return subject.replace("\x00", "\\u0000") if subject is not None else None


def _check_name(name: str, value: str, longest: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise AuditError(f"audit {name} must be given, found {value!r}")
    if len(value) > longest or any(ord(char) < 32 for char in value):
        raise AuditError(
            f"audit {name} {value[:80]!r} must be at most {longest} characters, one line"
        )


def _canonical_detail(detail: Mapping[str, Any] | None) -> tuple[Any, str | None]:
    if detail is None:
        return None, None
    if not isinstance(detail, Mapping):
        raise AuditError(f"audit detail must be a JSON object, found {type(detail).__name__}")
    try:
        value = json.loads(canonical_json(dict(detail)))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise AuditError(f"audit detail is not JSON that can be canonicalised: {error}") from None
    # Store the canonical text, and hash what reading it back gives: what verify will see.
    return value, canonical_json(value).decode("utf-8")


def _content_matches(entry: AuditEntry, *, prev_hash: str | None = None) -> bool:
    try:
        detail = entry.detail
        recomputed = entry_hash(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            subject=entry.subject,
            detail=detail,
            prev_hash=entry.prev_hash if prev_hash is None else prev_hash,
        )
    except (ValueError, TypeError, rfc8785.CanonicalizationError):
        return False  # unreadable detail or a field of the wrong type: not what was hashed
    return recomputed == entry.entry_hash


def _entry(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        detail_json=row.detail,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )
