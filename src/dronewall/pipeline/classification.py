"""Classification inside ``simulate``: feeds confirmed tracks' kinematics and sensor attributes to
the recursive Bayesian classifier (``dronewall.classify.bayes``) every step, and scores it.

Per-track state lives in arrays keyed by track id (sorted ids + ``searchsorted``), never one
object per track. Scoring: a track's truth class is the class of the platform it followed most
(``pipeline.follow``); its predicted class is the MAP
class ``SCORE_AFTER_S`` after confirmation (issue 5's "30 s after confirmation").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dronewall.catalog import PlatformClass
from dronewall.classify import CLASS_NAMES, Evidence, bayes
from dronewall.detections import SensorKind
from dronewall.geo import Frame
from dronewall.tracking import ATTR_NAMES

#: Class is scored this long after the track was first seen confirmed, s.
SCORE_AFTER_S = 30.0

_A = {n: i for i, n in enumerate(ATTR_NAMES)}


class ClassificationStage:
    def __init__(self, frame: Frame, platform_cls: np.ndarray) -> None:
        self.frame = frame
        self.platform_cls = platform_cls
        self.ids = np.zeros(0, np.int64)          # sorted track ids with state
        self.logp = np.zeros((0, len(CLASS_NAMES)))
        self.t_last = np.zeros(0)
        self.heading = np.zeros(0)
        self.t_first = np.zeros(0)
        self.scored: dict[int, int] = {}          # track id -> MAP class at SCORE_AFTER_S

    def _rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows of ``ids`` in the state arrays, adding new tracks (prior, NaN history)."""
        new = np.setdiff1d(ids, self.ids)
        if new.size:
            allid = np.concatenate([self.ids, new])
            order = np.argsort(allid, kind="stable")
            n = new.size
            self.ids = allid[order]
            self.logp = np.concatenate([self.logp, bayes.initial(n)])[order]
            self.t_last = np.concatenate([self.t_last, np.full(n, np.nan)])[order]
            self.heading = np.concatenate([self.heading, np.full(n, np.nan)])[order]
            self.t_first = np.concatenate([self.t_first, np.full(n, np.nan)])[order]
        return np.searchsorted(self.ids, ids)

    def step(self, t: float, snap: Any, pos: np.ndarray, vel: np.ndarray) -> np.ndarray:
        """Update confirmed tracks ``snap`` (positions/velocities (N, 3) in the engine frame at t);
        return (N, C) class probabilities."""
        n = snap.ids.size
        if n == 0:
            return np.zeros((0, len(CLASS_NAMES)))
        rows = self._rows(snap.ids)
        lat, lon, alt = self.frame.local_to_geodetic(pos)
        v = np.einsum("nij,nj->ni", self.frame.local_enu_rotation(pos), vel)
        hdg = np.degrees(np.arctan2(v[:, 0], v[:, 1]))
        dt = t - self.t_last[rows]
        turn = ((hdg - self.heading[rows] + 180.0) % 360.0 - 180.0) / np.where(dt > 0, dt, np.nan)
        fresh = snap.attr_t == t  # attributes reported in this step (NaN compares False)

        def code(name: str) -> np.ndarray:
            c = np.where(fresh[:, _A[name]], snap.attr[:, _A[name]], -1.0)
            return np.nan_to_num(c, nan=-1.0).astype(np.int16)

        ev = Evidence(
            speed_mps=np.hypot(v[:, 0], v[:, 1]), alt_m=alt, climb_mps=v[:, 2],
            turn_dps=np.abs(turn), dt_s=np.where(np.isfinite(dt), dt, 1.0),
            rcs_dbsm=np.where(fresh[:, _A["rcs_dbsm"]], snap.attr[:, _A["rcs_dbsm"]], np.nan),
            acoustic_class=code("acoustic_class"), rf_protocol=code("rf_protocol"),
            eo_label=code("eo_label"),
            has_adsb=snap.last_seen[:, SensorKind.ADSB] == t,
            has_remote_id=snap.last_seen[:, SensorKind.REMOTE_ID] == t)
        self.logp[rows], _ = bayes.update(self.logp[rows], ev)
        self.t_last[rows] = t
        self.heading[rows] = hdg
        first = np.isnan(self.t_first[rows])
        self.t_first[rows[first]] = t
        due = (t - self.t_first[rows] >= SCORE_AFTER_S)
        if due.any():
            cls = bayes.map_class(self.logp[rows[due]])
            for tk, c in zip(snap.ids[due].tolist(), cls.tolist()):
                self.scored.setdefault(int(tk), int(c))
        return bayes.probabilities(self.logp[rows])

    def summary(self, followed: dict[int, int]) -> dict[str, Any]:
        """``followed``: track id -> index of the true platform it followed most."""
        names = [c.name.lower() for c in PlatformClass]
        conf = np.zeros((len(names), len(names)), dtype=np.int64)
        for tk, pred in self.scored.items():
            if tk in followed:
                conf[int(self.platform_cls[followed[tk]]), pred] += 1
        total = int(conf.sum())
        return {
            "scored_tracks": total,
            "accuracy_30s_after_confirmation": round(float(np.trace(conf) / total), 4) if total else None,
            "confusion_matrix": {"rows_truth_cols_predicted": names, "counts": conf.tolist()},
        }
