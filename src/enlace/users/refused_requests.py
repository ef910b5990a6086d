"""Requests refused before anyone is known: counted per minute and source, not logged one by one.

A partner API called without a valid partner token, a script's API call with a token nobody
holds, a sign-in with a username no account has, a sign-in tried while it is blocked: anyone
can send these, as fast as the network carries them, and an audit entry is kept for ever. So
each is counted instead, in the `refused_requests` table, by the minute it came in (UTC), its
source (the client address), its reason and its target (the path asked for, or the username
typed). Once a minute is over, each source's counts of that minute become ONE audit entry,
"refused-requests" (actor "anonymous", subject the source; detail: the minute, the source,
the count, the count by reason, and the count by target for a sample of the targets), and its
rows are deleted.

A minute is written to the log when the next refused request arrives after it (from any
source), or when `flush_refused_requests` is called: `enlace serve` calls it as it stops,
for the minute in progress too. So the minute in progress is NOT in the log yet: it is in
`refused_requests`, and is lost with that table if the node's database is rewritten before
the minute is written. Were the node stopped and started again within one minute, that
minute's source has two entries; their counts add up.

What a stranger can make the node store and write is bounded: at most `MAX_SOURCES` sources
a minute (the requests of any further source are counted under the source "other"), at most
`TARGET_SAMPLE` targets a source a minute (further targets are counted under ""), and each
stored text cut to its column's length with control characters escaped. A minute therefore
becomes at most `MAX_SOURCES` + 1 entries, whatever was sent.

Refusals of someone known stay entries of their own, as before: a wrong password for an
existing account ("login-failure", which the throttle limits per account), a revoked token
or one of a disabled user ("token-failure" with the token's user as actor).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from itertools import groupby
from typing import Any

from enlace.model import timestamps
from enlace.model.text import printable
from enlace.store.repositories.refused_requests import RefusedCount
from enlace.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

ACTION = "refused-requests"
ACTOR = "anonymous"
MAX_SOURCES = 1_000  # distinct sources a minute; the rest are counted as OTHER_SOURCE
TARGET_SAMPLE = 10  # distinct targets a source a minute; the rest are counted as OTHER_TARGET
OTHER_SOURCE = "other"
UNKNOWN_SOURCE = "unknown"  # the server was not told the client's address
OTHER_TARGET = ""
NO_TARGET = "(none)"  # a sign-in with no username
# The column lengths in enlace.store.tables.refused_requests.
MAX_SOURCE = 64
MAX_REASON = 80
MAX_TARGET = 128

# The reasons counted, by where the request was refused (the kind of refusal first).
PARTNER_API = "partner-api"  # the TAXII exchange and the matching API: no partner's token
WEB_API_TOKEN = "api-token"  # noqa: S105 - a reason, not a secret
SIGN_IN_UNKNOWN = "sign-in: no such account"
SIGN_IN_BLOCKED = "sign-in: blocked"


def minute_of(moment: datetime) -> str:
    """The UTC minute `moment` falls in, as stored: "2025-09-01T12:00Z" (sorts as text)."""
    return timestamps.format_timestamp(moment)[:16] + "Z"


def count_refused_request(
    uow: UnitOfWork, *, source: str | None, reason: str, target: str | None
) -> None:
    """Count one refused anonymous request, after writing the minutes already over to the
    audit log; never commits (the caller's unit of work does)."""
    minute = minute_of(timestamps.utc_now())
    write_closed_minutes(uow, before=minute)
    repository = uow.refused_requests
    where = _cut(source or UNKNOWN_SOURCE, MAX_SOURCE)
    if not repository.holds_source(minute, where) and (
        repository.source_count(minute) >= MAX_SOURCES
    ):
        where = OTHER_SOURCE
    what = _cut(target or NO_TARGET, MAX_TARGET)
    if not repository.holds_target(minute, where, what) and (
        repository.target_count(minute, where) >= TARGET_SAMPLE
    ):
        what = OTHER_TARGET
    repository.add_one(minute=minute, source=where, reason=_cut(reason, MAX_REASON), target=what)


def record_refused_request(
    store: UnitOfWorkFactory, *, source: str | None, reason: str, target: str | None
) -> None:
    """Use case: `count_refused_request` in a unit of work of its own, committed whatever
    the request's answer will be."""
    with store.unit_of_work() as uow:
        count_refused_request(uow, source=source, reason=reason, target=target)
        uow.commit()


def write_closed_minutes(uow: UnitOfWork, *, before: str | None) -> int:
    """Turn the counts of the minutes before `before` (None: every minute, the one in
    progress too) into one audit entry per minute and source; return how many were
    written. Never commits."""
    counts = uow.refused_requests.take_before(before)
    written = 0
    for (minute, source), group in groupby(counts, key=lambda c: (c.minute, c.source)):
        uow.audit.append(
            actor=ACTOR, action=ACTION, subject=source, detail=_detail(minute, source, group)
        )
        written += 1
    return written


def flush_refused_requests(store: UnitOfWorkFactory, *, include_open: bool = False) -> int:
    """Use case: write the counted refusals of the minutes already over to the audit log
    (with `include_open`, of the minute in progress too: for a node that stops); return how
    many entries were written."""
    with store.unit_of_work() as uow:
        before = None if include_open else minute_of(timestamps.utc_now())
        written = write_closed_minutes(uow, before=before)
        uow.commit()
    return written


def _detail(minute: str, source: str, counts: Iterable[RefusedCount]) -> dict[str, Any]:
    reasons: Counter[str] = Counter()
    targets: Counter[str] = Counter()
    for count in counts:
        reasons[count.reason] += count.count
        targets[count.target] += count.count
    other_targets = targets.pop(OTHER_TARGET, 0)
    return {
        "minute": minute,
        "source": source,
        "count": sum(reasons.values()),
        "reasons": dict(sorted(reasons.items())),
        "targets": dict(sorted(targets.items())),
        "other_targets": other_targets,
    }


def _cut(text: str, most: int) -> str:
    # Escaped first, then cut: what is stored is never longer than its column.
    return printable(text)[:most]
