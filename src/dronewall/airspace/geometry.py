"""Array kernels for zone geometry: local planes, distances, boundary crossings, circles.

Coordinates: zone polygons are stored as shapely geometries in ``(lon_deg, lat_deg)`` (GeoJSON
order); edges are straight lines in longitude/latitude, as GeoJSON defines them.

Distances (penetration depth) are computed per polygon *part* in a local plane: the spherical
azimuthal-equidistant projection centred on the part, built from the exact WGS84 ENU tangent
frame (:mod:`dronewall.geo.frames`). A ground point with ENU coordinates ``(e, n, u)`` relative
to the centre lies at central angle ``theta = atan2(rho, R + u)``, ``rho = hypot(e, n)``; it is
mapped to ``(e, n) * R * theta / rho``. Distances from the centre are then exact on the sphere of
radius ``R`` (the Gaussian radius at the centre); distances between nearby points at distance
``r`` from the centre carry a transverse scale error ``theta / sin(theta) - 1 ~= (r/R)^2 / 6``:
4e-5 (0.004 %) at 100 km, 0.1 % at 500 km, 0.5 % at 1,100 km (see ``docs/airspace.md``).
Boundaries are densified to :data:`DENSIFY_DEG` before projection so that the projected
straight segments follow the lon/lat-straight edges to better than a metre.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod

from dronewall.geo.frames import WGS84_A_M, WGS84_E2, ecef_to_enu_rotation, geodetic_to_ecef

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Edge densification before projecting a boundary to its plane, degrees. A lon/lat-straight
#: edge of length L sags from the projected chord by about L^2 tan(lat) / (8 R): 0.3 m for the
#: longest densified edge (0.05 deg of longitude, 3.4 km) at 52 N, < 1 m up to 70 N.
DENSIFY_DEG = 0.05

#: Edges per indexed chunk for segment-crossing queries: small enough that a segment touches
#: few edges, large enough that the chunk index stays small (500 zones x 125 edges -> 4k boxes).
EDGE_CHUNK = 8

#: Largest vertex-to-centre distance for which a part's depth error stays below 0.5 %
#: ((r/R)^2 / 6 = 0.005 at r = 1,100 km). Larger parts are accepted with a repair note.
MAX_ACCURATE_PART_RADIUS_M = 1_100_000.0

#: Largest circle radius accepted for point + radius zones (bigger "circles" are regions: give
#: a polygon).
MAX_CIRCLE_RADIUS_M = 1_000_000.0
#: Largest distance between a circle and its inscribed polygon (sagitta of one side).
CIRCLE_TOLERANCE_M = 1.0
#: Fewest / most vertices of a circle polygon.
CIRCLE_MIN_VERTICES = 32
CIRCLE_MAX_VERTICES = 8192

_GEOD = Geod(ellps="WGS84")


def gaussian_radius_m(lat_deg: float) -> float:
    """Gaussian mean radius of curvature sqrt(M N) of WGS84 at a latitude, metres."""
    s2 = math.sin(math.radians(lat_deg)) ** 2
    w = 1.0 - WGS84_E2 * s2
    m = WGS84_A_M * (1.0 - WGS84_E2) / w**1.5
    n = WGS84_A_M / math.sqrt(w)
    return math.sqrt(m * n)


def circle_polygon(lat_deg: float, lon_deg: float, radius_m: float) -> shapely.Polygon:
    """Geodesic circle as a polygon in (lon, lat) whose sides stay within
    :data:`CIRCLE_TOLERANCE_M` of the circle (inscribed polygon: n > pi / acos(1 - tol/r))."""
    ratio = min(CIRCLE_TOLERANCE_M / radius_m, 1.0)
    n = math.ceil(math.pi / math.acos(1.0 - ratio)) if ratio < 1.0 else CIRCLE_MIN_VERTICES
    n = int(min(max(n, CIRCLE_MIN_VERTICES), CIRCLE_MAX_VERTICES))
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    lon, lat, _ = _GEOD.fwd(np.full(n, lon_deg), np.full(n, lat_deg), az, np.full(n, radius_m))
    # azimuth runs clockwise: reverse for a counter-clockwise exterior (GeoJSON RFC 7946)
    return shapely.Polygon(np.column_stack([lon, lat])[::-1])


class PartPlanes:
    """Local planes for ``P`` polygon parts (see module docstring).

    Attributes: ``origin_ecef`` (P, 3) m; ``rot`` (P, 3, 3) ECEF -> ENU rows; ``radius_m`` (P,)
    Gaussian radius at each centre; ``boundary`` (P,) shapely (Multi)LineStrings in plane metres;
    ``max_radius_m`` (P,) largest centre-to-vertex distance.
    """

    def __init__(self, parts: list[shapely.Polygon]) -> None:
        p = len(parts)
        self.origin_ecef = np.zeros((p, 3))
        self.rot = np.zeros((p, 3, 3))
        self.radius_m = np.zeros(p)
        self.max_radius_m = np.zeros(p)
        bounds: list[shapely.Geometry] = []
        for k, part in enumerate(parts):
            x0, y0, x1, y1 = part.bounds
            lat0, lon0 = 0.5 * (y0 + y1), 0.5 * (x0 + x1)
            self.origin_ecef[k] = geodetic_to_ecef(lat0, lon0, 0.0)
            self.rot[k] = ecef_to_enu_rotation(lat0, lon0)
            self.radius_m[k] = gaussian_radius_m(lat0)
            ring = shapely.segmentize(part.boundary, DENSIFY_DEG)
            coords = shapely.get_coordinates(ring)
            xy = self.project_lonlat(coords[:, 1], coords[:, 0], np.full(len(coords), k))
            self.max_radius_m[k] = float(np.max(np.hypot(xy[:, 0], xy[:, 1])))
            bounds.append(shapely.transform(ring, lambda c, k=k: self.project_lonlat(
                c[:, 1], c[:, 0], np.full(len(c), k))))
        self.boundary = np.array(bounds, dtype=object)
        self._trees: dict[int, shapely.STRtree] = {}

    def project_lonlat(self, lat_deg: F64, lon_deg: F64, part: I64) -> F64:
        """Ground points (M,) degrees -> (M, 2) plane metres of parts ``part`` (M,)."""
        return self.project_ecef(geodetic_to_ecef(lat_deg, lon_deg, 0.0), part)

    def project_ecef(self, ecef_ground: F64, part: I64) -> F64:
        """Ground points (M, 3) ECEF m -> (M, 2) azimuthal-equidistant metres of ``part`` (M,)."""
        v = ecef_ground - self.origin_ecef[part]
        rot = self.rot[part]
        enu = np.einsum("mij,mj->mi", rot, v)
        rho = np.hypot(enu[:, 0], enu[:, 1])
        r = self.radius_m[part]
        theta = np.arctan2(rho, r + enu[:, 2])
        k = np.where(rho > 0.0, r * theta / np.where(rho > 0.0, rho, 1.0), 1.0)
        return enu[:, :2] * k[:, None]

    def distance_m(self, ecef_ground: F64, part: I64) -> F64:
        """Distance (M,) m from ground points (M, 3) ECEF to the boundary of ``part`` (M,).

        Each part's boundary is held as an R-tree of its segments (built on first use), so a
        point costs O(log n) instead of a walk over a border's thousands of vertices; the
        distance is the same (the minimum over the segments is the distance to the ring)."""
        if len(part) == 0:
            return np.zeros(0)
        pts = shapely.points(self.project_ecef(ecef_ground, part))
        out = np.full(len(part), np.nan)
        for k in np.unique(part).tolist():
            sel = np.flatnonzero(part == k)
            hit, dist = self._tree(k).query_nearest(pts[sel], return_distance=True,
                                                    all_matches=False)
            out[sel[hit[0]]] = dist
        return out

    def _tree(self, k: int) -> shapely.STRtree:
        """R-tree of the segments of part ``k``'s boundary (plane metres)."""
        tree = self._trees.get(k)
        if tree is None:
            lines = shapely.get_parts(self.boundary[k])
            segs = []
            for ln in lines:
                c = shapely.get_coordinates(ln)
                if len(c) >= 2:
                    segs.append(np.stack([c[:-1], c[1:]], axis=1))
            seg = np.concatenate(segs) if segs else np.zeros((0, 2, 2))
            tree = self._trees[k] = shapely.STRtree(shapely.linestrings(seg))
        return tree


