"""The link graph's picture: a deterministic radial layout, and each node's shape by kind.

The record sits in the middle, the records (and partners' records) one link away on a ring
around it, those two links away on an outer ring, each near the depth-1 record it was reached
from. The same neighbourhood always gives the same picture (no force simulation, no random
start), drawn on the server as SVG: the page needs no script, and nothing leaves the node.
Labels run outwards along each node's radius, so neighbours' labels do not overlap; a line
to the outer ring goes round along a circle between the rings, not across the middle.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

CENTRE = 500.0  # the record's place; the viewBox is cut around what is drawn
RING_FEW = 200  # the depth-1 ring alone, for a dozen nodes or fewer
RING_ALONE = 300  # the depth-1 ring alone, for more
RING_INNER = 160  # the depth-1 ring under a depth-2 ring
RING_OUTER = 320  # the depth-2 ring
# Lines to the depth-2 ring leave a depth-1 node outwards, run along this circle (past the
# depth-1 labels, inside the depth-2 nodes) and reach their node outwards: never across the
# record in the middle, whichever side of the ring the node is on.
RING_ROUTE = 300
NODE_RADIUS = 14
CENTRE_RADIUS = 20
FEW = 12
LABEL_CHARACTERS = 20  # of a label on the outer ring; the full title is in the list
INNER_LABEL_CHARACTERS = 12  # of a depth-1 label with a depth-2 ring beyond it
CENTRE_LABEL_CHARACTERS = 40
_CHARACTER_WIDTH = 9.0  # of the labels' 16px type (enlace.css), to leave them room
_LABEL_GAP = 6
_MARGIN = 12
_ASIDE = 12.0  # degrees between a depth-1 node and the middle of its depth-2 group
_KIND = re.compile(r"[^a-z0-9-]")

# The shape of each kind of node: who (people, organisations), what (things with an
# identifier), where and when (events, places), and partners' records (known by a handle).
SHAPES: dict[str, str] = {
    "person": "circle",
    "agency": "circle",
    "company": "circle",
    "organisation": "circle",
    "phone": "square",
    "vehicle": "square",
    "firearm": "square",
    "seizure": "diamond",
    "laboratory": "diamond",
    "custody-transfer": "diamond",
    "location": "triangle",
    "partner-record": "hexagon",
}


@dataclass(frozen=True, slots=True)
class Placed:
    """Where one node is drawn, and where its label goes."""

    key: str
    x: float
    y: float
    radius: float
    label_x: float
    label_y: float
    label_rotation: float  # degrees, about (label_x, label_y)
    label_anchor: str  # "start", "end" or "middle"
    label_characters: int  # the label is cut to this many


@dataclass(frozen=True, slots=True)
class Layout:
    """Every node's place, by key."""

    placed: dict[str, Placed]
    extent: float  # half the side of the square drawn, around CENTRE

    def __getitem__(self, key: str) -> Placed:
        return self.placed[key]

    @property
    def view_box(self) -> str:
        """The SVG viewBox: the square of side 2 x extent around the record."""
        low = round(CENTRE - self.extent, 1)
        side = round(2 * self.extent, 1)
        return f"{low} {low} {side} {side}"


def radial_layout(nodes: Sequence[tuple[str, int, str | None]]) -> Layout:
    """Place `nodes` — (key, depth 0/1/2, the depth-1 key a depth-2 node hangs from) — the
    first depth-0 node in the middle, depth 1 evenly round a ring in the order given, depth 2
    round an outer ring, grouped by their depth-1 node and centred on it."""
    placed: dict[str, Placed] = {}
    depth1 = [key for key, depth, _ in nodes if depth == 1]
    depth2 = [(key, parent) for key, depth, parent in nodes if depth == 2]
    centre_label = CENTRE_RADIUS + 18
    for key, depth, _ in nodes:
        if depth == 0:
            placed[key] = Placed(
                key,
                CENTRE,
                CENTRE,
                CENTRE_RADIUS,
                CENTRE,
                CENTRE + centre_label,
                0.0,
                "middle",
                CENTRE_LABEL_CHARACTERS,
            )
            break
    extent = CENTRE_LABEL_CHARACTERS * _CHARACTER_WIDTH / 2 + _MARGIN
    if depth2:
        inner, characters = RING_INNER, INNER_LABEL_CHARACTERS
    else:
        inner = RING_FEW if len(depth1) <= FEW else RING_ALONE
        characters = LABEL_CHARACTERS
    angles: dict[str, float] = {}
    for index, key in enumerate(depth1):
        angles[key] = -90.0 + 360.0 * index / len(depth1)
        placed[key] = _on_ring(key, angles[key], inner, characters)
    if depth1:
        extent = max(extent, _reach(inner, characters))
    if depth2:
        # Grouped by parent in the parents' order (Python's sort is stable), then spread
        # evenly, turned so the first group sits by its parent: a little aside, so that the
        # line to a lone child does not run along its parent's label.
        order = {key: index for index, key in enumerate(depth1)}
        grouped = sorted(depth2, key=lambda item: order.get(item[1] or "", len(order)))
        step = 360.0 / len(grouped)
        first_parent = grouped[0][1]
        first_group = sum(1 for _, parent in grouped if parent == first_parent)
        aside = min(step / 2, _ASIDE)
        start = angles.get(first_parent or "", -90.0) - step * (first_group - 1) / 2 + aside
        for index, (key, _) in enumerate(grouped):
            placed[key] = _on_ring(key, start + step * index, RING_OUTER, LABEL_CHARACTERS)
        extent = max(extent, _reach(RING_OUTER, LABEL_CHARACTERS))
    return Layout(placed, round(extent, 1))


