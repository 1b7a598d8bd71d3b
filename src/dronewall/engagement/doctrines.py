"""Naive engagement doctrines, the baselines the planner is compared with.

Both use the planner's cycle preparation (ROE, windows, no-fire and airport exclusions,
cooperative tracks, magazines, busy fire units, pk, and the engagement stage's gates: track
maturity, kill assessment, shoot-look-shoot, per-class confidence for expensive effectors), so
they obey exactly the same hard constraints, and return the same
:class:`~dronewall.engagement.planner.Plan`. They differ only in the choice -- no cost in
the choice, no waiting for a cheaper window, no magazine reserve: targets are taken in
decreasing value (ties: track order) and each gets **one** engagement from

- :func:`missile_first`: the most capable site with a window and a free fire unit (highest
  expected kill probability; ties go to the more expensive, i.e. the missile) -- what happened
  over Poland on 10 Sep 2025, when fighters fired AIM-9s at decoys;
- :func:`nearest_capable`: the nearest site (current distance) with a window, pk > 0 and a free
  fire unit.

The loop over targets is inherent (each choice removes a fire unit for the next target); each
step is a vectorised choice over all sites. ``objective`` is evaluated with the planner's
formula (expected surviving value + lambda x spend); there is no lower bound (NaN).
"""

from __future__ import annotations

import math
import time

import numpy as np
from numpy.typing import ArrayLike

from dronewall.engagement.planner import EngagementPlanner, Plan, _Context
from dronewall.engagement.windows import TrackArrays


def missile_first(planner: EngagementPlanner, t: float, tracks: TrackArrays,
                  target_value: ArrayLike, class_prob: ArrayLike, cooperative_trusted: ArrayLike,
                  violated: ArrayLike, in_engagement_zone: ArrayLike,
                  busy_until: ArrayLike | None = None, *, track_gate: ArrayLike | None = None,
                  expensive_ok: ArrayLike | None = None,
                  look_until_s: ArrayLike | None = None) -> Plan:
    """Each engageable threat gets the most capable available effector (see module doc).
    ``track_gate``, ``expensive_ok``, ``look_until_s``: as for the planner."""
    return _doctrine(planner, "missile_first", t, tracks, target_value, class_prob,
                     cooperative_trusted, violated, in_engagement_zone, busy_until,
                     track_gate=track_gate, expensive_ok=expensive_ok, look_until_s=look_until_s)


def nearest_capable(planner: EngagementPlanner, t: float, tracks: TrackArrays,
                    target_value: ArrayLike, class_prob: ArrayLike,
                    cooperative_trusted: ArrayLike, violated: ArrayLike,
                    in_engagement_zone: ArrayLike, busy_until: ArrayLike | None = None, *,
                    track_gate: ArrayLike | None = None, expensive_ok: ArrayLike | None = None,
                    look_until_s: ArrayLike | None = None) -> Plan:
    """Each engageable threat gets the nearest available effector with pk > 0."""
    return _doctrine(planner, "nearest_capable", t, tracks, target_value, class_prob,
                     cooperative_trusted, violated, in_engagement_zone, busy_until,
                     track_gate=track_gate, expensive_ok=expensive_ok, look_until_s=look_until_s)


def _doctrine(planner: EngagementPlanner, name: str, t: float, tracks: TrackArrays,
              target_value: ArrayLike, class_prob: ArrayLike, cooperative_trusted: ArrayLike,
              violated: ArrayLike, in_engagement_zone: ArrayLike,
              busy_until: ArrayLike | None, *, track_gate: ArrayLike | None,
              expensive_ok: ArrayLike | None, look_until_s: ArrayLike | None) -> Plan:
    t0 = time.perf_counter()
    ctx = planner._prepare(t, tracks, target_value, class_prob, cooperative_trusted, violated,
                           in_engagement_zone, busy_until, track_gate=track_gate,
                           expensive_ok=expensive_ok, look_until_s=look_until_s)
    x = _choose(planner, ctx, name)
    obj = objective(planner, ctx, x)
    return planner._finish(ctx, x, obj, math.nan, math.nan, "doctrine", name,
                           time.perf_counter() - t0)


def _choose(planner: EngagementPlanner, ctx: _Context, name: str) -> np.ndarray:
    e_n = len(planner.sites)
    w, tn = len(ctx.row_unit), len(ctx.sub)
    x = np.zeros((w, tn), dtype=np.int64)
    if w == 0 or tn == 0:
        return x
    free_left = np.bincount(ctx.row_site, minlength=e_n)  # rows (free units) per site
    next_row = {e: list(np.flatnonzero(ctx.row_site == e)) for e in range(e_n)}
    cost = planner.eff.cost_per_shot_eur
    order = np.lexsort((np.arange(tn), -ctx.value))
    for c in order:
        ok = (ctx.pk[:, c] > 0) & (free_left > 0)
        if not ok.any():
            continue
        if name == "missile_first":
            key = np.where(ok, ctx.pk[:, c] * 1e12 + cost, -np.inf)  # pk first, then cost
            e = int(np.argmax(key))
        else:
            key = np.where(ok, ctx.win.distance_now_m[:, c], np.inf)
            e = int(np.argmin(key))
        r = next_row[e].pop(0)
        free_left[e] -= 1
        x[r, c] = 1
    return x


def objective(planner: EngagementPlanner, ctx: _Context, x: np.ndarray) -> float:
    """Expected surviving value + lambda x spend of an assignment x (W, T) (EUR)."""
    if x.size == 0:
        return float(ctx.value.sum())
    p = ctx.pk[ctx.row_site]
    surv = np.prod((1.0 - p) ** x, axis=0)
    spend = float(planner.eff.cost_per_shot_eur[ctx.row_site] @ x.sum(axis=1))
    return float(ctx.value @ surv + planner.config.cost_weight * spend)


__all__ = ["missile_first", "nearest_capable", "objective"]
