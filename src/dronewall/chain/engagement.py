"""The engagement stage: cost-aware planning on the classified, ranked picture; human approval;
the ledger of engagements in flight.

Every ``replan_s`` the stage hands the engageable picture to the planner
(:mod:`dronewall.engagement.planner`) or to a naive doctrine (:mod:`dronewall.engagement.doctrines`)
with

* target value ``V_j``: the threat assessment's ``value_at_risk_eur``, at least
  ``lethality_j x BACKGROUND_VALUE_EUR`` (a lethal drone threatening no listed asset still does
  harm where it comes down), times the probability that the engagements already in flight at
  the track all miss (the planner does not see its own interceptors in the air);
* class probabilities and cooperative trust from classification, the violation state
  (``violation_p > 0.5``) from the threat assessment, engagement-zone membership of the track's
  ground point;
* only tracks whose cue is good enough (``sigma_radial_m <= MAX_CUE_SIGMA_M``).

Approval: with ROE ``approval: auto`` the planner approves its own recommendations; otherwise
an :class:`Approver` (the operator: a person in live use, a stand-in in simulation) decides on
the proposals whose decision is due before the next cycle. Approved engagements join the
ledger; each step the stage records the latest fix of their targets and hands over the ones
whose intercept time has come (``EngagementStep.due``): what happened to them is assessed
outside the chain (simulated effects, or battle-damage assessment in live use).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dronewall.airspace import ZoneSet
from dronewall.catalog import PlatformClass
from dronewall.chain.records import StepRecord
from dronewall.engagement.doctrines import missile_first, nearest_capable
from dronewall.engagement.planner import EffectorSite, EngagementPlanner, Plan, PlannerConfig
from dronewall.engagement.planner import Recommendation
from dronewall.engagement.roe import Roe
from dronewall.engagement.threat import ThreatConfig
from dronewall.engagement.windows import EffectorArrays, TrackArrays, zone_kind_membership
from dronewall.errors import InputError
from dronewall.geo import Frame

F64 = NDArray[np.float64]

#: Doctrines the stage can run.
DOCTRINES = ("planner", "missile_first", "nearest_capable")
#: Re-planning period, s.
REPLAN_S = 2.0
#: Harm of a lethality-1 threat that reaches no listed asset, EUR [E].
BACKGROUND_VALUE_EUR = 1.0e6
#: Largest horizontal RMS radial position error (m) of a track that is handed to an effector
#: [E]: beyond it the cue is worse than an interceptor's or a gun's acquisition basket forgives.
MAX_CUE_SIGMA_M = 400.0
#: The WTA heuristic runs with its iteration cap (``PlannerConfig.max_iters``) so a plan does
#: not depend on the machine's speed; this time limit is only a safety valve, s.
SOLVER_TIME_LIMIT_S = 30.0

_CLASS = np.array([c.name.lower() for c in PlatformClass], dtype=object)
_ENGAGEMENT_ZONE = "engagement"


@dataclass(frozen=True)
class TargetFix:
    """Latest fix of an engaged track: time (s), position and velocity (3,) in the engine
    frame, horizontal RMS radial position error (m)."""

    t: float
    pos: F64
    vel: F64
    sigma_radial_m: float


@dataclass(frozen=True)
class Engagement:
    """One approved engagement (a row of the ledger). ``site``: index of the effector site;
    ``pk``: planned kill probability; ``pk_geom``: the planned pk over the class-weighted pk
    the planner believed (the geometric factor); ``track_class``: MAP class when planned;
    (``lat_deg``, ``lon_deg``, ``alt_m``) the planned intercept point."""

    seq: int
    t_plan_s: float
    t_launch_s: float
    t_intercept_s: float
    site: int
    effector_id: str
    effector_type: str
    fire_unit: int
    track_id: int
    track_class: str
    shots: int
    cost_eur: float
    value_eur: float
    pk: float
    pk_geom: float
    lat_deg: float
    lon_deg: float
    alt_m: float
    kinetic: bool


@dataclass(frozen=True)
class DueEngagement:
    """An engagement whose intercept time has come, with its target's latest fix."""

    engagement: Engagement
    fix: TargetFix


