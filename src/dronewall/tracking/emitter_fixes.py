"""New-track fixes from emitter bearing pairs (``emitters.py``), for ``Engine``.

Bearings left over after association and three-sensor triangulation that carry an emitter
feature (an RF protocol, or an acoustic class some emitter has) are paired with each other and
with such leftovers of the last ``emitters.window_s`` seconds (kept in a small buffer), and the
unambiguous pairs become horizontal-only fixes like triangulated ones. Mixin of ``Engine``
(see ``state.py``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.tracking import kernels as K
from dronewall.tracking.emitters import FEATURE_ATTR_COLS, crossfix, emitter_features
from dronewall.tracking.measurements import SUB_HPOS, _GroupMeas, _MeasurementModels
from dronewall.tracking.table import ATTR_NAMES, EMIT_LAST_COLS, N_ATTR

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class EmitterBuffer:
    """Leftover emitter bearings of recent groups: time s, sensor index, azimuth in the
    sensor's ENU rad, its variance rad^2, features (``emitters.FEATURES``)."""

    def __init__(self) -> None:
        self.t = np.zeros(0)
        self.sensor = np.zeros(0, np.int64)
        self.az = np.zeros(0)
        self.var = np.zeros(0)
        self.feat = np.zeros((0, 3))

    def keep(self, mask: NDArray[np.bool_]) -> None:
        self.t, self.sensor, self.az = self.t[mask], self.sensor[mask], self.az[mask]
        self.var, self.feat = self.var[mask], self.feat[mask]

    def add(self, t: F64, sensor: I64, az: F64, var: F64, feat: F64, cap: int) -> None:
        self.t = np.r_[self.t, t][-cap:] if cap else np.zeros(0)
        self.sensor = np.r_[self.sensor, sensor][-cap:] if cap else np.zeros(0, np.int64)
        self.az = np.r_[self.az, az][-cap:] if cap else np.zeros(0)
        self.var = np.r_[self.var, var][-cap:] if cap else np.zeros(0)
        self.feat = np.concatenate([self.feat, feat])[-cap:] if cap else np.zeros((0, 3))


