"""The engine's struct-of-arrays track table and its per-step id bookkeeping.

``_Table`` owns one array per track column (rows = tracks, live rows packed in ``[0, n)``);
``_StepAcc`` records, by track id, what one :meth:`Engine.step` did (new, confirmed, deleted,
merged, updated tracks and the (track, sensor, group, measurement) update events that the
initiation exclusion and duplicate merging read). A new track column is added here (``COLS``,
``__init__``, the fill value in ``reserve``) and initialised in ``initiation._initiate``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.detections.batch import SensorKind

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

# track status codes (int8 column). LOST: a confirmed track that has not been reported since
# its coast time ran out, kept (unreported) for re-acquisition within TrackerConfig.lost_window_s
TENTATIVE = 1
CONFIRMED = 2
LOST = 3
REACQ = 4   # a lost track with one new strong update: reported again at its next one
N_SENSOR_KINDS = len(SensorKind)

#: Sensor attributes a track carries from its associated detections (for classification):
#: radar RCS estimate (dBsm), acoustic signature class (AcousticClass code), RF protocol
#: (RFProtocol code), EO/IR class label (PlatformClass code). Last value and its time.
ATTR_NAMES = ("rcs_dbsm", "acoustic_class", "rf_protocol", "eo_label", "micro_doppler",
              "acoustic_sl_db")
N_ATTR = len(ATTR_NAMES)
#: Columns of ``_Table.emit_last``: time, sensor index and the three emitter features.
EMIT_LAST_COLS = 5
#: Stride separating measurement rows of different groups in update-event keys (> rows/group).
EVENT_MEAS_STRIDE = 1 << 32


class _Table:
    """Struct-of-arrays track table. Live rows are packed in [0, n)."""

    COLS = ("x", "P", "xm", "Pm", "mu", "ids", "status", "hits", "opps", "t_state", "t_update",
            "t_created", "identity", "last_seen", "hist_x", "hist_t", "hist_count", "revisit",
            "t_strong", "t_good", "reacq_n", "dup_of", "dup_n", "held", "attr", "attr_t", "score",
            "P_upd", "t_pupd", "emit_last")

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
        self.t_good = np.zeros(cap)                    # last strong update while reported, s
        self.reacq_n = np.zeros(cap, np.int32)         # strong updates since it was lost
        self.dup_of = np.full(cap, -1, np.int64)       # duplicate-candidate partner id
        self.dup_n = np.zeros(cap, np.int32)           # consecutive indistinguishable steps
        self.held = np.zeros(cap, bool)                # confirmable, held as a duplicate
        self.attr = np.full((cap, N_ATTR), np.nan)     # last sensor attribute values
        self.attr_t = np.full((cap, N_ATTR), np.nan)   # ... and their times, s
        self.score = np.full(cap, np.nan)              # tentative track score (NaN: none)
        self.P_upd = np.zeros((cap, ns, ns))           # P after the latest update ...
        self.t_pupd = np.zeros(cap)                    # ... and its time, s
        # the last emitter-feature bearing that updated it: time s, sensor index, then the
        # features of emitters.FEATURES (NaN: none; emitter cross-fixes, emitters.py)
        self.emit_last = np.full((cap, EMIT_LAST_COLS), np.nan)

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
            elif name in ("last_seen", "revisit", "attr", "attr_t", "score", "emit_last"):
                b[:] = np.nan
            elif name == "dup_of":
                b[:] = -1
            b[: self.n] = a[: self.n]
            setattr(self, name, b)
        self.cap = cap

    def swap(self, a: I64, b: I64) -> None:
        """Exchange rows ``a[i]`` and ``b[i]`` in every column (disjoint row sets)."""
        for c in self.COLS:
            v = getattr(self, c)
            va = v[a].copy()
            v[a] = v[b]
            v[b] = va

    def keep(self, mask: NDArray[np.bool_]) -> None:
        """Compact live rows keeping ``mask`` (n,), order preserved."""
        idx = np.flatnonzero(mask)
        k = idx.size
        for name in self.COLS:
            a = getattr(self, name)
            a[:k] = a[idx]
        self.identity[k: self.n] = ""
        self.n = k


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
        self.lost: list[int] = []          # confirmed -> lost (no longer reported)
        self.reacquired: list[int] = []    # lost -> confirmed again (same id)
        self._touched: list[I64] = []
        self.merged: list[I64] = []
        self._ev_ids: list[I64] = []
        self._ev_code: list[I64] = []
        self._ev_meas: list[I64] = []
        self._origin: list[I64] = []

    def origin(self, ids: I64, truth: NDArray[np.int32]) -> None:
        """Record the ``truth_id`` (echoed, analysis only) of the detections that updated
        tracks ``ids``."""
        self._origin.append(np.stack([np.asarray(ids, np.int64),
                                      np.asarray(truth, np.int64)], axis=1))

    def origins(self) -> I64:
        """(k, 2) int64 rows ``[track id, truth_id]``, in update order."""
        if not self._origin:
            return np.zeros((0, 2), np.int64)
        return np.concatenate(self._origin)

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
