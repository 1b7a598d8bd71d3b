r"""The engagement planner over time: shoot-look-shoot, waiting, keeping rounds for later.

The planner re-plans every cycle with what is left, so what it does now depends on what later
cycles can still do. :class:`PlannerDynamics`, a mixin of
:class:`~dronewall.engagement.planner.EngagementPlanner`, holds those parts:

- when a window's last decision is (``deadline_s``) and when a site's fire unit can fire again
  (``unit_free_s``);
- shoot-look-shoot: which targets still have a window for a follow-up decision after this
  cycle's intercept and its look (``_follow_up``); the others get a salvo sized by pk
  (``_salvo_cap``, ``SALVO_PK``);
- the continuation value: what a target would cost to kill later, when that is less than its
  value (``_continuation``, ``MAX_ATTEMPTS``, ``LATER_RELIABILITY``;
  ``PlannerConfig.continuation``);
- waiting for a cheaper layer's later window (``_defer_to_cheaper``, ``DEFER_MAX_S``);
- the magazine shadow prices: what a round kept for later threats is worth
  (``_shadow_prices``, ``SHADOW_ITERS``);
- salvos of retaskable interceptors flown in trail (``_trail_salvos``, ``SALVO_TRAIL_S``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from dronewall.engagement.plan import F64, I64, _Context
from dronewall.engagement.roe import Reason
from dronewall.engagement.windows import EffectorArrays, Windows
from dronewall.engagement.wta import WTAProblem
from dronewall.engagement.wta.bounds import shadow_prices

if TYPE_CHECKING:
    from dronewall.engagement.plan import Recommendation
    from dronewall.engagement.planner import EffectorSite, PlannerConfig
    from dronewall.geo.frames import Frame

#: Look period after an intercept before the same track may be shot at again, s [E]: a few
#: revisits of a short-range radar (1-2 s) or of the acoustic grid's 1 Hz reports -- long enough
#: to see whether the track still moves, short enough to leave a second window.
LOOK_S = 8.0
#: Longest wait for a cheaper layer's window, s [E] (``PlannerConfig.defer_max_s``).
DEFER_MAX_S = 600.0
#: A salvo (no window left for another shot at the same price) aims for this kill probability
#: with the cheapest effector that can shoot now [E]: about one SAM's.
SALVO_PK = 0.9
#: Attempts per site counted in a target's continuation value (each a shoot-look cycle).
MAX_ATTEMPTS = 4
#: A later chance is less sure than one now (the track may be lost, the unit tasked elsewhere,
#: the window misjudged): later attempts count with their pk times this [E]. It also breaks the
#: tie between shooting now and the same shot later in favour of now.
LATER_RELIABILITY = 0.9
#: Spacing of the shots of one salvo of retaskable interceptors (drones flown by a crew), s [E]:
#: each flies this far behind the one before it, so that the look after the lead's intercept
#: (``LOOK_S``, plus a few seconds for the picture's next updates) comes before the next one
#: arrives -- a trailing interceptor whose target is then assessed destroyed is steered to
#: another track instead of striking a wreck (the chain's retasking).
SALVO_TRAIL_S = LOOK_S + 4.0
#: Subgradient steps of the magazine shadow prices (deterministic; the multipliers of a
#: problem of tens of targets and a handful of sites settle well within this).
SHADOW_ITERS = 60


class PlannerDynamics:
    """The over-time parts of :class:`~dronewall.engagement.planner.EngagementPlanner` (see
    the module docstring). The planner provides the state annotated here."""

    sites: tuple[EffectorSite, ...]
    config: PlannerConfig
    eff: EffectorArrays
    unit_site: I64
    reload_s: F64
    stock: I64
    loaded: I64
    busy_until: F64
    horizon_s: float
    frame: Frame

    def _follow_up(self, ctx: _Context) -> tuple[F64, NDArray[np.bool_]]:
        """When a follow-up decision could come after this cycle's first intercept, its look
        and the operator (T,), and which site-target pairs still have a window then (E, T)."""
        win = ctx.win
        with np.errstate(invalid="ignore"):
            t_first = np.where(ctx.pk > 0, win.t_intercept_s, np.inf).min(axis=0,
                                                                           initial=np.inf)
            t_next = np.where(np.isfinite(t_first), t_first, ctx.t_s) + self.config.look_s \
                + self.config.decision_lag_s
            later = (ctx.pk_h > 0) & (self.deadline_s(win) >= t_next[None, :])
        return t_next, later

    def _salvo_cap(self, ctx: _Context) -> I64:
        """(T,) shots one cycle may aim at each target: one while a window at no higher cost
        per shot than the cheapest shot now remains after this cycle's intercept, its look and
        the operator's decision (shoot-look-shoot); otherwise a salvo sized by pk: as many
        shots of the cheapest effector now as reach ``SALVO_PK`` (the assignment decides how
        many of them pay)."""
        cost = self.eff.cost_per_shot_eur
        _, later = self._follow_up(ctx)
        now = ctx.pk > 0
        c_now = np.where(now, cost[:, None], np.inf).min(axis=0, initial=np.inf)  # (T,)
        same_price = np.any(later & (cost[:, None] <= c_now[None, :] + 1e-9), axis=0)
        p_now = np.where(now & (cost[:, None] <= c_now[None, :] + 1e-9), ctx.pk, 0.0).max(
            axis=0, initial=0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.ceil(np.log(1.0 - SALVO_PK) / np.log(np.clip(1.0 - p_now, 1e-9, 1.0)))
        k = np.clip(np.nan_to_num(k, nan=1.0, posinf=1.0), 1, max(1, len(ctx.row_unit)))
        return np.where(same_price, 1, k).astype(np.int64)

    def _continuation(self, ctx: _Context) -> F64:
        """(T,) what each target is worth killing now: the lesser of its value and the expected
        cost of killing it later -- after this cycle's intercept, its look and the operator,
        each site with a window left (and a fire unit free and a round by then) gives up to
        ``MAX_ATTEMPTS`` shoot-look cycles while its window lasts, each at its pk x
        ``LATER_RELIABILITY``; taken cheapest per expected kill first, then the value if all
        miss. The sites' rounds and fire-unit cycles over the
        horizon are shared out, most valuable targets first."""
        win, eff = ctx.win, self.eff
        t_next, later = self._follow_up(ctx)
        cost = eff.cost_per_shot_eur + ctx.shadow
        deadline = self.deadline_s(win)
        flight = np.nan_to_num(win.t_intercept_s - win.t_launch_s)
        step = eff.reaction_s[:, None] + flight + self.config.look_s \
            + self.config.decision_lag_s
        free = self.unit_free_s(ctx.t_s, ctx.busy)  # inf: no round left
        start = np.maximum(np.maximum(t_next[None, :], win.t_launch_s - eff.reaction_s[:, None]),
                           free[:, None])
        with np.errstate(invalid="ignore"):
            n = np.where(later & (start <= deadline),
                         1 + np.floor(np.maximum(deadline - start, 0.0) / step), 0)
        n = np.clip(np.nan_to_num(n), 0, MAX_ATTEMPTS).astype(np.int64)
        # the attempts are shared: each site's rounds, and its fire units' shoot-look cycles
        # over the horizon, go to the most valuable targets first (expected shots)
        units = np.bincount(self.unit_site, minlength=len(eff)).astype(np.float64)
        k = later.sum(axis=1)
        mean_step = np.where(later, step, 0.0).sum(axis=1) / np.maximum(k, 1)
        cycles = np.where(k > 0, units * self.horizon_s / np.maximum(mean_step, 1e-9), 0.0)
        budget = np.minimum(self.stock.astype(np.float64), cycles)
        out = ctx.value.copy()
        for c in np.argsort(-ctx.value, kind="stable"):
            opp: list[tuple[float, float, float]] = []  # (time, cost, pk) of later attempts
            for e in np.flatnonzero((n[:, c] > 0) & (budget >= 1.0)):
                p = LATER_RELIABILITY * float(ctx.pk_h[e, c])
                k = min(int(n[e, c]), int(budget[e]))
                budget[e] -= sum((1.0 - p) ** i for i in range(k))  # expected shots
                opp += [(float(start[e, c] + i * step[e, c]), float(cost[e]), p)
                        for i in range(k)]
            value = float(ctx.value[c])
            for _, ce, pe in sorted(opp, reverse=True):  # backwards in time: take or skip
                value = min(value, ce + (1.0 - pe) * value)
            out[c] = value
        return out

    def deadline_s(self, win: Windows) -> F64:
        """(E, N) latest decision time that still makes each window (NaN: none)."""
        return win.t_latest_launch_s - self.eff.reaction_s[:, None]

    def unit_free_s(self, t: float, busy_until: F64 | None = None) -> F64:
        """(E,) earliest time a fire unit of each site can fire again (with a loaded round, or
        after the reload from the site's stock); inf when the site has no round left.
        ``busy_until`` (F,): the units' busy times (default the planner's own)."""
        e_n = len(self.sites)
        busy = self.busy_until if busy_until is None else busy_until
        out = np.full(e_n, np.inf)
        reload_at = np.maximum(busy, t) + self.reload_s[self.unit_site]
        ready = np.where(self.loaded > 0, np.maximum(busy, t), reload_at)
        np.minimum.at(out, self.unit_site, ready)
        out[self.stock <= 0] = np.inf
        return out

    def _defer_to_cheaper(self, ctx: _Context) -> None:
        """A target whose cheapest option per expected kill is a later window of a cheaper site
        waits for it, as long as that site has a fire unit and a round for it then (the cheap
        layer's queue: targets are scheduled on it in the order of their windows, each taking
        a unit for its time per engagement or until its intercept) and the dearer site still
        has a window after that shot and its look period (the fallback). The layer waited for
        is the cheapest per kill that has a round and a unit in time *and* leaves that
        fallback: a cheaper one without it (an interceptor crew free too late, a jammer whose
        window ends with the SAM's) does not send the target to the SAM now while a gun further
        on could still take it. Both orders give the target both
        shots: dear first costs ``c + (1 - p) c'``, waiting costs ``c' + (1 - p') c``, so
        waiting pays when ``c' / p' < c / p``. Deferred pairs get ``LATER``."""
        win, eff, t = ctx.win, self.eff, ctx.t_s
        ok = ctx.reason == Reason.OK
        if not ok.any():
            return
        cost = eff.cost_per_shot_eur
        deadline = self.deadline_s(win)
        d_win = win.t_launch_s - eff.reaction_s[:, None]  # earliest decision of each window
        flight = win.t_intercept_s - win.t_launch_s
        worth = (ctx.pk_h >= self.config.min_pk) & np.isfinite(deadline) \
            & (ctx.value[None, :] * ctx.pk_h > cost[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            per_kill = np.where(worth, cost[:, None] / ctx.pk_h, np.inf)
            now_per_kill = np.where(ctx.pk > 0, cost[:, None] / ctx.pk, np.inf)
        has = np.isfinite(per_kill).any(axis=0)
        if not has.any():
            return
        # (E, T) sites per target, cheapest per expected kill first
        order = np.argsort(per_kill, axis=0, kind="stable")
        best = order[0]
        cols = np.flatnonzero(has)
        # fire units' ready times per site (a reload when the magazine is empty)
        busy = np.maximum(ctx.busy, t)
        ready_u = np.where(self.loaded > 0, busy, busy + self.reload_s[self.unit_site])
        queue = {e: sorted(ready_u[self.unit_site == e].tolist()) for e in range(len(eff))}
        rounds = self.stock.copy()
        queued = np.full(len(ctx.sub), -1)
        cycle, lead = self.config.cycle_s, self.config.defer_max_s
        for c in cols[np.argsort(d_win[best[cols], cols], kind="stable")]:
            # the cheapest layer with a round and a unit in time for this target whose shot
            # and look still leave a dearer site's window (the fallback); failing that, the
            # cheapest layer with a round and a unit in time, which waits without one
            take, dear = -1, np.zeros(len(eff), bool)
            for e in order[:, c]:
                if not np.isfinite(per_kill[e, c]):
                    break
                if rounds[e] <= 0 or not queue[e]:
                    continue
                start = max(float(d_win[e, c]), queue[e][0])
                if start > deadline[e, c]:
                    continue
                t_int = max(float(win.t_intercept_s[e, c]),
                            start + float(eff.reaction_s[e] + flight[e, c]))
                if start <= t + cycle:   # due now: the assignment chooses among the shots now
                    if take < 0 and e == best[c]:
                        take = int(e)
                    break
                if take < 0:
                    take = int(e)
                if t_int > t + lead:    # too far off to wait for
                    continue
                follow = t_int + self.config.look_s + self.config.decision_lag_s
                dear = ok[:, c] & (cost > cost[e]) & (now_per_kill[:, c] > per_kill[e, c]) \
                    & (deadline[:, c] >= follow)
                if dear.any():
                    take = int(e)
                    break
            if take < 0:
                continue
            start = max(float(d_win[take, c]), queue[take][0])
            t_int = max(float(win.t_intercept_s[take, c]),
                        start + float(eff.reaction_s[take] + flight[take, c]))
            queue[take][0] = start + max(float(eff.time_per_engagement_s[take]), t_int - start)
            queue[take].sort()
            rounds[take] -= 1
            queued[c] = take
            ctx.reason[dear, c] = Reason.LATER
            ctx.pk[dear, c] = 0.0
        # a site whose last rounds are queued for targets waiting for it keeps them
        for e in np.flatnonzero((rounds <= 0) & (self.stock > 0)):
            other = (queued != e) & (ctx.reason[e] == Reason.OK)
            ctx.reason[e, other] = Reason.RESERVED
            ctx.pk[e, other] = 0.0

    def _shadow_prices(self, ctx: _Context) -> F64:
        """(E,) magazine shadow price per round (EUR): the Lagrange multipliers of the site
        stocks in the horizon problem -- every engageable target against every site with a
        window over the horizon, plus ``ctx.expected_later`` threats still to come (copies of
        the mean current target: its value, each site's mean pk), each site limited to its
        rounds left (module docstring)."""
        e_n = len(self.sites)
        lam = self.config.cost_weight
        if len(ctx.sub) == 0 or lam <= 0 or not np.any(ctx.pk_h > 0):
            return np.zeros(e_n)
        values, pk = ctx.value, ctx.pk_h
        k = int(ctx.expected_later)
        if k > 0:
            values = np.concatenate([values, np.full(k, float(values.mean()))])
            pk = np.concatenate([pk, np.repeat(pk.mean(axis=1, keepdims=True), k, axis=1)],
                                axis=1)
        prob = WTAProblem(values=values, pk=pk, counts=np.maximum(self.stock, 0),
                          costs=self.eff.cost_per_shot_eur, cost_weight=lam,
                          feasible=pk > 0)
        u = shadow_prices(prob, iters=SHADOW_ITERS)
        return np.asarray(u, dtype=np.float64) / lam

    def _trail_salvos(self, ctx: _Context, recs: list[Recommendation]) -> None:
        """Fly retaskable interceptors at one target in trail: each intercepts at least
        ``SALVO_TRAIL_S`` after the shot before it -- this cycle's shots at the target (in
        intercept order) and a shot already in flight at it from an earlier cycle
        (``ctx.last_intercept_s``) -- launching and deciding later by as much, where its window
        still allows that decision (``deadline_s``); its intercept point moves on along the
        target's velocity. A trailing shot whose target is assessed destroyed after the shot
        before it is then retasked rather than wasted. Other effectors' shots (a gun's burst,
        two SAMs) keep their planned intercept."""
        eff = self.eff
        by_track: dict[object, list[Recommendation]] = {}
        for r in recs:
            if eff.retaskable[eff.ids.index(r.effector_id)]:
                by_track.setdefault(r.track_id, []).append(r)
        for tk, group in by_track.items():
            c = int(np.flatnonzero(ctx.tracks.track_id[ctx.sub] == tk)[0])
            prev = -np.inf if ctx.last_intercept_s is None else float(ctx.last_intercept_s[c])
            if len(group) < 2 and not np.isfinite(prev):
                continue
            vel = np.asarray(ctx.tracks.vel_mps[ctx.sub[c]], dtype=np.float64)
            group.sort(key=lambda r: (r.t_intercept_s, r.rec_id))
            for r in group:
                dt = max(prev + SALVO_TRAIL_S - r.t_intercept_s, 0.0)
                if dt > 0 and r.t_decide_s + dt <= r.deadline_s:
                    p = self.frame.geodetic_to_local(r.lat_deg, r.lon_deg, r.alt_m) + vel * dt
                    lat, lon, _ = self.frame.local_to_geodetic(p)
                    r.t_launch_s += dt
                    r.t_decide_s += dt
                    r.t_intercept_s += dt
                    r.lat_deg, r.lon_deg = float(np.ravel(lat)[0]), float(np.ravel(lon)[0])
                prev = max(prev, r.t_intercept_s)
