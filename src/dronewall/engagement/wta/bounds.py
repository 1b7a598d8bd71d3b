r"""Valid lower bounds of the WTA problem (:mod:`.problem`): Lagrangian dual and LP relaxation.

Lagrangian bound (always valid)
-------------------------------
Dualise the magazines with multipliers ``u_i >= 0`` and relax x to be continuous and drop the
optional caps (both relaxations only lower the optimum). For fixed u the problem separates by
target: ``min_{x >= 0} V_j exp(Σ_i L_ij x_ij) + Σ_i w_i x_ij`` with ``w_i = λ c_i + u_i`` and
``L_ij = ln q_ij``. For a given ``y_j = Σ_i L_ij x_ij`` the cheapest way to reach it uses only the
weapon with the smallest ``ρ_j = min_i w_i / |L_ij|``, so the target's value is ``V_j`` if
``V_j <= ρ_j`` and else ``ρ_j (1 + ln(V_j / ρ_j))`` (at ``exp(y_j) = ρ_j / V_j``).
``LB(u) = Σ_j g_j(u) - Σ_i u_i count_i`` is a valid lower bound for **any** ``u >= 0`` (weak
duality); we improve u with a projected subgradient method (Polyak steps towards the heuristic's
value) and keep the best LB found.

LP relaxation
-------------
The continuous relaxation of the tangent-cut model of :mod:`.exact`, solved by Kelley's cutting
planes with HiGHS (``y_j`` as its own column, so each cut has two nonzeros). Its value is a valid
lower bound; its solution rounded down is the heuristic's start with several units per type.

Both bounds subtract :meth:`~.problem.WTAProblem.lb_safety` (the ``LOG_FLOOR`` approximation).
"""

from __future__ import annotations

import math
import time

import numpy as np

from dronewall.engagement.wta.highs import (
    INITIAL_SURVIVALS,
    add_group_rows,
    new_highs,
    payoff_pairs,
)
from dronewall.engagement.wta.problem import WTAProblem


def lp_relaxation(problem: WTAProblem, deadline: float,
                  max_rounds: int = 8) -> tuple[np.ndarray, float] | None:
    """Fractional x (W, T) of the continuous relaxation of the cut model (:mod:`.exact`),
    solved by Kelley's cutting planes with HiGHS (tangents added at the LP's y until the
    tangents are tight), and a valid lower bound (the best LP value). None when HiGHS is
    unavailable, fails or time runs out first."""
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy is a dependency
        return None
    W, T = problem.pk.shape
    L, V, lam_c, ub, pi, pj = payoff_pairs(problem)
    n_x = len(pi)
    if n_x == 0:
        return None
    tg = np.flatnonzero(V > 0)
    s_col = np.full(T, -1)
    s_col[tg] = n_x + np.arange(len(tg))
    inf = highspy.kHighsInf
    h = new_highs(highspy)
    h.setOptionValue("output_flag", False)
    n_col = n_x + len(tg)
    h.addVars(n_col, np.zeros(n_col), np.concatenate([ub[pi, pj].astype(float),
                                                      np.ones(len(tg))]))
    h.changeColsCost(n_col, np.arange(n_col, dtype=np.int32), np.concatenate([lam_c[pi], V[tg]]))
    add_group_rows(h, pi, np.arange(n_x), W, np.full(W, -inf), problem.counts.astype(float))
    if problem.max_units_per_target is not None:
        add_group_rows(h, pj, np.arange(n_x), T, np.full(T, -inf),
                       problem.max_units_per_target.astype(float))
    # y_j = Σ_i L_ij x_ij as a column of its own (one row per target), so that each tangent
    # cut has two nonzeros: s_j - e^a y_j >= e^a (1 - a)
    nt = len(tg)
    y_col = n_col + np.arange(nt)
    y_lo = np.zeros(T)
    np.add.at(y_lo, pj, L[pi, pj] * ub[pi, pj])
    h.addVars(nt, y_lo[tg], np.zeros(nt))
    pos_t = np.full(T, -1)
    pos_t[tg] = np.arange(nt)
    in_tg = pos_t[pj] >= 0
    r_of = pos_t[pj[in_tg]]
    order = np.argsort(r_of, kind="stable")
    xs = np.flatnonzero(in_tg)[order]
    cnt = np.bincount(r_of, minlength=nt)
    starts = np.concatenate([[0], np.cumsum(cnt + 1)[:-1]])
    idx = np.empty(len(xs) + nt, np.int64)
    val = np.empty(len(xs) + nt)
    rows_x = np.repeat(np.arange(nt), cnt)
    slot = starts[rows_x] + (np.arange(len(xs))
                             - np.concatenate([[0], np.cumsum(cnt)[:-1]])[rows_x])
    idx[slot] = xs
    val[slot] = -L[pi[xs], pj[xs]]
    idx[starts + cnt] = y_col
    val[starts + cnt] = 1.0
    h.addRows(nt, np.zeros(nt), np.zeros(nt), len(idx), starts.astype(np.int32),
              idx.astype(np.int32), val)

    def add_cuts(js: np.ndarray, a: np.ndarray) -> None:
        # one row per (target js[k], tangent point a[k]): s_j - e^a y_j >= e^a (1 - a)
        n = len(js)
        ea = np.exp(a)
        idx = np.stack([s_col[js], y_col[pos_t[js]]], axis=1).ravel()
        val = np.stack([np.ones(n), -ea], axis=1).ravel()
        h.addRows(n, ea * (1.0 - a), np.full(n, inf), 2 * n,
                  (2 * np.arange(n)).astype(np.int32), idx.astype(np.int32), val)

    grid = np.log(np.array(INITIAL_SURVIVALS))
    add_cuts(np.repeat(tg, len(grid)), np.tile(grid, len(tg)))
    xf, bound = None, -math.inf
    safety = problem.lb_safety()
    for _ in range(max_rounds):
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        h.setOptionValue("time_limit", float(remaining))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        obj = float(h.getInfo().objective_function_value)
        # the cut LP relaxes the continuous relaxation: its value is a valid lower bound
        # (lowered by 1e-7 relative for HiGHS's default LP tolerances)
        bound = max(bound, obj - 1e-7 * abs(obj) - safety)
        col = np.asarray(h.getSolution().col_value)
        xf = np.zeros((W, T))
        xf[pi, pj] = np.clip(col[:n_x], 0.0, None)
        y = (L * xf).sum(axis=0)[tg]
        viol = np.exp(y) - col[n_x: n_x + len(tg)]
        new = viol > 1e-9 * np.maximum(1.0, np.exp(y))
        if not np.any(new):
            break
        add_cuts(tg[new], y[new])
    return None if xf is None else (xf, bound)


