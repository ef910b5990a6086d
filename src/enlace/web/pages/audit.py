"""Audit (bitácora de auditoría): the node's log, filtered by actor, record, action and dates,
with record titles and action names in the reader's language; its CSV export; and the check
of its hash chain — for auditors and administrators, read-only.

The chain is checked when the reader asks (a button posting to /web/audit/verify), not on
every view: checking walks and hashes every entry, work in proportion to the log's length
(millions of entries on a busy node), which a page view must not do. A cached result was the
other choice; it was not taken because an auditor must see a check made now, of the log as
it is now — a remembered "intact" could hide an edit made since. The page says so, and the
command line's 'enlace audit verify' does the same check. On the web it goes in steps of
`VERIFY_STEP` entries, each click continuing where the last ended, so that no request walks
a log of millions of entries (minutes of work a proxy would cut off, one server thread held).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from enlace.store.errors import AuditError
from enlace.store.repositories.audit import AuditVerification
from enlace.web import parameters
from enlace.web.context import Context, WebContext
from enlace.web.i18n import Formatter
from enlace.web.listing import ListState, Sort, csv_response, read_sort
from enlace.web.navigation import AUDIT_ROLES
from enlace.web.queries.audit import (
    AUDIT_COLUMNS,
    AUDIT_SORT,
    AuditFilter,
    audit_rows,
    audit_view,
    verify_log,
)
from enlace.web.rendering import render, request_language
from enlace.web.security import CurrentUser, allow, csrf_checked

router = APIRouter()
# Entries one click checks: a request never walks a whole log of millions of entries (each
# step links to the hash of the entry the step before ended on). About 2 s a step here.
VERIFY_STEP = 200_000
_ACTOR_MAX = 64  # audit_log.actor
_SUBJECT_MAX = 200  # a record id (128), a partner, a user, a file name

# Every action this node writes to its log (tests/web/test_pages_audit.py finds them in the
# code), as msgids: the page and the export name each in the reader's language.
ACTION_NAMES = {
    "access-denied": "Page refused to a user (role)",
    "agencies-added": "Agencies added",
    "agencies-shared": "Agencies shared with a partner",
    "checkpoint-cosigned": "Partner's log checkpoint countersigned",
    "checkpoint-witnessed": "Checkpoint of this log countersigned by a partner",
    "collection-denied": "Partner refused another's collection",
    "consent": "Onward-release consent given",
    "consent-refused": "Onward-release consent refused",
    "deconfliction-match": "Partner's operations check matched ours (deconfliction)",
    "deconfliction-notice": "Deconfliction notice: contacts exchanged",
    "deconfliction-refusal": "Deconfliction contact refused (not in the overlap)",
    "disclosure-approved": "Disclosure request approved",
    "disclosure-asked": "Disclosure asked of a partner",
    "disclosure-outcome": "Partner's decision on our disclosure request",
    "disclosure-refused": "Disclosure request refused",
    "disclosure-request": "Disclosure request received",
    "endpoint-refused": "Partner endpoint refused (other address)",
    "hit-notices": "Hit notices recorded",
    "import": "Import",
    "init": "Node set up",
    "key-generated": "Signing key generated",
    "login": "Signed in",
    "login-failure": "Sign-in failed",
    "logout": "Signed out",
    "match-agreement": "Matching agreement set",
    "match-agreement-removed": "Matching agreement removed",
    "match-aborted": "Matching run aborted by the partner (our proof failed its check)",
    "match-answered": "Matching request answered",
    "match-checked": "Partner's matching check answered",
    "match-expired": "Partner's matching run left unfinished (its key erased)",
    "match-check-failed": "Partner's matching check failed (run aborted)",
    "match-refusal": "Partner's matching request refused",
    "match-refused": "Our matching request refused",
    "match-proof-failed": "Partner's matching answer failed its proofs",
    "match-run": "Matching run",
    "operation-cancelled": "Operation cancelled",
    "operation-registered": "Operation registered",
    "outbound-token-set": "Token for calling a partner set",
    "partner-added": "Partner added",
    "partner-invited": "Partner invited (token made)",
    "partner-read": "Partner read our releases",
    "partner-updated": "Partner updated",
    "receipt": "Records received",
    "record-read": "Record read",
    "refusal": "Refused on arrival",
    "refused-requests": "Requests refused (no valid session or token)",
    "release": "Released to a partner",
    "release-refused": "Release refused",
    "release-withheld": "Release withheld (references)",
    "revocation": "Record revoked",
    "revocation-refused": "Revocation refused",
    "sequence-gap": "Not held: gap in the sequence",
    "session-expired": "Session expired",
    "stats-import": "Statistics imported",
    "sync-from-start": "Sync restarted from the beginning",
    "takeover-refused": "Import refused: records of another owner",
    "tls-ca-set": "Partner's TLS certificate authority set",
    "token-create": "API token created",
    "token-failure": "API token refused",
    "token-revoke": "API token revoked",
    "token-use": "API token used",
    "tombstone-sent": "Revocation sent to a partner",
    "tracking-accept": "Tracking items accepted",
    "trace-close": "Trace request closed",
    "trace-information": "Information added to a trace request",
    "trace-policy": "Trace answers' dealer policy set",
    "trace-received": "Trace step received from a partner",
    "trace-request": "Trace request sent to a partner",
    "trace-response": "Trace request answered or worked (step sent)",
    "tracking-edit": "Tracking item corrected",
    "tracking-progress": "Tracking progress recorded",
    "tracking-review": "Tracking item reviewed",
    "user-add": "User added",
    "user-disable": "User disabled",
    "user-enable": "User enabled",
    "user-password": "User's password changed",
    "user-roles": "User's roles changed",
    "watchlist-added": "Identifier added to a watchlist",
    "watchlist-removed": "Identifier removed from a watchlist",
    "watchlist-alerts": "Watchlist alerts raised",
    "witness-refused": "Countersigning refused",
}
# The export's columns, as msgids.
EXPORT_HEADER = ("#", "When", "Who", "Action", "Action name", "About", "Title", "Detail", "Hash")


def _filter(actor: str, subject: str, action: str, since: str, until: str) -> AuditFilter:
    first = parameters.day(since, name="from")
    last = parameters.day(until, name="until")
    if first is not None and last is not None and first > last:
        raise parameters.BadParameter(
            parameters.NOT_A_DAY,
            name="until",
            low=first.isoformat(),
            high=parameters.LAST_DAY.isoformat(),
            found=last.isoformat(),
        )
    return AuditFilter(
        actor=parameters.bounded_text(actor, name="actor", high=_ACTOR_MAX),
        subject=parameters.bounded_text(subject, name="subject", high=_SUBJECT_MAX),
        action=parameters.name_text(action, name="action"),
        since=first,
        until=last,
    )


@router.get("/web/audit")
def audit_page(
    request: Request,
    context: Context,
    actor: str = "",
    subject: str = "",
    action: str = "",
    since: Annotated[str, Query(alias="from")] = "",
    until: str = "",
    sort: str = "",
    direction: Annotated[str, Query(alias="dir")] = "",
    page: str = "",
    user: CurrentUser = allow(*AUDIT_ROLES),
) -> HTMLResponse:
    """One page of the log, filtered and sorted; the chain is checked on request."""
    wanted = _filter(actor, subject, action, since, until)
    order = read_sort(sort, direction, columns=AUDIT_COLUMNS, default=AUDIT_SORT.column)
    return _page(request, context, user, wanted, order, parameters.page_number(page), None)


@router.post("/web/audit/verify", dependencies=[csrf_checked])
def verify(
    request: Request,
    context: Context,
    start: Annotated[str, Form(max_length=20)] = "",
    user: CurrentUser = allow(*AUDIT_ROLES),
) -> HTMLResponse:
    """Check the hash chain now, one step of `VERIFY_STEP` entries from entry `start` (1
    when absent), and show the log's first page with the outcome and, when entries are
    left, a button that continues from the next one."""
    first = parameters.whole_number(start, name="start", low=1, high=parameters.LARGEST_COUNT)
    try:
        found = verify_log(context.store, start=first or 1, limit=VERIFY_STEP)
    except AuditError:
        # Only a start past the log's end (a stale form after nothing changed cannot give
        # one): begin again from the first entry rather than refuse.
        found = verify_log(context.store, limit=VERIFY_STEP)
    return _page(request, context, user, AuditFilter(), AUDIT_SORT, 1, (found, datetime.now(UTC)))


@router.get("/web/audit/export")
def export(
    request: Request,
    context: Context,
    actor: str = "",
    subject: str = "",
    action: str = "",
    since: Annotated[str, Query(alias="from")] = "",
    until: str = "",
    sort: str = "",
    direction: Annotated[str, Query(alias="dir")] = "",
    user: CurrentUser = allow(*AUDIT_ROLES),
) -> Response:
    """The entries the page's filters hold, every page, as CSV."""
    wanted = _filter(actor, subject, action, since, until)
    order = read_sort(sort, direction, columns=AUDIT_COLUMNS, default=AUDIT_SORT.column)
    t = Formatter(request_language(request, user))
    rows = (
        (
            e.seq,
            e.at,
            e.actor,
            e.action,
            t(ACTION_NAMES[e.action]) if e.action in ACTION_NAMES else e.action,
            e.subject,
            title,
            e.detail_json,
            e.entry_hash,
        )
        for e, title in audit_rows(context.store, wanted=wanted, sort=order)
    )
    return csv_response("audit.csv", [t(name) for name in EXPORT_HEADER], rows)


