"""Track management: confirmation, coasting, loss and re-acquisition, deletion, duplicate
merging, history.

M-of-N confirmation and the coast clock count only *strong* updates (position-type
detections, fixes, bearings from >= ``triangulation.min_bearings`` sensors in a group); the
coast time may scale with the track's revisit envelope (the gaps its sensors leave); a
confirmed track whose coast time runs out is kept as *lost* for re-acquisition
(``lost_window_s``): a strong update reports it again under its own id, and a newly confirmed
track that is kinematically consistent with it is stitched into it (older id kept). Confirmed
tracks that stay statistically indistinguishable, with no sensor resolving them, are merged
into the older id. Mixin of ``Engine`` (see ``state.py`` for the mechanism).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.detections.batch import SensorKind
from dronewall.tracking import association as assoc
from dronewall.tracking import kernels as K
from dronewall.tracking.state import EngineState
from dronewall.tracking.table import CONFIRMED, LOST, REACQ, TENTATIVE, _ranges, _StepAcc

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Sensor kinds whose measurements observe height (radar elevation, cooperative altitude,
#: EO/IR elevation); acoustic/RF bearings do not.
_VERTICAL_KINDS = np.array([int(SensorKind.RADAR), int(SensorKind.ADSB),
                            int(SensorKind.REMOTE_ID), int(SensorKind.EOIR)])
#: Sensors other than radar that localise a target precisely (cooperative reports, EO/IR
#: angles, XY plots): a report of theirs on a track is no radar false alarm, so a track they
#: also updated confirms by M-of-N without the radar track score's minimum.
_NON_RADAR_POSITION = np.array([int(SensorKind.ADSB), int(SensorKind.REMOTE_ID),
                                int(SensorKind.EOIR), int(SensorKind.XY)])
_EOIR = int(SensorKind.EOIR)


class _TrackManagement(EngineState):
    """Confirmation, coasting/deletion, duplicate merging and history of ``Engine``."""

    def _count_strong_updates(self, tg: float, hit: NDArray[np.bool_], opp: NDArray[np.bool_],
                              angcnt: NDArray[np.int64]) -> None:
        """Bookkeeping of one group at ``tg`` for the tracks that existed at its start (rows
        ``[0, hit.size)``): ``hit`` position-type or fix updates, ``opp`` update
        opportunities, ``angcnt`` bearing updates (distinct sensors).

        A *strong* update -- a position-type detection, a fix, or bearings from >=
        min_bearings distinct sensors in this group (enough to triangulate) -- is a
        confirmation hit and resets the coast clock. Fewer bearings update the state but are
        only an opportunity: a stray bearing of another target passes near any uncertain
        track, and must neither confirm a tentative track nor keep a lost one alive.
        """
        T = self.T
        n0 = hit.size
        strong = hit | (angcnt >= self.cfg.triangulation.min_bearings)
        if self._score_on:
            # score on, a tentative track waits score_tentative_coast_s for its next plot; a
            # plot after its M-of-N window (tentative_coast_time_s) starts the M-of-N count
            # afresh -- the score carries the evidence of the earlier plots
            # (late: M-of-N alone would have deleted it at the last maintenance)
            late = strong & (T.status[:n0] == TENTATIVE) & \
                (self._t_maintained - T.t_strong[:n0] > self.cfg.tentative_coast_time_s)
            T.hits[:n0][late] = 0
            T.opps[:n0][late] = 0
        T.hits[:n0] += strong.astype(np.int32)
        T.opps[:n0] += (strong | opp).astype(np.int32)
        sr = np.flatnonzero(strong)
        if sr.size:
            dts = tg - T.t_strong[sr]
            pos_dt = dts > 0.0
            rr, dd = sr[pos_dt], dts[pos_dt]
            # upper envelope of the intervals: quick to rise, slow to fall (bias-corrected:
            # the plain mean of the first intervals until 1/(hits - 1) drops below the weight)
            m = T.revisit[rr]
            w = np.where(dd > m, self.cfg.revisit_rise_weight, self.cfg.revisit_fall_weight)
            w = np.maximum(w, 1.0 / np.maximum(T.hits[rr] - 1, 1))
            T.revisit[rr] = np.where(np.isnan(m), dd, m + w * (dd - m))
            T.t_strong[sr] = tg
            # a lost track that a sensor fixes again is re-acquired under its own id once it
            # has reacquire_hits strong updates (in different groups) since it was lost
            st = T.status[sr]
            T.t_good[sr[st == CONFIRMED]] = tg
            lost = sr[st == LOST]
            if lost.size:
                T.reacq_n[lost] = 1
                T.status[lost] = REACQ
            again = sr[st == REACQ]
            if again.size:
                T.reacq_n[again] += 1
            back = sr[(T.status[sr] == REACQ) & (T.reacq_n[sr] >= self.cfg.reacquire_hits)]
            if back.size:
                T.status[back] = CONFIRMED
                T.t_good[back] = tg
                self._acc.reacquired.extend(T.ids[back].tolist())

    def _confirm(self, acc: _StepAcc) -> None:
        """M-of-N: a tentative track with >= confirm_m hits within <= confirm_n opportunities
        (each within tentative_coast_time_s of the previous), or (score on) a track score >=
        score_confirm becomes confirmed -- or, when it continues a lost track, is stitched
        into it; with ``merge_common_noise``, one that fits a reported track is held back
        (:meth:`_merge_duplicates` settles it)."""
        T = self.T
        n = T.n
        c = (T.status[:n] == TENTATIVE) & (T.hits[:n] >= self.cfg.confirm_m) & \
            (T.opps[:n] <= self.cfg.confirm_n)
        if self._score_on:
            # radar plots alone: M-of-N needs a score that rules out a chance pair of false
            # alarms (score_mofn_min); another precise sensor's report is no radar false alarm
            other = np.isfinite(T.last_seen[:n][:, _NON_RADAR_POSITION]).any(axis=1)
            radar_only = np.isfinite(T.score[:n]) & ~other
            c &= ~radar_only | (T.score[:n] >= self.cfg.score_mofn_min)
            c |= (T.status[:n] == TENTATIVE) & (T.score[:n] >= self.cfg.score_confirm)
        c |= T.held[:n] & (T.status[:n] == TENTATIVE)
        if not c.any():
            return
        if self._merge_d2 > 0 and self.cfg.merge_common_noise:
            # a track that fits a reported one it is not seen apart from is held back, not
            # reported: the duplicate merge settles it (merged, or confirmed once it stands
            # apart) -- a restart beside its own coasting track, or a far pair the sensors do
            # not resolve, would otherwise show the operator a new id for a few seconds
            dup = c & (self._dup_partners(T.status[:n] == CONFIRMED, c) >= 0)
            T.held[:n] = dup
            c &= ~dup
        if c.any():
            self._confirm_rows(np.flatnonzero(c), acc)

    def _confirm_rows(self, new: I64, acc: _StepAcc) -> None:
        """Confirm the tentative rows ``new``: reported from now, or stitched into the lost
        tracks they continue."""
        T = self.T
        T.status[new] = CONFIRMED
        T.held[new] = False
        kept = self._stitch(new, acc) if self.cfg.lost_window_s > 0 else new
        acc.confirmed.extend(T.ids[kept].tolist())

    def _stitch(self, new: I64, acc: _StepAcc) -> I64:
        """Stitch newly confirmed rows ``new`` into lost tracks they continue; return the rows
        that stay new tracks (row indices after any merge).

        Test: chi-square(4) gate (``stitch_gate_prob``) on the horizontal position/velocity
        difference with P_new + P_lost (the lost track predicted to now, its covariance grown
        over the gap), cooperative identities not different. Only clear pairs are stitched:
        each must be the other's likeliest partner by a likelihood ratio of at least
        ``STITCH_MIN_LR`` over the runner-up -- another lost track for the new one, another
        confirmed track (new or already reported) for the lost one. In a group of targets
        flying together a lost track's wide prediction fits several of them, and a wrong
        guess would put one platform's history and identity on another; a new id is the
        honest answer there. The lost track keeps its id and takes the new track's state
        (:meth:`_merge_rows` keeps the better estimate) and its revisit estimate (the long
        gap that lost it is not the target's usual revisit)."""
        T = self.T
        n = T.n
        lost = np.flatnonzero(np.isin(T.status[:n], (LOST, REACQ)))
        if lost.size == 0 or new.size == 0:
            return new
        # every reported confirmed track competes for a lost track, the new ones first
        others = np.setdiff1d(np.flatnonzero(T.status[:n] == CONFIRMED), new)
        cand = np.concatenate([new, others])
        d = self.dims
        hi = np.array([0, 1, d, d + 1])
        rad_c = np.sqrt(np.trace(T.P[cand, :2, :2], axis1=1, axis2=2))
        rad_lost = np.sqrt(np.trace(T.P[lost, :2, :2], axis1=1, axis2=2))
        thr = self._stitch_d2
        # candidate pairs: |dp| can pass the gate only within sqrt(thr) (sd_c + sd_lost)
        dp = T.x[cand, None, :2] - T.x[None, lost, :2]
        reach = np.sqrt(thr) * (rad_c[:, None] + rad_lost[None, :])
        ci, cj = np.nonzero(np.hypot(dp[..., 0], dp[..., 1]) <= reach)
        if ci.size == 0:
            return new
        a, b = cand[ci], lost[cj]
        du = T.x[a][:, hi] - T.x[b][:, hi]
        Su = T.P[a][:, hi][:, :, hi] + T.P[b][:, hi][:, :, hi]
        d2, logdet, ok = K.mahalanobis_sq(du, Su)
        ia, ib = T.identity[a], T.identity[b]
        ok &= (d2 <= thr) & ~((ia != "") & (ib != "") & (ia != ib))
        # a reported track a sensor once saw beside the lost one (two detections of one scan,
        # :meth:`_record_apart`) follows another target: no rival explanation of where the
        # lost one went
        ok &= np.isin(a, new) | ~self._known_apart(T.ids[a], T.ids[b])
        a, b = a[ok], b[ok]
        ll = -0.5 * (d2[ok] + logdet[ok])
        # unambiguous pairs only: each is the other's likeliest partner, by a likelihood ratio
        # of at least STITCH_MIN_LR over the runner-up on either side
        m = float(np.log(STITCH_MIN_LR))
        sel = np.isin(a, new) & assoc.clear_best(b, ll, n, m) & assoc.clear_best(a, ll, n, m)
        if not sel.any():
            return new
        drop, part = a[sel], b[sel]
        partner = np.full(n, -1, np.int64)
        partner[drop] = part
        keep_ids = T.ids[np.setdiff1d(new, drop)]
        T.status[part] = CONFIRMED
        acc.reacquired.extend(T.ids[part].tolist())
        self._merge_rows(np.asarray(drop, np.int64), partner, acc, {}, revisit_max=False)
        return np.flatnonzero(np.isin(T.ids[: T.n], keep_ids))

    def _maintain(self, t_ref: float, acc: _StepAcc) -> None:
        """Delete, at t_ref (s), confirmed tracks without a strong update for longer than the
        (revisit-scaled) coast time, tentative tracks past tentative_coast_time_s or their
        M-of-N window, and tracks that are lost (horizontal sd > max_position_sd_m) or not
        finite."""
        T, n = self.T, self.T.n
        self._t_maintained = t_ref
        if n == 0:
            return
        cfg, st = self.cfg, T.status[:n]
        age = t_ref - T.t_strong[:n]          # coast clock: time since the last strong update
        coast: float | F64 = cfg.coast_time_s
        if cfg.coast_revisit_factor > 0:    # clip(f x revisit envelope, coast, max_coast)
            rv = T.revisit[:n]
            hi = max(cfg.max_coast_time_s, cfg.coast_time_s)
            coast = np.where(np.isnan(rv), cfg.coast_time_s,
                             np.clip(cfg.coast_revisit_factor * np.nan_to_num(rv),
                                     cfg.coast_time_s, hi))
        if cfg.young_coast_time_s > 0:      # a young track's envelope rests on few intervals
            coast = np.where(T.hits[:n] < cfg.young_coast_hits,
                             np.maximum(coast, cfg.young_coast_time_s), coast)
        if cfg.slow_coast_time_s > 0:       # a slow target's estimate runs off slowly
            coast = np.where(self._fast(), coast, np.maximum(coast, cfg.slow_coast_time_s))
        expired = (st == CONFIRMED) & (age > coast)
        if cfg.precise_coast_sd_m > 0:      # a camera still holds it closely
            expired &= ~((T.last_seen[:n, _EOIR] >= T.t_pupd[:n])
                         & (t_ref - T.t_pupd[:n] <= cfg.coast_time_s)
                         & (K.max_horizontal_var(T.P_upd[:n]) <= cfg.precise_coast_sd_m ** 2))
        if cfg.lost_window_s > 0:
            # not reported, kept for re-acquisition (tracks with enough support -- strong
            # updates, or a confirming score: a late score confirmation restarts the hit count)
            # until the window closes or the prediction is too vague; a re-acquisition
            # without its confirming update falls back to lost
            support = T.hits[:n] >= cfg.lost_min_hits
            if self._score_on:
                support |= T.score[:n] >= cfg.score_confirm
            keep_lost = expired & support
            dead = expired & ~keep_lost
            if keep_lost.any():
                T.status[:n][keep_lost] = LOST
                acc.lost.extend(T.ids[:n][keep_lost].tolist())
            relapse = (st == REACQ) & (age > coast)
            T.status[:n][relapse] = LOST
            h2 = min(self.dims, 2)
            var_l = np.diagonal(T.P[:n, :h2, :h2], axis1=1, axis2=2).max(axis=1)
            unrep = np.isin(T.status[:n], (LOST, REACQ))
            dead |= unrep & ((t_ref - T.t_good[:n] > cfg.lost_window_s)
                             | ~(var_l <= self._lost_sd_limit(unrep) ** 2))
        else:
            dead = expired
        # a held track passed confirmation: the duplicate merge settles it within a few steps
        tent = (st == TENTATIVE) & ~T.held[:n]
        if self._score_on:
            # a radar-scored tentative track waits longer for its next plot, and its misses
            # are weighed by the score, not counted against M-of-N (a plot of a neighbour in
            # its wide gate is an "opportunity" that would end it)
            scored = np.isfinite(T.score[:n])
            dead |= tent & (age > np.where(scored, cfg.score_tentative_coast_s,
                                           cfg.tentative_coast_time_s))
            mofn = tent & ~scored
        else:
            dead |= tent & (age > cfg.tentative_coast_time_s)
            mofn = tent
        dead |= mofn & ((T.opps[:n] - T.hits[:n]) > (cfg.confirm_n - cfg.confirm_m))
        dead |= mofn & (T.opps[:n] >= cfg.confirm_n) & (T.hits[:n] < cfg.confirm_m)
        h = min(self.dims, 2)
        var_h = np.diagonal(T.P[:n, :h, :h], axis1=1, axis2=2).max(axis=1)
        dead |= ~(var_h <= cfg.max_position_sd_m ** 2)          # also catches NaN
        dead |= ~np.isfinite(T.x[:n]).all(axis=1)
        if dead.any():
            gone = T.ids[:n][dead]
            acc.deleted.extend(gone.tolist())
            T.keep(~dead)
            self._forget_apart(gone)

    def _lost_sd_limit(self, rows: NDArray[np.bool_]) -> F64:
        """(n,) horizontal sd, m, beyond which a lost track (mask ``rows``) is deleted:
        ``lost_fast_max_sd_m`` for fast targets (horizontal speed estimate at least
        ``lost_fast_speed_mps``), ``lost_max_sd_m`` otherwise."""
        cfg = self.cfg
        lim = np.full(rows.size, cfg.lost_max_sd_m)
        if cfg.lost_fast_max_sd_m > 0 and rows.any():
            lim[rows & self._fast()] = cfg.lost_fast_max_sd_m
        return lim

    def _fast(self) -> NDArray[np.bool_]:
        """(n,) True where a track's horizontal speed estimate is >= ``lost_fast_speed_mps``."""
        v = self.T.x[:self.T.n, self.dims:self.dims + 2]
        return np.hypot(v[:, 0], v[:, 1]) >= self.cfg.lost_fast_speed_mps

    # ---- duplicate-track merging ------------------------------------------------------------

    def _merge_duplicates(self, acc: _StepAcc, diag: dict[str, int]) -> None:
        """Merge confirmed tracks that stay statistically indistinguishable, and settle the
        tracks held back at confirmation as suspected duplicates (:meth:`_confirm`).

        Each younger track (higher id; a held track is always the younger) keeps its best
        older partner (:meth:`_dup_partners`) and a counter of consecutive steps with the same
        partner; at ``merge_steps`` it is merged into the older track (lower id, kept). A held
        track (``merge_common_noise``) with no partner left is confirmed now: a target of its
        own.
        """
        T = self.T
        n = T.n
        if n == 0 or self._merge_d2 <= 0:
            return
        held = T.held[:n] & (T.status[:n] == TENTATIVE)
        partner = self._dup_partners(T.status[:n] == CONFIRMED, held)
        pid = np.where(partner >= 0, T.ids[np.maximum(partner, 0)], -1)
        same = (pid >= 0) & (pid == T.dup_of[:n])
        T.dup_n[:n] = np.where(same, T.dup_n[:n] + 1, (pid >= 0).astype(np.int32))
        T.dup_of[:n] = pid
        free = np.flatnonzero(held & (partner < 0))
        ready = np.flatnonzero(T.dup_n[:n] >= self.cfg.merge_steps)
        if ready.size:
            free_ids = T.ids[free]
            self._merge_rows(ready, partner, acc, diag,
                             fresher_s=self.cfg.merge_keep_fresher_s)
            free = np.flatnonzero(np.isin(T.ids[: T.n], free_ids))
        if free.size:
            self._confirm_rows(free, acc)

    def _dup_partners(self, conf: NDArray[np.bool_], held: NDArray[np.bool_]) -> I64:
        """(n,) row of each younger track's best (smallest d^2) older duplicate partner, -1
        where none: among the rows ``conf`` (reported) and ``held`` (confirmable, withheld),
        a held track being the younger of any pair and two held tracks never a pair.

        Pair test (all vectorised; candidates from a k-d tree on horizontal positions): with
        u = [x, y, vx, vy] (horizontal position and velocity) and Pu the matching block of P
        (of :meth:`_pair_cov` with ``merge_common_noise``),
        d^2 = (u_a - u_b)^T (Pu_a + Pu_b)^-1 (u_a - u_b) <= chi2_4(merge_gate_prob), the heights
        agree within the 1-D gate (3-D, where both heights were measured), the cooperative
        identities do not differ, and no sensor updated both tracks in the same group of this
        step with different detections (a sensor that sees two objects proves two targets).
        """
        T = self.T
        n = T.n
        d = self.dims
        partner = np.full(n, -1, np.int64)          # row of the older partner
        cand = np.flatnonzero(conf | held)
        if cand.size < 2:
            return partner
        hi = np.array([0, 1, d, d + 1])
        trp = np.trace(T.P[cand, :2, :2], axis1=1, axis2=2)
        # |dp|^2 <= d^2 * lambda_max(Pp_a + Pp_b) <= thr * 2 max(tr Pp_a, tr Pp_b): querying
        # each track with sqrt(2 thr tr Pp) finds every pair that can pass
        radius = np.sqrt(2.0 * self._merge_d2 * trp)
        pi, pj = assoc.self_pairs(T.x[cand, :2], radius)
        a, b = cand[pi], cand[pj]
        one = ~(held[a] & held[b])
        a, b = a[one], b[one]
        two = self._seen_apart(T.ids[a], T.ids[b])
        a, b = a[~two], b[~two]
        if a.size == 0:
            return partner
        tl = np.maximum(T.t_pupd[a], T.t_pupd[b])
        Pa, Pb = self._pair_cov(a, tl), self._pair_cov(b, tl)
        if d == 2:
            du = T.x[a] - T.x[b]
            Su = Pa + Pb
        else:
            du = T.x[a][:, hi] - T.x[b][:, hi]
            Su = Pa[:, hi][:, :, hi] + Pb[:, hi][:, :, hi]
        d2, _, ok = K.mahalanobis_sq(du, Su)
        good = ok & (d2 <= self._merge_d2) & (T.t_state[a] == T.t_state[b])
        if d == 3:
            # heights must agree within the 1-D gate -- where both were observed: a
            # track never updated by a height-measuring kind carries an assumed height
            dz2 = (T.x[a, 2] - T.x[b, 2]) ** 2 / (Pa[:, 2, 2] + Pb[:, 2, 2])
            vert = np.isfinite(T.last_seen[:, _VERTICAL_KINDS])
            both = vert[a].any(axis=1) & vert[b].any(axis=1)
            good &= ~both | (dz2 <= self._gate_d2[1])
        ia, ib = T.identity[a], T.identity[b]
        good &= ~((ia != "") & (ib != "") & (ia != ib))
        a, b, d2 = a[good], b[good], d2[good]
        if a.size:
            a_young = np.where(held[a] | held[b], held[a], T.ids[a] > T.ids[b])
            young = np.where(a_young, a, b)
            old = np.where(a_young, b, a)
            order = np.lexsort((T.ids[old], d2, young))
            young, old = young[order], old[order]
            first = np.r_[True, young[1:] != young[:-1]]
            partner[young[first]] = old[first]
        return partner

    def _pair_cov(self, rows: I64, t_last: F64) -> F64:
        """(k, ns, ns) covariance of track ``rows`` for the duplicate test against a partner
        last updated at ``t_last`` (k,), s (the later of the two last updates).

        Under "one target", the target's manoeuvres after ``t_last`` are common to both of its
        tracks and cancel in their difference: each track's predicted covariance keeps only
        the process noise it gathered up to ``t_last``. With P = F P_upd F^T + Qacc (P_upd
        after the track's last update at t_u, Qacc the noise gathered since), the share of a
        white-noise acceleration gathered before t_last is 1 - r^3 (position), 1 - r^2
        (position-velocity), 1 - r (velocity), r = (t - t_last) / (t - t_u). The fresher track
        of a pair keeps none of it; two tracks coasting side by side no longer pass the test
        merely because their process noise has grown (flagship raid seed 10: two decoys
        1.6 km apart, one unseen for 35 s and the other for 9 s, were merged). With
        ``merge_common_noise`` off (default): the predicted covariance P.
        """
        T = self.T
        if not self.cfg.merge_common_noise:
            return T.P[rows]
        d = self.dims
        span = T.t_state[rows] - T.t_pupd[rows]
        F = K.cv_transition(np.maximum(span, 0.0), d)
        base = F @ T.P_upd[rows] @ np.swapaxes(F, -1, -2)
        r = np.where(span > 0, (T.t_state[rows] - t_last) / np.where(span > 0, span, 1.0), 0.0)
        r = np.clip(r, 0.0, 1.0)[:, None, None]
        pos = np.arange(2 * d) < d
        w = np.where(pos[:, None] & pos[None, :], 1.0 - r ** 3,
                     np.where(pos[:, None] | pos[None, :], 1.0 - r ** 2, 1.0 - r))
        return base + w * (T.P[rows] - base)

    def _seen_apart(self, ida: I64, idb: I64) -> NDArray[np.bool_]:
        """(P,) True where tracks ida[i] and idb[i] are known to be two targets: one sensor
        updated both in the same group with different detections in this step or, with
        ``merge_distinct_memory_s``, within that many seconds before it (remembered here)."""
        now = self._distinct_evidence(ida, idb)
        mem = self.cfg.merge_distinct_memory_s
        if mem <= 0 or ida.size == 0:
            return now
        key = assoc.pair_key(ida, idb)
        t = self._t_processed
        keys = np.concatenate([self._distinct_keys, key[now]])
        times = np.concatenate([self._distinct_t, np.full(int(now.sum()), t)])
        keep = times >= t - mem
        keys, times = keys[keep], times[keep]
        order = np.lexsort((times, keys))
        keys, times = keys[order], times[order]
        last = np.r_[keys[1:] != keys[:-1], True] if keys.size else np.zeros(0, bool)
        self._distinct_keys, self._distinct_t = keys[last], times[last]
        pos = np.minimum(np.searchsorted(self._distinct_keys, key),
                         max(self._distinct_keys.size - 1, 0))
        known = (self._distinct_keys[pos] == key) if self._distinct_keys.size else now
        return now | known

    def _record_apart(self) -> None:
        """Remember (``_apart_keys``, until either track is deleted) every pair of tracks
        within ``APART_RADIUS_M`` of each other that one sensor updated with two different
        detections in one group of this step: two targets, whatever happens later."""
        T = self.T
        ev_ids = self._acc.events()[0]
        if ev_ids.size < 2:
            return
        rows = np.flatnonzero(np.isin(T.ids[: T.n], ev_ids))
        if rows.size < 2:
            return
        i, j = assoc.self_pairs(T.x[rows, :2], np.full(rows.size, APART_RADIUS_M))
        if i.size == 0:
            return
        ida, idb = T.ids[rows[i]], T.ids[rows[j]]
        two = self._distinct_evidence(ida, idb)
        if two.any():
            self._apart_keys = np.union1d(self._apart_keys, assoc.pair_key(ida[two], idb[two]))

    def _forget_apart(self, gone: I64) -> None:
        """Drop the seen-apart pairs of tracks that are gone (deleted, or merged into another
        track: ids are never reused), so a service running for days keeps only live pairs."""
        k = self._apart_keys
        if k.size and gone.size:
            self._apart_keys = k[~(np.isin(k >> 32, gone) | np.isin(k & 0xFFFFFFFF, gone))]

    def _known_apart(self, ida: I64, idb: I64) -> NDArray[np.bool_]:
        """(P,) True where tracks ida[i] and idb[i] were seen as two targets
        (:meth:`_record_apart`)."""
        keys = self._apart_keys
        if keys.size == 0 or ida.size == 0:
            return np.zeros(ida.size, dtype=bool)
        key = assoc.pair_key(ida, idb)
        pos = np.minimum(np.searchsorted(keys, key), keys.size - 1)
        return keys[pos] == key

    def _distinct_evidence(self, ida: I64, idb: I64) -> NDArray[np.bool_]:
        """(P,) True where tracks ida[i] and idb[i] were updated by the same sensor in the same
        group of this step with different detections."""
        out = np.zeros(ida.size, dtype=bool)
        ev_ids, ev_code, ev_meas = self._acc.events()
        real = ev_code % (len(self.sensors) + 1) != len(self.sensors)    # not a fix update
        ev_ids, ev_code, ev_meas = ev_ids[real], ev_code[real], ev_meas[real]
        if ev_ids.size == 0:
            return out
        order = np.lexsort((ev_code, ev_ids))
        eid, ecode, emeas = ev_ids[order], ev_code[order], ev_meas[order]
        cmax = int(ecode.max()) + 1
        key = eid * cmax + ecode                       # sorted
        lo = np.searchsorted(eid, idb, "left")
        cnt = np.searchsorted(eid, idb, "right") - lo
        pair = np.repeat(np.arange(ida.size), cnt)
        eb = _ranges(lo, cnt)
        q = ida[pair] * cmax + ecode[eb]
        pos = np.minimum(np.searchsorted(key, q), key.size - 1)
        diff = (key[pos] == q) & (emeas[pos] != emeas[eb])
        out[pair[diff]] = True
        return out

    def _merge_rows(self, drop: I64, partner: I64, acc: _StepAcc, diag: dict[str, int],
                    revisit_max: bool = True, fresher_s: float = 0.0) -> None:
        """Merge rows ``drop`` into their older partners (chains resolved to the oldest).

        Fusion: the kept id (the oldest, lowest id -- or with ``fresher_s`` > 0 the one
        :meth:`_keep_fresher` puts in its row) takes the state (x, P and IMM model states)
        of the group's best-updated member -- smallest horizontal position variance trace.
        Duplicates were fed by overlapping data, so their errors are correlated and a
        Kalman-style fusion would be overconfident; keeping the best estimate is the
        conservative choice (covariance intersection would be at most marginally better here
        because one member is usually far better: radar/ADS-B vs triangulated acoustics).
        Bookkeeping: latest update time, per-kind last_seen and hits are the maxima over the
        group; t_created stays the kept track's own (the oldest's: the group's earliest, or a
        younger one's when it is kept); the identity is kept, or taken from a member.
        """
        T = self.T
        n = T.n
        par = np.arange(n)
        par[drop] = partner[drop]
        for _ in range(64):                              # pointer jumping: depth halves
            nxt = par[par]
            if np.array_equal(nxt, par):
                break
            par = nxt
        root = par[drop]
        if fresher_s > 0:
            self._keep_fresher(root, drop, fresher_s)
        mem = np.concatenate([np.unique(root), drop])
        grp = np.concatenate([np.unique(root), root])
        tr = np.trace(T.P[mem, :2, :2], axis1=1, axis2=2)
        order = np.lexsort((T.ids[mem], tr, grp))
        g_s, m_s = grp[order], mem[order]
        first = np.r_[True, g_s[1:] != g_s[:-1]]
        keep_r, best = g_s[first], m_s[first]
        mv = best != keep_r
        if mv.any():
            kr, br = keep_r[mv], best[mv]
            T.x[kr], T.P[kr] = T.x[br], T.P[br]
            T.P_upd[kr], T.t_pupd[kr] = T.P_upd[br], T.t_pupd[br]
            T.xm[kr], T.Pm[kr], T.mu[kr] = T.xm[br], T.Pm[br], T.mu[br]
            T.revisit[kr] = (np.fmax(T.revisit[kr], T.revisit[br]) if revisit_max
                             else T.revisit[br])
        np.maximum.at(T.t_strong, root, T.t_strong[drop])
        np.maximum.at(T.t_good, root, T.t_good[drop])
        np.maximum.at(T.t_update, root, T.t_update[drop])
        np.maximum.at(T.hits, root, T.hits[drop])
        np.fmax.at(T.last_seen, root, T.last_seen[drop])
        take_id = (T.identity[root] == "") & (T.identity[drop] != "")
        T.identity[root[take_id]] = T.identity[drop[take_id]]
        T.dup_of[keep_r] = -1
        T.dup_n[keep_r] = 0
        acc.merged.append(np.column_stack([T.ids[root], T.ids[drop]]).reshape(-1))
        acc.deleted.extend(T.ids[drop].tolist())
        diag["merged"] = diag.get("merged", 0) + int(drop.size)
        self._forget_apart(T.ids[drop])
        mask = np.ones(n, dtype=bool)
        mask[drop] = False
        T.keep(mask)

    def _keep_fresher(self, root: I64, drop: I64, fresher_s: float) -> None:
        """Per merge group (``root`` row of each ``drop`` row), exchange the root's row with
        the member's last strongly updated ``fresher_s`` or more later, both reported."""
        T = self.T
        g, m = np.concatenate([np.unique(root), root]), np.concatenate([np.unique(root), drop])
        o = np.lexsort((-T.t_strong[m], g))
        g, m = g[o], m[o]
        first = np.r_[True, g[1:] != g[:-1]]
        r, f = g[first], m[first]              # per group: root row, freshest member row
        sw = ((f != r) & (T.t_strong[f] >= T.t_strong[r] + fresher_s)
              & (T.status[f] == CONFIRMED) & (T.status[r] == CONFIRMED))
        if sw.any():
            T.swap(r[sw], f[sw])

    # ---- history -----------------------------------------------------------------------------

    def _append_history(self, acc: _StepAcc) -> None:
        """Write every live track's state and its time into its ring buffer (a slot a step)."""
        T = self.T
        n = T.n
        if n == 0:
            return
        Kh = self.cfg.history_len
        slot = T.hist_count[:n] % Kh
        rows = np.arange(n)
        T.hist_x[rows, slot] = T.x[:n]
        T.hist_t[rows, slot] = T.t_state[:n]
        T.hist_count[:n] += 1


#: A newly confirmed track is stitched into a lost one only when that pairing is at least this
#: many times likelier than the runner-up on either side (another lost track, or another
#: confirmed track that fits the lost one): "substantial" evidence on Jeffreys' scale. Flagship
#: seed 2: ids per platform 1.80 with 1 (mutual best only), 1.88 with 3, 1.97 with 10; tracks
#: that followed more than one platform 26 / 24 / 25 (23 without stitching beyond 800 m).
STITCH_MIN_LR = 3.0

#: Pairs of tracks at most this far apart (horizontal, m) that one sensor saw as two targets
#: are remembered as two for the stitch test; a lost track's rival farther off at the time
#: still counts as a possible continuation (conservative). Before, any reported track in the
#: lost track's wide prediction blocked the stitch -- among bird flocks a few km apart that was
#: the flock's own neighbour. Flagship seeds 1-4 (with ``stitch_gate_prob`` 0.99): ids per
#: platform 1.33 / 1.30 / 1.26 / 1.31 -> 1.28 / 1.26 / 1.24 / 1.30, switches 35 / 44 / 24 /
#: 27 -> 36 / 43 / 23 / 26; the stitches this rule allowed continued the right platform in
#: 52 of 55 checked against truth, the others in 186 of 220 (docs/benchmarks.md s.6,
#: "Rivals seen apart").
APART_RADIUS_M = 10_000.0
