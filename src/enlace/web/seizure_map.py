"""Drawing the seizure map on the server: state outlines and border ports as SVG, from data
shipped in the package (no tile server, no script, nothing fetched at run time).

The outlines are Natural Earth's 1:10m admin-1 states (public domain), simplified by
scripts/map_boundaries.py into map_data/states.geojson. They are projected here with an
equirectangular projection whose x is shrunk by the cosine of the map's middle latitude:
at this size (14°-42° N) it keeps shapes recognisable without a projection library.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from enlace.model.geography import PORTS_OF_ENTRY

# The map's frame, in degrees: all of Mexico and the four US border states.
WEST, EAST, SOUTH, NORTH = -124.6, -86.5, 14.3, 42.2
_MIDDLE = math.radians((SOUTH + NORTH) / 2)
WIDTH = 1000.0
_SCALE = WIDTH / ((EAST - WEST) * math.cos(_MIDDLE))
HEIGHT = round((NORTH - SOUTH) * _SCALE, 1)
VIEW_BOX = f"0 0 {WIDTH:g} {HEIGHT:g}"
SOURCE = "Natural Earth, 1:10m Admin 1 – States, Provinces (public domain)"
PORT_SOURCE = (
    "US DOT Bureau of Transportation Statistics, Border Crossing Entry Data (public domain)"
)
# Where each CBP port of entry of DOMAIN.md stands (longitude, latitude): the Latitude and
# Longitude columns of BTS's Border Crossing Entry Data (data.transportation.gov, keg4-3bc2),
# a US government work in the public domain. Calexico from the 2019 release (the 2020 one
# gives it Calexico East's point); Fabens is the Tornillo-Fabens crossing.
PORT_LOCATIONS: dict[str, tuple[float, float]] = {
    "2504": (-117.028761, 32.542528),  # San Ysidro
    "2506": (-116.938538, 32.55033),  # Otay Mesa
    "2505": (-116.626216, 32.576428),  # Tecate
    "2503": (-115.49806, 32.67889),  # Calexico
    "2507": (-115.388018, 32.673389),  # Calexico East
    "2502": (-114.72832, 32.718143),  # Andrade
    "2608": (-114.7822222, 32.485),  # San Luis
    "2602": (-112.817077, 31.880195),  # Lukeville
    "2606": (-111.544363, 31.483039),  # Sasabe
    "2604": (-110.942516, 31.332839),  # Nogales
    "2603": (-109.948413, 31.334084),  # Naco
    "2601": (-109.560344, 31.334043),  # Douglas
    "2408": (-106.679437, 31.783939),  # Santa Teresa
    "2406": (-107.627948, 31.783742),  # Columbus
    "2402": (-106.451188, 31.764363),  # El Paso
    "2404": (-106.142669, 31.435334),  # Fabens (Tornillo)
    "2403": (-104.394907, 29.561827),  # Presidio
    "2302": (-100.927612, 29.326784),  # Del Rio
    "2303": (-100.511977, 28.705483),  # Eagle Pass
    "2304": (-99.507412, 27.499561),  # Laredo
    "2310": (-99.018981, 26.403928),  # Roma
    "2307": (-98.802513, 26.365761),  # Rio Grande City
    "2305": (-98.271092, 26.095032),  # Hidalgo/Pharr
    "2309": (-97.949958, 26.062133),  # Progreso
    "2301": (-97.40067, 25.95155),  # Brownsville
}
# Shades of the states by count: 0, then five steps up to the largest count.
SHADES = 5


@dataclass(frozen=True, slots=True)
class StateShape:
    """One state's outline as an SVG path, and where its label goes."""

    code: str  # ISO 3166-2
    path: str
    label_x: float
    label_y: float


@dataclass(frozen=True, slots=True)
class PortPoint:
    """A border port where the map puts its dot."""

    code: str
    name: str
    state: str
    x: float
    y: float


def project(longitude: float, latitude: float) -> tuple[float, float]:
    """Where a point falls on the map, in the SVG's units (y down)."""
    x = (longitude - WEST) * math.cos(_MIDDLE) * _SCALE
    y = (NORTH - latitude) * _SCALE
    return round(x, 1), round(y, 1)


def _ring_path(ring: list[list[float]]) -> tuple[str, float]:
    points = [project(lon, lat) for lon, lat in ring]
    text = "M" + "L".join(f"{x:g},{y:g}" for x, y in points[:-1]) + "Z"
    area = abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(points)))
    return text, area


def _centre(ring: list[list[float]]) -> tuple[float, float]:
    """The centroid of a ring (its area's centre), projected: where the state's label goes."""
    points = [project(lon, lat) for lon, lat in ring]
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if area == 0:
        return points[0]
    return round(cx / (3 * area), 1), round(cy / (3 * area), 1)


@cache
def state_shapes() -> tuple[StateShape, ...]:
    """The 32 Mexican states and the 4 US border states, read once from the package."""
    text = resources.files("enlace.web").joinpath("map_data/states.geojson").read_text("utf-8")
    shapes = []
    for feature in json.loads(text)["features"]:
        paths: list[str] = []
        largest, largest_area = None, -1.0
        for polygon in feature["geometry"]["coordinates"]:
            path, area = _ring_path(polygon[0])
            paths.append(path)
            if area > largest_area:
                largest, largest_area = polygon[0], area
        assert largest is not None
        x, y = _centre(largest)
        shapes.append(StateShape(feature["properties"]["code"], "".join(paths), x, y))
    return tuple(shapes)


def port_points() -> tuple[PortPoint, ...]:
    """Every CBP port of entry of the US-Mexico land border, placed on the map."""
    points = []
    for code, port in PORTS_OF_ENTRY.items():
        x, y = project(*PORT_LOCATIONS[code])
        points.append(PortPoint(code, port.name, port.state, x, y))
    return tuple(points)


def shade(count: int, largest: int) -> int:
    """The shade of a state holding `count` when the largest holds `largest`: 0 for none,
    else 1 to SHADES, in equal steps of the largest."""
    if count <= 0 or largest <= 0:
        return 0
    return max(1, math.ceil(count * SHADES / largest))


def shade_ranges(largest: int) -> list[tuple[int, int, int]]:
    """The legend: (shade, lowest count, highest count) for each shade used at `largest`."""
    ranges = []
    for step in range(1, SHADES + 1):
        low = math.floor((step - 1) * largest / SHADES) + 1
        high = math.floor(step * largest / SHADES)
        if low <= high:
            ranges.append((step, low, high))
    return ranges


def port_radius(count: int, largest: int) -> float:
    """A port's dot: area grows with its count; a small dot where nothing was seized."""
    if count <= 0 or largest <= 0:
        return 3.0
    return round(4.0 + 10.0 * math.sqrt(count / largest), 1)
