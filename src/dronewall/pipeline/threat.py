"""Threat evaluation inside ``simulate``: ranks the confirmed tracks every step
(:mod:`dronewall.engagement.threat`) and writes the ranked list with reasons to ``threats.csv``.

Violation state comes from the airspace monitor's live events on the tracks: the latest
``entry`` / ``exit`` of a reported sovereign zone (own airspace) gives p_inside per track.
Scoring against truth (``summary.json`` ``threat``): per step, whether any track following a
bird outranked a track following an inbound attack drone (issue 5: "a bird flock is not ranked
above an inbound Shahed").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dronewall.airspace import ZoneSet
from dronewall.catalog import PlatformClass
from dronewall.classify.coop_tracks import TRUST_NAMES, TRUST_SUSPECT, TRUST_TRUSTED
from dronewall.engagement.threat import (
    CLASS_NAMES,
    AssetTable,
    ThreatConfig,
    assets_from_zones,
    evaluate,
    reasons,
)
from dronewall.geo import Frame
from dronewall.io import TableWriter

#: Rows of the ranked list written per step (the operator's threat board).
TOP_K = 20


class ThreatStage:
    def __init__(self, zones: ZoneSet | None, frame: Frame, out: Path, fmt: str,
                 config: ThreatConfig | None = None) -> None:
        config = config or ThreatConfig()
        self.assets = assets_from_zones(zones, frame) if zones is not None else AssetTable.empty()
        self.config = config
        self.writer = TableWriter(out / "threats", fmt)
        self.viol_ids = np.zeros(0, np.int64)     # sorted track ids with a live entry state
        self.viol_p = np.zeros(0)
        self.steps: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # ids, rank, inbound
        #: the latest step's assessment (None: no tracks), and its violation probabilities
        self.last: Any = None

    def _violations(self, events: list[dict[str, Any]]) -> None:
        for e in events:
            if e.get("zone_kind") != "sovereign" or e["event"] not in ("entry", "exit"):
                continue
            tk = int(e["track_id"])
            p = float(e.get("p_inside") or 0.0) if e["event"] == "entry" else 0.0
            k = np.searchsorted(self.viol_ids, tk)
            if k < self.viol_ids.size and self.viol_ids[k] == tk:
                self.viol_p[k] = p
            else:
                self.viol_ids = np.insert(self.viol_ids, k, tk)
                self.viol_p = np.insert(self.viol_p, k, p)

    def step(self, t: float, ids: np.ndarray, pos: np.ndarray, vel: np.ndarray,
             sigma_axis: np.ndarray, identity: np.ndarray, cls: Any, trust: np.ndarray,
             events: list[dict[str, Any]]) -> None:
        self._violations(events)
        n = ids.size
        if n == 0 or cls is None:
            self.last = None
            self.steps.append((np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool)))
            return
        k = np.minimum(np.searchsorted(self.viol_ids, ids), max(self.viol_ids.size - 1, 0))
        hit = (self.viol_ids.size > 0) & (self.viol_ids[k] == ids) if self.viol_ids.size else \
            np.zeros(n, bool)
        vp = np.where(hit, self.viol_p[k] if self.viol_ids.size else 0.0, 0.0)
        sig_h = np.sqrt(2.0) * sigma_axis
        ta = evaluate(ids, pos, vel, sig_h, cls.prob, self.assets, violation_p=vp,
                      coop_trusted=trust == TRUST_TRUSTED, config=self.config)
        self.last = ta
        self.steps.append((ids.copy(), ta.rank.copy(), ta.inbound & (ta.asset >= 0)))
        order = ta.order()
        top = order[ta.score[order] > 0][:TOP_K]
        if top.size == 0:
            return
        ident = np.asarray(identity).astype(str)
        note = np.where(trust[top] == TRUST_SUSPECT,
                        np.char.add("claims identity ", ident[top]).astype(object)
                        + " (suspected spoofing)", "").astype(object)
        why = reasons(ta, top, cls.prob, self.assets, cls.evidence, None)
        why = [w + (f"; {nt}" if nt else "") for w, nt in zip(why, note.tolist(), strict=True)]
        a = ta.asset[top]
        self.writer.append({
            "t_s": np.full(top.size, t), "rank": ta.rank[top], "track_id": ids[top],
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

    def finish(self, followed: dict[int, int], platform_cls: np.ndarray) -> dict[str, Any]:
        """Close ``threats.csv``; score bird-above-Shahed inversions against truth."""
        path = self.writer.close(None) if self.writer.total_rows else None
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
        out: dict[str, Any] = {
            "assets": [{"id": i, "value_eur": float(v)} for i, v in
                       zip(self.assets.ids, self.assets.value_eur.tolist(), strict=True)],
            "steps_with_birds_and_inbound_attack_drones": compared,
            "steps_bird_ranked_above_inbound_attack_drone": inv_steps,
        }
        return {"summary": out, "files": {"threats": str(path)} if path else {}}
