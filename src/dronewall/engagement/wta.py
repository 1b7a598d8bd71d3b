r"""Static target-based weapon-target assignment (WTA) with cost: heuristic and exact solvers.

Problem
-------
Weapon types ``i = 0..W-1`` with ``count_i`` identical units and unit cost ``c_i``; targets
``j = 0..T-1`` with value ``V_j``; single-shot kill probability ``p_ij`` and ``q_ij = 1 - p_ij``.
Choose integers ``x_ij >= 0`` (units of type i fired at target j) to minimise

    f(x) = Σ_j V_j Π_i q_ij^x_ij  +  λ Σ_ij c_i x_ij

subject to ``Σ_j x_ij <= count_i`` (magazine), ``x_ij = 0`` where the pair is infeasible (mask),
``x_ij <= max_units_per_pair`` and ``Σ_i x_ij <= max_units_per_target_j`` (optional caps).
The first term is the expected surviving target value, the second the spend weighted by λ.

Log-linear reformulation and outer approximation (exact solver)
---------------------------------------------------------------
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

Heuristic (anytime)
-------------------
Greedy maximum marginal return (each unit to the target with the largest decrease of
``V_j · survival_j - λ c_i``; a unit whose best marginal return is <= 0 stays unused), then local
search on units, all candidate moves evaluated with numpy: (1) move one unit to another target or
to "unused"; (2) swap two units of different types between two targets (or with an unused unit);
(3) a large exact neighbourhood: remove one unit from every engaged target plus all unused units
and re-insert them optimally with at most one of them per target, which is a linear assignment
problem (``scipy.optimize.linear_sum_assignment``) because with one inserted unit per target the
change of each target's term is exact. It contains all cyclic and path ejection chains between
distinct targets (the Ahuja et al. 2007 VLSN idea). With several units per type, (4) all units
of one weapon type are re-optimised at a time with the other types fixed: each target's term is
then convex and decreasing in x_ij, so taking the ``count_i`` largest positive marginal returns
is exact for the block; and the re-insertion assignment of large instances is solved sparsely
(each unit's 16 cheapest targets, each target's 16 cheapest units, the current target and a
private "unused" column). The current solution is always feasible in each neighbourhood, so no
step gets worse. When no neighbourhood improves, an iterated local search perturbs the best
solution until the time limit: one unit per type, random re-assignment of a few units, stopping
after 300 perturbations without improvement; several units per type, forced type moves (forbid
one engaged pair of 1-3 random types and re-optimise those types), stopping early only when in
addition a quarter of the time limit passed without improvement. With several units per type
the search starts from the continuous relaxation (LP of the cut model below, Kelley cutting
planes with HiGHS, y_j as its own column) rounded down, much better than greedy here; the LP
value is also a valid lower bound.

Lower bound used by the heuristic (Lagrangian, always valid)
-----------------------------------------------------------
Dualise the magazines with multipliers ``u_i >= 0`` and relax x to be continuous and drop the
optional caps (both relaxations only lower the optimum). For fixed u the problem separates by
target: ``min_{x >= 0} V_j exp(Σ_i L_ij x_ij) + Σ_i w_i x_ij`` with ``w_i = λ c_i + u_i``. For a
given ``y_j`` the cheapest way to reach it uses only the weapon with the smallest
``ρ_j = min_i w_i / |L_ij|``, so the target's value is ``V_j`` if ``V_j <= ρ_j`` and else
``ρ_j (1 + ln(V_j / ρ_j))`` (at ``exp(y_j) = ρ_j / V_j``). ``LB(u) = Σ_j g_j(u) - Σ_i u_i count_i``
is a valid lower bound for **any** ``u >= 0`` (weak duality); we improve u with a projected
subgradient method (Polyak steps towards the heuristic's value) and keep the best LB found.

Numerics: ``p_ij = 1`` gives ``L = -inf``; internally ``L`` is floored at ``LOG_FLOOR = -50``
(survival ``e^-50 ~ 2e-22``). This can overstate the model's survival by at most ``e^-50`` per
target, so ``Σ_j V_j e^-50`` is subtracted from reported lower bounds to keep them valid. HiGHS
works with feasibility tolerances (set to 1e-9 here); bounds are valid up to these tolerances.
Objectives reported in :class:`WTAPlan` are always recomputed exactly from x with ``q ** x``.

Shapes: ``values (T,)``, ``pk (W, T)``, ``counts (W,)``, ``costs (W,)``, ``x (W, T)`` int.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.errors import DataFormatError, InputError

#: ln q is floored here: p = 1 would give ln 0 = -inf (survival e^-50 ~ 2e-22 instead of 0).
LOG_FLOOR = -50.0
#: relative gap (UB - LB) / UB at or below which a plan is reported as "optimal".
OPTIMAL_REL_GAP = 1e-6
#: moves must improve by more than this (relative to the objective) to count: avoids cycling
#: on floating-point noise.
_IMPROVE_EPS = 1e-12
#: iterated local search stops after this many perturbations in a row without improvement
#: (or at the time limit, whichever comes first).
_ILS_MAX_STALL = 300
#: with several units per type the search stops early only when, in addition, this share of
#: the time limit has passed without improvement.
_MULTI_STALL_SHARE = 0.25
#: assignment-LNS attempts per local search inside the iterated local search with several
#: units per type (each is a sparse matching; more iterations beat more attempts)
_ILS_LNS_TRIES_MULTI = 1
#: with several units per type, re-insertion assignments with more than _SPARSE_MIN_CELLS
#: cells use the sparse variant (each unit's _SPARSE_K cheapest targets and each target's
#: _SPARSE_K cheapest units; 0 disables it).
_SPARSE_K = 16
_SPARSE_MIN_CELLS = 40_000
#: survival levels at which the exact solver places its initial tangent cuts.
_INITIAL_SURVIVALS = (1.0, 0.85, 0.7, 0.55, 0.42, 0.3, 0.2, 0.13, 0.08, 0.05, 0.03, 0.018,
                      0.01, 0.005, 0.0025, 1e-3, 4e-4, 1.5e-4, 5e-5, 1e-5)


class WTAError(InputError):
    """An invalid WTA problem (shapes, ranges, types). Exit status 2 on the CLI."""


# --------------------------------------------------------------------------------------------
# problem and plan
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WTAProblem:
    """One static WTA instance. Arrays are copied, validated and made read-only.

    values (T,) >= 0; pk (W, T) in [0, 1]; counts (W,) int >= 0; costs (W,) >= 0 (default 0);
    cost_weight λ >= 0; feasible (W, T) bool (default all True); max_units_per_pair: int or
    (W, T) int >= 0 (default none); max_units_per_target (T,) int >= 0 (default none);
    weapon_ids / target_ids: optional labels for output.
    """

    values: np.ndarray
    pk: np.ndarray
    counts: np.ndarray
    costs: np.ndarray | None = None
    cost_weight: float = 0.0
    feasible: np.ndarray | None = None
    max_units_per_pair: int | np.ndarray | None = None
    max_units_per_target: np.ndarray | None = None
    weapon_ids: tuple[Any, ...] | None = None
    target_ids: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        values = _float_array(self.values, "values", ndim=1)
        pk = _float_array(self.pk, "pk", ndim=2)
        W, T = pk.shape
        if values.shape != (T,):
            raise WTAError(f"values has {values.shape[0]} entries, expected {T} "
                           f"(pk has {T} target columns)")
        if np.any(values < 0):
            raise WTAError(f"values must be >= 0; target {int(np.argmax(values < 0))} has "
                           f"{values[values < 0][0]}")
        if np.any((pk < 0) | (pk > 1)):
            i, j = np.argwhere((pk < 0) | (pk > 1))[0]
            raise WTAError(f"pk[{i}][{j}] = {pk[i, j]} is outside [0, 1]")
        counts = _int_array(self.counts, "counts", (W,))
        costs = (np.zeros(W) if self.costs is None
                 else _float_array(self.costs, "costs", ndim=1))
        if costs.shape != (W,):
            raise WTAError(f"costs has {costs.shape[0]} entries, expected {W} (weapons)")
        if np.any(costs < 0):
            raise WTAError("costs must be >= 0")
        lam = float(self.cost_weight)
        if not math.isfinite(lam) or lam < 0:
            raise WTAError(f"cost_weight must be a finite number >= 0, got {self.cost_weight}")
        if self.feasible is None:
            feas = np.ones((W, T), bool)
        else:
            feas = np.asarray(self.feasible)
            if feas.shape != (W, T):
                raise WTAError(f"feasible has shape {feas.shape}, expected ({W}, {T})")
            if feas.dtype != bool:
                if not np.all(np.isin(feas, (0, 1))):
                    raise WTAError("feasible must contain booleans (or 0/1)")
                feas = feas.astype(bool)
            feas = feas.copy()
        pair_cap = None
        if self.max_units_per_pair is not None:
            if np.ndim(self.max_units_per_pair) == 0:
                pair_cap = _int_array(np.full((W, T), self.max_units_per_pair),
                                      "max_units_per_pair", (W, T))
            else:
                pair_cap = _int_array(self.max_units_per_pair, "max_units_per_pair", (W, T))
        tcap = None
        if self.max_units_per_target is not None:
            tcap = _int_array(self.max_units_per_target, "max_units_per_target", (T,))
        for name, ids, n in (("weapon_ids", self.weapon_ids, W), ("target_ids", self.target_ids, T)):
            if ids is not None:
                if len(ids) != n:
                    raise WTAError(f"{name} has {len(ids)} entries, expected {n}")
                set_(self, name, tuple(ids))
        for arr in (values, pk, counts, costs, feas):
            arr.flags.writeable = False
        set_(self, "values", values)
        set_(self, "pk", pk)
        set_(self, "counts", counts)
        set_(self, "costs", costs)
        set_(self, "cost_weight", lam)
        set_(self, "feasible", feas)
        set_(self, "max_units_per_pair", pair_cap)
        set_(self, "max_units_per_target", tcap)

    @property
    def n_weapons(self) -> int:
        return int(self.pk.shape[0])

    @property
    def n_targets(self) -> int:
        return int(self.pk.shape[1])

    def pair_upper(self) -> np.ndarray:
        """(W, T) int: the most units type i may fire at j (0 where infeasible)."""
        ub = np.broadcast_to(self.counts[:, None], self.pk.shape).copy()
        if self.max_units_per_pair is not None:
            ub = np.minimum(ub, self.max_units_per_pair)
        if self.max_units_per_target is not None:
            ub = np.minimum(ub, self.max_units_per_target[None, :])
        ub[~self.feasible] = 0
        return ub

    def log_q(self) -> np.ndarray:
        """(W, T) ln(1 - p), floored at LOG_FLOOR."""
        with np.errstate(divide="ignore"):
            return np.maximum(np.log1p(-self.pk), LOG_FLOOR)

    def objective(self, x: np.ndarray) -> float:
        """Exact objective of an integer plan x (W, T)."""
        x = np.asarray(x)
        surv = np.prod((1.0 - self.pk) ** x, axis=0)
        return float(self.values @ surv + self.cost_weight * float(self.costs @ x.sum(axis=1)))

    def violations(self, x: np.ndarray) -> list[str]:
        """Human-readable list of constraint violations of x (empty when feasible)."""
        x = np.asarray(x)
        out = []
        if x.shape != self.pk.shape:
            return [f"x has shape {x.shape}, expected {self.pk.shape}"]
        if np.any(x < 0):
            out.append("negative units")
        over = np.nonzero(x.sum(axis=1) > self.counts)[0]
        out += [f"weapon {i} fires {int(x[i].sum())} > count {int(self.counts[i])}" for i in over]
        if np.any(x[~self.feasible] > 0):
            out.append("units on infeasible pairs")
        if self.max_units_per_pair is not None and np.any(x > self.max_units_per_pair):
            out.append("max_units_per_pair exceeded")
        if self.max_units_per_target is not None and np.any(
                x.sum(axis=0) > self.max_units_per_target):
            out.append("max_units_per_target exceeded")
        return out

    def lb_safety(self) -> float:
        """Amount subtracted from lower bounds to cover the LOG_FLOOR approximation."""
        return float(self.values.sum()) * math.exp(LOG_FLOOR) if np.any(self.pk >= 1.0) else 0.0


@dataclass(frozen=True)
class WTAPlan:
    """A solution: x (W, T) int units; objective recomputed exactly from x; a valid lower bound;
    gap = (objective - lower_bound) / objective; status "optimal" when gap <= OPTIMAL_REL_GAP."""

    x: np.ndarray
    objective: float
    lower_bound: float
    gap: float
    status: str
    solve_time_s: float
    solver: str

    def assignment(self) -> list[tuple[int, int, int]]:
        """Non-zero entries as (weapon_index, target_index, units) triples."""
        return [(int(i), int(j), int(self.x[i, j])) for i, j in np.argwhere(self.x > 0)]


def _make_plan(problem: WTAProblem, x: np.ndarray, lb: float, t0: float, solver: str) -> WTAPlan:
    x = np.asarray(x, dtype=np.int64)
    obj = problem.objective(x)
    lb = min(float(lb), obj)  # a valid bound never exceeds a feasible value; clamps fp noise
    gap = max(0.0, (obj - lb) / max(abs(obj), 1e-12)) if obj > 0 else 0.0
    status = "optimal" if gap <= OPTIMAL_REL_GAP else "feasible"
    x.flags.writeable = False
    return WTAPlan(x=x, objective=obj, lower_bound=lb, gap=gap, status=status,
                   solve_time_s=time.perf_counter() - t0, solver=solver)


def _float_array(a: Any, name: str, ndim: int) -> np.ndarray:
    try:
        arr = np.array(a, dtype=float)
    except (TypeError, ValueError):
        raise WTAError(f"{name} must be numeric") from None
    if arr.ndim != ndim:
        raise WTAError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise WTAError(f"{name} contains a non-finite value")
    return arr


def _int_array(a: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    try:
        raw = np.array(a)
        arr = raw.astype(np.int64)
    except (TypeError, ValueError, OverflowError):
        raise WTAError(f"{name} must contain integers") from None
    if arr.shape != shape:
        raise WTAError(f"{name} has shape {arr.shape}, expected {shape}")
    if raw.dtype.kind not in "iub" and not np.array_equal(raw, arr):
        raise WTAError(f"{name} must contain integers")
    if np.any(arr < 0):
        raise WTAError(f"{name} must be >= 0; found {int(arr.min())}")
    return arr


# --------------------------------------------------------------------------------------------
# heuristic: greedy + local search on units
# --------------------------------------------------------------------------------------------


class _Units:
    """Unit-level state. Column T of the padded arrays is the pseudo-target "unused"."""

    def __init__(self, problem: WTAProblem) -> None:
        W, T = problem.pk.shape
        self.W, self.T = W, T
        L = problem.log_q()
        self.Lp = np.zeros((W, T + 1))
        self.Lp[:, :T] = L
        self.Vp = np.zeros(T + 1)
        self.Vp[:T] = problem.values
        ub = problem.pair_upper()
        self.capp = np.empty((W, T + 1), np.int64)
        self.capp[:, :T] = ub
        self.capp[:, T] = np.iinfo(np.int64).max // 4
        self.tcap = np.full(T + 1, np.iinfo(np.int64).max // 4, np.int64)
        if problem.max_units_per_target is not None:
            self.tcap[:T] = problem.max_units_per_target
        self.unit_w = np.repeat(np.arange(W), problem.counts)
        self.U = len(self.unit_w)
        self.cu = problem.cost_weight * problem.costs[self.unit_w]
        self.unit_t = np.full(self.U, T, np.int64)
        self.count = problem.counts.copy()
        self.first = np.concatenate([[0], np.cumsum(problem.counts)[:-1]]).astype(np.int64)
        self.cw = problem.cost_weight * problem.costs
        self.refresh()

    def refresh(self) -> None:
        T = self.T
        self.Y = np.zeros(T + 1)
        np.add.at(self.Y, self.unit_t, self.Lp[self.unit_w, self.unit_t])
        self.Y[T] = 0.0
        self.load = np.bincount(self.unit_t, minlength=T + 1).astype(np.int64)
        self.xc = np.zeros((self.W, T + 1), np.int64)
        np.add.at(self.xc, (self.unit_w, self.unit_t), 1)

    def value(self) -> float:
        return float(self.Vp @ np.exp(self.Y) + self.cu[self.unit_t < self.T].sum())

    def x(self) -> np.ndarray:
        return self.xc[:, : self.T].copy()

    def set_x(self, x: np.ndarray) -> None:
        t = np.full(self.U, self.T, np.int64)
        pos = 0
        for i in range(self.W):
            n_i = int((self.unit_w == i).sum())
            row = np.repeat(np.arange(self.T), x[i])
            t[pos: pos + len(row)] = row
            pos += n_i
        self.unit_t = t
        self.refresh()

    def move(self, u: int, b: int) -> None:
        a, w = self.unit_t[u], self.unit_w[u]
        self.Y[a] -= self.Lp[w, a]
        self.Y[b] += self.Lp[w, b]
        self.Y[self.T] = 0.0
        self.load[a] -= 1
        self.load[b] += 1
        self.xc[w, a] -= 1
        self.xc[w, b] += 1
        self.unit_t[u] = b


def _greedy(problem: WTAProblem) -> np.ndarray:
    """Maximum marginal return, one unit at a time; stops when no unit gains > 0."""
    W, T = problem.pk.shape
    lam_c = problem.cost_weight * problem.costs
    ub = problem.pair_upper()
    tcap = (problem.max_units_per_target if problem.max_units_per_target is not None
            else np.full(T, np.iinfo(np.int64).max // 4))
    x = np.zeros((W, T), np.int64)
    left = problem.counts.copy()
    surv_val = problem.values.astype(float).copy()  # V_j * survival_j
    G = surv_val[None, :] * problem.pk - lam_c[:, None]
    G[ub == 0] = -np.inf
    G[left == 0, :] = -np.inf
    while True:
        k = int(np.argmax(G))
        i, j = divmod(k, T)
        if not G[i, j] > 0:
            break
        x[i, j] += 1
        left[i] -= 1
        surv_val[j] *= 1.0 - problem.pk[i, j]
        col = surv_val[j] * problem.pk[:, j] - lam_c
        col[(x[:, j] >= ub[:, j]) | (left == 0)] = -np.inf
        if x[:, j].sum() >= tcap[j]:
            col[:] = -np.inf
        G[:, j] = col
        if left[i] == 0:
            G[i, :] = -np.inf
    return x


def _pass_moves(s: _Units, eps: float) -> bool:
    """Apply all non-conflicting improving single-unit moves (to another target or unused)."""
    T = s.T
    a = s.unit_t
    w = s.unit_w
    E = s.Vp * np.exp(s.Y)  # (T+1,)
    used = a < T
    rem = s.Vp[a] * (np.exp(s.Y[a] - s.Lp[w, a]) - np.exp(s.Y[a])) - s.cu * used
    add = E[None, :] * np.expm1(s.Lp[w, :]) + s.cu[:, None]
    add[:, T] = 0.0
    D = rem[:, None] + add
    bad = (s.xc[w, :] >= s.capp[w, :]) | (s.load[None, :] >= s.tcap[None, :])
    bad[np.arange(s.U), a] = True
    D[bad] = np.inf
    return _apply_best(s, D, eps, kind="move")


def _pass_types(s: _Units, eps: float, order: np.ndarray) -> bool:
    """Re-optimise all units of one weapon type at a time, the other types fixed (block
    coordinate descent). Given the other types' survival products each target's term is convex
    and decreasing in x_ij, so taking the ``count_i`` largest positive marginal returns
    ``E_j p_ij q_ij^k - λ c_i`` (k = 0, 1, ... per target, within the caps) is exact for the
    block. Vectorised over targets and unit ranks; one Python step per type."""
    T = s.T
    changed = False
    for i in order:
        i = int(i)
        m = int(s.count[i])
        if m == 0:
            continue
        Li = s.Lp[i, :T]
        xo = s.xc[i, :T]
        R = s.Y[:T] - Li * xo
        E = s.Vp[:T] * np.exp(R)
        room = np.minimum(s.capp[i, :T], s.tcap[:T] - (s.load[:T] - xo))
        kmax = min(m, int(room.max(initial=0)))
        if kmax <= 0:
            continue
        k = np.arange(kmax)[:, None]
        G = -(E * np.expm1(Li))[None, :] * np.exp(k * Li[None, :]) - s.cw[i]
        G[k >= room[None, :]] = -np.inf
        flat = G.ravel()
        if flat.size > m:
            top = np.argpartition(-flat, m - 1)[:m]
        else:
            top = np.arange(flat.size)
        top = top[flat[top] > 0]
        xn = np.bincount(top % T, minlength=T)
        if np.array_equal(xn, xo):
            continue
        delta = float(E @ (np.exp(Li * xn) - np.exp(Li * xo))) + s.cw[i] * (
            int(xn.sum()) - int(xo.sum()))
        if not delta < -eps:
            continue
        lo = s.first[i]
        t = np.full(m, T, np.int64)
        t[: int(xn.sum())] = np.repeat(np.arange(T), xn)
        s.unit_t[lo: lo + m] = t
        s.Y[:T] += Li * (xn - xo)
        s.load[:T] += xn - xo
        s.load[T] += int(xo.sum()) - int(xn.sum())
        s.xc[i, :T] = xn
        s.xc[i, T] = m - int(xn.sum())
        changed = True
    return changed


def _pass_swaps(s: _Units, eps: float) -> bool:
    """Apply non-conflicting improving swaps of two units of different types between targets."""
    T = s.T
    a = s.unit_t
    w = s.unit_w
    if s.U < 2:
        return False
    La_own = s.Lp[w, a]  # (U,)
    Lva = s.Lp[w[None, :], a[:, None]]  # [u, v] = L[w_v, a_u]
    Ya = s.Y[a]
    real_a = (a < T).astype(float)
    term = s.Vp[a][:, None] * (np.exp(Ya[:, None] - La_own[:, None] + Lva) - np.exp(Ya)[:, None])
    term += (s.cu[None, :] - s.cu[:, None]) * real_a[:, None]
    D = term + term.T
    bad = (a[:, None] == a[None, :]) | (w[:, None] == w[None, :])
    # v's type into a_u must be allowed: xc[w_v, a_u] + 1 <= cap
    capv = s.xc[w[None, :], a[:, None]] >= s.capp[w[None, :], a[:, None]]
    bad |= capv | capv.T
    D[bad] = np.inf
    D[np.tril_indices(s.U)] = np.inf
    return _apply_best(s, D, eps, kind="swap")


def _apply_best(s: _Units, D: np.ndarray, eps: float, kind: str) -> bool:
    flat = np.flatnonzero(D < -eps)
    if flat.size == 0:
        return False
    order = flat[np.argsort(D.flat[flat])][:4096]
    T = s.T
    locked_t = np.zeros(T + 1, bool)
    locked_u = np.zeros(s.U, bool)
    n_cols = D.shape[1]
    changed = False
    for k in order:
        r, c = divmod(int(k), n_cols)
        if kind == "move":
            u, a, b = r, int(s.unit_t[r]), c
            if locked_u[u] or (a < T and locked_t[a]) or (b < T and locked_t[b]):
                continue
            s.move(u, b)
            locked_u[u] = True
            locked_t[a] = locked_t[b] = True
        else:
            u, v = r, c
            a, b = int(s.unit_t[u]), int(s.unit_t[v])
            if locked_u[u] or locked_u[v] or (a < T and locked_t[a]) or (b < T and locked_t[b]):
                continue
            s.move(u, b)
            s.move(v, a)
            locked_u[u] = locked_u[v] = True
            locked_t[a] = locked_t[b] = True
        locked_t[T] = False
        changed = True
    return changed


def _pass_assignment(s: _Units, rng: np.random.Generator, eps: float) -> bool:
    """Remove one unit per engaged target plus all unused units; re-insert them optimally with
    at most one per target (a linear assignment problem; exact for this neighbourhood)."""
    from scipy.optimize import linear_sum_assignment

    T = s.T
    a = s.unit_t
    used = np.flatnonzero(a < T)
    if used.size:
        perm = rng.permutation(used)
        _, first = np.unique(a[perm], return_index=True)
        chosen = perm[first]
    else:
        chosen = used
    S = np.concatenate([chosen, np.flatnonzero(a == T)])
    if S.size == 0:
        return False
    wS, aS = s.unit_w[S], a[S]
    R = s.Y.copy()
    np.subtract.at(R, aS, s.Lp[wS, aS])
    R[T] = 0.0
    loadR = s.load.copy()
    np.subtract.at(loadR, aS, 1)
    xcR = s.xc.copy()
    np.subtract.at(xcR, (wS, aS), 1)
    ER = s.Vp[:T] * np.exp(R[:T])
    C = ER[None, :] * np.expm1(s.Lp[wS, :T]) + s.cu[S][:, None]
    bad = (xcR[wS, :T] >= s.capp[wS, :T]) | (loadR[None, :T] >= s.tcap[None, :T])
    scale = 1.0 + float(np.abs(C[~bad]).max()) if np.any(~bad) else 1.0
    C[bad] = 1e6 * scale * (S.size + 1)
    n = S.size
    if (_SPARSE_K and T > 2 * _SPARSE_K and n * T > _SPARSE_MIN_CELLS
            and s.count.max(initial=0) > 1):
        rows, cols, new_cost = _sparse_assignment(C, bad, aS, T)
    else:
        full = np.zeros((n, T + n))
        full[:, :T] = C
        rows, cols = linear_sum_assignment(full)
        new_cost = float(full[rows, cols].sum())
    new_t = np.where(cols < T, cols, T)
    if np.any(cols < T) and np.any(bad[rows[cols < T], cols[cols < T]]):
        return False  # cannot happen (dummies always available); be safe
    cur_cost = float(np.where(aS < T, C[np.arange(S.size), np.minimum(aS, T - 1)], 0.0).sum())
    if not new_cost < cur_cost - eps:
        return False
    s.unit_t[S[rows]] = new_t
    s.refresh()
    return True


def _sparse_assignment(C: np.ndarray, bad: np.ndarray, aS: np.ndarray,
                       T: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The re-insertion assignment restricted to each row's ``_SPARSE_K`` cheapest targets, its
    current target and a private "unused" column (so the current solution stays feasible and
    the step never gets worse); solved as a sparse min-weight full bipartite matching, which is
    much faster than the dense problem on large instances."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    n = C.shape[0]
    Cm = np.where(bad, np.inf, C)
    K = _SPARSE_K
    top = np.argpartition(Cm, K - 1, axis=1)[:, :K]
    cur = np.where(aS < T, aS, T + np.arange(n))  # unused rows: their own dummy column
    own_dummy = T + np.arange(n)
    cols = np.concatenate([top, cur[:, None], own_dummy[:, None]], axis=1)
    vals = np.empty(cols.shape)
    vals[:, :K] = np.take_along_axis(Cm, top, axis=1)
    vals[:, K] = np.where(aS < T, Cm[np.arange(n), np.minimum(aS, T - 1)], 0.0)
    vals[:, K + 1] = 0.0
    # plus, for every target, the K rows for which it is cheapest (all units tend to prefer
    # the same few high-value targets, so row-wise candidates alone are too narrow)
    Kc = min(K, n)
    topr = np.argpartition(Cm, Kc - 1, axis=0)[:Kc, :]  # (Kc, T)
    r = np.concatenate([np.repeat(np.arange(n), K + 2), topr.ravel()])
    c = np.concatenate([cols.ravel(), np.tile(np.arange(T), Kc)])
    v = np.concatenate([vals.ravel(), np.take_along_axis(Cm, topr, axis=0).ravel()])
    ok = np.isfinite(v)
    r, c, v = r[ok], c[ok], v[ok]
    # drop duplicate (row, column) entries (current target may also be in the top K)
    key = r.astype(np.int64) * (T + n) + c
    _, first = np.unique(key, return_index=True)
    r, c, v = r[first], c[first], v[first]
    shift = 1.0 - float(v.min()) if v.size else 0.0  # weights must be > 0; same shift per row
    G = csr_matrix((v + shift, (r, c)), shape=(n, T + n))
    match = min_weight_full_bipartite_matching(G)[1]
    rows = np.arange(n)
    cost = float(np.asarray(G[rows, match]).ravel().sum()) - shift * n
    return rows, match, cost


def _local_search(s: _Units, rng: np.random.Generator, deadline: float, lns_tries: int) -> None:
    multi = bool(s.count.max(initial=0) > 1)
    while time.perf_counter() < deadline:
        eps = _IMPROVE_EPS * max(1.0, abs(s.value()))
        if _pass_moves(s, eps):
            continue
        if multi and _pass_types(s, eps, rng.permutation(s.W)):
            continue
        if _pass_swaps(s, eps):
            continue
        improved = False
        for _ in range(lns_tries):
            if time.perf_counter() >= deadline:
                break
            if _pass_assignment(s, rng, eps):
                improved = True
                break
        if not improved:
            return


def _perturb(s: _Units, rng: np.random.Generator, k: int) -> None:
    T = s.T
    for u in rng.choice(s.U, size=min(k, s.U), replace=False):
        w = s.unit_w[u]
        ok = np.flatnonzero((s.xc[w, :T] < s.capp[w, :T]) & (s.load[:T] < s.tcap[:T]))
        if ok.size:
            s.move(int(u), int(rng.choice(ok)))


def _perturb_types(s: _Units, rng: np.random.Generator, k: int) -> None:
    """Forced moves: for k random weapon types, forbid one more unit on a target the type
    currently engages (one random engaged pair) and re-optimise that type exactly."""
    T = s.T
    used_types = np.flatnonzero(s.xc[:, :T].sum(axis=1) > 0)
    if used_types.size == 0:
        return
    for i in rng.choice(used_types, size=min(k, used_types.size), replace=False):
        tg = np.flatnonzero(s.xc[i, :T] > 0)
        a = int(rng.choice(tg))
        old = int(s.capp[i, a])
        s.capp[i, a] = s.xc[i, a] - 1
        _pass_types(s, -math.inf, np.array([i]))
        s.capp[i, a] = old


def _payoff_pairs(problem: WTAProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                  np.ndarray, np.ndarray, np.ndarray]:
    """What the MILP and its LP relaxation share: log survival ``L`` (W, T), values ``V``,
    ``lambda c`` (W,), pair upper bounds ``ub`` (W, T) and the pairs (pi, pj) that can ever
    pay off (a unit on a pair with ``lambda c_i >= V_j p_ij`` never improves the objective:
    dropping those pairs is safe, see the module doc)."""
    L = problem.log_q()
    V = problem.values
    lam_c = problem.cost_weight * problem.costs
    ub = problem.pair_upper()
    keep = (ub > 0) & (L < 0) & (V[None, :] > 0) & (lam_c[:, None] < V[None, :] * problem.pk)
    pi, pj = np.nonzero(keep)
    return L, V, lam_c, ub, pi, pj


def _lp_relaxation(problem: WTAProblem, deadline: float,
                   max_rounds: int = 8) -> tuple[np.ndarray, float] | None:
    """Fractional x (W, T) of the continuous relaxation of the cut model (module docstring),
    solved by Kelley's cutting planes with HiGHS (tangents added at the LP's y until the
    tangents are tight), and a valid lower bound (the best LP value). None when HiGHS is
    unavailable, fails or time runs out first."""
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy is a dependency
        return None
    W, T = problem.pk.shape
    L, V, lam_c, ub, pi, pj = _payoff_pairs(problem)
    n_x = len(pi)
    if n_x == 0:
        return None
    tg = np.flatnonzero(V > 0)
    s_col = np.full(T, -1)
    s_col[tg] = n_x + np.arange(len(tg))
    inf = highspy.kHighsInf
    h = _new_highs(highspy)
    h.setOptionValue("output_flag", False)
    n_col = n_x + len(tg)
    h.addVars(n_col, np.zeros(n_col), np.concatenate([ub[pi, pj].astype(float),
                                                      np.ones(len(tg))]))
    h.changeColsCost(n_col, np.arange(n_col, dtype=np.int32), np.concatenate([lam_c[pi], V[tg]]))
    _add_group_rows(h, pi, np.arange(n_x), W, np.full(W, -inf), problem.counts.astype(float))
    if problem.max_units_per_target is not None:
        _add_group_rows(h, pj, np.arange(n_x), T, np.full(T, -inf),
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
    slot = starts[rows_x] + (np.arange(len(xs)) - np.concatenate([[0], np.cumsum(cnt)[:-1]])[rows_x])
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

    grid = np.log(np.array(_INITIAL_SURVIVALS))
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


def _round_lp(problem: WTAProblem, xf: np.ndarray) -> np.ndarray:
    """Integer x from a fractional LP solution: rounded down (feasible: magazines and caps are
    linear constraints of the LP); the local search then places the remaining units."""
    return np.minimum(np.floor(xf + 1e-7).astype(np.int64), problem.pair_upper())


def lagrangian_bound(problem: WTAProblem, upper: float | None = None, iters: int = 300,
                     time_limit_s: float = 1.0, u0: np.ndarray | None = None) -> float:
    """Valid lower bound from the Lagrangian dual of the continuous relaxation (module doc)."""
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
            best, stall = cur, 0
        else:
            stall += 1
            if stall >= 10:
                theta *= 0.5
                stall = 0
                if theta < 1e-6:
                    break
    return max(best, 0.0) - safety


def _shadow_prices(s: _Units) -> np.ndarray:
    """u_i = best marginal return of one more unit of type i at the current solution (>= 0)."""
    T = s.T
    E = s.Vp[:T] * np.exp(s.Y[:T])
    lam_c = np.zeros(s.W)
    lam_c[s.unit_w] = s.cu
    gain = -E[None, :] * np.expm1(s.Lp[:, :T]) - lam_c[:, None]
    gain[s.capp[:, :T] == 0] = 0.0
    return np.maximum(gain.max(axis=1, initial=0.0), 0.0)


def solve_heuristic(problem: WTAProblem, time_limit_s: float = 10.0, seed: int = 0,
                    bound: bool = True, max_iters: int | None = None) -> WTAPlan:
    """Anytime heuristic (module docstring) until ``time_limit_s``; reports a valid lower
    bound (Lagrangian, or the LP value when better). One unit per type: greedy maximum marginal
    return + local search (moves, swaps, assignment LNS) + iterated local search (stops after
    ``_ILS_MAX_STALL`` perturbations without improvement). Several units of some type: the
    continuous relaxation (HiGHS LP, tangent cuts) rounded down is the start (greedy if that
    is better), the local search also re-optimises whole weapon types, and the iterated local
    search uses forced type moves and runs until the time limit unless it has stalled for
    ``_ILS_MAX_STALL`` perturbations and a quarter of the time limit.

    The RNG is seeded by ``seed``. ``max_iters`` caps the number of perturbations; with a
    time limit that is not reached the result is then deterministic."""
    t0 = time.perf_counter()
    deadline = t0 + max(0.0, float(time_limit_s)) * (0.9 if bound else 1.0)
    rng = np.random.default_rng(seed)
    iters_left = math.inf if max_iters is None else max(0, int(max_iters))
    s = _Units(problem)
    if s.U == 0 or problem.n_targets == 0:
        lb = lagrangian_bound(problem, time_limit_s=0.1) if bound else 0.0
        return _make_plan(problem, np.zeros(problem.pk.shape, np.int64), lb, t0, "heuristic")
    multi = bool(s.count.max() > 1)
    s.set_x(_greedy(problem))
    best_x, best_v = s.x(), problem.objective(s.x())
    lp = _lp_relaxation(problem, t0 + 0.4 * (deadline - t0)) if multi else None
    if lp is None:
        _local_search(s, rng, deadline, lns_tries=4)
    else:
        # start from the LP solution rounded down: quick descent without the assignment
        # neighbourhood, then the full local search; keep the better of it and greedy
        s.set_x(_round_lp(problem, lp[0]))
        _local_search(s, rng, deadline, lns_tries=0)
        _local_search(s, rng, deadline, lns_tries=4)
        if problem.objective(s.x()) > best_v:
            s.set_x(best_x)
            _local_search(s, rng, deadline, lns_tries=4)
    best_x, best_v = s.x(), problem.objective(s.x())
    lb = -math.inf
    if bound:
        lb = lagrangian_bound(problem, upper=best_v, u0=_shadow_prices(s),
                              time_limit_s=max(0.05, (0.02 if lp else 0.1) * time_limit_s))
        if lp is not None:
            lb = max(lb, lp[1])
    k = max(2, s.U // 20)
    # several units per type: also require a quarter of the time limit without improvement
    # before stopping early (the stall count alone stopped 50x100x3 far too early)
    stall_time = _MULTI_STALL_SHARE * float(time_limit_s) if multi else 0.0
    stall, t_best = 0, time.perf_counter()
    while (time.perf_counter() < deadline and iters_left > 0
           and not (stall >= _ILS_MAX_STALL and time.perf_counter() - t_best >= stall_time)
           and (best_v - lb) > OPTIMAL_REL_GAP * abs(best_v)):
        s.set_x(best_x)
        if multi:
            _perturb_types(s, rng, int(rng.integers(1, 4)))
        else:
            _perturb(s, rng, int(rng.integers(2, k + 1)))
        _local_search(s, rng, deadline, lns_tries=_ILS_LNS_TRIES_MULTI if multi else 3)
        v = problem.objective(s.x())
        stall += 1
        iters_left -= 1
        if v < best_v - _IMPROVE_EPS * abs(best_v):
            best_x, best_v, stall, t_best = s.x(), v, 0, time.perf_counter()
    if not bound:
        lb = 0.0
    return _make_plan(problem, best_x, lb, t0, "heuristic")


# --------------------------------------------------------------------------------------------
# exact: HiGHS MILP with outer approximation
# --------------------------------------------------------------------------------------------


def solve_exact(problem: WTAProblem, time_limit_s: float = 60.0, seed: int = 0) -> WTAPlan:
    """Outer-approximation MILP with HiGHS (module docstring); anytime with a valid bound."""
    import highspy

    t0 = time.perf_counter()
    deadline = t0 + float(time_limit_s)
    heur = solve_heuristic(problem, time_limit_s=min(2.0, 0.1 * time_limit_s), seed=seed)
    best_x, best_v, lb = np.array(heur.x), heur.objective, heur.lower_bound
    if heur.status == "optimal":
        return _make_plan(problem, best_x, lb, t0, "exact-oa-highs")
    W, T = problem.pk.shape
    L, V, lam_c, ub, pi, pj = _payoff_pairs(problem)
    n_x = len(pi)
    if n_x == 0:  # no unit can ever pay off (see module doc): x = 0 is optimal
        x0 = np.zeros((W, T), np.int64)
        return _make_plan(problem, x0, problem.objective(x0), t0, "exact-oa-highs")
    tg = np.flatnonzero(V > 0)
    s_col = np.full(T, -1)
    s_col[tg] = n_x + np.arange(len(tg))
    inf = highspy.kHighsInf
    h = _new_highs(highspy)
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
    _add_group_rows(h, pi, np.arange(n_x), W, np.full(W, -inf), problem.counts.astype(float))
    if problem.max_units_per_target is not None:
        _add_group_rows(h, pj, np.arange(n_x), T, np.full(T, -inf),
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
        pts = {round(math.log(sv), 12) for sv in _INITIAL_SURVIVALS if math.log(sv) >= y_min[j] - 1}
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
        if best_v - lb <= OPTIMAL_REL_GAP * abs(best_v) or status != highspy.HighsModelStatus.kOptimal:
            break
        y = (L * x).sum(axis=0)
        s_val = col[n_x:]
        viol = np.exp(y[tg]) - s_val
        new = [(int(j), float(y[j])) for j, d in zip(tg, viol, strict=True)
               if d > 1e-10 * max(1.0, float(np.exp(y[j])))]
        if not new:
            break  # the cut model's optimum is tight: LB is the MILP value
        add_cuts(new)
    return _make_plan(problem, best_x, lb, t0, "exact-oa-highs")


def _new_highs(highspy: Any) -> Any:
    """A silent Highs object: HiGHS prints a licence banner on fd 1 at its first construction,
    which would corrupt JSON written to stdout, so fd 1 is pointed at /dev/null meanwhile."""
    import os
    import sys

    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        return highspy.Highs()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
        return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _add_group_rows(h: Any, group: np.ndarray, cols: np.ndarray, n_groups: int,
                    lo: np.ndarray, hi: np.ndarray) -> None:
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
    h.addRows(n_groups, lo, hi, len(cols), starts, cols[order].astype(np.int32),
              np.ones(len(cols)))


def solve(problem: WTAProblem, time_limit_s: float = 10.0, exact: bool = False,
          seed: int = 0, max_iters: int | None = None) -> WTAPlan:
    """Dispatch: the exact MILP when ``exact`` else the heuristic; both within ``time_limit_s``.
    ``max_iters`` caps the heuristic's perturbations (repeatable plans under any load)."""
    if not time_limit_s > 0:
        raise WTAError(f"time limit must be > 0 s, got {time_limit_s}")
    if exact:
        return solve_exact(problem, time_limit_s=time_limit_s, seed=seed)
    return solve_heuristic(problem, time_limit_s=time_limit_s, seed=seed, max_iters=max_iters)


