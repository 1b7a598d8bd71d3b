"""Geodetic position reports with ENU 1-sigmas -> the engine's ``POSITION`` detection rows."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from dronewall.detections import DetectionBatch, MeasKind
from dronewall.geo import ecef_to_enu_rotation, geodetic_to_ecef


def position_rows(t: ArrayLike, sensor: ArrayLike, lat_deg: ArrayLike, lon_deg: ArrayLike,
                  alt_m: ArrayLike, sigma_east_m: ArrayLike, sigma_north_m: ArrayLike,
                  sigma_up_m: ArrayLike, **columns: Any) -> DetectionBatch:
    """ECEF positions with the covariance diag(se², sn², su²) of the local ENU frame rotated
    into ECEF (``rot^T D rot``); ``columns`` are further DetectionBatch columns (identity,
    callsign, aux, ...). Rows are reports of real feeds: ``truth_id`` -1."""
    lat = np.asarray(lat_deg, dtype=np.float64).reshape(-1)
    lon = np.asarray(lon_deg, dtype=np.float64).reshape(-1)
    alt = np.asarray(alt_m, dtype=np.float64).reshape(-1)
    m = lat.size
    if m == 0:
        return DetectionBatch.empty()
    rot = ecef_to_enu_rotation(lat, lon).reshape(m, 3, 3)   # ECEF -> ENU
    d = np.zeros((m, 3, 3))
    d[:, 0, 0] = np.asarray(sigma_east_m, dtype=np.float64) ** 2
    d[:, 1, 1] = np.asarray(sigma_north_m, dtype=np.float64) ** 2
    d[:, 2, 2] = np.asarray(sigma_up_m, dtype=np.float64) ** 2
    return DetectionBatch.create(
        t=t, sensor=np.broadcast_to(np.asarray(sensor, np.int32), (m,)).copy(),
        meas_kind=MeasKind.POSITION, z=geodetic_to_ecef(lat, lon, alt).reshape(m, 3),
        R=np.einsum("mji,mjk,mkl->mil", rot, d, rot), truth_id=np.full(m, -1, np.int32),
        **columns)
