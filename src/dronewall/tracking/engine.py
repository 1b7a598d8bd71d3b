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
  resolving them, are merged into the older id (``StepResult.merged``).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.stats import chi2

from dronewall.detections.acoustics import transmission_loss_db
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

# measurement sub-kinds: one measurement model each. SUB_HPOS is internal: a triangulated
# bearing fix used as a horizontal-only position (2-D, in the local tangent plane at the fix).
SUB_XY, SUB_POS, SUB_RADAR3, SUB_RADAR4, SUB_BEARING, SUB_AZEL, SUB_HPOS = range(7)
_POS_SUBS = (SUB_XY, SUB_POS, SUB_RADAR3, SUB_RADAR4)
_ANG_SUBS = (SUB_BEARING, SUB_AZEL)
N_SENSOR_KINDS = len(SensorKind)

#: Relative asymmetry tolerated in a measurement covariance before it is called absurd.
COV_SYMMETRY_RTOL = 1e-6
#: Absolute bound on radar range accepted as plausible, m (beyond any surface radar horizon).
MAX_RADAR_RANGE_M = 2.0e6
#: Angles outside +-2 pi rad are not a wrapping convention but garbage.
MAX_ABS_ANGLE_RAD = 2.0 * np.pi
#: Weight of the newest interval in the per-track mean interval between strong updates (EMA,
#: bias-corrected: the plain mean of the first 1/w intervals): ~5 intervals of memory, so a
#: track adapts within a few revisits when it moves from a 1 Hz acoustic belt to a 2 s radar,
#: or out to long radar range where single scans are missed.
REVISIT_EMA_WEIGHT = 0.2
#: Stride separating measurement rows of different groups in update-event keys (> rows/group).
EVENT_MEAS_STRIDE = 1 << 32
#: Sensor kinds whose measurements observe height (radar elevation, cooperative altitude,
#: EO/IR elevation); acoustic/RF bearings do not.
_VERTICAL_KINDS = np.array([int(SensorKind.RADAR), int(SensorKind.ADSB),
                            int(SensorKind.REMOTE_ID), int(SensorKind.EOIR)])
