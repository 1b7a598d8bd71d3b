"""HiGHS helpers shared by the LP relaxation (:mod:`.bounds`) and the exact MILP (:mod:`.exact`):
the pairs that can pay off, a silent solver object, grouped sum rows and the tangent grid."""

from __future__ import annotations

from typing import Any

import numpy as np

from dronewall.engagement.wta.problem import WTAProblem

#: survival levels at which the exact solver and the LP relaxation place their initial tangent
#: cuts.
INITIAL_SURVIVALS = (1.0, 0.85, 0.7, 0.55, 0.42, 0.3, 0.2, 0.13, 0.08, 0.05, 0.03, 0.018,
                     0.01, 0.005, 0.0025, 1e-3, 4e-4, 1.5e-4, 5e-5, 1e-5)


def payoff_pairs(problem: WTAProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                 np.ndarray, np.ndarray, np.ndarray]:
    """What the MILP and its LP relaxation share: log survival ``L`` (W, T), values ``V``,
    ``lambda c`` (W,), pair upper bounds ``ub`` (W, T) and the pairs (pi, pj) that can ever
    pay off (a unit on a pair with ``lambda c_i >= V_j p_ij`` never improves the objective:
    dropping those pairs is safe, see :mod:`.exact`)."""
    L = problem.log_q()
    V = problem.values
    lam_c = problem.cost_weight * problem.costs
    ub = problem.pair_upper()
    keep = (ub > 0) & (L < 0) & (V[None, :] > 0) & (lam_c[:, None] < V[None, :] * problem.pk)
    pi, pj = np.nonzero(keep)
    return L, V, lam_c, ub, pi, pj


def new_highs(highspy: Any) -> Any:
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


def add_group_rows(h: Any, group: np.ndarray, cols: np.ndarray, n_groups: int,
                   lo: np.ndarray, hi: np.ndarray) -> None:
    """One row per group g: ``lo[g] <= Σ_{k: group[k] == g} x[cols[k]] <= hi[g]``
    (magazines: group = weapon type; per-target caps: group = target)."""
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
    h.addRows(n_groups, lo, hi, len(cols), starts, cols[order].astype(np.int32),
              np.ones(len(cols)))
