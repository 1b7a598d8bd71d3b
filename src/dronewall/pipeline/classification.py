"""Classification inside ``simulate``: runs the core :class:`TrackClassifier` on the confirmed
tracks every step and scores it against truth.

Scoring: a track's truth class is the class of the platform it followed most
(``pipeline.follow``); its predicted class is the MAP class ``SCORE_AFTER_S`` after the track was
first seen confirmed (issue 5's "30 s after confirmation"). Tracks confirmed for less than that
are not scored.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dronewall.catalog import PlatformClass
from dronewall.classify.tracks import ClassStep, TrackClassifier
from dronewall.geo import Frame

#: Class is scored this long after the track was first seen confirmed, s.
SCORE_AFTER_S = 30.0


class ClassificationStage:
    def __init__(self, frame: Frame, platform_cls: np.ndarray) -> None:
        self.classifier = TrackClassifier(frame)
        self.platform_cls = platform_cls
        # per track id (sorted): first time seen confirmed, MAP class when scored (-1: not yet)
        self.ids = np.zeros(0, np.int64)
        self.t_first = np.zeros(0)
        self.cls_at = np.zeros(0, np.int64)

    @property
    def scored(self) -> dict[int, int]:
        """Track id -> MAP class ``SCORE_AFTER_S`` after it was first seen confirmed."""
        k = self.cls_at >= 0
        return dict(zip(self.ids[k].tolist(), self.cls_at[k].tolist(), strict=True))

    def step(self, t: float, snap: Any, pos: np.ndarray, vel: np.ndarray,
             coop_trusted: np.ndarray | None = None) -> ClassStep:
        """Classify the confirmed tracks ``snap`` (positions/velocities (N, 3) in the engine
        frame at t); return the step's class probabilities, MAP classes and evidence."""
        res = self.classifier.step(t, snap, pos, vel, coop_trusted)
        ids = res.ids
        new = np.setdiff1d(ids, self.ids)
        if new.size:
            allid = np.concatenate([self.ids, new])
            order = np.argsort(allid, kind="stable")
            self.ids = allid[order]
            self.t_first = np.concatenate([self.t_first, np.full(new.size, t)])[order]
            self.cls_at = np.concatenate([self.cls_at, np.full(new.size, -1)])[order]
        rows = np.searchsorted(self.ids, ids)
        due = (self.cls_at[rows] < 0) & (t - self.t_first[rows] >= SCORE_AFTER_S)
        self.cls_at[rows[due]] = res.map_class[due]
        return res

    def summary(self, followed: dict[int, int]) -> dict[str, Any]:
        """``followed``: track id -> index of the true platform it followed most."""
        names = [c.name.lower() for c in PlatformClass]
        conf = np.zeros((len(names), len(names)), dtype=np.int64)
        for tk, pred in self.scored.items():
            if tk in followed:
                conf[int(self.platform_cls[followed[tk]]), pred] += 1
        total = int(conf.sum())
        per_class = {names[c]: round(float(conf[c, c] / conf[c].sum()), 4)
                     for c in range(len(names)) if conf[c].sum()}
        return {
            "scored_tracks": total,
            "accuracy_30s_after_confirmation": (round(float(np.trace(conf) / total), 4)
                                                if total else None),
            "recall_by_class": per_class,
            "confusion_matrix": {"rows_truth_cols_predicted": names, "counts": conf.tolist()},
            "tracks_inheriting_class_from_a_fragment": len(self.classifier.lineage),
        }
