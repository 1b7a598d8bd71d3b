"""Synthetic zones and tracks with known geometry for the airspace tests."""

from __future__ import annotations

from typing import Any

import numpy as np
from pyproj import Geod

from dronewall.airspace import AirspaceConfig, AirspaceMonitor, ZoneSet

GEOD = Geod(ellps="WGS84")
LAT0, LON0 = 52.0, 20.0
#: 20 km in longitude at 52 N (geodesic along the parallel is within 1 m of this)
DLON_20KM = 20_000.0 / (111_320.0 * np.cos(np.radians(LAT0)))
DLAT_10KM = 10_000.0 / 111_250.0


def square_spec(zid: str = "SQ", kind: str = "custom", country: str | None = None,
                **extra: Any) -> dict[str, Any]:
    """~20 km square: west edge on lon 20.0, lat 52.0 +- 10 km (scenario [lat, lon] order)."""
    s = [[LAT0 - DLAT_10KM, LON0], [LAT0 - DLAT_10KM, LON0 + DLON_20KM],
         [LAT0 + DLAT_10KM, LON0 + DLON_20KM], [LAT0 + DLAT_10KM, LON0]]
    spec: dict[str, Any] = {"id": zid, "kind": kind, "area": {"polygon": s}, **extra}
    if country:
        spec["country"] = country
    return spec


def run(zs: ZoneSet, times: np.ndarray, lat: np.ndarray, lon: np.ndarray, alt: Any = 100.0,
        sigma: Any = 50.0, track_id: Any = 1, cfg: AirspaceConfig | None = None,
        sigma_alt: Any = None) -> list[dict[str, Any]]:
    """Run one track through a monitor (velocities estimated), then finish; the events in
    their JSON form (``to_dict``). ``sigma_alt``: the altitude 1-sigma, m (None: not given)."""
    mon = AirspaceMonitor(zs, cfg or AirspaceConfig())
    alt = np.broadcast_to(np.asarray(alt, float), times.shape)
    sigma = np.broadcast_to(np.asarray(sigma, float), times.shape)
    sv = (None if sigma_alt is None
          else np.broadcast_to(np.asarray(sigma_alt, float), times.shape))
    ev = []
    for k, t in enumerate(times):
        ev += mon.step(float(t), [track_id], [lat[k]], [lon[k]], [alt[k]], [sigma[k]],
                       sigma_alt_m=None if sv is None else [sv[k]])
    ev += mon.finish(float(times[-1]))
    return [e.to_dict() for e in ev]


def of(events: list[Any], kind: str, zone: str | None = None) -> list[dict[str, Any]]:
    """Events of one kind (and zone), in their JSON form; typed events are converted."""
    ev = [e if isinstance(e, dict) else e.to_dict() for e in events]
    return [e for e in ev if e["event"] == kind and (zone is None or e["zone_id"] == zone)]


def dist_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def geodesic_track(lat: float, lon: float, az_deg: float, d_m: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Points at signed distances d_m along the geodesic through (lat, lon) with azimuth az."""
    az = np.where(d_m >= 0, az_deg, az_deg + 180.0)
    lo, la, _ = GEOD.fwd(np.full(len(d_m), lon), np.full(len(d_m), lat), az, np.abs(d_m))
    return np.asarray(la), np.asarray(lo)
