"""The seizure map's drawing (issue 18): the boundaries shipped in the package (Natural
Earth, public domain, named in the file) hold the 32 Mexican states and the 4 US border
states and stay small; every border port is placed on the border; the shades and the legend
agree; the script that rebuilds the boundaries simplifies as it says."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path
from types import ModuleType

from enlace.model.geography import PORTS_OF_ENTRY, US_BORDER_STATES
from enlace.web.codes import MX_STATE_NAMES
from enlace.web.seizure_map import (
    HEIGHT,
    PORT_LOCATIONS,
    SHADES,
    WIDTH,
    port_points,
    project,
    shade,
    shade_ranges,
    state_shapes,
)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "map_boundaries.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("map_boundaries", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_boundaries_are_the_36_states_from_a_named_public_domain_source() -> None:
    shipped = resources.files("enlace.web").joinpath("map_data/states.geojson")
    text = shipped.read_text("utf-8")
    assert len(text.encode()) < 300_000  # simplified: a few hundred KB at most
    collection = json.loads(text)
    assert "Natural Earth" in collection["source"]
    assert "public domain" in collection["source"]
    codes = {feature["properties"]["code"] for feature in collection["features"]}
    assert codes == set(MX_STATE_NAMES) | set(US_BORDER_STATES)
    assert {shape.code for shape in state_shapes()} == codes
    for shape in state_shapes():
        assert shape.path.startswith("M")
        assert shape.path.endswith("Z")
        assert 0 <= shape.label_x <= WIDTH, shape.code
        assert 0 <= shape.label_y <= HEIGHT, shape.code


def test_every_port_is_placed_on_the_border_inside_the_frame() -> None:
    assert set(PORT_LOCATIONS) == set(PORTS_OF_ENTRY)
    # The land border runs from about 32.7 N (Tijuana) down to 25.9 N (Brownsville).
    for code, (longitude, latitude) in PORT_LOCATIONS.items():
        assert 25.8 < latitude < 32.8, code
        assert -117.2 < longitude < -97.3, code
    points = {p.code: p for p in port_points()}
    assert all(0 < p.x < WIDTH and 0 < p.y < HEIGHT for p in points.values())
    # West to east along the border: San Ysidro, Nogales, El Paso, Laredo, Brownsville.
    order = [points[c].x for c in ("2504", "2604", "2402", "2304", "2301")]
    assert order == sorted(order)


def test_the_projection_keeps_north_up_and_east_right() -> None:
    west_x, north_y = project(-117.0, 32.5)
    east_x, south_y = project(-97.5, 26.0)
    assert west_x < east_x
    assert north_y < south_y


def test_each_count_falls_in_the_legend_step_of_its_shade() -> None:
    for largest in (1, 2, 3, 5, 7, 12, 56, 1000):
        ranges = shade_ranges(largest)
        assert ranges[-1][2] == largest
        assert shade(0, largest) == 0
        for count in range(1, largest + 1):
            step = shade(count, largest)
            assert 1 <= step <= SHADES
            [(low, high)] = [(lo, hi) for s, lo, hi in ranges if s == step]
            assert low <= count <= high, (largest, count)


def test_douglas_peucker_keeps_the_corners_and_drops_what_is_within_tolerance() -> None:
    script = _script()
    zigzag = [(0.0, 0.0), (1.0, 0.001), (2.0, -0.001), (3.0, 0.0), (3.0, 3.0)]
    assert script.douglas_peucker(zigzag, 0.01) == [(0.0, 0.0), (3.0, 0.0), (3.0, 3.0)]
    square = [[0, 0], [0.5, 0.0001], [1, 0], [1, 1], [0, 1], [0, 0]]
    ring = script.simplify_ring(square)
    assert ring[0] == ring[-1]
    assert [0.5, 0.0] not in ring
    assert {tuple(p) for p in ring} == {(0, 0), (1, 0), (1, 1), (0, 1)}
