"""Tracking quality against truth over a run, from plain per-scan arrays.

Each scan gives truth ids + positions and reported track ids + positions (any number of
dimensions). Per scan, truth and tracks are paired by the GOSPA assignment (pairs closer than the
cut-off c). Over the run:

* mean GOSPA, mean localisation, missed / false counts per scan (alpha = 2 decomposition);
* **track breaks**: a truth paired at its previous scan and unpaired now (while still present);
* **ID switches**: a truth paired with track a at its last paired scan and now with b != a;
* **confirmation latency**: per truth, time of the first scan where it is paired minus its first
  detection time (``first_detection_time``) or, if not given, its first appearance in truth.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.metrics.gospa import DEFAULT_C_M, DEFAULT_P, gospa

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class ScanData:
    """One scan: t (s), truth_ids (n,), truth_pos (n, d) m, track_ids (m,), track_pos (m, d) m."""

    t: float
    truth_ids: ArrayLike
    truth_pos: ArrayLike
    track_ids: ArrayLike
    track_pos: ArrayLike


@dataclass(frozen=True)
class TrackingMetrics:
    """Run-level tracking metrics (see module docstring). Per-scan arrays have one row per scan."""

    gospa_per_scan: F64
    missed_per_scan: NDArray[np.int64]
    false_per_scan: NDArray[np.int64]
    gospa_mean: float
    localisation_mean: float
    missed_mean: float
    false_mean: float
    mean_paired_error: float
    track_breaks: int
    id_switches: int
    confirm_latency_s: dict[int, float]
    confirm_latency_mean_s: float
    never_tracked: int
    unique_track_ids: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "gospa_mean": self.gospa_mean, "localisation_mean": self.localisation_mean,
            "missed_mean": self.missed_mean, "false_mean": self.false_mean,
            "mean_paired_error": self.mean_paired_error, "track_breaks": self.track_breaks,
            "id_switches": self.id_switches, "confirm_latency_mean_s": self.confirm_latency_mean_s,
            "never_tracked": self.never_tracked, "unique_track_ids": self.unique_track_ids,
            "scans": int(self.gospa_per_scan.size),
        }


def tracking_metrics(scans: Iterable[ScanData], c: float = DEFAULT_C_M, p: float = DEFAULT_P,
                     first_detection_time: dict[int, float] | None = None) -> TrackingMetrics:
    """Compute :class:`TrackingMetrics` over ``scans`` (in time order)."""
    g_l: list[float] = []
    loc_l: list[float] = []
    mis_l: list[int] = []
    fal_l: list[int] = []
    err_sum = 0.0
    n_pair = 0
    last_track: dict[int, int] = {}       # truth id -> track id at last paired scan
    paired_prev: set[int] = set()
    first_seen: dict[int, float] = {}
    first_paired: dict[int, float] = {}
    breaks = switches = 0
    track_ids_all: set[int] = set()
    for sc in scans:
        tid = np.asarray(sc.truth_ids, dtype=np.int64).reshape(-1)
        kid = np.asarray(sc.track_ids, dtype=np.int64).reshape(-1)
        X = np.asarray(sc.truth_pos, dtype=np.float64)
        Y = np.asarray(sc.track_pos, dtype=np.float64)
        X = X.reshape(tid.size, -1) if tid.size else X.reshape(0, X.shape[-1] if X.ndim == 2 else 0)
        Y = Y.reshape(kid.size, -1) if kid.size else Y.reshape(0, Y.shape[-1] if Y.ndim == 2 else 0)
        track_ids_all.update(kid.tolist())
        r = gospa(X, Y, c, p)
        g_l.append(r.gospa)
        loc_l.append(r.localisation)
        mis_l.append(r.missed)
        fal_l.append(r.false)
        paired_now: set[int] = set()
        for i, j in r.pairs.tolist():
            tr, tk = int(tid[i]), int(kid[j])
            paired_now.add(tr)
            err_sum += float(np.linalg.norm(X[i] - Y[j]))
            n_pair += 1
            if tr in last_track and last_track[tr] != tk:
                switches += 1
            last_track[tr] = tk
            first_paired.setdefault(tr, float(sc.t))
        for tr in tid.tolist():
            first_seen.setdefault(int(tr), float(sc.t))
            if tr in paired_prev and tr not in paired_now:
                breaks += 1
        paired_prev = paired_now
    fd = first_detection_time or {}
    lat: dict[int, float] = {}
    for tr, t0 in first_seen.items():
        start = fd.get(tr, t0)
        lat[tr] = first_paired[tr] - start if tr in first_paired else float("nan")
    lv = np.array([v for v in lat.values() if np.isfinite(v)])
    g = np.array(g_l)
    return TrackingMetrics(
        gospa_per_scan=g, missed_per_scan=np.array(mis_l, np.int64),
        false_per_scan=np.array(fal_l, np.int64),
        gospa_mean=float(g.mean()) if g.size else float("nan"),
        localisation_mean=float(np.mean(loc_l)) if loc_l else float("nan"),
        missed_mean=float(np.mean(mis_l)) if mis_l else float("nan"),
        false_mean=float(np.mean(fal_l)) if fal_l else float("nan"),
        mean_paired_error=err_sum / n_pair if n_pair else float("nan"),
        track_breaks=breaks, id_switches=switches, confirm_latency_s=lat,
        confirm_latency_mean_s=float(lv.mean()) if lv.size else float("nan"),
        never_tracked=int(sum(1 for v in lat.values() if not np.isfinite(v))),
        unique_track_ids=len(track_ids_all))
