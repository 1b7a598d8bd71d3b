r"""Exact WTA solver (:mod:`.problem`): HiGHS MILP with outer approximation (tangent cuts).

Let ``L_ij = ln q_ij <= 0`` and ``y_j = Σ_i L_ij x_ij`` (linear in x); then the survival of target
j is ``exp(y_j)``. ``exp`` is convex, so every tangent lies below it:

    exp(y) >= e^a (1 + y - a)      for every tangent point a.

Introduce ``s_j`` and the *cut model* ``min Σ_j V_j s_j + λ Σ c_i x_ij`` with the magazine and mask
constraints and ``s_j >= e^a (1 + y_j - a)`` for a finite set of points ``a``. Any feasible x with
``s_j = exp(y_j)`` is feasible in the cut model with the same objective, so the cut model's optimum
is ``<= min f``: **every valid dual bound of the cut MILP is a valid lower bound of the WTA
problem**, including HiGHS's dual bound when it stops at a time limit. The true objective ``f``
of any MILP solution is an upper bound. We iterate: solve the MILP (warm-started with the best
known x), add tangent cuts at the ``y_j`` of the solution found, re-solve, until the relative
gap ``(UB - LB) / UB <= OPTIMAL_REL_GAP`` (1e-6) or the time limit. The cut model is initialised
with tangents at ``a = ln s`` for a geometric grid of survivals ``s`` and at the heuristic's y.
Pairs that can never help are dropped before the MILP: ``p_ij = 0`` or ``λ c_i >= V_j p_ij`` (a
unit of type i can lower target j's term by at most ``V_j p_ij``, so removing it never hurts).

HiGHS works with feasibility tolerances (set to 1e-9 here); bounds are valid up to these
tolerances, and lowered by :meth:`~.problem.WTAProblem.lb_safety` for the ``LOG_FLOOR`` floor.
"""

from __future__ import annotations

import math
import time

import numpy as np

from dronewall.engagement.wta.heuristic import solve_heuristic
from dronewall.engagement.wta.highs import (
    INITIAL_SURVIVALS,
    add_group_rows,
    new_highs,
    payoff_pairs,
)
from dronewall.engagement.wta.problem import OPTIMAL_REL_GAP, WTAPlan, WTAProblem, make_plan


