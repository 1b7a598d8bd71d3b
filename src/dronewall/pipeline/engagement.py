"""Simulated engagements inside ``simulate``: the effects of the chain's engagements on the
truth.

The chain's engagement stage (:mod:`dronewall.chain.engagement`) plans, gets approval, keeps
the ledger and hands over each engagement when its intercept time comes, with the point the
shot is **aimed** at (its last cue predicted to that time). :class:`SimulatedEffects` resolves it
against the truth:

* **the engaged platform** is fixed when the engagement is committed (and again when an
  interceptor is retasked): the true platform the track followed over the last
  ``PAIR_WINDOW_STEPS`` steps (the most frequent nearest active platform within
  ``PAIR_RADIUS_M`` horizontally); none -> the track was a ghost or false track;
* a shot can only kill **the platform it was aimed at** -- or, for area effects (the jammer's
  beam, ``EffectorType.effect_radius_m``), the platforms inside that radius of the aim point;
* the **true 3-D miss** is the distance between the aim point and the engaged platform's true
  position at the resolving step; the effector's pk-vs-miss curve is a cookie cutter at its
  acquisition basket [E] (``docs/effectors.md``): within it the seeker, fire-control radar or
  sight acquires the target and the single-shot pk against the platform's **true** class
  applies (one uniform draw from the engagement stream per engagement, plus one per platform
  in an area effect); beyond it the shot misses;
* birds and manned aircraft are never resolved against (``non_hostile``: no draw, no kill);
  a platform already destroyed gives ``dead_target``; a kinetic shot whose aim point lies over
  a zone kind the ROE keep kinetic fire away from is ``withheld`` (the fire unit does not fire
  its burst, the interceptor aborts: the round is spent, nothing falls there).

A killed platform leaves the truth from the next step on
(:meth:`dronewall.sim.truth.TruthSimulator.kill`). Shots held before launch (target destroyed
or lost) cost nothing. The metrics (:mod:`dronewall.pipeline.engagement_metrics`) and the
``engagements`` table are written at the end.
"""

from __future__ import annotations

import math
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from dronewall.airspace import ZoneSet
from dronewall.catalog import PlatformClass
from dronewall.catalog.effectors import USD_PER_EUR
from dronewall.catalog.platforms import get_platform
from dronewall.chain import DueEngagement, Engagement, EngagementStage, StepRecord
from dronewall.engagement.threat import ThreatConfig
from dronewall.engagement.windows import zone_kind_membership
from dronewall.errors import InputError
from dronewall.geo import Frame
from dronewall.io import TableWriter
from dronewall.pipeline.engagement_metrics import (
    HOSTILE_CLASSES,
    ONE_WAY_CLASSES,
    comparison,
    engagement_metrics,
)

__all__ = ["DOCTRINES", "SimulatedEffects", "build_engagement", "build_oracle_chain",
           "comparison"]

#: Doctrines a simulated run can use: the stage's, and the perfect-information ``oracle``
#: (the planner on the truth, :mod:`dronewall.pipeline.oracle`).
DOCTRINES = ("planner", "missile_first", "nearest_capable", "oracle")
#: A track follows the nearest active platform within this horizontal radius, m.
PAIR_RADIUS_M = 1_000.0
#: Steps of pairing history whose majority names the engaged platform.
PAIR_WINDOW_STEPS = 10

_CLASS = np.array([c.name.lower() for c in PlatformClass], dtype=object)

ENG_SCHEMA = {
    "t_proposed_s": pa.float64(), "t_approved_s": pa.float64(), "t_plan_s": pa.float64(),
    "t_decide_s": pa.float64(), "deadline_s": pa.float64(),
    "t_launch_s": pa.float64(), "t_intercept_s": pa.float64(), "t_resolved_s": pa.float64(),
    "effector_id": pa.string(), "effector_type": pa.string(), "fire_unit": pa.int64(),
    "guidance": pa.string(), "track_id": pa.int64(), "track_class": pa.string(),
    "retasks": pa.int64(), "true_platform": pa.string(), "class": pa.string(),
    "hostile": pa.bool_(), "shots": pa.int64(), "cost_eur": pa.float64(),
    "spent_eur": pa.float64(), "value_eur": pa.float64(), "value_saved_eur": pa.float64(),
    "shadow_cost_eur": pa.float64(), "pk": pa.float64(), "pk_true": pa.float64(),
    "miss_m": pa.float64(), "acquired": pa.bool_(), "result": pa.string(),
    "waste": pa.string(), "area_kills": pa.int64(),
    "lat_deg": pa.float64(), "lon_deg": pa.float64(), "alt_m": pa.float64(),
    "kinetic": pa.bool_(), "debris_over_no_fire": pa.bool_(),
    "kill_lat_deg": pa.float64(), "kill_lon_deg": pa.float64(), "kill_alt_m": pa.float64(),
    "kill_over_no_fire": pa.bool_(), "kill_over_no_kinetic": pa.bool_(), "approval": pa.string(),
}


