"""The engagement stage: cost-aware planning on the classified, ranked picture; kill
assessment and shoot-look-shoot; human approval; the ledger of engagements in flight.

Every ``replan_s`` the stage hands the engageable picture to the planner
(:mod:`dronewall.engagement.planner`) or to a naive doctrine (:mod:`dronewall.engagement.doctrines`)
with

* **target value** ``V_j`` = the expected damage the track can still do (the threat
  assessment's ``value_at_risk_eur``: the most threatened asset's damage, capped per class, x
  P(reach); each asset counted once), at least the expected purchase cost of the threat when
  the ROE's ``value_floor`` is ``threat_cost`` -- and, under that destroy-all doctrine, any
  shot's cost for a hostile one-way drone about to reach a valued asset (the leak guard,
  ``engagement.threat.leak_guard_value``) -- times the track's ``P(alive)`` (kill assessment,
  :mod:`dronewall.chain.assessment`);
* **gates** (``track_gate``, the first failing one reported): cue quality
  (``sigma_radial_m <= MAX_CUE_SIGMA_M``), maturity (ROE ``min_track_hits``,
  ``min_track_age_s``, an update within ``max_track_stale_s``, class evidence beyond the
  prior), kill assessment (``P(alive) >= P_ENGAGE_MIN``); the violation of own airspace only
  after an observed or inferred border crossing; per-class confidence for effectors costing
  at least ``roe.expensive_effector_eur`` (``expensive_ok``);
* **shoot-look-shoot**: no new shot may be decided at a track with a shot committed or in the
  air before that shot's intercept plus the look period (``look_until_s``), unless no window is
  left after it -- then a salvo is planned now, sized by the assignment.

**Approval.** With ROE ``approval: auto`` the stage commits the due recommendations itself.
Otherwise recommendations whose decision is due within the approval lead (the slowest
operator decision plus a cycle) are submitted to an :class:`~dronewall.chain.approval.Approver`
as proposals with their deadline; an approval authorises the track for effectors up to the
approved cost until that deadline (:mod:`dronewall.chain.approval`); a late approval expires.
Authorised recommendations are committed when their decision is due.

**Ledger.** Committed engagements hold their rounds; at launch a shot whose target is assessed
destroyed or lost is held (the round returns to the magazine; :meth:`EngagementPlanner.cancel`);
a shot *aimed at launch* takes the track's cue then, a *terminally guided* one follows the
track's updates to the intercept. When the intercept time comes the stage hands the engagement
over (``EngagementStep.due``) with its **aim point** (the last cue predicted to the intercept):
what happened is assessed outside the chain (simulated effects, battle-damage assessment in
live use); the stage's own belief is the kill assessment. An interceptor drone in flight whose
target is assessed destroyed or lost is retasked to the best engageable track it can still
reach (``EngagementStep.retasked``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from dronewall.airspace import ZoneSet
from dronewall.catalog import PlatformClass
from dronewall.chain.approval import ApproveAll, Approver, Decision, Proposal
from dronewall.chain.assessment import Crossings, KillAssessment
from dronewall.chain.records import StepRecord
from dronewall.engagement.doctrines import missile_first, nearest_capable
from dronewall.engagement.planner import (
    EffectorSite,
    EngagementPlanner,
    Plan,
    PlannerConfig,
    Recommendation,
)
from dronewall.engagement.roe import Reason, Roe, engageable
from dronewall.engagement.threat import ThreatConfig, class_unit_cost_eur, leak_guard_value
from dronewall.engagement.windows import (
    EffectorArrays,
    TrackArrays,
    tau_grid,
    zone_kind_membership,
)
from dronewall.errors import InputError
from dronewall.geo import Frame

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Doctrines the stage can run.
DOCTRINES = ("planner", "missile_first", "nearest_capable")
#: Re-planning period, s.
REPLAN_S = 2.0
#: Largest horizontal RMS radial position error (m) of a track that is handed to an effector
#: [E]: beyond it the cue is worse than an interceptor's or a gun's acquisition basket forgives.
MAX_CUE_SIGMA_M = 400.0
#: Tracks assessed alive with less than this probability are not engaged [E]: after a hit
#: with pk 0.5-0.9 and no update in the look period P(alive) falls to 0.01-0.1; after a miss
#: that the picture shows (the track keeps flying) it rises above 0.8.
P_ENGAGE_MIN = 0.3
#: A track predicted to reach the asset it threatens with at least this probability is not
#: worth intercepting after its time to go (the damage is done) [E].
P_REACH_LIMIT = 0.3
#: Threats still to come, for the magazine reserve: as many as became engageable in the last
#: this many seconds [E] (a raid arriving at that rate for as long again; when it stops, the
#: forecast decays to zero within the window).
FORECAST_WINDOW_S = 600.0
#: The WTA heuristic runs with its iteration cap (``PlannerConfig.max_iters``) so a plan does
#: not depend on the machine's speed; this time limit is only a safety valve, s.
SOLVER_TIME_LIMIT_S = 30.0

_CLASS = np.array([c.name.lower() for c in PlatformClass], dtype=object)
_ENGAGEMENT_ZONE = "engagement"


@dataclass(frozen=True)
class TargetFix:
    """A fix of an engaged track: time (s), position and velocity (3,) in the engine frame,
    horizontal RMS radial position error (m)."""

    t: float
    pos: F64
    vel: F64
    sigma_radial_m: float

    def at(self, t: float) -> F64:
        """The fix predicted (constant velocity) to time ``t``, engine frame (3,)."""
        return self.pos + self.vel * (t - self.t)


@dataclass(frozen=True)
class Engagement:
    """One committed engagement (a row of the ledger). ``site``: index of the effector site;
    ``pk``: planned kill probability; ``pk_geom``: its geometric (acquisition) factor;
    ``track_class``: MAP class when planned; (``lat_deg``, ``lon_deg``, ``alt_m``) the planned
    intercept point; ``guidance``: ``launch`` (aimed at launch) or ``terminal`` (steered on
    the track to the intercept); ``value_saved_eur`` = value x pk; ``shadow_cost_eur`` the
    magazine shadow price of its round; ``retasks``: how often it was steered to another
    track in flight; ``t_proposed_s`` / ``t_approved_s``: when the proposal that authorised it
    was put to the operator and approved (NaN with automatic approval)."""

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
    guidance: str = "launch"
    value_saved_eur: float = 0.0
    shadow_cost_eur: float = 0.0
    t_decide_s: float = math.nan
    deadline_s: float = math.nan
    retasks: int = 0
    t_proposed_s: float = math.nan
    t_approved_s: float = math.nan


@dataclass(frozen=True)
class DueEngagement:
    """An engagement whose intercept time has come: ``aim_enu`` (3,) the point the shot is
    aimed at (its last cue predicted to now, engine frame), ``fix`` the target's latest fix."""

    engagement: Engagement
    aim_enu: F64
    fix: TargetFix


