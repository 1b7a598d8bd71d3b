"""Multi-sensor multi-target tracking engine: push API over a struct-of-arrays track table.

``Engine(config, frame, sensors).step(t, detections) -> StepResult``. See ``docs/tracking.md``
for the design, equations and the handling of asynchronous and out-of-order data. In short:

* **Validation / quarantine**: every detection row is checked (finite values, known sensor and
  measurement kind, kind consistent with the sensor, plausible covariance, not a duplicate, not
  older than the processed horizon). Bad rows are counted per reason in
  :attr:`StepResult.quarantined` and dropped; the engine never raises on bad data.
* **Reorder buffer (out-of-sequence measurements)**: accepted rows go to a pending buffer. A
  call ``step(t, ...)`` processes, in time order, every pending detection with time
  ``<= t - latency_window_s`` (the *processed horizon*). Detections arriving late but newer than
  the horizon are therefore processed exactly as if they had arrived in order; the price is that
  the engine's output lags real time by ``latency_window_s`` (0 by default: no lag, no
  reordering). Rows older than the last processed time are counted ``too_late`` and dropped.
* **Time groups**: processed detections are grouped by time (rows whose times differ by at most
  ``time_group_tolerance_s`` form one group); every track is predicted to the group time,
  position-type measurements (RADAR, POSITION, XY) are associated and applied, then angle-only
  measurements (BEARING, AZEL) update existing tracks, then leftover bearings are triangulated
  into fixes that update existing tracks as *horizontal-only* measurements, and leftover
  position-type measurements and fixes start tentative tracks unless they lie next to a
  confirmed track that other sensors hold (*initiation exclusion*).
* **Association** is per (sensor, track) node: a track takes at most one detection per sensor
  per group, and detections of several sensors at the same time are applied sequentially. GNN by
  default; cluster-wise exact JPDA optional for linear position kinds (see
  :mod:`dronewall.tracking.association`). Confirmed tracks are associated before tentative ones.
* **Track management**: M-of-N confirmation and coasting count only *strong* updates
  (position-type, fixes, bearings from >= 3 sensors); the coast time may scale with the
  track's revisit; confirmed tracks that stay statistically indistinguishable, with no sensor
  resolving them, are merged into the older id -- or the one a sensor located lately, where
  the older one had only coasted onto its target (``merge_keep_fresher_s``;
  ``StepResult.merged``).

Code map (``Engine`` is assembled from one mixin per concern; see ``state.py`` for why):

* ``engine.py`` -- this orchestrator: constructor, :meth:`Engine.step` / ``flush`` (the
  per-step and per-group sequence), ``snapshot``, ``history``;
* ``config.py`` ``TrackerConfig``; ``results.py`` ``StepResult``, ``TrackSnapshot``;
  ``table.py`` the track table ``_Table`` and step bookkeeping ``_StepAcc``;
* ``intake.py`` validation / quarantine and the reorder buffer;
* ``measurements.py`` group measurements and measurement models;
* ``update.py`` prediction, association (GNN, JPDA/PDA, angles) and the filter updates;
* ``initiation.py`` initiation exclusion, triangulation, leftover fusion, new tracks;
* ``management.py`` strong-update counting, confirmation, coasting/deletion, duplicate
  merging, history.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import chi2

from dronewall.detections.batch import DetectionBatch, SensorTable
from dronewall.geo.frames import Frame
from dronewall.tracking import kernels as K
from dronewall.tracking.config import TrackerConfig
from dronewall.tracking.emitter_fixes import EmitterBuffer
from dronewall.tracking.ground import _GroundConstraint
from dronewall.tracking.initiation import Candidates, _TrackInitiation
from dronewall.tracking.intake import (
    _KEY_DTYPE,
    QUARANTINE_REASONS,
    _DetectionIntake,
    quarantine_summary,
)
from dronewall.tracking.management import _TrackManagement
from dronewall.tracking.measurements import (
    _ANG_SUBS,
    _POS_SUBS,
    _SUB_DIM_2D,
    _SUB_DIM_3D,
    detection_attributes,
)
from dronewall.tracking.results import StepResult, TrackSnapshot
from dronewall.tracking.table import ATTR_NAMES, CONFIRMED, N_ATTR, TENTATIVE, _StepAcc, _Table

__all__ = ["ATTR_NAMES", "CONFIRMED", "N_ATTR", "QUARANTINE_REASONS", "TENTATIVE", "Engine",
           "StepResult", "TrackSnapshot", "TrackerConfig", "detection_attributes"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class Engine(_DetectionIntake, _TrackInitiation, _TrackManagement, _GroundConstraint):
    """The tracking engine (push API). One instance per picture; no shared state."""

    def __init__(self, config: TrackerConfig, frame: Frame, sensors: SensorTable) -> None:
        self.cfg = config
        self.frame = frame
        self.sensors = sensors
        d = config.dims
        self.dims = d
        self.ns = 2 * d
        self._sub_dim = _SUB_DIM_3D if d == 3 else _SUB_DIM_2D
        # sensor geometry in the engine frame
        spos = frame.to_local(sensors.ecef.reshape(-1, 3)) if len(sensors) else np.zeros((0, 3))
        self._spos = np.asarray(spos, dtype=np.float64).reshape(-1, 3)
        self._sA = (sensors.rot.reshape(-1, 3, 3) @ frame.rot.T) if len(sensors) else \
            np.zeros((0, 3, 3))
        self._skind = np.asarray(sensors.kind, dtype=np.int8).reshape(-1)
        # motion models: list of (kind, q_h, q_v, omega)
        models: list[tuple[str, float, float, float]] = [
            ("cv", config.q_horizontal_m2ps3, config.q_vertical_m2ps3, 0.0)]
        if config.imm:
            scale = config.imm_q_high_m2ps3 / config.q_horizontal_m2ps3
            models.append(("cv", config.imm_q_high_m2ps3, config.q_vertical_m2ps3 * scale, 0.0))
            if config.imm_turn_rate_dps > 0:
                w = np.radians(config.imm_turn_rate_dps)
                models.append(("ct", config.q_horizontal_m2ps3, config.q_vertical_m2ps3, w))
                models.append(("ct", config.q_horizontal_m2ps3, config.q_vertical_m2ps3, -w))
            soj = list(config.imm_sojourn_s)
            while len(soj) < len(models):
                soj.append(soj[-1])
            self._sojourn = np.asarray(soj[: len(models)], dtype=np.float64)
            p0 = config.imm_initial_quiet_prob
            mu0 = np.full(len(models), (1.0 - p0) / max(len(models) - 1, 1))
            mu0[0] = p0
            self._mu0 = mu0
        self._models = models
        self.r = len(models)
        self.T = _Table(config.initial_capacity, self.ns, self.r, config.history_len)
        self._next_id = 1
        self._t_now = -np.inf            # latest step time seen
        self._t_processed = -np.inf      # time of the last processed group
        self._pending: DetectionBatch = DetectionBatch.empty()
        self._pending_keys: NDArray[np.void] = np.zeros(0, _KEY_DTYPE)
        self._recent_keys: NDArray[np.void] = np.zeros(0, _KEY_DTYPE)
        self._recent_t: F64 = np.zeros(0)
        self._H_xy = np.zeros((2, self.ns))
        self._H_xy[0, 0] = self._H_xy[1, 1] = 1.0
        self._H_pos = K.position_matrix(d)
        self._chi2_gate = config.gate_mahalanobis ** 2
        self._lost_d2 = config.lost_gate_mahalanobis ** 2
        self._score_on = config.score_false_alarm_density_m3 > 0
        self._t_maintained = -np.inf
        # Equal gate *probability* for every measurement dimension: gate_mahalanobis is defined
        # for 2-D measurements (P_G = chi2_2.cdf(g^2)); an m-dimensional measurement is gated at
        # chi2_m.ppf(P_G), and its d^2 is rescaled by g^2 / threshold_m so that costs of
        # different kinds compare on one scale (miss cost = g^2).
        self._gate_prob = float(chi2.cdf(self._chi2_gate, 2))
        self._gate_d2 = np.array([0.0] + [float(chi2.ppf(self._gate_prob, m))
                                          for m in range(1, 5)])
        self._acc = _StepAcc(0)
        self._gseq = 0                   # index of the group being processed within a step
        self._t_group = -np.inf          # time of the group being processed
        # duplicate merging: chi-square(4) gate on the horizontal position/velocity difference
        self._merge_d2 = (float(chi2.ppf(config.merge_gate_prob, 4))
                          if config.merge_gate_prob > 0 else 0.0)
        self._emit_buf = EmitterBuffer()
        self._distinct_keys = np.zeros(0, np.int64)
        self._distinct_t = np.zeros(0)
        self._apart_keys = np.zeros(0, np.int64)
        # stitching a newly confirmed track into a lost one: chi-square(4) gate
        self._stitch_d2 = float(chi2.ppf(config.stitch_gate_prob, 4))

    # ------------------------------------------------------------------------------------------
    # public API
    # ------------------------------------------------------------------------------------------

    def step(self, t: float, detections: DetectionBatch | None = None) -> StepResult:
        """Push detections received up to time ``t`` (s since epoch) and advance the picture."""
        tim: dict[str, float] = {}
        t0 = time.perf_counter()
        det = detections if detections is not None else DetectionBatch.empty()
        self._release_after_flood(len(det))
        diag: dict[str, int] = {}
        acc = _StepAcc(self.T.n)
        self._acc = acc
        self._gseq = 0
        q_rows: list[I64] = []
        q_reasons: list[str] = []
        t = float(t)
        if not np.isfinite(t):
            diag["step_time_nonfinite"] = 1
            t = self._t_now if np.isfinite(self._t_now) else 0.0
        if t < self._t_now:
            diag["step_time_backwards"] = 1
            t = self._t_now
        self._t_now = t
        accepted, keys = self._validate(det, t, q_rows, q_reasons)
        tim["validate"] = time.perf_counter() - t0
        self._enqueue(det, accepted, keys)
        horizon = t - self.cfg.latency_window_s
        n_processed = 0
        ready = self._pop_ready(horizon)
        if ready is not None:
            batch, rkeys = self._shed_dense_clutter(*ready, diag)
            n_processed = len(batch)
            self._process_batch(batch, rkeys, acc, tim, diag)
        t1 = time.perf_counter()
        if n_processed:
            self._merge_duplicates(acc, diag)
            if self.cfg.lost_window_s > 0:
                self._record_apart()
        if np.isfinite(horizon):
            self._maintain(horizon, acc)
        self._append_history(acc)
        tim["maintain"] = tim.get("maintain", 0.0) + time.perf_counter() - t1
        tim["total"] = time.perf_counter() - t0
        qr, qreas, counts = quarantine_summary(q_rows, q_reasons)
        n = self.T.n
        live_ids = self.T.ids[:n]
        st = self.T.status[:n]
        upd = acc.updated_ids()
        coasted = live_ids[(st == CONFIRMED) & ~np.isin(live_ids, upd)]
        return StepResult(
            t=t, processed_until=horizon,
            new=np.asarray(acc.new, np.int64), updated=upd, coasted=np.sort(coasted),
            deleted=np.asarray(acc.deleted, np.int64),
            confirmed=np.asarray(acc.confirmed, np.int64),
            quarantined=counts, quarantined_rows=qr, quarantined_reasons=qreas,
            n_input=len(det), n_accepted=int(accepted.size), n_processed=n_processed,
            n_pending=len(self._pending), n_tracks=n, n_confirmed=int((st == CONFIRMED).sum()),
            timings_s=tim, diagnostics=diag, merged=acc.merged_pairs(),
            lost=np.asarray(acc.lost, np.int64), reacquired=np.asarray(acc.reacquired, np.int64),
            update_origin=acc.origins())

    def flush(self) -> StepResult:
        """Process everything still pending (end of a replay), without advancing the clock."""
        if len(self._pending) == 0:
            return self.step(self._t_now if np.isfinite(self._t_now) else 0.0)
        t_last = float(np.max(self._pending.t))
        return self.step(max(self._t_now, t_last + self.cfg.latency_window_s))

    def snapshot(self, confirmed_only: bool = False) -> TrackSnapshot:
        """Read-only copy of the live tracks (ordered by id)."""
        n = self.T.n
        sel = np.arange(n)
        if confirmed_only:
            sel = sel[self.T.status[:n] == CONFIRMED]
        sel = sel[np.argsort(self.T.ids[sel], kind="stable")]

        def ro(a: NDArray[Any]) -> NDArray[Any]:
            c = np.array(a[sel], copy=True)
            c.setflags(write=False)
            return c

        return TrackSnapshot(
            t=float(self._t_processed), ids=ro(self.T.ids), status=ro(self.T.status),
            x=ro(self.T.x), P=ro(self.T.P), t_state=ro(self.T.t_state),
            t_update=ro(self.T.t_update), t_created=ro(self.T.t_created), hits=ro(self.T.hits),
            identity=ro(self.T.identity), last_seen=ro(self.T.last_seen), model_prob=ro(self.T.mu),
            attr=ro(self.T.attr), attr_t=ro(self.T.attr_t), t_strong=ro(self.T.t_strong))

    def history(self, track_id: int) -> tuple[F64, F64]:
        """Ring-buffer history of one live track: (t (k,), x (k, n)), oldest first, k <= K."""
        rows = np.flatnonzero(self.T.ids[: self.T.n] == track_id)
        if rows.size == 0:
            return np.zeros(0), np.zeros((0, self.ns))
        i = int(rows[0])
        Kh = self.cfg.history_len
        cnt = int(self.T.hist_count[i])
        k = min(cnt, Kh)
        idx = (np.arange(cnt - k, cnt)) % Kh
        return self.T.hist_t[i, idx].copy(), self.T.hist_x[i, idx].copy()

    @property
    def n_tracks(self) -> int:
        return self.T.n

    def memory_bytes(self) -> int:
        """Bytes held by the track table and the pending buffer (bounded by capacity)."""
        total = sum(getattr(self.T, c).nbytes for c in _Table.COLS)
        total += sum(getattr(self._pending, f).nbytes for f in ("t", "z", "R", "aux"))
        return int(total)

    # ------------------------------------------------------------------------------------------
    # processing: groups in time order, and the sequence of one group
    # ------------------------------------------------------------------------------------------

    def _process_batch(self, batch: DetectionBatch, keys: NDArray[np.void], acc: _StepAcc,
                       tim: dict[str, float], diag: dict[str, int]) -> None:
        tt = batch.t
        tol = self.cfg.time_group_tolerance_s
        # groups: rows within tol of the group's first time (times are sorted); one
        # searchsorted per group, no per-row loop
        starts = [0]
        while starts[-1] < tt.size:
            starts.append(int(np.searchsorted(tt, tt[starts[-1]] + tol, side="right")))
        for a, b in itertools.pairwise(starts):
            tg = float(tt[b - 1])
            self._t_group = tg
            self._process_group(tg, batch.take(np.arange(a, b)), acc, tim, diag)
            self._t_processed = max(self._t_processed, tg)
            self._gseq += 1
        self._remember_processed(tt, keys)

    def _process_group(self, tg: float, b: DetectionBatch, acc: _StepAcc,
                       tim: dict[str, float], diag: dict[str, int]) -> None:
        """One time group at ``tg`` (s): predict, associate and update existing tracks
        (positions, then angles, then triangulated fixes), count strong updates, initiate from
        the leftovers, confirm, delete."""
        T = self.T
        t0 = time.perf_counter()
        if T.n:
            self._predict(tg)
        t1 = time.perf_counter()
        tim["predict"] = tim.get("predict", 0.0) + t1 - t0
        M = self._prepare(b)
        n0 = T.n
        hit = np.zeros(n0, dtype=bool)
        opp = np.zeros(n0, dtype=bool)
        used = np.zeros(len(b), dtype=bool)
        pos_m = np.flatnonzero(np.isin(M.sub, _POS_SUBS))
        ang_m = np.flatnonzero(np.isin(M.sub, _ANG_SUBS))
        self._associate_by_status(pos_m, M, tg, used, hit, opp, tim, diag)
        t2 = time.perf_counter()
        angcnt = np.zeros(n0, dtype=np.int64)
        new: list[Candidates] = []
        if self.cfg.emitters.on:
            # confirmed tracks take their bearings, emitter pairs of the rest are fixed
            # before tentative tracks get bearings (emitters.py)
            self._associate_angles_by_status(ang_m, M, tg, used, angcnt, opp, tim, diag,
                                             (CONFIRMED,))
            emitted = self._emitter_candidates(ang_m[~used[ang_m]], M, tg, used, hit, opp, n0,
                                               tim, diag)
            if emitted is not None:
                new.append(emitted)
            self._associate_angles_by_status(ang_m, M, tg, used, angcnt, opp, tim, diag,
                                             (TENTATIVE,))
        else:
            self._associate_angles_by_status(ang_m, M, tg, used, angcnt, opp, tim, diag)
        t3 = time.perf_counter()
        tim["bearings"] = tim.get("bearings", 0.0) + t3 - t2
        # initiation candidates: leftover bearings -> fixes (which first update existing
        # tracks), then leftover position-type measurements
        left_ang = ang_m[~used[ang_m]]
        if left_ang.size >= self.cfg.triangulation.min_bearings:
            fixes = self._fix_candidates(left_ang, M, tg, hit, opp, n0, tim, diag)
            if fixes is not None:
                new.append(fixes)
        t4 = time.perf_counter()
        tim["triangulate"] = tim.get("triangulate", 0.0) + t4 - t3
        left_pos = pos_m[~used[pos_m]]
        if left_pos.size:
            plots = self._position_candidates(left_pos, M, n0, diag)
            if plots is not None:
                new.append(plots)
        self._count_strong_updates(tg, hit, opp, angcnt)
        if new:
            self._initiate_candidates(tg, new, acc, diag)
        grounded = self._constrain_to_ground()
        if grounded:
            diag["ground_constrained"] = diag.get("ground_constrained", 0) + grounded
        self._confirm(acc)
        self._maintain(tg, acc)
        tim["initiate"] = tim.get("initiate", 0.0) + time.perf_counter() - t4
