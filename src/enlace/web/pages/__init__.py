"""The web pages of a node, one router per page; `create_node_app` includes `ROUTERS`.

Each route states who may call it with `allow(...)` or `public()`
(`enlace.web.security`); the roles of each page are in `enlace.web.navigation`.
"""

from __future__ import annotations

from fastapi import APIRouter

from enlace.web.pages import (
    audit,
    dashboard,
    deconfliction,
    disclosure,
    exchange,
    favicon,
    imports,
    language,
    link_graph,
    matching,
    records,
    seizure_map,
    traces,
    tracking,
    watchlists,
)

ROUTERS: list[APIRouter] = [
    favicon.router,
    language.router,
    dashboard.router,
    records.router,
    link_graph.router,
    seizure_map.router,
    imports.router,
    exchange.router,
    matching.router,
    disclosure.router,
    traces.router,
    watchlists.router,
    deconfliction.router,
    tracking.router,
    audit.router,
]
