"""A record's link graph (grafo de vínculos): its neighbourhood drawn on the server as SVG,
with the same links in words, for the analysts' cross-border work (issue 18)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from enlace.web.context import Context
from enlace.web.graph import CENTRE_RADIUS, Layout, edge_path, kind_class, node_shape, radial_layout
from enlace.web.navigation import RECORD_ROLES
from enlace.web.pages.common import is_record_id, refusal_page
from enlace.web.queries.neighbourhood import DRAWN, GraphEdge, Neighbourhood, neighbourhood
from enlace.web.rendering import render
from enlace.web.security import CurrentUser, allow

router = APIRouter()
# What the edges to partners' records are called (as msgids), beside the relationship types
# (enlace.web.codes "relationship").
PARTNER_EDGES = {"match": "matched with", "hit-notice": "hit notice from"}
# The legend's name of a partner's record (the record kinds are in the reports' catalogue).
PARTNER_RECORD = "Partner's record (handle only)"


@dataclass(frozen=True, slots=True)
class Line:
    """An edge as drawn: its SVG path, from border to border."""

    edge: GraphEdge
    path: str


@router.get("/web/records/{record_id}/graph")
def link_graph(
    request: Request,
    record_id: str,
    context: Context,
    user: CurrentUser = allow(*RECORD_ROLES),
) -> HTMLResponse:
    """The record, the records its relationships reach at depth 1 and 2, and its matches
    and hit notices with partners: at most DRAWN nodes, with counts of the rest."""
    found = neighbourhood(context.store, record_id) if is_record_id(record_id) else None
    if found is None:
        return refusal_page(
            request, user, 404, "This node holds no record {id}.", id=record_id[:140]
        )
    layout = radial_layout([(node.key, node.depth, node.parent) for node in found.nodes])
    return render(
        request,
        user,
        "graph.html",
        {
            "graph": found,
            "layout": layout,
            "lines": _lines(found, layout),
            "legend": list(dict.fromkeys(node.kind for node in found.nodes)),
            "node_shape": node_shape,
            "kind_class": kind_class,
            "partner_edges": PARTNER_EDGES,
            "partner_record": PARTNER_RECORD,
            "drawn_cap": DRAWN,
            "names": {node.key: node for node in found.nodes},
            "centre_radius": CENTRE_RADIUS,
        },
    )


def _lines(found: Neighbourhood, layout: Layout) -> list[Line]:
    depth = {node.key: node.depth for node in found.nodes}
    return [
        Line(
            edge,
            edge_path(
                layout[edge.source],
                layout[edge.target],
                around={depth[edge.source], depth[edge.target]} == {1, 2},
            ),
        )
        for edge in found.edges
        if edge.source in layout.placed and edge.target in layout.placed
    ]