#: Duplicate-detection key of a detection row: (t, sensor, z0..z3) as 6 float64 = 48 bytes.
_KEY_DTYPE = np.dtype((np.void, 48))
#: Earth radius used only to bound the tilt of the frame's z axis against the local vertical
#: when horizontal positions are compared in frame (x, y) far from the origin, m.
EARTH_RADIUS_M = 6.371e6

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
    """A confirmed track with no strong update for longer than this is deleted, s (see
    coast_revisit_factor)."""
    tentative_coast_time_s: float = 2.0
    """A tentative track with no strong update for longer than this is deleted, s."""
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
    """A bearing / az-el updates only tracks within this horizontal distance of its sensor, m
    (beyond it a 5 deg bearing is a > 400 m wide wedge: weak information, easy to misuse)."""
    bearing_explain_range_m: float = 20_000.0
    """Tracks within this horizontal distance of a bearing sensor compete for its bearings; one
    beyond ``bearing_max_range_m`` that wins a bearing consumes it without being updated
    (a loud far target, e.g. an airliner heard 15 km away, explains its own bearings instead
    of letting them pull a quiet track near the node), m. Values below bearing_max_range_m
    mean bearing_max_range_m."""
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
    init_exclusion_mahalanobis: float = 8.0
    """Initiation exclusion: a leftover detection or triangulated fix whose Mahalanobis
    distance (same normalised scale as the gate) to a *confirmed* track that other sensors
    updated in the same group is below this does not start a new track -- it is an outlier of
    that target (sensor bias, unmodelled height, bad fix), not a new target -- unless one of
    its own sensors updated that track in the group with another detection (then it is a
    second target). Twice the default gate. 0 disables. Must be >= gate_mahalanobis."""
    merge_gate_prob: float = 0.99
    """Duplicate-track merging: two confirmed tracks are statistically indistinguishable when
    the Mahalanobis distance of their horizontal position/velocity difference with P1 + P2 is
    below the chi-square(4) quantile at this probability (and their heights agree within the
    gate). 0 disables merging."""
    merge_steps: int = 3
    """Consecutive steps a pair must stay indistinguishable, with no sensor updating both in
    the same group, before the younger track (higher id) is merged into the older one."""
    coast_revisit_factor: float = 0.0
    """A confirmed track is deleted when it has had no strong update (a position-type
    detection, a fix, or bearings from >= triangulation.min_bearings sensors) for longer than
    clip(coast_revisit_factor x its mean interval between strong updates, coast_time_s,
    max_coast_time_s): tracks of targets that sensors revisit rarely (long radar range, low
    Pd) coast longer. 0 (default) disables: fixed coast_time_s."""
    max_coast_time_s: float = 30.0
    """Upper bound of the revisit-scaled coast time, s (never below coast_time_s)."""

    def __post_init__(self) -> None:
        def bad(msg: str) -> None:
            raise ConfigurationError(f"TrackerConfig: {msg}")

        if self.dims not in (2, 3):
            bad(f"dims must be 2 or 3, got {self.dims}")
        for name in ("q_horizontal_m2ps3", "q_vertical_m2ps3", "gate_mahalanobis",
                     "coast_time_s", "tentative_coast_time_s", "max_position_sd_m",
                     "init_velocity_sd_mps", "init_vertical_velocity_sd_mps",
                     "imm_q_high_m2ps3", "bearing_max_range_m", "bearing_explain_range_m",
                     "bearing_height_sd_m",
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
        for name in ("init_exclusion_mahalanobis", "coast_revisit_factor", "max_coast_time_s"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                bad(f"{name} must be finite and >= 0, got {v}")
        if 0 < self.init_exclusion_mahalanobis < self.gate_mahalanobis:
            bad("init_exclusion_mahalanobis must be 0 (off) or >= gate_mahalanobis, got "
                f"{self.init_exclusion_mahalanobis}")
        if not (0.0 <= self.merge_gate_prob < 1.0):
            bad(f"merge_gate_prob must be in [0, 1), got {self.merge_gate_prob}")
        if self.merge_steps < 1:
            bad(f"merge_steps must be >= 1, got {self.merge_steps}")

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
    ``timings_s`` are wall seconds per stage. ``merged`` (k, 2) int64 rows ``[kept, dropped]``:
    duplicate tracks merged in this step (the dropped id is also listed in ``deleted``).
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
    merged: I64 = field(default_factory=lambda: np.zeros((0, 2), np.int64))


@dataclass(frozen=True)
class TrackSnapshot:
    """Read-only copy of the track table (rows = live tracks, ordered by id).

    ids (N,), status (N,) 1 tentative / 2 confirmed, x (N, n), P (N, n, n) in the engine frame,
    t_state (N,) time of x, t_update (N,) last update, t_created (N,), hits (N,),
    identity (N,) cooperative id ("" none), last_seen (N, n_sensor_kinds) last update time by
    SensorKind (NaN never), model_prob (N, r) IMM model probabilities (r = 1 without IMM),
    attr (N, N_ATTR) last sensor attribute values from associated detections (``ATTR_NAMES``:
    RCS dBsm, acoustic class, RF protocol, EO/IR label; NaN none) and attr_t (N, N_ATTR) their
    times.
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
    attr: F64
    attr_t: F64

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
            "t_created", "identity", "last_seen", "hist_x", "hist_t", "hist_count", "revisit",
            "t_strong", "dup_of", "dup_n", "attr", "attr_t")

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
        self.revisit = np.full(cap, np.nan)            # mean strong-update interval (EMA), s
        self.t_strong = np.zeros(cap)                  # last strong update (coast clock), s
        self.dup_of = np.full(cap, -1, np.int64)       # duplicate-candidate partner id
        self.dup_n = np.zeros(cap, np.int32)           # consecutive indistinguishable steps
        self.attr = np.full((cap, N_ATTR), np.nan)     # last sensor attribute values
        self.attr_t = np.full((cap, N_ATTR), np.nan)   # ... and their times, s

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
            elif name in ("last_seen", "revisit", "attr", "attr_t"):
                b[:] = np.nan
            elif name == "dup_of":
                b[:] = -1
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


#: Sensor attributes a track carries from its associated detections (for classification):
#: radar RCS estimate (dBsm), acoustic signature class (AcousticClass code), RF protocol
#: (RFProtocol code), EO/IR class label (PlatformClass code). Last value and its time.
ATTR_NAMES = ("rcs_dbsm", "acoustic_class", "rf_protocol", "eo_label", "micro_doppler",
              "acoustic_sl_db")
#: A bearing's attributes go to its track only if every other gated track is worse by at least
#: this much normalised distance squared (likelihood ratio e^(9/2) = 90) [E].
BEARING_ATTR_MARGIN_D2 = 9.0
#: Column of the acoustic source level: detections carry the received level (aux[:, 0]),
#: converted to the source level with the updated track's range to the node.
_ATTR_SL = ATTR_NAMES.index("acoustic_sl_db")
N_ATTR = len(ATTR_NAMES)


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


_SUB_DIM_2D = {SUB_XY: 2, SUB_POS: 2, SUB_RADAR3: 3, SUB_RADAR4: 4, SUB_BEARING: 1, SUB_AZEL: 2,
               SUB_HPOS: 2}
_SUB_DIM_3D = {SUB_XY: 2, SUB_POS: 3, SUB_RADAR3: 3, SUB_RADAR4: 4, SUB_BEARING: 1, SUB_AZEL: 2,
               SUB_HPOS: 2}
#: Sub-kinds that observe only the horizontal position (gated and compared horizontally).
_HORIZ_SUBS = (SUB_XY, SUB_HPOS)


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
        self._pending_keys: NDArray[np.void] = np.zeros(0, _KEY_DTYPE)
        self._recent_keys: NDArray[np.void] = np.zeros(0, _KEY_DTYPE)
        self._recent_t: F64 = np.zeros(0)
        self._H_xy = np.zeros((2, self.ns))
        self._H_xy[0, 0] = self._H_xy[1, 1] = 1.0
        self._H_pos = K.position_matrix(d)
        self._chi2_gate = config.gate_mahalanobis ** 2
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
        if accepted.size:
            sub = det.take(accepted)
            self._pending = sub if len(self._pending) == 0 else \
                DetectionBatch.concat([self._pending, sub])
            self._pending_keys = np.concatenate([self._pending_keys, keys])
        horizon = t - self.cfg.latency_window_s
        n_processed = 0
        if len(self._pending):
            ready = np.flatnonzero(self._pending.t <= horizon)
            if ready.size:
                order = ready[np.argsort(self._pending.t[ready], kind="stable")]
                batch = self._pending.take(order)
                rkeys = self._pending_keys[order]
                rest = np.setdiff1d(np.arange(len(self._pending)), ready)
                self._pending_keys = self._pending_keys[rest]
                self._pending = self._pending.take(rest)
                n_processed = len(batch)
                self._process_batch(batch, rkeys, acc, tim, diag)
        t1 = time.perf_counter()
        if n_processed:
            self._merge_duplicates(acc, diag)
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
            timings_s=tim, diagnostics=diag, merged=acc.merged_pairs())

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
            attr=ro(self.T.attr), attr_t=ro(self.T.attr_t))

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
    def _row_keys(b: DetectionBatch) -> NDArray[np.void]:
        """(M,) 48-byte keys (time, sensor, z) per row, for duplicate detection."""
        if len(b) == 0:
            return np.zeros(0, _KEY_DTYPE)
        arr = np.empty((len(b), 6))
        arr[:, 0] = b.t
        arr[:, 1] = b.sensor
        arr[:, 2:] = b.z
        arr = np.where(np.isnan(arr), np.nan, arr)   # canonical NaN bit pattern
        return np.ascontiguousarray(arr).view(_KEY_DTYPE).reshape(-1).copy()

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
            keys = self._row_keys(b.take(idx))
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

    # ------------------------------------------------------------------------------------------
    # processing
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
        # remember keys of rows at the last processed time (duplicates of them arriving later
        # are not "too late": t == last processed time is still accepted)
        still = self._recent_t >= self._t_processed
        last = np.flatnonzero(tt >= self._t_processed)
        self._recent_keys = np.concatenate([self._recent_keys[still], keys[last]])
        self._recent_t = np.concatenate([self._recent_t[still], tt[last]])

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
                          attr=detection_attributes(b, self._skind[b.sensor]))

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
        self._associate_by_status(pos_m, M, tg, used, hit, opp, tim, diag)
        t2 = time.perf_counter()
        angcnt = np.zeros(n0, dtype=np.int64)
        # angles: confirmed tracks first, tentative ones only with the leftovers -- as for
        # position-type detections -- so that bearings of a held target cannot confirm a
        # tentative track started next to it (a radar clutter plot 250 m from a Shahed was
        # confirmed by three of the Shahed's five bearings in the mixed-sensor test)
        for status in (CONFIRMED, TENTATIVE):
            rows = np.flatnonzero(T.status[:n0] == status)
            avail = ang_m[~used[ang_m]]
            if rows.size and avail.size:
                self._associate_angles(rows, avail, M, tg, used, angcnt, opp, tim, diag)
        t3 = time.perf_counter()
        tim["bearings"] = tim.get("bearings", 0.0) + t3 - t2
        # initiation
        new_pos: list[F64] = []
        new_cov: list[F64] = []
        new_ident: list[NDArray[np.object_]] = []
        new_kind: list[NDArray[np.int8]] = []
        left_ang = ang_m[~used[ang_m]]
        if left_ang.size >= self.cfg.triangulation.min_bearings:
            tri = self._triangulate(left_ang, M)
            if tri is not None:
                Fm, fpos, fcov = tri
                k = fpos.shape[0]
                diag["triangulated"] = diag.get("triangulated", 0) + k
                # a fix is first a horizontal-only measurement of existing tracks ...
                fused = np.zeros(k, dtype=bool)
                self._associate_by_status(np.arange(k), Fm, tg, fused, hit, opp, tim, diag)
                if fused.any():
                    diag["fix_updates"] = diag.get("fix_updates", 0) + int(fused.sum())
                # ... and only a leftover fix away from confirmed tracks starts a new track,
                # with the assumed height and its large variance
                lf = np.flatnonzero(~fused)
                lf = lf[self._init_exclusion(lf, Fm, n0, diag)]
                if lf.size:
                    new_pos.append(fpos[lf])
                    new_cov.append(fcov[lf])
                    new_ident.append(Fm.identity[lf])
                    new_kind.append(Fm.skind[lf])
        t4 = time.perf_counter()
        tim["triangulate"] = tim.get("triangulate", 0.0) + t4 - t3
        left_pos = pos_m[~used[pos_m]]
        if left_pos.size:
            left_pos = left_pos[self._init_exclusion(left_pos, M, n0, diag)]
        if left_pos.size:
            gp, gc, gi, gk = self._merge_leftovers(left_pos, M)
            new_pos.append(gp)
            new_cov.append(gc)
            new_ident.append(gi)
            new_kind.append(gk)
        # bookkeeping for existing tracks. A *strong* update -- a position-type detection, a
        # fix, or bearings from >= min_bearings distinct sensors in this group (enough to
        # triangulate) -- is a confirmation hit and resets the coast clock. Fewer bearings
        # update the state but are only an opportunity: a stray bearing of another target
        # passes near any uncertain track, and must neither confirm a tentative track nor keep
        # a lost one alive.
        strong = hit | (angcnt >= self.cfg.triangulation.min_bearings)
        T.hits[:n0] += strong.astype(np.int32)
        T.opps[:n0] += (strong | opp).astype(np.int32)
        sr = np.flatnonzero(strong)
        if sr.size:
            dts = tg - T.t_strong[sr]
            pos_dt = dts > 0.0
            rr, dd = sr[pos_dt], dts[pos_dt]
            # bias-corrected EMA: the plain mean of the first 1/w intervals, then the EMA
            w = np.maximum(REVISIT_EMA_WEIGHT, 1.0 / np.maximum(T.hits[rr] - 1, 1))
            m = T.revisit[rr]
            T.revisit[rr] = np.where(np.isnan(m), dd, m + w * (dd - m))
            T.t_strong[sr] = tg
        if new_pos:
            self._initiate(tg, np.concatenate(new_pos), np.concatenate(new_cov),
                           np.concatenate(new_ident), np.concatenate(new_kind), acc)
        self._confirm(acc)
        self._maintain(tg, acc)
        tim["initiate"] = tim.get("initiate", 0.0) + time.perf_counter() - t4

    def _associate_by_status(self, idx: I64, M: _GroupMeas, tg: float, used: NDArray[np.bool_],
                             hit: NDArray[np.bool_], opp: NDArray[np.bool_],
                             tim: dict[str, float], diag: dict[str, int]) -> None:
        """Position-type measurements idx of M: confirmed tracks first, then tentative ones
        with the leftovers (tracks that existed at the start of the group only)."""
        n0 = hit.size
        st = self.T.status[:n0]
        for status in (CONFIRMED, TENTATIVE):
            rows = np.flatnonzero(st == status)
            avail = idx[~used[idx]]
            if rows.size and avail.size:
                self._associate_positions(rows, avail, M, tg, used, hit, opp, tim, diag)

    def _tilt_margin(self, p: F64) -> F64:
        """Bound on the horizontal offset, m, between frame (x, y) and the local-horizontal
        position of points p (N, 3): the frame's z axis tilts from the local vertical by about
        (distance from the origin) / R_earth, times the height. 0 in 2-D."""
        if self.dims == 2:
            return np.zeros(p.shape[0])
        return np.abs(p[:, 2]) * np.hypot(p[:, 0], p[:, 1]) / EARTH_RADIUS_M

    def _init_exclusion(self, cand: I64, M: _GroupMeas, n0: int,
                        diag: dict[str, int]) -> NDArray[np.bool_]:
        """Keep-mask over leftover measurement rows ``cand`` of M: False where the row lies
        within ``init_exclusion_mahalanobis`` (normalised Mahalanobis, measurement space) of a
        confirmed track that other sensors updated in this group and none of the row's sensors
        did.

        Such a row is an outlier of a target that other data hold right now (outside the gate
        because of a sensor bias, an unmodelled height or a bad fix), not a new target;
        initiating from it creates the duplicate tracks that followed targets seen by several
        sensor kinds. Not excluded: (a) a row whose sensor updated the track in this group with
        another detection -- the sensor sees two objects there; (b) a row near a track that
        nothing updated in this group -- the track may be losing its target (a manoeuvre with a
        single sensor) and a new track must be able to start; a duplicate that survives is left
        to :meth:`_merge_duplicates`.
        """
        keep = np.ones(cand.size, dtype=bool)
        g_ex = self.cfg.init_exclusion_mahalanobis
        if g_ex <= 0 or cand.size == 0:
            return keep
        T = self.T
        # updates in this group: (track id, sensor); the virtual sensor S = triangulated fixes
        ev_ids, ev_code, _ = self._acc.events()
        ns1 = len(self.sensors) + 1
        cur = ev_code // ns1 == self._gseq
        ev_ids, ev_sens = ev_ids[cur], ev_code[cur] % ns1
        if ev_ids.size == 0:
            return keep                      # no track was updated in this group
        c_sens = (M.sensor[cand] if M.mem_sens is None else M.mem_sens).astype(np.int64)
        if np.unique(np.concatenate([ev_sens, c_sens])).size == 1:
            return keep                      # one sensor only: every near pair has evidence
        crow = np.flatnonzero((T.status[:n0] == CONFIRMED) & (T.t_update[:n0] == self._t_group))
        if crow.size == 0:
            return keep
        gc = M.gcov[cand, :2, :2]
        mtr = float(np.trace(np.where(np.isfinite(gc), gc, 0.0), axis1=1, axis2=2).max())
        trp = np.trace(T.P[crow, :2, :2], axis1=1, axis2=2)
        radius = g_ex * np.sqrt(trp + mtr) + self._tilt_margin(T.x[crow, : self.dims])
        ti, mj = assoc.gate_pairs(T.x[crow, :2], radius, M.gpos[cand, :2])
        if ti.size == 0:
            return keep
        prow, pm = crow[ti], cand[mj]
        # position only: a radar plot on top of a held track is its outlier even when its
        # range rate disagrees (a turn between scans); a second target there shows itself by
        # its sensor updating the track with another plot (evidence, below)
        Mp = replace(M, sub=np.where(M.sub == SUB_RADAR4, SUB_RADAR3, M.sub).astype(np.int8))
        d2, _ = self._pair_stats(prow, pm, Mp)
        near = d2 <= g_ex ** 2
        if not near.any():
            return keep
        prow, pm, mj = prow[near], pm[near], mj[near]
        # evidence of a second target: a sensor of the row updated the track in this group
        ev_key = ev_ids * ns1 + ev_sens
        if M.mem_ptr is None or M.mem_sens is None:
            pair = np.arange(pm.size)
            sens = M.sensor[pm].astype(np.int64)
        else:
            cnt = M.mem_ptr[pm + 1] - M.mem_ptr[pm]
            pair = np.repeat(np.arange(pm.size), cnt)
            sens = M.mem_sens[_ranges(M.mem_ptr[pm], cnt)]
        evid = np.zeros(pm.size, dtype=bool)
        if ev_key.size:
            shared = np.isin(T.ids[prow[pair]] * ns1 + sens, ev_key)
            evid[pair[shared]] = True
        excl = np.unique(mj[~evid])
        keep[excl] = False
        diag["init_excluded"] = diag.get("init_excluded", 0) + int(excl.size)
        return keep

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
                pr = self._model(T.x[r_], int(s), mi, M)
                res = K.ekf_update(T.x[r_], T.P[r_], z, R, pr.zhat, pr.H, pr.angle,
                                   self.cfg.joseph)
                T.x[r_], T.P[r_] = res.x, res.P
            else:
                k, r = r_.size, self.r
                xs = T.xm[r_].reshape(k * r, self.ns)
                Ps = T.Pm[r_].reshape(k * r, self.ns, self.ns)
                pr = self._model(xs, int(s), np.repeat(mi, r), M)
                res = K.ekf_update(xs, Ps, np.repeat(z, r, axis=0), np.repeat(R, r, axis=0),
                                   pr.zhat, pr.H, pr.angle, self.cfg.joseph)
                T.xm[r_] = res.x.reshape(k, r, self.ns)
                T.Pm[r_] = res.P.reshape(k, r, self.ns, self.ns)
                T.mu[r_] = K.imm_model_probs(T.mu[r_], res.loglik.reshape(k, r))
                T.x[r_], T.P[r_] = K.imm_combine(T.xm[r_], T.Pm[r_], T.mu[r_])
            self._mark_updated(r_, tg, M.sensor[mi], mi)
            T.last_seen[r_, M.skind[mi]] = tg
            if M.attr is not None:
                av = M.attr[mi].copy()
                rl = np.isfinite(av[:, _ATTR_SL])
                if rl.any() and self.dims == 3:  # received -> source level at the track's range
                    rng_m = np.linalg.norm(T.x[r_[rl], :3] - self._spos[M.sensor[mi[rl]]],
                                           axis=1)
                    av[rl, _ATTR_SL] += transmission_loss_db(rng_m)
                elif rl.any():
                    av[rl, _ATTR_SL] = np.nan
                has_a = np.isfinite(av)
                ri, ci = np.nonzero(has_a)
                T.attr[r_[ri], ci] = av[ri, ci]
                T.attr_t[r_[ri], ci] = tg
            ident = M.identity[mi]
            has = ident != ""
            if has.any():
                rr = r_[has]
                empty = T.identity[rr] == ""
                T.identity[rr[empty]] = ident[has][empty]

    def _mark_updated(self, rows: I64, tg: float, sensor: NDArray[np.int32], mi: I64) -> None:
        """Bookkeeping of an update of track rows (unique) at tg by measurement rows mi.

        Records (track, sensor, group, measurement) events: two tracks updated by the same
        sensor in the same group with different detections are two targets (evidence against
        merging them, and for initiating next to a track).
        """
        T = self.T
        T.t_update[rows] = tg
        ids = T.ids[rows]
        self._acc.touch(ids)
        self._acc.event(ids, self._gseq * (len(self.sensors) + 1) + sensor.astype(np.int64),
                        self._gseq * EVENT_MEAS_STRIDE + np.asarray(mi, np.int64))

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
            # XY measurements and triangulated fixes carry no height: gate them horizontally
            # (fixes: plus the tilt of the frame's z axis at the track's height)
            xy = np.isin(M.sub[avail], _HORIZ_SUBS)
            if xy.any():
                radius = self.cfg.gate_mahalanobis * np.sqrt(tr + mtr)
                rh = radius + (self._tilt_margin(tp) if (M.sub[avail] == SUB_HPOS).any()
                               else 0.0)
                ti1, mj1 = assoc.gate_pairs(tp[:, :2], rh, mpos[xy, :2])
                ti2, mj2 = assoc.gate_pairs(tp, radius, mpos[~xy])
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
        best = np.zeros(nodes.size, dtype=np.int64)
        best_b = np.full(nodes.size, -1.0)
        for i_e in range(e.size):   # small: PDA nodes only
            if res.edge_beta[e[i_e]] > best_b[en[i_e]]:
                best_b[en[i_e]] = res.edge_beta[e[i_e]]
                best[en[i_e]] = mi[i_e]
        self._mark_updated(rows, tg, M.sensor[best], best)
        T.last_seen[rows, M.skind[best]] = tg

    def _associate_angles(self, rows: I64, ang: I64, M: _GroupMeas, tg: float,
                          used: NDArray[np.bool_], angcnt: NDArray[np.int64],
                          opp: NDArray[np.bool_], tim: dict[str, float],
                          diag: dict[str, int]) -> None:
        """Bearings / az-el -> existing tracks (GNN over (sensor, track) nodes).

        Candidates are tracks within ``bearing_explain_range_m`` of the sensor *horizontally*
        (a jet at 10 km altitude right above a node is at 0 m, not 10 km). A bearing assigned
        to a track farther than ``bearing_max_range_m`` is consumed ("explained": it neither
        updates that track nor a nearer one, nor goes to triangulation) without updating it:
        a loud far target (an airliner heard at 15 km) must win its own bearings instead of
        having them hijack a quiet low-level track near the node, but a far, weak bearing
        should not keep a track alive either.
        """
        T = self.T
        cfg = self.cfg
        sens = M.sensor[ang]
        order = np.argsort(sens, kind="stable")
        ang_s, sens_s = ang[order], sens[order]
        us, first, cnt = np.unique(sens_s, return_index=True, return_counts=True)
        r_max = max(cfg.bearing_explain_range_m, cfg.bearing_max_range_m)
        tt = cKDTree(T.x[rows, :2])
        ts = cKDTree(self._spos[us, :2])
        sp = ts.sparse_distance_matrix(tt, r_max, output_type="ndarray")
        if sp.size == 0:
            return
        si = sp["i"].astype(np.int64)
        ti = sp["j"].astype(np.int64)
        dist = sp["v"]
        o = np.lexsort((ti, si))                        # deterministic pair order
        si, ti, dist = si[o], ti[o], dist[o]
        k = cnt[si]
        prow = np.repeat(rows[ti], k)
        pdist = np.repeat(dist, k)
        pm = ang_s[_ranges(first[si].astype(np.int64), k.astype(np.int64))]
        close = pdist <= cfg.bearing_max_range_m
        opp[prow[close]] = True
        d2, _ = self._pair_stats(prow, pm, M)
        g = d2 <= self._chi2_gate
        prow, pm, d2, close = prow[g], pm[g], d2[g], close[g]
        if prow.size == 0:
            return
        ar, am = self._node_assign(prow, pm, d2, M)
        used[am] = True
        if M.attr is not None:
            # A bearing that gates several tracks says little about which one it heard: keep
            # its position update (GNN chose) but not its attributes (class, source level),
            # which would otherwise label e.g. a bird track with a passing drone's engine.
            # Ambiguous: a second track fits within BEARING_ATTR_MARGIN_D2 of the best one.
            o = np.lexsort((d2, pm))
            pm_s, d2_s = pm[o], d2[o]
            first = np.r_[True, pm_s[1:] != pm_s[:-1]]
            second = np.r_[False, ~first[1:]] & np.r_[False, first[:-1]]
            gap = np.full(M.sub.size, np.inf)
            gap[pm_s[second]] = d2_s[second] - d2_s[np.flatnonzero(second) - 1]
            amb = am[gap[am] < BEARING_ATTR_MARGIN_D2]
            if amb.size:
                M.attr[amb] = np.nan
                diag["bearing_attributes_ambiguous"] = (
                    diag.get("bearing_attributes_ambiguous", 0) + int(amb.size))
        # assigned pairs beyond bearing_max_range_m only explain their bearing
        near = np.hypot(*(T.x[ar, :2] - self._spos[M.sensor[am], :2]).T) <= cfg.bearing_max_range_m
        if (~near).any():
            diag["bearings_explained_far"] = (diag.get("bearings_explained_far", 0)
                                              + int((~near).sum()))
        ar, am = ar[near], am[near]
        self._apply_rounds(ar, am, M, tg)
        np.add.at(angcnt, ar, 1)              # distinct sensors (one detection per sensor)
        diag["bearing_updates"] = diag.get("bearing_updates", 0) + int(am.size)

    # ---- triangulation / initiation ----------------------------------------------------------

    def _triangulate(self, ang: I64, M: _GroupMeas) -> tuple[_GroupMeas, F64, F64] | None:
        """Triangulate leftover bearings ang of M.

        Returns None if no point is accepted, else (fixes, init_pos (k, d), init_cov (k, d, d)):
        ``fixes`` holds the points as measurements of existing tracks -- in 3-D a horizontal-only
        SUB_HPOS measurement z = A_h p (east/north in the tangent plane at the fix, A_h the first
        two rows of the local ENU rotation there), R = A_h C_h A_h^T with C_h the horizontal
        Cramér-Rao covariance; in 2-D plain XY. ``init_pos``/``init_cov`` add the height for
        initiating a new track: from EO/IR elevations when the fix has some, otherwise the
        assumed ``bearing_height_agl_m`` above the nodes with sd ``bearing_height_sd_m``.
        """
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
            return None
        cnt = np.array([m_.size for m_ in res.members], dtype=np.int64)
        mem = np.concatenate(res.members).astype(np.int64)          # rows into ang
        fix_of = np.repeat(np.arange(k), cnt)
        mem_ptr = np.r_[0, np.cumsum(cnt)].astype(np.int64)
        mem_sens = s[mem].astype(np.int64)
        kinds = M.skind[ang[mem_ptr[:-1]]]
        ident = np.full(k, "", dtype=object)
        virt = np.full(k, len(self.sensors), dtype=np.int32)       # "triangulation" sensor
        z = np.full((k, 4), np.nan)
        R = np.zeros((k, 4, 4))
        if d == 2:
            z[:, :2] = res.pos
            R[:, :2, :2] = res.cov
            F = _GroupMeas(np.full(k, SUB_XY, np.int8), z, R, virt, kinds, ident,
                           res.pos.copy(), res.cov.copy(), None, mem_ptr, mem_sens)
            return F, res.pos, res.cov
        # height: from elevations, h = h_s + rho tan(el), var ~ (rho sigma_el / cos^2 el)^2
        # (inverse-variance weighted over the fix's AZEL members), else the assumed height
        gi = ang[mem]
        azel = M.sub[gi] == SUB_AZEL
        h = q3[mem, 2].astype(np.float64)
        w = np.zeros(mem.size)
        hs = np.zeros(mem.size)
        if azel.any():
            ia = np.flatnonzero(azel)
            rho = np.hypot(res.pos[fix_of[ia], 0] - q3[mem[ia], 0],
                           res.pos[fix_of[ia], 1] - q3[mem[ia], 1])
            el = M.z[gi[ia], 1]
            hs[ia] = q3[mem[ia], 2] + rho * np.tan(el)
            w[ia] = 1.0 / (rho * np.sqrt(M.R[gi[ia], 1, 1]) / np.cos(el) ** 2) ** 2
        wsum = np.bincount(fix_of, w, minlength=k)
        has_el = wsum > 0
        node_h = np.bincount(fix_of, h, minlength=k) / cnt
        hgt = np.where(has_el, np.bincount(fix_of, w * hs, minlength=k) / np.where(has_el, wsum,
                                                                                  1.0),
                       node_h + self.cfg.bearing_height_agl_m)
        hv = np.where(has_el, 1.0 / np.where(has_el, wsum, 1.0), self.cfg.bearing_height_sd_m ** 2)
        pp = np.column_stack([res.pos, hgt])
        C = np.zeros((k, 3, 3))
        C[:, :2, :2] = res.cov
        pos = c + pp @ Ac
        cov_h = K.symmetrize(Ac.T @ C @ Ac)            # horizontal only (rank 2), frame axes
        C[:, 2, 2] = hv
        cov = K.symmetrize(Ac.T @ C @ Ac)
        hrot = self.frame.local_enu_rotation(pos)[:, :2, :]
        z[:, :2] = np.einsum("kij,kj->ki", hrot, pos)
        R[:, :2, :2] = K.symmetrize(hrot @ cov_h @ np.swapaxes(hrot, 1, 2))
        gcov = cov_h.copy()
        gcov[:, 2, 2] = np.inf                          # says nothing about height
        F = _GroupMeas(np.full(k, SUB_HPOS, np.int8), z, R, virt, kinds, ident, pos.copy(),
                       gcov, hrot, mem_ptr, mem_sens)
        return F, pos, cov

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
        T.revisit[rows] = np.nan
        T.t_strong[rows] = tg
        T.dup_of[rows] = -1
        T.dup_n[rows] = 0
        T.attr[rows] = np.nan
        T.attr_t[rows] = np.nan
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
        age = t_ref - T.t_strong[:n]          # coast clock: time since the last strong update
        coast: float | F64 = cfg.coast_time_s
        if cfg.coast_revisit_factor > 0:
            # revisit-scaled coast time: clip(f x mean update interval, coast, max_coast)
            rv = T.revisit[:n]
            hi = max(cfg.max_coast_time_s, cfg.coast_time_s)
            coast = np.where(np.isnan(rv), cfg.coast_time_s,
                             np.clip(cfg.coast_revisit_factor * np.nan_to_num(rv),
                                     cfg.coast_time_s, hi))
        dead = (st == CONFIRMED) & (age > coast)
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

    # ---- duplicate-track merging ------------------------------------------------------------

    def _merge_duplicates(self, acc: _StepAcc, diag: dict[str, int]) -> None:
        """Merge confirmed tracks that stay statistically indistinguishable.

        Pair test (all vectorised; candidates from a k-d tree on horizontal positions): with
        u = [x, y, vx, vy] (horizontal position and velocity) and Pu the matching block of P,
        d^2 = (u_a - u_b)^T (Pu_a + Pu_b)^-1 (u_a - u_b) <= chi2_4(merge_gate_prob), the heights
        agree within the 1-D gate (3-D, where both heights were measured), the cooperative
        identities do not differ, and no sensor updated both tracks in the same group of this
        step with different detections (a sensor that sees two objects proves two targets).
        Each younger track keeps its best (smallest d^2) older partner and a counter of
        consecutive steps with the same partner; at ``merge_steps`` it is merged into the older
        track (lower id, kept).
        """
        T = self.T
        n = T.n
        if n == 0 or self._merge_d2 <= 0:
            return
        d = self.dims
        partner = np.full(n, -1, np.int64)          # row of the older partner
        conf = np.flatnonzero(T.status[:n] == CONFIRMED)
        if conf.size >= 2:
            hi = np.array([0, 1, d, d + 1])
            trp = np.trace(T.P[conf, :2, :2], axis1=1, axis2=2)
            # |dp|^2 <= d^2 * lambda_max(Pp_a + Pp_b) <= thr * 2 max(tr Pp_a, tr Pp_b): querying
            # each track with sqrt(2 thr tr Pp) finds every pair that can pass
            radius = np.sqrt(2.0 * self._merge_d2 * trp)
            pi, pj = assoc.self_pairs(T.x[conf, :2], radius)
            a, b = conf[pi], conf[pj]
            if a.size:
                if d == 2:
                    du = T.x[a] - T.x[b]
                    Su = T.P[a] + T.P[b]
                else:
                    du = T.x[a][:, hi] - T.x[b][:, hi]
                    Su = T.P[a][:, hi][:, :, hi] + T.P[b][:, hi][:, :, hi]
                d2, _, ok = K.mahalanobis_sq(du, Su)
                good = ok & (d2 <= self._merge_d2) & (T.t_state[a] == T.t_state[b])
                if d == 3:
                    # heights must agree within the 1-D gate -- where both were observed: a
                    # track never updated by a height-measuring kind carries an assumed height
                    dz2 = (T.x[a, 2] - T.x[b, 2]) ** 2 / (T.P[a, 2, 2] + T.P[b, 2, 2])
                    vert = np.isfinite(T.last_seen[:, _VERTICAL_KINDS])
                    both = vert[a].any(axis=1) & vert[b].any(axis=1)
                    good &= ~both | (dz2 <= self._gate_d2[1])
                ia, ib = T.identity[a], T.identity[b]
                good &= ~((ia != "") & (ib != "") & (ia != ib))
                a, b, d2 = a[good], b[good], d2[good]
            if a.size:
                good = ~self._distinct_evidence(T.ids[a], T.ids[b])
                a, b, d2 = a[good], b[good], d2[good]
            if a.size:
                young = np.where(T.ids[a] > T.ids[b], a, b)
                old = np.where(T.ids[a] > T.ids[b], b, a)
                order = np.lexsort((T.ids[old], d2, young))
                young, old = young[order], old[order]
                first = np.r_[True, young[1:] != young[:-1]]
                partner[young[first]] = old[first]
        pid = np.where(partner >= 0, T.ids[np.maximum(partner, 0)], -1)
        same = (pid >= 0) & (pid == T.dup_of[:n])
        T.dup_n[:n] = np.where(same, T.dup_n[:n] + 1, (pid >= 0).astype(np.int32))
        T.dup_of[:n] = pid
        ready = np.flatnonzero(T.dup_n[:n] >= self.cfg.merge_steps)
        if ready.size:
            self._merge_rows(ready, partner, acc, diag)

    def _distinct_evidence(self, ida: I64, idb: I64) -> NDArray[np.bool_]:
        """(P,) True where tracks ida[i] and idb[i] were updated by the same sensor in the same
        group of this step with different detections."""
        out = np.zeros(ida.size, dtype=bool)
        ev_ids, ev_code, ev_meas = self._acc.events()
        real = ev_code % (len(self.sensors) + 1) != len(self.sensors)    # not a fix update
        ev_ids, ev_code, ev_meas = ev_ids[real], ev_code[real], ev_meas[real]
        if ev_ids.size == 0:
            return out
        order = np.lexsort((ev_code, ev_ids))
        eid, ecode, emeas = ev_ids[order], ev_code[order], ev_meas[order]
        cmax = int(ecode.max()) + 1
        key = eid * cmax + ecode                       # sorted
        lo = np.searchsorted(eid, idb, "left")
        cnt = np.searchsorted(eid, idb, "right") - lo
        pair = np.repeat(np.arange(ida.size), cnt)
        eb = _ranges(lo, cnt)
        q = ida[pair] * cmax + ecode[eb]
        pos = np.minimum(np.searchsorted(key, q), key.size - 1)
        diff = (key[pos] == q) & (emeas[pos] != emeas[eb])
        out[pair[diff]] = True
        return out

    def _merge_rows(self, drop: I64, partner: I64, acc: _StepAcc, diag: dict[str, int]) -> None:
        """Merge rows ``drop`` into their older partners (chains resolved to the oldest).

        Fusion: the kept id (the oldest, lowest id) takes the state (x, P and IMM model states)
        of the group's best-updated member -- smallest horizontal position variance trace.
        Duplicates were fed by overlapping data, so their errors are correlated and a
        Kalman-style fusion would be overconfident; keeping the best estimate is the
        conservative choice (covariance intersection would be at most marginally better here
        because one member is usually far better: radar/ADS-B vs triangulated acoustics).
        Bookkeeping: latest update time, per-kind last_seen and hits are the maxima over the
        group, t_created the minimum; the identity is kept, or taken from a member.
        """
        T = self.T
        n = T.n
        par = np.arange(n)
        par[drop] = partner[drop]
        for _ in range(64):                              # pointer jumping: depth halves
            nxt = par[par]
            if np.array_equal(nxt, par):
                break
            par = nxt
        root = par[drop]
        mem = np.concatenate([np.unique(root), drop])
        grp = np.concatenate([np.unique(root), root])
        tr = np.trace(T.P[mem, :2, :2], axis1=1, axis2=2)
        order = np.lexsort((T.ids[mem], tr, grp))
        g_s, m_s = grp[order], mem[order]
        first = np.r_[True, g_s[1:] != g_s[:-1]]
        keep_r, best = g_s[first], m_s[first]
        mv = best != keep_r
        if mv.any():
            kr, br = keep_r[mv], best[mv]
            T.x[kr], T.P[kr] = T.x[br], T.P[br]
            T.xm[kr], T.Pm[kr], T.mu[kr] = T.xm[br], T.Pm[br], T.mu[br]
            T.revisit[kr] = T.revisit[br]
        np.maximum.at(T.t_strong, root, T.t_strong[drop])
        np.maximum.at(T.t_update, root, T.t_update[drop])
        np.maximum.at(T.hits, root, T.hits[drop])
        np.minimum.at(T.t_created, root, T.t_created[drop])
        np.fmax.at(T.last_seen, root, T.last_seen[drop])
        take_id = (T.identity[root] == "") & (T.identity[drop] != "")
        T.identity[root[take_id]] = T.identity[drop[take_id]]
        T.dup_of[keep_r] = -1
        T.dup_n[keep_r] = 0
        acc.merged.append(np.column_stack([T.ids[root], T.ids[drop]]).reshape(-1))
        acc.deleted.extend(T.ids[drop].tolist())
        diag["merged"] = diag.get("merged", 0) + int(drop.size)
        mask = np.ones(n, dtype=bool)
        mask[drop] = False
        T.keep(mask)

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


def _ranges(starts: I64, counts: I64) -> I64:
    """Concatenation of arange(s, s + c) for each (s, c), vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offs = np.cumsum(counts) - counts
    return np.repeat(starts - offs, counts) + np.arange(total, dtype=np.int64)


class _StepAcc:
    """Per-step id bookkeeping (ids, not rows: rows move when tracks are deleted)."""

    def __init__(self, n0: int) -> None:
        self.new: list[int] = []
        self.deleted: list[int] = []
        self.confirmed: list[int] = []
        self._touched: list[I64] = []
        self.merged: list[I64] = []
        self._ev_ids: list[I64] = []
        self._ev_code: list[I64] = []
        self._ev_meas: list[I64] = []

    def touch(self, ids: I64) -> None:
        self._touched.append(np.asarray(ids, np.int64))

    def event(self, ids: I64, code: I64, meas: I64) -> None:
        """Record updates: track ids, (group, sensor) code, (group, measurement) key."""
        self._ev_ids.append(ids)
        self._ev_code.append(code)
        self._ev_meas.append(meas)

    def merged_pairs(self) -> I64:
        """(k, 2) int64 [kept, dropped] ids merged in this step."""
        if not self.merged:
            return np.zeros((0, 2), np.int64)
        return np.concatenate(self.merged).reshape(-1, 2)

    def events(self) -> tuple[I64, I64, I64]:
        if not self._ev_ids:
            z = np.zeros(0, np.int64)
            return z, z, z
        return (np.concatenate(self._ev_ids), np.concatenate(self._ev_code),
                np.concatenate(self._ev_meas))

    def updated_ids(self) -> I64:
        return np.unique(np.concatenate(self._touched)) if self._touched else np.zeros(0, np.int64)
