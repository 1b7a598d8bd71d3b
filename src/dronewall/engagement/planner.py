r"""Cost-aware engagement planner: windows + ROE + weapon-target assignment, explained.

Each cycle (``plan``; shoot-look-shoot: re-plan every cycle with what is left) the planner

1. applies the rules of engagement (:func:`dronewall.engagement.roe.engageable`);
2. computes engagement windows for every site x engageable track
   (:func:`dronewall.engagement.windows.engagement_windows`);
3. builds a static WTA (:mod:`dronewall.engagement.wta`) whose *weapons* are the free fire units
   (not engaged, not reloading, with a loaded shot): each may make **one engagement per
   cycle** of one shot (a missile, an interceptor, a gun burst), so ``counts = 1``; a site never
   offers more rows than it has loaded shots, so magazines hold by construction. *Targets* are
   the engageable tracks, with the caller's value ``V_j`` in EUR (threat evaluation is not the
   planner's job). ``p_ij = sum_c P(c | track j) pk_i(c) * pk_geom_ij``; pairs without a window
   or with ``p_ij = 0`` are masked; ``c_i`` is the cost per shot; ``lambda`` is
   ``config.cost_weight`` (EUR of expected value per EUR spent, default 1). The objective is

       sum_j V_j prod_i (1 - p_ij)^x_ij  +  lambda sum_ij c_i x_ij

   Timing: every window is planned and shown with its launch time; callers approve a
   recommendation when its launch is due. With ``config.launch_lead_s`` set, only pairs due
   within it are offered (``LATER`` otherwise), and a target that a *cheaper* effector type
   can engage later is not offered to dearer effectors now: it waits for the cheap shot, and
   shoot-look-shoot brings the dearer one back if that shot misses.
4. turns the solution into :class:`Recommendation` s with expected kill probability, cost,
   intercept time and point, side effects, and ``why_not_cheaper``: for every cheaper effector
   type deployed, why it was not used (no window and the reason, busy, empty, used on other
   targets, or not worth it in the objective).

Nothing fires without approval: with ``roe.approval == "human"`` recommendations are
``proposed`` and :meth:`EngagementPlanner.approve` commits the chosen ones (ammunition is
consumed, the fire unit is busy for the engagement and any reload). With ``"auto"`` (simulation)
``plan`` approves everything it recommends.

The parts that look ahead in time -- shoot-look-shoot follow-ups and salvos, the continuation
value, waiting for a cheaper layer, the magazine shadow prices -- are in
:mod:`dronewall.engagement.dynamics`; the plan's data types in :mod:`dronewall.engagement.plan`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.airspace.zones import ZoneSet
from dronewall.catalog.effectors import EffectorType, get_effector
from dronewall.engagement.dynamics import DEFER_MAX_S, LOOK_S, PlannerDynamics

# re-exported: the dynamics' constants stay importable from the planner
from dronewall.engagement.dynamics import LATER_RELIABILITY as LATER_RELIABILITY
from dronewall.engagement.dynamics import MAX_ATTEMPTS as MAX_ATTEMPTS
from dronewall.engagement.dynamics import SALVO_PK as SALVO_PK
from dronewall.engagement.dynamics import SHADOW_ITERS as SHADOW_ITERS
from dronewall.engagement.plan import F64, I64, Alternative, Plan, Recommendation, _Context
from dronewall.engagement.roe import REASON_TEXT, Reason, Roe, engageable
from dronewall.engagement.windows import (
    DT_S,
    HORIZON_S,
    PROCESS_NOISE_Q,
    EffectorArrays,
    TrackArrays,
    Weather,
    engagement_windows,
)
from dronewall.engagement.wta import WTAProblem, solve
from dronewall.errors import InputError
from dronewall.geo.frames import Frame

#: Pairs with a combined kill probability below this are not offered to the solver [E]: a
#: 1 % shot is never worth its crew's attention and only slows the search.
MIN_PK = 0.01
#: Longest planning horizon, s: the longest reaction + flight of the sites, capped here (an
#: hour covers a fighter scramble from a distant base; beyond it a straight-line prediction of
#: a drone says nothing).
MAX_HORIZON_S = 3_600.0
#: Catalogue figures a site may override (scenario ``effectors`` entries).
OVERRIDE_FIELDS = ("min_range_m", "max_range_m", "min_alt_m", "max_alt_m", "reaction_time_s",
                   "cost_per_shot_eur", "pk")


@dataclass(frozen=True)
class EffectorSite:
    """One deployed effector site: catalogue ``type_key`` at a WGS84 position.

    ``stock``: shots at the site (default: magazine x fire units); ``fire_units`` (default
    from the catalogue); ``overrides``: per-site figures (``min_range_m``, ``max_range_m``,
    ``min_alt_m``, ``max_alt_m``, ``reaction_time_s``, ``cost_per_shot_eur``, ``pk`` by class
    name), as in the scenario's ``effectors`` section.
    """

    id: str
    type_key: str
    lat_deg: float
    lon_deg: float
    stock: int | None = None
    fire_units: int | None = None
    height_m: float = 0.0
    overrides: Mapping[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> EffectorType:
        return get_effector(self.type_key)

    @classmethod
    def from_values(cls, id: str, type: str, position: Sequence[float],
                    count: int | None = None, fire_units: int | None = None,
                    height_m: float = 0.0, **overrides: Any) -> EffectorSite:
        """From the plain values of a scenario ``effectors`` entry
        (``EffectorSite.from_values(**spec.model_dump())``); ``None`` overrides are dropped."""
        unknown = set(overrides) - set(OVERRIDE_FIELDS)
        if unknown:
            raise InputError(f"effector {id!r}: unknown field(s) {sorted(unknown)}; expected "
                             f"overrides among {', '.join(OVERRIDE_FIELDS)}")
        return cls(id=id, type_key=type, lat_deg=float(position[0]),
                   lon_deg=float(position[1]), stock=count, fire_units=fire_units,
                   height_m=height_m,
                   overrides={k: v for k, v in overrides.items() if v is not None})


@dataclass(frozen=True)
class PlannerConfig:
    """Planner settings. ``cost_weight`` lambda: EUR of expected saved value per EUR spent;
    ``horizon_s``: look-ahead of the windows (None: the longest reaction + flight time of the
    sites, at least ``HORIZON_S``, at most ``MAX_HORIZON_S``); ``look_s``: look period after an
    intercept; ``cycle_s``: the caller's re-planning period (a shot due within it is due now);
    ``reserve``: price each site's rounds with the magazine shadow prices of the horizon problem
    (module docstring); ``defer_to_cheaper``: wait for a cheaper effector's later window while a
    dearer one can still follow it."""

    cost_weight: float = 1.0
    horizon_s: float | None = None
    look_s: float = LOOK_S
    cycle_s: float = 2.0
    #: Time from a recommendation to the decision to fire (the operator's approval), s: a
    #: follow-up shot after a look needs it before its window's deadline.
    decision_lag_s: float = 0.0
    reserve: bool = True
    defer_to_cheaper: bool = True
    #: Value a target by what it would cost to kill it later when that is less than the damage
    #: it can do (the continuation: the later windows' attempts, cheapest per kill first, then
    #: the damage if they all miss) -- an approximate dynamic programme over the horizon.
    continuation: bool = False
    #: A cheaper layer further ahead than this is not waited for, s [E]: by then the picture,
    #: and the plan, will have changed (and a raid still flying at the end meets no layer).
    defer_max_s: float = DEFER_MAX_S
    dt_s: float = DT_S
    process_noise: float = PROCESS_NOISE_Q
    time_limit_s: float = 1.0
    weather: Weather | None = None
    min_pk: float = MIN_PK
    #: When set, a pair is planned only when its decision is due within this many seconds; later
    #: windows wait for a later cycle (``LATER``). None (default): every window is planned and
    #: shown with its launch time; the caller approves a recommendation when its launch is due
    #: (what the simulation's stand-in operator does), so no fire unit is committed minutes
    #: ahead on a straight-line prediction.
    launch_lead_s: float | None = None
    #: Automatic approval (ROE ``approval: auto``) commits only recommendations whose decision
    #: is due (``t_decide_s``) within this many seconds; later ones stay ``proposed`` and are
    #: re-planned. None: all.
    auto_approve_lead_s: float | None = 10.0
    #: Iteration cap of the heuristic: with it, the same inputs give the same plan whatever the
    #: machine load (the time limit stays a safety valve). None: time limit only.
    max_iters: int | None = 40

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cost_weight) and self.cost_weight >= 0):
            raise InputError(f"cost_weight: got {self.cost_weight}; expected a number >= 0")
        if not self.time_limit_s > 0:
            raise InputError(f"time_limit_s: got {self.time_limit_s}; expected > 0")
        if self.horizon_s is not None and not (math.isfinite(self.horizon_s)
                                               and self.horizon_s > 0):
            raise InputError(f"horizon_s: got {self.horizon_s}; expected > 0 s or None")


class EngagementPlanner(PlannerDynamics):
    """Plans engagements for a fixed set of effector sites (see the module docstring).

    State owned by the planner: ``stock`` (E,) shots left per site, ``loaded`` (F,) shots in
    each fire unit's magazine, ``busy_until`` (F,) s. ``unit_site`` (F,) maps fire units to
    sites. Only :meth:`approve` (or auto approval) changes the state.
    """

    def __init__(self, sites: Sequence[EffectorSite], roe: Roe | None, zones: ZoneSet | None,
                 frame: Frame, config: PlannerConfig | None = None) -> None:
        if not sites:
            raise InputError("effectors: expected at least one effector site")
        ids = [s.id for s in sites]
        if len(set(ids)) != len(ids):
            raise InputError(f"effectors: duplicate site ids in {ids}")
        self.sites = tuple(sites)
        self.types = tuple(get_effector(s.type_key) for s in sites)
        self.roe = roe or Roe()
        self.zones = zones
        self.frame = frame
        self.config = config or PlannerConfig()
        self.eff = EffectorArrays.from_types(
            ids, self.types, [s.lat_deg for s in sites], [s.lon_deg for s in sites],
            [s.height_m for s in sites], frame, [dict(s.overrides) for s in sites])
        units = np.array([s.fire_units if s.fire_units is not None else t.fire_units
                          for s, t in zip(sites, self.types, strict=True)], dtype=np.int64)
        if np.any(units < 1):
            raise InputError("effectors: fire_units must be >= 1")
        self.unit_site: I64 = np.repeat(np.arange(len(sites)), units)
        self.magazine: I64 = np.array([t.magazine for t in self.types], dtype=np.int64)
        self.reload_s: F64 = np.array([t.reload_s for t in self.types], dtype=np.float64)
        self.stock: I64 = np.array(
            [s.stock if s.stock is not None else t.magazine * u
             for s, t, u in zip(sites, self.types, units, strict=True)], dtype=np.int64)
        if np.any(self.stock < 0):
            raise InputError("effectors: stock (count) must be >= 0")
        self.loaded: I64 = np.zeros(len(self.unit_site), dtype=np.int64)
        for e in range(len(sites)):  # initial load: fill magazines in unit order
            left = int(self.stock[e])
            for f in np.flatnonzero(self.unit_site == e):
                self.loaded[f] = min(int(self.magazine[e]), left)
                left -= int(self.loaded[f])
        self.busy_until: F64 = np.full(len(self.unit_site), -np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = self.eff.reaction_s + np.where(np.isfinite(self.eff.speed_mps),
                                                   self.eff.max_range_m / self.eff.speed_mps, 0.0)
        #: look-ahead of the windows, s: long enough for every site's reaction and flight
        self.horizon_s = float(self.config.horizon_s if self.config.horizon_s is not None
                               else min(MAX_HORIZON_S, max(HORIZON_S, float(reach.max()))))
        self.fired: I64 = np.zeros(len(sites), dtype=np.int64)
        self.spent_eur: F64 = np.zeros(len(sites))
        self._last: dict[str, Recommendation] = {}
        self._cycle = 0
        self._plan_t = -np.inf

    # ------------------------------------------------------------------ public API

    @property
    def n_fire_units(self) -> int:
        return len(self.unit_site)

    def plan(self, t: float, tracks: TrackArrays, target_value: ArrayLike, class_prob: ArrayLike,
             cooperative_trusted: ArrayLike, violated: ArrayLike,
             in_engagement_zone: ArrayLike, busy_until: ArrayLike | None = None,
             time_limit_s: float | None = None, exact: bool = False, *,
             track_gate: ArrayLike | None = None, expensive_ok: ArrayLike | None = None,
             look_until_s: ArrayLike | None = None, expected_later: int = 0) -> Plan:
        """Recommend engagements at time ``t`` (see the module docstring).

        ``target_value`` (N,) EUR; ``class_prob`` (N, 7); ``cooperative_trusted``,
        ``violated``, ``in_engagement_zone`` (N,) bool; ``busy_until`` (F,) optional extra
        busy times of the fire units (the later of it and the planner's own is used).
        ``track_gate`` (N,) optional :class:`Reason` codes of the caller (maturity, cue, kill
        assessment; 0 = OK); ``expensive_ok`` (N,) whether the track's class is confident
        enough for effectors of at least ``roe.expensive_effector_eur`` per shot (None: all);
        ``look_until_s`` (N,) no new shot may be decided before this time (a shot in flight
        and its look period) unless no window is left after it (then a salvo is planned now).
        ``expected_later``: threats not yet seen that the magazines should be kept for.
        """
        ctx = self._prepare(t, tracks, target_value, class_prob, cooperative_trusted, violated,
                            in_engagement_zone, busy_until, track_gate=track_gate,
                            expensive_ok=expensive_ok, look_until_s=look_until_s)
        ctx.expected_later = max(0, int(expected_later))
        if self.config.defer_to_cheaper:
            self._defer_to_cheaper(ctx)
        if self.config.reserve:
            ctx.shadow = self._shadow_prices(ctx)
        values = self._continuation(ctx) if self.config.continuation else ctx.value
        if self.config.continuation:
            # windows whose decision is further off than the operator's answer are chances
            # later (in the continuation value), not choices of this cycle
            lead = t + max(self.config.cycle_s, self.config.decision_lag_s)
            later = (ctx.reason == Reason.OK) \
                & (ctx.win.t_launch_s - self.eff.reaction_s[:, None] > lead)
            ctx.reason[later] = Reason.LATER
            ctx.pk[later] = 0.0
        w, tn = len(ctx.row_unit), len(ctx.sub)
        if w == 0 or tn == 0 or not np.any(ctx.pk[ctx.row_site] > 0):
            x = np.zeros((w, tn), dtype=np.int64)
            obj = float(ctx.value.sum())
            plan = self._finish(ctx, x, obj, obj, 0.0, "empty", "none", 0.0)
        else:
            prob = WTAProblem(
                values=values, pk=ctx.pk[ctx.row_site], counts=np.ones(w, dtype=np.int64),
                costs=(self.eff.cost_per_shot_eur + ctx.shadow)[ctx.row_site],
                cost_weight=self.config.cost_weight, feasible=ctx.pk[ctx.row_site] > 0,
                max_units_per_target=self._salvo_cap(ctx))
            sol = solve(prob, time_limit_s=time_limit_s or self.config.time_limit_s,
                        exact=exact, max_iters=self.config.max_iters)
            plan = self._finish(ctx, np.asarray(sol.x), sol.objective, sol.lower_bound, sol.gap,
                                sol.status, sol.solver, sol.solve_time_s)
        return plan

    def cancel(self, rec: Recommendation, t: float) -> None:
        """Hold fire on an approved engagement that has not launched (its target was destroyed
        or lost): the round goes back to the unit's magazine and the site's stock, the spend is
        undone and the unit is free from ``t``."""
        if rec.status != "approved":
            raise InputError(f"cancel: {rec.rec_id} is {rec.status}, not approved")
        f = rec.fire_unit
        e = int(self.unit_site[f])
        self.stock[e] += rec.shots
        self.fired[e] -= rec.shots
        self.spent_eur[e] -= rec.cost_eur
        self.loaded[f] = min(int(self.magazine[e]), int(self.loaded[f]) + rec.shots)
        self.busy_until[f] = min(self.busy_until[f], t)
        rec.status = "cancelled"

    def approve(self, rec_ids: Sequence[str]) -> list[Recommendation]:
        """Approve recommendations of the latest plan (human in the loop): consumes the shots,
        makes the fire unit busy for the engagement (plus a reload when its magazine runs
        dry). Unknown or stale ids, or a unit that can no longer fire, raise InputError."""
        out = []
        for rid in rec_ids:
            rec = self._last.get(rid)
            if rec is None:
                raise InputError(f"approve: unknown or stale recommendation id {rid!r}; "
                                 f"expected one of the latest plan: {', '.join(self._last)}")
            if rec.status == "approved":
                continue
            f = rec.fire_unit
            e = int(self.unit_site[f])
            if self.loaded[f] < rec.shots or self.stock[e] < rec.shots:
                raise InputError(f"approve: {rid}: fire unit {f} of {rec.effector_id} has "
                                 f"{int(self.loaded[f])} shot(s) loaded; needs {rec.shots}")
            self.loaded[f] -= rec.shots
            self.stock[e] -= rec.shots
            self.fired[e] += rec.shots
            self.spent_eur[e] += rec.cost_eur
            # committed from now until the intercept, and at least time_per_engagement
            busy = max(self._plan_t + float(self.eff.time_per_engagement_s[e]),
                       rec.t_intercept_s)
            if self.loaded[f] == 0:
                reserve = int(self.stock[e] - self.loaded[self.unit_site == e].sum())
                if reserve > 0:
                    self.loaded[f] = min(int(self.magazine[e]), reserve)
                    busy += float(self.reload_s[e])
            self.busy_until[f] = max(self.busy_until[f], busy)
            rec.status = "approved"
            out.append(rec)
        return out

    # ------------------------------------------------------------------ internals

    def _prepare(self, t: float, tracks: TrackArrays, target_value: ArrayLike,
                 class_prob: ArrayLike, cooperative_trusted: ArrayLike, violated: ArrayLike,
                 in_engagement_zone: ArrayLike, busy_until: ArrayLike | None, *,
                 track_gate: ArrayLike | None = None, expensive_ok: ArrayLike | None = None,
                 look_until_s: ArrayLike | None = None) -> _Context:
        n = len(tracks)
        v = np.asarray(target_value, dtype=np.float64)
        if v.shape != (n,) or not np.all(np.isfinite(v)) or np.any(v < 0):
            raise InputError(f"target_value: expected ({n},) finite values >= 0 EUR, got "
                             f"shape {v.shape}")
        cp = np.asarray(class_prob, dtype=np.float64)
        ok, treason = engageable(self.roe, cp, cooperative_trusted, violated, in_engagement_zone)
        if track_gate is not None:
            g = np.asarray(track_gate, dtype=np.int8)
            if g.shape != (n,):
                raise InputError(f"track_gate: got shape {g.shape}; expected ({n},)")
            treason = np.where(treason == Reason.OK, g, treason).astype(np.int8)
            ok = treason == Reason.OK
        busy = self.busy_until.copy()
        if busy_until is not None:
            b = np.asarray(busy_until, dtype=np.float64)
            if b.shape != busy.shape:
                raise InputError(f"busy_until: got shape {b.shape}; expected "
                                 f"({self.n_fire_units},) fire units")
            busy = np.maximum(busy, b)
        free = (busy <= t) & (self.loaded > 0)
        e_n = len(self.sites)
        n_free = np.bincount(self.unit_site[free], minlength=e_n)
        gate = np.zeros(e_n, dtype=np.int8)
        gate[n_free == 0] = Reason.BUSY
        gate[self.stock <= 0] = Reason.MAGAZINE_EMPTY

        sub = np.flatnonzero(ok)
        trs = tracks.subset(sub)
        win = engagement_windows(self.eff, trs, self.zones, self.frame, self.horizon_s,
                                 self.config.dt_s, self.roe, t_s=t,
                                 weather=self.config.weather,
                                 process_noise=self.config.process_noise)
        pk_class = self.eff.pk @ cp[sub].T  # (E, N')
        geo_ok = win.feasible.copy()
        reason = win.reason.copy()
        nopk = geo_ok & (pk_class * win.pk_geom < self.config.min_pk)
        reason[nopk] = Reason.NO_PK
        geo_ok &= ~nopk
        if expensive_ok is not None:  # per-class confidence for dear effectors
            conf = np.asarray(expensive_ok, dtype=bool)
            if conf.shape != (n,):
                raise InputError(f"expensive_ok: got shape {conf.shape}; expected ({n},)")
            dear = self.eff.cost_per_shot_eur >= self.roe.expensive_effector_eur
            low = geo_ok & dear[:, None] & ~conf[sub][None, :]
            reason[low] = Reason.CONFIDENCE
            geo_ok &= ~low
        pk_h = np.where(geo_ok & (self.stock[:, None] > 0), pk_class * win.pk_geom, 0.0)
        if look_until_s is not None:  # shots in flight: look first, unless no window is left
            lu = np.asarray(look_until_s, dtype=np.float64)
            if lu.shape != (n,):
                raise InputError(f"look_until_s: got shape {lu.shape}; expected ({n},)")
            lu = lu[sub]
            deadline = self.deadline_s(win)
            decide = win.t_launch_s - self.eff.reaction_s[:, None]
            after = np.any((pk_h > 0) & (deadline >= lu[None, :] + self.config.decision_lag_s),
                           axis=0)  # (N',) a window is left after the look

            wait = geo_ok & (decide < lu[None, :]) & after[None, :]
            reason[wait] = Reason.IN_FLIGHT
            geo_ok &= ~wait
        gated = geo_ok & (gate[:, None] != 0)  # a window exists, but the site cannot fire
        reason = np.where(gated, gate[:, None], reason).astype(np.int8)
        if self.config.launch_lead_s is not None:
            later = ((reason == Reason.OK) & (win.t_launch_s - self.eff.reaction_s[:, None]
                                              > t + self.config.launch_lead_s))
            reason[later] = Reason.LATER
        feas = reason == Reason.OK
        pk = np.where(feas, pk_class * win.pk_geom, 0.0)
        rows = np.flatnonzero(free)
        last = None if look_until_s is None else lu - self.config.look_s
        return _Context(t_s=t, tracks=tracks, sub=sub, win=win, pk=pk, reason=reason,
                        geo_ok=geo_ok, value=v[sub], row_unit=rows,
                        row_site=self.unit_site[rows], track_reason=treason, pk_h=pk_h,
                        shadow=np.zeros(e_n), busy=busy, last_intercept_s=last)

    def _finish(self, ctx: _Context, x: NDArray[np.int64], objective: float, lower_bound: float,
                gap: float, status: str, solver: str, solve_time_s: float) -> Plan:
        """Recommendations, explanations and unengaged reasons from an assignment x (W, T)."""
        self._cycle += 1
        self._plan_t = ctx.t_s
        eff, win = self.eff, ctx.win
        x = np.asarray(x, dtype=np.int64).reshape(len(ctx.row_unit), len(ctx.sub))
        rows, cols = np.nonzero(x > 0)
        # combined kill probability per target
        surv = np.ones(len(ctx.sub))
        for r, c in zip(rows, cols, strict=True):
            surv[c] *= (1.0 - ctx.pk[ctx.row_site[r], c]) ** x[r, c]
        used_rows_site = ctx.row_site[rows]
        recs: list[Recommendation] = []
        status_txt = "proposed"  # auto approval below goes through approve() as well
        cost = eff.cost_per_shot_eur
        deadline = self.deadline_s(win)
        for k, (r, c) in enumerate(zip(rows, cols, strict=True)):
            e = int(ctx.row_site[r])
            n = int(ctx.sub[c])
            shots = int(x[r, c])
            rec = Recommendation(
                rec_id=f"c{self._cycle}-{k}", effector_id=eff.ids[e],
                effector_type=eff.type_keys[e], fire_unit=int(ctx.row_unit[r]),
                track_id=_py(ctx.tracks.track_id[n]), shots=shots,
                t_launch_s=float(win.t_launch_s[e, c]),
                t_intercept_s=float(win.t_intercept_s[e, c]),
                t_decide_s=float(win.t_launch_s[e, c] - self.eff.reaction_s[e]),
                lat_deg=float(win.lat_deg[e, c]), lon_deg=float(win.lon_deg[e, c]),
                alt_m=float(win.alt_m[e, c]), range_m=float(win.range_m[e, c]),
                miss_sigma_m=float(win.miss_sigma_m[e, c]), pk=float(ctx.pk[e, c]),
                p_kill_target=float(1.0 - surv[c]), cost_eur=float(cost[e] * shots),
                value_eur=float(ctx.value[c]), debris_over_no_fire=bool(win.debris[e, c]),
                civil_jamming_radius_m=float(self.types[e].side_effects.civil_jamming_radius_m),
                status=status_txt, deadline_s=float(deadline[e, c]),
                value_saved_eur=float(ctx.value[c] * ctx.pk[e, c]),
                shadow_cost_eur=float(ctx.shadow[e] * shots))
            rec.why_not_cheaper = self._why_not_cheaper(ctx, x, rows, cols, used_rows_site, e, c)
            recs.append(rec)
        self._trail_salvos(ctx, recs)
        unengaged: dict[Any, str] = {}
        for n in np.flatnonzero(ctx.track_reason != Reason.OK):
            unengaged[_py(ctx.tracks.track_id[n])] = Reason(int(ctx.track_reason[n])).name
        engaged = set(cols.tolist())
        for c in range(len(ctx.sub)):
            if c in engaged:
                continue
            tid = _py(ctx.tracks.track_id[ctx.sub[c]])
            ok_sites = np.flatnonzero(ctx.reason[:, c] == Reason.OK)
            if len(ok_sites):
                left = np.isin(ctx.row_site, ok_sites) & ~np.isin(np.arange(len(ctx.row_unit)),
                                                                  rows)
                unengaged[tid] = "NOT_WORTH" if left.any() else "NO_FREE_UNIT"
            else:
                unengaged[tid] = self._best_reason(ctx, c)
        self._last = {r.rec_id: r for r in recs}
        plan = Plan(t_s=ctx.t_s, recommendations=recs, objective=float(objective),
                    lower_bound=float(lower_bound), gap=float(gap), status=status,
                    solver=solver, solve_time_s=float(solve_time_s), unengaged=unengaged,
                    windows=win)
        if self.roe.auto_approve and recs:
            lead = self.config.auto_approve_lead_s
            self.approve([r.rec_id for r in recs
                          if lead is None or r.t_decide_s <= ctx.t_s + lead])
        return plan

    def _best_reason(self, ctx: _Context, c: int) -> str:
        """The reason of the site that came closest to a window: the largest reason stage
        reached (e.g. TOO_LATE beats OUT_OF_RANGE); ties go to the nearest site."""
        rs = ctx.reason[:, c].astype(np.int64)
        order = np.lexsort((ctx.win.distance_now_m[:, c], -rs))
        return Reason(int(rs[order[0]])).name

    def _why_not_cheaper(self, ctx: _Context, x: NDArray[np.int64], rows: I64, cols: I64,
                         used_rows_site: I64, e_star: int, c: int) -> list[Alternative]:
        eff = self.eff
        cost = eff.cost_per_shot_eur
        out: list[Alternative] = []
        cheaper_types = sorted({eff.type_keys[e] for e in range(len(eff))
                                if cost[e] < cost[e_star]},
                               key=lambda k: float(min(cost[e] for e in range(len(eff))
                                                       if eff.type_keys[e] == k)))
        on_target = set(ctx.row_site[rows[cols == c]].tolist())
        for key in cheaper_types:
            sites = [e for e in range(len(eff))
                     if eff.type_keys[e] == key and cost[e] < cost[e_star]]
            if any(e in on_target for e in sites):
                e = next(e for e in sites if e in on_target)
                out.append(Alternative(key, eff.ids[e], float(cost[e]), "ALSO_ASSIGNED",
                                       "also engages this target in the plan"))
                continue
            ok_sites = [e for e in sites if ctx.reason[e, c] == Reason.OK]
            if ok_sites:
                e = max(ok_sites, key=lambda s: ctx.pk[s, c])
                others = [_py(ctx.tracks.track_id[ctx.sub[cc]])
                          for r, cc in zip(rows, cols, strict=True)
                          if ctx.row_site[r] == e and cc != c]
                n_free = int(np.sum(ctx.row_site == e))
                if others and len(others) >= n_free:
                    out.append(Alternative(key, eff.ids[e], float(cost[e]), "USED_ELSEWHERE",
                                           f"all {n_free} free fire unit(s) assigned to other "
                                           f"tracks ({', '.join(map(str, others[:5]))})"))
                else:
                    v = float(ctx.value[c])
                    mine = ctx.pk[e_star, c] * v / max(cost[e_star], 1e-9)
                    alt = ctx.pk[e, c] * v / max(cost[e], 1e-9)
                    out.append(Alternative(
                        key, eff.ids[e], float(cost[e]), "NOT_WORTH",
                        f"window at t={ctx.win.t_intercept_s[e, c]:.0f} s with Pk "
                        f"{ctx.pk[e, c]:.2f} (chosen {ctx.pk[e_star, c]:.2f}); expected value "
                        f"saved per EUR {alt:.2f} vs {mine:.2f}, but the assignment that "
                        f"minimises expected loss + {self.config.cost_weight:g} x spend "
                        f"prefers the chosen effector"))
                continue
            rs = ctx.reason[sites, c].astype(np.int64)
            d = ctx.win.distance_now_m[sites, c]
            best = sites[int(np.lexsort((d, -rs))[0])]
            code = Reason(int(ctx.reason[best, c]))
            detail = REASON_TEXT[code]
            if code in (Reason.BUSY, Reason.MAGAZINE_EMPTY):
                detail += f" (window at t={ctx.win.t_intercept_s[best, c]:.0f} s)"
            out.append(Alternative(key, eff.ids[best], float(cost[best]), code.name, detail))
        return out


def _py(v: Any) -> Any:
    """numpy scalar -> Python scalar (JSON-ready ids)."""
    return v.item() if isinstance(v, np.generic) else v
