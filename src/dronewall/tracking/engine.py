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
  measurements (BEARING, AZEL) update existing tracks, then leftover bearings are triangulated,
  and leftover position-type measurements and triangulated points start tentative tracks.
* **Association** is per (sensor, track) node: a track takes at most one detection per sensor
  per group, and detections of several sensors at the same time are applied sequentially. GNN by
  default; cluster-wise exact JPDA optional for linear position kinds (see
  :mod:`dronewall.tracking.association`). Confirmed tracks are associated before tentative ones.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from dronewall.detections.batch import (
    SENSOR_MEAS,
    DetectionBatch,
    MeasKind,
    SensorKind,
    SensorTable,
)
from dronewall.errors import ConfigurationError
from dronewall.geo.frames import Frame
from dronewall.tracking import association as assoc
from dronewall.tracking import kernels as K
from dronewall.tracking.bearings import TriangulationParams, triangulate

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

# track status codes (int8 column)
TENTATIVE = 1
CONFIRMED = 2

# measurement sub-kinds: one measurement model each
SUB_XY, SUB_POS, SUB_RADAR3, SUB_RADAR4, SUB_BEARING, SUB_AZEL = range(6)
_POS_SUBS = (SUB_XY, SUB_POS, SUB_RADAR3, SUB_RADAR4)
_ANG_SUBS = (SUB_BEARING, SUB_AZEL)
N_SENSOR_KINDS = len(SensorKind)

#: Relative asymmetry tolerated in a measurement covariance before it is called absurd.
COV_SYMMETRY_RTOL = 1e-6
#: Absolute bound on radar range accepted as plausible, m (beyond any surface radar horizon).
MAX_RADAR_RANGE_M = 2.0e6
#: Angles outside +-2 pi rad are not a wrapping convention but garbage.
MAX_ABS_ANGLE_RAD = 2.0 * np.pi

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


