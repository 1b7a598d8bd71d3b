r"""The static target-based weapon-target assignment (WTA) problem with cost, and its plans.

Weapon types ``i = 0..W-1`` with ``count_i`` identical units and unit cost ``c_i``; targets
``j = 0..T-1`` with value ``V_j``; single-shot kill probability ``p_ij`` and ``q_ij = 1 - p_ij``.
Choose integers ``x_ij >= 0`` (units of type i fired at target j) to minimise

    f(x) = Σ_j V_j Π_i q_ij^x_ij  +  λ Σ_ij c_i x_ij

subject to ``Σ_j x_ij <= count_i`` (magazine), ``x_ij = 0`` where the pair is infeasible (mask),
``x_ij <= max_units_per_pair`` and ``Σ_i x_ij <= max_units_per_target_j`` (optional caps).
The first term is the expected surviving target value, the second the spend weighted by λ.

Numerics: ``p_ij = 1`` gives ``L = ln q = -inf``; internally ``L`` is floored at
``LOG_FLOOR = -50`` (survival ``e^-50 ~ 2e-22``). This can overstate the model's survival by at
most ``e^-50`` per target, so ``Σ_j V_j e^-50`` (:meth:`WTAProblem.lb_safety`) is subtracted from
reported lower bounds to keep them valid. Objectives reported in :class:`WTAPlan` are always
recomputed exactly from x with ``q ** x``.

Shapes: ``values (T,)``, ``pk (W, T)``, ``counts (W,)``, ``costs (W,)``, ``x (W, T)`` int.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from dronewall.errors import InputError

#: ln q is floored here: p = 1 would give ln 0 = -inf (survival e^-50 ~ 2e-22 instead of 0).
LOG_FLOOR = -50.0
#: relative gap (UB - LB) / UB at or below which a plan is reported as "optimal".
OPTIMAL_REL_GAP = 1e-6


class WTAError(InputError):
    """An invalid WTA problem (shapes, ranges, types). Exit status 2 on the CLI."""


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
        for name, ids, n in (("weapon_ids", self.weapon_ids, W),
                             ("target_ids", self.target_ids, T)):
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


def make_plan(problem: WTAProblem, x: np.ndarray, lb: float, t0: float, solver: str) -> WTAPlan:
    """The plan of integer units ``x`` (W, T) with lower bound ``lb``, timed from ``t0``
    (``time.perf_counter()``): objective recomputed exactly, gap and status derived."""
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

