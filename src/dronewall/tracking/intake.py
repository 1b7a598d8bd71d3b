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
from scipy.spatial import cKDTree

from dronewall.detections.batch import SENSOR_MEAS, DetectionBatch, MeasKind, SensorKind
from dronewall.tracking import kernels as K
from dronewall.tracking.state import EngineState
from dronewall.tracking.table import CONFIRMED

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
    "out_of_volume",         # position farther than surveillance_radius_m from the origin
    "too_old",               # more than max_detection_age_s before the step time
)
#: A step with at least this many input rows is a flood: at the start of the next step the heap
#: it used is handed back to the operating system (glibc keeps freed memory for reuse; after a
#: 10^5-row batch that is ~10^2 MB the process would otherwise hold for good).
RELEASE_AFTER_ROWS = 20_000
#: In a dense clutter-map cell, rows kept per confirmed (or lost) track: its nearest ones to
#: its predicted position (its own detection is among them: the nearest flood row is ~100-200 m
#: away at 100,000 false alarms over a 60 km radar's coverage, a held track's gate is tighter).
DENSE_ROWS_PER_TRACK = 4


def _release_heap() -> None:
    """Return freed heap memory to the OS (glibc ``malloc_trim``; a no-op elsewhere)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:
        pass


def _key_hash(keys: NDArray[np.void]) -> NDArray[np.uint64]:
    """(K,) 64-bit hash of 48-byte row keys (multiply-xor over their six 64-bit words)."""
    w = keys.view(np.uint64).reshape(-1, 6)
    h = np.full(w.shape[0], np.uint64(0x9E3779B97F4A7C15))
    with np.errstate(over="ignore"):
        for j in range(6):
            h = (h ^ w[:, j]) * np.uint64(0x100000001B3)
            h ^= h >> np.uint64(29)
    return h


def _duplicates(keys: NDArray[np.void], old: NDArray[np.void]) -> NDArray[np.bool_]:
    """(K,) True for a key equal to an earlier key of ``keys`` or to any key of ``old``.

    Hash first (sorting 64-bit integers), then compare the full keys of equal hashes only:
    linear-ish in K, where ``np.unique`` on 48-byte keys was ~5 us per row."""
    k = keys.size
    dup = np.zeros(k, dtype=bool)
    if k == 0:
        return dup
    h = _key_hash(keys)
    order = np.argsort(h, kind="stable")
    hs = h[order]
    same = np.flatnonzero(hs[1:] == hs[:-1]) + 1        # positions with an equal-hash predecessor
    if same.size:
        # rows sharing a hash with an earlier row: exact comparison, first occurrence wins
        cand = np.unique(np.concatenate([same - 1, same]))
        rows = order[cand]
        _, first = np.unique(keys[rows], return_index=True)
        d = np.ones(rows.size, dtype=bool)
        d[first] = False
        dup[rows[d]] = True
    if old.size:
        hit = np.flatnonzero(np.isin(h, _key_hash(old)))
        if hit.size:
            dup[hit[np.isin(keys[hit], old)]] = True
    return dup


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

    #: the previous step was a flood (>= RELEASE_AFTER_ROWS rows): release its heap now
    _release_pending: bool = False

    def _release_after_flood(self, m: int) -> None:
        """Called at the start of each step with its number of input rows ``m``."""
        if self._release_pending:
            _release_heap()
            self._release_pending = False
        if m >= RELEASE_AFTER_ROWS:
            self._release_pending = True

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
        # a sensor's own position solution (a SAPIENT node's location report, an ASTERIX
        # system track) is a POSITION measurement whatever the sensor's kind
        located = (mk == MeasKind.POSITION) & (sk >= 0) & (sk != int(SensorKind.XY))
        reject((expected != mk) & ~located, "kind_mismatch")
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
        # surveillance volume: a position-type detection far outside it is garbage (a
        # 1e300 coordinate would overflow the KD-trees and gates downstream)
        reject(self._outside_volume(b, mk), "out_of_volume")
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
        reject(b.t < t_step - cfg.max_detection_age_s, "too_old")
        # duplicates: within the batch (all but the first occurrence), vs pending, vs processed
        # rows at the last time
        idx = np.flatnonzero(ok)
        keys = np.zeros(0, _KEY_DTYPE)
        if idx.size:
            keys = row_keys(b.take(idx) if idx.size < m else b)
            dk = _duplicates(keys, np.concatenate([self._pending_keys, self._recent_keys]))
            dup = np.zeros(m, dtype=bool)
            dup[idx[dk]] = True
            reject(dup, "duplicate")
            keys = keys[~dk]
        return np.flatnonzero(ok), keys

    def _rough_xy(self, b: DetectionBatch) -> tuple[I64, F64]:
        """(rows, xy (k, 2) m): rough horizontal frame positions of the position-type rows
        (RADAR, POSITION, XY) of ``b``, without covariances (for the clutter map)."""
        mk = b.meas_kind.astype(np.int64)
        rows = np.flatnonzero((mk == MeasKind.RADAR) | (mk == MeasKind.POSITION)
                              | (mk == MeasKind.XY))
        xy = np.zeros((rows.size, 2))
        if rows.size == 0:
            return rows, xy
        z = b.z[rows]
        k = mk[rows]
        sel = k == MeasKind.XY
        xy[sel] = z[sel, :2]
        sel = k == MeasKind.POSITION
        if sel.any():
            xy[sel] = self.frame.to_local(z[sel, :3])[:, :2]
        sel = np.flatnonzero(k == MeasKind.RADAR)
        if sel.size and self.dims == 3:
            r, az, el = z[sel, 0], z[sel, 1], z[sel, 2]
            d = np.stack([r * np.cos(el) * np.sin(az), r * np.cos(el) * np.cos(az),
                          r * np.sin(el)], axis=1)
            s = b.sensor[rows[sel]].astype(np.int64)
            p = self._spos[s] + np.einsum("nji,nj->ni", self._sA[s], d)
            xy[sel] = p[:, :2]
        return rows, xy

    def _shed_dense_clutter(self, batch: DetectionBatch, keys: NDArray[np.void],
                            diag: dict[str, int]) -> tuple[DetectionBatch, NDArray[np.void]]:
        """Shed position-type rows of a clutter flood before association.

        The ready rows are binned on the clutter map (horizontal cells of ``init_cell_m``). In a
        cell with more than ``init_cell_max_new`` rows per time group -- a density no real
        traffic reaches -- a row is kept only if it is one of the ``DENSE_ROWS_PER_TRACK``
        nearest (within ``init_cell_m``) to a confirmed or lost track's predicted position (it
        may update that track: good targets are still held) or is among the first
        ``init_cell_max_new`` per group by priority (a cooperative identity first, then arrival
        order; initiation applies the same map again). Tentative tracks get no rows of a dense
        cell beyond those, so the next flood scan cannot confirm most of the tracks the last one
        started (each would find a row in its gate): a second flood scan costs about what the
        first did. (The rows kept for initiation still confirm some, so a flood lasting many
        scans grows the confirmed table: docs/limits.md.) The rest are shed, counted in
        ``diag["shed_dense_rows"]`` (and the cells in ``diag["dense_cells"]``). Sparse cells
        are untouched, so normal data is processed exactly as without the map."""
        cfg = self.cfg
        rows, xy = self._rough_xy(batch)
        n_groups = max(int(np.unique(batch.t[rows]).size), 1) if rows.size else 1
        cap = cfg.init_cell_max_new * n_groups
        if rows.size <= cap:
            return batch, keys
        c = np.clip(np.floor(np.nan_to_num(xy) / cfg.init_cell_m), -(2**20),
                    2**20 - 1).astype(np.int64)
        key = (c[:, 0] + 2**20) * 2**21 + (c[:, 1] + 2**20)
        _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
        inv = inv.reshape(-1)
        dense = np.flatnonzero(cnt[inv] > cap)
        if dense.size == 0:
            return batch, keys
        keep_d = np.zeros(dense.size, dtype=bool)
        # the nearest rows to each confirmed / lost track (predicted to the row time): one of
        # them may be its detection
        T = self.T
        live = np.flatnonzero(T.status[:T.n] >= CONFIRMED) if T.n else np.zeros(0, np.int64)
        if live.size:
            d = self.dims
            dt = np.clip(batch.t[rows[dense]].max() - T.t_state[live], 0.0, None)
            tp = T.x[live, :2] + T.x[live, d:d + 2] * dt[:, None]
            ok = np.isfinite(tp).all(axis=1)
            if ok.any():
                tree = cKDTree(np.nan_to_num(xy[dense]))
                k = min(DENSE_ROWS_PER_TRACK, dense.size)
                idx = np.asarray(tree.query(tp[ok], k=k,
                                            distance_upper_bound=cfg.init_cell_m)[1]).reshape(-1)
                keep_d[idx[idx < dense.size]] = True
        # the first `cap` of each dense cell by priority (identity first, arrival order)
        no_id = np.asarray(batch.identity[rows[dense]] == "", dtype=bool).reshape(-1)
        order = np.lexsort((np.arange(dense.size), no_id, inv[dense]))
        c_sorted = inv[dense][order]
        first = np.r_[0, np.flatnonzero(np.diff(c_sorted)) + 1]
        rank = np.arange(order.size) - np.repeat(first, np.diff(np.r_[first, order.size]))
        keep_d[order[rank < cap]] = True
        shed = rows[dense[~keep_d]]
        if shed.size == 0:
            return batch, keys
        keep = np.ones(len(batch), dtype=bool)
        keep[shed] = False
        diag["shed_dense_rows"] = diag.get("shed_dense_rows", 0) + int(shed.size)
        diag["dense_cells"] = diag.get("dense_cells", 0) + int((cnt > cap).sum())
        idx = np.flatnonzero(keep)
        return batch.take(idx), keys[idx]

    def _outside_volume(self, b: DetectionBatch, mk: I64) -> NDArray[np.bool_]:
        """(M,) True where an XY or POSITION detection lies farther than
        ``surveillance_radius_m`` from the frame origin (NaN rows are not flagged here)."""
        lim = self.cfg.surveillance_radius_m
        out = np.zeros(len(b), dtype=bool)
        xy = np.flatnonzero(mk == MeasKind.XY)
        pos = np.flatnonzero(mk == MeasKind.POSITION)
        with np.errstate(over="ignore", invalid="ignore"):
            if xy.size:
                out[xy] = np.abs(b.z[xy, :2]).max(axis=1) > lim
            if pos.size:
                # ECEF -> frame: distance to the origin, scaled first so 1e300 cannot overflow
                d = b.z[pos, :3] - self.frame.origin_ecef
                big = np.abs(d).max(axis=1)
                out[pos] = big > lim
                ok = np.flatnonzero(big <= lim)
                if ok.size:
                    out[pos[ok]] = np.linalg.norm(d[ok], axis=1) > lim
        return out

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
        n = len(self._pending)
        if n:
            is_ready = self._pending.t <= horizon
            ready = np.flatnonzero(is_ready)
            if ready.size:
                order = ready[np.argsort(self._pending.t[ready], kind="stable")]
                if ready.size == n and np.array_equal(order, np.arange(n)):
                    batch, rkeys = self._pending, self._pending_keys   # all, already in order
                else:
                    batch, rkeys = self._pending.take(order), self._pending_keys[order]
                if ready.size == n:
                    self._pending = DetectionBatch.empty()
                    self._pending_keys = np.zeros(0, _KEY_DTYPE)
                else:
                    rest = np.flatnonzero(~is_ready)
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
