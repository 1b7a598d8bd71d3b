"""WGS84 geodetic <-> ECEF <-> local East-North-Up frames, vectorised.

Frame choice (see ``docs/frames.md``): the engine works in one Cartesian *scenario frame*: the
ENU tangent frame at the scenario origin. It is a rigid rotation + translation of ECEF, **not a
map projection**, so distances and angles are exact anywhere on Earth (Finland to Romania
included); there is no projection error to bound. What changes with distance from the origin is
the direction of local "up" (it tilts by d / R_earth: 6.7 deg at 750 km), so anything that
depends on local vertical (altitude, climb rate, horizontal process noise) uses
:func:`ecef_to_enu_rotation` at the point concerned, never the frame's z axis.

Units: degrees and metres at the edges (``lat_deg``, ``lon_deg``, ``alt_m`` = height above the
WGS84 ellipsoid); metres and radians inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

# WGS84 defining constants
WGS84_A_M = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
EARTH_RADIUS_M = 6371008.8  # mean radius (IUGG), for spherical approximations only

#: Effective earth radius factor for standard atmospheric refraction (4/3-earth model).
FOUR_THIRDS = 4.0 / 3.0

F64 = NDArray[np.float64]


def geodetic_to_ecef(lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike) -> F64:
    """WGS84 geodetic (deg, deg, m above ellipsoid) -> ECEF (..., 3) metres. Exact."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    h = np.asarray(alt_m, dtype=np.float64)
    slat, clat = np.sin(lat), np.cos(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * slat * slat)
    x = (n + h) * clat * np.cos(lon)
    y = (n + h) * clat * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + h) * slat
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def ecef_to_geodetic(ecef: ArrayLike) -> tuple[F64, F64, F64]:
    """ECEF (..., 3) metres -> (lat_deg, lon_deg, alt_m).

    Bowring's closed form followed by two Newton refinements of latitude: sub-millimetre for
    altitudes from -10 km to 1,000 km.
    """
    p_ = np.asarray(ecef, dtype=np.float64)
    x, y, z = p_[..., 0], p_[..., 1], p_[..., 2]
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    ep2 = WGS84_E2 / (1.0 - WGS84_E2)
    theta = np.arctan2(z * WGS84_A_M, p * WGS84_B_M)
    lat = np.arctan2(
        z + ep2 * WGS84_B_M * np.sin(theta) ** 3,
        p - WGS84_E2 * WGS84_A_M * np.cos(theta) ** 3,
    )
    for _ in range(2):
        slat = np.sin(lat)
        n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * slat * slat)
        h = np.where(np.abs(np.cos(lat)) > 1e-9, p / np.cos(lat) - n, np.abs(z) - WGS84_B_M)
        lat = np.arctan2(z, p * (1.0 - WGS84_E2 * n / (n + h)))
    slat = np.sin(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * slat * slat)
    clat = np.cos(lat)
    h = np.where(np.abs(clat) > 1e-9, p / np.where(clat == 0, 1, clat) - n,
                 np.abs(z) - WGS84_B_M)
    return np.degrees(lat), np.degrees(lon), h


def ecef_to_enu_rotation(lat_deg: ArrayLike, lon_deg: ArrayLike) -> F64:
    """Rotation matrices (..., 3, 3) taking ECEF vectors to local East, North, Up.

    Rows are the E, N, U unit vectors in ECEF: ``v_enu = R @ v_ecef``; ``v_ecef = R.T @ v_enu``.
    """
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    zero = np.zeros_like(sl * so)
    e = np.stack(np.broadcast_arrays(-so, co, zero), axis=-1)
    n = np.stack(np.broadcast_arrays(-sl * co, -sl * so, cl), axis=-1)
    u = np.stack(np.broadcast_arrays(cl * co, cl * so, sl), axis=-1)
    return np.stack([e, n, u], axis=-2)


def radar_horizon_m(h_radar_m: ArrayLike, h_target_m: ArrayLike) -> F64:
    """Radar horizon distance under the 4/3-earth refraction model.

    d = sqrt(2 k R h_r) + sqrt(2 k R h_t), k = 4/3, which is the familiar
    d[km] ~= 4.12 (sqrt(h_r[m]) + sqrt(h_t[m])). Negative heights count as zero.
    """
    hr = np.maximum(np.asarray(h_radar_m, dtype=np.float64), 0.0)
    ht = np.maximum(np.asarray(h_target_m, dtype=np.float64), 0.0)
    k2r = 2.0 * FOUR_THIRDS * EARTH_RADIUS_M
    return np.sqrt(k2r * hr) + np.sqrt(k2r * ht)


@dataclass(frozen=True)
class Frame:
    """The scenario frame: ENU tangent frame at ``origin`` (exact rigid transform of ECEF).

    ``to_local``/``from_local`` convert ECEF <-> frame coordinates (metres);
    ``geodetic_to_local``/``local_to_geodetic`` go via WGS84 degrees at the edges.
    """

    lat0_deg: float
    lon0_deg: float
    alt0_m: float = 0.0
    origin_ecef: F64 = field(init=False, repr=False)
    rot: F64 = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin_ecef", geodetic_to_ecef(self.lat0_deg, self.lon0_deg,
                                                                 self.alt0_m))
        object.__setattr__(self, "rot", ecef_to_enu_rotation(self.lat0_deg, self.lon0_deg))

    def to_local(self, ecef: ArrayLike) -> F64:
        """ECEF (..., 3) -> scenario frame (..., 3) metres."""
        return (np.asarray(ecef, dtype=np.float64) - self.origin_ecef) @ self.rot.T

    def from_local(self, xyz: ArrayLike) -> F64:
        """Scenario frame (..., 3) -> ECEF (..., 3) metres."""
        return np.asarray(xyz, dtype=np.float64) @ self.rot + self.origin_ecef

    def vec_to_local(self, v_ecef: ArrayLike) -> F64:
        """Rotate ECEF vectors (velocities, ...) into the frame (no translation)."""
        return np.asarray(v_ecef, dtype=np.float64) @ self.rot.T

    def vec_from_local(self, v: ArrayLike) -> F64:
        return np.asarray(v, dtype=np.float64) @ self.rot

    def geodetic_to_local(self, lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike) -> F64:
        return self.to_local(geodetic_to_ecef(lat_deg, lon_deg, alt_m))

    def local_to_geodetic(self, xyz: ArrayLike) -> tuple[F64, F64, F64]:
        return ecef_to_geodetic(self.from_local(xyz))

    def local_up(self, xyz: ArrayLike) -> F64:
        """Unit local-vertical vectors (..., 3), in frame coordinates, at frame points."""
        lat, lon, _ = self.local_to_geodetic(xyz)
        up_ecef = ecef_to_enu_rotation(lat, lon)[..., 2, :]
        return self.vec_to_local(up_ecef)

    def local_enu_rotation(self, xyz: ArrayLike) -> F64:
        """(..., 3, 3) rotations taking frame vectors to the local ENU at each point."""
        lat, lon, _ = self.local_to_geodetic(xyz)
        return ecef_to_enu_rotation(lat, lon) @ self.rot.T
