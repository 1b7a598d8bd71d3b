"""What the engine hands out: ``StepResult`` (one step) and ``TrackSnapshot`` (the picture)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.tracking.table import CONFIRMED, LOST, REACQ

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class StepResult:
    """What one :meth:`Engine.step` did.

    Id arrays are int64 track ids. ``updated`` = updated at least once; ``coasted`` = confirmed,
    alive and not updated in this step; ``confirmed`` = became confirmed in this step.
    ``quarantined`` counts rejected input rows per reason (see ``QUARANTINE_REASONS``);
    ``quarantined_rows``/``quarantined_reasons`` say which rows of this call's batch.
    ``timings_s`` are wall seconds per stage. ``merged`` (k, 2) int64 rows ``[kept, dropped]``:
    duplicate tracks merged in this step (the dropped id is also listed in ``deleted``).
    ``lost``: confirmed tracks whose coast time ran out in this step (no longer reported, kept
    for re-acquisition); ``reacquired``: lost tracks reported again under their own id (a
    strong update, or a new track stitched into them). ``update_origin`` (k, 2) int64 rows
    ``[track id, truth_id]``: each detection (position-type or angle) that updated a track in
    this step, with the detection's ``truth_id`` echoed for evaluation (-1 where the source
    gives none, as every live feed); the engine never reads it.
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
    lost: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    reacquired: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    update_origin: I64 = field(default_factory=lambda: np.zeros((0, 2), np.int64))


@dataclass(frozen=True)
class TrackSnapshot:
    """Read-only copy of the track table (rows = live tracks, ordered by id).

    ids (N,), status (N,) 1 tentative / 2 confirmed, x (N, n), P (N, n, n) in the engine frame,
    t_state (N,) time of x, t_update (N,) last update, t_created (N,), hits (N,),
    identity (N,) cooperative id ("" none), last_seen (N, n_sensor_kinds) last update time by
    SensorKind (NaN never), model_prob (N, r) IMM model probabilities (r = 1 without IMM),
    attr (N, N_ATTR) last sensor attribute values from associated detections (``ATTR_NAMES``:
    RCS dBsm, acoustic class, RF protocol, EO/IR label; NaN none) and attr_t (N, N_ATTR) their
    times; t_strong (N,) the last strong update (below).
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
    t_strong: F64 | None = None
    """(N,) time of each track's last *strong* update, s -- one that fixed its position (a
    position-type detection, a fix, or bearings from enough sensors to triangulate); a single
    sensor's bearing moves a track along its line without locating it. None: not known
    (every update counts)."""

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per track (for reports / JSON)."""
        out = []
        for i in range(self.ids.size):
            out.append({
                "id": int(self.ids[i]),
                "status": ("confirmed" if self.status[i] == CONFIRMED else
                           "lost" if self.status[i] in (LOST, REACQ) else "tentative"),
                "x": self.x[i].tolist(),
                "pos_sd_m": np.sqrt(np.clip(np.diagonal(self.P[i])[: self.x.shape[1] // 2],
                                            0, None)).tolist(),
                "t_state": float(self.t_state[i]),
                "t_update": float(self.t_update[i]),
                "identity": str(self.identity[i]),
            })
        return out
