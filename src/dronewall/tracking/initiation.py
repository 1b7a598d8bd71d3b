"""Track initiation: which leftover measurements of a group start tentative tracks, and how.

Leftover bearings are triangulated into fixes, which first update existing tracks as
horizontal-only measurements; leftover fixes and leftover position-type measurements start new
tracks unless they lie next to a confirmed track that other sensors hold (initiation
exclusion); leftovers of different sensors that gate together are fused into one new track.
Mixin of ``Engine`` (see ``state.py``); it derives from the update mixin because fixes update
existing tracks before initiating.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from dronewall.tracking import association as assoc
from dronewall.tracking import kernels as K
from dronewall.tracking.bearings import triangulate
from dronewall.tracking.emitter_fixes import _EmitterFixes
from dronewall.tracking.measurements import (
    SUB_AZEL,
    SUB_HPOS,
    SUB_RADAR3,
    SUB_RADAR4,
    SUB_XY,
    _GroupMeas,
)
from dronewall.tracking.table import (
    ATTR_NAMES,
    CONFIRMED,
    EMIT_LAST_COLS,
    TENTATIVE,
    _ranges,
    _StepAcc,
)
from dronewall.tracking.update import _GroupUpdate

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
_ATTR_RF = ATTR_NAMES.index("rf_protocol")
#: New-track candidates: position (k, d) m, covariance (k, d, d) m^2, cooperative identity
#: (k,) ("" none), SensorKind (k,) of the (first) sensor, and what a radar plot adds
#: (k, d + 3): the range rate's gradient with respect to the velocity (d,), the range rate m/s
#: and its variance m^2/s^2 (NaN: no range rate), and 1 where the candidate is a radar plot in
#: range/azimuth/elevation -- the track score's measurement space -- else 0; last, an emitter
#: cross-fix's RF bearing (k, EMIT_LAST_COLS) as ``_Table.emit_last`` (NaN: none).
Candidates = tuple[F64, F64, NDArray[np.object_], NDArray[np.int8], F64, F64]


class _TrackInitiation(_GroupUpdate, _EmitterFixes):
    """Initiation exclusion, triangulation, leftover fusion and new tracks for ``Engine``."""

    def _fix_candidates(self, left_ang: I64, M: _GroupMeas, tg: float, hit: NDArray[np.bool_],
                        opp: NDArray[np.bool_], n0: int, tim: dict[str, float],
                        diag: dict[str, int]) -> Candidates | None:
        """Triangulate leftover bearings ``left_ang`` of M; the fixes first update existing
        tracks (horizontal-only measurements), the leftover fixes away from confirmed tracks
        are returned as new-track candidates (None: none)."""
        tri, _ = self._triangulate(left_ang, M)
        return self._fixes_to_candidates(tri, "triangulated", tg, hit, opp, n0, tim, diag)

    def _emitter_candidates(self, ang: I64, M: _GroupMeas, tg: float, used: NDArray[np.bool_],
                            hit: NDArray[np.bool_], opp: NDArray[np.bool_], n0: int,
                            tim: dict[str, float], diag: dict[str, int]) -> Candidates | None:
        """Emitter cross-fixes (``emitters.py``) of the bearings ``ang`` of M that confirmed
        tracks did not take, made before tentative tracks get bearings (a vague tentative
        track next to an emitter would otherwise take its bearings one by one, each too weak
        to fix it); their bearings are marked ``used``. The fixes update existing tracks;
        the leftover fixes are returned as new-track candidates (None: none)."""
        fx, taken, last = self._emitter_fixes(ang, M, tg)
        used[taken] = True
        return self._fixes_to_candidates(fx, "emitter_fixes", tg, hit, opp, n0, tim, diag,
                                         last)

    def _fixes_to_candidates(self, fx: tuple[_GroupMeas, F64, F64] | None, name: str, tg: float,
                             hit: NDArray[np.bool_], opp: NDArray[np.bool_], n0: int,
                             tim: dict[str, float], diag: dict[str, int],
                             last: F64 | None = None) -> Candidates | None:
        """Fixes ``fx`` (``_triangulate``'s form) first update existing tracks, confirmed ones
        first; the leftovers away from confirmed tracks are new-track candidates (``last``
        (k, EMIT_LAST_COLS): an emitter fix's RF bearing, the new track's last emitter
        bearing; None: none)."""
        if fx is None:
            return None
        Fm, fpos, fcov = fx
        k = fpos.shape[0]
        diag[name] = diag.get(name, 0) + k
        # a fix is first a horizontal-only measurement of existing tracks ...
        fused = np.zeros(k, dtype=bool)
        self._associate_by_status(np.arange(k), Fm, tg, fused, hit, opp, tim, diag)
        if fused.any():
            diag["fix_updates"] = diag.get("fix_updates", 0) + int(fused.sum())
        # ... and only a leftover fix away from confirmed tracks starts a new track,
        # with the assumed height and its large variance
        lf = np.flatnonzero(~fused)
        lf = lf[self._init_exclusion(lf, Fm, n0, diag)]
        lf = lf[self._clutter_map_keep(fpos[lf], fcov[lf], Fm.identity[lf], diag)]
        if lf.size:
            em = last[lf] if last is not None else np.full((lf.size, EMIT_LAST_COLS), np.nan)
            return (fpos[lf], fcov[lf], Fm.identity[lf], Fm.skind[lf],
                    self._radar_info(lf, Fm, fpos[lf], plots=False), em)
        return None

    def _position_candidates(self, left_pos: I64, M: _GroupMeas, n0: int,
                             diag: dict[str, int]) -> Candidates | None:
        """New-track candidates from leftover position-type rows ``left_pos`` of M: those not
        excluded, fused across sensors (None: none)."""
        left_pos = left_pos[self._init_exclusion(left_pos, M, n0, diag)]
        left_pos = left_pos[self._clutter_map_keep(M.gpos[left_pos], M.gcov[left_pos],
                                                   M.identity[left_pos], diag)]
        if left_pos.size:
            c = self._merge_leftovers(left_pos, M)
            return c[0], c[1], c[2], c[3], c[4], np.full((c[0].shape[0], EMIT_LAST_COLS),
                                                         np.nan)
        return None

    def _initiate_candidates(self, tg: float, cands: list[Candidates], acc: _StepAcc,
                             diag: dict[str, int] | None = None) -> None:
        """Start tentative tracks at ``tg`` from the candidate lists, in order, within the
        step's initiation budget (:meth:`_budget_keep`)."""
        pos = np.concatenate([c[0] for c in cands])
        cov = np.concatenate([c[1] for c in cands])
        ident = np.concatenate([c[2] for c in cands])
        kinds = np.concatenate([c[3] for c in cands])
        radar = np.concatenate([c[4] for c in cands])
        last = np.concatenate([c[5] for c in cands])
        keep = self._budget_keep(pos, cov, ident, len(acc.new), diag if diag is not None else {})
        if not keep.all():
            pos, cov, ident, kinds = pos[keep], cov[keep], ident[keep], kinds[keep]
            radar, last = radar[keep], last[keep]
        n_before = self.T.n
        # an emitter fix names its platform type: its top speed bounds the velocity prior
        vsd = self.cfg.emitters.velocity_sd(last[:, 2], self.cfg.init_velocity_sd_mps)
        self._initiate(tg, pos, cov, ident, kinds, acc, radar, vsd)
        em = np.isfinite(last[:, 0])
        if em.any() and self.T.n - n_before == em.size:
            # an emitter cross-fix names the link protocol of the new track, and its RF
            # bearing is the track's last emitter bearing (emitters.py)
            rows = n_before + np.flatnonzero(em)
            self.T.emit_last[rows] = last[em]
            self.T.attr[rows, _ATTR_RF] = last[em, 2]
            self.T.attr_t[rows, _ATTR_RF] = tg

    def _condition_on_range_rate(self, x: F64, P: F64, radar: F64) -> None:
        """Condition the velocity prior of new tracks (x (k, n), P (k, n, n), in place) on the
        range rate of their radar plot: a scalar Kalman update of the velocity block with
        rr = g . v, g the range rate's velocity gradient and the plot's rr variance. A radar
        that measures range rate to ~1 m/s fixes the radial velocity at the first plot, so
        the second plot is predicted to metres in range and m/s in range rate instead of the
        50 m/s prior's kilometres (tighter gate, stronger track score)."""
        d = self.dims
        has = np.flatnonzero(np.isfinite(radar[:, d]) & np.isfinite(radar[:, d + 1])
                             & np.isfinite(radar[:, :d]).all(axis=1))
        if has.size == 0:
            return
        g = radar[has, :d]
        Pv = P[has, d:, d:]
        Pg = np.einsum("kij,kj->ki", Pv, g)
        s = np.einsum("ki,ki->k", g, Pg) + radar[has, d + 1]
        good = s > 0
        has, g, Pv, Pg, s = has[good], g[good], Pv[good], Pg[good], s[good]
        gain = Pg / s[:, None]
        innov = radar[has, d] - np.einsum("ki,ki->k", g, x[has, d:])
        x[has, d:] += gain * innov[:, None]
        P[has, d:, d:] = K.symmetrize(Pv - gain[:, :, None] * Pg[:, None, :])

    # ---------------------------------------------------------------- overload protection

    @staticmethod
    def _priority(cov: F64, ident: NDArray[np.object_]) -> I64:
        """Initiation priority order of candidates (best first): a cooperative identity, then
        the smallest horizontal position variance (trace), then arrival order."""
        c = np.where(np.isfinite(cov[:, :2, :2]), cov[:, :2, :2], np.inf)
        tr = np.trace(c, axis1=1, axis2=2)
        no_id = np.asarray(ident == "", dtype=bool).reshape(-1)
        return np.lexsort((np.arange(tr.size), tr, no_id)).astype(np.int64)

    def _clutter_map_keep(self, pos: F64, cov: F64, ident: NDArray[np.object_],
                          diag: dict[str, int]) -> NDArray[np.bool_]:
        """Keep-mask over new-track candidates (positions ``pos`` (k, d) m in the engine frame):
        the clutter map of this group.

        Candidates are binned into horizontal cells of ``init_cell_m``; in a cell holding more
        than ``init_cell_max_new`` of them (a density no real traffic reaches: clutter, jamming
        or a flood) only that many are kept, by :meth:`_priority` -- the initiation threshold
        is raised there, like a clutter map raises a radar's detection threshold -- and the
        others are shed and counted in ``diag["init_shed_dense"]``. Sparse cells are untouched,
        so normal data initiates exactly as without the map."""
        k = pos.shape[0]
        cap = self.cfg.init_cell_max_new
        keep = np.ones(k, dtype=bool)
        if k <= cap:
            return keep
        # integer cell key (x cell * 2^21 + y cell): positions are inside the surveillance
        # volume, so |cell index| < 2^20 for any sensible cell size; clipping only merges
        # far-off cells
        c = np.clip(np.floor(np.nan_to_num(pos[:, :2]) / self.cfg.init_cell_m), -(2**20),
                    2**20 - 1).astype(np.int64)
        key = (c[:, 0] + 2**20) * 2**21 + (c[:, 1] + 2**20)
        _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
        inv = inv.reshape(-1)
        dense = cnt[inv] > cap
        if not dense.any():
            return keep
        rows = np.flatnonzero(dense)
        pr = self._priority(cov[rows], ident[rows])
        rank_in = np.empty(rows.size, np.int64)
        rank_in[pr] = np.arange(rows.size)           # priority rank of each dense row
        order = np.lexsort((rank_in, inv[rows]))      # by cell, then priority
        c_sorted = inv[rows][order]
        first = np.r_[0, np.flatnonzero(np.diff(c_sorted)) + 1]
        pos_in_cell = np.arange(order.size) - np.repeat(first, np.diff(np.r_[first, order.size]))
        shed = rows[order[pos_in_cell >= cap]]
        keep[shed] = False
        diag["init_shed_dense"] = diag.get("init_shed_dense", 0) + int(shed.size)
        diag["init_dense_cells"] = diag.get("init_dense_cells", 0) + int((cnt > cap).sum())
        return keep

    def _budget_keep(self, pos: F64, cov: F64, ident: NDArray[np.object_], started: int,
                     diag: dict[str, int]) -> NDArray[np.bool_]:
        """Keep-mask over the candidates of one group: at most ``max_new_tracks_per_step``
        new tracks per step (``started`` already this step) and none beyond
        ``max_tentative_tracks`` live tentative tracks; the best by :meth:`_priority` are
        kept, the rest shed (``init_shed_budget`` / ``init_shed_tentative_cap``)."""
        k = pos.shape[0]
        keep = np.ones(k, dtype=bool)
        n = self.T.n
        tentative = int(np.count_nonzero(self.T.status[:n] == TENTATIVE))
        by_step = max(self.cfg.max_new_tracks_per_step - started, 0)
        by_cap = max(self.cfg.max_tentative_tracks - tentative, 0)
        room = min(by_step, by_cap)
        if k <= room:
            return keep
        keep[:] = False
        keep[self._priority(cov, ident)[:room]] = True
        reason = "init_shed_budget" if by_step <= by_cap else "init_shed_tentative_cap"
        diag[reason] = diag.get(reason, 0) + (k - room)
        return keep

    def _init_exclusion(self, cand: I64, M: _GroupMeas, n0: int,
                        diag: dict[str, int]) -> NDArray[np.bool_]:
        """Keep-mask over leftover measurement rows ``cand`` of M: False where the row lies
        within ``init_exclusion_mahalanobis`` (normalised Mahalanobis, measurement space) of a
        confirmed track that other sensors updated in this group and none of the row's sensors
        did.

        Such a row is an outlier of a target that other data hold right now (outside the gate
        because of a sensor bias, an unmodelled height or a bad fix), not a new target;
        initiating from it creates the duplicate tracks that followed targets seen by several
        sensor kinds. Not excluded: (a) a row whose sensor updated the track in this group with
        another detection -- the sensor sees two objects there; (b) a row near a track that
        nothing updated in this group -- the track may be losing its target (a manoeuvre with a
        single sensor) and a new track must be able to start; a duplicate that survives is left
        to ``management._merge_duplicates``.
        """
        keep = np.ones(cand.size, dtype=bool)
        g_ex = self.cfg.init_exclusion_mahalanobis
        if g_ex <= 0 or cand.size == 0:
            return keep
        T = self.T
        # updates in this group: (track id, sensor); the virtual sensor S = triangulated fixes
        ev_ids, ev_code, _ = self._acc.events()
        ns1 = len(self.sensors) + 1
        cur = ev_code // ns1 == self._gseq
        ev_ids, ev_sens = ev_ids[cur], ev_code[cur] % ns1
        if ev_ids.size == 0:
            return keep                      # no track was updated in this group
        c_sens = (M.sensor[cand] if M.mem_sens is None else M.mem_sens).astype(np.int64)
        if np.unique(np.concatenate([ev_sens, c_sens])).size == 1:
            return keep                      # one sensor only: every near pair has evidence
        crow = np.flatnonzero((T.status[:n0] == CONFIRMED) & (T.t_update[:n0] == self._t_group))
        if crow.size == 0:
            return keep
        gc = M.gcov[cand, :2, :2]
        mtr = float(np.trace(np.where(np.isfinite(gc), gc, 0.0), axis1=1, axis2=2).max())
        trp = np.trace(T.P[crow, :2, :2], axis1=1, axis2=2)
        radius = g_ex * np.sqrt(trp + mtr) + self._tilt_margin(T.x[crow, : self.dims])
        ti, mj = assoc.gate_pairs(T.x[crow, :2], radius, M.gpos[cand, :2])
        if ti.size == 0:
            return keep
        prow, pm = crow[ti], cand[mj]
        # position only: a radar plot on top of a held track is its outlier even when its
        # range rate disagrees (a turn between scans); a second target there shows itself by
        # its sensor updating the track with another plot (evidence, below)
        Mp = replace(M, sub=np.where(M.sub == SUB_RADAR4, SUB_RADAR3, M.sub).astype(np.int8))
        d2, _ = self._pair_stats(prow, pm, Mp)
        near = d2 <= g_ex ** 2
        if not near.any():
            return keep
        prow, pm, mj = prow[near], pm[near], mj[near]
        # evidence of a second target: a sensor of the row updated the track in this group
        ev_key = ev_ids * ns1 + ev_sens
        if M.mem_ptr is None or M.mem_sens is None:
            pair = np.arange(pm.size)
            sens = M.sensor[pm].astype(np.int64)
        else:
            cnt = M.mem_ptr[pm + 1] - M.mem_ptr[pm]
            pair = np.repeat(np.arange(pm.size), cnt)
            sens = M.mem_sens[_ranges(M.mem_ptr[pm], cnt)]
        evid = np.zeros(pm.size, dtype=bool)
        if ev_key.size:
            shared = np.isin(T.ids[prow[pair]] * ns1 + sens, ev_key)
            evid[pair[shared]] = True
        excl = np.unique(mj[~evid])
        keep[excl] = False
        diag["init_excluded"] = diag.get("init_excluded", 0) + int(excl.size)
        return keep

    def _triangulate(self, ang: I64, M: _GroupMeas
                     ) -> tuple[tuple[_GroupMeas, F64, F64] | None, NDArray[np.bool_]]:
        """Triangulate leftover bearings ang of M.

        Returns (None if no point is accepted, else (fixes, init_pos (k, d), init_cov (k, d,
        d)); the bearings used (ang.size,) bool):
        ``fixes`` holds the points as measurements of existing tracks -- in 3-D a horizontal-only
        SUB_HPOS measurement z = A_h p (east/north in the tangent plane at the fix, A_h the first
        two rows of the local ENU rotation there), R = A_h C_h A_h^T with C_h the horizontal
        Cramér-Rao covariance; in 2-D plain XY. ``init_pos``/``init_cov`` add the height for
        initiating a new track: from EO/IR elevations when the fix has some, otherwise the
        assumed ``bearing_height_agl_m`` above the nodes with sd ``bearing_height_sd_m``.
        """
        d = self.dims
        s = M.sensor[ang]
        sp = self._spos[s]
        if d == 3:
            c = sp.mean(axis=0)
            Ac = self.frame.local_enu_rotation(c)
        else:
            c = np.zeros(3)
            Ac = np.eye(3)
        q3 = (sp - c) @ Ac.T
        az = M.z[ang, 0]
        u = np.stack([np.sin(az), np.cos(az), np.zeros_like(az)], axis=1)
        # sensor ENU -> frame -> plane ENU
        uf = np.einsum("nji,nj->ni", self._sA[s], u)
        up = uf @ Ac.T
        az_p = np.arctan2(up[:, 0], up[:, 1])
        sig = np.sqrt(M.R[ang, 0, 0])
        res = triangulate(q3[:, :2], az_p, sig, s.astype(np.int64), self.cfg.triangulation)
        k = res.pos.shape[0]
        if k == 0:
            return None, res.used
        cnt = np.array([m_.size for m_ in res.members], dtype=np.int64)
        mem = np.concatenate(res.members).astype(np.int64)          # rows into ang
        fix_of = np.repeat(np.arange(k), cnt)
        mem_ptr = np.r_[0, np.cumsum(cnt)].astype(np.int64)
        mem_sens = s[mem].astype(np.int64)
        kinds = M.skind[ang[mem_ptr[:-1]]]
        ident = np.full(k, "", dtype=object)
        virt = np.full(k, len(self.sensors), dtype=np.int32)       # "triangulation" sensor
        z = np.full((k, 4), np.nan)
        R = np.zeros((k, 4, 4))
        if d == 2:
            z[:, :2] = res.pos
            R[:, :2, :2] = res.cov
            F = _GroupMeas(np.full(k, SUB_XY, np.int8), z, R, virt, kinds, ident,
                           res.pos.copy(), res.cov.copy(), None, mem_ptr, mem_sens)
            return (F, res.pos, res.cov), res.used
        # height: from elevations, h = h_s + rho tan(el), var ~ (rho sigma_el / cos^2 el)^2
        # (inverse-variance weighted over the fix's AZEL members), else the assumed height
        gi = ang[mem]
        azel = M.sub[gi] == SUB_AZEL
        h = q3[mem, 2].astype(np.float64)
        w = np.zeros(mem.size)
        hs = np.zeros(mem.size)
        if azel.any():
            ia = np.flatnonzero(azel)
            rho = np.hypot(res.pos[fix_of[ia], 0] - q3[mem[ia], 0],
                           res.pos[fix_of[ia], 1] - q3[mem[ia], 1])
            el = M.z[gi[ia], 1]
            hs[ia] = q3[mem[ia], 2] + rho * np.tan(el)
            w[ia] = 1.0 / (rho * np.sqrt(M.R[gi[ia], 1, 1]) / np.cos(el) ** 2) ** 2
        wsum = np.bincount(fix_of, w, minlength=k)
        has_el = wsum > 0
        node_h = np.bincount(fix_of, h, minlength=k) / cnt
        hgt = np.where(has_el, np.bincount(fix_of, w * hs, minlength=k) / np.where(has_el, wsum,
                                                                                  1.0),
                       node_h + self.cfg.bearing_height_agl_m)
        hv = np.where(has_el, 1.0 / np.where(has_el, wsum, 1.0), self.cfg.bearing_height_sd_m ** 2)
        pp = np.column_stack([res.pos, hgt])
        C = np.zeros((k, 3, 3))
        C[:, :2, :2] = res.cov
        pos = c + pp @ Ac
        cov_h = K.symmetrize(Ac.T @ C @ Ac)            # horizontal only (rank 2), frame axes
        C[:, 2, 2] = hv
        cov = K.symmetrize(Ac.T @ C @ Ac)
        hrot = self.frame.local_enu_rotation(pos)[:, :2, :]
        z[:, :2] = np.einsum("kij,kj->ki", hrot, pos)
        R[:, :2, :2] = K.symmetrize(hrot @ cov_h @ np.swapaxes(hrot, 1, 2))
        gcov = cov_h.copy()
        gcov[:, 2, 2] = np.inf                          # says nothing about height
        F = _GroupMeas(np.full(k, SUB_HPOS, np.int8), z, R, virt, kinds, ident, pos.copy(),
                       gcov, hrot, mem_ptr, mem_sens)
        return (F, pos, cov), res.used

    def _radar_info(self, rows: I64, M: _GroupMeas, pos: F64, plots: bool = True) -> F64:
        """What rows of M at positions pos add as radar plots (k, d + 3), see ``Candidates``
        (``plots`` False: fixes, none)."""
        d = self.dims
        out = np.full((rows.size, d + 3), np.nan)
        out[:, d + 2] = 0.0
        if not plots:
            return out
        out[:, d + 2] = np.isin(M.sub[rows], (SUB_RADAR3, SUB_RADAR4))
        rr = np.flatnonzero(M.sub[rows] == SUB_RADAR4)
        if rr.size:
            r = rows[rr]
            x0 = np.zeros((rr.size, self.ns))
            x0[:, :d] = pos[rr]
            s = M.sensor[r]
            H = K.radar_predict_meas(x0, self._spos[s], self._sA[s], d, True).H
            out[rr, :d] = H[:, 3, d:2 * d]
            out[rr, d] = M.z[r, 3]
            out[rr, d + 1] = M.R[r, 3, 3]
        return out

    def _merge_leftovers(self, left: I64, M: _GroupMeas
                         ) -> tuple[F64, F64, NDArray[np.object_], NDArray[np.int8], F64]:
        """Fuse leftover position measurements of *different* sensors that gate together."""
        d = self.dims
        p = M.gpos[left]
        C = M.gcov[left]
        Cf = np.where(np.isfinite(C), C, 0.0)
        if d == 3:
            Cf = Cf.copy()
            inf_h = ~np.isfinite(C[:, 2, 2])
            Cf[inf_h, 2, 2] = self.cfg.bearing_height_sd_m ** 2
            p = p.copy()
            p[inf_h, 2] = self._spos[M.sensor[left[inf_h]], 2] + self.cfg.bearing_height_agl_m
        ident = M.identity[left]
        kinds = M.skind[left]
        sens = M.sensor[left]
        radar = self._radar_info(left, M, p)
        if left.size < 2 or np.unique(sens).size < 2:
            return p, Cf, ident, kinds, radar
        rad = self.cfg.gate_mahalanobis * np.sqrt(2.0 * np.trace(Cf, axis1=1, axis2=2))
        tree = cKDTree(p)
        pairs = tree.query_pairs(float(rad.max()), output_type="ndarray")
        if pairs.size == 0:
            return p, Cf, ident, kinds, radar
        a, b = pairs[:, 0], pairs[:, 1]
        keep = sens[a] != sens[b]
        a, b = a[keep], b[keep]
        if a.size:
            y = p[a] - p[b]
            d2, _, _ = K.mahalanobis_sq(y, Cf[a] + Cf[b])
            g = d2 <= self._chi2_gate
            a, b = a[g], b[g]
        if a.size == 0:
            return p, Cf, ident, kinds, radar
        gm = coo_matrix((np.ones(a.size), (a, b)), shape=(left.size, left.size))
        nc, lab = connected_components(gm, directed=False)
        out_p, out_c, out_i, out_k, out_v = [], [], [], [], []
        for c_ in range(nc):
            mem = np.flatnonzero(lab == c_)
            if mem.size > 1 and np.unique(sens[mem]).size == mem.size:
                Lc, ok = K.cholesky_batched(Cf[mem])
                if ok.all():
                    info = K.chol_solve(Lc, np.broadcast_to(np.eye(d), (mem.size, d, d)).copy())
                    Itot = info.sum(axis=0)
                    iv = np.einsum("nij,nj->ni", info, p[mem]).sum(axis=0)
                    L1, ok1 = K.cholesky_batched(Itot[None])
                    if ok1[0]:
                        cov = K.chol_solve(L1, np.eye(d)[None])[0]
                        out_p.append(cov @ iv)
                        out_c.append(K.symmetrize(cov))
                        ids = [str(v) for v in ident[mem] if v != ""]
                        out_i.append(ids[0] if ids else "")
                        out_k.append(kinds[mem[0]])
                        fin = mem[np.isfinite(radar[mem, d])]   # a member's range rate, if any
                        v = (radar[fin[0]] if fin.size else radar[mem[0]]).copy()
                        v[d + 2] = radar[mem, d + 2].max()       # a radar plot among them
                        out_v.append(v)
                        continue
            for i in mem:
                out_p.append(p[i])
                out_c.append(Cf[i])
                out_i.append(ident[i])
                out_k.append(kinds[i])
                out_v.append(radar[i])
        return (np.array(out_p), np.array(out_c), np.array(out_i, dtype=object),
                np.array(out_k, dtype=np.int8), np.array(out_v))

    def _initiate(self, tg: float, pos: F64, cov: F64, ident: NDArray[np.object_],
                  kinds: NDArray[np.int8], acc: _StepAcc, radar: F64,
                  vsd: F64 | None = None) -> None:
        """Start tentative tracks at tg (s) at positions pos (k, d) m with covariances cov
        (k, d, d) m^2 and the velocity prior of the config (horizontal sd ``vsd`` (k,) m/s
        where given), conditioned on the radar's range
        rate where the plot has one (``radar``, see ``Candidates``); rows with non-finite input
        are skipped."""
        T = self.T
        k = pos.shape[0]
        d = self.dims
        ok = np.isfinite(pos).all(axis=1) & np.isfinite(cov).all(axis=(1, 2))
        pos, cov, ident, kinds, radar = pos[ok], cov[ok], ident[ok], kinds[ok], radar[ok]
        k = pos.shape[0]
        vsd = (np.full(k, self.cfg.init_velocity_sd_mps) if vsd is None
               else np.asarray(vsd, np.float64)[ok])
        if k == 0:
            return
        T.reserve(k)
        rows = np.arange(T.n, T.n + k)
        x = np.zeros((k, self.ns))
        x[:, :d] = pos
        P = np.zeros((k, self.ns, self.ns))
        P[:, :d, :d] = cov
        for j in range(d):
            P[:, d + j, d + j] = vsd ** 2
        if d == 3:
            # horizontal/vertical velocity prior along the local vertical
            up = self.frame.local_up(pos)
            for v in np.unique(vsd):
                sel = vsd == v
                P[sel, 3:, 3:] = K.accel_density_matrix(
                    float(v) ** 2, self.cfg.init_vertical_velocity_sd_mps ** 2, 3, up[sel],
                    int(sel.sum()))
        self._condition_on_range_rate(x, P, radar)
        T.x[rows] = x
        T.P[rows] = P
        T.P_upd[rows] = P
        T.t_pupd[rows] = tg
        if self.r > 1:
            T.xm[rows] = x[:, None, :]
            T.Pm[rows] = P[:, None, :, :]
            T.mu[rows] = self._mu0
        else:
            T.mu[rows] = 1.0
        ids = np.arange(self._next_id, self._next_id + k, dtype=np.int64)
        self._next_id += k
        T.ids[rows] = ids
        T.status[rows] = TENTATIVE
        T.hits[rows] = 1
        T.opps[rows] = 1
        T.t_state[rows] = tg
        T.t_update[rows] = tg
        T.t_created[rows] = tg
        T.identity[rows] = ident
        T.last_seen[rows] = np.nan
        T.last_seen[rows, kinds] = tg
        T.hist_count[rows] = 0
        T.revisit[rows] = np.nan
        T.t_strong[rows] = tg
        T.t_good[rows] = tg
        T.reacq_n[rows] = 0
        T.dup_of[rows] = -1
        T.dup_n[rows] = 0
        T.held[rows] = False
        T.attr[rows] = np.nan
        T.emit_last[rows] = np.nan
        T.attr_t[rows] = np.nan
        # track score (config.score_false_alarm_density_m3): from 0 for a track a radar plot
        # (range, azimuth, elevation) started; a radar node reporting positions is not scored
        scored = (radar[:, d + 2] > 0) & self._score_on
        T.score[rows] = np.where(scored, 0.0, np.nan)
        T.n += k
        acc.new.extend(ids.tolist())
