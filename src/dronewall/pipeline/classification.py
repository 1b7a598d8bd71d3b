"""Classification scoring inside ``simulate``: the chain's class probabilities against truth.

Per platform (not per track fragment), using the continuity scorer's matches of each step
(``metrics.continuity``: which confirmed track holds which platform):

* **30 s after confirmation**: the label (``classify.labels``: the class, or the pooled
  ``one_way_uas`` when only the Shahed/Gerbera group is decided) and the MAP class of the track
  matched with the platform ``SCORE_AFTER_S`` after the platform was first matched (or at its
  first match after that);
* **at sovereign entry**: when a track matched with the platform first reports an entry into a
  reported sovereign zone, whether the picture called it a hostile one-way UAS (attack drone or
  decoy, summed probability >= 0.5) -- scored as hostile one-way UAS vs the rest.

The per-track figures of earlier versions (a track's MAP class 30 s after it was first seen
confirmed, against the platform it followed most) are kept as ``per_track``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from dronewall.airspace.events import Entry
from dronewall.catalog import PlatformClass
from dronewall.chain import StepRecord
from dronewall.classify.bayes import DEFAULT_CONFIG, ClassifierConfig
from dronewall.classify.labels import (
    LABEL_NAMES,
    ONE_WAY_UAS,
    label_correct,
    one_way_uas_p,
    reported_labels,
)
from dronewall.scenario import Scenario

#: Class is scored this long after the track was first seen confirmed, s.
SCORE_AFTER_S = 30.0


def classifier_config_for(sc: Scenario) -> ClassifierConfig:
    """The classifier settings of a scenario (or live site): the default models with the
    site's prior weights (``classification.prior``; classes not named keep the default
    weight)."""
    weights = sc.classification.prior
    if not weights:
        return DEFAULT_CONFIG
    names = [c.name for c in PlatformClass]
    prior = tuple(float(weights.get(n, w)) for n, w in zip(names, DEFAULT_CONFIG.prior,
                                                          strict=True))
    return replace(DEFAULT_CONFIG, prior=prior)


def _entry_split(ent: np.ndarray, hostile: np.ndarray, call: np.ndarray) -> dict[str, Any]:
    """Hostile one-way UAS vs the rest among the platforms ``ent`` (mask) scored at entry."""
    n = int(ent.sum())
    right = (call == 1) == hostile
    return {"platforms_scored": n, "hostile_scored": int((ent & hostile).sum()),
            "accuracy": round(float(right[ent].mean()), 4) if n else None}


class ClassificationScorer:
    def __init__(self, platform_cls: np.ndarray, reference_zones: set[str] | None = None
                 ) -> None:
        self.platform_cls = np.asarray(platform_cls, dtype=np.int64)
        self.reference = reference_zones or set()
        n = self.platform_cls.size
        # per platform: first matched time, label / MAP class at +SCORE_AFTER_S (-1 not yet),
        # one-way-UAS call at the first sovereign entry (-1 not yet, 0/1)
        self.p_first = np.full(n, np.nan)
        self.p_label = np.full(n, -1, np.int64)
        self.p_map = np.full(n, -1, np.int64)
        self.p_decided = np.zeros(n, bool)
        self.p_entry_call = np.full(n, -1, np.int64)
        # ... and whether that entry was an observed crossing (a position outside, then one
        # inside) rather than the track's first detection inside
        self.p_entry_observed = np.zeros(n, bool)
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

    def observe(self, rec: StepRecord, matches: tuple[np.ndarray, np.ndarray]) -> None:
        """One step: the record and this step's matches (platform indices, track ids)."""
        cl = rec.classified
        if cl is None or cl.classes.ids.size == 0:
            return
        t, res = rec.t, cl.classes
        self._per_platform(rec, matches)
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

    def _per_platform(self, rec: StepRecord, matches: tuple[np.ndarray, np.ndarray]) -> None:
        cl = rec.classified
        assert cl is not None
        plat, trk = matches
        if plat.size == 0:
            return
        t, res = rec.t, cl.classes
        new = np.isnan(self.p_first[plat])
        self.p_first[plat[new]] = t
        row = np.searchsorted(res.ids, trk)
        row = np.minimum(row, res.ids.size - 1)
        ok = res.ids[row] == trk
        plat, row = plat[ok], row[ok]
        due = (self.p_label[plat] < 0) & (t - self.p_first[plat] >= SCORE_AFTER_S)
        if due.any():
            lab, _, dec = reported_labels(res.prob[row[due]])
            self.p_label[plat[due]] = lab
            self.p_map[plat[due]] = res.map_class[row[due]]
            self.p_decided[plat[due]] = dec
        ents = [e for e in rec.events if isinstance(e, Entry) and e.zone_kind == "sovereign"
                and e.zone_id not in self.reference]
        if ents:
            entered = [int(e.track_id) for e in ents]
            observed = [int(e.track_id) for e in ents if e.interpolated]
            k = np.isin(trk[ok], entered) & (self.p_entry_call[plat] < 0)
            if k.any():
                call = one_way_uas_p(res.prob[row[k]]) >= 0.5
                self.p_entry_call[plat[k]] = call.astype(np.int64)
                self.p_entry_observed[plat[k]] = np.isin(trk[ok][k], observed)

    def platform_summary(self, entered_truth: set[int] | None = None) -> dict[str, Any]:
        """Per-platform figures; ``entered_truth``: platform indices that truly entered a
        reported sovereign zone (to count the ones never tracked at entry)."""
        sc = self.p_label >= 0
        tc = self.platform_cls
        ok_lab = label_correct(self.p_label[sc], tc[sc])
        ok_map = self.p_map[sc] == tc[sc]
        by_class: dict[str, dict[str, Any]] = {}
        names = [c.name.lower() for c in PlatformClass]
        for c in np.unique(tc[sc]).tolist():
            m = tc[sc] == c
            labs, cnt = np.unique(self.p_label[sc][m], return_counts=True)
            by_class[names[c]] = {
                "platforms": int(m.sum()),
                "label_correct": int(ok_lab[m].sum()),
                "class_correct": int(ok_map[m].sum()),
                "labels": {LABEL_NAMES[a]: int(b) for a, b in zip(labs.tolist(), cnt.tolist(),
                                                                  strict=True)},
            }
        ent = self.p_entry_call >= 0
        hostile = np.isin(tc, ONE_WAY_UAS)
        right = (self.p_entry_call == 1) == hostile
        n_ent = int(ent.sum())
        missed_entry = (sorted(set(entered_truth) - set(np.flatnonzero(ent).tolist()))
                        if entered_truth is not None else [])
        return {
            "scored_platforms": int(sc.sum()),
            "accuracy_30s_after_confirmation": (round(float(ok_lab.mean()), 4)
                                                if sc.any() else None),
            "class_accuracy_30s_after_confirmation": (round(float(ok_map.mean()), 4)
                                                      if sc.any() else None),
            "decided_30s_after_confirmation": (round(float(self.p_decided[sc].mean()), 4)
                                               if sc.any() else None),
            "by_true_class": by_class,
            "one_way_uas_at_sovereign_entry": {
                "platforms_scored": n_ent,
                "hostile_scored": int((ent & hostile).sum()),
                "accuracy": round(float(right[ent].mean()), 4) if n_ent else None,
                "hostile_called_hostile": int((ent & hostile & (self.p_entry_call == 1)).sum()),
                "others_called_hostile": int((ent & ~hostile & (self.p_entry_call == 1)).sum()),
                "entered_but_no_track_entry": len(missed_entry),
                # the same call split by how the scored entry is known: at an observed
                # crossing, or at the track's first detection inside (first contact)
                "by_evidence": {
                    name: _entry_split(ent & m, hostile, self.p_entry_call)
                    for name, m in (("observed_crossing", self.p_entry_observed),
                                    ("first_detected_inside", ~self.p_entry_observed))},
            },
        }

    def summary(self, followed: dict[int, int],
                entered_truth: set[int] | None = None) -> dict[str, Any]:
        """``followed``: track id -> index of the true platform it followed most."""
        names = [c.name.lower() for c in PlatformClass]
        conf = np.zeros((len(names), len(names)), dtype=np.int64)
        for tk, pred in self.scored.items():
            if tk in followed:
                conf[int(self.platform_cls[followed[tk]]), pred] += 1
        total = int(conf.sum())
        per_class = {names[c]: round(float(conf[c, c] / conf[c].sum()), 4)
                     for c in range(len(names)) if conf[c].sum()}
        out = self.platform_summary(entered_truth)
        out["per_track"] = {
            "scored_tracks": total,
            "accuracy_30s_after_confirmation": (round(float(np.trace(conf) / total), 4)
                                                if total else None),
            "recall_by_class": per_class,
            "confusion_matrix": {"rows_truth_cols_predicted": names, "counts": conf.tolist()},
            "tracks_inheriting_class_from_a_fragment": len(self.inherited),
        }
        return out