def _page(
    request: Request,
    context: WebContext,
    user: CurrentUser,
    wanted: AuditFilter,
    order: Sort,
    page: int,
    checked: tuple[AuditVerification, datetime] | None,
) -> HTMLResponse:
    view = audit_view(context.store, wanted=wanted, known=ACTION_NAMES, sort=order, page=page)
    shown = view.wanted
    listing = ListState(
        path="/web/audit",
        anchor="audit-entries",
        sort=order,
        pager=view.pager,
        filters={
            "actor": shown.actor,
            "subject": shown.subject,
            "action": shown.action,
            "from": shown.since.isoformat() if shown.since else "",
            "until": shown.until.isoformat() if shown.until else "",
        },
        export_path="/web/audit/export",
    )
    t = Formatter(request_language(request, user))
    actions = sorted(ACTION_NAMES, key=lambda a: t(ACTION_NAMES[a]).casefold())
    if shown.action and shown.action not in ACTION_NAMES:
        actions.append(shown.action)  # in an older log, an action no longer written
    return render(
        request,
        user,
        "audit.html",
        {
            "view": view,
            "entries_list": listing,
            "actions": actions,
            "action_names": ACTION_NAMES,
            "blank_filter": AuditFilter(),
            "verification": checked[0] if checked else None,
            "verified_at": checked[1] if checked else None,
            "step": VERIFY_STEP,
        },
    )
