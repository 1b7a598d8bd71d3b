"""Build PlatformTable / TruthState directly (no simulator) for the sensor tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod

from dronewall.catalog import PLATFORMS
from dronewall.detections import DetectionBatch
from dronewall.geo import ecef_to_enu_rotation, ecef_to_geodetic, geodetic_to_ecef
from dronewall.sensors import SensorSuite
from dronewall.sim.state import PlatformTable, TruthState

F64 = NDArray[np.float64]
GEOD = Geod(ellps="WGS84")

#: A site in eastern Poland used by most tests.
LAT0, LON0 = 52.0, 23.0


def make_platforms(n: int, kind: str = "shahed136", **cols: object) -> PlatformTable:
    """``n`` platforms of catalogue type ``kind``; any column may be overridden with a
    scalar or an (n,) array."""
    spec = PLATFORMS[kind]
    base: dict[str, object] = {
        "ids": np.array([f"g-{i}" for i in range(n)], dtype=object),
        "group": np.full(n, "g", dtype=object),
        "platform": np.full(n, kind, dtype=object),
        "cls": np.full(n, int(spec.platform_class), dtype=np.int8),
        "rcs_m2": np.full(n, spec.rcs_m2),
        "acoustic_sl_db": np.full(n, spec.acoustic_sl_db),
        "acoustic_class": np.full(n, int(spec.acoustic_class), dtype=np.int16),
        "rf_protocol": np.full(n, int(spec.rf_protocol), dtype=np.int16),
        "adsb": np.zeros(n, dtype=bool),
        "remote_id": np.zeros(n, dtype=bool),
        "icao24": np.full(n, "", dtype=object),
        "callsign": np.full(n, "", dtype=object),
        "rid_serial": np.full(n, "", dtype=object),
        "gnss_navigated": np.full(n, spec.gnss_navigated),
    }
    for k, v in cols.items():
        if k not in base:
            raise KeyError(k)
        ref = base[k]
        assert isinstance(ref, np.ndarray)
        base[k] = np.broadcast_to(np.asarray(v, dtype=ref.dtype), (n,)).copy()
    return PlatformTable(**base)  # type: ignore[arg-type]


def make_truth(t: float, ecef: F64, vel_ecef: F64 | None = None,
               active: NDArray[np.bool_] | None = None, operator_ecef: F64 | None = None,
               jammed: NDArray[np.bool_] | None = None) -> TruthState:
    ecef = np.asarray(ecef, dtype=np.float64).reshape(-1, 3)
    p = ecef.shape[0]
    lat, lon, alt = ecef_to_geodetic(ecef)
    v = np.zeros((p, 3)) if vel_ecef is None else np.asarray(vel_ecef, np.float64).reshape(p, 3)
    rot = ecef_to_enu_rotation(lat, lon)
    return TruthState(
        t=float(t), active=np.ones(p, bool) if active is None else np.asarray(active, bool),
        lat_deg=lat, lon_deg=lon, alt_m=alt, ecef=ecef, vel_ecef=v,
        vel_enu=np.einsum("pij,pj->pi", rot, v),
        operator_ecef=np.full((p, 3), np.nan) if operator_ecef is None else operator_ecef,
        jammed=np.zeros(p, bool) if jammed is None else np.asarray(jammed, bool))


def enu_to_ecef(lat_deg: float, lon_deg: float, h_m: float, enu: F64) -> F64:
    """Points given in the local ENU frame of a site (lat, lon, height h) -> ECEF (N, 3)."""
    rot = ecef_to_enu_rotation(lat_deg, lon_deg)
    return geodetic_to_ecef(lat_deg, lon_deg, h_m) + np.asarray(enu).reshape(-1, 3) @ rot


def polar_enu(range_m: F64, az_rad: F64, el_rad: F64) -> F64:
    """(range, az clockwise from north, el) -> ENU (N, 3)."""
    r, a, e = np.broadcast_arrays(range_m, az_rad, el_rad)
    return np.column_stack([r * np.cos(e) * np.sin(a), r * np.cos(e) * np.cos(a), r * np.sin(e)])


def ground_point(lat_deg: float, lon_deg: float, dist_m: F64, az_deg: F64, alt_m: F64) -> F64:
    """ECEF of points ``dist_m`` along the ellipsoid from a site toward ``az_deg``, at ``alt_m``."""
    d, a, h = np.broadcast_arrays(np.asarray(dist_m, float), np.asarray(az_deg, float),
                                  np.asarray(alt_m, float))
    lon, lat, _ = GEOD.fwd(np.full(d.shape, lon_deg), np.full(d.shape, lat_deg), a, d)
    return geodetic_to_ecef(lat, lon, h).reshape(-1, 3)


def run(suite: SensorSuite, platforms: PlatformTable, truth_at: Callable[[float], TruthState],
        times: F64) -> list[DetectionBatch]:
    return [suite.observe(truth_at(float(t)), platforms) for t in times]


def true_reports(batches: list[DetectionBatch]) -> DetectionBatch:
    b = DetectionBatch.concat(batches)
    return b.take(b.truth_id >= 0)


def binomial_ok(k: int, n: int, p: float, n_sigma: float = 3.5) -> bool:
    """|k/n - p| within n_sigma binomial standard errors (plus a 1/n continuity term)."""
    return abs(k / n - p) <= n_sigma * np.sqrt(p * (1.0 - p) / n) + 1.0 / n


def var_ratio_bounds(n: int, alpha: float = 1e-3) -> tuple[float, float]:
    """Two-sided chi-square bounds on s^2 / sigma^2 for n samples (known mean zero: n dof)."""
    from scipy import stats
    return (stats.chi2.ppf(alpha / 2, n) / n, stats.chi2.ppf(1 - alpha / 2, n) / n)
