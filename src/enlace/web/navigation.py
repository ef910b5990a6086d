"""The menu of the web pages, item by item with the roles that may open each page.

The menu shows a person only the pages their roles open; the routes themselves check the
same roles (`enlace.web.security.allow`), so hiding an item is a courtesy, not the control.
"""

from __future__ import annotations

from dataclasses import dataclass

from enlace.model.roles import ALL_ROLES, Role


@dataclass(frozen=True, slots=True)
class NavItem:
    """One menu entry: where it goes, its label (an English msgid) and who sees it."""

    path: str
    label: str
    roles: frozenset[Role]


DASHBOARD_ROLES = ALL_ROLES
RECORD_ROLES = frozenset({Role.ANALYST, Role.LIAISON})
IMPORT_ROLES = frozenset({Role.ANALYST})
EXCHANGE_ROLES = frozenset({Role.LIAISON, Role.ADMINISTRATOR})
EXCHANGE_ACTION_ROLES = frozenset({Role.LIAISON})
MATCHING_ROLES = frozenset({Role.ANALYST, Role.LIAISON})
DISCLOSURE_ROLES = frozenset({Role.LIAISON})
# An analyst keeps their own watchlist (docs/watchlists.md); nobody else sees it.
WATCHLIST_ROLES = frozenset({Role.ANALYST})
# Deconfliction notices go to liaison officers (docs/deconfliction.md).
DECONFLICTION_ROLES = frozenset({Role.LIAISON})
TRACKING_ROLES = frozenset({Role.COORDINATOR})
# Trace requests: analysts ask and follow, liaison officers answer (issue 18).
TRACE_ROLES = frozenset({Role.ANALYST, Role.LIAISON})
TRACE_REQUEST_ROLES = frozenset({Role.ANALYST})
TRACE_ANSWER_ROLES = frozenset({Role.LIAISON})
AUDIT_ROLES = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})
# The seizure map shows counts, no record's content: for those who read the records and
# those who follow the group's results.
MAP_ROLES = frozenset({Role.ANALYST, Role.LIAISON, Role.COORDINATOR})
# Who is shown witnessing's audit alerts on the dashboard: those who read the exchange page or
# the audit log, and can act on an alert (call the partner's liaison, keep the evidence).
ALERT_ROLES = EXCHANGE_ROLES | AUDIT_ROLES

NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("/web/", "Dashboard", DASHBOARD_ROLES),
    NavItem("/web/records", "Records", RECORD_ROLES),
    NavItem("/web/import", "Import", IMPORT_ROLES),
    NavItem("/web/exchange", "Exchange", EXCHANGE_ROLES),
    NavItem("/web/matching", "Matching", MATCHING_ROLES),
    NavItem("/web/map", "Map", MAP_ROLES),
    NavItem("/web/traces", "Traces", TRACE_ROLES),
    NavItem("/web/watchlist", "Watchlist", WATCHLIST_ROLES),
    NavItem("/web/deconfliction", "Deconfliction", DECONFLICTION_ROLES),
    NavItem("/web/tracking", "Tracking", TRACKING_ROLES),
    NavItem("/web/audit", "Audit", AUDIT_ROLES),
)


def menu_for(roles: frozenset[Role]) -> list[NavItem]:
    """The menu entries a person holding `roles` may open."""
    return [item for item in NAV_ITEMS if item.roles & roles]


def may(roles: frozenset[Role], allowed: frozenset[Role]) -> bool:
    """Whether a person holding `roles` holds one of `allowed`."""
    return bool(roles & allowed)


# What each role is called on the pages (English msgids; Spanish in the catalog).
ROLE_NAMES: dict[Role, str] = {
    Role.ADMINISTRATOR: "Administrator",
    Role.ANALYST: "Analyst",
    Role.LIAISON: "Liaison officer",
    Role.COORDINATOR: "Coordinator",
    Role.AUDITOR: "Auditor",
}