class _EmitterFixes(_MeasurementModels):
    """Emitter cross-fixes of leftover bearings for ``Engine``."""

    _emit_buf: EmitterBuffer

    def _emitter_fixes(self, rest: I64, M: _GroupMeas, tg: float
                       ) -> tuple[tuple[_GroupMeas, F64, F64] | None, I64, F64]:
        """Cross-fixes among the bearings ``rest`` of M and the buffered ones.

        Returns (None or (fixes as SUB_HPOS measurements, init_pos (k, 3), init_cov (k, 3,
        3)) like ``_triangulate`` -- height: the assumed ``bearing_height_agl_m`` above the
        two sensors, a prior; the rows of M the fixes used; each fix's RF bearing as an
        ``_Table.emit_last`` row (k, 5)). Pairs need one bearing of this
        group; used buffered bearings are dropped, this group's unused emitter bearings are
        buffered.
        """
        em = self.cfg.emitters
        buf = self._emit_buf
        buf.keep(tg - buf.t <= em.window_s)
        none = np.zeros(0, np.int64)
        no_last = np.zeros((0, EMIT_LAST_COLS))
        if self.dims != 3 or M.attr is None or rest.size == 0:
            return None, none, no_last
        f = M.attr[rest][:, FEATURE_ATTR_COLS]
        rel = emitter_features(f, em)
        rest, f = rest[rel], f[rel]
        if rest.size == 0:
            return None, none, no_last
        self._supersede(M.sensor[rest].astype(np.int64), M.z[rest, 0], M.R[rest, 0, 0], f)
        # pairs grow as B^2: at most triangulation.max_bearings bearings, this group's first,
        # then the newest buffered ones (a flood of emitter bearings costs bounded time)
        cap = self.cfg.triangulation.max_bearings
        if rest.size > cap:
            rest, f = rest[:cap], f[:cap]
        if buf.t.size + rest.size > cap:
            drop = np.zeros(buf.t.size, bool)
            drop[: buf.t.size + rest.size - cap] = True
            buf.keep(~drop)
        nb = buf.t.size
        buf_t = buf.t.copy()
        s = np.r_[buf.sensor, M.sensor[rest].astype(np.int64)]
        az = np.r_[buf.az, M.z[rest, 0]]
        var = np.r_[buf.var, M.R[rest, 0, 0]]
        feat = np.concatenate([buf.feat, f])
        cur = np.r_[np.zeros(nb, bool), np.ones(rest.size, bool)]
        sp = self._spos[s]
        c = sp.mean(axis=0)
        Ac = self.frame.local_enu_rotation(c)
        q3 = (sp - c) @ Ac.T
        u = np.stack([np.sin(az), np.cos(az), np.zeros_like(az)], axis=1)
        up = np.einsum("nji,nj->ni", self._sA[s], u) @ Ac.T
        res = crossfix(q3[:, :2], np.arctan2(up[:, 0], up[:, 1]), np.sqrt(var), s, feat, cur,
                       em, self.cfg.triangulation)
        keep_buf = ~res.used[:nb]
        buf.keep(keep_buf)
        new = ~res.used[nb:]
        buf.add(np.full(int(new.sum()), tg), s[nb:][new], az[nb:][new], var[nb:][new],
                feat[nb:][new], em.max_buffer)
        k = res.pos.shape[0]
        taken = rest[res.used[nb:]]
        if k == 0:
            return None, taken, no_last
        mem = np.concatenate(res.members).astype(np.int64)
        mem_ptr = np.arange(0, 2 * k + 1, 2, dtype=np.int64)
        mem_sens = s[mem]
        kinds = self._skind[s[mem[0::2]]]
        node_h = 0.5 * (q3[mem[0::2], 2] + q3[mem[1::2], 2])
        pp = np.column_stack([res.pos, node_h + self.cfg.bearing_height_agl_m])
        C = np.zeros((k, 3, 3))
        C[:, :2, :2] = res.cov
        pos = c + pp @ Ac
        cov_h = K.symmetrize(Ac.T @ C @ Ac)            # horizontal only (rank 2), frame axes
        C[:, 2, 2] = self.cfg.bearing_height_sd_m ** 2
        cov = K.symmetrize(Ac.T @ C @ Ac)
        hrot = self.frame.local_enu_rotation(pos)[:, :2, :]
        z = np.full((k, 4), np.nan)
        R = np.zeros((k, 4, 4))
        z[:, :2] = np.einsum("kij,kj->ki", hrot, pos)
        R[:, :2, :2] = K.symmetrize(hrot @ cov_h @ np.swapaxes(hrot, 1, 2))
        gcov = cov_h.copy()
        gcov[:, 2, 2] = np.inf                          # says nothing about height
        virt = np.full(k, len(self.sensors), dtype=np.int32)   # "triangulation" sensor
        # the fix names its emitter's link protocol (either member's; the same if both RF)
        proto = np.fmax(feat[mem[0::2], 0], feat[mem[1::2], 0])
        attr = np.full((k, N_ATTR), np.nan)
        attr[:, ATTR_NAMES.index("rf_protocol")] = proto
        # its RF member (the later one if both are RF) as the new track's last emitter bearing
        ta = np.r_[buf_t, np.full(rest.size, tg)]
        a, b = mem[0::2], mem[1::2]
        rf_b = np.isfinite(feat[b, 0]) & (~np.isfinite(feat[a, 0]) | (ta[b] >= ta[a]))
        r = np.where(rf_b, b, a)
        last = np.column_stack([ta[r], s[r].astype(np.float64), feat[r]])
        F = _GroupMeas(np.full(k, SUB_HPOS, np.int8), z, R, virt, kinds,
                       np.full(k, "", dtype=object), pos.copy(), gcov, hrot, mem_ptr, mem_sens,
                       attr=attr)
        return (F, pos, cov), taken, last

    def _supersede(self, sens: I64, az: F64, var: F64, feat: F64) -> None:
        """Drop buffered bearings that a new bearing (sensors ``sens``, azimuths ``az`` rad,
        variances ``var``, features ``feat``) supersedes: the same sensor, the same features,
        within 3 sd in azimuth -- the same emitter seen again. (Otherwise an acoustic bearing
        found the emitter's RF bearing of now and of 2 s ago as two partners: ambiguous.)"""
        buf = self._emit_buf
        if buf.t.size == 0 or sens.size == 0:
            return
        same = buf.sensor[:, None] == sens[None, :]
        fb, fn = buf.feat[:, None, :2], feat[None, :, :2]
        same &= ((fb == fn) | (np.isnan(fb) & np.isnan(fn))).all(axis=2)
        dz = np.abs(np.arctan2(np.sin(buf.az[:, None] - az[None, :]),
                               np.cos(buf.az[:, None] - az[None, :])))
        same &= dz <= 3.0 * np.sqrt(buf.var[:, None] + var[None, :])
        buf.keep(~same.any(axis=1))

