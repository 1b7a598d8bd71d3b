"""Classification scoring inside ``simulate``: the chain's class probabilities against truth.

Scoring: a track's truth class is the class of the platform it followed most
(``pipeline.follow``); its predicted class is the MAP class ``SCORE_AFTER_S`` after the track was
first seen confirmed (issue 5's "30 s after confirmation"). Tracks confirmed for less than that
are not scored.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dronewall.catalog import PlatformClass
from dronewall.chain import StepRecord

#: Class is scored this long after the track was first seen confirmed, s.
SCORE_AFTER_S = 30.0


class ClassificationScorer:
    def __init__(self, platform_cls: np.ndarray) -> None:
        self.platform_cls = platform_cls
        # per track id (sorted): first time seen confirmed, MAP class when scored (-1: not yet)
        self.ids = np.zeros(0, np.int64)
        self.t_first = np.zeros(0)
        self.cls_at = np.zeros(0, np.int64)
        self.inherited: set[int] = set()

    @property
    def scored(self) -> dict[int, int]:
        """Track id -> MAP class ``SCORE_AFTER_S`` after it was first seen confirmed."""
        k = self.cls_at >= 0
        return dict(zip(self.ids[k].tolist(), self.cls_at[k].tolist(), strict=True))

    def observe(self, rec: StepRecord) -> None:
        cl = rec.classified
        if cl is None or cl.classes.ids.size == 0:
            return
        t, res = rec.t, cl.classes
        ids = res.ids
        self.inherited.update(ids[res.inherited >= 0].tolist())
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
            "tracks_inheriting_class_from_a_fragment": len(self.inherited),
        }