def solve_exact(problem: WTAProblem, time_limit_s: float = 60.0, seed: int = 0) -> WTAPlan:
    """Outer-approximation MILP with HiGHS (module docstring); anytime with a valid bound."""
    import highspy

    t0 = time.perf_counter()
    deadline = t0 + float(time_limit_s)
    heur = solve_heuristic(problem, time_limit_s=min(2.0, 0.1 * time_limit_s), seed=seed)
    best_x, best_v, lb = np.array(heur.x), heur.objective, heur.lower_bound
    if heur.status == "optimal":
        return make_plan(problem, best_x, lb, t0, "exact-oa-highs")
    W, T = problem.pk.shape
    L, V, lam_c, ub, pi, pj = payoff_pairs(problem)
    n_x = len(pi)
    if n_x == 0:  # no unit can ever pay off (see module doc): x = 0 is optimal
        x0 = np.zeros((W, T), np.int64)
        return make_plan(problem, x0, problem.objective(x0), t0, "exact-oa-highs")
    tg = np.flatnonzero(V > 0)
    s_col = np.full(T, -1)
    s_col[tg] = n_x + np.arange(len(tg))
    inf = highspy.kHighsInf
    h = new_highs(highspy)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-7)
    h.setOptionValue("mip_abs_gap", 1e-10)
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    h.setOptionValue("mip_feasibility_tolerance", 1e-9)
    h.setOptionValue("random_seed", int(seed))
    n_col = n_x + len(tg)
    lower = np.zeros(n_col)
    upper = np.concatenate([ub[pi, pj].astype(float), np.ones(len(tg))])
    cost = np.concatenate([lam_c[pi], V[tg]])
    h.addVars(n_col, lower, upper)
    h.changeColsCost(n_col, np.arange(n_col, dtype=np.int32), cost)
    h.changeColsIntegrality(n_x, np.arange(n_x, dtype=np.int32),
                            np.full(n_x, highspy.HighsVarType.kInteger))
    # magazine rows and per-target caps
    add_group_rows(h, pi, np.arange(n_x), W, np.full(W, -inf), problem.counts.astype(float))
    if problem.max_units_per_target is not None:
        add_group_rows(h, pj, np.arange(n_x), T, np.full(T, -inf),
                       problem.max_units_per_target.astype(float))
    # cut rows: s_j - e^a * sum_i L_ij x_ij >= e^a (1 - a)
    by_target = [np.flatnonzero(pj == j) for j in range(T)]
    y_min = np.zeros(T)
    np.add.at(y_min, pj, L[pi, pj] * ub[pi, pj])

    def add_cuts(points: list[tuple[int, float]]) -> int:
        if not points:
            return 0
        starts, idx, vals, lo = [], [], [], []
        nnz = 0
        for j, a in points:
            cols = by_target[j]
            ea = math.exp(a)
            starts.append(nnz)
            idx.append(cols)
            idx.append([s_col[j]])
            vals.append(-ea * L[pi[cols], pj[cols]])
            vals.append([1.0])
            lo.append(ea * (1.0 - a))
            nnz += len(cols) + 1
        h.addRows(len(points), np.array(lo), np.full(len(points), inf), nnz,
                  np.array(starts, np.int32), np.concatenate(idx).astype(np.int32),
                  np.concatenate(vals).astype(float))
        return len(points)

    init = []
    yh = (L * best_x).sum(axis=0)
    for j in tg:
        pts = {round(math.log(sv), 12) for sv in INITIAL_SURVIVALS if math.log(sv) >= y_min[j] - 1}
        pts.add(round(float(yh[j]), 12))
        init += [(int(j), a) for a in sorted(pts)]
    add_cuts(init)

    def start_vector(x: np.ndarray) -> np.ndarray:
        y = (L * x).sum(axis=0)
        return np.concatenate([x[pi, pj].astype(float), np.exp(y[tg])])

    safety = problem.lb_safety()
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        h.setOptionValue("time_limit", float(remaining))
        sol = highspy.HighsSolution()
        sol.col_value = list(start_vector(best_x))
        sol.value_valid = True
        h.setSolution(sol)
        h.run()
        info = h.getInfo()
        status = h.getModelStatus()
        dual = float(info.mip_dual_bound)
        if math.isfinite(dual) and status in (highspy.HighsModelStatus.kOptimal,
                                              highspy.HighsModelStatus.kTimeLimit,
                                              highspy.HighsModelStatus.kInterrupt):
            lb = max(lb, dual - safety - 1e-9 * abs(dual))
        col = np.asarray(h.getSolution().col_value)
        if info.primal_solution_status != 2 or len(col) < n_col:
            break
        x = np.zeros((W, T), np.int64)
        x[pi, pj] = np.rint(col[:n_x]).astype(np.int64)
        if problem.violations(x):
            break
        v = problem.objective(x)
        if v < best_v:
            best_x, best_v = x, v
        if (best_v - lb <= OPTIMAL_REL_GAP * abs(best_v)
                or status != highspy.HighsModelStatus.kOptimal):
            break
        y = (L * x).sum(axis=0)
        s_val = col[n_x:]
        viol = np.exp(y[tg]) - s_val
        new = [(int(j), float(y[j])) for j, d in zip(tg, viol, strict=True)
               if d > 1e-10 * max(1.0, float(np.exp(y[j])))]
        if not new:
            break  # the cut model's optimum is tight: LB is the MILP value
        add_cuts(new)
    return make_plan(problem, best_x, lb, t0, "exact-oa-highs")
