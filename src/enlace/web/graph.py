"""The link graph's picture: a deterministic radial layout, and each node's shape by kind.

The record sits in the middle, the records (and partners' records) one link away on a ring
around it, those two links away on an outer ring, each near the depth-1 record it was reached
from. The same neighbourhood always gives the same picture (no force simulation, no random
start), drawn on the server as SVG: the page needs no script, and nothing leaves the node.
Labels run outwards along each node's radius, so neighbours' labels do not overlap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

SIZE = 1000  # the picture's viewBox is SIZE x SIZE
CENTRE = SIZE / 2
RING_ALONE = 300  # the depth-1 ring when nothing is drawn at depth 2
RING_INNER = 170  # the depth-1 ring under a depth-2 ring
RING_OUTER = 330  # the depth-2 ring
NODE_RADIUS = 13
CENTRE_RADIUS = 20
_LABEL_GAP = 6
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


@dataclass(frozen=True, slots=True)
class Layout:
    """Every node's place, by key."""

    placed: dict[str, Placed]
    size: int = SIZE

    def __getitem__(self, key: str) -> Placed:
        return self.placed[key]


def radial_layout(nodes: Sequence[tuple[str, int, str | None]]) -> Layout:
    """Place `nodes` — (key, depth 0/1/2, the depth-1 key a depth-2 node hangs from) — the
    first depth-0 node in the middle, depth 1 evenly round a ring in the order given, depth 2
    round an outer ring, grouped by their depth-1 node and centred on it."""
    placed: dict[str, Placed] = {}
    depth1 = [key for key, depth, _ in nodes if depth == 1]
    depth2 = [(key, parent) for key, depth, parent in nodes if depth == 2]
    for key, depth, _ in nodes:
        if depth == 0:
            placed[key] = Placed(
                key,
                CENTRE,
                CENTRE,
                CENTRE_RADIUS,
                CENTRE,
                CENTRE + CENTRE_RADIUS + 16,
                0.0,
                "middle",
            )
            break
    inner = RING_INNER if depth2 else RING_ALONE
    angles: dict[str, float] = {}
    for index, key in enumerate(depth1):
        angles[key] = -90.0 + 360.0 * index / len(depth1)
        placed[key] = _on_ring(key, angles[key], inner)
    if depth2:
        # Grouped by parent in the parents' order (Python's sort is stable), then spread
        # evenly, turned so the first group is centred on its parent.
        order = {key: index for index, key in enumerate(depth1)}
        grouped = sorted(depth2, key=lambda item: order.get(item[1] or "", len(order)))
        step = 360.0 / len(grouped)
        first_parent = grouped[0][1]
        first_group = sum(1 for _, parent in grouped if parent == first_parent)
        start = angles.get(first_parent or "", -90.0) - step * (first_group - 1) / 2
        for index, (key, _) in enumerate(grouped):
            placed[key] = _on_ring(key, start + step * index, RING_OUTER)
    return Layout(placed)


def _on_ring(key: str, angle: float, radius: float) -> Placed:
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