@dataclass(frozen=True)
class EngagementStep:
    """The stage's output for one step: ``plan`` (None when no cycle ran), ``approved``
    (engagements committed this step), ``launched`` (shots that left this step), ``held``
    (committed shots not fired: target destroyed or lost before launch; rounds returned),
    ``retasked`` (shots in flight steered to another track, with the new track), ``due``
    (engagements to assess now, in intercept order), ``proposals`` (put to the operator this
    step), ``human_approvals`` (approvals received this step), ``expired`` (proposals or
    authorisations whose window closed this step), ``stock`` (E,) rounds left per site."""

    plan: Plan | None
    approved: tuple[Engagement, ...]
    due: tuple[DueEngagement, ...]
    human_approvals: int
    stock: NDArray[np.int64]
    launched: tuple[Engagement, ...] = ()
    held: tuple[Engagement, ...] = ()
    retasked: tuple[Engagement, ...] = ()
    proposals: tuple[Proposal, ...] = ()
    expired: int = 0


class Predictor(Protocol):
    """Predicted positions of tracks on the planner's window samples (route-aware, or the
    truth for the perfect-information oracle)."""

    def path(self, ids: I64, t: float, tau: F64) -> F64:
        """(N, K, 3) engine-frame positions at ``t + tau`` (NaN: not flying then)."""
        ...