class _Pairing:
    """Which true platform each track followed over the last steps (module docstring)."""

    def __init__(self) -> None:
        self.hist: deque[tuple[NDArray[np.int64], NDArray[np.int64]]] = deque(
            maxlen=PAIR_WINDOW_STEPS)

    def observe(self, ids: NDArray[np.int64], pos: NDArray[np.float64],
                alive: NDArray[np.int64], tpos: NDArray[np.float64]) -> None:
        if ids.size == 0 or alive.size == 0:
            self.hist.append((np.zeros(0, np.int64), np.zeros(0, np.int64)))
            return
        d, j = cKDTree(tpos[:, :2]).query(pos[:, :2])
        ok = d <= PAIR_RADIUS_M
        self.hist.append((ids[ok].astype(np.int64), alive[j[ok]].astype(np.int64)))

    def platform(self, track: int) -> int:
        """Index of the platform ``track`` followed most over the window (-1: none; ties: the
        most recent)."""
        votes: dict[int, int] = {}
        last = -1
        for ids, pl in self.hist:
            m = ids == track
            if m.any():
                p = int(pl[m][0])
                votes[p] = votes.get(p, 0) + 1
                last = p
        if not votes:
            return -1
        best = max(votes.values())
        return last if votes.get(last) == best else min(k for k, v in votes.items() if v == best)