class ZoneEdges:
    """All ring edges of ``Z`` zones in lon/lat, grouped by zone.

    ``x0, y0, x1, y1`` (E,) degrees (x = lon); ``start`` (Z + 1,) offsets: edges of zone z are
    ``start[z]:start[z+1]``.
    """

    def __init__(self, geoms: list[shapely.Geometry]) -> None:
        xs0, ys0, xs1, ys1, counts = [], [], [], [], []
        for g in geoms:
            n = 0
            for ring in _rings(g):
                c = np.asarray(ring.coords)[:, :2]
                xs0.append(c[:-1, 0])
                ys0.append(c[:-1, 1])
                xs1.append(c[1:, 0])
                ys1.append(c[1:, 1])
                n += len(c) - 1
            counts.append(n)

        def cat(a: list[F64]) -> F64:
            return np.concatenate(a) if a else np.zeros(0)

        self.x0, self.y0, self.x1, self.y1 = cat(xs0), cat(ys0), cat(xs1), cat(ys1)
        self.start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        # chunks of <= EDGE_CHUNK consecutive edges of one zone, indexed by their bounding boxes
        c_start: list[int] = []
        c_zone: list[int] = []
        for z in range(len(counts)):
            for a in range(int(self.start[z]), int(self.start[z + 1]), EDGE_CHUNK):
                c_start.append(a)
                c_zone.append(z)
        self.chunk_start = np.asarray(c_start, dtype=np.int64)
        self.chunk_zone = np.asarray(c_zone, dtype=np.int64)
        ends = np.minimum(self.chunk_start + EDGE_CHUNK, self.start[self.chunk_zone + 1])
        self.chunk_len = ends - self.chunk_start
        if len(c_start):
            xmin = np.minimum.reduceat(np.minimum(self.x0, self.x1), self.chunk_start)
            xmax = np.maximum.reduceat(np.maximum(self.x0, self.x1), self.chunk_start)
            ymin = np.minimum.reduceat(np.minimum(self.y0, self.y1), self.chunk_start)
            ymax = np.maximum.reduceat(np.maximum(self.y0, self.y1), self.chunk_start)
            self.chunk_tree = shapely.STRtree(shapely.box(xmin, ymin, xmax, ymax))
        else:
            self.chunk_tree = shapely.STRtree([])

    def first_crossings(self, ax: F64, ay: F64, bx: F64, by: F64
                        ) -> tuple[I64, I64, F64]:
        """First crossing of each segment a -> b (M,) with each zone it crosses.

        Returns (segment index, zone, s) for every (segment, zone) pair that crosses, s in
        [0, 1] the first crossing parameter. Only edge chunks whose bounding box the segment
        actually intersects are tested (STRtree with an ``intersects`` predicate), so the
        work is proportional to the boundary the segments pass, not to the zones' sizes.
        """
        if len(ax) == 0 or len(self.chunk_start) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        lines = shapely.linestrings(np.stack([np.column_stack([ax, ay]),
                                              np.column_stack([bx, by])], axis=1))
        si, ci = self.chunk_tree.query(lines, predicate="intersects")
        if len(si) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        cnt = self.chunk_len[ci]
        tot = int(cnt.sum())
        rep = np.repeat(np.arange(len(si)), cnt)
        e = np.repeat(self.chunk_start[ci], cnt) + (np.arange(tot)
                                                     - np.repeat(np.cumsum(cnt) - cnt, cnt))
        seg = si[rep]
        s, ok = self._solve(ax[seg], ay[seg], bx[seg], by[seg], e)
        seg, zone, s = seg[ok], self.chunk_zone[ci[rep[ok]]], s[ok]
        if len(s) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        order = np.lexsort((s, zone, seg))
        seg, zone, s = seg[order], zone[order], s[order]
        first = np.ones(len(s), dtype=bool)
        first[1:] = (seg[1:] != seg[:-1]) | (zone[1:] != zone[:-1])
        return seg[first], zone[first], s[first]

    def _solve(self, px: F64, py: F64, qx: F64, qy: F64, e: I64
               ) -> tuple[F64, NDArray[np.bool_]]:
        """Segment p -> q against edges e: parameter s on p -> q and whether they cross."""
        dx, dy = qx - px, qy - py
        ex, ey = self.x1[e] - self.x0[e], self.y1[e] - self.y0[e]
        wx, wy = self.x0[e] - px, self.y0[e] - py
        den = dx * ey - dy * ex
        ok = den != 0.0
        dsafe = np.where(ok, den, 1.0)
        s = (wx * ey - wy * ex) / dsafe
        u = (wx * dy - wy * dx) / dsafe
        ok &= (s >= 0.0) & (s <= 1.0) & (u >= 0.0) & (u <= 1.0)
        return s, ok

    def crossings(self, zone: I64, ax: F64, ay: F64, bx: F64, by: F64,
                  last: bool) -> F64:
        """Parameter s in [0, 1] of the first (``last=False``) or last (``last=True``) crossing
        of segment a -> b (M,) with any edge of ``zone`` (M,); NaN where none.

        Work is the sum of the zones' edge counts (ragged expansion, no Python loop). The
        parameter is invariant to the affine lon/lat scaling, so degrees are used directly.
        """
        m = len(zone)
        out = np.full(m, np.nan)
        if m == 0:
            return out
        s0 = self.start[zone]
        cnt = self.start[zone + 1] - s0
        tot = int(cnt.sum())
        if tot == 0:
            return out
        pair = np.repeat(np.arange(m), cnt)
        offs = np.arange(tot) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        e = np.repeat(s0, cnt) + offs
        s, ok = self._solve(ax[pair], ay[pair], bx[pair], by[pair], e)
        if last:
            acc = np.full(m, -np.inf)
            np.maximum.at(acc, pair[ok], s[ok])
            out = np.where(np.isfinite(acc), acc, np.nan)
        else:
            acc = np.full(m, np.inf)
            np.minimum.at(acc, pair[ok], s[ok])
            out = np.where(np.isfinite(acc), acc, np.nan)
        return out


