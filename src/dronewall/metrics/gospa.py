"""GOSPA (generalised optimal sub-pattern assignment) metric.

Rahmathullah, García-Fernández, Svensson (2017). Between truth X = {x_1..x_n} and estimates
Y = {y_1..y_m} (points in R^d), cut-off c > 0, order 1 <= p < inf, 0 < alpha <= 2:

    GOSPA = ( min over assignments gamma of the min(n, m) elements of the smaller set
              sum_(i,j) in gamma  min(d(x_i, y_j), c)^p  +  (c^p / alpha) |n - m| )^(1/p)

With alpha = 2 this equals the partial-assignment form (pairs farther than c count as one missed
plus one false target, c^p / 2 each) and decomposes into localisation + missed + false; that
decomposition is what :class:`GospaResult` reports. Solved as a rectangular assignment with
``scipy.optimize.linear_sum_assignment``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

#: Default cut-off, m (the shared Stone Soup benchmark uses c = 100 m, p = 1, alpha = 2).
DEFAULT_C_M = 100.0
DEFAULT_P = 1.0


@dataclass(frozen=True)
class GospaResult:
    """GOSPA value and its alpha = 2 decomposition.

    ``gospa`` (units of distance), ``localisation`` = sum of d^p over pairs with d < c,
    ``missed`` / ``false`` counts, ``paired`` count, and the assignment ``pairs`` (k, 2) of
    (truth index, estimate index) with d < c.
    """

    gospa: float
    localisation: float
    missed: int
    false: int
    paired: int
    pairs: NDArray[np.int64]


def gospa(X: ArrayLike, Y: ArrayLike, c: float = DEFAULT_C_M, p: float = DEFAULT_P,
          alpha: float = 2.0) -> GospaResult:
    """GOSPA between truth X (n, d) and estimates Y (m, d)."""
    if not (c > 0 and p >= 1 and 0 < alpha <= 2):
        raise ValueError(f"need c > 0, p >= 1, 0 < alpha <= 2 (got {c}, {p}, {alpha})")
    Xa = np.asarray(X, dtype=np.float64)
    Ya = np.asarray(Y, dtype=np.float64)
    n = Xa.shape[0] if Xa.size else 0
    m = Ya.shape[0] if Ya.size else 0
    cp = c ** p
    if n == 0 or m == 0:
        val = (cp / alpha * (n + m)) ** (1.0 / p)
        return GospaResult(val, 0.0, n, m, 0, np.zeros((0, 2), np.int64))
    Xa = Xa.reshape(n, -1)
    Ya = Ya.reshape(m, -1)
    D = np.sqrt(((Xa[:, None, :] - Ya[None, :, :]) ** 2).sum(-1))
    Dc = np.minimum(D, c) ** p
    r, k = linear_sum_assignment(Dc)
    total = float(Dc[r, k].sum()) + cp / alpha * abs(n - m)
    d = D[r, k]
    ok = d < c
    loc = float((d[ok] ** p).sum())
    paired = int(ok.sum())
    if alpha == 2.0:
        total = loc + cp / 2.0 * ((n - paired) + (m - paired))
    return GospaResult(total ** (1.0 / p), loc, n - paired, m - paired, paired,
                       np.stack([r[ok], k[ok]], axis=1).astype(np.int64))
