"""Gating, clustering and assignment (GNN and cluster-wise exact JPDA).

Pipeline for one scan (time group) and one measurement class:

1. **Spatial gating** (:func:`gate_pairs`): a k-d tree (``scipy.spatial.cKDTree``) over the
   measurements' Cartesian positions is queried with each track's predicted position and a
   per-track Euclidean radius that bounds its Mahalanobis gate (radius = gate * sqrt(trace of
   the position part of P + the largest measurement position variance)). Tracks are binned by
   radius (powers of two) so one very uncertain track does not enlarge every query. The cost is
   O((T + M) log M + pairs), never T x M. The caller then computes the exact Mahalanobis
   distance of each candidate pair in measurement space and drops pairs outside the gate.
2. **Clustering** (:func:`components`): the bipartite graph of gated (track, measurement) pairs
   is split into connected components with ``scipy.sparse.csgraph.connected_components``. Each
   component is an independent assignment problem.
3. **Assignment**:

   * GNN (:func:`gnn`): components with exactly one track and one measurement (the vast majority
     in sparse scenes) are assigned directly, vectorised. Every other component is solved with
     ``scipy.optimize.linear_sum_assignment`` on a tracks x (measurements + tracks) matrix: real
     columns hold the pair costs, and track i may instead take its private "missed" column with
     cost ``miss_cost[i]`` (the gate, as Stone Soup's ``missed_distance``). Non-gated pairs are
     forbidden (large finite cost).
   * JPDA (:func:`jpda`): for each component with at most ``max_tracks`` tracks the exact
     marginal association probabilities beta are computed by enumerating every feasible joint
     event (each track takes at most one gated measurement, each measurement at most one track):
     P(event) ∝ prod_assigned Pd g_tm / lambda * prod_missed (1 - Pd Pg). If a component has
     more tracks, or enumeration passes ``max_hypotheses`` events, that component falls back to
     GNN (documented, counted in the result). One-track-one-measurement components use the
     closed form, vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Cost used for forbidden (non-gated) pairs inside a dense cluster matrix. Finite so that
#: linear_sum_assignment always has a feasible solution (every track owns a "missed" column).
FORBIDDEN_COST = 1e12

#: Smallest gating radius bin (m); radii are rounded up to a power of two times this.
MIN_RADIUS_BIN_M = 1.0


def gate_pairs(track_pos: F64, track_radius: F64, meas_pos: F64,
               meas_tree: cKDTree | None = None) -> tuple[I64, I64]:
    """Candidate (track, measurement) pairs within each track's Euclidean radius.

    track_pos: (T, d) m, track_radius: (T,) m, meas_pos: (M, d) m. Returns (ti, mj) int64
    arrays, sorted by (ti, mj) for determinism.
    """
    T, M = track_pos.shape[0], meas_pos.shape[0]
    if T == 0 or M == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    tree_m = meas_tree if meas_tree is not None else cKDTree(meas_pos)
    r = np.maximum(np.nan_to_num(track_radius, nan=np.inf, posinf=np.inf), MIN_RADIUS_BIN_M)
    finite = np.isfinite(r)
    bins = np.full(T, np.iinfo(np.int64).max, dtype=np.int64)
    bins[finite] = np.ceil(np.log2(r[finite] / MIN_RADIUS_BIN_M)).astype(np.int64)
    out_t: list[I64] = []
    out_m: list[I64] = []
    for b in np.unique(bins):
        sel = np.flatnonzero(bins == b)
        if b == np.iinfo(np.int64).max:      # infinite radius: every measurement
            tt = np.repeat(sel, M)
            mm = np.tile(np.arange(M), sel.size)
        else:
            rb = MIN_RADIUS_BIN_M * 2.0 ** float(b)
            tree_t = cKDTree(track_pos[sel])
            sp = tree_t.sparse_distance_matrix(tree_m, rb, output_type="ndarray")
            tt = sel[sp["i"].astype(np.int64)]
            mm = sp["j"].astype(np.int64)
        out_t.append(tt)
        out_m.append(mm)
    ti = np.concatenate(out_t)
    mj = np.concatenate(out_m)
    order = np.lexsort((mj, ti))
    return ti[order], mj[order]


#: In :func:`self_pairs`, points whose radius exceeds this multiple of the median radius are
#: queried separately (binned), so one very uncertain track does not widen every query.
WIDE_RADIUS_FACTOR = 4.0


def self_pairs(pos: F64, radius: F64) -> tuple[I64, I64]:
    """Unordered pairs (i < j) of points closer than max(radius_i, radius_j) (a superset: pairs
    within the largest radius of the ordinary points are all returned).

    One ``cKDTree.query_pairs`` with the largest ordinary radius, plus a binned
    :func:`gate_pairs` query for the few points with radius > WIDE_RADIUS_FACTOR x median.
    Returns (i, j) int64 sorted lexicographically.
    """
    n = pos.shape[0]
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    r = np.nan_to_num(np.asarray(radius, dtype=np.float64), nan=np.inf, posinf=np.inf)
    cap = WIDE_RADIUS_FACTOR * float(np.median(r))
    normal = r <= cap
    tree = cKDTree(pos)
    parts_i: list[I64] = []
    parts_j: list[I64] = []
    if normal.any():
        pr = tree.query_pairs(float(r[normal].max()), output_type="ndarray").astype(np.int64)
        parts_i.append(pr[:, 0])
        parts_j.append(pr[:, 1])
    wide = np.flatnonzero(~normal)
    if wide.size:
        ti, mj = gate_pairs(pos[wide], r[wide], pos, meas_tree=tree)
        parts_i.append(wide[ti])
        parts_j.append(mj)
    i = np.concatenate(parts_i)
    j = np.concatenate(parts_j)
    keep = i != j
    a, b = np.minimum(i[keep], j[keep]), np.maximum(i[keep], j[keep])
    code = np.unique(a * n + b)
    return code // n, code % n


def components(n_tracks: int, n_meas: int, ti: I64, mj: I64) -> tuple[I64, I64, int]:
    """Connected components of the bipartite gating graph.

    Returns component label per track (n_tracks,), per measurement (n_meas,) and the count.
    Isolated nodes get their own labels.
    """
    n = n_tracks + n_meas
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    g = coo_matrix((np.ones(ti.size, dtype=np.int8), (ti, n_tracks + mj)), shape=(n, n)).tocsr()
    ncomp, labels = connected_components(g, directed=False)
    labels = labels.astype(np.int64)
    return labels[:n_tracks], labels[n_tracks:], int(ncomp)


@dataclass(frozen=True)
class AssignmentStats:
    """Counts describing one assignment call (for StepResult diagnostics)."""

    pairs: int
    clusters_multi: int
    largest_cluster_tracks: int
    jpda_clusters: int = 0
    jpda_fallback_clusters: int = 0


def _edge_groups(comp_e: I64, multi: NDArray[np.bool_]) -> list[I64]:
    """Edge indices grouped by component, for components flagged ``multi``."""
    sel = np.flatnonzero(multi[comp_e])
    if sel.size == 0:
        return []
    order = sel[np.argsort(comp_e[sel], kind="stable")]
    ce = comp_e[order]
    cuts = np.flatnonzero(np.diff(ce)) + 1
    return np.split(order, cuts)


def _solve_dense(tr: I64, ms: I64, c: F64, miss_cost: F64) -> tuple[I64, I64]:
    """LSA on one cluster. tr/ms/c: edges (global ids); returns assigned (tracks, meas)."""
    ut, ti_loc = np.unique(tr, return_inverse=True)
    um, mj_loc = np.unique(ms, return_inverse=True)
    nt, nm = ut.size, um.size
    C = np.full((nt, nm + nt), FORBIDDEN_COST)
    C[ti_loc, mj_loc] = c
    C[np.arange(nt), nm + np.arange(nt)] = miss_cost[ut]
    rows, cols = linear_sum_assignment(C)
    real = cols < nm
    rows, cols = rows[real], cols[real]
    keep = C[rows, cols] < FORBIDDEN_COST
    return ut[rows[keep]], um[cols[keep]]


def gnn(n_tracks: int, n_meas: int, ti: I64, mj: I64, cost: F64,
        miss_cost: F64) -> tuple[I64, AssignmentStats]:
    """Global nearest neighbour per cluster.

    ti, mj, cost: gated pairs (E,) and their cost (e.g. Mahalanobis^2, lower is better);
    miss_cost: (n_tracks,) cost of leaving a track unassigned. Returns ``track_to_meas``
    (n_tracks,) int64, -1 where unassigned.
    """
    t2m = np.full(n_tracks, -1, dtype=np.int64)
    if ti.size == 0:
        return t2m, AssignmentStats(0, 0, 0)
    # An edge whose track and measurement both have degree 1 is a one-track / one-measurement
    # component: assigned directly (a single gated pair is always better than leaving both
    # sides unassigned: the pair is inside the gate, i.e. cost < gate = miss cost). Only the
    # remaining edges go through connected_components (most scans: none or a few).
    deg_t = np.bincount(ti, minlength=n_tracks)
    deg_m = np.bincount(mj, minlength=n_meas)
    se = (deg_t[ti] == 1) & (deg_m[mj] == 1)
    t2m[ti[se]] = mj[se]
    rest = np.flatnonzero(~se)
    if rest.size == 0:
        return t2m, AssignmentStats(int(ti.size), 0, 0)
    tr, ms, cr = ti[rest], mj[rest], cost[rest]
    ut, tl = np.unique(tr, return_inverse=True)
    um, ml = np.unique(ms, return_inverse=True)
    ct, _, ncomp = components(ut.size, um.size, tl.astype(np.int64), ml.astype(np.int64))
    comp_e = ct[tl]
    largest = 0
    groups = _edge_groups(comp_e, np.ones(ncomp, dtype=bool))
    for e in groups:
        at, am = _solve_dense(tr[e], ms[e], cr[e], miss_cost)
        t2m[at] = am
        largest = max(largest, int(np.unique(tr[e]).size))
    return t2m, AssignmentStats(int(ti.size), len(groups), largest)


@dataclass(frozen=True)
class JpdaResult:
    """Output of :func:`jpda`.

    ``edge_beta`` (E,) marginal probability of each gated pair (0 for pairs in GNN-fallback
    clusters); ``beta0`` (n_tracks,) probability that the track produced no measurement (1 for
    tracks without gated pairs); ``fallback_t2m`` (n_tracks,) GNN assignment for tracks in
    fallback clusters (-1 elsewhere); ``is_fallback`` (n_tracks,) bool.
    """

    edge_beta: F64
    beta0: F64
    fallback_t2m: I64
    is_fallback: NDArray[np.bool_]
    stats: AssignmentStats


def _enumerate_cluster(nt: int, nm: int, t_loc: I64, m_loc: I64, w_edge: F64, miss_w: float,
                       max_hyp: int) -> tuple[F64, F64] | None:
    """Exact JPDA marginals in one cluster; None if more than ``max_hyp`` joint events."""
    opts: list[list[tuple[int, float, int]]] = [[] for _ in range(nt)]
    for k in range(t_loc.size):
        opts[int(t_loc[k])].append((int(m_loc[k]), float(w_edge[k]), k))
    edge_acc = np.zeros(t_loc.size)
    miss_acc = np.zeros(nt)
    total = 0.0
    count = 0
    chosen: list[int] = [-1] * nt       # edge index per track, -1 = missed
    used = [False] * nm

    def rec(t: int, w: float) -> bool:
        nonlocal total, count
        if t == nt:
            count += 1
            if count > max_hyp:
                return False
            total += w
            for tt in range(nt):
                k = chosen[tt]
                if k < 0:
                    miss_acc[tt] += w
                else:
                    edge_acc[k] += w
            return True
        chosen[t] = -1
        if not rec(t + 1, w * miss_w):
            return False
        for m, we, k in opts[t]:
            if not used[m]:
                used[m] = True
                chosen[t] = k
                ok = rec(t + 1, w * we)
                used[m] = False
                chosen[t] = -1
                if not ok:
                    return False
        return True

    if not rec(0, 1.0) or total <= 0.0:
        return None
    return edge_acc / total, miss_acc / total


def jpda(n_tracks: int, n_meas: int, ti: I64, mj: I64, lik: F64, cost: F64, miss_cost: F64,
         pd: float, pg: float, clutter_density: float, max_tracks: int,
         max_hypotheses: int) -> JpdaResult:
    """Cluster-wise exact JPDA with GNN fallback for large clusters.

    lik: (E,) Gaussian likelihood N(y; 0, S) of each gated pair (1/m^d); pd: detection
    probability; pg: gate probability; clutter_density: false alarms per unit measurement volume.
    Clusters with more than ``max_tracks`` tracks, or whose enumeration exceeds
    ``max_hypotheses`` joint events, are solved by :func:`gnn` with ``cost``/``miss_cost``.
    """
    beta0 = np.ones(n_tracks)
    edge_beta = np.zeros(ti.size)
    fb = np.full(n_tracks, -1, dtype=np.int64)
    is_fb = np.zeros(n_tracks, dtype=bool)
    if ti.size == 0:
        return JpdaResult(edge_beta, beta0, fb, is_fb, AssignmentStats(0, 0, 0))
    miss_w = 1.0 - pd * pg
    w_edge = pd * lik / clutter_density
    ct, cm, ncomp = components(n_tracks, n_meas, ti, mj)
    comp_e = ct[ti]
    nt_c = np.bincount(ct, minlength=ncomp)
    nm_c = np.bincount(cm, minlength=ncomp)
    ne_c = np.bincount(comp_e, minlength=ncomp)
    simple = (nt_c == 1) & (nm_c == 1) & (ne_c == 1)
    se = simple[comp_e]
    b1 = w_edge[se] / (miss_w + w_edge[se])
    edge_beta[se] = b1
    beta0[ti[se]] = 1.0 - b1
    multi = (ne_c > 0) & ~simple
    groups = _edge_groups(comp_e, multi)
    n_j = n_fb = largest = 0
    for e in groups:
        tr, ms = ti[e], mj[e]
        ut, t_loc = np.unique(tr, return_inverse=True)
        um, m_loc = np.unique(ms, return_inverse=True)
        largest = max(largest, ut.size)
        res = None
        if ut.size <= max_tracks:
            res = _enumerate_cluster(ut.size, um.size, t_loc, m_loc, w_edge[e], miss_w,
                                     max_hypotheses)
        if res is None:
            at, am = _solve_dense(tr, ms, cost[e], miss_cost)
            fb[at] = am
            is_fb[ut] = True
            n_fb += 1
        else:
            edge_beta[e] = res[0]
            beta0[ut] = res[1]
            n_j += 1
    return JpdaResult(edge_beta, beta0, fb, is_fb,
                      AssignmentStats(int(ti.size), len(groups), largest, n_j, n_fb))


def clear_best(key: I64, score: F64, n: int, margin: float) -> NDArray[np.bool_]:
    """Per candidate pair: is it the best (largest ``score``) of the pairs sharing its ``key``
    (values in [0, n)), ahead of the runner-up by at least ``margin``? A lone pair always is;
    a tie never is (two on top: ambiguous). Scores are log-likelihoods or -d^2."""
    best = np.full(n, -np.inf)
    np.maximum.at(best, key, score)
    top = np.flatnonzero(score >= best[key])
    first = np.zeros(score.size, bool)
    _, u = np.unique(key[top], return_index=True)
    first[top[u]] = True
    second = np.full(n, -np.inf)                     # the runner-up: the best of the rest
    np.maximum.at(second, key[~first], score[~first])
    return first & (score - second[key] >= margin)


def ambiguous_assigned(prow: I64, pm: I64, node: I64, cost: F64, ar: I64, am: I64,
                       n_meas: int, margin: float) -> NDArray[np.bool_]:
    """Per assigned pair (track row ``ar``, measurement ``am``) -- one of the candidate pairs
    (``prow``, ``pm``) with costs ``cost`` (normalised d^2) and (sensor, track) node keys
    ``node`` --: is its assignment ambiguous? It is when another candidate track fits its
    measurement, or another measurement of the same sensor fits its track, within ``margin``
    of its cost (a likelihood ratio under e^(margin / 2)): the assignment then rests on noise,
    not on which target is which."""
    if ar.size == 0:
        return np.zeros(0, bool)
    ok_m = clear_best(pm, -cost, n_meas, margin)
    un, ninv = np.unique(node, return_inverse=True)
    ok_n = clear_best(ninv.astype(np.int64), -cost, un.size, margin)
    loc = pair_index(prow, pm, ar, am, n_meas)
    return ~(ok_m[loc] & ok_n[loc])


def pair_index(prow: I64, pm: I64, ar: I64, am: I64, n_meas: int) -> I64:
    """Index into the candidate pairs (``prow``, ``pm``) of each assigned pair (``ar``,
    ``am``), which must be among them; ``n_meas`` bounds the measurement indices."""
    stride = np.int64(n_meas) + 1
    key = prow.astype(np.int64) * stride + pm
    o = np.argsort(key, kind="stable")
    return o[np.searchsorted(key[o], ar.astype(np.int64) * stride + am)]


def pair_key(ida: I64, idb: I64) -> I64:
    """One int64 per unordered pair of track ids: lo << 32 | hi."""
    return np.minimum(ida, idb) * (1 << 32) + np.maximum(ida, idb)
