"""Detection intake: validation / quarantine of input rows and the out-of-order buffer.

Every input row is checked (finite values, known sensor and measurement kind, kind consistent
with the sensor, plausible covariance, not a duplicate, not older than the processed horizon);
bad rows are quarantined with a reason from ``QUARANTINE_REASONS``. Accepted rows wait in the
pending (reorder) buffer until the processed horizon ``t_step - latency_window_s`` passes their
time. Mixin of ``Engine`` (see ``state.py`` for the mechanism).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.detections.batch import SENSOR_MEAS, DetectionBatch, MeasKind
from dronewall.tracking import kernels as K
from dronewall.tracking.state import EngineState

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Relative asymmetry tolerated in a measurement covariance before it is called absurd.
COV_SYMMETRY_RTOL = 1e-6
#: Absolute bound on radar range accepted as plausible, m (beyond any surface radar horizon).
MAX_RADAR_RANGE_M = 2.0e6
#: Angles outside +-2 pi rad are not a wrapping convention but garbage.
MAX_ABS_ANGLE_RAD = 2.0 * np.pi
#: Duplicate-detection key of a detection row: (t, sensor, z0..z3) as 6 float64 = 48 bytes.
_KEY_DTYPE = np.dtype((np.void, 48))

QUARANTINE_REASONS = (
    "nonfinite_value",       # NaN/inf in time, z (required columns) or R
    "unknown_sensor",        # sensor index outside the SensorTable
    "unknown_meas_kind",     # meas_kind not a MeasKind value
    "kind_mismatch",         # meas_kind inconsistent with the sensor's kind
    "unsupported_in_2d",     # RADAR / AZEL in a 2-D engine
    "out_of_domain",         # e.g. range <= 0, |angle| > 2 pi, |el| > pi/2
    "absurd_covariance",     # non-symmetric, non-PD, zero/negative or enormous variances
    "duplicate",             # same sensor, time and z as another pending/processed row
    "too_late",              # older than the last processed time (beyond the latency window)
    "future_time",           # more than max_future_s after the step time
)


def row_keys(b: DetectionBatch) -> NDArray[np.void]:
    """(M,) 48-byte keys (time, sensor, z) per row, for duplicate detection."""
    if len(b) == 0:
        return np.zeros(0, _KEY_DTYPE)
    arr = np.empty((len(b), 6))
    arr[:, 0] = b.t
    arr[:, 1] = b.sensor
    arr[:, 2:] = b.z
    arr = np.where(np.isnan(arr), np.nan, arr)   # canonical NaN bit pattern
    return np.ascontiguousarray(arr).view(_KEY_DTYPE).reshape(-1).copy()


class _DetectionIntake(EngineState):
    """Validation, quarantine and the reorder buffer of ``Engine``."""

    def _validate(self, b: DetectionBatch, t_step: float, q_rows: list[I64],
                  q_reasons: list[str]) -> tuple[I64, NDArray[np.void]]:
        """Return accepted row indices and their keys; append rejected rows with their reason."""
        m = len(b)
        if m == 0:
            return np.zeros(0, np.int64), np.zeros(0, _KEY_DTYPE)
        cfg = self.cfg
        ok = np.ones(m, dtype=bool)

        def reject(mask: NDArray[np.bool_], reason: str) -> None:
            rows = np.flatnonzero(mask & ok)
            if rows.size:
                q_rows.append(rows)
                q_reasons.append(reason)
                ok[rows] = False

        S = len(self.sensors)
        sensor = b.sensor.astype(np.int64)
        reject(~np.isfinite(b.t), "nonfinite_value")
        reject((sensor < 0) | (sensor >= S), "unknown_sensor")
        mk = b.meas_kind.astype(np.int64)
        reject((mk < 0) | (mk > int(max(MeasKind))), "unknown_meas_kind")
        sk = np.where(ok, self._skind[np.clip(sensor, 0, max(S - 1, 0))] if S else 0, -1)
        expected = np.full(m, -1)
        for skind, mkind in SENSOR_MEAS.items():
            expected[sk == int(skind)] = int(mkind)
        reject(expected != mk, "kind_mismatch")
        if self.dims == 2:
            reject((mk == MeasKind.RADAR) | (mk == MeasKind.AZEL), "unsupported_in_2d")
        # required z columns finite
        need = np.zeros((m, 4), dtype=bool)
        need[mk == MeasKind.RADAR, :3] = True
        need[mk == MeasKind.BEARING, :1] = True
        need[mk == MeasKind.AZEL, :2] = True
        need[mk == MeasKind.POSITION, :3] = True
        need[mk == MeasKind.XY, :2] = True
        zfin = np.isfinite(b.z) | ~need
        rr_inf = (mk == MeasKind.RADAR) & np.isinf(b.z[:, 3])
        reject(~zfin.all(axis=1) | rr_inf, "nonfinite_value")
        # domain
        z = np.nan_to_num(b.z)
        dom = np.zeros(m, dtype=bool)
        radar = mk == MeasKind.RADAR
        dom |= radar & ((z[:, 0] <= 0) | (z[:, 0] > MAX_RADAR_RANGE_M))
        az_only = (mk == MeasKind.BEARING) | (mk == MeasKind.AZEL)
        dom |= az_only & (np.abs(z[:, 0]) > MAX_ABS_ANGLE_RAD)   # az in column 0
        dom |= radar & (np.abs(z[:, 1]) > MAX_ABS_ANGLE_RAD)     # radar az in column 1
        el_col = np.where(radar, 2, 1)
        has_el = radar | (mk == MeasKind.AZEL)
        dom |= has_el & (np.abs(z[np.arange(m), el_col]) > np.pi / 2)
        reject(dom, "out_of_domain")
        # covariance
        mdim = np.zeros(m, dtype=np.int64)
        mdim[mk == MeasKind.XY] = 2
        mdim[mk == MeasKind.POSITION] = 3
        mdim[mk == MeasKind.BEARING] = 1
        mdim[mk == MeasKind.AZEL] = 2
        mdim[radar] = np.where(np.isnan(b.z[radar, 3]), 3, 4)
        absurd = np.zeros(m, dtype=bool)
        r_nonfinite = np.zeros(m, dtype=bool)
        for md in (1, 2, 3, 4):
            rows = np.flatnonzero(ok & (mdim == md))
            if rows.size:
                r_nonfinite[rows] = ~np.isfinite(b.R[rows, :md, :md]).all(axis=(1, 2))
        reject(r_nonfinite, "nonfinite_value")
        for md in (1, 2, 3, 4):
            rows = np.flatnonzero(ok & (mdim == md))
            if rows.size == 0:
                continue
            R = b.R[rows, :md, :md]
            bad = np.zeros(rows.size, dtype=bool)
            Rf = R
            scale = np.abs(Rf).max(axis=(1, 2)) + 1e-300
            bad |= (np.abs(Rf - np.swapaxes(Rf, 1, 2)).max(axis=(1, 2)) > COV_SYMMETRY_RTOL * scale)
            dg = np.diagonal(Rf, axis1=1, axis2=2)
            bad |= (dg <= 0).any(axis=1)
            _, pd_ok = K.cholesky_batched(K.symmetrize(Rf))
            bad |= ~pd_ok
            # per-column sd limits
            kinds = mk[rows]
            lim = np.full((rows.size, md), cfg.max_meas_position_sd_m)
            lim[kinds == MeasKind.BEARING, :1] = cfg.max_meas_angle_sd_rad
            lim[kinds == MeasKind.AZEL, :2] = cfg.max_meas_angle_sd_rad
            if md >= 3:
                rk = kinds == MeasKind.RADAR
                lim[rk, 1:3] = cfg.max_meas_angle_sd_rad
                if md == 4:
                    lim[rk, 3] = cfg.max_meas_range_rate_sd_mps
            bad |= (np.sqrt(np.clip(dg, 0, None)) > lim).any(axis=1)
            absurd[rows[bad]] = True
        reject(absurd, "absurd_covariance")
        # time
        reject(b.t < self._t_processed, "too_late")
        reject(b.t > t_step + cfg.max_future_s, "future_time")
        # duplicates: within the batch (all but the first occurrence), vs pending, vs processed
        # rows at the last time
        idx = np.flatnonzero(ok)
        keys = np.zeros(0, _KEY_DTYPE)
        if idx.size:
            keys = row_keys(b.take(idx))
            _, first = np.unique(keys, return_index=True)
            dk = np.ones(idx.size, dtype=bool)
            dk[first] = False
            old = np.concatenate([self._pending_keys, self._recent_keys])
            if old.size:
                dk |= np.isin(keys, old)
            dup = np.zeros(m, dtype=bool)
            dup[idx[dk]] = True
            reject(dup, "duplicate")
            keys = keys[~dk]
        return np.flatnonzero(ok), keys

    def _enqueue(self, det: DetectionBatch, accepted: I64, keys: NDArray[np.void]) -> None:
        """Append accepted rows of ``det`` (and their keys) to the pending buffer."""
        if accepted.size:
            sub = det.take(accepted)
            self._pending = sub if len(self._pending) == 0 else \
                DetectionBatch.concat([self._pending, sub])
            self._pending_keys = np.concatenate([self._pending_keys, keys])

    def _pop_ready(self, horizon: float) -> tuple[DetectionBatch, NDArray[np.void]] | None:
        """Remove and return the pending rows with time <= ``horizon`` (s), sorted by time
        (stable), with their keys; None if there are none."""
        if len(self._pending):
            ready = np.flatnonzero(self._pending.t <= horizon)
            if ready.size:
                order = ready[np.argsort(self._pending.t[ready], kind="stable")]
                batch = self._pending.take(order)
                rkeys = self._pending_keys[order]
                rest = np.setdiff1d(np.arange(len(self._pending)), ready)
                self._pending_keys = self._pending_keys[rest]
                self._pending = self._pending.take(rest)
                return batch, rkeys
        return None

    def _remember_processed(self, tt: F64, keys: NDArray[np.void]) -> None:
        """After processing rows with times ``tt`` (s) and ``keys``: remember the keys of rows
        at the last processed time (duplicates of them arriving later are not "too late":
        t == last processed time is still accepted)."""
        still = self._recent_t >= self._t_processed
        last = np.flatnonzero(tt >= self._t_processed)
        self._recent_keys = np.concatenate([self._recent_keys[still], keys[last]])
        self._recent_t = np.concatenate([self._recent_t[still], tt[last]])


def quarantine_summary(q_rows: list[I64], q_reasons: list[str]
                       ) -> tuple[I64, NDArray[np.object_], dict[str, int]]:
    """Rejected rows of one call (concatenated), the reason of each, and counts per reason."""
    qr = np.concatenate(q_rows) if q_rows else np.zeros(0, np.int64)
    qreas = np.array([r for r, rows in zip(q_reasons, q_rows, strict=True)
                      for _ in range(rows.size)], dtype=object)
    counts: dict[str, int] = {}
    for r, rows in zip(q_reasons, q_rows, strict=True):
        counts[r] = counts.get(r, 0) + int(rows.size)
    return qr, qreas, counts