def _reach(ring: float, characters: int) -> float:
    # How far from the centre a ring's longest label may go.
    return ring + NODE_RADIUS + _LABEL_GAP + characters * _CHARACTER_WIDTH + _MARGIN


def _on_ring(key: str, angle: float, radius: float, characters: int) -> Placed:
    turned = math.radians(angle)
    x = CENTRE + radius * math.cos(turned)
    y = CENTRE + radius * math.sin(turned)
    out = radius + NODE_RADIUS + _LABEL_GAP
    label_x = CENTRE + out * math.cos(turned)
    label_y = CENTRE + out * math.sin(turned)
    normal = (angle + 180.0) % 360.0 - 180.0  # in [-180, 180)
    # On the left half the text would read upside down: turn it over, anchored at its end.
    right = -90.0 <= normal <= 90.0
    return Placed(
        key,
        round(x, 1),
        round(y, 1),
        NODE_RADIUS,
        round(label_x, 1),
        round(label_y, 1),
        round(normal if right else normal + (180.0 if normal < 0 else -180.0), 1),
        "start" if right else "end",
        characters,
    )


def shape_of(kind: str) -> str:
    """The shape nodes of `kind` are drawn with."""
    return SHAPES.get(kind, "circle")


def kind_class(kind: str) -> str:
    """The CSS class of a kind's colour: `kind-<kind>`, only [a-z0-9-] kept."""
    return "kind-" + _KIND.sub("", kind.lower())


def node_shape(kind: str, x: float, y: float, radius: float, *, revoked: bool = False) -> Markup:
    """The SVG element of one node: its kind's shape and colour class, centred on (x, y);
    a revoked record's outline is dashed."""
    shape = shape_of(kind)
    css = f"node {kind_class(kind)}" + (" revoked" if revoked else "")
    if shape == "circle":
        return Markup('<circle class="{}" cx="{}" cy="{}" r="{}"/>').format(css, x, y, radius)
    return Markup('<polygon class="{}" points="{}"/>').format(css, _points(shape, x, y, radius))


def _points(shape: str, x: float, y: float, r: float) -> str:
    corners: list[tuple[float, float]]
    if shape == "square":
        s = r * 0.85
        corners = [(-s, -s), (s, -s), (s, s), (-s, s)]
    elif shape == "diamond":
        corners = [(0, -r * 1.15), (r * 1.15, 0), (0, r * 1.15), (-r * 1.15, 0)]
    elif shape == "triangle":
        corners = [(0, -r * 1.15), (r * 1.05, r * 0.8), (-r * 1.05, r * 0.8)]
    else:  # hexagon
        corners = [
            (r * math.cos(math.radians(a)), r * math.sin(math.radians(a)))
            for a in range(0, 360, 60)
        ]
    return " ".join(f"{round(x + dx, 1)},{round(y + dy, 1)}" for dx, dy in corners)


def edge_path(start: Placed, end: Placed, *, around: bool, gap: float = 3.0) -> str:
    """The SVG path of a line from `start` to `end`, from border to border (`gap` left before
    `end` for the arrowhead): straight, or `around` (between a depth-1 and a depth-2 node)
    out to RING_ROUTE, along it the short way, and out again."""
    if not around:
        dx, dy = end.x - start.x, end.y - start.y
        length = math.hypot(dx, dy) or 1.0
        ux, uy = dx / length, dy / length
        head = end.radius + gap
        return (
            f"M{_xy(start.x + ux * start.radius, start.y + uy * start.radius)} "
            f"L{_xy(end.x - ux * head, end.y - uy * head)}"
        )
    first, last = _polar(start), _polar(end)
    towards_first = 1.0 if first[1] <= RING_ROUTE else -1.0
    towards_last = 1.0 if last[1] <= RING_ROUTE else -1.0
    begin = _point(first[0], first[1] + towards_first * start.radius)
    finish = _point(last[0], last[1] - towards_last * (end.radius + gap))
    turn = (last[0] - first[0] + math.pi) % (2 * math.pi) - math.pi  # the short way
    sweep = 1 if turn > 0 else 0  # SVG's y runs down: a positive turn is clockwise
    return (
        f"M{begin} L{_point(first[0], RING_ROUTE)} "
        f"A{RING_ROUTE} {RING_ROUTE} 0 0 {sweep} {_point(last[0], RING_ROUTE)} L{finish}"
    )


def _polar(placed: Placed) -> tuple[float, float]:
    return (
        math.atan2(placed.y - CENTRE, placed.x - CENTRE),
        math.hypot(placed.x - CENTRE, placed.y - CENTRE),
    )


def _point(angle: float, radius: float) -> str:
    return _xy(CENTRE + radius * math.cos(angle), CENTRE + radius * math.sin(angle))


def _xy(x: float, y: float) -> str:
    return f"{round(x, 1)},{round(y, 1)}"