# --------------------------------------------------------------------------------------------
# readers
# --------------------------------------------------------------------------------------------

_TOP_KEYS = {"weapons", "targets", "pk", "cost_weight", "feasible", "max_units_per_pair"}
_WEAPON_KEYS = {"id", "count", "cost"}
_TARGET_KEYS = {"id", "value", "max_units"}


def _num(v: Any, where: str, *, integer: bool = False, lo: float | None = None,
         hi: float | None = None) -> float:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool)
    if ok and integer and not (isinstance(v, int) or float(v).is_integer()):
        ok = False
    if not ok or not math.isfinite(float(v)):
        kind = "an integer" if integer else "a number"
        raise DataFormatError(f"{where}: expected {kind}, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise DataFormatError(f"{where} = {v} is outside {rng}")
    return int(v) if integer else float(v)


def _check_record(rec: Any, where: str, allowed: frozenset[str] | set[str],
                  required: tuple[str, ...], shape: str) -> None:
    """An instance record must be an object with only ``allowed`` keys and all ``required``."""
    if not isinstance(rec, dict):
        raise DataFormatError(f"{where}: expected an object with {shape}")
    bad = sorted(set(rec) - set(allowed))
    if bad:
        raise DataFormatError(f"{where}: unknown key(s) {', '.join(bad)}; allowed: "
                              f"{', '.join(sorted(allowed))}")
    for req in required:
        if req not in rec:
            raise DataFormatError(f"{where}: missing required key '{req}'")


def read_json_instance(path: str | Path) -> WTAProblem:
    """Neutral JSON format (docs/wta.md): weapons [{id, count, cost?}], targets [{id, value,
    max_units?}], pk W x T, cost_weight?, feasible? (W x T booleans), max_units_per_pair?."""
    path = Path(path)
    name = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise DataFormatError(f"{path}: cannot read file ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise DataFormatError(f"{name}: not UTF-8 text; expected a JSON WTA instance") from None
    except json.JSONDecodeError as e:
        raise DataFormatError(f"{name}: invalid JSON at line {e.lineno} column {e.colno}: "
                              f"{e.msg}") from None
    if not isinstance(data, dict):
        raise DataFormatError(f"{name}: expected a JSON object with keys weapons, targets, pk")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise DataFormatError(f"{name}: unknown key(s) {', '.join(unknown)}; allowed: "
                              f"{', '.join(sorted(_TOP_KEYS))}")
    for key in ("weapons", "targets", "pk"):
        if key not in data:
            raise DataFormatError(f"{name}: missing required key '{key}'")
        if not isinstance(data[key], list):
            raise DataFormatError(f"{name}: '{key}' must be a list")
    weapons, targets = data["weapons"], data["targets"]
    if not weapons or not targets:
        raise DataFormatError(f"{name}: 'weapons' and 'targets' must not be empty")
    w_ids, counts, costs = [], [], []
    for k, w in enumerate(weapons):
        where = f"{name}: weapons[{k}]"
        _check_record(w, where, _WEAPON_KEYS, ("id", "count"), "id, count[, cost]")
        w_ids.append(w["id"])
        counts.append(_num(w["count"], f"{where}.count", integer=True, lo=0))
        costs.append(_num(w.get("cost", 0.0), f"{where}.cost", lo=0))
    t_ids, values, tcaps = [], [], []
    for k, t in enumerate(targets):
        where = f"{name}: targets[{k}]"
        _check_record(t, where, _TARGET_KEYS, ("id", "value"), "id, value[, max_units]")
        t_ids.append(t["id"])
        values.append(_num(t["value"], f"{where}.value", lo=0))
        tcaps.append(_num(t["max_units"], f"{where}.max_units", integer=True, lo=0)
                     if "max_units" in t else None)
    for label, ids in (("weapon", w_ids), ("target", t_ids)):
        for v in ids:
            if not isinstance(v, (str, int)) or isinstance(v, bool):
                raise DataFormatError(f"{name}: {label} id {v!r} must be a string or integer")
        if len(set(ids)) != len(ids):
            dup = next(v for v in ids if ids.count(v) > 1)
            raise DataFormatError(f"{name}: duplicate {label} id {dup!r}")
    W, T = len(weapons), len(targets)
    pk = _read_matrix(data["pk"], name, "pk", W, T, lambda v, wh: _num(v, wh, lo=0.0, hi=1.0))
    feas = None
    if "feasible" in data:
        def as_bool(v: Any, wh: str) -> bool:
            if not isinstance(v, bool):
                raise DataFormatError(f"{wh}: expected true or false, got {v!r}")
            return v
        feas = _read_matrix(data["feasible"], name, "feasible", W, T, as_bool)
    lam = _num(data.get("cost_weight", 0.0), f"{name}: cost_weight", lo=0)
    pair_cap = None
    if "max_units_per_pair" in data:
        pair_cap = _num(data["max_units_per_pair"], f"{name}: max_units_per_pair",
                        integer=True, lo=0)
    tcap = None
    if any(c is not None for c in tcaps):
        big = max(counts) if counts else 0
        tcap = [big * W if c is None else c for c in tcaps]
    try:
        return WTAProblem(values=np.array(values), pk=np.array(pk), counts=np.array(counts),
                          costs=np.array(costs), cost_weight=lam,
                          feasible=None if feas is None else np.array(feas, bool),
                          max_units_per_pair=pair_cap,
                          max_units_per_target=None if tcap is None else np.array(tcap),
                          weapon_ids=tuple(w_ids), target_ids=tuple(t_ids))
    except WTAError as e:
        raise DataFormatError(f"{name}: {e}") from None


def _read_matrix(rows: Any, name: str, key: str, W: int, T: int, conv: Any) -> list[list[Any]]:
    if not isinstance(rows, list):
        raise DataFormatError(f"{name}: '{key}' must be a list of {W} rows (weapons)")
    if len(rows) != W:
        raise DataFormatError(f"{name}: {key} has {len(rows)} rows, expected {W} "
                              f"(number of weapons)")
    out = []
    for r, row in enumerate(rows):
        if not isinstance(row, list):
            raise DataFormatError(f"{name}: {key} row {r} must be a list of {T} entries")
        if len(row) != T:
            raise DataFormatError(f"{name}: {key} row {r} has {len(row)} entries, expected {T} "
                                  f"(number of targets)")
        out.append([conv(v, f"{name}: {key}[{r}][{c}]") for c, v in enumerate(row)])
    return out


def read_toffolo(path: str | Path) -> WTAProblem:
    """Andersen-Pavlikov-Toffolo text format: ``W T mu``; T values; W*T lines ``i j p_ij``."""
    path = Path(path)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise DataFormatError(f"{path}: cannot read file ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise DataFormatError(f"{name}: not UTF-8 text; expected a WTA instance") from None
    lines = [(n + 1, ln.split()) for n, ln in enumerate(text.splitlines()) if ln.strip()]
    if not lines:
        raise DataFormatError(f"{name}: empty file; expected 'W T mu' on line 1")
    n0, head = lines[0]
    if len(head) != 3:
        raise DataFormatError(f"{name}: line {n0}: expected 'W T mu' (3 integers), got "
                              f"{len(head)} field(s)")
    try:
        W, T, mu = (int(v) for v in head)
    except ValueError:
        raise DataFormatError(f"{name}: line {n0}: expected 'W T mu' as integers, got "
                              f"{' '.join(head)!r}") from None
    if W <= 0 or T <= 0 or mu < 0:
        raise DataFormatError(f"{name}: line {n0}: need W > 0, T > 0, mu >= 0")
    need = 1 + T + W * T
    if len(lines) != need:
        raise DataFormatError(f"{name}: {len(lines)} non-empty lines, expected {need} "
                              f"(1 header + {T} values + {W}x{T} kill probabilities)")
    values = np.empty(T)
    for k in range(T):
        n, f = lines[1 + k]
        if len(f) != 1:
            raise DataFormatError(f"{name}: line {n}: expected one target value, got {len(f)} "
                                  "fields")
        values[k] = _parse_float(f[0], name, n, "target value", lo=0.0)
    pk = np.full((W, T), np.nan)
    for n, f in lines[1 + T:]:
        if len(f) != 3:
            raise DataFormatError(f"{name}: line {n}: expected 'i j p' (3 fields), got {len(f)}")
        try:
            i, j = int(f[0]), int(f[1])
        except ValueError:
            raise DataFormatError(f"{name}: line {n}: weapon and target indices must be "
                                  f"integers, got {f[0]!r} {f[1]!r}") from None
        if not (0 <= i < W and 0 <= j < T):
            raise DataFormatError(f"{name}: line {n}: index ({i}, {j}) outside 0..{W - 1} x "
                                  f"0..{T - 1}")
        if not np.isnan(pk[i, j]):
            raise DataFormatError(f"{name}: line {n}: duplicate pair ({i}, {j})")
        pk[i, j] = _parse_float(f[2], name, n, "kill probability", lo=0.0, hi=1.0)
    return WTAProblem(values=values, pk=pk, counts=np.full(W, mu, np.int64))


def _parse_float(s: str, name: str, line: int, what: str, lo: float | None = None,
                 hi: float | None = None) -> float:
    try:
        v = float(s)
    except ValueError:
        raise DataFormatError(f"{name}: line {line}: {what} {s!r} is not a number") from None
    if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise DataFormatError(f"{name}: line {line}: {what} {s} is outside {rng}")
    return v
