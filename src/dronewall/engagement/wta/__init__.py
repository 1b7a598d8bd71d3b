"""Static target-based weapon-target assignment (WTA) with cost: heuristic and exact solvers.

- :mod:`.problem`: :class:`WTAProblem` (validated instance), :class:`WTAPlan` (a solution with a
  valid lower bound and gap), the objective and the problem statement;
- :mod:`.heuristic`: anytime greedy + local search + iterated local search
  (:func:`solve_heuristic`);
- :mod:`.bounds`: Lagrangian and LP-relaxation lower bounds (:func:`lagrangian_bound`);
- :mod:`.exact`: outer-approximation MILP with HiGHS that proves optimality (:func:`solve_exact`);
- :mod:`.highs`: HiGHS model helpers shared by the LP relaxation and the MILP.

The core reads no files: instance readers (neutral JSON, Toffolo text) are in
:mod:`dronewall.io.wta_files`. Details in ``docs/wta.md``.
"""

from __future__ import annotations

from dronewall.engagement.wta.bounds import lagrangian_bound
from dronewall.engagement.wta.exact import solve_exact
from dronewall.engagement.wta.heuristic import solve_heuristic
from dronewall.engagement.wta.problem import (
    LOG_FLOOR,
    OPTIMAL_REL_GAP,
    WTAError,
    WTAPlan,
    WTAProblem,
)

__all__ = [
    "LOG_FLOOR",
    "OPTIMAL_REL_GAP",
    "WTAError",
    "WTAPlan",
    "WTAProblem",
    "lagrangian_bound",
    "solve",
    "solve_exact",
    "solve_heuristic",
]


def solve(problem: WTAProblem, time_limit_s: float = 10.0, exact: bool = False,
          seed: int = 0, max_iters: int | None = None) -> WTAPlan:
    """Dispatch: the exact MILP when ``exact`` else the heuristic; both within ``time_limit_s``.
    ``max_iters`` caps the heuristic's perturbations (repeatable plans under any load)."""
    if not time_limit_s > 0:
        raise WTAError(f"time limit must be > 0 s, got {time_limit_s}")
    if exact:
        return solve_exact(problem, time_limit_s=time_limit_s, seed=seed)
    return solve_heuristic(problem, time_limit_s=time_limit_s, seed=seed, max_iters=max_iters)
