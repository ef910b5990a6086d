"""The seizure map (mapa de decomisos): seizures and firearm recoveries by state (entidad
federativa) and border port (puerto fronterizo), drawn as SVG on the server, with the same
counts in a table under it (issue 18)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from enlace.web import parameters
from enlace.web.context import Context
from enlace.web.navigation import MAP_ROLES
from enlace.web.parameters import BadParameter
from enlace.web.queries.seizure_map import (
    CATEGORIES,
    DRUGS,
    MAP_KINDS,
    MapFilter,
    map_counts,
    map_owners,
)
from enlace.web.rendering import render
from enlace.web.security import CurrentUser, allow, t
from enlace.web.seizure_map import (
    PORT_SOURCE,
    SOURCE,
    VIEW_BOX,
    port_points,
    port_radius,
    shade,
    shade_ranges,
    state_shapes,
)

router = APIRouter()
SINCE_AFTER_UNTIL = t(
    "The parameter since ({since}) is after until ({until}): no day is in that period."
)


@router.get("/web/map")
def seizure_map(
    request: Request,
    context: Context,
    kind: str = "",
    category: str = "",
    drug: str = "",
    owner: str = "",
    since: str = "",
    until: str = "",
    user: CurrentUser = allow(*MAP_ROLES),
) -> HTMLResponse:
    """Seizures and recoveries by state and port, filtered by kind, category, drug, owner
    and period (the seizure's or recovery's date)."""
    wanted = read_filter(kind, category, drug, owner, since, until)
    counts = map_counts(context.store, wanted)
    ports = port_points()
    largest_port = max(counts.ports.values(), default=0)
    return render(
        request,
        user,
        "map.html",
        {
            "wanted": wanted,
            "counts": counts,
            "shapes": state_shapes(),
            "ports": ports,
            "port_names": {p.code: p.name for p in ports},
            "view_box": VIEW_BOX,
            "shade": lambda code: shade(
                counts.states[code].total if code in counts.states else 0, counts.largest
            ),
            "ranges": shade_ranges(counts.largest),
            "radius": lambda code: port_radius(counts.ports.get(code, 0), largest_port),
            "kinds": MAP_KINDS,
            "categories": CATEGORIES,
            "drugs": DRUGS,
            "owners": map_owners(context.store),
            "source": SOURCE,
            "port_source": PORT_SOURCE,
        },
    )


def read_filter(
    kind: str, category: str, drug: str, owner: str, since: str, until: str
) -> MapFilter:
    """The map's filter as the query string gives it; BadParameter for a value it cannot be."""
    wanted = MapFilter(
        kind=parameters.choice(kind, name="kind", choices=MAP_KINDS),
        category=parameters.choice(category, name="category", choices=CATEGORIES),
        drug=parameters.choice(drug, name="drug", choices=DRUGS),
        owner=parameters.party(owner, name="owner"),
        since=parameters.day(since, name="since"),
        until=parameters.day(until, name="until"),
    )
    if wanted.since and wanted.until and wanted.since > wanted.until:
        raise BadParameter(
            SINCE_AFTER_UNTIL, since=wanted.since.isoformat(), until=wanted.until.isoformat()
        )
    return wanted
