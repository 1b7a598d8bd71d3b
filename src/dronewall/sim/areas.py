"""Scenario areas (circle or polygon) for the truth simulator: sampling and containment.

Conventions (see ``docs/simulation.md``):

- A circle is the set of points within ``radius_m`` of ``center`` measured as a great-circle
  distance on a sphere of the WGS84 mean radius. Against the exact WGS84 geodesic distance this
  is within 0.5 %, i.e. 50 m on a 10 km radius -- far below the size of any scenario area.
- A polygon has straight edges in the (lon_deg, lat_deg) plane (plate carree), like a GeoJSON
  polygon drawn on a web map. Antimeridian-crossing polygons are not supported (Europe only).
- Sampling is uniform *by area*: circles via ``r = R sqrt(u)``, polygons by rejection in the
  equal-area (lon, sin lat) plane (Lambert cylindrical), which is uniform on the sphere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod
from shapely.geometry import Polygon

from dronewall.geo.frames import EARTH_RADIUS_M
from dronewall.scenario.model import Area

F64 = NDArray[np.float64]

#: Single WGS84 geodesic solver shared by the simulator (pyproj is thread-safe for reads).
GEOD = Geod(ellps="WGS84")

#: Rejection sampling draws this many candidates per missing point per round; a polygon filling
#: less than 1/8 of its bounding box still converges in a few rounds.
_REJECTION_OVERSAMPLE = 8
#: Give up after this many rounds (a degenerate, zero-area polygon would loop forever).
_REJECTION_MAX_ROUNDS = 200


def great_circle_m(lat1_deg: F64, lon1_deg: F64, lat2_deg: float | F64,
                   lon2_deg: float | F64) -> F64:
    """Haversine distance (m) on the mean-radius sphere; arrays broadcast."""
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2_deg) - np.asarray(lon1_deg))
    a = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True)
class SimArea:
    """A scenario :class:`Area` prepared for fast vectorised queries."""

    center_lat_deg: float
    center_lon_deg: float
    radius_m: float | None  # circle when set
    polygon: Polygon | None  # (lon, lat) vertices when set

    @classmethod
    def from_spec(cls, area: Area) -> SimArea:
        if area.polygon is not None:
            poly = Polygon([(p[1], p[0]) for p in area.polygon])
            if not poly.is_valid or poly.area <= 0.0:
                poly = poly.buffer(0)  # repair self-touching rings drawn by hand
            shapely.prepare(poly)
            c = poly.centroid
            return cls(float(c.y), float(c.x), None, poly)
        assert area.center is not None and area.radius_m is not None  # schema guarantees it
        return cls(float(area.center[0]), float(area.center[1]), float(area.radius_m), None)

    def contains(self, lat_deg: F64, lon_deg: F64) -> NDArray[np.bool_]:
        """Boolean mask (N,) of points inside the area."""
        if self.radius_m is not None:
            d = great_circle_m(lat_deg, lon_deg, self.center_lat_deg, self.center_lon_deg)
            return np.asarray(d <= self.radius_m)
        assert self.polygon is not None
        return np.asarray(shapely.contains_xy(self.polygon, lon_deg, lat_deg))

    def sample(self, n: int, rng: np.random.Generator) -> tuple[F64, F64]:
        """``n`` points uniformly distributed by area: (lat_deg (n,), lon_deg (n,))."""
        if n == 0:
            return np.zeros(0), np.zeros(0)
        if self.radius_m is not None:
            r = self.radius_m * np.sqrt(rng.random(n))
            az = 360.0 * rng.random(n)
            lon, lat, _ = GEOD.fwd(np.full(n, self.center_lon_deg), np.full(n, self.center_lat_deg),
                                   az, r)
            return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        assert self.polygon is not None
        lon_min, lat_min, lon_max, lat_max = self.polygon.bounds
        s_min, s_max = np.sin(np.radians(lat_min)), np.sin(np.radians(lat_max))
        lats: list[F64] = []
        lons: list[F64] = []
        have = 0
        for _ in range(_REJECTION_MAX_ROUNDS):
            m = _REJECTION_OVERSAMPLE * (n - have)
            cand_lon = lon_min + (lon_max - lon_min) * rng.random(m)
            cand_lat = np.degrees(np.arcsin(s_min + (s_max - s_min) * rng.random(m)))
            ok = shapely.contains_xy(self.polygon, cand_lon, cand_lat)
            lats.append(cand_lat[ok][: n - have])
            lons.append(cand_lon[ok][: n - have])
            have += int(lats[-1].shape[0])
            if have >= n:
                return np.concatenate(lats), np.concatenate(lons)
        raise ValueError("could not sample points inside a polygon area (is it degenerate?)")
