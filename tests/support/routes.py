"""Every route a node's application serves, read from the application itself.

The route × role matrix (tests/web/test_route_matrix.py) and the boundary walk
(tests/web/test_route_walk.py) both start from here, so a route added to the application is
in both without anyone listing it: the node's own routes, the routes of the partners'
application mounted under it (matching, TAXII 2.1) and the static files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount

from enlace.web.security import node_routes, original_route

_PATH_PARAMETER = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")
# What the partners' routes read from the query string themselves (they declare none, as
# TAXII 2.1 and docs/matching.md define them): without these the walk would never send them.
READ_BY_HANDLER: dict[str, tuple[str, ...]] = {
    "/matching/v1/admission": ("kind", "size"),
    "/matching/v1/runs": ("kind",),
    "/{api_root}/collections/{collection}/objects/": (
        "added_after",
        "limit",
        "next",
        "match[id]",
        "match[type]",
        "match[version]",
        "match[spec_version]",
        "x_enlace_nonce",
    ),
    "/{api_root}/collections/{collection}/objects/{object_id}/": (
        "added_after",
        "limit",
        "next",
        "match[version]",
        "match[spec_version]",
    ),
    "/{api_root}/collections/{collection}/objects/{object_id}/versions/": (
        "added_after",
        "limit",
        "next",
        "match[spec_version]",
    ),
    "/{api_root}/collections/{collection}/manifest/": (
        "added_after",
        "limit",
        "next",
        "match[id]",
        "match[type]",
        "match[version]",
    ),
}
# Partner routes whose body is the protocol's bytes (docs/matching.md), not a form.
RAW_BODIES = {
    "/matching/v1/runs",
    "/matching/v1/runs/{run_id}/matches",
    "/matching/v1/runs/{run_id}/check",
    "/matching/v1/disclosures",
}


@dataclass(frozen=True, slots=True)
class ServedRoute:
    """One method of one route, as the node serves it."""

    method: str
    path: str  # the template: /web/records/{record_id}, /{api_root}/ ({rest:path} as {rest})
    application: str  # "web" (the node's routes), "partners" (mounted), "static" (files)
    route: Any  # the route as `node_routes` gives it (None for the static files)
    path_parameters: tuple[str, ...] = ()
    query_parameters: tuple[str, ...] = ()
    form_fields: tuple[str, ...] = ()
    raw_body: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _declared(route: Any) -> tuple[list[str], list[str]]:
    """The query parameters and form fields `route` declares, with its dependencies'."""
    query: list[str] = []
    form: list[str] = []
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        query.extend(field.alias for field in dependant.query_params)
        form.extend(field.alias for field in dependant.body_params)
        pending.extend(dependant.dependencies)
    return sorted(set(query)), sorted(set(form))


def _served(route: Any, application: str, prefix: str) -> list[ServedRoute]:
    declared = original_route(route)
    assert isinstance(declared, APIRoute)
    path = prefix + _PATH_PARAMETER.sub(r"{\1}", declared.path)
    query, form = _declared(route)
    query = sorted({*query, *READ_BY_HANDLER.get(path, ())})
    return [
        ServedRoute(
            method=method,
            path=path,
            application=application,
            route=route,
            path_parameters=tuple(_PATH_PARAMETER.findall(declared.path)),
            query_parameters=tuple(query),
            form_fields=tuple(form),
            raw_body=path in RAW_BODIES,
        )
        for method in sorted(declared.methods or ())
        if method != "HEAD"
    ]


def served_routes(app: FastAPI) -> list[ServedRoute]:
    """Every route `app` (a node's application) serves; AssertionError on a kind of route
    this list does not know how to call (so it cannot be skipped unseen)."""
    found: list[ServedRoute] = []
    for route in node_routes(app):
        declared = original_route(route)
        if isinstance(declared, APIRoute):
            found.extend(_served(route, "web", ""))
        elif isinstance(declared, Mount) and declared.name == "static":
            found.append(ServedRoute("GET", f"{declared.path}/{{path}}", "static", None, ("path",)))
        elif isinstance(declared, Mount) and isinstance(declared.app, FastAPI):
            for inner in node_routes(declared.app):
                inner_declared = original_route(inner)
                assert isinstance(inner_declared, APIRoute), (
                    f"{inner_declared!r} in {declared.name}"
                )
                found.extend(_served(inner, "partners", declared.path))
        else:
            raise AssertionError(f"a route of a kind the tests cannot call: {declared!r}")
    return found


ROUTE_TABLE_HEADING = "### Every route, and who may call it (route × role)"
ROUTE_TABLE_COLUMNS = (
    "nobody",
    "administrator",
    "analyst",
    "liaison",
    "coordinator",
    "auditor",
    "partner",
)
ROUTE_TABLE_CELLS = frozenset({"yes", "login", "no", "401", "none"})


def documented_routes(markdown: str) -> dict[str, dict[str, str]]:
    """The route × role table of docs/users.md: 'METHOD /path' -> column -> cell."""
    _, found, rest = markdown.partition(ROUTE_TABLE_HEADING)
    assert found, f"docs/users.md has no section {ROUTE_TABLE_HEADING!r}"
    lines = [line for line in rest.split("\n## ")[0].splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == ["route", *ROUTE_TABLE_COLUMNS], f"the table's columns: {header}"
    table: dict[str, dict[str, str]] = {}
    for line in lines[2:]:
        route, *cells = (cell.strip() for cell in line.strip("|").split("|"))
        label = route.strip("`")
        assert label not in table, f"two rows for {label}"
        assert set(cells) <= ROUTE_TABLE_CELLS, f"{label}: cells {cells}"
        table[label] = dict(zip(ROUTE_TABLE_COLUMNS, cells, strict=True))
    return table