class SimulatedEffects:
    """Resolves the chain's due engagements against the truth; the ``engagements`` table and
    the metrics (see the module docstring)."""

    def __init__(self, stage: EngagementStage, zones: ZoneSet | None, frame: Frame, plat: Any,
                 out: Path, fmt: str, rng: np.random.Generator,
                 threat_config: ThreatConfig | None = None,
                 own_zone_ids: set[str] | None = None) -> None:
        from dronewall.airspace.zones import ZONE_KINDS

        self.stage = stage
        self.doctrine, self.replan_s = stage.doctrine, stage.replan_s
        self.approval = stage.roe.approval
        eff = stage.effectors
        self.eff_ids = list(eff.ids)
        self.eff_pk, self.basket = eff.pk, eff.basket_m
        self.effect_radius = eff.effect_radius_m
        self.stock0 = stage.stock.copy()
        self.stock = stage.stock.copy()
        self.no_kinetic = [ZONE_KINDS.index(k) for k in stage.roe.no_kinetic_kinds]
        self.no_fire = ZONE_KINDS.index("no_fire")
        self.zones, self.frame, self.plat, self.rng = zones, frame, plat, rng
        self.threat_config = threat_config or ThreatConfig()
        self.out, self.fmt = out, fmt
        self.cls = np.asarray(plat.cls, dtype=np.int64)
        n = self.cls.size
        self.pid = plat.ids.astype(str)
        self.unit_cost_eur = np.array(
            [get_platform(str(k)).unit_cost_usd / USD_PER_EUR for k in plat.platform.tolist()],
            dtype=np.float64) if n else np.zeros(0)
        self.kill_t = np.full(n, np.inf)
        self.reach_t = np.full(n, np.inf)  # first entry into a valued zone while alive, s
        self.leak_value = np.zeros(n)      # most valuable zone entered while alive, EUR
        self.flown = np.zeros(n, dtype=bool)
        self.active_last = np.zeros(n, dtype=bool)  # flying at the latest step observed
        self.outside = np.zeros(n, dtype=bool)  # ever outside own airspace while flying
        self.hostile_cls = np.isin(self.cls, [int(c) for c in HOSTILE_CLASSES])
        self.multirotor = self.cls == int(PlatformClass.MULTIROTOR)
        self.one_way = np.isin(self.cls, [int(c) for c in ONE_WAY_CLASSES])
        assets = [z for z in (zones.zones if zones is not None else []) if z.value_eur > 0]
        self.asset_geoms = [z.geometry for z in assets]
        self.asset_values = [float(z.value_eur) for z in assets]
        for g in self.asset_geoms:
            shapely.prepare(g)
        own = [z.geometry for z in (zones.zones if zones is not None else [])
               if z.kind == "sovereign" and (own_zone_ids is None or z.id in own_zone_ids)]
        self.own = shapely.union_all(own) if own else None
        if self.own is not None:
            shapely.prepare(self.own)
        self.pairing = _Pairing()
        self.engaged: dict[int, int] = {}       # engagement seq -> platform index (-1 none)
        self.launch_t: dict[int, float] = {}    # engagement seq -> launch time
        self.rows: list[dict[str, Any]] = []
        self.counts = {"human_approvals": 0, "proposals": 0, "expired": 0, "held": 0,
                       "retasked": 0, "plans": 0}

    # ------------------------------------------------------------------ per step

    def observe(self, st: Any, rec: StepRecord) -> NDArray[np.int64]:
        """One step (after the chain). Returns the indices of the platforms killed at ``t``
        (the caller removes them from the truth from the next step on)."""
        act = np.asarray(st.active, dtype=bool)
        self.flown |= act
        alive = act & ~np.isfinite(self.kill_t)
        self.active_last = alive
        self._reach(st, alive)
        self._outside(st, alive)
        es = rec.engagement
        if es is None:
            return np.zeros(0, dtype=np.int64)
        cand = np.flatnonzero(alive)
        tpos = self.frame.to_local(st.ecef[cand]) if cand.size else np.zeros((0, 3))
        pic = rec.picture
        if pic is not None:
            self.pairing.observe(pic.ids, pic.pos, cand, tpos)
        c = self.counts
        c["human_approvals"] += es.human_approvals
        c["proposals"] += len(es.proposals)
        c["expired"] += es.expired
        c["plans"] += es.plan is not None
        c["retasked"] += len(es.retasked)
        self.stock = es.stock
        for e in (*es.approved, *es.retasked):
            self.engaged[e.seq] = self.pairing.platform(e.track_id)
        for e in es.launched:
            self.launch_t[e.seq] = rec.t
        for e in es.held:
            c["held"] += 1
            self.rows.append(self._row(e, rec.t, "held", -1, spent=False))
            self.engaged.pop(e.seq, None)
        return self._resolve(rec.t, st, cand, tpos, es.due)

    def _reach(self, st: Any, alive: NDArray[np.bool_]) -> None:
        """Valued zones entered by live hostile platforms (leakers)."""
        if not self.asset_geoms:
            return
        idx = np.flatnonzero(alive & self.hostile_cls)
        if idx.size == 0:
            return
        lat, lon = st.lat_deg[idx], st.lon_deg[idx]
        for g, v in zip(self.asset_geoms, self.asset_values, strict=True):
            ins = shapely.contains_xy(g, lon, lat)
            if ins.any():
                j = idx[ins]
                self.leak_value[j] = np.maximum(self.leak_value[j], v)
                self.reach_t[j] = np.minimum(self.reach_t[j], st.t)

    def _outside(self, st: Any, alive: NDArray[np.bool_]) -> None:
        """Multirotors seen outside own airspace (they come from abroad: hostile)."""
        idx = np.flatnonzero(alive & self.multirotor & ~self.outside)
        if idx.size == 0 or self.own is None:
            return
        self.outside[idx] = ~shapely.contains_xy(self.own, st.lon_deg[idx], st.lat_deg[idx])

    def hostile(self) -> NDArray[np.bool_]:
        """(P,) hostile platforms: one-way attack drones, decoys, reconnaissance UAVs, and
        multirotors that flew outside own airspace."""
        return (self.hostile_cls & ~self.multirotor) | (self.multirotor & self.outside)

    # ------------------------------------------------------------------ resolution

    def _resolve(self, t: float, st: Any, cand: NDArray[np.int64], tpos: NDArray[np.float64],
                 due: tuple[DueEngagement, ...]) -> NDArray[np.int64]:
        killed: list[int] = []
        hostile = self.hostile()
        manned_or_bird = np.isin(self.cls, [int(PlatformClass.MANNED_AIRCRAFT),
                                            int(PlatformClass.BIRD)])
        for d in due:
            e = d.engagement
            u = float(self.rng.random())  # one draw per engagement, always (stable stream)
            j = self.engaged.pop(e.seq, -1)
            aim = np.asarray(d.aim_enu, dtype=np.float64)
            lat_a, lon_a, _ = self.frame.local_to_geodetic(aim[None, :])
            kinds = zone_kind_membership(self.zones, lat_a, lon_a)[:, 0]
            withheld = bool(e.kinetic) and bool(any(kinds[k] for k in self.no_kinetic))
            miss, pk_true, acquired, result = math.nan, 0.0, False, ""
            if j >= 0:
                pos_j = self.frame.to_local(st.ecef[j][None, :])[0]
                miss = float(np.linalg.norm(aim - pos_j))
            if withheld:
                result = "withheld"
            elif j < 0:
                result = "no_target"
            elif manned_or_bird[j]:
                result = "non_hostile"
            elif np.isfinite(self.kill_t[j]) or j in killed:
                result = "dead_target"
            else:
                acquired = miss <= float(self.basket[e.site])
                pk_true = float(self.eff_pk[e.site, self.cls[j]]) if acquired else 0.0
                result = "kill" if u < pk_true else "miss"
            area = 0
            if not withheld and self.effect_radius[e.site] > 0 and cand.size:
                area = self._area(e, aim, cand, tpos, killed, j, t, manned_or_bird)
            kpos = (math.nan,) * 3
            if result == "kill":
                killed.append(j)
                self.kill_t[j] = t
                kpos = (float(st.lat_deg[j]), float(st.lon_deg[j]), float(st.alt_m[j]))
            self.rows.append(self._row(e, t, result, j, spent=True, miss=miss, pk_true=pk_true,
                                       acquired=acquired, area=area, kpos=kpos,
                                       hostile=bool(j >= 0 and hostile[j])))
        return np.asarray(killed, dtype=np.int64)

    def _area(self, e: Engagement, aim: NDArray[np.float64], cand: NDArray[np.int64],
              tpos: NDArray[np.float64], killed: list[int], aimed: int, t: float,
              manned_or_bird: NDArray[np.bool_]) -> int:
        """Area effect: every other live platform within the effect radius of the aim point
        gets its own draw against its class's pk (birds and manned aircraft: none)."""
        d = np.linalg.norm(tpos - aim[None, :], axis=1)
        n = 0
        for k in np.flatnonzero(d <= self.effect_radius[e.site]).tolist():
            j = int(cand[k])
            if j == aimed or j in killed or manned_or_bird[j]:
                continue
            if float(self.rng.random()) < float(self.eff_pk[e.site, self.cls[j]]):
                killed.append(j)
                self.kill_t[j] = t
                n += 1
        return n

    def _row(self, e: Engagement, t: float, result: str, j: int, *, spent: bool,
             miss: float = math.nan, pk_true: float = math.nan, acquired: bool = False,
             area: int = 0, kpos: tuple[float, float, float] = (math.nan,) * 3,
             hostile: bool = False) -> dict[str, Any]:
        kinds = zone_kind_membership(self.zones, np.array([e.lat_deg, kpos[0]]),
                                     np.array([e.lon_deg, kpos[1]]))
        debris = bool(e.kinetic) and bool(kinds[self.no_fire, 0])
        k_nf = bool(e.kinetic) and result == "kill" and bool(kinds[self.no_fire, 1])
        k_nk = bool(e.kinetic) and result == "kill" and any(bool(kinds[k, 1])
                                                             for k in self.no_kinetic)
        return {
            **_ledger_fields(e), "t_resolved_s": t if result != "held" else math.nan,
            "true_platform": self.pid[j] if j >= 0 else "",
            "class": str(_CLASS[self.cls[j]]) if j >= 0 else "", "hostile": hostile,
            "spent_eur": float(e.cost_eur) if spent else 0.0,
            "pk_true": pk_true, "miss_m": miss, "acquired": acquired, "result": result,
            "waste": _waste(result, j >= 0, hostile, self.launch_t.pop(e.seq, math.nan),
                            float(self.kill_t[j]) if j >= 0 else math.inf) if spent else "",
            "area_kills": area, "debris_over_no_fire": debris,
            "kill_lat_deg": kpos[0], "kill_lon_deg": kpos[1], "kill_alt_m": kpos[2],
            "kill_over_no_fire": k_nf, "kill_over_no_kinetic": k_nk, "approval": self.approval,
        }

    # ------------------------------------------------------------------ end of run

    def finish(self, in_flight: tuple[Engagement, ...]) -> dict[str, Any]:
        """Write ``engagements.<fmt>`` (``in_flight``: engagements still committed or in the
        air at the end, ``unresolved``); return the metrics (summary.json ``engagement``)."""
        for e in in_flight:
            launched = e.seq in self.launch_t
            row = self._row(e, math.nan, "unresolved", self.engaged.get(e.seq, -1),
                            spent=launched)
            row["waste"] = ""
            self.rows.append(row)
        w = TableWriter(self.out / "engagements", self.fmt)
        if self.rows:
            w.append({k: [r[k] for r in self.rows] for k in ENG_SCHEMA})
        path = w.close(ENG_SCHEMA)
        return {"summary": self.metrics(), "files": {"engagements": str(path)}}

    def metrics(self) -> dict[str, Any]:
        return engagement_metrics(self)


