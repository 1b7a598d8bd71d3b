r"""Anytime WTA heuristic (:mod:`.problem`): greedy, local search on units, iterated local search.

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
the search starts from the continuous relaxation (:func:`.bounds.lp_relaxation`: LP of the
tangent-cut model, Kelley cutting planes with HiGHS) rounded down, much better than greedy here;
the LP value is also a valid lower bound. The reported lower bound is the better of the
Lagrangian bound (:func:`.bounds.lagrangian_bound`) and the LP value.
"""

from __future__ import annotations

import math
import time

import numpy as np

from dronewall.engagement.wta.bounds import lagrangian_bound, lp_relaxation
from dronewall.engagement.wta.problem import OPTIMAL_REL_GAP, WTAPlan, WTAProblem, make_plan

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


def _round_lp(problem: WTAProblem, xf: np.ndarray) -> np.ndarray:
    """Integer x from a fractional LP solution: rounded down (feasible: magazines and caps are
    linear constraints of the LP); the local search then places the remaining units."""
    return np.minimum(np.floor(xf + 1e-7).astype(np.int64), problem.pair_upper())


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
        return make_plan(problem, np.zeros(problem.pk.shape, np.int64), lb, t0, "heuristic")
    multi = bool(s.count.max() > 1)
    s.set_x(_greedy(problem))
    best_x, best_v = s.x(), problem.objective(s.x())
    lp = lp_relaxation(problem, t0 + 0.4 * (deadline - t0)) if multi else None
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
    return make_plan(problem, best_x, lb, t0, "heuristic")
