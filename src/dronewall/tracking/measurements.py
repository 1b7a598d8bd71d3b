"""Measurements of one time group in model-ready form, and the measurement models.

``_GroupMeas`` holds a group's detections converted for the filters (SUB_* model codes,
frame-converted positions, gating positions/covariances, sensor attributes); ``_prepare``
builds it, ``_model`` predicts a measurement and its Jacobian from track states, ``_pair_stats``
scores (track, measurement) pairs on the normalised gate scale. Mixin of ``Engine`` (see
``state.py`` for the mechanism).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind
from dronewall.tracking import kernels as K
from dronewall.tracking.state import EngineState
from dronewall.tracking.table import N_ATTR

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

# measurement sub-kinds: one measurement model each. SUB_HPOS is internal: a triangulated
# bearing fix used as a horizontal-only position (2-D, in the local tangent plane at the fix).
SUB_XY, SUB_POS, SUB_RADAR3, SUB_RADAR4, SUB_BEARING, SUB_AZEL, SUB_HPOS = range(7)
_POS_SUBS = (SUB_XY, SUB_POS, SUB_RADAR3, SUB_RADAR4)
_ANG_SUBS = (SUB_BEARING, SUB_AZEL)
#: Earth radius used only to bound the tilt of the frame's z axis against the local vertical
#: when horizontal positions are compared in frame (x, y) far from the origin, m.
EARTH_RADIUS_M = 6.371e6


def detection_attributes(b: DetectionBatch, skind: NDArray[np.int8]) -> F64:
    """(k, N_ATTR) attribute matrix of detections ``b`` whose sensors have kinds ``skind``."""
    a = np.full((len(b), N_ATTR), np.nan)
    a[:, 0] = b.rcs_dbsm
    lab = np.where(b.class_label >= 0, b.class_label, np.nan).astype(np.float64)
    a[:, 1] = np.where(skind == SensorKind.ACOUSTIC, lab, np.nan)
    a[:, 2] = np.where(b.rf_protocol >= 0, b.rf_protocol, np.nan)
    a[:, 3] = np.where(skind == SensorKind.EOIR, lab, np.nan)
    a[:, 4] = np.where(skind == SensorKind.RADAR, lab, np.nan)
    a[:, 5] = np.where(skind == SensorKind.ACOUSTIC, b.aux[:, 0], np.nan)  # received level
    return a


@dataclass
class _GroupMeas:
    """Measurements of one time group in model-ready form (k rows)."""

    sub: NDArray[np.int8]      # (k,) SUB_* code
    z: F64                     # (k, 4) XY/POS converted to the frame; radar/angles raw
    R: F64                     # (k, 4, 4)
    sensor: NDArray[np.int32]  # (k,)
    skind: NDArray[np.int8]    # (k,) SensorKind of the sensor
    identity: NDArray[np.object_]
    gpos: F64                  # (k, dims) Cartesian position for gating/initiation (NaN: angles)
    gcov: F64                  # (k, dims, dims)
    hrot: F64 | None = None    # (k, 2, 3) frame -> local (east, north) at a SUB_HPOS fix
    mem_ptr: I64 | None = None  # fixes: sensors of fix i are mem_sens[mem_ptr[i]:mem_ptr[i+1]]
    mem_sens: I64 | None = None
    attr: F64 | None = None     # (k, N_ATTR) sensor attributes (see ATTR_NAMES), NaN = none
    origin: NDArray[np.int32] | None = None  # (k,) the detections' truth_id, echoed, never read


_SUB_DIM_2D = {SUB_XY: 2, SUB_POS: 2, SUB_RADAR3: 3, SUB_RADAR4: 4, SUB_BEARING: 1, SUB_AZEL: 2,
               SUB_HPOS: 2}
_SUB_DIM_3D = {SUB_XY: 2, SUB_POS: 3, SUB_RADAR3: 3, SUB_RADAR4: 4, SUB_BEARING: 1, SUB_AZEL: 2,
               SUB_HPOS: 2}
#: Sub-kinds that observe only the horizontal position (gated and compared horizontally).
_HORIZ_SUBS = (SUB_XY, SUB_HPOS)


class _MeasurementModels(EngineState):
    """Group measurement preparation, measurement models and pair statistics of ``Engine``."""

    def _prepare(self, b: DetectionBatch) -> _GroupMeas:
        d = self.dims
        k = len(b)
        mk = b.meas_kind
        sub = np.full(k, -1, dtype=np.int8)
        sub[mk == MeasKind.XY] = SUB_XY
        sub[mk == MeasKind.POSITION] = SUB_POS
        radar = mk == MeasKind.RADAR
        sub[radar & np.isnan(b.z[:, 3])] = SUB_RADAR3
        sub[radar & ~np.isnan(b.z[:, 3])] = SUB_RADAR4
        sub[mk == MeasKind.BEARING] = SUB_BEARING
        sub[mk == MeasKind.AZEL] = SUB_AZEL
        z = b.z.copy()
        R = b.R.copy()
        gpos = np.full((k, d), np.nan)
        gcov = np.full((k, d, d), np.nan)
        xy = sub == SUB_XY
        if xy.any():
            if d == 2:
                gpos[xy] = z[xy, :2]
                gcov[xy] = R[xy, :2, :2]
            else:
                gpos[xy, :2] = z[xy, :2]
                gpos[xy, 2] = 0.0
                gcov[xy] = 0.0
                gcov[xy, :2, :2] = R[xy, :2, :2]
                gcov[xy, 2, 2] = np.inf    # XY says nothing about height
        pos = sub == SUB_POS
        if pos.any():
            p = self.frame.to_local(b.z[pos, :3])
            C = self.frame.rot @ b.R[pos, :3, :3] @ self.frame.rot.T
            z[pos, :3] = p
            R[pos, :3, :3] = K.symmetrize(C)
            gpos[pos] = p[:, :d]
            gcov[pos] = R[pos, :d, :d]
        if radar.any():
            s = b.sensor[radar]
            p, C = K.radar_to_cartesian(b.z[radar], b.R[radar], self._spos[s], self._sA[s])
            gpos[radar] = p[:, :d]
            gcov[radar] = C[:, :d, :d]
        return _GroupMeas(sub, z, R, b.sensor.astype(np.int32), self._skind[b.sensor],
                          b.identity, gpos, gcov,
                          attr=detection_attributes(b, self._skind[b.sensor]),
                          origin=b.truth_id)

    def _tilt_margin(self, p: F64) -> F64:
        """Bound on the horizontal offset, m, between frame (x, y) and the local-horizontal
        position of points p (N, 3): the frame's z axis tilts from the local vertical by about
        (distance from the origin) / R_earth, times the height. 0 in 2-D."""
        if self.dims == 2:
            return np.zeros(p.shape[0])
        return np.abs(p[:, 2]) * np.hypot(p[:, 0], p[:, 1]) / EARTH_RADIUS_M

    def _model(self, xs: F64, sub: int, mi: I64, M: _GroupMeas) -> K.MeasPrediction:
        """Predicted measurement and Jacobian of states xs (N, n) for measurement rows mi (N,)."""
        d = self.dims
        if sub == SUB_HPOS:
            # z = A_h p: east/north of the position in the tangent plane at the fix (linear)
            assert M.hrot is not None
            A = M.hrot[mi]
            H = np.zeros((xs.shape[0], 2, self.ns))
            H[:, :, :3] = A
            return K.MeasPrediction(np.einsum("kij,kj->ki", A, xs[:, :3]), H, np.zeros(2, bool))
        sensor = M.sensor[mi]
        if sub == SUB_XY:
            H = np.broadcast_to(self._H_xy, (xs.shape[0], 2, self.ns))
            return K.MeasPrediction(xs[:, :2].copy(), H, np.zeros(2, bool))
        if sub == SUB_POS:
            H = np.broadcast_to(self._H_pos, (xs.shape[0], d, self.ns))
            return K.MeasPrediction(xs[:, :d].copy(), H, np.zeros(d, bool))
        sp, A = self._spos[sensor], self._sA[sensor]
        if sub in (SUB_RADAR3, SUB_RADAR4):
            return K.radar_predict_meas(xs, sp, A, d, sub == SUB_RADAR4)
        if sub == SUB_BEARING:
            return K.bearing_predict_meas(xs, sp, A, d)
        return K.azel_predict_meas(xs, sp, A, d)

    def _pair_stats(self, rows: I64, midx: I64, M: _GroupMeas) -> tuple[F64, F64]:
        """Normalised d2 (E,) (gate = g^2 for every dimension) and loglik (E,) of pairs."""
        d2 = np.full(rows.size, np.inf)
        ll = np.full(rows.size, -np.inf)
        subs = M.sub[midx]
        for s in np.unique(subs):
            e = np.flatnonzero(subs == s)
            md = self._sub_dim[int(s)]
            mi = midx[e]
            x = self.T.x[rows[e]]
            P = self.T.P[rows[e]]
            pr = self._model(x, int(s), mi, M)
            _, _, d2e, lle = K.innovation_stats(x, P, M.z[mi, :md], M.R[mi, :md, :md],
                                                pr.zhat, pr.H, pr.angle)
            d2[e] = d2e * (self._chi2_gate / self._gate_d2[md])
            ll[e] = lle
        return d2, ll