@dataclass
class _Shot:
    """A ledger entry: the engagement, its recommendation (for holding fire), whether it has
    left, and the cue it was aimed on at launch."""

    eng: Engagement
    rec: Recommendation
    launched: bool = False
    launch_fix: TargetFix | None = None


class EngagementStage:
    name = "engagement"

    def __init__(self, sites: Sequence[EffectorSite], roe: Roe, zones: ZoneSet | None,
                 frame: Frame, doctrine: str = "planner", replan_s: float = REPLAN_S,
                 config: PlannerConfig | None = None,
                 threat_config: ThreatConfig | None = None,
                 approver: Approver | None = None, predictor: Predictor | None = None,
                 own_zone_ids: set[str] | None = None) -> None:
        if doctrine not in DOCTRINES:
            raise InputError(f"doctrine: got {doctrine!r}; expected one of {', '.join(DOCTRINES)}")
        if not replan_s > 0:
            raise InputError(f"replan_s: got {replan_s}; expected > 0")
        self.roe = roe
        # the operator's decision time delays every follow-up shot after a look
        lag = float(replan_s) + (0.0 if roe.auto_approve else float(roe.approval_delay_s[1]))
        cfg = replace(config or PlannerConfig(), cycle_s=float(replan_s), decision_lag_s=lag)
        # the stage commits what is approved; the planner itself never approves
        self.planner = EngagementPlanner(sites, replace(roe, approval="human"), zones, frame, cfg)
        self.zones, self.frame = zones, frame
        self.doctrine, self.replan_s = doctrine, float(replan_s)
        self.approver: Approver = approver or ApproveAll()
        self.predictor = predictor
        self.unit_cost = class_unit_cost_eur()
        self.stock0 = self.planner.stock.copy()
        self.next_plan_t = -math.inf
        self.ledger: dict[int, _Shot] = {}
        self.fixes: dict[int, TargetFix] = {}
        self.crossings = Crossings(zones, frame, own_zone_ids)
        self.bda = KillAssessment(look_s=cfg.look_s)
        # track -> (rec id, cost, deadline, time proposed)
        self.pending: dict[int, tuple[str, float, float, float]] = {}
        # track -> (max cost, deadline, time proposed, time approved)
        self.authorised: dict[int, tuple[float, float, float, float]] = {}
        self._seq = 0
        self.plans = 0
        self.solve_s = 0.0
        self.expired_total = 0
        self.held_total = 0
        self.retasked_total = 0
        self._tau = tau_grid(self.planner.horizon_s, cfg.dt_s)
        self._engageable: dict[int, float] = {}  # track -> value, at the last plan
        self._first_engageable: dict[int, float] = {}  # track -> first time it was engageable
        _ = threat_config  # the threat stage's configuration; values come with its record

    @property
    def effectors(self) -> EffectorArrays:
        """The effector sites' static characteristics (ids, types, pk by class, costs)."""
        return self.planner.eff

    @property
    def stock(self) -> NDArray[np.int64]:
        """(E,) rounds left per site."""
        return self.planner.stock

    # ------------------------------------------------------------------ step

    def step(self, rec: StepRecord) -> StepRecord:
        t = rec.t
        pic, cl = rec.picture, rec.classified
        assert pic is not None and cl is not None, "engagement needs the classified picture"
        ids = pic.ids
        row = {int(k): i for i, k in enumerate(ids.tolist())}
        self._follow_lineage(cl.classes.inherited, ids)
        self.crossings.update(rec.events, ids, pic.pos, pic.vel, pic.tracks.t_created, t,
                              np.asarray(cl.classes.map_class, dtype=np.int64))
        sig = pic.sigma_radial_m
        for tk in {s.eng.track_id for s in self.ledger.values()}:
            k = row.get(tk)
            if k is not None:
                self.fixes[tk] = TargetFix(t, pic.pos[k].copy(), pic.vel[k].copy(),
                                           float(sig[k]))
        launched, held = self._launch(t, row)
        due = self._pop_due(t)
        self.bda.step(t, {int(k): float(u) for k, u in zip(ids.tolist(),
                                                           pic.tracks.t_update.tolist(),
                                                           strict=True)})
        retasked = self._retask(t, rec, row) if self.ledger else ()
        humans, expired = self._decisions(t)
        plan, approved, proposals = None, (), ()
        if t + 1e-9 >= self.next_plan_t:
            self.next_plan_t = t + self.replan_s
            if ids.size and rec.threats is not None:
                plan, approved, proposals = self._plan(rec)
        expired += self._expire(t)
        self._forget(set(row))
        return rec.with_(engagement=EngagementStep(
            plan, approved, due, humans, self.planner.stock.copy(), launched, held, retasked,
            proposals, expired))

    def _follow_lineage(self, inherited: I64, ids: I64) -> None:
        """A new track continuing an ended one (classifier lineage) takes over its crossing,
        kill assessment, authorisation and the shots aimed at it."""
        for new, old in zip(ids.tolist(), np.asarray(inherited).tolist(), strict=True):
            if old < 0 or old == new:
                continue
            self.crossings.inherit(new, old)
            self.bda.inherit(new, old)
            if old in self.authorised and new not in self.authorised:
                self.authorised[new] = self.authorised[old]
            for k, s in self.ledger.items():
                if s.eng.track_id == old:
                    self.ledger[k].eng = replace(s.eng, track_id=new)
            if old in self.fixes and new not in self.fixes:
                self.fixes[new] = self.fixes[old]

    def _launch(self, t: float, row: dict[int, int]) -> tuple[tuple[Engagement, ...],
                                                                 tuple[Engagement, ...]]:
        """Shots whose launch time has come leave -- unless their target is assessed destroyed
        or lost (hold fire: the round goes back)."""
        launched, held = [], []
        for seq, s in list(self.ledger.items()):
            if s.launched or s.eng.t_launch_s > t + 1e-9:
                continue
            tk = s.eng.track_id
            p_alive = self.bda.p_alive.get(tk, 1.0)
            if tk not in row or p_alive < P_ENGAGE_MIN:
                self.planner.cancel(s.rec, t)
                del self.ledger[seq]
                held.append(s.eng)
                continue
            s.launched = True
            s.launch_fix = self.fixes.get(tk)
            launched.append(s.eng)
        self.held_total += len(held)
        return tuple(launched), tuple(held)

    def _pop_due(self, t: float) -> tuple[DueEngagement, ...]:
        due = sorted((s for s in self.ledger.values()
                      if s.launched and s.eng.t_intercept_s <= t + 1e-9),
                     key=lambda s: (s.eng.t_intercept_s, s.eng.seq))
        out = []
        for s in due:
            del self.ledger[s.eng.seq]
            fix = self.fixes[s.eng.track_id]
            cue = s.launch_fix if (s.eng.guidance == "launch" and s.launch_fix is not None) \
                else fix
            out.append(DueEngagement(s.eng, cue.at(t), fix))
            self.bda.intercept(s.eng.track_id, t, s.eng.pk)
        live = {s.eng.track_id for s in self.ledger.values()}
        self.fixes = {k: v for k, v in self.fixes.items() if k in live}
        return tuple(out)

    def _decisions(self, t: float) -> tuple[int, int]:
        """Operator decisions that came in: approvals authorise the track until the proposal's
        deadline; late ones expire."""
        humans = expired = 0
        for d in self.approver.decisions(t):
            p = self.pending.get(d.track_id)
            if p is None or p[0] != d.rec_id:
                continue
            del self.pending[d.track_id]
            if not d.approved:
                continue
            _, cost, deadline, t_prop = p
            if d.t_s > deadline + 1e-9:
                expired += 1
                continue
            humans += 1
            old = self.authorised.get(d.track_id)
            if old is None:
                self.authorised[d.track_id] = (cost, deadline, t_prop, d.t_s)
            else:
                self.authorised[d.track_id] = (max(cost, old[0]), max(deadline, old[1]),
                                               *old[2:])
        return humans, expired

    def _expire(self, t: float) -> int:
        """Drop proposals and authorisations whose window closed; count the proposals."""
        late = [k for k, v in self.pending.items() if v[2] < t - 1e-9]
        for k in late:
            del self.pending[k]
        for k in [k for k, v in self.authorised.items() if v[1] < t - 1e-9]:
            del self.authorised[k]
        self.expired_total += len(late)
        return len(late)

    def _forget(self, present: set[int]) -> None:
        keep = present | {s.eng.track_id for s in self.ledger.values()}
        self.bda.forget(keep)

    # ------------------------------------------------------------------ planning

    def _leak_guard(self, cp: F64, ta: Any) -> F64:
        """The destroy-all doctrine's leak guard (:func:`engagement.threat.leak_guard_value`)
        with this site's dearest shot."""
        return leak_guard_value(cp, ta, self.planner.eff.cost_per_shot_eur)

    def _targets(self, rec: StepRecord) -> tuple[TrackArrays, F64, F64, NDArray[np.bool_],
                                                 NDArray[np.bool_], NDArray[np.bool_],
                                                 NDArray[np.int8], NDArray[np.bool_], F64]:
        """Everything the planner needs about the picture (module docstring)."""
        t, pic, cl, ta = rec.t, rec.picture, rec.classified, rec.threats
        assert pic is not None and cl is not None and ta is not None
        ids = pic.ids
        n = ids.size
        cp = np.asarray(cl.classes.prob, dtype=np.float64)
        snap = pic.tracks
        roe = self.roe
        p_alive = self.bda.p(ids)
        value = np.nan_to_num(np.asarray(ta.value_at_risk_eur, dtype=np.float64))
        if roe.value_floor == "threat_cost":
            value = np.maximum(value, cp @ self.unit_cost)
            value = np.maximum(value, self._leak_guard(cp, ta))
        inflight: dict[int, list[Engagement]] = {}
        for s in self.ledger.values():
            inflight.setdefault(s.eng.track_id, []).append(s.eng)
        look = np.full(n, -np.inf)
        surv = np.ones(n)
        for i, k in enumerate(ids.tolist()):
            look[i] = self.bda.looking_until(k)
            for e in inflight.get(k, ()):
                look[i] = max(look[i], e.t_intercept_s + self.planner.config.look_s)
                surv[i] *= 1.0 - e.pk
        value = value * p_alive * surv
        viol = self.crossings.violating(ids, roe.require_crossing)
        kinds = zone_kind_membership(self.zones, np.asarray(pic.lat_deg, float),
                                     np.asarray(pic.lon_deg, float))
        from dronewall.airspace.zones import ZONE_KINDS

        inz = kinds[ZONE_KINDS.index(_ENGAGEMENT_ZONE)]
        gate = np.zeros(n, dtype=np.int8)
        gate[p_alive < P_ENGAGE_MIN] = Reason.ASSESSED_DEAD
        immature = ((snap.hits < roe.min_track_hits) | (t - snap.t_created < roe.min_track_age_s)
                    | (t - snap.t_update > roe.max_track_stale_s)
                    | (np.asarray(cl.classes.evidence, dtype=object) == "prior"))
        gate[immature] = Reason.IMMATURE
        gate[pic.sigma_radial_m > MAX_CUE_SIGMA_M] = Reason.POOR_CUE
        expensive_ok = roe.single_class_confident(cp)
        dt = (t - snap.t_state)[:, None, None]
        P = np.asarray(snap.P, dtype=np.float64)
        cov = None
        if P.shape[1:] == (6, 6):  # 3-D state: propagate the covariance to t
            pp, pv, vv = P[:, :3, :3], P[:, :3, 3:], P[:, 3:, 3:]
            cov = np.empty_like(P)
            cov[:, :3, :3] = pp + dt * (pv + np.swapaxes(pv, 1, 2)) + dt * dt * vv
            cov[:, :3, 3:] = pv + dt * vv
            cov[:, 3:, :3] = np.swapaxes(cov[:, :3, 3:], 1, 2)
            cov[:, 3:, 3:] = vv
        path = self.predictor.path(ids, t, self._tau) if self.predictor is not None else None
        # an intercept after the track reached the asset it threatens comes too late
        reach = (np.asarray(ta.asset) >= 0) & (np.nan_to_num(ta.p_reach) >= P_REACH_LIMIT)
        until = np.where(reach, t + np.nan_to_num(ta.t_go_s, nan=np.inf), np.inf)
        tracks = TrackArrays(np.asarray(ids, dtype=np.int64), pic.pos, pic.vel,
                             pic.sigma_h_m, cov_m=cov, path_m=path, until_s=until)
        return tracks, value, cp, np.asarray(cl.trusted, bool), viol, inz, gate, \
            expensive_ok, look

    def _plan(self, rec: StepRecord) -> tuple[Plan | None, tuple[Engagement, ...],
                                              tuple[Proposal, ...]]:
        t = rec.t
        tracks, value, cp, coop, viol, inz, gate, conf, look = self._targets(rec)
        kw = {"track_gate": gate, "expensive_ok": conf, "look_until_s": look}
        ok, _ = engageable(self.roe, cp, coop, viol, inz)
        ok &= gate == Reason.OK
        self._engageable = {int(k): float(v) for k, v in zip(tracks.track_id[ok].tolist(),
                                                             value[ok].tolist(), strict=True)}
        first = self._first_engageable
        for k in self._engageable:
            first.setdefault(k, t)
        for k in [k for k, v in first.items()
                  if v <= t - FORECAST_WINDOW_S and k not in self._engageable]:
            del first[k]
        later = sum(1 for v in first.values() if v > t - FORECAST_WINDOW_S)
        pl = self.planner
        if self.doctrine in ("missile_first", "nearest_capable"):
            naive = missile_first if self.doctrine == "missile_first" else nearest_capable
            plan = naive(pl, t, tracks, value, cp, coop, viol, inz, track_gate=gate,
                         expensive_ok=conf, look_until_s=look)
        else:
            plan = pl.plan(t, tracks, value, cp, coop, viol, inz,
                           time_limit_s=SOLVER_TIME_LIMIT_S, expected_later=later, **kw)
        self.plans += 1
        self.solve_s += plan.solve_time_s
        if not plan.recommendations:
            return plan, (), ()
        due = [r for r in plan.recommendations if r.t_decide_s <= t + self.replan_s]
        proposals: list[Proposal] = []
        if self.roe.auto_approve:
            commit = due
        else:
            commit = [r for r in due if self._covered(int(r.track_id), r.cost_eur, t)]
            lead = self.roe.approval_delay_s[1] + self.replan_s
            for r in plan.recommendations:
                tk = int(r.track_id)
                if r.t_decide_s > t + lead or self._covered(tk, r.cost_eur, t):
                    continue
                p = self.pending.get(tk)
                if p is not None and p[1] >= r.cost_eur:
                    continue
                prop = Proposal(r.rec_id, tk, r.effector_id, r.effector_type, r.cost_eur,
                                r.pk, r.value_eur, r.value_saved_eur, t, r.t_decide_s,
                                r.deadline_s, r.explain())
                self.pending[tk] = (r.rec_id, r.cost_eur, r.deadline_s, t)
                proposals.append(prop)
            if proposals:
                self.approver.submit(t, proposals)
        pl.approve([r.rec_id for r in commit])
        return plan, tuple(self._commit(t, r, tracks, cp) for r in commit), tuple(proposals)

    def _covered(self, track: int, cost: float, t: float) -> bool:
        a = self.authorised.get(track)
        return a is not None and a[0] >= cost - 1e-9 and a[1] >= t - 1e-9

    def _commit(self, t: float, r: Recommendation, tracks: TrackArrays, cp: F64) -> Engagement:
        eff = self.planner.eff
        e = eff.ids.index(r.effector_id)
        n = int(np.flatnonzero(tracks.track_id == r.track_id)[0])
        auth = self.authorised.get(int(r.track_id))
        t_prop, t_appr = (auth[2], auth[3]) if auth is not None else (math.nan, math.nan)
        believed = float(eff.pk[e] @ cp[n])
        eng = Engagement(
            seq=self._seq, t_plan_s=t, t_launch_s=r.t_launch_s, t_intercept_s=r.t_intercept_s,
            site=e, effector_id=r.effector_id, effector_type=r.effector_type,
            fire_unit=r.fire_unit, track_id=int(r.track_id),
            track_class=str(_CLASS[int(np.argmax(cp[n]))]), shots=r.shots, cost_eur=r.cost_eur,
            value_eur=r.value_eur, pk=r.pk,
            pk_geom=min(r.pk / believed, 1.0) if believed > 0 else 0.0,
            lat_deg=r.lat_deg, lon_deg=r.lon_deg, alt_m=r.alt_m, kinetic=bool(eff.kinetic[e]),
            guidance="terminal" if eff.terminal[e] else "launch",
            value_saved_eur=r.value_saved_eur, shadow_cost_eur=r.shadow_cost_eur,
            t_decide_s=r.t_decide_s, deadline_s=r.deadline_s, t_proposed_s=t_prop,
            t_approved_s=t_appr)
        self.ledger[eng.seq] = _Shot(eng, r)
        self.fixes[eng.track_id] = TargetFix(t, tracks.pos_m[n].copy(), tracks.vel_mps[n].copy(),
                                             float(tracks.pos_sigma_m[n] * math.sqrt(2.0)))
        self._seq += 1
        return eng

    # ------------------------------------------------------------------ retasking

    def _retask(self, t: float, rec: StepRecord, row: dict[int, int]) -> tuple[Engagement, ...]:
        """Retaskable shots in the air whose target is assessed destroyed or lost fly on to the
        most valuable engageable track within their remaining reach that has no shot of its
        own in flight (a straight chase at the interceptor's speed, no reaction time)."""
        pic, ta = rec.picture, rec.threats
        eff = self.planner.eff
        stale = [s for s in self.ledger.values()
                 if s.launched and eff.retaskable[s.eng.site]
                 and (s.eng.track_id not in row
                      or self.bda.p_alive.get(s.eng.track_id, 1.0) < P_ENGAGE_MIN)]
        if not stale or pic is None or ta is None or not len(pic):
            return ()
        busy = {s.eng.track_id for s in self.ledger.values()}
        out = []
        for s in sorted(stale, key=lambda s: s.eng.seq):
            e, eng = s.eng.site, s.eng
            speed = float(eff.speed_mps[e])
            frac = min(max((t - eng.t_launch_s) / max(eng.t_intercept_s - eng.t_launch_s, 1e-9),
                           0.0), 1.0)
            aim = self.fixes[eng.track_id].at(eng.t_intercept_s) if eng.track_id in self.fixes \
                else eff.pos_m[e]
            here = eff.pos_m[e] + frac * (aim - eff.pos_m[e])
            flown = frac * float(np.linalg.norm(aim - eff.pos_m[e]))
            reach = float(eff.max_range_m[e]) * 1.5 - flown  # endurance left, m [E]
            best, best_v = None, 0.0
            for tk, v in self._engageable.items():  # passed every gate at the last plan
                k = row.get(tk)
                if k is None or tk in busy or self.bda.p_alive.get(tk, 1.0) < P_ENGAGE_MIN:
                    continue
                d = float(np.linalg.norm(pic.pos[k] - here))
                tgo = d / max(speed - float(np.linalg.norm(pic.vel[k])) * 0.5, 1.0)
                if speed * tgo > reach:
                    continue
                if v > best_v:
                    best, best_v = (k, tk, tgo), v
            if best is None:
                continue
            k, tk, tgo = best
            new = replace(eng, track_id=tk, t_intercept_s=t + tgo, retasks=eng.retasks + 1,
                          value_eur=best_v)
            s.eng = new
            self.fixes[tk] = TargetFix(t, pic.pos[k].copy(), pic.vel[k].copy(),
                                       float(pic.sigma_radial_m[k]))
            busy.add(tk)
            out.append(new)
        self.retasked_total += len(out)
        return tuple(out)

    def finish(self) -> tuple[Engagement, ...]:
        """Engagements still committed or in flight at the end, in intercept order."""
        return tuple(sorted((s.eng for s in self.ledger.values()),
                            key=lambda e: (e.t_intercept_s, e.seq)))


__all__ = ["ApproveAll", "Approver", "Decision", "DueEngagement", "Engagement",
           "EngagementStage", "EngagementStep", "Predictor", "Proposal", "TargetFix"]
