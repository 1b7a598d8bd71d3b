"""The engine's state fields, declared once for the mixin classes that make up ``Engine``.

Mechanism: ``Engine`` (engine.py) is assembled from one mixin class per concern --
``intake._DetectionIntake`` (validation, quarantine, reorder buffer),
``measurements._MeasurementModels`` (group measurements, measurement models, gating geometry),
``update._GroupUpdate`` (prediction, association, Kalman/PDA updates),
``initiation._TrackInitiation`` (initiation exclusion, triangulation, new tracks) and
``management._TrackManagement`` (confirmation, coasting/deletion, duplicate merging, history).
Each derives from :class:`EngineState`, which only *declares* the fields (set in
``Engine.__init__``), so every module states what it reads. A mixin that calls another
concern's methods derives from that concern (initiation -> update -> measurements), so the
dependencies are visible in the class statements.

Why mixins rather than module-level functions: the per-group hot path calls across these
concerns dozens of times per group, all reading and mutating the same track table, step
accumulator and group counters. Methods on one object keep every call and every numeric line
exactly as they were in the single-file engine (same operation order, same results) and keep
the call overhead unchanged, without threading ~15 state fields through argument lists.
Helpers that need no engine state are plain functions (``table._ranges``,
``intake.row_keys``, ``measurements.detection_attributes``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.detections.batch import DetectionBatch, SensorTable
from dronewall.geo.frames import Frame
from dronewall.tracking.config import TrackerConfig
from dronewall.tracking.table import _StepAcc, _Table

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class EngineState:
    """Field declarations shared by the engine mixins (no behaviour; see the module doc)."""

    cfg: TrackerConfig
    frame: Frame
    sensors: SensorTable
    dims: int                           # spatial dimensions, 2 or 3
    ns: int                             # state size, 2 * dims
    r: int                              # motion models (1 without IMM)
    T: _Table                           # the track table
    _sub_dim: dict[int, int]            # measurement dimension per SUB_* code
    _spos: F64                          # (S, 3) sensor positions in the engine frame, m
    _sA: F64                            # (S, 3, 3) rotation engine frame -> sensor ENU
    _skind: NDArray[np.int8]            # (S,) SensorKind of each sensor
    _models: list[tuple[str, float, float, float]]  # (kind, q_h m^2/s^3, q_v, omega rad/s)
    _sojourn: F64                       # (r,) IMM mean sojourn per model, s (IMM only)
    _mu0: F64                           # (r,) IMM model probabilities of a new track (IMM only)
    _next_id: int                       # id of the next new track
    _t_now: float                       # latest step time seen, s
    _t_processed: float                 # time of the last processed group, s
    _pending: DetectionBatch            # reorder buffer: accepted, not yet processed rows
    _pending_keys: NDArray[np.void]     # their duplicate-detection keys
    _recent_keys: NDArray[np.void]      # keys of processed rows at the last processed time
    _recent_t: F64                      # ... and their times, s
    _H_xy: F64                          # (2, ns) XY measurement matrix
    _H_pos: F64                         # (dims, ns) position measurement matrix
    _chi2_gate: float                   # gate_mahalanobis^2 (normalised gate, miss cost)
    _lost_d2: float                     # lost_gate_mahalanobis^2 (0: the gate)
    _gate_prob: float                   # gate probability of a 2-D measurement
    _gate_d2: F64                       # (5,) chi-square gate per measurement dimension 1..4
    _acc: _StepAcc                      # bookkeeping of the step in progress
    _gseq: int                          # index of the group being processed within the step
    _score_on: bool                     # radar track score on (score_false_alarm_density_m3)
    _t_maintained: float                # time of the last track maintenance, s
    _t_group: float                     # time of the group being processed, s
    _merge_d2: float                    # chi-square(4) duplicate-merge gate (0: off)
    _distinct_keys: I64                 # track-id pairs (lo << 32 | hi) seen as two targets
    _distinct_t: F64                    # ... and when last, s (merge_distinct_memory_s)
    _apart_keys: I64                    # pairs ever seen as two targets, both still kept
    _stitch_d2: float                   # chi-square(4) gate for stitching into a lost track