def _rings(g: shapely.Geometry) -> list[shapely.LinearRing]:
    out: list[shapely.LinearRing] = []
    for p in shapely.get_parts(g):
        out.append(p.exterior)
        out.extend(p.interiors)
    return out


def normal_cdf(x: F64) -> F64:
    """Standard normal CDF, vectorised (erf form, exact to float precision)."""
    from scipy.special import ndtr

    return np.asarray(ndtr(x), dtype=np.float64)


#: Metres per degree of latitude (spherical), for local distances between nearby points.
M_PER_DEG = 111_320.0


def near_dists_m(lat1: F64 | float, lon1: F64 | float, lat2: F64 | float,
                 lon2: F64 | float) -> F64:
    """Horizontal distances between nearby points (deg), m: equirectangular at the mean
    latitude -- within 0.1 % over the few kilometres track fragments are compared at."""
    dy = (np.subtract(lat2, lat1)) * M_PER_DEG
    dx = np.subtract(lon2, lon1) * M_PER_DEG * np.cos(np.radians(0.5 * np.add(lat1, lat2)))
    return np.asarray(np.hypot(dx, dy), dtype=np.float64)


def near_dist_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """:func:`near_dists_m` of one pair of points, m."""
    return float(near_dists_m(lat1, lon1, lat2, lon2))
