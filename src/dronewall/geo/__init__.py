"""Geodesy and reference frames (WGS84 at the edges, ECEF / local ENU inside)."""

from dronewall.geo.frames import (
    EARTH_RADIUS_M,
    Frame,
    ecef_to_enu_rotation,
    ecef_to_geodetic,
    geodetic_to_ecef,
    radar_horizon_m,
)

__all__ = [
    "EARTH_RADIUS_M",
    "Frame",
    "ecef_to_enu_rotation",
    "ecef_to_geodetic",
    "geodetic_to_ecef",
    "radar_horizon_m",
]
