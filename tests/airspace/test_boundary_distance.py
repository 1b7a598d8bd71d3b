"""Distance to a zone's border by the segment R-tree equals shapely's walk over the whole ring
(the shipped Polish border: ~10,000 vertices per part; a polygon with a hole; far points)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from dronewall.airspace.geometry import PartPlanes
from dronewall.geo import geodetic_to_ecef
from dronewall.pipeline.airspace import scenario_zones
from dronewall.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]


def _check(planes: PartPlanes, lat: np.ndarray, lon: np.ndarray, part: np.ndarray) -> None:
    e = geodetic_to_ecef(lat, lon, np.zeros(len(lat)))
    brute = shapely.distance(shapely.points(planes.project_ecef(e, part)),
                             planes.boundary[part])
    got = planes.distance_m(e, part)
    assert np.array_equal(got, brute), np.nanmax(np.abs(got - brute))


def test_tree_distance_equals_the_ring_walk_on_the_shipped_border() -> None:
    sc = load_scenario(REPO / "scenarios" / "eastern-poland-raid.yaml")
    zs, _ = scenario_zones(sc, REPO / "scenarios")
    rng = np.random.default_rng(3)
    n = 3000
    part = rng.integers(0, len(zs.planes.boundary), n)
    _check(zs.planes, rng.uniform(50.5, 52.5, n), rng.uniform(21.5, 25.0, n), part)


def test_polygon_with_a_hole() -> None:
    outer = shapely.Polygon([(22.0, 51.0), (23.0, 51.0), (23.0, 52.0), (22.0, 52.0)],
                            [[(22.4, 51.4), (22.6, 51.4), (22.6, 51.6), (22.4, 51.6)]])
    planes = PartPlanes([outer])
    rng = np.random.default_rng(4)
    n = 500
    _check(planes, rng.uniform(50.8, 52.2, n), rng.uniform(21.8, 23.2, n), np.zeros(n, int))
