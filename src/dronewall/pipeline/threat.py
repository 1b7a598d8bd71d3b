"""Threat evaluation inside ``simulate``: the ranked list with reasons (``threats.csv``) and its
score against truth.

The chain's threat stage ranks the confirmed tracks every step
(:mod:`dronewall.engagement.threat`). :class:`ThreatWriter` writes the top ``TOP_K`` of each
step (the operator's threat board); :class:`ThreatScorer` checks, per step, whether any track
following a bird outranked a track following an inbound attack drone (issue 5: "a bird flock
is not ranked above an inbound Shahed").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dronewall.catalog import PlatformClass
from dronewall.chain import StepRecord
from dronewall.classify.coop_tracks import TRUST_NAMES, TRUST_SUSPECT
from dronewall.engagement.threat import CLASS_NAMES, AssetTable, reasons
from dronewall.io import TableWriter

#: Rows of the ranked list written per step (the operator's threat board).
TOP_K = 20


class ThreatWriter:
    """Sink: the top ``TOP_K`` tracks (score > 0) of each step with reasons."""

    def __init__(self, assets: AssetTable, out: Path, fmt: str) -> None:
        self.assets = assets
        self.writer = TableWriter(out / "threats", fmt)

    def write(self, rec: StepRecord) -> None:
        ta, pic, cl = rec.threats, rec.picture, rec.classified
        if ta is None or pic is None or cl is None:
            return
        order = ta.order()
        top = order[ta.score[order] > 0][:TOP_K]
        if top.size == 0:
            return
        cls, trust = cl.classes, cl.trust
        ident = np.asarray(pic.identity).astype(str)
        note = np.where(trust[top] == TRUST_SUSPECT,
                        np.char.add("claims identity ", ident[top]).astype(object)
                        + " (suspected spoofing)", "").astype(object)
        why = reasons(ta, top, cls.prob, self.assets, cls.evidence, None)
        why = [w + (f"; {nt}" if nt else "") for w, nt in zip(why, note.tolist(), strict=True)]
        a = ta.asset[top]
        self.writer.append({
            "t_s": np.full(top.size, rec.t), "rank": ta.rank[top], "track_id": pic.ids[top],
            "score": ta.score[top], "value_at_risk_eur": ta.value_at_risk_eur[top],
            "class": np.asarray(CLASS_NAMES, dtype=object)[cls.map_class[top]].astype(str).tolist(),
            "p_class": cls.prob[top, cls.map_class[top]],
            "asset_id": [self.assets.ids[j] if j >= 0 else "" for j in a.tolist()],
            "t_go_s": np.where(a >= 0, ta.t_go_s[top], np.nan),
            "miss_m": np.where(a >= 0, ta.cpa_m[top], np.nan),
            "p_reach": ta.p_reach[top], "violation_p": ta.violation_p[top],
            "identity": ident[top].tolist(),
            "coop_trust": np.asarray(TRUST_NAMES, dtype=object)[trust[top]].astype(str).tolist(),
            "reasons": why,
        })

    def close(self) -> dict[str, str]:
        # always a file: a run that ranked no threat has a header-only table
        return {"threats": str(self.writer.close(_EMPTY_THREATS))}


def _empty_threats() -> dict[str, Any]:
    import pyarrow as pa

    f, i, t = pa.float64(), pa.int64(), pa.string()
    return {"t_s": f, "rank": i, "track_id": i, "score": f, "value_at_risk_eur": f, "class": t,
            "p_class": f, "asset_id": t, "t_go_s": f, "miss_m": f, "p_reach": f,
            "violation_p": f, "identity": t, "coop_trust": t, "reasons": t}


#: The threats table's columns and types for a run that ranked no threat.
_EMPTY_THREATS = _empty_threats()


class ThreatScorer:
    """Bird-above-inbound-Shahed inversions of the ranking, against truth."""

    def __init__(self, assets: AssetTable) -> None:
        self.assets = assets
        self.steps: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # ids, rank, inbound

    def observe(self, rec: StepRecord) -> None:
        ta = rec.threats
        if ta is None:
            self.steps.append((np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool)))
            return
        self.steps.append((ta.ids.copy(), ta.rank.copy(), ta.inbound & (ta.asset >= 0)))

    def summary(self, followed: dict[int, int], platform_cls: np.ndarray) -> dict[str, Any]:
        fid = np.array(sorted(followed), dtype=np.int64)
        fcls = np.array([int(platform_cls[followed[k]]) for k in fid.tolist()], dtype=np.int64)
        inv_steps = compared = 0
        for ids, rank, inbound in self.steps:
            if ids.size == 0 or fid.size == 0:
                continue
            j = np.minimum(np.searchsorted(fid, ids), fid.size - 1)
            c = np.where(fid[j] == ids, fcls[j], -1)
            atk = (c == PlatformClass.ATTACK_DRONE) & inbound
            bird = c == PlatformClass.BIRD
            if atk.any() and bird.any():
                compared += 1
                if rank[bird].min() < rank[atk].max():
                    inv_steps += 1
        return {
            "assets": [{"id": i, "value_eur": float(v)} for i, v in
                       zip(self.assets.ids, self.assets.value_eur.tolist(), strict=True)],
            "steps_with_birds_and_inbound_attack_drones": compared,
            "steps_bird_ranked_above_inbound_attack_drone": inv_steps,
        }
