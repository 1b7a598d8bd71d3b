"""Simulated engagements inside ``simulate``: the effects of the chain's engagements on the
truth, and their score.

The chain's engagement stage (:mod:`dronewall.chain.engagement`) plans, gets approval and keeps
the ledger of engagements in flight; when an engagement's intercept time comes it hands it over
(``EngagementStep.due``) with the latest fix of its target. :class:`SimulatedEffects` resolves
it against the truth: the track's fix is extrapolated to that time; the true platform it follows
is the nearest active (not yet killed) platform within ``GATE_M + 3 sigma`` (horizontal; none:
the track was a ghost or false track, ``no_target``). One uniform draw from the engagement
random stream decides the kill, with the effector's single-shot pk against the platform's
**true** class times the engagement's geometric factor (``pk_geom``: the planned pk divided by
the class-weighted pk the planner believed). A killed platform leaves the truth from the next
step on (:meth:`dronewall.sim.truth.TruthSimulator.kill`). Kinetic engagements are flagged when
the planned intercept point, or the true position of a kill, lies over a ``no_fire`` zone.

Approval: with ROE ``approval: human`` (the default) the simulation stands in for the operator
and approves every proposal whose decision is due, counting each as a human approval that a real
system would have needed (``human_approvals_required``). Ammunition is consumed on approval.

Metrics (``summary.json`` ``engagement``; ``docs/outputs.md``), all from truth: neutralised
platforms by class, leakers (attack drones, decoys, reconnaissance UAVs that were inside a
defended asset zone, ``value_eur`` > 0, while alive), value lost (per leaker: the most valuable
asset zone it entered x the class lethality of the threat model), spend and shots by effector
type, cost-exchange ratio (defender spend / purchase cost of the attacking platforms destroyed,
catalogue ``unit_cost_usd`` converted at ``USD_PER_EUR`` = 1.1 [E]), ammunition left per site,
human approvals, debris over populated zones (``debris_over_populated``: kinetic engagements
whose planned intercept point lies over a ``no_fire`` zone -- the windows exclude these, so
it should stay 0; ``kills_over_populated``: kinetic kills whose true kill position lies over
one, because the target did not fly where the constant-velocity prediction put it).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import shapely

from numpy.typing import NDArray

from dronewall.airspace import ZoneSet
from dronewall.catalog import PlatformClass
from dronewall.catalog.effectors import USD_PER_EUR
from dronewall.catalog.platforms import get_platform
from dronewall.chain import DueEngagement, Engagement, EngagementStage, StepRecord
from dronewall.chain.engagement import BACKGROUND_VALUE_EUR, DOCTRINES
from dronewall.engagement.threat import ThreatConfig
from dronewall.engagement.windows import zone_kind_membership
from dronewall.geo import Frame
from dronewall.io import TableWriter

__all__ = ["DOCTRINES", "SimulatedEffects", "comparison"]

#: Kill attribution gate: nearest true platform within this + 3 sigma of the track, m.
GATE_M = 500.0
#: Classes that count as leakers when they reach a defended asset zone.
LEAKER_CLASSES = (PlatformClass.ATTACK_DRONE, PlatformClass.DECOY, PlatformClass.RECON_UAV)
#: Classes whose destruction counts as neutralising a threat (others: non-threat kills).
THREAT_CLASSES = LEAKER_CLASSES + (PlatformClass.MULTIROTOR, PlatformClass.UNKNOWN)

_CLASS = np.array([c.name.lower() for c in PlatformClass], dtype=object)
_NO_FIRE = 3  # index of "no_fire" in airspace.zones.ZONE_KINDS (checked in __init__)

_ENG_SCHEMA = {
    "t_plan_s": pa.float64(), "t_launch_s": pa.float64(), "t_intercept_s": pa.float64(),
    "t_resolved_s": pa.float64(),
    "effector_id": pa.string(), "effector_type": pa.string(), "fire_unit": pa.int64(),
    "track_id": pa.int64(), "track_class": pa.string(), "true_platform": pa.string(),
    "class": pa.string(), "shots": pa.int64(), "cost_eur": pa.float64(),
    "value_eur": pa.float64(), "pk": pa.float64(), "pk_true": pa.float64(),
    "result": pa.string(), "lat_deg": pa.float64(), "lon_deg": pa.float64(),
    "alt_m": pa.float64(), "kinetic": pa.bool_(), "debris_over_no_fire": pa.bool_(),
    "kill_lat_deg": pa.float64(), "kill_lon_deg": pa.float64(), "kill_alt_m": pa.float64(),
    "kill_over_no_fire": pa.bool_(), "approval": pa.string(),
}


class SimulatedEffects:
    """Resolves the chain's due engagements against the truth; leakers, kills, metrics and the
    ``engagements`` table (see the module docstring)."""

    def __init__(self, stage: EngagementStage, zones: ZoneSet | None, frame: Frame, plat: Any,
                 out: Path, fmt: str, rng: np.random.Generator,
                 threat_config: ThreatConfig = ThreatConfig()) -> None:
        from dronewall.airspace.zones import ZONE_KINDS

        assert ZONE_KINDS[_NO_FIRE] == "no_fire"
        self.doctrine, self.replan_s = stage.doctrine, stage.replan_s
        self.approval = stage.roe.approval
        self.eff_ids = list(stage.effectors.ids)
        self.eff_pk = stage.effectors.pk
        self.stock0 = stage.stock.copy()
        self.stock = stage.stock.copy()   # rounds left, as reported by the stage each step
        self.plans = 0
        self.zones, self.frame, self.plat, self.rng = zones, frame, plat, rng
        self.lethality = np.asarray(threat_config.lethality, dtype=np.float64)
        self.out, self.fmt = out, fmt
        n = len(plat)
        self.cls = np.asarray(plat.cls, dtype=np.int64)
        self.pid = plat.ids.astype(str)
        self.unit_cost_eur = np.array(
            [get_platform(str(k)).unit_cost_usd / USD_PER_EUR for k in plat.platform.tolist()],
            dtype=np.float64) if n else np.zeros(0)
        self.kill_t = np.full(n, np.inf)
        self.leak_value = np.zeros(n)  # most valuable asset zone entered while alive, EUR
        self.flown = np.zeros(n, dtype=bool)
        self.leak_cand = np.isin(self.cls, [int(c) for c in LEAKER_CLASSES])
        assets = [z for z in (zones.zones if zones is not None else []) if z.value_eur > 0]
        self.asset_geoms = [z.geometry for z in assets]
        self.asset_values = [float(z.value_eur) for z in assets]
        for g in self.asset_geoms:
            shapely.prepare(g)
        self.rows: list[dict[str, Any]] = []      # resolved engagements
        self.human_approvals = 0

    def observe(self, st: Any, rec: StepRecord) -> NDArray[np.int64]:
        """One step (after the chain). Returns the indices of the platforms killed at ``t``
        (the caller removes them from the truth from the next step on)."""
        act = np.asarray(st.active, dtype=bool)
        self.flown |= act
        self._leaks(st, act)
        es = rec.engagement
        if es is None:
            return np.zeros(0, dtype=np.int64)
        self.human_approvals += es.human_approvals
        self.plans += es.plan is not None
        self.stock = es.stock
        return self._resolve(rec.t, st, act, es.due)

    def _leaks(self, st: Any, act: np.ndarray) -> None:
        if not self.asset_geoms:
            return
        idx = np.flatnonzero(act & self.leak_cand)
        if idx.size == 0:
            return
        lat, lon = st.lat_deg[idx], st.lon_deg[idx]
        for g, v in zip(self.asset_geoms, self.asset_values, strict=True):
            ins = shapely.contains_xy(g, lon, lat)
            if ins.any():
                j = idx[ins]
                self.leak_value[j] = np.maximum(self.leak_value[j], v)

    def _resolve(self, t: float, st: Any, act: np.ndarray,
                 due: tuple[DueEngagement, ...]) -> NDArray[np.int64]:
        if not due:
            return np.zeros(0, dtype=np.int64)
        alive = act & ~np.isfinite(self.kill_t)
        cand = np.flatnonzero(alive)
        tpos = self.frame.to_local(st.ecef[cand]) if cand.size else np.zeros((0, 3))
        killed: list[int] = []
        for d in due:
            p, fix = d.engagement, d.fix
            u = float(self.rng.random())  # one draw per engagement, always (stable stream)
            guess = fix.pos + fix.vel * (t - fix.t)
            ok = ~np.isin(cand, killed) if killed else np.ones(cand.size, dtype=bool)
            plat_i, pk_true = -1, 0.0
            if ok.any():
                dist = np.hypot(tpos[:, 0] - guess[0], tpos[:, 1] - guess[1])
                dist = np.where(ok, dist, np.inf)
                j = int(np.argmin(dist))
                if dist[j] <= GATE_M + 3.0 * fix.sigma_radial_m:
                    plat_i = int(cand[j])
            if plat_i < 0:
                result = "no_target"
            else:
                pk_true = float(self.eff_pk[p.site, self.cls[plat_i]]) * p.pk_geom
                result = "kill" if u < pk_true else "miss"
            klat = klon = kalt = math.nan
            if result == "kill":
                killed.append(plat_i)
                self.kill_t[plat_i] = t
                klat, klon = float(st.lat_deg[plat_i]), float(st.lon_deg[plat_i])
                kalt = float(st.alt_m[plat_i])
            over = zone_kind_membership(self.zones, np.array([p.lat_deg, klat]),
                                        np.array([p.lon_deg, klon]))[_NO_FIRE]
            debris = bool(p.kinetic) and bool(over[0])
            kill_over = bool(p.kinetic) and result == "kill" and bool(over[1])
            self.rows.append({
                **_ledger_fields(p), "t_resolved_s": t,
                "true_platform": self.pid[plat_i] if plat_i >= 0 else "",
                "class": str(_CLASS[self.cls[plat_i]]) if plat_i >= 0 else "",
                "pk_true": pk_true, "result": result, "debris_over_no_fire": debris,
                "kill_lat_deg": klat, "kill_lon_deg": klon, "kill_alt_m": kalt,
                "kill_over_no_fire": kill_over, "approval": self.approval,
            })
        return np.asarray(killed, dtype=np.int64)

    # ------------------------------------------------------------------ end of run

    def finish(self, in_flight: tuple[Engagement, ...]) -> dict[str, Any]:
        """Write ``engagements.<fmt>`` (``in_flight``: engagements still in the air at the end,
        ``unresolved``); return the metrics (summary.json ``engagement``)."""
        for p in in_flight:
            self.rows.append({
                **_ledger_fields(p),
                "true_platform": "", "class": "", "pk_true": math.nan,
                "result": "unresolved", "debris_over_no_fire": False, "t_resolved_s": math.nan,
                "kill_lat_deg": math.nan, "kill_lon_deg": math.nan, "kill_alt_m": math.nan,
                "kill_over_no_fire": False,
                "approval": self.approval})
        w = TableWriter(self.out / "engagements", self.fmt)
        if self.rows:
            w.append({k: [r[k] for r in self.rows] for k in _ENG_SCHEMA})
        path = w.close(_ENG_SCHEMA)
        return {"summary": self.metrics(), "files": {"engagements": str(path)}}

    def metrics(self) -> dict[str, Any]:
        rows = self.rows
        stock = self.stock
        killed = np.isfinite(self.kill_t)
        threat_cls = np.isin(self.cls, [int(c) for c in THREAT_CLASSES])
        by_class = _count(self.cls[killed & threat_cls])
        spend_by: dict[str, float] = {}
        shots_by: dict[str, int] = {}
        for r in rows:
            spend_by[r["effector_type"]] = spend_by.get(r["effector_type"], 0.0) + r["cost_eur"]
            shots_by[r["effector_type"]] = shots_by.get(r["effector_type"], 0) + r["shots"]
        spend = float(sum(spend_by.values()))
        destroyed_cost = float(np.nansum(self.unit_cost_eur[killed & threat_cls]))
        n_kill = int((killed & threat_cls).sum())
        leak = (self.leak_value > 0) & self.leak_cand
        value_lost = float(np.sum(self.leak_value[leak] * self.lethality[self.cls[leak]]))
        threats_flown = self.flown & self.leak_cand
        results = _count_str([r["result"] for r in rows])
        return {
            "doctrine": self.doctrine,
            "approval": self.approval,
            "replan_s": self.replan_s,
            "plans": self.plans,
            "engagements": len(rows),
            "results": results,
            "neutralised": {"total": n_kill, "by_class": by_class},
            "non_threat_kills": _count(self.cls[killed & ~threat_cls]),
            "leakers": {"total": int(leak.sum()), "by_class": _count(self.cls[leak])},
            "threats_flown": int(threats_flown.sum()),
            "threats_survived": int((threats_flown & ~killed).sum()),
            "value_lost_eur": round(value_lost, 2),
            "spend_eur": round(spend, 2),
            "spend_by_type_eur": {k: round(v, 2) for k, v in sorted(spend_by.items())},
            "shots": int(sum(shots_by.values())),
            "shots_by_type": dict(sorted(shots_by.items())),
            "attackers_destroyed_cost_eur": round(destroyed_cost, 2),
            "cost_exchange_ratio": (round(spend / destroyed_cost, 4) if destroyed_cost > 0
                                    else None),
            "spend_per_kill_eur": round(spend / n_kill, 2) if n_kill else None,
            "ammunition_remaining": {self.eff_ids[e]: int(stock[e])
                                     for e in range(len(self.eff_ids))},
            "ammunition_stocked": {self.eff_ids[e]: int(self.stock0[e])
                                   for e in range(len(self.eff_ids))},
            "human_approvals_required": self.human_approvals,
            "debris_over_populated": int(sum(bool(r["debris_over_no_fire"]) for r in rows)),
            "kills_over_populated": int(sum(bool(r["kill_over_no_fire"]) for r in rows)),
            "usd_per_eur": USD_PER_EUR,
            "background_value_eur": BACKGROUND_VALUE_EUR,
        }


def _ledger_fields(e: Engagement) -> dict[str, Any]:
    """The ``engagements`` columns an engagement carries from planning."""
    return {k: getattr(e, k) for k in (
        "t_plan_s", "t_launch_s", "t_intercept_s", "effector_id", "effector_type", "fire_unit",
        "track_id", "track_class", "shots", "cost_eur", "value_eur", "pk", "lat_deg", "lon_deg",
        "alt_m", "kinetic")}


def _count(cls: np.ndarray) -> dict[str, int]:
    c, n = np.unique(np.asarray(cls, dtype=np.int64), return_counts=True)
    return {str(_CLASS[k]): int(v) for k, v in zip(c.tolist(), n.tolist(), strict=True)}


def _count_str(vals: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in vals:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


#: Metrics shown side by side for the planner and the doctrines.
COMPARE_KEYS = ("engagements", "shots", "spend_eur", "value_lost_eur", "cost_exchange_ratio",
                "spend_per_kill_eur", "debris_over_populated", "kills_over_populated")


def comparison(runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Compact side-by-side table: doctrine -> headline metrics."""
    out = {}
    for name, m in runs.items():
        row = {k: m.get(k) for k in COMPARE_KEYS}
        row["neutralised"] = m["neutralised"]["total"]
        row["leakers"] = m["leakers"]["total"]
        row["threats_survived"] = m["threats_survived"]
        out[name] = row
    return out