@dataclass(frozen=True)
class TrackerConfig:
    """Every threshold of the engine, with units. Validated at construction.

    Defaults are for small/medium UAS (Shahed-class to quadcopters) seen by surveillance
    radars, acoustic/RF nodes and cooperative reports; the 2-D benchmark CLI overrides a few.
    """

    dims: Literal[2, 3] = 3
    """Spatial dimensions of the state: 2 -> [x, y, vx, vy], 3 -> [x, y, z, vx, vy, vz]."""
    q_horizontal_m2ps3: float = 3.0
    """Horizontal white-noise-acceleration spectral density, m^2/s^3 (3 suits 30-60 m/s
    targets with occasional 1-3 deg/s turns; Stone Soup baseline tuning)."""
    q_vertical_m2ps3: float = 0.5
    """Vertical spectral density, m^2/s^3, applied along the *local* vertical at each track."""
    gate_mahalanobis: float = 4.0
    """Gate on the Mahalanobis distance sqrt(y^T S^-1 y) (4 sigma: Stone Soup's
    missed_distance; also the cost of leaving a track unassigned, squared)."""
    confirm_m: int = 2
    """M of M-of-N confirmation: hits (the initiating detection counts as one)."""
    confirm_n: int = 3
    """N of M-of-N: update opportunities (groups with a candidate detection in the track's
    gating region, or an update) within which M hits must be reached."""
    coast_time_s: float = 5.0
    """A confirmed track with no update for longer than this is deleted, s."""
    tentative_coast_time_s: float = 2.0
    """A tentative track with no update for longer than this is deleted, s."""
    max_position_sd_m: float = 20_000.0
    """A track whose largest horizontal position sd exceeds this is deleted (lost), m."""
    init_velocity_sd_mps: float = 50.0
    """Prior sd of each horizontal velocity component of a new track, m/s."""
    init_vertical_velocity_sd_mps: float = 10.0
    """Prior sd of the vertical velocity of a new 3-D track, m/s."""
    history_len: int = 32
    """States kept per track in the ring buffer (the last K steps)."""
    latency_window_s: float = 0.0
    """Reorder window: detections are processed once t_step - latency_window_s has passed
    their time; later arrivals inside the window are processed in order. s."""
    time_group_tolerance_s: float = 0.0
    """Detections whose times differ by at most this are processed as one group at the group's
    latest time (position error <= speed * tolerance). s."""
    max_future_s: float = 60.0
    """Detections stamped more than this after the step time are quarantined, s."""
    association: Literal["gnn", "jpda"] = "gnn"
    """'gnn': global nearest neighbour per cluster; 'jpda': exact JPDA per cluster for XY and
    POSITION detections (GNN fallback for large clusters; RADAR/angles always GNN)."""
    pd: float = 0.9
    """Detection probability (JPDA, IMM-PDA), 0..1."""
    clutter_density: float = 1e-9
    """False alarms per unit measurement volume (per m^2 for XY, per m^3 for POSITION)."""
    jpda_max_tracks: int = 6
    """Clusters with more tracks than this fall back to GNN (enumeration is exponential)."""
    jpda_max_hypotheses: int = 50_000
    """Enumeration stops and falls back to GNN beyond this many joint events per cluster."""
    imm: bool = False
    """Interacting multiple model on/off. Models: CV(q) and CV(imm_q_high); with
    imm_turn_rate_dps > 0 also coordinated turns at +-that rate."""
    imm_q_high_m2ps3: float = 40.0
    """Horizontal spectral density of the manoeuvre CV model, m^2/s^3."""
    imm_turn_rate_dps: float = 0.0
    """If > 0, add CT models with this known turn rate (+ and -), deg/s."""
    imm_sojourn_s: tuple[float, ...] = (30.0, 8.0)
    """Mean time spent in each model before switching, s (one per model; the CT models use the
    last value)."""
    imm_initial_quiet_prob: float = 0.9
    """Initial probability of the quiet CV model for a new track (the rest is shared equally
    by the manoeuvre models)."""
    joseph: bool = True
    """Joseph-form covariance update (else the symmetric short form P - K S K^T)."""
    identity_match_bonus: float = 9.0
    """Subtracted from the association cost (Mahalanobis^2) when a POSITION report carries the
    same cooperative identity as the track."""
    identity_mismatch_penalty: float = 25.0
    """Added to the cost when both carry identities and they differ (still allowed)."""
    bearing_max_range_m: float = 5_000.0
    """Tracks farther than this from a bearing sensor are not candidates for its bearings, m."""
    triangulation: TriangulationParams = field(default_factory=TriangulationParams)
    """Bearing triangulation thresholds (min bearings, gate, crossing angle, ...)."""
    bearing_height_agl_m: float = 100.0
    """Assumed height above the bearing sensors of a triangulated target with no elevation
    information, m."""
    bearing_height_sd_m: float = 300.0
    """Sd of that assumed height (unknown altitude -> large vertical variance), m."""
    max_meas_position_sd_m: float = 1.0e5
    """Measurement position / range sd above this is absurd, m."""
    max_meas_angle_sd_rad: float = 0.5
    """Angle sd above this (29 deg) is absurd, rad."""
    max_meas_range_rate_sd_mps: float = 1.0e3
    """Range-rate sd above this is absurd, m/s."""
    initial_capacity: int = 64
    """Initial rows of the track table (grown by doubling)."""

    def __post_init__(self) -> None:
        def bad(msg: str) -> None:
            raise ConfigurationError(f"TrackerConfig: {msg}")

        if self.dims not in (2, 3):
            bad(f"dims must be 2 or 3, got {self.dims}")
        for name in ("q_horizontal_m2ps3", "q_vertical_m2ps3", "gate_mahalanobis",
                     "coast_time_s", "tentative_coast_time_s", "max_position_sd_m",
                     "init_velocity_sd_mps", "init_vertical_velocity_sd_mps",
                     "imm_q_high_m2ps3", "bearing_max_range_m", "bearing_height_sd_m",
                     "max_meas_position_sd_m", "max_meas_angle_sd_rad",
                     "max_meas_range_rate_sd_mps", "clutter_density"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                bad(f"{name} must be finite and > 0, got {v}")
        for name in ("latency_window_s", "time_group_tolerance_s", "max_future_s",
                     "imm_turn_rate_dps"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                bad(f"{name} must be finite and >= 0, got {v}")
        if not (1 <= self.confirm_m <= self.confirm_n):
            bad(f"need 1 <= confirm_m <= confirm_n, got {self.confirm_m}, {self.confirm_n}")
        if not (0.0 < self.imm_initial_quiet_prob < 1.0):
            bad(f"imm_initial_quiet_prob must be in (0, 1), got {self.imm_initial_quiet_prob}")
        if not (0.0 < self.pd <= 1.0):
            bad(f"pd must be in (0, 1], got {self.pd}")
        if self.association not in ("gnn", "jpda"):
            bad(f"association must be 'gnn' or 'jpda', got {self.association!r}")
        if self.history_len < 1 or self.initial_capacity < 1:
            bad("history_len and initial_capacity must be >= 1")
        if self.imm and (len(self.imm_sojourn_s) < 2 or min(self.imm_sojourn_s) <= 0):
            bad("imm_sojourn_s needs >= 2 positive values")

    @property
    def n_state(self) -> int:
        return 2 * self.dims


@dataclass(frozen=True)
class StepResult:
    """What one :meth:`Engine.step` did.

    Id arrays are int64 track ids. ``updated`` = updated at least once; ``coasted`` = confirmed,
    alive and not updated in this step; ``confirmed`` = became confirmed in this step.
    ``quarantined`` counts rejected input rows per reason (see ``QUARANTINE_REASONS``);
    ``quarantined_rows``/``quarantined_reasons`` say which rows of this call's batch.
    ``timings_s`` are wall seconds per stage.
    """

    t: float
    processed_until: float
    new: I64
    updated: I64
    coasted: I64
    deleted: I64
    confirmed: I64
    quarantined: dict[str, int]
    quarantined_rows: I64
    quarantined_reasons: NDArray[np.object_]
    n_input: int
    n_accepted: int
    n_processed: int
    n_pending: int
    n_tracks: int
    n_confirmed: int
    timings_s: dict[str, float]
    diagnostics: dict[str, int]


@dataclass(frozen=True)
class TrackSnapshot:
    """Read-only copy of the track table (rows = live tracks, ordered by id).

    ids (N,), status (N,) 1 tentative / 2 confirmed, x (N, n), P (N, n, n) in the engine frame,
    t_state (N,) time of x, t_update (N,) last update, t_created (N,), hits (N,),
    identity (N,) cooperative id ("" none), last_seen (N, n_sensor_kinds) last update time by
    SensorKind (NaN never), model_prob (N, r) IMM model probabilities (r = 1 without IMM).
    """

    t: float
    ids: I64
    status: NDArray[np.int8]
    x: F64
    P: F64
    t_state: F64
    t_update: F64
    t_created: F64
    hits: NDArray[np.int32]
    identity: NDArray[np.object_]
    last_seen: F64
    model_prob: F64

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per track (for reports / JSON)."""
        out = []
        for i in range(self.ids.size):
            out.append({
                "id": int(self.ids[i]),
                "status": "confirmed" if self.status[i] == CONFIRMED else "tentative",
                "x": self.x[i].tolist(),
                "pos_sd_m": np.sqrt(np.clip(np.diagonal(self.P[i])[: self.x.shape[1] // 2],
                                            0, None)).tolist(),
                "t_state": float(self.t_state[i]),
                "t_update": float(self.t_update[i]),
                "identity": str(self.identity[i]),
            })
        return out


class _Table:
    """Struct-of-arrays track table. Live rows are packed in [0, n)."""

    COLS = ("x", "P", "xm", "Pm", "mu", "ids", "status", "hits", "opps", "t_state", "t_update",
            "t_created", "identity", "last_seen", "hist_x", "hist_t", "hist_count")

    def __init__(self, cap: int, ns: int, r: int, hist: int) -> None:
        self.n = 0
        self.cap = cap
        self.ns, self.r, self.hist = ns, r, hist
        self.x = np.zeros((cap, ns))
        self.P = np.zeros((cap, ns, ns))
        self.xm = np.zeros((cap, r, ns))
        self.Pm = np.zeros((cap, r, ns, ns))
        self.mu = np.zeros((cap, r))
        self.ids = np.zeros(cap, np.int64)
        self.status = np.zeros(cap, np.int8)
        self.hits = np.zeros(cap, np.int32)
        self.opps = np.zeros(cap, np.int32)
        self.t_state = np.zeros(cap)
        self.t_update = np.zeros(cap)
        self.t_created = np.zeros(cap)
        self.identity = np.full(cap, "", dtype=object)
        self.last_seen = np.full((cap, N_SENSOR_KINDS), np.nan)
        self.hist_x = np.zeros((cap, hist, ns))
        self.hist_t = np.zeros((cap, hist))
        self.hist_count = np.zeros(cap, np.int64)

    def reserve(self, extra: int) -> None:
        need = self.n + extra
        if need <= self.cap:
            return
        cap = self.cap
        while cap < need:
            cap *= 2
        for name in self.COLS:
            a = getattr(self, name)
            b = np.zeros((cap,) + a.shape[1:], dtype=a.dtype)
            if a.dtype == object:
                b[:] = ""
            elif name == "last_seen":
                b[:] = np.nan
            b[: self.n] = a[: self.n]
            setattr(self, name, b)
        self.cap = cap

    def keep(self, mask: NDArray[np.bool_]) -> None:
        """Compact live rows keeping ``mask`` (n,), order preserved."""
        idx = np.flatnonzero(mask)
        k = idx.size
        for name in self.COLS:
            a = getattr(self, name)
            a[:k] = a[idx]
        self.identity[k: self.n] = ""
        self.n = k


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


_SUB_DIM_2D = {SUB_XY: 2, SUB_POS: 2, SUB_RADAR3: 3, SUB_RADAR4: 4, SUB_BEARING: 1, SUB_AZEL: 2}
_SUB_DIM_3D = {SUB_XY: 2, SUB_POS: 3, SUB_RADAR3: 3, SUB_RADAR4: 4, SUB_BEARING: 1, SUB_AZEL: 2}


class Engine:
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
        self._pending_keys: list[bytes] = []
        self._recent_keys: dict[bytes, float] = {}
        self._H_xy = np.zeros((2, self.ns))
        self._H_xy[0, 0] = self._H_xy[1, 1] = 1.0
        self._H_pos = K.position_matrix(d)
        self._chi2_gate = config.gate_mahalanobis ** 2
        # Equal gate *probability* for every measurement dimension: gate_mahalanobis is defined
        # for 2-D measurements (P_G = chi2_2.cdf(g^2)); an m-dimensional measurement is gated at
        # chi2_m.ppf(P_G), and its d^2 is rescaled by g^2 / threshold_m so that costs of
        # different kinds compare on one scale (miss cost = g^2).
        from scipy.stats import chi2
        self._gate_prob = float(chi2.cdf(self._chi2_gate, 2))
        self._gate_d2 = np.array([0.0] + [float(chi2.ppf(self._gate_prob, m))
                                          for m in range(1, 5)])
        self._acc = _StepAcc(0)

    # ------------------------------------------------------------------------------------------
    # public API
    # ------------------------------------------------------------------------------------------

    def step(self, t: float, detections: DetectionBatch | None = None) -> StepResult:
        """Push detections received up to time ``t`` (s since epoch) and advance the picture."""
        tim: dict[str, float] = {}
        t0 = time.perf_counter()
        det = detections if detections is not None else DetectionBatch.empty()
        diag: dict[str, int] = {}
        acc = _StepAcc(self.T.n)
        self._acc = acc
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
        accepted = self._validate(det, t, q_rows, q_reasons)
        tim["validate"] = time.perf_counter() - t0
        if accepted.size:
            sub = det.take(accepted)
            keys = self._row_keys(sub)
            self._pending = sub if len(self._pending) == 0 else \
                DetectionBatch.concat([self._pending, sub])
            self._pending_keys.extend(keys)
        horizon = t - self.cfg.latency_window_s
        n_processed = 0
        if len(self._pending):
            ready = np.flatnonzero(self._pending.t <= horizon)
            if ready.size:
                order = ready[np.argsort(self._pending.t[ready], kind="stable")]
                batch = self._pending.take(order)
                rkeys = [self._pending_keys[i] for i in order]
                rest = np.setdiff1d(np.arange(len(self._pending)), ready)
                self._pending_keys = [self._pending_keys[i] for i in rest]
                self._pending = self._pending.take(rest)
                n_processed = len(batch)
                self._process_batch(batch, rkeys, acc, tim, diag)
        t1 = time.perf_counter()
        if np.isfinite(horizon):
            self._maintain(horizon, acc)
        self._append_history(acc)
        tim["maintain"] = tim.get("maintain", 0.0) + time.perf_counter() - t1
        tim["total"] = time.perf_counter() - t0
        qr = np.concatenate(q_rows) if q_rows else np.zeros(0, np.int64)
        qreas = np.array([r for r, rows in zip(q_reasons, q_rows) for _ in range(rows.size)],
                         dtype=object)
        counts: dict[str, int] = {}
        for r, rows in zip(q_reasons, q_rows):
            counts[r] = counts.get(r, 0) + int(rows.size)
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
            timings_s=tim, diagnostics=diag)

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
            identity=ro(self.T.identity), last_seen=ro(self.T.last_seen), model_prob=ro(self.T.mu))

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
    # validation
    # ------------------------------------------------------------------------------------------

    @staticmethod
    def _row_keys(b: DetectionBatch) -> list[bytes]:
        if len(b) == 0:
            return []
        arr = np.empty((len(b), 6))
        arr[:, 0] = b.t
        arr[:, 1] = b.sensor
        arr[:, 2:] = b.z
        arr = np.where(np.isnan(arr), np.nan, arr)   # canonical NaN bit pattern
        v = np.ascontiguousarray(arr).view(np.dtype((np.void, 48))).reshape(-1)
        return [x.tobytes() for x in v]

    def _validate(self, b: DetectionBatch, t_step: float, q_rows: list[I64],
                  q_reasons: list[str]) -> I64:
        """Return accepted row indices; append rejected rows with their reason."""
        m = len(b)
        if m == 0:
            return np.zeros(0, np.int64)
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
        # duplicates: within the batch, vs pending, vs processed rows at the last time
        idx = np.flatnonzero(ok)
        if idx.size:
            keys = self._row_keys(b.take(idx))
            seen = set(self._pending_keys)
            seen.update(self._recent_keys.keys())
            dup = np.zeros(m, dtype=bool)
            for i, k in zip(idx.tolist(), keys):
                if k in seen:
                    dup[i] = True
                else:
                    seen.add(k)
            reject(dup, "duplicate")
        return np.flatnonzero(ok)

    # ------------------------------------------------------------------------------------------
    # processing
    # ------------------------------------------------------------------------------------------

    def _process_batch(self, batch: DetectionBatch, keys: list[bytes], acc: _StepAcc,
                       tim: dict[str, float], diag: dict[str, int]) -> None:
        tt = batch.t
        tol = self.cfg.time_group_tolerance_s
        starts = [0]
        g0 = tt[0]
        for i in range(1, tt.size):
            if tt[i] - g0 > tol:
                starts.append(i)
                g0 = tt[i]
        starts.append(tt.size)
        for a, b in itertools.pairwise(starts):
            tg = float(tt[b - 1])
            self._process_group(tg, batch.take(np.arange(a, b)), acc, tim, diag)
            self._t_processed = max(self._t_processed, tg)
        # remember keys of rows at the last processed time (duplicates of them arriving later
        # are not "too late": t == last processed time is still accepted)
        self._recent_keys = {k: v for k, v in self._recent_keys.items()
                             if v >= self._t_processed}
        last = np.flatnonzero(tt >= self._t_processed)
        for i in last.tolist():
            self._recent_keys[keys[i]] = float(tt[i])

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
                          b.identity, gpos, gcov)

    def _process_group(self, tg: float, b: DetectionBatch, acc: _StepAcc,
                       tim: dict[str, float], diag: dict[str, int]) -> None:
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
        st = T.status[:n0]
        for status in (CONFIRMED, TENTATIVE):
            rows = np.flatnonzero(st == status)
            avail = pos_m[~used[pos_m]]
            if rows.size and avail.size:
                self._associate_positions(rows, avail, M, tg, used, hit, opp, tim, diag)
        t2 = time.perf_counter()
        if ang_m.size and n0:
            self._associate_angles(np.arange(n0), ang_m, M, tg, used, hit, opp, tim, diag)
        t3 = time.perf_counter()
        tim["bearings"] = tim.get("bearings", 0.0) + t3 - t2
        # initiation
        new_pos: list[F64] = []
        new_cov: list[F64] = []
        new_ident: list[NDArray[np.object_]] = []
        new_kind: list[NDArray[np.int8]] = []
        left_ang = ang_m[~used[ang_m]]
        if left_ang.size >= self.cfg.triangulation.min_bearings:
            p, c, members = self._triangulate(left_ang, M)
            if p.shape[0]:
                new_pos.append(p)
                new_cov.append(c)
                new_ident.append(np.full(p.shape[0], "", dtype=object))
                kinds = np.array([M.skind[left_ang[mm[0]]] for mm in members], dtype=np.int8)
                new_kind.append(kinds)
                diag["triangulated"] = diag.get("triangulated", 0) + p.shape[0]
        t4 = time.perf_counter()
        tim["triangulate"] = tim.get("triangulate", 0.0) + t4 - t3
        left_pos = pos_m[~used[pos_m]]
        if left_pos.size:
            gp, gc, gi, gk = self._merge_leftovers(left_pos, M)
            new_pos.append(gp)
            new_cov.append(gc)
            new_ident.append(gi)
            new_kind.append(gk)
        # bookkeeping for existing tracks
        T.hits[:n0] += hit.astype(np.int32)
        T.opps[:n0] += (hit | opp).astype(np.int32)
        if new_pos:
            self._initiate(tg, np.concatenate(new_pos), np.concatenate(new_cov),
                           np.concatenate(new_ident), np.concatenate(new_kind), acc)
        self._confirm(acc)
        self._maintain(tg, acc)
        tim["initiate"] = tim.get("initiate", 0.0) + time.perf_counter() - t4

    # ---- prediction --------------------------------------------------------------------------

    def _predict(self, tg: float) -> None:
        T = self.T
        n = T.n
        dt = np.maximum(tg - T.t_state[:n], 0.0)
        if not np.any(dt > 0):
            return
        up = self.frame.local_up(T.x[:n, :3]) if self.dims == 3 else None
        if self.r == 1:
            _, qh, qv, _ = self._models[0]
            Q = K.cv_process_noise(dt, K.accel_density_matrix(qh, qv, self.dims, up, n))
            T.x[:n], T.P[:n] = K.cv_predict(T.x[:n], T.P[:n], dt, Q)
        else:
            Pi = K.imm_switch_matrix(dt, self._sojourn)
            x0, P0, c = K.imm_mix(T.xm[:n], T.Pm[:n], T.mu[:n], Pi)
            for j, (kind, qh, qv, w) in enumerate(self._models):
                Q = K.cv_process_noise(dt, K.accel_density_matrix(qh, qv, self.dims, up, n))
                if kind == "cv":
                    T.xm[:n, j], T.Pm[:n, j] = K.cv_predict(x0[:, j], P0[:, j], dt, Q)
                else:
                    F = K.ct_transition(dt, np.full(n, w), self.dims)
                    T.xm[:n, j], T.Pm[:n, j] = K.kf_predict(x0[:, j], P0[:, j], F, Q)
            T.mu[:n] = c
            T.x[:n], T.P[:n] = K.imm_combine(T.xm[:n], T.Pm[:n], c)
        T.t_state[:n] = tg

    # ---- measurement models ------------------------------------------------------------------

    def _model(self, xs: F64, sub: int, sensor: NDArray[np.int32]) -> K.MeasPrediction:
        d = self.dims
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
            pr = self._model(x, int(s), M.sensor[mi])
            _, _, d2e, lle = K.innovation_stats(x, P, M.z[mi, :md], M.R[mi, :md, :md],
                                                pr.zhat, pr.H, pr.angle)
            d2[e] = d2e * (self._chi2_gate / self._gate_d2[md])
            ll[e] = lle
        return d2, ll

    def _update(self, rows: I64, midx: I64, M: _GroupMeas, tg: float) -> None:
        """Apply measurements midx to track rows (one each; rows unique)."""
        T = self.T
        subs = M.sub[midx]
        for s in np.unique(subs):
            e = np.flatnonzero(subs == s)
            r_, mi = rows[e], midx[e]
            md = self._sub_dim[int(s)]
            z, R = M.z[mi, :md], M.R[mi, :md, :md]
            if self.r == 1:
                pr = self._model(T.x[r_], int(s), M.sensor[mi])
                res = K.ekf_update(T.x[r_], T.P[r_], z, R, pr.zhat, pr.H, pr.angle,
                                   self.cfg.joseph)
                T.x[r_], T.P[r_] = res.x, res.P
            else:
                k, r = r_.size, self.r
                xs = T.xm[r_].reshape(k * r, self.ns)
                Ps = T.Pm[r_].reshape(k * r, self.ns, self.ns)
                sen = np.repeat(M.sensor[mi], r)
                pr = self._model(xs, int(s), sen)
                res = K.ekf_update(xs, Ps, np.repeat(z, r, axis=0), np.repeat(R, r, axis=0),
                                   pr.zhat, pr.H, pr.angle, self.cfg.joseph)
                T.xm[r_] = res.x.reshape(k, r, self.ns)
                T.Pm[r_] = res.P.reshape(k, r, self.ns, self.ns)
                T.mu[r_] = K.imm_model_probs(T.mu[r_], res.loglik.reshape(k, r))
                T.x[r_], T.P[r_] = K.imm_combine(T.xm[r_], T.Pm[r_], T.mu[r_])
            T.t_update[r_] = tg
            self._acc.touch(T.ids[r_])
            T.last_seen[r_, M.skind[mi]] = tg
            ident = M.identity[mi]
            has = ident != ""
            if has.any():
                rr = r_[has]
                empty = T.identity[rr] == ""
                T.identity[rr[empty]] = ident[has][empty]

    # ---- association -------------------------------------------------------------------------

    def _identity_adjust(self, rows: I64, midx: I64, M: _GroupMeas, cost: F64) -> F64:
        mid = M.identity[midx]
        has = mid != ""
        if not has.any():
            return cost
        tid = self.T.identity[rows]
        both = has & (tid != "")
        same = both & (tid == mid)
        diff = both & ~same
        cost = cost.copy()
        cost[same] -= self.cfg.identity_match_bonus
        cost[diff] += self.cfg.identity_mismatch_penalty
        return cost

    def _node_assign(self, rows: I64, midx: I64, cost: F64, M: _GroupMeas) -> tuple[I64, I64]:
        """GNN over (sensor, track) nodes. Pairs are gated already. Returns assigned pairs."""
        node_key = M.sensor[midx].astype(np.int64) * (self.T.n + 1) + rows
        ukeys, node = np.unique(node_key, return_inverse=True)
        umeas, meas_loc = np.unique(midx, return_inverse=True)
        miss = np.full(ukeys.size, self._chi2_gate)
        t2m, _ = assoc.gnn(ukeys.size, umeas.size, node.astype(np.int64),
                           meas_loc.astype(np.int64), cost, miss)
        a = np.flatnonzero(t2m >= 0)
        return (ukeys[a] % (self.T.n + 1)).astype(np.int64), umeas[t2m[a]]

    def _apply_rounds(self, ar: I64, am: I64, M: _GroupMeas, tg: float) -> None:
        """Apply assigned pairs; a track with several (different sensors) is updated in rounds."""
        if ar.size == 0:
            return
        order = np.lexsort((M.sensor[am], ar))
        ar, am = ar[order], am[order]
        first = np.r_[True, ar[1:] != ar[:-1]]
        grp_start = np.maximum.accumulate(np.where(first, np.arange(ar.size), 0))
        rank = np.arange(ar.size) - grp_start
        for k in range(int(rank.max()) + 1):
            sel = rank == k
            self._update(ar[sel], am[sel], M, tg)

    def _associate_positions(self, rows: I64, avail: I64, M: _GroupMeas, tg: float,
                             used: NDArray[np.bool_], hit: NDArray[np.bool_],
                             opp: NDArray[np.bool_], tim: dict[str, float],
                             diag: dict[str, int]) -> None:
        t0 = time.perf_counter()
        T = self.T
        d = self.dims
        tp = T.x[rows, :d]
        Ppos = T.P[rows, :d, :d]
        tr = np.trace(Ppos, axis1=1, axis2=2)
        gc = M.gcov[avail]
        gfin = np.where(np.isfinite(gc), gc, 0.0)
        mtr = float(np.trace(gfin, axis1=1, axis2=2).max())
        mpos = M.gpos[avail].copy()
        if d == 3:
            # XY measurements carry no height: gate them horizontally (height of the track)
            xy = M.sub[avail] == SUB_XY
            if xy.any():
                tpz = tp.copy()
                radius = self.cfg.gate_mahalanobis * np.sqrt(tr + mtr)
                ti1, mj1 = assoc.gate_pairs(tp[:, :2], radius, mpos[xy, :2])
                ti2, mj2 = assoc.gate_pairs(tpz, radius, mpos[~xy])
                ax, an = np.flatnonzero(xy), np.flatnonzero(~xy)
                ti = np.concatenate([ti1, ti2])
                mj = np.concatenate([ax[mj1], an[mj2]])
            else:
                radius = self.cfg.gate_mahalanobis * np.sqrt(tr + mtr)
                ti, mj = assoc.gate_pairs(tp, radius, mpos)
        else:
            radius = self.cfg.gate_mahalanobis * np.sqrt(tr + mtr)
            ti, mj = assoc.gate_pairs(tp, radius, mpos)
        t1 = time.perf_counter()
        tim["gate"] = tim.get("gate", 0.0) + t1 - t0
        if ti.size == 0:
            return
        prow = rows[ti]
        pm = avail[mj]
        opp[prow] = True
        d2, ll = self._pair_stats(prow, pm, M)
        g = d2 <= self._chi2_gate
        prow, pm, d2, ll = prow[g], pm[g], d2[g], ll[g]
        t2 = time.perf_counter()
        tim["gate"] += t2 - t1
        if prow.size == 0:
            return
        cost = self._identity_adjust(prow, pm, M, d2)
        if self.cfg.association == "jpda":
            jsub = np.isin(M.sub[pm], (SUB_XY, SUB_POS))
            if jsub.any():
                self._jpda(prow[jsub], pm[jsub], cost[jsub], ll[jsub], M, tg, used, hit, diag)
                tim["assign"] = tim.get("assign", 0.0) + time.perf_counter() - t2
            keep = ~jsub & ~used[pm]
            prow, pm, cost = prow[keep], pm[keep], cost[keep]
            if prow.size == 0:
                return
        t3 = time.perf_counter()
        ar, am = self._node_assign(prow, pm, cost, M)
        t4 = time.perf_counter()
        tim["assign"] = tim.get("assign", 0.0) + t4 - t3
        self._apply_rounds(ar, am, M, tg)
        used[am] = True
        hit[ar] = True
        tim["update"] = tim.get("update", 0.0) + time.perf_counter() - t4

    def _jpda(self, prow: I64, pm: I64, cost: F64, ll: F64, M: _GroupMeas, tg: float,
              used: NDArray[np.bool_], hit: NDArray[np.bool_], diag: dict[str, int]) -> None:
        """JPDA over (sensor, track) nodes for XY/POSITION pairs, one sub-kind at a time."""
        cfg = self.cfg
        T = self.T
        for s in (SUB_XY, SUB_POS):
            sel = M.sub[pm] == s
            if not sel.any():
                continue
            r_, m_, c_, l_ = prow[sel], pm[sel], cost[sel], ll[sel]
            md = self._sub_dim[s]
            node_key = M.sensor[m_].astype(np.int64) * (T.n + 1) + r_
            ukeys, node = np.unique(node_key, return_inverse=True)
            umeas, mloc = np.unique(m_, return_inverse=True)
            pg = self._gate_prob
            res = assoc.jpda(ukeys.size, umeas.size, node.astype(np.int64),
                             mloc.astype(np.int64), np.exp(l_), c_,
                             np.full(ukeys.size, self._chi2_gate), cfg.pd, pg,
                             cfg.clutter_density, cfg.jpda_max_tracks, cfg.jpda_max_hypotheses)
            diag["jpda_clusters"] = diag.get("jpda_clusters", 0) + res.stats.jpda_clusters
            diag["jpda_fallback_clusters"] = (diag.get("jpda_fallback_clusters", 0)
                                              + res.stats.jpda_fallback_clusters)
            # GNN fallback nodes
            fbn = np.flatnonzero(res.fallback_t2m >= 0)
            if fbn.size:
                ar = (ukeys[fbn] % (T.n + 1)).astype(np.int64)
                am = umeas[res.fallback_t2m[fbn]]
                self._apply_rounds(ar, am, M, tg)
                used[am] = True
                hit[ar] = True
            # PDA nodes: those with some edge and not fallback
            has_edge = np.zeros(ukeys.size, dtype=bool)
            has_edge[node] = True
            pn = np.flatnonzero(has_edge & ~res.is_fallback)
            if pn.size == 0:
                continue
            # nodes of the same track (several sensors) are applied in rounds
            nrow = (ukeys[pn] % (T.n + 1)).astype(np.int64)
            order = np.lexsort((ukeys[pn] // (T.n + 1), nrow))
            pn, nrow = pn[order], nrow[order]
            first = np.r_[True, nrow[1:] != nrow[:-1]]
            rank = np.arange(pn.size) - np.maximum.accumulate(np.where(first, np.arange(pn.size), 0))
            for k in range(int(rank.max()) + 1):
                nk = pn[rank == k]
                self._pda_update(nk, ukeys, node, mloc, umeas, res, md, s, M, tg)
                hit[(ukeys[nk] % (T.n + 1)).astype(np.int64)] = True
            # measurements with substantial association probability are "used" (no initiation)
            used[umeas[mloc[res.edge_beta > 0.0]]] = True

    def _pda_update(self, nodes: I64, ukeys: I64, node: I64, mloc: I64, umeas: I64,
                    res: assoc.JpdaResult, md: int, s: int, M: _GroupMeas, tg: float) -> None:
        T = self.T
        rows = (ukeys[nodes] % (T.n + 1)).astype(np.int64)
        pos_in = np.full(ukeys.size, -1)
        pos_in[nodes] = np.arange(nodes.size)
        e = np.flatnonzero(pos_in[node] >= 0)
        en = pos_in[node[e]]
        counts = np.bincount(en, minlength=nodes.size)
        J = int(counts.max())
        order = np.lexsort((e, en))
        e, en = e[order], en[order]
        slot = np.arange(e.size) - np.repeat(np.cumsum(counts) - counts, counts)
        mi = umeas[mloc[e]]
        Z = np.zeros((nodes.size, J, md))
        beta = np.zeros((nodes.size, J + 1))
        Rsum = np.zeros((nodes.size, md, md))
        Z[en, slot] = M.z[mi, :md]
        beta[en, 1 + slot] = res.edge_beta[e]
        beta[:, 0] = res.beta0[nodes]
        np.add.at(Rsum, en, M.R[mi, :md, :md])
        Rm = Rsum / np.maximum(counts, 1)[:, None, None]
        mask = np.zeros((nodes.size, J), dtype=bool)
        mask[en, slot] = True
        H = self._H_xy if s == SUB_XY else self._H_pos
        Hb = np.broadcast_to(H, (nodes.size,) + H.shape)
        if self.r == 1:
            x, P = T.x[rows], T.P[rows]
            S = K.symmetrize(Hb @ P @ np.swapaxes(Hb, -1, -2) + Rm)
            y = np.where(mask[:, :, None], Z - (x @ H.T)[:, None, :], 0.0)
            T.x[rows], T.P[rows] = K.pda_update(x, P, y, S, Hb, beta)
        else:
            cfg = self.cfg
            ll = np.zeros((rows.size, self.r))
            for j in range(self.r):
                x, P = T.xm[rows, j], T.Pm[rows, j]
                S = K.symmetrize(Hb @ P @ np.swapaxes(Hb, -1, -2) + Rm)
                y = np.where(mask[:, :, None], Z - (x @ H.T)[:, None, :], 0.0)
                T.xm[rows, j], T.Pm[rows, j] = K.pda_update(x, P, y, S, Hb, beta)
                # IMM-PDA model likelihood: (1 - Pd Pg) + sum_m Pd N(y_m; 0, S) / lambda
                Sr = np.repeat(S, J, axis=0)
                d2, logdet, _ = K.mahalanobis_sq(y.reshape(-1, md), Sr)
                g = np.exp(K.gaussian_loglik(d2, logdet, md)).reshape(rows.size, J)
                lam = cfg.pd * np.where(mask, g, 0.0).sum(axis=1) / cfg.clutter_density
                ll[:, j] = np.log(1.0 - cfg.pd + lam)
            T.mu[rows] = K.imm_model_probs(T.mu[rows], ll)
            T.x[rows], T.P[rows] = K.imm_combine(T.xm[rows], T.Pm[rows], T.mu[rows])
        T.t_update[rows] = tg
        self._acc.touch(T.ids[rows])
        best = np.zeros(nodes.size, dtype=np.int64)
        best_b = np.full(nodes.size, -1.0)
        for i_e in range(e.size):   # small: PDA nodes only
            if res.edge_beta[e[i_e]] > best_b[en[i_e]]:
                best_b[en[i_e]] = res.edge_beta[e[i_e]]
                best[en[i_e]] = mi[i_e]
        T.last_seen[rows, M.skind[best]] = tg

    def _associate_angles(self, rows: I64, ang: I64, M: _GroupMeas, tg: float,
                          used: NDArray[np.bool_], hit: NDArray[np.bool_],
                          opp: NDArray[np.bool_], tim: dict[str, float],
                          diag: dict[str, int]) -> None:
        T = self.T
        d = self.dims
        tree = cKDTree(T.x[rows, :d])
        sens = M.sensor[ang]
        us = np.unique(sens)
        near = tree.query_ball_point(self._spos[us, :d], r=self.cfg.bearing_max_range_m)
        pr_l: list[I64] = []
        pm_l: list[I64] = []
        for k, s in enumerate(us.tolist()):
            tl = np.asarray(near[k], dtype=np.int64)
            if tl.size == 0:
                continue
            bl = ang[sens == s]
            pr_l.append(np.repeat(rows[np.sort(tl)], bl.size))
            pm_l.append(np.tile(bl, tl.size))
        if not pr_l:
            return
        prow = np.concatenate(pr_l)
        pm = np.concatenate(pm_l)
        opp[prow] = True
        d2, _ = self._pair_stats(prow, pm, M)
        g = d2 <= self._chi2_gate
        prow, pm, d2 = prow[g], pm[g], d2[g]
        if prow.size == 0:
            return
        # confirmed tracks are preferred over tentative ones
        d2 = d2 + np.where(T.status[prow] == CONFIRMED, 0.0, 1.0)
        ar, am = self._node_assign(prow, pm, d2, M)
        self._apply_rounds(ar, am, M, tg)
        used[am] = True
        hit[ar] = True
        diag["bearing_updates"] = diag.get("bearing_updates", 0) + int(am.size)

    # ---- triangulation / initiation ----------------------------------------------------------

    def _triangulate(self, ang: I64, M: _GroupMeas) -> tuple[F64, F64, list[I64]]:
        d = self.dims
        s = M.sensor[ang]
        sp = self._spos[s]
        if d == 3:
            c = sp.mean(axis=0)
            Ac = self.frame.local_enu_rotation(c)
        else:
            c = np.zeros(3)
            Ac = np.eye(3)
        q3 = (sp - c) @ Ac.T
        az = M.z[ang, 0]
        u = np.stack([np.sin(az), np.cos(az), np.zeros_like(az)], axis=1)
        # sensor ENU -> frame -> plane ENU
        uf = np.einsum("nji,nj->ni", self._sA[s], u)
        up = uf @ Ac.T
        az_p = np.arctan2(up[:, 0], up[:, 1])
        sig = np.sqrt(M.R[ang, 0, 0])
        res = triangulate(q3[:, :2], az_p, sig, s.astype(np.int64), self.cfg.triangulation)
        k = res.pos.shape[0]
        if k == 0:
            return np.zeros((0, d)), np.zeros((0, d, d)), []
        if d == 2:
            return res.pos, res.cov, res.members
        h = np.empty(k)
        hv = np.empty(k)
        for i, mem in enumerate(res.members):
            gi = ang[mem]
            azel = M.sub[gi] == SUB_AZEL
            if azel.any():
                # height from elevations: h = h_s + rho tan(el), var ~ (rho sigma_el / cos^2 el)^2
                rho = np.hypot(res.pos[i, 0] - q3[mem[azel], 0], res.pos[i, 1] - q3[mem[azel], 1])
                el = M.z[gi[azel], 1]
                hs = q3[mem[azel], 2] + rho * np.tan(el)
                var = (rho * np.sqrt(M.R[gi[azel], 1, 1]) / np.cos(el) ** 2) ** 2
                w = 1.0 / var
                h[i] = float((w * hs).sum() / w.sum())
                hv[i] = float(1.0 / w.sum())
            else:
                h[i] = float(q3[mem, 2].mean() + self.cfg.bearing_height_agl_m)
                hv[i] = self.cfg.bearing_height_sd_m ** 2
        pp = np.column_stack([res.pos, h])
        C = np.zeros((k, 3, 3))
        C[:, :2, :2] = res.cov
        C[:, 2, 2] = hv
        pos = c + pp @ Ac
        cov = Ac.T @ C @ Ac
        return pos, K.symmetrize(cov), res.members

    def _merge_leftovers(self, left: I64, M: _GroupMeas) -> tuple[F64, F64, NDArray[np.object_],
                                                                  NDArray[np.int8]]:
        """Fuse leftover position measurements of *different* sensors that gate together."""
        d = self.dims
        p = M.gpos[left]
        C = M.gcov[left]
        Cf = np.where(np.isfinite(C), C, 0.0)
        if d == 3:
            Cf = Cf.copy()
            inf_h = ~np.isfinite(C[:, 2, 2])
            Cf[inf_h, 2, 2] = self.cfg.bearing_height_sd_m ** 2
            p = p.copy()
            p[inf_h, 2] = self._spos[M.sensor[left[inf_h]], 2] + self.cfg.bearing_height_agl_m
        ident = M.identity[left]
        kinds = M.skind[left]
        sens = M.sensor[left]
        if left.size < 2 or np.unique(sens).size < 2:
            return p, Cf, ident, kinds
        rad = self.cfg.gate_mahalanobis * np.sqrt(2.0 * np.trace(Cf, axis1=1, axis2=2))
        tree = cKDTree(p)
        pairs = tree.query_pairs(float(rad.max()), output_type="ndarray")
        if pairs.size == 0:
            return p, Cf, ident, kinds
        a, b = pairs[:, 0], pairs[:, 1]
        keep = sens[a] != sens[b]
        a, b = a[keep], b[keep]
        if a.size:
            y = p[a] - p[b]
            d2, _, _ = K.mahalanobis_sq(y, Cf[a] + Cf[b])
            g = d2 <= self._chi2_gate
            a, b = a[g], b[g]
        if a.size == 0:
            return p, Cf, ident, kinds
        gm = coo_matrix((np.ones(a.size), (a, b)), shape=(left.size, left.size))
        nc, lab = connected_components(gm, directed=False)
        out_p, out_c, out_i, out_k = [], [], [], []
        for c_ in range(nc):
            mem = np.flatnonzero(lab == c_)
            if mem.size > 1 and np.unique(sens[mem]).size == mem.size:
                Lc, ok = K.cholesky_batched(Cf[mem])
                if ok.all():
                    info = K.chol_solve(Lc, np.broadcast_to(np.eye(d), (mem.size, d, d)).copy())
                    Itot = info.sum(axis=0)
                    iv = np.einsum("nij,nj->ni", info, p[mem]).sum(axis=0)
                    L1, ok1 = K.cholesky_batched(Itot[None])
                    if ok1[0]:
                        cov = K.chol_solve(L1, np.eye(d)[None])[0]
                        out_p.append(cov @ iv)
                        out_c.append(K.symmetrize(cov))
                        ids = [str(v) for v in ident[mem] if v != ""]
                        out_i.append(ids[0] if ids else "")
                        out_k.append(kinds[mem[0]])
                        continue
            for i in mem:
                out_p.append(p[i])
                out_c.append(Cf[i])
                out_i.append(ident[i])
                out_k.append(kinds[i])
        return (np.array(out_p), np.array(out_c), np.array(out_i, dtype=object),
                np.array(out_k, dtype=np.int8))

    def _initiate(self, tg: float, pos: F64, cov: F64, ident: NDArray[np.object_],
                  kinds: NDArray[np.int8], acc: _StepAcc) -> None:
        T = self.T
        k = pos.shape[0]
        d = self.dims
        ok = np.isfinite(pos).all(axis=1) & np.isfinite(cov).all(axis=(1, 2))
        pos, cov, ident, kinds = pos[ok], cov[ok], ident[ok], kinds[ok]
        k = pos.shape[0]
        if k == 0:
            return
        T.reserve(k)
        rows = np.arange(T.n, T.n + k)
        x = np.zeros((k, self.ns))
        x[:, :d] = pos
        P = np.zeros((k, self.ns, self.ns))
        P[:, :d, :d] = cov
        vsd = self.cfg.init_velocity_sd_mps
        for j in range(d):
            P[:, d + j, d + j] = vsd ** 2
        if d == 3:
            # horizontal/vertical velocity prior along the local vertical
            up = self.frame.local_up(pos)
            Qv = K.accel_density_matrix(vsd ** 2, self.cfg.init_vertical_velocity_sd_mps ** 2,
                                        3, up, k)
            P[:, 3:, 3:] = Qv
        T.x[rows] = x
        T.P[rows] = P
        if self.r > 1:
            T.xm[rows] = x[:, None, :]
            T.Pm[rows] = P[:, None, :, :]
            T.mu[rows] = self._mu0
        else:
            T.mu[rows] = 1.0
        ids = np.arange(self._next_id, self._next_id + k, dtype=np.int64)
        self._next_id += k
        T.ids[rows] = ids
        T.status[rows] = TENTATIVE
        T.hits[rows] = 1
        T.opps[rows] = 1
        T.t_state[rows] = tg
        T.t_update[rows] = tg
        T.t_created[rows] = tg
        T.identity[rows] = ident
        T.last_seen[rows] = np.nan
        T.last_seen[rows, kinds] = tg
        T.hist_count[rows] = 0
        T.n += k
        acc.new.extend(ids.tolist())

    def _confirm(self, acc: _StepAcc) -> None:
        T = self.T
        n = T.n
        c = (T.status[:n] == TENTATIVE) & (T.hits[:n] >= self.cfg.confirm_m) & \
            (T.opps[:n] <= self.cfg.confirm_n)
        if c.any():
            T.status[:n][c] = CONFIRMED
            acc.confirmed.extend(T.ids[:n][c].tolist())

    def _maintain(self, t_ref: float, acc: _StepAcc) -> None:
        T = self.T
        n = T.n
        if n == 0:
            return
        cfg = self.cfg
        st = T.status[:n]
        age = t_ref - T.t_update[:n]
        dead = (st == CONFIRMED) & (age > cfg.coast_time_s)
        tent = st == TENTATIVE
        dead |= tent & (age > cfg.tentative_coast_time_s)
        dead |= tent & ((T.opps[:n] - T.hits[:n]) > (cfg.confirm_n - cfg.confirm_m))
        dead |= tent & (T.opps[:n] >= cfg.confirm_n) & (T.hits[:n] < cfg.confirm_m)
        h = min(self.dims, 2)
        var_h = np.diagonal(T.P[:n, :h, :h], axis1=1, axis2=2).max(axis=1)
        dead |= ~(var_h <= cfg.max_position_sd_m ** 2)          # also catches NaN
        dead |= ~np.isfinite(T.x[:n]).all(axis=1)
        if dead.any():
            acc.deleted.extend(T.ids[:n][dead].tolist())
            T.keep(~dead)

    def _append_history(self, acc: _StepAcc) -> None:
        T = self.T
        n = T.n
        if n == 0:
            return
        Kh = self.cfg.history_len
        slot = T.hist_count[:n] % Kh
        rows = np.arange(n)
        T.hist_x[rows, slot] = T.x[:n]
        T.hist_t[rows, slot] = T.t_state[:n]
        T.hist_count[:n] += 1


class _StepAcc:
    """Per-step id bookkeeping (ids, not rows: rows move when tracks are deleted)."""

    def __init__(self, n0: int) -> None:
        self.new: list[int] = []
        self.deleted: list[int] = []
        self.confirmed: list[int] = []
        self._touched: list[I64] = []

    def touch(self, ids: I64) -> None:
        self._touched.append(np.asarray(ids, np.int64))

    def updated_ids(self) -> I64:
        return np.unique(np.concatenate(self._touched)) if self._touched else np.zeros(0, np.int64)
