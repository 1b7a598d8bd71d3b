"""Shared scenario helpers for the tracking tests (plain functions, no fixtures)."""

from __future__ import annotations

import numpy as np

from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind, SensorTable
from dronewall.geo.frames import Frame

FRAME = Frame(60.2, 24.9, 0.0)   # Helsinki-ish origin


def sensors_at(local_xyz: np.ndarray, kinds: list[SensorKind]) -> SensorTable:
    lat, lon, alt = FRAME.local_to_geodetic(np.asarray(local_xyz, dtype=float))
    return SensorTable.build([f"s{i}" for i in range(len(kinds))], kinds, lat, lon, alt)


def sensor_geometry(st: SensorTable) -> tuple[np.ndarray, np.ndarray]:
    """(S, 3) frame positions and (S, 3, 3) frame -> sensor-ENU rotations."""
    return FRAME.to_local(st.ecef), st.rot @ FRAME.rot.T


def local(st: SensorTable, i: int, p: np.ndarray) -> np.ndarray:
    s, A = sensor_geometry(st)
    return A[i] @ (np.asarray(p, dtype=float) - s[i])


def radar_z(st: SensorTable, i: int, p: np.ndarray, v: np.ndarray) -> np.ndarray:
    s, A = sensor_geometry(st)
    d = A[i] @ (p - s[i])
    w = A[i] @ v
    r = np.linalg.norm(d)
    return np.array([r, np.arctan2(d[0], d[1]), np.arctan2(d[2], np.hypot(d[0], d[1])),
                     d @ w / r])


def bearing_az(st: SensorTable, i: int, p: np.ndarray) -> float:
    d = local(st, i, p)
    return float(np.arctan2(d[0], d[1]))


def xy_batch(t: float, xy: np.ndarray, sigma: float, sensor: int = 0) -> DetectionBatch:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    k = xy.shape[0]
    if k == 0:
        return DetectionBatch.empty()
    return DetectionBatch.create(t=np.full(k, t), sensor=np.full(k, sensor, np.int32),
                                 meas_kind=np.full(k, int(MeasKind.XY), np.int8), z=xy,
                                 R=np.broadcast_to(np.eye(2) * sigma ** 2, (k, 2, 2)))


def xy_sensor() -> SensorTable:
    return SensorTable.build(["xy"], [SensorKind.XY], [0.0], [0.0], [0.0])


def cv_truth(p0: np.ndarray, v0: np.ndarray, n: int, dt: float = 1.0,
             turn: tuple[int, int, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic 2-D trajectory; ``turn`` = (start_step, end_step, rate rad/s)."""
    p, v = np.array(p0, float), np.array(v0, float)
    P, V = [], []
    for k in range(n):
        P.append(p.copy())
        V.append(v.copy())
        w = turn[2] if turn is not None and turn[0] <= k < turn[1] else 0.0
        if w:
            c, s = np.cos(w * dt), np.sin(w * dt)
            vn = np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])
            p = p + np.array([np.sin(w * dt) * v[0] - (1 - c) * v[1],
                              (1 - c) * v[0] + np.sin(w * dt) * v[1]]) / w
            v = vn
        else:
            p = p + v * dt
    return np.array(P), np.array(V)
