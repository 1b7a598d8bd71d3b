"""Prediction, association and measurement update of existing tracks within one time group.

Prediction to the group time (CV or IMM); association per (sensor, track) node -- a track takes
at most one detection per sensor per group, confirmed tracks before tentative ones -- by GNN, or
cluster-wise JPDA/PDA for XY and POSITION kinds; angle-only association (bearings / az-el) with
range limits; the (E)KF / IMM update with its bookkeeping (update events, last-seen times,
sensor attributes, cooperative identity). Mixin of ``Engine`` (see ``state.py``).
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from dronewall.detections.acoustics import transmission_loss_db
from dronewall.tracking import association as assoc
from dronewall.tracking import kernels as K
from dronewall.tracking.emitters import FEATURE_ATTR_COLS, emitter_pair_support
from dronewall.tracking.lost import predict_lost
from dronewall.tracking.measurements import (
    _HORIZ_SUBS,
    SUB_AZEL,
    SUB_HPOS,
    SUB_POS,
    SUB_RADAR3,
    SUB_RADAR4,
    SUB_XY,
    _GroupMeas,
    _MeasurementModels,
)
from dronewall.tracking.table import (
    ATTR_NAMES,
    CONFIRMED,
    EVENT_MEAS_STRIDE,
    LOST,
    REACQ,
    TENTATIVE,
    _ranges,
)

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: A bearing's attributes go to its track only if every other gated track is worse by at least
#: this much normalised distance squared (likelihood ratio e^(9/2) = 90) [E].
BEARING_ATTR_MARGIN_D2 = 9.0
#: Column of the acoustic source level: detections carry the received level (aux[:, 0]),
#: converted to the source level with the updated track's range to the node.
_ATTR_SL = ATTR_NAMES.index("acoustic_sl_db")
_ATTR_RF = ATTR_NAMES.index("rf_protocol")
_ATTR_AC = ATTR_NAMES.index("acoustic_class")


class _GroupUpdate(_MeasurementModels):
    """Predict, associate and update existing tracks (one time group) for ``Engine``."""

    # ---- prediction --------------------------------------------------------------------------

    def _predict(self, tg: float) -> None:
        """Predict every live track to the group time tg (s): CV, or IMM (mix, predict each
        model, combine); lost tracks with their own models (``lost.predict_lost``)."""
        T = self.T
        n = T.n
        dt = np.maximum(tg - T.t_state[:n], 0.0)
        if not np.any(dt > 0):
            return
        up = self.frame.local_up(T.x[:n, :3]) if self.dims == 3 else None
        lost = self._lost_rows(n, dt)
        if lost is not None:
            x_l, P_l = predict_lost(T.x[lost], T.P[lost], dt[lost],
                                    None if up is None else up[lost], self.cfg)
        if self.r == 1:
            _, qh, qv, _ = self._models[0]
            Q = K.cv_process_noise(dt, K.accel_density_matrix(qh, qv, self.dims, up, n))
            T.x[:n], T.P[:n] = K.cv_predict(T.x[:n], T.P[:n], dt, Q)
        else:
            Pi = K.imm_switch_matrix(dt, self._sojourn)
            x0, P0, c = K.imm_mix(T.xm[:n], T.Pm[:n], T.mu[:n], Pi)
            for j, (kind, qh, qv, w) in enumerate(self._models):
                Q = K.cv_process_noise(dt, K.accel_density_matrix(qh, qv, self.dims, up, n))
                if kind == "cv":
                    T.xm[:n, j], T.Pm[:n, j] = K.cv_predict(x0[:, j], P0[:, j], dt, Q)
                else:
                    F = K.ct_transition(dt, np.full(n, w), self.dims)
                    T.xm[:n, j], T.Pm[:n, j] = K.kf_predict(x0[:, j], P0[:, j], F, Q)
            T.mu[:n] = c
            T.x[:n], T.P[:n] = K.imm_combine(T.xm[:n], T.Pm[:n], c)
        if lost is not None:
            T.x[lost], T.P[lost] = x_l, P_l
            if self.r > 1:
                # every model restarts from the lost prediction at the track's next update
                T.xm[lost] = x_l[:, None, :]
                T.Pm[lost] = P_l[:, None, :, :]
                T.mu[lost] = self._mu0
        T.t_state[:n] = tg

    def _lost_rows(self, n: int, dt: F64) -> I64 | None:
        """Rows of lost tracks to predict with the lost-track models, or None (none, or the
        models off: ``lost_q_horizontal_m2ps3`` and ``lost_slow_tau_s`` both 0)."""
        cfg = self.cfg
        if cfg.lost_q_horizontal_m2ps3 <= 0 and cfg.lost_slow_tau_s <= 0:
            return None
        rows = np.flatnonzero((self.T.status[:n] == LOST) & (dt > 0))
        return rows if rows.size else None

    # ---- measurement update ------------------------------------------------------------------

    def _update(self, rows: I64, midx: I64, M: _GroupMeas, tg: float) -> None:
        """Apply measurements midx to track rows (one each; rows unique)."""
        T = self.T
        subs = M.sub[midx]
        for s in np.unique(subs):
            e = np.flatnonzero(subs == s)
            r_, mi = rows[e], midx[e]
            md = self._sub_dim[int(s)]
            z, R = M.z[mi, :md], M.R[mi, :md, :md]
            if self.r == 1:
                pr = self._model(T.x[r_], int(s), mi, M)
                res = K.ekf_update(T.x[r_], T.P[r_], z, R, pr.zhat, pr.H, pr.angle,
                                   self.cfg.joseph)
                T.x[r_], T.P[r_] = res.x, res.P
            else:
                k, r = r_.size, self.r
                xs = T.xm[r_].reshape(k * r, self.ns)
                Ps = T.Pm[r_].reshape(k * r, self.ns, self.ns)
                pr = self._model(xs, int(s), np.repeat(mi, r), M)
                res = K.ekf_update(xs, Ps, np.repeat(z, r, axis=0), np.repeat(R, r, axis=0),
                                   pr.zhat, pr.H, pr.angle, self.cfg.joseph)
                T.xm[r_] = res.x.reshape(k, r, self.ns)
                T.Pm[r_] = res.P.reshape(k, r, self.ns, self.ns)
                T.mu[r_] = K.imm_model_probs(T.mu[r_], res.loglik.reshape(k, r))
                T.x[r_], T.P[r_] = K.imm_combine(T.xm[r_], T.Pm[r_], T.mu[r_])
            self._mark_updated(r_, tg, M.sensor[mi], mi)
            T.last_seen[r_, M.skind[mi]] = tg
            if M.attr is not None:
                av = M.attr[mi].copy()
                rl = np.isfinite(av[:, _ATTR_SL])
                if rl.any() and self.dims == 3:  # received -> source level at the track's range
                    rng_m = np.linalg.norm(T.x[r_[rl], :3] - self._spos[M.sensor[mi[rl]]],
                                           axis=1)
                    av[rl, _ATTR_SL] += transmission_loss_db(rng_m)
                elif rl.any():
                    av[rl, _ATTR_SL] = np.nan
                has_a = np.isfinite(av)
                ri, ci = np.nonzero(has_a)
                T.attr[r_[ri], ci] = av[ri, ci]
                T.attr_t[r_[ri], ci] = tg
            ident = M.identity[mi]
            has = ident != ""
            if has.any():
                rr = r_[has]
                empty = T.identity[rr] == ""
                T.identity[rr[empty]] = ident[has][empty]

    def _mark_updated(self, rows: I64, tg: float, sensor: NDArray[np.int32], mi: I64) -> None:
        """Bookkeeping of an update of track rows (unique) at tg by measurement rows mi.

        Records (track, sensor, group, measurement) events: two tracks updated by the same
        sensor in the same group with different detections are two targets (evidence against
        merging them, and for initiating next to a track).
        """
        T = self.T
        T.t_update[rows] = tg
        T.P_upd[rows] = T.P[rows]
        T.t_pupd[rows] = tg
        ids = T.ids[rows]
        self._acc.touch(ids)
        self._acc.event(ids, self._gseq * (len(self.sensors) + 1) + sensor.astype(np.int64),
                        self._gseq * EVENT_MEAS_STRIDE + np.asarray(mi, np.int64))

    # ---- association -------------------------------------------------------------------------

    def _associate_by_status(self, idx: I64, M: _GroupMeas, tg: float, used: NDArray[np.bool_],
                             hit: NDArray[np.bool_], opp: NDArray[np.bool_],
                             tim: dict[str, float], diag: dict[str, int]) -> None:
        """Position-type measurements idx of M: confirmed tracks first, then lost ones
        (re-acquisition, ``TrackerConfig.lost_window_s``), then tentative ones with the
        leftovers (tracks that existed at the start of the group only)."""
        n0 = hit.size
        st = self.T.status[:n0]
        for status in ((CONFIRMED,), (REACQ, LOST), (TENTATIVE,)):
            rows = np.flatnonzero(np.isin(st, status))
            if status[0] == REACQ and rows.size and self.cfg.lost_reassoc_max_sd_m > 0:
                # a lost track too vague to re-associate plots waits for a stitch
                h = min(self.dims, 2)
                var = np.diagonal(self.T.P[rows, :h, :h], axis1=1, axis2=2).max(axis=1)
                rows = rows[var <= self.cfg.lost_reassoc_max_sd_m ** 2]
            avail = idx[~used[idx]]
            if rows.size and avail.size:
                self._associate_positions(rows, avail, M, tg, used, hit, opp, tim, diag)

    def _associate_angles_by_status(self, ang_m: I64, M: _GroupMeas, tg: float,
                                    used: NDArray[np.bool_], angcnt: NDArray[np.int64],
                                    opp: NDArray[np.bool_], tim: dict[str, float],
                                    diag: dict[str, int],
                                    statuses: tuple[int, ...] = (CONFIRMED, TENTATIVE)) -> None:
        """Angle measurements ang_m of M: confirmed tracks first, tentative ones only with the
        leftovers -- as for position-type detections -- so that bearings of a held target
        cannot confirm a tentative track started next to it (a radar clutter plot 250 m from a
        Shahed was confirmed by three of the Shahed's five bearings in the mixed-sensor
        test). Tracks that existed at the start of the group only; ``statuses`` the rounds.
        """
        n0 = angcnt.size
        T = self.T
        for status in statuses:
            rows = np.flatnonzero(T.status[:n0] == status)
            avail = ang_m[~used[ang_m]]
            if rows.size and avail.size:
                self._associate_angles(rows, avail, M, tg, used, angcnt, opp, tim, diag)

    def _identity_adjust(self, rows: I64, midx: I64, M: _GroupMeas, cost: F64) -> F64:
        mid = M.identity[midx]
        has = mid != ""
        if not has.any():
            return cost
        tid = self.T.identity[rows]
        both = has & (tid != "")
        same = both & (tid == mid)
        diff = both & ~same
        cost = cost.copy()
        cost[same] -= self.cfg.identity_match_bonus
        cost[diff] += self.cfg.identity_mismatch_penalty
        return cost

    def _node_assign(self, rows: I64, midx: I64, cost: F64, M: _GroupMeas) -> tuple[I64, I64]:
        """GNN over (sensor, track) nodes. Pairs are gated already. Returns assigned pairs."""
        node_key = M.sensor[midx].astype(np.int64) * (self.T.n + 1) + rows
        ukeys, node = np.unique(node_key, return_inverse=True)
        umeas, meas_loc = np.unique(midx, return_inverse=True)
        miss = np.full(ukeys.size, self._chi2_gate)
        t2m, _ = assoc.gnn(ukeys.size, umeas.size, node.astype(np.int64),
                           meas_loc.astype(np.int64), cost, miss)
        a = np.flatnonzero(t2m >= 0)
        return (ukeys[a] % (self.T.n + 1)).astype(np.int64), umeas[t2m[a]]

    def _apply_rounds(self, ar: I64, am: I64, M: _GroupMeas, tg: float) -> None:
        """Apply assigned pairs; a track with several (different sensors) is updated in rounds."""
        if ar.size == 0:
            return
        if M.origin is not None:
            self._acc.origin(self.T.ids[ar], M.origin[am])
        order = np.lexsort((M.sensor[am], ar))
        ar, am = ar[order], am[order]
        first = np.r_[True, ar[1:] != ar[:-1]]
        grp_start = np.maximum.accumulate(np.where(first, np.arange(ar.size), 0))
        rank = np.arange(ar.size) - grp_start
        for k in range(int(rank.max()) + 1):
            sel = rank == k
            self._update(ar[sel], am[sel], M, tg)

    def _associate_positions(self, rows: I64, avail: I64, M: _GroupMeas, tg: float,
                             used: NDArray[np.bool_], hit: NDArray[np.bool_],
                             opp: NDArray[np.bool_], tim: dict[str, float],
                             diag: dict[str, int]) -> None:
        t0 = time.perf_counter()
        T = self.T
        d = self.dims
        tp = T.x[rows, :d]
        Ppos = T.P[rows, :d, :d]
        tr = np.trace(Ppos, axis1=1, axis2=2)
        gc = M.gcov[avail]
        gfin = np.where(np.isfinite(gc), gc, 0.0)
        mtr = float(np.trace(gfin, axis1=1, axis2=2).max())
        mpos = M.gpos[avail].copy()
        if d == 3:
            # XY measurements and triangulated fixes carry no height: gate them horizontally
            # (fixes: plus the tilt of the frame's z axis at the track's height)
            xy = np.isin(M.sub[avail], _HORIZ_SUBS)
            if xy.any():
                radius = self.cfg.gate_mahalanobis * np.sqrt(tr + mtr)
                rh = radius + (self._tilt_margin(tp) if (M.sub[avail] == SUB_HPOS).any()
                               else 0.0)
                ti1, mj1 = assoc.gate_pairs(tp[:, :2], rh, mpos[xy, :2])
                ti2, mj2 = assoc.gate_pairs(tp, radius, mpos[~xy])
                ax, an = np.flatnonzero(xy), np.flatnonzero(~xy)
                ti = np.concatenate([ti1, ti2])
                mj = np.concatenate([ax[mj1], an[mj2]])
            else:
                radius = self.cfg.gate_mahalanobis * np.sqrt(tr + mtr)
                ti, mj = assoc.gate_pairs(tp, radius, mpos)
        else:
            radius = self.cfg.gate_mahalanobis * np.sqrt(tr + mtr)
            ti, mj = assoc.gate_pairs(tp, radius, mpos)
        t1 = time.perf_counter()
        tim["gate"] = tim.get("gate", 0.0) + t1 - t0
        if ti.size == 0:
            return
        prow = rows[ti]
        pm = avail[mj]
        opp[prow] = True
        d2, ll = self._pair_stats(prow, pm, M)
        g = d2 <= self._chi2_gate
        if self._lost_d2 > 0:
            # a lost track re-associates only close plots (TrackerConfig.lost_gate_mahalanobis)
            g &= ~(np.isin(T.status[prow], (LOST, REACQ)) & (d2 > self._lost_d2))
        prow, pm, d2, ll = prow[g], pm[g], d2[g], ll[g]
        llr = None
        if self._score_on:
            # a radar plot joins a scored tentative track only when that is likelier than a
            # false alarm (LLR > 0): a tentative track with a wide gate must not soak up the
            # plots that would start a new track on a target
            llr = self._plot_llr(prow, pm, ll, M)
            g = ~(llr <= 0.0)
            prow, pm, d2, ll, llr = prow[g], pm[g], d2[g], ll[g], llr[g]
        t2 = time.perf_counter()
        tim["gate"] += t2 - t1
        if prow.size == 0:
            return
        cost = self._identity_adjust(prow, pm, M, d2)
        if self.cfg.association == "jpda":
            jsub = np.isin(M.sub[pm], (SUB_XY, SUB_POS))
            if jsub.any():
                self._jpda(prow[jsub], pm[jsub], cost[jsub], ll[jsub], M, tg, used, hit, diag)
                tim["assign"] = tim.get("assign", 0.0) + time.perf_counter() - t2
            keep = ~jsub & ~used[pm]
            prow, pm, cost = prow[keep], pm[keep], cost[keep]
            llr = llr[keep] if llr is not None else None
            if prow.size == 0:
                return
        t3 = time.perf_counter()
        ar, am = self._node_assign(prow, pm, cost, M)
        t4 = time.perf_counter()
        tim["assign"] = tim.get("assign", 0.0) + t4 - t3
        if llr is not None:
            self._add_scores(ar, am, prow, pm, llr, M)
        self._apply_rounds(ar, am, M, tg)
        used[am] = True
        hit[ar] = True
        tim["update"] = tim.get("update", 0.0) + time.perf_counter() - t4

    def _plot_llr(self, prow: I64, pm: I64, ll: F64, M: _GroupMeas) -> F64:
        """Track-score increment of each pair (prow, pm) that pairs a tentative track with a
        radar plot (NaN for other pairs): the log-likelihood ratio target / false alarm
        ln(score_pd) + ln f(z) - ln lambda(z), f(z) the predicted measurement density (``ll``,
        before the update), lambda(z) the false-alarm density in the plot's (range, az,
        el[, range-rate]) space: score_false_alarm_density_m3 * r^2 cos(el)
        [/ score_range_rate_span_mps]."""
        out = np.full(prow.size, np.nan)
        sel = np.flatnonzero((self.T.status[prow] == TENTATIVE)
                             & np.isin(M.sub[pm], (SUB_RADAR3, SUB_RADAR4)))
        if sel.size == 0:
            return out
        cfg = self.cfg
        m = pm[sel]
        r, el = M.z[m, 0], M.z[m, 2]
        lam = cfg.score_false_alarm_density_m3 * r * r * np.maximum(np.cos(el), 1e-6)
        lam = np.where(M.sub[m] == SUB_RADAR4, lam / cfg.score_range_rate_span_mps, lam)
        out[sel] = np.log(cfg.score_pd) + ll[sel] - np.log(np.maximum(lam, 1e-300))
        return out

    def _add_scores(self, ar: I64, am: I64, prow: I64, pm: I64, llr: F64,
                    M: _GroupMeas) -> None:
        """Add to the score of each tentative track among the assigned pairs (ar, am) its
        plot's increment (``llr`` of the candidate pairs prow, pm; NaN: not a scored pair)."""
        inc = llr[assoc.pair_index(prow, pm, ar, am, int(M.z.shape[0]))]
        ok = np.isfinite(inc)
        if not ok.any():
            return
        T = self.T
        rows = ar[ok]
        T.score[rows] = np.nan_to_num(T.score[rows])
        np.add.at(T.score, rows, inc[ok])

    def _jpda(self, prow: I64, pm: I64, cost: F64, ll: F64, M: _GroupMeas, tg: float,
              used: NDArray[np.bool_], hit: NDArray[np.bool_], diag: dict[str, int]) -> None:
        """JPDA over (sensor, track) nodes for XY/POSITION pairs, one sub-kind at a time."""
        cfg = self.cfg
        T = self.T
        for s in (SUB_XY, SUB_POS):
            sel = M.sub[pm] == s
            if not sel.any():
                continue
            r_, m_, c_, l_ = prow[sel], pm[sel], cost[sel], ll[sel]
            md = self._sub_dim[s]
            node_key = M.sensor[m_].astype(np.int64) * (T.n + 1) + r_
            ukeys, node = np.unique(node_key, return_inverse=True)
            umeas, mloc = np.unique(m_, return_inverse=True)
            pg = self._gate_prob
            res = assoc.jpda(ukeys.size, umeas.size, node.astype(np.int64),
                             mloc.astype(np.int64), np.exp(l_), c_,
                             np.full(ukeys.size, self._chi2_gate), cfg.pd, pg,
                             cfg.clutter_density, cfg.jpda_max_tracks, cfg.jpda_max_hypotheses)
            diag["jpda_clusters"] = diag.get("jpda_clusters", 0) + res.stats.jpda_clusters
            diag["jpda_fallback_clusters"] = (diag.get("jpda_fallback_clusters", 0)
                                              + res.stats.jpda_fallback_clusters)
            # GNN fallback nodes
            fbn = np.flatnonzero(res.fallback_t2m >= 0)
            if fbn.size:
                ar = (ukeys[fbn] % (T.n + 1)).astype(np.int64)
                am = umeas[res.fallback_t2m[fbn]]
                self._apply_rounds(ar, am, M, tg)
                used[am] = True
                hit[ar] = True
            # PDA nodes: those with some edge and not fallback
            has_edge = np.zeros(ukeys.size, dtype=bool)
            has_edge[node] = True
            pn = np.flatnonzero(has_edge & ~res.is_fallback)
            if pn.size == 0:
                continue
            # nodes of the same track (several sensors) are applied in rounds
            nrow = (ukeys[pn] % (T.n + 1)).astype(np.int64)
            order = np.lexsort((ukeys[pn] // (T.n + 1), nrow))
            pn, nrow = pn[order], nrow[order]
            first = np.r_[True, nrow[1:] != nrow[:-1]]
            rank = np.arange(pn.size) - np.maximum.accumulate(
                np.where(first, np.arange(pn.size), 0))
            for k in range(int(rank.max()) + 1):
                nk = pn[rank == k]
                self._pda_update(nk, ukeys, node, mloc, umeas, res, md, s, M, tg)
                hit[(ukeys[nk] % (T.n + 1)).astype(np.int64)] = True
            # measurements with substantial association probability are "used" (no initiation)
            used[umeas[mloc[res.edge_beta > 0.0]]] = True

    def _pda_update(self, nodes: I64, ukeys: I64, node: I64, mloc: I64, umeas: I64,
                    res: assoc.JpdaResult, md: int, s: int, M: _GroupMeas, tg: float) -> None:
        T = self.T
        rows = (ukeys[nodes] % (T.n + 1)).astype(np.int64)
        pos_in = np.full(ukeys.size, -1)
        pos_in[nodes] = np.arange(nodes.size)
        e = np.flatnonzero(pos_in[node] >= 0)
        en = pos_in[node[e]]
        counts = np.bincount(en, minlength=nodes.size)
        J = int(counts.max())
        order = np.lexsort((e, en))
        e, en = e[order], en[order]
        slot = np.arange(e.size) - np.repeat(np.cumsum(counts) - counts, counts)
        mi = umeas[mloc[e]]
        Z = np.zeros((nodes.size, J, md))
        beta = np.zeros((nodes.size, J + 1))
        Rsum = np.zeros((nodes.size, md, md))
        Z[en, slot] = M.z[mi, :md]
        beta[en, 1 + slot] = res.edge_beta[e]
        beta[:, 0] = res.beta0[nodes]
        np.add.at(Rsum, en, M.R[mi, :md, :md])
        Rm = Rsum / np.maximum(counts, 1)[:, None, None]
        mask = np.zeros((nodes.size, J), dtype=bool)
        mask[en, slot] = True
        H = self._H_xy if s == SUB_XY else self._H_pos
        Hb = np.broadcast_to(H, (nodes.size,) + H.shape)
        if self.r == 1:
            x, P = T.x[rows], T.P[rows]
            S = K.symmetrize(Hb @ P @ np.swapaxes(Hb, -1, -2) + Rm)
            y = np.where(mask[:, :, None], Z - (x @ H.T)[:, None, :], 0.0)
            T.x[rows], T.P[rows] = K.pda_update(x, P, y, S, Hb, beta)
        else:
            cfg = self.cfg
            ll = np.zeros((rows.size, self.r))
            for j in range(self.r):
                x, P = T.xm[rows, j], T.Pm[rows, j]
                S = K.symmetrize(Hb @ P @ np.swapaxes(Hb, -1, -2) + Rm)
                y = np.where(mask[:, :, None], Z - (x @ H.T)[:, None, :], 0.0)
                T.xm[rows, j], T.Pm[rows, j] = K.pda_update(x, P, y, S, Hb, beta)
                # IMM-PDA model likelihood: (1 - Pd Pg) + sum_m Pd N(y_m; 0, S) / lambda
                Sr = np.repeat(S, J, axis=0)
                d2, logdet, _ = K.mahalanobis_sq(y.reshape(-1, md), Sr)
                g = np.exp(K.gaussian_loglik(d2, logdet, md)).reshape(rows.size, J)
                lam = cfg.pd * np.where(mask, g, 0.0).sum(axis=1) / cfg.clutter_density
                ll[:, j] = np.log(1.0 - cfg.pd + lam)
            T.mu[rows] = K.imm_model_probs(T.mu[rows], ll)
            T.x[rows], T.P[rows] = K.imm_combine(T.xm[rows], T.Pm[rows], T.mu[rows])
        best = np.zeros(nodes.size, dtype=np.int64)
        best_b = np.full(nodes.size, -1.0)
        for i_e in range(e.size):   # small: PDA nodes only
            if res.edge_beta[e[i_e]] > best_b[en[i_e]]:
                best_b[en[i_e]] = res.edge_beta[e[i_e]]
                best[en[i_e]] = mi[i_e]
        self._mark_updated(rows, tg, M.sensor[best], best)
        T.last_seen[rows, M.skind[best]] = tg

    def _associate_angles(self, rows: I64, ang: I64, M: _GroupMeas, tg: float,
                          used: NDArray[np.bool_], angcnt: NDArray[np.int64],
                          opp: NDArray[np.bool_], tim: dict[str, float],
                          diag: dict[str, int]) -> None:
        """Bearings / az-el -> existing tracks (GNN over (sensor, track) nodes).

        Candidates are tracks within ``bearing_explain_range_m`` of the sensor *horizontally*
        (a jet at 10 km altitude right above a node is at 0 m, not 10 km). A bearing assigned
        to a track farther than ``bearing_max_range_m`` is consumed ("explained": it neither
        updates that track nor a nearer one, nor goes to triangulation) without updating it:
        a loud far target (an airliner heard at 15 km) must win its own bearings instead of
        having them hijack a quiet low-level track near the node, but a far, weak bearing
        should not keep a track alive either.
        """
        T = self.T
        cfg = self.cfg
        sens = M.sensor[ang]
        order = np.argsort(sens, kind="stable")
        ang_s, sens_s = ang[order], sens[order]
        us, first, cnt = np.unique(sens_s, return_index=True, return_counts=True)
        r_max = max(cfg.bearing_explain_range_m, cfg.bearing_max_range_m)
        tt = cKDTree(T.x[rows, :2])
        ts = cKDTree(self._spos[us, :2])
        sp = ts.sparse_distance_matrix(tt, r_max, output_type="ndarray")
        if sp.size == 0:
            return
        si = sp["i"].astype(np.int64)
        ti = sp["j"].astype(np.int64)
        dist = sp["v"]
        o = np.lexsort((ti, si))                        # deterministic pair order
        si, ti, dist = si[o], ti[o], dist[o]
        k = cnt[si]
        prow = np.repeat(rows[ti], k)
        pdist = np.repeat(dist, k)
        pm = ang_s[_ranges(first[si].astype(np.int64), k.astype(np.int64))]
        close = pdist <= cfg.bearing_max_range_m
        opp[prow[close]] = True
        if cfg.emitters.on and M.attr is not None:
            # an RF bearing naming a link protocol is no far track's to explain unless the
            # track carries that protocol: a Shahed passing 8 km from the detector does not
            # emit the DJI link a quadcopter 10 km out does (emitters.py)
            pp = M.attr[pm, _ATTR_RF]
            other = np.isfinite(pp) & ~close & (T.attr[prow, _ATTR_RF] != pp)
            if other.any():
                prow, pm, close = prow[~other], pm[~other], close[~other]
        if cfg.acoustic_levels.on and M.attr is not None:
            # a bearing's loudness bounds how far what it heard can be (acoustic_gate.py)
            d = T.x[prow, :self.dims] - self._spos[M.sensor[pm], :self.dims]
            rng_m = np.linalg.norm(d, axis=1)
            fit = (cfg.acoustic_levels.consistent(M.attr[pm, _ATTR_AC], M.attr[pm, _ATTR_SL],
                                                  rng_m)
                   | cfg.acoustic_levels.consistent(T.attr[prow, _ATTR_AC],
                                                    M.attr[pm, _ATTR_SL], rng_m, unknown=False))
            if not fit.all():
                diag["bearing_pairs_level_gated"] = (
                    diag.get("bearing_pairs_level_gated", 0) + int((~fit).sum()))
                prow, pm, close = prow[fit], pm[fit], close[fit]
        d2, _ = self._pair_stats(prow, pm, M)
        g = d2 <= self._chi2_gate
        prow, pm, d2, close = prow[g], pm[g], d2[g], close[g]
        if prow.size == 0:
            return
        ar, am = self._node_assign(prow, pm, d2, M)
        used[am] = True
        if cfg.azel_ambiguity_margin_d2 > 0 and ar.size:
            # a precise az-el detection whose assignment is not clear is consumed, not applied
            node = M.sensor[pm].astype(np.int64) * (T.n + 1) + prow
            amb = (M.sub[am] == SUB_AZEL) & assoc.ambiguous_assigned(
                prow, pm, node, d2, ar, am, M.sub.size, cfg.azel_ambiguity_margin_d2)
            if amb.any():
                diag["azel_updates_ambiguous"] = (diag.get("azel_updates_ambiguous", 0)
                                                  + int(amb.sum()))
                ar, am = ar[~amb], am[~amb]
        # the bearings' emitter features, before ambiguous attributes are cleared below: they
        # say which emitter a bearing heard, whichever track GNN gave it to
        emit = cfg.emitters.on and M.attr is not None
        feat = M.attr[am][:, FEATURE_ATTR_COLS] if emit else np.zeros((am.size, 3))
        if M.attr is not None:
            # A bearing that gates several tracks says little about which one it heard: keep
            # its position update (GNN chose) but not its attributes (class, source level),
            # which would otherwise label e.g. a bird track with a passing drone's engine.
            # Ambiguous: a second track fits within BEARING_ATTR_MARGIN_D2 of the best one.
            clear = np.zeros(M.sub.size, bool)
            clear[pm[assoc.clear_best(pm, -d2, M.sub.size, BEARING_ATTR_MARGIN_D2)]] = True
            amb = am[~clear[am]]
            if amb.size:
                M.attr[amb] = np.nan
                diag["bearing_attributes_ambiguous"] = (
                    diag.get("bearing_attributes_ambiguous", 0) + int(amb.size))
        # assigned pairs beyond bearing_max_range_m only explain their bearing -- except an
        # RF bearing naming the link protocol the track already carries (an emitter's track,
        # started from a cross-fix or fed by that protocol), out to emitters.max_range_m
        reach = np.full(am.size, cfg.bearing_max_range_m)
        if emit:
            same = np.isfinite(feat[:, 0]) & (T.attr[ar, _ATTR_RF] == feat[:, 0])
            reach = np.where(same, max(cfg.emitters.max_range_m, cfg.bearing_max_range_m),
                             reach)
        near = np.hypot(*(T.x[ar, :2] - self._spos[M.sensor[am], :2]).T) <= reach
        if (~near).any():
            diag["bearings_explained_far"] = (diag.get("bearings_explained_far", 0)
                                              + int((~near).sum()))
        ar, am, feat = ar[near], am[near], feat[near]
        self._apply_rounds(ar, am, M, tg)
        np.add.at(angcnt, ar, 1)              # distinct sensors (one detection per sensor)
        if emit and ar.size:
            emitter_pair_support(self.T, self._spos, self.cfg.emitters,
                                 self.cfg.triangulation, ar, M.sensor[am], feat, tg, angcnt)
        diag["bearing_updates"] = diag.get("bearing_updates", 0) + int(am.size)
