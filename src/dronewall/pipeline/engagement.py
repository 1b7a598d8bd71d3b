"""Simulated engagements inside ``simulate``: plan, approve, fly, resolve, score.

Every ``replan_s`` (2 s) the :class:`EngagementStage` hands the confirmed tracks to the
engagement planner (:mod:`dronewall.engagement.planner`) -- or to one of the naive doctrines
(:mod:`dronewall.engagement.doctrines`) for the comparison runs -- with

* target value ``V_j``: the threat stage's ``value_at_risk_eur``, at least
  ``lethality_j x BACKGROUND_VALUE_EUR`` (a lethal drone threatening no listed asset still does
  harm where it comes down; the flagship's zones carry no ``value_eur`` at all), times the
  probability that the engagements already in flight at the track all miss (shoot-look-shoot:
  the planner does not see its own interceptors in the air);
* class probabilities and cooperative trust from the tracker, violation state
  (``violation_p > 0.5``) from the threat stage, engagement-zone membership of the track's
  ground point.

Approval: with ROE ``approval: auto`` the planner approves its own recommendations; with
``human`` (the default) the simulation stands in for the operator and approves every proposal,
counting each as a human approval that a real system would have needed
(``human_approvals_required``). Ammunition is consumed on approval (the planner's state).

An approved engagement resolves at its planned intercept time. The track it was aimed at is
extrapolated to that time; the true platform it follows is the nearest active (not yet killed)
platform within ``GATE_M + 3 sigma`` (horizontal; none: the track was a ghost or false track,
``no_target``). One uniform draw from the engagement random stream decides the kill, with the
effector's single-shot pk against the platform's **true** class times the engagement's
geometric factor (``pk_geom``: the planned pk divided by the class-weighted pk the planner
believed). A killed platform leaves the truth from the next step on
(:meth:`dronewall.sim.truth.TruthSimulator.kill`). Kinetic engagements are flagged when the
planned intercept point, or the true position of a kill, lies over a ``no_fire`` zone.

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

from dronewall.airspace import ZoneSet
from dronewall.catalog import PlatformClass
from dronewall.catalog.effectors import USD_PER_EUR
from dronewall.catalog.platforms import get_platform
from dronewall.classify.coop_tracks import TRUST_TRUSTED
from dronewall.engagement.doctrines import missile_first, nearest_capable
from dronewall.engagement.planner import EffectorSite, EngagementPlanner, Plan, PlannerConfig
from dronewall.engagement.roe import Roe
from dronewall.engagement.threat import ThreatConfig
from dronewall.engagement.windows import TrackArrays, zone_kind_membership
from dronewall.errors import InputError
from dronewall.geo import Frame
from dronewall.io import TableWriter
from dronewall.scenario import Scenario

#: Doctrines ``run_simulation(..., doctrine=...)`` accepts.
DOCTRINES = ("planner", "missile_first", "nearest_capable")
#: Re-planning period, s.
REPLAN_S = 2.0
#: Harm of a lethality-1 threat that reaches no listed asset, EUR [E] (see module docstring).
BACKGROUND_VALUE_EUR = 1.0e6
#: Largest horizontal 1-sigma position error (m) of a track that is handed to an effector [E]:
#: beyond it the cue is worse than an interceptor's or a gun's acquisition basket is forgiving.
MAX_CUE_SIGMA_M = 400.0
#: Kill attribution gate: nearest true platform within this + 3 sigma of the track, m.
GATE_M = 500.0
#: Classes that count as leakers when they reach a defended asset zone.
LEAKER_CLASSES = (PlatformClass.ATTACK_DRONE, PlatformClass.DECOY, PlatformClass.RECON_UAV)
#: Classes whose destruction counts as neutralising a threat (others: non-threat kills).
THREAT_CLASSES = LEAKER_CLASSES + (PlatformClass.MULTIROTOR, PlatformClass.UNKNOWN)
#: The WTA heuristic in simulation: a fixed iteration budget and a generous time limit, so the
#: plan does not depend on the machine's speed (same seed -> same engagements).
SOLVER_TIME_LIMIT_S = 30.0

_CLASS = np.array([c.name.lower() for c in PlatformClass], dtype=object)
_NO_FIRE = 3  # index of "no_fire" in airspace.zones.ZONE_KINDS (checked in __init__)
_ENGAGEMENT = 4

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


class EngagementStage:
    """Engagement planning and simulated effects for one run (see the module docstring)."""

    def __init__(self, sc: Scenario, zones: ZoneSet | None, frame: Frame, plat: Any,
                 out: Path, fmt: str, rng: np.random.Generator, doctrine: str = "planner",
                 replan_s: float = REPLAN_S, config: PlannerConfig | None = None,
                 threat_config: ThreatConfig = ThreatConfig()) -> None:
        from dronewall.airspace.zones import ZONE_KINDS

        assert ZONE_KINDS[_NO_FIRE] == "no_fire" and ZONE_KINDS[_ENGAGEMENT] == "engagement"
        if doctrine not in DOCTRINES:
            raise InputError(f"doctrine: got {doctrine!r}; expected one of {', '.join(DOCTRINES)}")
        if not replan_s > 0:
            raise InputError(f"replan_s: got {replan_s}; expected > 0")
        sites = [EffectorSite.from_values(**e.model_dump()) for e in sc.effectors]
        self.roe = Roe.from_values(**sc.roe.model_dump())
        self.planner = EngagementPlanner(sites, self.roe, zones, frame, config)
        self.zones, self.frame, self.plat = zones, frame, plat
        self.doctrine, self.replan_s, self.rng = doctrine, float(replan_s), rng
        self.lethality = np.asarray(threat_config.lethality, dtype=np.float64)
        self.out, self.fmt = out, fmt
        self.stock0 = self.planner.stock.copy()
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
        self.next_plan_t = -math.inf
        self.pending: list[dict[str, Any]] = []   # approved, in flight
        self.rows: list[dict[str, Any]] = []      # resolved engagements
        self.last_seen: dict[int, tuple[float, np.ndarray, np.ndarray, float]] = {}
        self.human_approvals = 0
        self._seq = 0
        self.plans = 0
        self.solve_s = 0.0

    # ------------------------------------------------------------------ per step

    def step(self, t: float, st: Any, ids: np.ndarray, pos: np.ndarray, vel: np.ndarray,
             sigma_axis: np.ndarray, cls: Any, trust: np.ndarray, ta: Any) -> np.ndarray:
        """One simulation step (after the threat stage). Returns the indices of the platforms
        killed at ``t`` (the caller removes them from the truth from the next step on)."""
        act = np.asarray(st.active, dtype=bool)
        self.flown |= act
        self._leaks(st, act)
        sig_h = np.sqrt(2.0) * np.asarray(sigma_axis, dtype=np.float64)
        if self.pending and ids.size:
            engaged = {p["track_id"] for p in self.pending}
            for k in np.flatnonzero(np.isin(ids, list(engaged))).tolist():
                self.last_seen[int(ids[k])] = (t, pos[k].copy(), vel[k].copy(), float(sig_h[k]))
        killed = self._resolve(t, st, act)
        if t + 1e-9 >= self.next_plan_t:
            self.next_plan_t = t + self.replan_s
            if ids.size and cls is not None and ta is not None:
                self._plan(t, ids, pos, vel, sig_h, cls, trust, ta)
        return killed

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

    def _plan(self, t: float, ids: np.ndarray, pos: np.ndarray, vel: np.ndarray,
              sig_h: np.ndarray, cls: Any, trust: np.ndarray, ta: Any) -> None:
        cp = np.asarray(cls.prob, dtype=np.float64)
        leth = cp @ self.lethality
        value = np.maximum(np.nan_to_num(np.asarray(ta.value_at_risk_eur, dtype=np.float64)),
                           leth * BACKGROUND_VALUE_EUR)
        # engagements already in flight: the value left is the value if they all miss
        surv: dict[int, float] = {}
        for p in self.pending:
            surv[p["track_id"]] = surv.get(p["track_id"], 1.0) * (1.0 - p["pk"])
        inflight = np.array([int(i) in surv for i in ids.tolist()], dtype=bool)
        if inflight.any():
            value = value * np.array([surv.get(int(i), 1.0) for i in ids.tolist()])
        coop = np.asarray(trust) == TRUST_TRUSTED
        viol = np.nan_to_num(np.asarray(ta.violation_p, dtype=np.float64)) > 0.5
        lat, lon, _ = self.frame.local_to_geodetic(pos)
        inz = zone_kind_membership(self.zones, np.asarray(lat, float),
                                   np.asarray(lon, float))[_ENGAGEMENT]
        keep = np.ones(ids.size, dtype=bool) if self.doctrine == "planner" else ~inflight
        # cue quality, for every doctrine: no shot at a track whose position is too uncertain
        # to hand to an effector (coasting tracks, bearing-only fixes far from the nodes)
        keep &= np.asarray(sig_h, dtype=np.float64) <= MAX_CUE_SIGMA_M
        if not keep.any():
            return
        k = np.flatnonzero(keep)
        tracks = TrackArrays(np.asarray(ids, dtype=np.int64)[k], pos[k], vel[k], sig_h[k])
        args = (t, tracks, value[k], cp[k], coop[k], viol[k], inz[k])
        plan = self._solve(*args)
        self.plans += 1
        self.solve_s += plan.solve_time_s
        if not plan.recommendations:
            return
        # Only engagements whose decision is due by the next cycle are committed; later ones are
        # re-planned with fresher tracks (shoot-look-shoot; no unit tied up minutes ahead).
        # (with ROE approval auto the planner approved the due ones itself)
        if not self.roe.auto_approve:
            # the simulation stands in for the operator: every due proposal is approved
            due = [r for r in plan.recommendations if r.t_decide_s <= t + self.replan_s]
            self.planner.approve([r.rec_id for r in due])
            self.human_approvals += len(due)
        due = [r for r in plan.recommendations if r.status == "approved"]
        if not due:
            return
        eff = self.planner.eff
        row_of = {int(i): j for j, i in enumerate(ids.tolist())}
        for r in due:
            e = eff.ids.index(r.effector_id)
            n = row_of[int(r.track_id)]
            believed = float(eff.pk[e] @ cp[n])
            self.pending.append({
                "seq": self._seq, "t_plan_s": t,
                "t_launch_s": r.t_launch_s, "t_intercept_s": r.t_intercept_s,
                "site": e, "effector_id": r.effector_id, "effector_type": r.effector_type,
                "fire_unit": r.fire_unit, "track_id": int(r.track_id),
                "track_class": str(_CLASS[int(np.argmax(cp[n]))]), "shots": r.shots,
                "cost_eur": r.cost_eur, "value_eur": r.value_eur, "pk": r.pk,
                "pk_geom": min(r.pk / believed, 1.0) if believed > 0 else 0.0,
                "lat_deg": r.lat_deg, "lon_deg": r.lon_deg, "alt_m": r.alt_m,
                "kinetic": bool(eff.kinetic[e]),
            })
            self.last_seen[int(r.track_id)] = (t, pos[n].copy(), vel[n].copy(), float(sig_h[n]))
            self._seq += 1

    def _solve(self, t: float, tracks: TrackArrays, value: np.ndarray, cp: np.ndarray,
               coop: np.ndarray, viol: np.ndarray, inz: np.ndarray) -> Plan:
        pl = self.planner
        if self.doctrine == "missile_first":
            return missile_first(pl, t, tracks, value, cp, coop, viol, inz)
        if self.doctrine == "nearest_capable":
            return nearest_capable(pl, t, tracks, value, cp, coop, viol, inz)
        # the planner's heuristic runs with its iteration cap (PlannerConfig.max_iters), so the
        # simulation does not depend on the machine's speed; the time limit is only a safety valve
        return pl.plan(t, tracks, value, cp, coop, viol, inz, time_limit_s=SOLVER_TIME_LIMIT_S)

    def _resolve(self, t: float, st: Any, act: np.ndarray) -> np.ndarray:
        due = [p for p in self.pending if p["t_intercept_s"] <= t + 1e-9]
        if not due:
            return np.zeros(0, dtype=np.int64)
        self.pending = [p for p in self.pending if p["t_intercept_s"] > t + 1e-9]
        due.sort(key=lambda p: (p["t_intercept_s"], p["seq"]))
        alive = act & ~np.isfinite(self.kill_t)
        cand = np.flatnonzero(alive)
        tpos = self.frame.to_local(st.ecef[cand]) if cand.size else np.zeros((0, 3))
        killed: list[int] = []
        eff = self.planner.eff
        for p in due:
            u = float(self.rng.random())  # one draw per engagement, always (stable stream)
            ts, tp, tv, sg = self.last_seen[p["track_id"]]
            guess = tp + tv * (t - ts)
            ok = ~np.isin(cand, killed) if killed else np.ones(cand.size, dtype=bool)
            plat_i, pk_true = -1, 0.0
            if ok.any():
                d = np.hypot(tpos[:, 0] - guess[0], tpos[:, 1] - guess[1])
                d = np.where(ok, d, np.inf)
                j = int(np.argmin(d))
                if d[j] <= GATE_M + 3.0 * sg:
                    plat_i = int(cand[j])
            if plat_i < 0:
                result = "no_target"
            else:
                pk_true = float(eff.pk[p["site"], self.cls[plat_i]]) * p["pk_geom"]
                result = "kill" if u < pk_true else "miss"
            klat = klon = kalt = math.nan
            if result == "kill":
                killed.append(plat_i)
                self.kill_t[plat_i] = t
                klat, klon = float(st.lat_deg[plat_i]), float(st.lon_deg[plat_i])
                kalt = float(st.alt_m[plat_i])
            over = zone_kind_membership(self.zones, np.array([p["lat_deg"], klat]),
                                        np.array([p["lon_deg"], klon]))[_NO_FIRE]
            debris = bool(p["kinetic"]) and bool(over[0])
            kill_over = bool(p["kinetic"]) and result == "kill" and bool(over[1])
            self.rows.append({
                "t_plan_s": p["t_plan_s"], "t_launch_s": p["t_launch_s"],
                "t_intercept_s": p["t_intercept_s"], "t_resolved_s": t,
                "effector_id": p["effector_id"],
                "effector_type": p["effector_type"], "fire_unit": p["fire_unit"],
                "track_id": p["track_id"], "track_class": p["track_class"],
                "true_platform": self.pid[plat_i] if plat_i >= 0 else "",
                "class": str(_CLASS[self.cls[plat_i]]) if plat_i >= 0 else "",
                "shots": p["shots"], "cost_eur": p["cost_eur"], "value_eur": p["value_eur"],
                "pk": p["pk"], "pk_true": pk_true, "result": result,
                "lat_deg": p["lat_deg"], "lon_deg": p["lon_deg"], "alt_m": p["alt_m"],
                "kinetic": p["kinetic"], "debris_over_no_fire": debris,
                "kill_lat_deg": klat, "kill_lon_deg": klon, "kill_alt_m": kalt,
                "kill_over_no_fire": kill_over, "approval": self.roe.approval,
            })
        live = {p["track_id"] for p in self.pending}
        self.last_seen = {k: v for k, v in self.last_seen.items() if k in live}
        return np.asarray(killed, dtype=np.int64)

    # ------------------------------------------------------------------ end of run

    def finish(self) -> dict[str, Any]:
        """Write ``engagements.<fmt>``; return the metrics (summary.json ``engagement``)."""
        for p in sorted(self.pending, key=lambda p: (p["t_intercept_s"], p["seq"])):
            self.rows.append({
                **{k: p[k] for k in ("t_plan_s", "t_launch_s", "t_intercept_s", "effector_id",
                                     "effector_type", "fire_unit", "track_id", "track_class",
                                     "shots", "cost_eur", "value_eur", "pk", "lat_deg",
                                     "lon_deg", "alt_m", "kinetic")},
                "true_platform": "", "class": "", "pk_true": math.nan,
                "result": "unresolved", "debris_over_no_fire": False, "t_resolved_s": math.nan,
                "kill_lat_deg": math.nan, "kill_lon_deg": math.nan, "kill_alt_m": math.nan,
                "kill_over_no_fire": False,
                "approval": self.roe.approval})
        w = TableWriter(self.out / "engagements", self.fmt)
        if self.rows:
            w.append({k: [r[k] for r in self.rows] for k in _ENG_SCHEMA})
        path = w.close(_ENG_SCHEMA)
        return {"summary": self.metrics(), "files": {"engagements": str(path)}}

    def metrics(self) -> dict[str, Any]:
        rows = self.rows
        eff = self.planner.eff
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
            "approval": self.roe.approval,
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
            "ammunition_remaining": {eff.ids[e]: int(self.planner.stock[e])
                                     for e in range(len(eff))},
            "ammunition_stocked": {eff.ids[e]: int(self.stock0[e]) for e in range(len(eff))},
            "human_approvals_required": self.human_approvals,
            "debris_over_populated": int(sum(bool(r["debris_over_no_fire"]) for r in rows)),
            "kills_over_populated": int(sum(bool(r["kill_over_no_fire"]) for r in rows)),
            "usd_per_eur": USD_PER_EUR,
            "background_value_eur": BACKGROUND_VALUE_EUR,
        }


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