def lagrangian_bound(problem: WTAProblem, upper: float | None = None, iters: int = 300,
                     time_limit_s: float = 1.0, u0: np.ndarray | None = None) -> float:
    """Valid lower bound from the Lagrangian dual of the continuous relaxation (module doc)."""
    return _lagrangian(problem, upper, iters, time_limit_s, u0)[0]


def shadow_prices(problem: WTAProblem, iters: int = 200, upper: float | None = None
                  ) -> np.ndarray:
    """(W,) shadow price of one more unit of each weapon type, in objective units (EUR of
    value): the multipliers ``u`` of the magazine constraints at the best Lagrangian bound
    found (module doc). ``u_i = 0`` when type i's magazine does not bind: rounds are plentiful
    for the targets it can reach; a large ``u_i`` says its rounds are worth keeping for the
    targets only it can serve. Deterministic: the subgradient runs ``iters`` steps (no time
    limit short of a 60 s safety valve)."""
    return _lagrangian(problem, upper, iters, 60.0, None)[1]


def _lagrangian(problem: WTAProblem, upper: float | None, iters: int, time_limit_s: float,
                u0: np.ndarray | None) -> tuple[float, np.ndarray]:
    """(best lower bound, multipliers at it) of the projected subgradient (module doc)."""
    t_end = time.perf_counter() + time_limit_s
    V = problem.values
    negL = -problem.log_q()  # (W, T) >= 0
    useful = problem.feasible & (negL > 0) & (problem.counts[:, None] > 0)
    lam_c = problem.cost_weight * problem.costs
    m = problem.counts.astype(float)
    W = len(m)
    u = np.zeros(W) if u0 is None else np.maximum(np.asarray(u0, float), 0.0)
    safety = problem.lb_safety()

    capz = np.where(useful, problem.pair_upper() * negL, 0.0)  # (W, T) room in z = -y

    def dual(u: np.ndarray) -> tuple[float, np.ndarray]:
        # per target: min_z V e^-z + piecewise-linear cost of z (slopes = sorted ratios)
        w = lam_c + u
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(useful, w[:, None] / np.where(useful, negL, 1.0), np.inf)
            order = np.argsort(ratio, axis=0)
            r = np.take_along_axis(ratio, order, axis=0)
            c = np.take_along_axis(capz, order, axis=0)
            Zend = np.cumsum(c, axis=0)
            Zbeg = Zend - c
            stat = np.log(V[None, :] / np.maximum(r, 1e-300))
            stat = np.where(np.isfinite(r) & (V[None, :] > 0), stat, -np.inf)
            cand = np.where(stat > Zbeg, np.minimum(stat, Zend), 0.0)
        z = np.maximum(cand.max(axis=0), 0.0)
        seg = np.clip(z[None, :] - Zbeg, 0.0, c)
        spend = (np.where(seg > 0, r, 0.0) * seg).sum(axis=0)
        val = float((V * np.exp(-z) + spend).sum() - u @ m)
        xs_sorted = np.where(seg > 0, seg / np.where(seg > 0, np.take_along_axis(
            np.where(useful, negL, 1.0), order, axis=0), 1.0), 0.0)
        xs = np.zeros(W)
        np.add.at(xs, order.ravel(), xs_sorted.ravel())
        return val, xs - m

    # start from the best of a few scalings of u0 (shadow prices can overshoot)
    starts = [(dual(u * f), u * f) for f in (1.0, 0.5, 0.25, 0.1, 0.03, 0.0)] if u0 is not None \
        else [(dual(u), u)]
    (best, sg), u = max(starts, key=lambda t: t[0][0])
    u_best = u.copy()
    if upper is None or not math.isfinite(upper):
        upper = float(V.sum())
    theta = 1.0
    stall = 0
    cur = best
    for _ in range(iters):
        if time.perf_counter() > t_end:
            break
        norm2 = float(sg @ sg)
        if norm2 <= 1e-18:
            break
        step = theta * max(upper - cur, 1e-9 * max(1.0, abs(upper))) / norm2
        u = np.maximum(u + step * sg, 0.0)
        cur, sg = dual(u)
        if cur > best + 1e-12 * max(1.0, abs(best)):
            best, stall, u_best = cur, 0, u.copy()
        else:
            stall += 1
            if stall >= 10:
                theta *= 0.5
                stall = 0
                if theta < 1e-6:
                    break
    return max(best, 0.0) - safety, u_best