def own_sovereign_ids(zoning: tuple[ZoneSet, set[str]] | None) -> set[str]:
    """Ids of own sovereign zones: the reported ones (``report: false`` zones are neighbours,
    there only to say where a track came from)."""
    if zoning is None:
        return set()
    zs, reference = zoning
    return {z.id for z in zs.zones if z.kind == "sovereign" and z.id not in reference}


def build_engagement(sc: Any, zones: ZoneSet | None, zoning: tuple[ZoneSet, set[str]] | None,
                     frame: Frame, plat: Any, out: Path, fmt: str, rng_eng: np.random.Generator,
                     rng_ops: np.random.Generator | None, doctrine: str,
                     predictor: Any = None) -> tuple[EngagementStage, SimulatedEffects]:
    """The engagement stage of a scenario (its effectors and ROE; the simulated operator with
    the ROE's approval delay drawn from ``rng_ops``) and its simulated effects. ``doctrine``
    ``oracle`` runs the planner (on the truth picture the caller builds)."""
    from dronewall.chain import DelayedApprover
    from dronewall.engagement.planner import EffectorSite
    from dronewall.engagement.roe import Roe

    if doctrine not in DOCTRINES:
        raise InputError(f"doctrine: got {doctrine!r}; expected {', '.join(DOCTRINES)}")
    sites = [EffectorSite.from_values(**e.model_dump()) for e in sc.effectors]
    roe = Roe.from_values(**sc.roe.model_dump())
    approver = None if roe.auto_approve else DelayedApprover(
        roe.approval_delay_s, rng_ops if rng_ops is not None else np.random.default_rng(0))
    own = own_sovereign_ids(zoning)
    stage = EngagementStage(sites, roe, zones, frame,
                            doctrine="planner" if doctrine == "oracle" else doctrine,
                            approver=approver, predictor=predictor,
                            own_zone_ids=own if zoning is not None else None)
    fx = SimulatedEffects(stage, zones, frame, plat, out, fmt, rng_eng,
                          own_zone_ids=own if zoning is not None else None)
    fx.doctrine = doctrine
    return stage, fx


