"""Triangulation of bearing-only reports with ghost suppression.

Bearings (acoustic, RF, EO/IR azimuths) that did not update an existing track are turned into
position measurements for track initiation. All geometry is done in one *horizontal tangent
plane*: the local ENU plane at the centroid of the reporting sensors. Sensor positions and
bearing directions are rotated into that plane exactly; the only approximation is treating the
plane as flat over the node cluster, an error of d^2 / (2 R_earth) in height (2 m at 5 km, see
``docs/frames.md``), which does not enter the horizontal solution at all for targets near the
plane.

Algorithm (:func:`triangulate`), B bearings from S sensors:

1. **Seeds**: intersect every pair of bearing rays from different sensors (vectorised,
   B(B-1)/2 pairs). Reject pairs that cross at less than ``min_crossing_deg`` (poor geometry:
   range error grows as 1/sin(angle)), or whose intersection is behind a sensor or beyond
   ``max_range_m``.
2. **Support**: for every seed point, a sensor *supports* it if one of its bearings passes within
   ``gate_sigma`` standard deviations of the point (each sensor counts once, with its best
   bearing). Seeds supported by fewer than ``min_bearings`` sensors are dropped. With
   ``min_bearings >= 3``, the ghost intersections of two bearings from different targets are
   rejected unless a third sensor happens to line up with them.
3. **Greedy extraction**: take the best-supported seed (ties: smallest normalised residual sum),
   refine it by Gauss-Newton least squares on its supporting bearings, recompute the support at
   the refined point, and accept it if (a) every member residual is inside the gate, (b) the
   total chi-square is below the chi-square(0.999, k - 2) quantile, (c) the geometry is well
   conditioned: position standard deviation below ``max_sd_m`` and covariance condition number
   below ``max_condition``. Accepted members are removed (each bearing is used at most once),
   the support of the remaining seeds is recomputed, and the loop repeats until no seed has
   enough support.

Covariance: the inverse of the Fisher information of the bearing errors at the solution,
I = sum_i J_i^T J_i / sigma_i^2 with J_i = d az_i / d(e, n) = [n_i, -e_i] / rho_i^2 (the
Cramér-Rao bound, which the least-squares estimate attains asymptotically).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import chi2

from dronewall.tracking.kernels import chol_solve, cholesky_batched, wrap_angle

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Gauss-Newton iterations for the least-squares refinement (converges in 2-3 from a seed that
#: lies on two of the bearing lines).
LS_ITERATIONS = 5
#: Chi-square tail probability for accepting the refined point's residuals.
CHI2_ACCEPT_PROB = 0.999


@dataclass(frozen=True)
class TriangulationParams:
    """Thresholds for :func:`triangulate` (see module docstring)."""

    min_bearings: int = 3            #: distinct sensors needed to accept a point
    gate_sigma: float = 3.0          #: per-bearing residual gate, standard deviations
    min_crossing_deg: float = 10.0   #: reject ray pairs crossing at a smaller angle, deg
    min_range_m: float = 1.0         #: ignore intersections closer than this to a sensor, m
    max_range_m: float = 5000.0      #: ignore intersections farther than this from a sensor, m
    max_sd_m: float = 500.0          #: reject points whose largest position sd exceeds this, m
    max_condition: float = 50.0      #: reject if sqrt(lambda_max / lambda_min) of cov exceeds
    max_bearings: int = 400          #: cap on bearings per call (pairs grow as B^2)


@dataclass(frozen=True)
class TriangulationResult:
    """Accepted points in plane coordinates.

    pos: (K, 2) m (east, north); cov: (K, 2, 2) m^2; members: list of K index arrays into the
    input bearings; used: (B,) bool, bearings consumed by an accepted point.
    """

    pos: F64
    cov: F64
    members: list[I64]
    used: NDArray[np.bool_]
    seeds: int


def _support(points: F64, q: F64, az: F64, sigma: F64, sensor: I64, avail: NDArray[np.bool_],
             p: TriangulationParams) -> tuple[NDArray[np.int64], F64, NDArray[np.bool_], F64]:
    """Support of K points by B bearings.

    Returns (count (K,), residual-sum (K,), best (K, B) bool: the member bearing chosen per
    sensor, r (K, B) normalised residuals).
    """
    dx = points[:, None, 0] - q[None, :, 0]
    dy = points[:, None, 1] - q[None, :, 1]
    rng = np.hypot(dx, dy)
    r = np.abs(wrap_angle(az[None, :] - np.arctan2(dx, dy))) / sigma[None, :]
    ok = avail[None, :] & (r <= p.gate_sigma) & (rng >= p.min_range_m) & (rng <= p.max_range_m)
    rr = np.where(ok, r, np.inf)
    # best bearing per (point, sensor): sensors are contiguous after sorting by sensor id
    order = np.argsort(sensor, kind="stable")
    s_sorted = sensor[order]
    starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    rs = rr[:, order]
    mins = np.minimum.reduceat(rs, starts, axis=1)                 # (K, S)
    count = np.isfinite(mins).sum(axis=1)
    rsum = np.where(np.isfinite(mins), mins ** 2, 0.0).sum(axis=1)
    # mark the first bearing achieving the per-sensor minimum
    seg = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, s_sorted.size]))
    is_min = np.isfinite(rs) & (rs == mins[:, seg])
    # keep only the first minimum within each segment
    csum = np.cumsum(is_min, axis=1)
    before = np.where(starts > 0, csum[:, starts - 1], 0)
    first = is_min & ((csum - before[:, seg]) == 1)
    best = np.zeros_like(first)
    best[:, order] = first
    return count, rsum, best, r


def _refine(p0: F64, q: F64, az: F64, sigma: F64) -> tuple[F64, F64, F64, bool]:
    """Gauss-Newton least squares on k bearings. Returns (pos (2,), cov (2,2), resid (k,), ok)."""
    pos = p0.astype(np.float64).copy()
    cov = np.full((2, 2), np.nan)
    for _ in range(LS_ITERATIONS):
        dx = pos[0] - q[:, 0]
        dy = pos[1] - q[:, 1]
        rho2 = dx * dx + dy * dy
        if np.any(rho2 <= 0.0):
            return pos, cov, np.full(az.size, np.inf), False
        res = wrap_angle(az - np.arctan2(dx, dy))
        J = np.stack([dy / rho2, -dx / rho2], axis=1)                 # (k, 2)
        W = 1.0 / sigma ** 2
        info = (J * W[:, None]).T @ J
        g = (J * W[:, None]).T @ res
        L, ok = cholesky_batched(info[None])
        if not ok[0]:
            return pos, cov, res / sigma, False
        step = chol_solve(L, g[None, :, None])[0, :, 0]
        pos = pos + step
        if np.hypot(*step) < 1e-3:
            break
    dx = pos[0] - q[:, 0]
    dy = pos[1] - q[:, 1]
    rho2 = dx * dx + dy * dy
    res = wrap_angle(az - np.arctan2(dx, dy))
    J = np.stack([dy / rho2, -dx / rho2], axis=1)
    info = (J / sigma[:, None] ** 2).T @ J
    L, ok = cholesky_batched(info[None])
    if not ok[0]:
        return pos, cov, res / sigma, False
    cov = chol_solve(L, np.eye(2)[None])[0]
    return pos, 0.5 * (cov + cov.T), res / sigma, True


def ray_crossings(q: F64, az: F64, ia: I64, ib: I64, min_crossing_deg: float
                  ) -> tuple[NDArray[np.bool_], F64, F64, F64, F64]:
    """Where the bearing rays ia and ib (from sensors at q (B, 2) m, plane azimuths az (B,)
    rad) cross: (crossing at ``min_crossing_deg`` or more, distance along ray a m, along ray b
    m, unit vectors of a and b (k, 2)); the distances are meaningless where not ``good``."""
    ua = np.stack([np.sin(az[ia]), np.cos(az[ia])], axis=1)
    ub = np.stack([np.sin(az[ib]), np.cos(az[ib])], axis=1)
    cr = ua[:, 0] * ub[:, 1] - ua[:, 1] * ub[:, 0]
    good = np.abs(cr) >= np.sin(np.radians(min_crossing_deg))
    delta = q[ib] - q[ia]
    crs = np.where(good, cr, 1.0)
    ta = (delta[:, 0] * ub[:, 1] - delta[:, 1] * ub[:, 0]) / crs
    tb = (delta[:, 0] * ua[:, 1] - delta[:, 1] * ua[:, 0]) / crs
    return good, ta, tb, ua, ub


def triangulate(q: F64, az: F64, sigma: F64, sensor: I64,
                params: TriangulationParams) -> TriangulationResult:
    """Triangulate bearings into points (see module docstring).

    q: (B, 2) sensor positions in the plane (east, north) m; az: (B,) plane azimuth
    (clockwise from plane north) rad; sigma: (B,) bearing sd rad; sensor: (B,) sensor index.
    """
    B = az.shape[0]
    empty = TriangulationResult(np.zeros((0, 2)), np.zeros((0, 2, 2)), [], np.zeros(B, bool), 0)
    if B < max(2, params.min_bearings) or np.unique(sensor).size < params.min_bearings:
        return empty
    if B > params.max_bearings:
        keep = np.zeros(B, dtype=bool)
        keep[: params.max_bearings] = True
    else:
        keep = np.ones(B, dtype=bool)
    ia, ib = np.triu_indices(B, 1)
    sel = keep[ia] & keep[ib] & (sensor[ia] != sensor[ib])
    ia, ib = ia[sel], ib[sel]
    good, ta, tb, ua, _ = ray_crossings(q, az, ia, ib, params.min_crossing_deg)
    good &= (ta >= params.min_range_m) & (tb >= params.min_range_m)
    good &= (ta <= params.max_range_m) & (tb <= params.max_range_m)
    seeds = q[ia[good]] + ta[good, None] * ua[good]
    avail = keep.copy()
    if seeds.shape[0] == 0:
        return empty
    count, rsum, _, _ = _support(seeds, q, az, sigma, sensor, avail, params)
    live = count >= params.min_bearings
    seeds = seeds[live]
    n_seeds = int(seeds.shape[0])
    out_p: list[F64] = []
    out_c: list[F64] = []
    members: list[I64] = []
    used = np.zeros(B, dtype=bool)
    chi_cache: dict[int, float] = {}
    alive = np.ones(seeds.shape[0], dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        count, rsum, best, _ = _support(seeds[idx], q, az, sigma, sensor, avail, params)
        ok = count >= params.min_bearings
        alive[idx[~ok]] = False
        if not ok.any():
            break
        cand = np.flatnonzero(ok)
        # best support first, then smallest residual sum, then lowest index (deterministic)
        k = cand[np.lexsort((cand, rsum[cand], -count[cand]))[0]]
        mem = np.flatnonzero(best[k])
        pos, cov, _, fine = _refine(seeds[idx[k]], q[mem], az[mem], sigma[mem])
        accepted = False
        if fine:
            _, _, best2, _ = _support(pos[None], q, az, sigma, sensor, avail, params)
            mem = np.flatnonzero(best2[0])
            if mem.size >= params.min_bearings:
                pos, cov, res, fine = _refine(pos, q[mem], az[mem], sigma[mem])
                dof = mem.size - 2
                if dof not in chi_cache:
                    chi_cache[dof] = float(chi2.ppf(CHI2_ACCEPT_PROB, max(dof, 1)))
                if fine:
                    ev = np.linalg.eigvalsh(cov)
                    accepted = bool(
                        np.all(np.abs(res) <= params.gate_sigma)
                        and float(res @ res) <= chi_cache[dof]
                        and ev[0] > 0.0
                        and np.sqrt(ev[1]) <= params.max_sd_m
                        and np.sqrt(ev[1] / ev[0]) <= params.max_condition)
        alive[idx[k]] = False
        if accepted:
            out_p.append(pos)
            out_c.append(cov)
            members.append(mem)
            used[mem] = True
            avail[mem] = False
    if not out_p:
        return TriangulationResult(np.zeros((0, 2)), np.zeros((0, 2, 2)), [], used, n_seeds)
    return TriangulationResult(np.array(out_p), np.array(out_c), members, used, n_seeds)