@dataclass(frozen=True)
class EngagementStep:
    """The stage's output for one step: ``plan`` (None when no cycle ran), ``approved``
    (engagements committed this step), ``due`` (engagements to assess now, in intercept
    order), ``human_approvals`` (approvals a person gave / would have to give this step),
    ``stock`` (E,) rounds left per effector site after this step."""

    plan: Plan | None
    approved: tuple[Engagement, ...]
    due: tuple[DueEngagement, ...]
    human_approvals: int
    stock: NDArray[np.int64]


class Approver(Protocol):
    """Decides on proposals whose decision is due; returns the ids of the approved ones."""

    def decide(self, t: float, due: Sequence[Recommendation]) -> list[str]: ...


class ApproveAll:
    """Simulation stand-in for the operator: approves every due proposal at once."""

    def decide(self, t: float, due: Sequence[Recommendation]) -> list[str]:
        return [r.rec_id for r in due]


class EngagementStage:
    name = "engagement"

    def __init__(self, sites: Sequence[EffectorSite], roe: Roe, zones: ZoneSet | None,
                 frame: Frame, doctrine: str = "planner", replan_s: float = REPLAN_S,
                 config: PlannerConfig | None = None,
                 threat_config: ThreatConfig | None = None,
                 approver: Approver | None = None) -> None:
        if doctrine not in DOCTRINES:
            raise InputError(f"doctrine: got {doctrine!r}; expected one of {', '.join(DOCTRINES)}")
        if not replan_s > 0:
            raise InputError(f"replan_s: got {replan_s}; expected > 0")
        self.roe = roe
        self.planner = EngagementPlanner(sites, roe, zones, frame, config)
        self.zones, self.frame = zones, frame
        self.doctrine, self.replan_s = doctrine, float(replan_s)
        self.lethality = np.asarray((threat_config or ThreatConfig()).lethality, np.float64)
        self.approver: Approver = approver or ApproveAll()
        self.stock0 = self.planner.stock.copy()
        self.next_plan_t = -math.inf
        self.in_flight: list[Engagement] = []
        self.fixes: dict[int, TargetFix] = {}
        self._seq = 0
        self.plans = 0
        self.solve_s = 0.0

    @property
    def effectors(self) -> EffectorArrays:
        """The effector sites' static characteristics (ids, types, pk by class, costs)."""
        return self.planner.eff

    @property
    def stock(self) -> NDArray[np.int64]:
        """(E,) rounds left per site."""
        return self.planner.stock

    def step(self, rec: StepRecord) -> StepRecord:
        t = rec.t
        pic, cl, ta = rec.picture, rec.classified, rec.threats
        assert pic is not None and cl is not None, "engagement needs the classified picture"
        sig = pic.sigma_radial_m
        ids = pic.ids
        if self.in_flight and ids.size:
            engaged = {e.track_id for e in self.in_flight}
            for k in np.flatnonzero(np.isin(ids, list(engaged))).tolist():
                self.fixes[int(ids[k])] = TargetFix(t, pic.pos[k].copy(), pic.vel[k].copy(),
                                                    float(sig[k]))
        due = self._pop_due(t)
        plan, approved, humans = None, (), 0
        if t + 1e-9 >= self.next_plan_t:
            self.next_plan_t = t + self.replan_s
            if ids.size and ta is not None:
                plan, approved, humans = self._plan(rec)
        return rec.with_(engagement=EngagementStep(plan, approved, due, humans,
                                                    self.planner.stock.copy()))

    def _pop_due(self, t: float) -> tuple[DueEngagement, ...]:
        due = [e for e in self.in_flight if e.t_intercept_s <= t + 1e-9]
        if not due:
            return ()
        self.in_flight = [e for e in self.in_flight if e.t_intercept_s > t + 1e-9]
        due.sort(key=lambda e: (e.t_intercept_s, e.seq))
        out = tuple(DueEngagement(e, self.fixes[e.track_id]) for e in due)
        live = {e.track_id for e in self.in_flight}
        self.fixes = {k: v for k, v in self.fixes.items() if k in live}
        return out

    def _plan(self, rec: StepRecord) -> tuple[Plan | None, tuple[Engagement, ...], int]:
        t, pic, cl, ta = rec.t, rec.picture, rec.classified, rec.threats
        assert pic is not None and cl is not None and ta is not None
        ids, pos, vel = pic.ids, pic.pos, pic.vel
        sig_h = pic.sigma_radial_m
        cp = np.asarray(cl.classes.prob, dtype=np.float64)
        leth = cp @ self.lethality
        value = np.maximum(np.nan_to_num(np.asarray(ta.value_at_risk_eur, dtype=np.float64)),
                           leth * BACKGROUND_VALUE_EUR)
        # engagements already in flight: the value left is the value if they all miss
        surv: dict[int, float] = {}
        for e in self.in_flight:
            surv[e.track_id] = surv.get(e.track_id, 1.0) * (1.0 - e.pk)
        inflight = np.array([int(i) in surv for i in ids.tolist()], dtype=bool)
        if inflight.any():
            value = value * np.array([surv.get(int(i), 1.0) for i in ids.tolist()])
        coop = cl.trusted
        viol = np.nan_to_num(np.asarray(ta.violation_p, dtype=np.float64)) > 0.5
        kinds = zone_kind_membership(self.zones, np.asarray(pic.lat_deg, float),
                                     np.asarray(pic.lon_deg, float))
        from dronewall.airspace.zones import ZONE_KINDS

        inz = kinds[ZONE_KINDS.index(_ENGAGEMENT_ZONE)]
        keep = np.ones(ids.size, dtype=bool) if self.doctrine == "planner" else ~inflight
        # cue quality, for every doctrine: no shot at a track whose position is too uncertain
        keep &= np.asarray(sig_h, dtype=np.float64) <= MAX_CUE_SIGMA_M
        if not keep.any():
            return None, (), 0
        k = np.flatnonzero(keep)
        tracks = TrackArrays(np.asarray(ids, dtype=np.int64)[k], pos[k], vel[k], sig_h[k])
        plan = self._solve(t, tracks, value[k], cp[k], coop[k], viol[k], inz[k])
        self.plans += 1
        self.solve_s += plan.solve_time_s
        if not plan.recommendations:
            return plan, (), 0
        humans = 0
        # Only engagements whose decision is due by the next cycle are decided now; later ones
        # are re-planned with fresher tracks (no fire unit tied up minutes ahead). With ROE
        # approval auto the planner approved the due ones itself.
        if not self.roe.auto_approve:
            due = [r for r in plan.recommendations if r.t_decide_s <= t + self.replan_s]
            chosen = self.approver.decide(t, due)
            self.planner.approve(chosen)
            humans = len(chosen)
        eff = self.planner.eff
        row_of = {int(i): j for j, i in enumerate(ids.tolist())}
        out = []
        for r in plan.recommendations:
            if r.status != "approved":
                continue
            e = eff.ids.index(r.effector_id)
            n = row_of[int(r.track_id)]
            believed = float(eff.pk[e] @ cp[n])
            eng = Engagement(
                seq=self._seq, t_plan_s=t, t_launch_s=r.t_launch_s,
                t_intercept_s=r.t_intercept_s, site=e, effector_id=r.effector_id,
                effector_type=r.effector_type, fire_unit=r.fire_unit, track_id=int(r.track_id),
                track_class=str(_CLASS[int(np.argmax(cp[n]))]), shots=r.shots,
                cost_eur=r.cost_eur, value_eur=r.value_eur, pk=r.pk,
                pk_geom=min(r.pk / believed, 1.0) if believed > 0 else 0.0,
                lat_deg=r.lat_deg, lon_deg=r.lon_deg, alt_m=r.alt_m,
                kinetic=bool(eff.kinetic[e]))
            self.in_flight.append(eng)
            self.fixes[eng.track_id] = TargetFix(t, pos[n].copy(), vel[n].copy(),
                                                 float(sig_h[n]))
            self._seq += 1
            out.append(eng)
        return plan, tuple(out), humans

    def _solve(self, t: float, tracks: TrackArrays, value: F64, cp: F64,
               coop: NDArray[np.bool_], viol: NDArray[np.bool_], inz: NDArray[np.bool_]) -> Plan:
        pl = self.planner
        if self.doctrine == "missile_first":
            return missile_first(pl, t, tracks, value, cp, coop, viol, inz)
        if self.doctrine == "nearest_capable":
            return nearest_capable(pl, t, tracks, value, cp, coop, viol, inz)
        return pl.plan(t, tracks, value, cp, coop, viol, inz, time_limit_s=SOLVER_TIME_LIMIT_S)

    def finish(self) -> tuple[Engagement, ...]:
        """Engagements still in flight at the end, in intercept order."""
        return tuple(sorted(self.in_flight, key=lambda e: (e.t_intercept_s, e.seq)))