def build_oracle_chain(sc: Any, zones: ZoneSet | None,
                       zoning: tuple[ZoneSet, set[str]] | None, frame: Frame, plat: Any,
                       out: Path, fmt: str, rng_eng: np.random.Generator,
                       rng_ops: np.random.Generator | None, future: Any
                       ) -> tuple[list[Any], Any, SimulatedEffects]:
    """The oracle's stages (truth picture -> airspace -> threat with known intent ->
    engagement, :mod:`dronewall.pipeline.oracle`), its truth stage and its effects."""
    from dronewall.chain import AirspaceStage
    from dronewall.pipeline.airspace import airspace_config
    from dronewall.pipeline.oracle import OracleStage, OracleThreatStage, TruthPredictor

    if future is None:
        raise ValueError("the oracle needs the truth's future (pipeline.oracle.TruthFuture)")
    oracle = OracleStage(plat, future, frame)
    stages: list[Any] = [oracle]
    if zoning is not None:
        stages.append(AirspaceStage(zoning[0], airspace_config(sc), frame))
    stages.append(OracleThreatStage(future, zones, own_sovereign_ids(zoning)))
    stage, fx = build_engagement(sc, zones, zoning, frame, plat, out, fmt, rng_eng, rng_ops,
                                 "oracle", predictor=TruthPredictor(future))
    stages.append(stage)
    return stages, oracle, fx


def _waste(result: str, paired: bool, hostile: bool, t_launch: float, t_kill: float) -> str:
    """Why a spent shot was wasted ("" not wasted): ``phantom`` (no platform behind the
    track), ``non_hostile`` (a bird, an aircraft, a local multirotor), ``dead_at_launch`` (its
    platform was destroyed before the shot left), ``overkill`` (destroyed by another shot while
    this one flew)."""
    if result in ("held", "unresolved"):
        return ""
    if not paired:
        return "phantom"
    if not hostile:
        return "non_hostile"
    if result == "dead_target":
        return "dead_at_launch" if t_kill <= t_launch else "overkill"
    return ""


def _ledger_fields(e: Engagement) -> dict[str, Any]:
    """The ``engagements`` columns an engagement carries from planning."""
    return {k: getattr(e, k) for k in (
        "t_proposed_s", "t_approved_s", "t_plan_s", "t_decide_s", "deadline_s", "t_launch_s",
        "t_intercept_s", "effector_id",
        "effector_type", "fire_unit", "guidance", "track_id", "track_class", "retasks", "shots",
        "cost_eur", "value_eur", "value_saved_eur", "shadow_cost_eur", "pk", "lat_deg",
        "lon_deg", "alt_m", "kinetic")}
