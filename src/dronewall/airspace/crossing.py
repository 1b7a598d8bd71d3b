"""How well an observed zone crossing is known: the time and the point where a track crossed a
boundary, with the error its position estimate leaves (``docs/airspace.md``, "Entry window").

A track whose horizontal position estimate is off by ``e`` (covariance ``C``, local east /
north metres) and moves with horizontal velocity ``v`` crosses a locally straight boundary
(unit normal ``n``, unit tangent ``u``) where its *estimate* does: ``n . (p + v dt + e) = 0``.
Its crossing time is therefore off by ``dt = -(n . e) / (n . v)`` and its crossing point,
along the boundary, by ``u . e + (u . v) dt = a . e`` with ``a = u - n (u . v) / (n . v)``:
Gaussian errors with standard deviations ``sqrt(n^T C n) / |n . v|`` (s) and
``sqrt(a^T C a)`` (m). Only the error *across* the boundary moves the time, and it moves it
the more the shallower the crossing: the speed alone (``sigma / |v|``) understates the time
error of an oblique crossing.

A track flying almost along the boundary has ``|n . v|`` near 0 -- when it crossed is then
not known from its kinematics at all; the normal speed is floored at ``MIN_NORMAL_FRACTION``
of the speed (a 5 degree crossing) so that the window stays finite, and wide.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

F64 = NDArray[np.float64]

#: Two-sided 95 % quantile of a normal: the crossing windows and the crossing-point
#: uncertainty are 95 % intervals.
WINDOW_Z = 1.959963984540054
#: Floor of the speed across the boundary as a share of the speed: sin(5 deg).
MIN_NORMAL_FRACTION = math.sin(math.radians(5.0))
#: Below this horizontal speed a crossing has no kinematic time (a hovering track's heading is
#: noise), m/s.
MIN_SPEED_MPS = 1.0
#: Metres per degree of latitude (spherical; the boundary's direction only needs ~1 %).
_M_PER_DEG = 111_320.0
#: Half-length of the boundary piece whose direction is taken at the crossing, degrees
#: (~10 m): short against any border's bends, long against float rounding.
_PIECE_DEG = 1e-4


def boundary_axes(geom: BaseGeometry, lat_deg: float, lon_deg: float
                  ) -> tuple[F64, F64] | None:
    """Unit normal and unit tangent (east, north) of the boundary of ``geom`` (lon/lat
    degrees) at its point nearest (lat_deg, lon_deg); None where the geometry has no boundary
    or the point is not finite."""
    if not (math.isfinite(lat_deg) and math.isfinite(lon_deg)):
        return None
    pt = shapely.Point(lon_deg, lat_deg)
    b = geom.boundary
    parts = list(getattr(b, "geoms", [b]))
    parts = [g for g in parts if not g.is_empty and g.length > 0]
    if not parts:
        return None
    line = min(parts, key=lambda g: g.distance(pt))
    s = line.project(pt)
    p0 = line.interpolate(max(s - _PIECE_DEG, 0.0))
    p1 = line.interpolate(min(s + _PIECE_DEG, line.length))
    coslat = math.cos(math.radians(lat_deg))
    d = np.array([(p1.x - p0.x) * coslat, p1.y - p0.y]) * _M_PER_DEG
    norm = float(np.hypot(d[0], d[1]))
    if not norm > 0.0:
        return None
    u = d / norm
    return np.array([-u[1], u[0]]), u


def crossing_sd(normal: ArrayLike, tangent: ArrayLike, vel_en: ArrayLike, cov_en: ArrayLike
                ) -> tuple[float, float]:
    """Standard deviations of the crossing time (s) and of the crossing point along the
    boundary (m) of a track with horizontal velocity ``vel_en`` (2,) m/s and horizontal
    position covariance ``cov_en`` (2, 2) m^2 (east, north) crossing a boundary with unit
    ``normal`` and ``tangent`` (2,) (module docstring). NaN where the track is not moving."""
    n = np.asarray(normal, dtype=np.float64)
    u = np.asarray(tangent, dtype=np.float64)
    v = np.asarray(vel_en, dtype=np.float64)[:2]
    C = np.asarray(cov_en, dtype=np.float64)
    speed = float(np.hypot(v[0], v[1]))
    if not speed > 0.0:
        return float("nan"), float("nan")
    nv = float(n @ v)
    floor = MIN_NORMAL_FRACTION * speed
    nv = math.copysign(max(abs(nv), floor), nv)
    sd_t = math.sqrt(max(float(n @ C @ n), 0.0)) / abs(nv)
    a = u - n * float(u @ v) / nv
    sd_along = math.sqrt(max(float(a @ C @ a), 0.0))
    return sd_t, sd_along


def crossing_window(geom: BaseGeometry | None, lat_deg: float | None, lon_deg: float | None,
                    t_s: float, half_scan_s: float, vel_en: ArrayLike, cov_en: ArrayLike,
                    sigma_h_m: float) -> tuple[tuple[float, float], float | None]:
    """95 % window [earliest, latest] (s) of an observed crossing interpolated at ``t_s``
    through the boundary of ``geom`` at (lat_deg, lon_deg), and the 95 % uncertainty of the
    crossing point along the boundary, m (None where not known).

    +- (``half_scan_s`` -- where between two scans it fell -- + ``WINDOW_Z`` x the crossing-time
    sd of :func:`crossing_sd`, with the track's velocity ``vel_en`` (2,) m/s and horizontal
    covariance ``cov_en`` (2, 2) m^2 when the crossing was declared). Without a usable
    covariance or boundary: ``WINDOW_Z`` x ``sigma_h_m`` / speed; a track slower than
    ``MIN_SPEED_MPS``: half a scan only."""
    v = np.asarray(vel_en, dtype=np.float64)[:2]
    speed = float(np.hypot(v[0], v[1]))
    half = float(half_scan_s)
    if not speed > MIN_SPEED_MPS or geom is None or lat_deg is None or lon_deg is None:
        return (t_s - half, t_s + half), None
    C = np.asarray(cov_en, dtype=np.float64)
    axes = boundary_axes(geom, float(lat_deg), float(lon_deg))
    if axes is None or C.shape != (2, 2) or not np.isfinite(C).all():
        extra = WINDOW_Z * sigma_h_m / speed if math.isfinite(sigma_h_m) else 0.0
        return (t_s - half - extra, t_s + half + extra), None
    sd_t, sd_along = crossing_sd(axes[0], axes[1], v, C)
    half += WINDOW_Z * sd_t
    return (t_s - half, t_s + half), WINDOW_Z * sd_along
