"""Emitter cross-fixes: two bearings that name the same emitter localise it.

Bearing triangulation needs three sensors (``bearings.py``): two bearings always intersect,
and with several targets the intersections of bearings of *different* targets are ghosts that
nothing tells from the true points. That leaves a quiet multirotor heard by one acoustic node
and detected by one RF direction finder untracked, although the two sensors fix it.

Two bearings *can* be paired when their features say they come from one emitter:

* two RF bearings from different detectors that report the same link protocol (a DJI OcuSync
  control link is not a Wi-Fi access point's or an analogue video transmitter's), or
* an RF bearing with protocol ``p`` and an acoustic bearing whose node's classifier reports a
  signature class ``a`` that a known emitter platform has together with ``p``
  (:attr:`EmitterParams.signatures`, built from the platform catalogue by the caller), **and**
  the crossing lies within the range at which that node can hear such a platform: the node
  reports the received level ``RL``, the signature's loudest source level ``SL`` bounds the
  range by spherical spreading, ``R <= 10^((SL - RL) / 20)`` (absorption only shortens it).
  A quiet quadcopter heard at 21 dB re 20 uPa is within ~2 km of the node, which removes the
  far crossings of its bearing with another emitter's RF bearing.

A pairing is used only when it is **unambiguous**: each of its two bearings has exactly one
valid partner. Two emitters of one protocol near one node leave two RF bearings that both fit
the node's bearing: no fix is made (a ghost would be a false track; no fix is no claim).

Bearings of such a pair may be up to :attr:`EmitterParams.window_s` apart (RF detectors and
acoustic nodes report on their own clocks; a multirotor moves ~45 m in 3 s, well inside the
RF bearing's wedge at range). The same rule, applied to the bearings that update an existing
track (now, or the track's last emitter bearing within the window), makes such an update
*strong* (``management._count_strong_updates``): the pair fixes the track as three bearings
would.

Everything here is off unless ``signatures`` is non-empty (``pipeline.tracking`` turns it on
for simulated and live scenarios).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from dronewall.tracking.bearings import TriangulationParams, TriangulationResult, ray_crossings
from dronewall.tracking.kernels import wrap_angle
from dronewall.tracking.table import ATTR_NAMES, _ranges, _Table

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Columns of a bearing's feature row: RF protocol code, acoustic signature class code,
#: acoustic received level dB re 20 uPa (NaN: none).
FEATURES = ("rf_protocol", "acoustic_class", "received_level_db")
#: Where they are in a detection's attribute row (``measurements.detection_attributes``: a
#: detection's ``acoustic_sl_db`` column holds the received level until an update converts it).
FEATURE_ATTR_COLS = [ATTR_NAMES.index(n) for n in ("rf_protocol", "acoustic_class",
                                                   "acoustic_sl_db")]


@dataclass(frozen=True)
class EmitterParams:
    """Emitter cross-fix settings (see the module docstring)."""

    signatures: tuple[tuple[int, int, float, float], ...] = ()
    """(RF protocol code, acoustic class code, loudest source level dB re 20 uPa @ 1 m, top
    speed m/s) of the emitter platforms the wall knows; empty: cross-fixes off."""
    window_s: float = 3.0
    """Two bearings of a pair may be this far apart in time, s."""
    max_range_m: float = 20_000.0
    """An RF bearing with a protocol updates tracks and pairs for cross-fixes out to this
    horizontal range from its detector, m (other bearings: ``bearing_max_range_m``)."""
    max_sd_m: float = 800.0
    """Largest position sd of an accepted cross-fix, m."""
    max_buffer: int = 400
    """Leftover emitter bearings kept for pairing with later ones (oldest dropped first)."""

    @property
    def on(self) -> bool:
        return len(self.signatures) > 0

    def validate(self) -> list[str]:
        bad = []
        if not (0.0 <= self.window_s <= 30.0):
            bad.append(f"emitters.window_s must be in [0, 30] s, got {self.window_s}")
        if not (self.max_range_m > 0 and self.max_sd_m > 0 and self.max_buffer >= 0):
            bad.append("emitters.max_range_m, max_sd_m must be > 0 and max_buffer >= 0")
        for s in self.signatures:
            if len(s) != 4 or not np.isfinite(s[2]) or not (np.isfinite(s[3]) and s[3] > 0):
                bad.append(f"emitters.signatures entry {s!r}: need (protocol, class, level dB, "
                           "top speed m/s > 0)")
        return bad

    def velocity_sd(self, proto: F64, default: float) -> F64:
        """Prior sd of each horizontal velocity component of a new track whose emitter fix
        names link protocol ``proto`` (k,): half the fastest known platform's top speed with
        that protocol, at most ``default`` (NaN or unknown protocol: ``default``), m/s."""
        out = np.full(proto.shape, float(default))
        if not self.signatures:
            return out
        S = np.asarray(self.signatures, dtype=np.float64).reshape(-1, 4)
        m = proto[:, None] == S[None, :, 0]
        top = np.where(m, S[None, :, 3], -np.inf).max(axis=1, initial=-np.inf)
        return np.where(np.isfinite(top), np.minimum(out, 0.5 * top), out)


def emitter_features(f: F64, params: EmitterParams) -> NDArray[np.bool_]:
    """Which bearings (features ``f`` (k, 3)) could be half of an emitter pair: an RF
    protocol, or an acoustic class some signature has."""
    return np.isfinite(f[:, 0]) | np.isin(f[:, 1], [sig[1] for sig in params.signatures])


def pair_levels(fa: F64, fb: F64, params: EmitterParams) -> tuple[NDArray[np.bool_], F64, F64]:
    """Which bearing pairs (features ``fa``, ``fb`` (k, 3), see ``FEATURES``) may come from one
    emitter, and the hearing-range bound of each side, m (inf: none; RF sides have none).

    Returns (ok (k,), hear_a (k,), hear_b (k,)).
    """
    k = fa.shape[0]
    hear_a = np.full(k, np.inf)
    hear_b = np.full(k, np.inf)
    pa, la, rla = fa[:, 0], fa[:, 1], fa[:, 2]
    pb, lb, rlb = fb[:, 0], fb[:, 1], fb[:, 2]
    ok = np.isfinite(pa) & np.isfinite(pb) & (pa == pb)
    if not params.signatures:
        return np.zeros(k, bool), hear_a, hear_b
    S = np.asarray(params.signatures, dtype=np.float64).reshape(-1, 4)
    for p, lab, rl, hear, other in ((pa, lb, rlb, hear_b, pb), (pb, la, rla, hear_a, pa)):
        m = (p[:, None] == S[None, :, 0]) & (lab[:, None] == S[None, :, 1])
        m &= ~np.isfinite(other)[:, None]               # the other side is not an RF bearing
        sl = np.where(m, S[None, :, 2], -np.inf).max(axis=1, initial=-np.inf)
        has = np.isfinite(sl)
        ok |= has
        hear[has] = np.where(np.isfinite(rl[has]), 10.0 ** ((sl[has] - rl[has]) / 20.0), np.inf)
    return ok, hear_a, hear_b


def _two_bearing_cov(p: F64, qa: F64, qb: F64, sa: F64, sb: F64) -> F64:
    """(k, 2, 2) Cramér-Rao covariance of the crossing p (k, 2) of bearings from qa, qb with
    sds sa, sb (rad): the inverse of sum J^T J / sigma^2, J = [dn, -de] / rho^2."""
    info = np.zeros((p.shape[0], 2, 2))
    for q, s in ((qa, sa), (qb, sb)):
        d = p - q
        rho2 = np.maximum((d * d).sum(axis=1), 1e-9)
        J = np.stack([d[:, 1], -d[:, 0]], axis=1) / rho2[:, None]
        info += J[:, :, None] * J[:, None, :] / (s * s)[:, None, None]
    det = info[:, 0, 0] * info[:, 1, 1] - info[:, 0, 1] ** 2
    det = np.where(det > 0, det, np.nan)
    cov = np.empty_like(info)
    cov[:, 0, 0] = info[:, 1, 1] / det
    cov[:, 1, 1] = info[:, 0, 0] / det
    cov[:, 0, 1] = cov[:, 1, 0] = -info[:, 0, 1] / det
    return cov


def _range_bound(p: F64, C: F64, q0: F64, u: F64, hear: F64) -> tuple[F64, F64]:
    """Fixes p (k, 2), C (k, 2, 2) given that the range along the unit bearing u (k, 2) from
    q0 (k, 2) lies in [0, hear] m: the range's marginal N(mu, s^2) is replaced by the moments of
    that normal truncated to [0, hear], the rest of the fix conditioned on it (x | range kept):
    p + K (m_t - mu), C - K (s^2 - v_t) K^T, K = C u / s^2."""
    Cu = np.einsum("kij,kj->ki", C, u)
    s2 = (u * Cu).sum(axis=1)
    s = np.sqrt(np.maximum(s2, 1e-12))
    mu = (u * (p - q0)).sum(axis=1)
    a, b = (0.0 - mu) / s, (hear - mu) / s
    z = np.maximum(ndtr(b) - ndtr(a), 1e-12)
    pa, pb = np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi), np.exp(-0.5 * b * b) / np.sqrt(2 * np.pi)
    r = (pa - pb) / z
    m_t = mu + s * r
    v_t = s2 * np.maximum(1.0 + (a * pa - b * pb) / z - r * r, 1e-6)
    K_ = Cu / np.maximum(s2, 1e-12)[:, None]
    pn = p + K_ * (m_t - mu)[:, None]
    Cn = C - K_[:, :, None] * K_[:, None, :] * (s2 - v_t)[:, None, None]
    return pn, Cn


def crossfix(q: F64, az: F64, sigma: F64, sensor: I64, feat: F64, cur: NDArray[np.bool_],
             params: EmitterParams, tri: TriangulationParams) -> TriangulationResult:
    """Unambiguous two-bearing emitter fixes (module docstring) among B bearings in one
    horizontal plane: q (B, 2) sensor positions m, az (B,) plane azimuths rad, sigma (B,) sds
    rad, sensor (B,) sensor index, feat (B, 3) features, cur (B,) bearings of the current
    group (every pair has at least one)."""
    B = az.shape[0]
    none = TriangulationResult(np.zeros((0, 2)), np.zeros((0, 2, 2)), [], np.zeros(B, bool), 0)
    if B < 2 or not params.on:
        return none
    ia, ib = np.triu_indices(B, 1)
    sel = (sensor[ia] != sensor[ib]) & (cur[ia] | cur[ib])
    ia, ib = ia[sel], ib[sel]
    ok, hear_a, hear_b = pair_levels(feat[ia], feat[ib], params)
    ia, ib, hear_a, hear_b = ia[ok], ib[ok], hear_a[ok], hear_b[ok]
    if ia.size == 0:
        return none
    good, ta, tb, ua, ub = ray_crossings(q, az, ia, ib, tri.min_crossing_deg)

    def reach(i: I64, hear: F64) -> F64:
        rf = np.isfinite(feat[i, 0])
        return np.where(rf, params.max_range_m, np.minimum(tri.max_range_m, hear))

    good &= (ta >= tri.min_range_m) & (tb >= tri.min_range_m)
    good &= (ta <= reach(ia, hear_a)) & (tb <= reach(ib, hear_b))
    ia, ib, ta, tb, ua, ub = ia[good], ib[good], ta[good], tb[good], ua[good], ub[good]
    hear_a, hear_b = hear_a[good], hear_b[good]
    if ia.size == 0:
        return none
    # unambiguous: each bearing of a pair has exactly one valid partner
    n_partner = np.bincount(np.r_[ia, ib], minlength=B)
    one = (n_partner[ia] == 1) & (n_partner[ib] == 1)
    ia, ib, ta, tb, ua, ub = ia[one], ib[one], ta[one], tb[one], ua[one], ub[one]
    hear_a, hear_b = hear_a[one], hear_b[one]
    if ia.size == 0:
        return none
    pos = q[ia] + ta[:, None] * ua
    cov = _two_bearing_cov(pos, q[ia], q[ib], sigma[ia], sigma[ib])
    # the hearing range bounds the position along the acoustic bearing (the crossing's
    # distribution truncated to [0, H]): a quadcopter 100 m from the node, crossed by an RF
    # bearing from 10 km at 25 deg, is otherwise +-1.2 km along it
    ac_a = np.isfinite(hear_a)
    hear = np.minimum(np.where(ac_a, hear_a, hear_b), tri.max_range_m)
    u = np.where(ac_a[:, None], ua, ub)
    q0 = np.where(ac_a[:, None], q[ia], q[ib])
    has = np.isfinite(np.where(ac_a, hear_a, hear_b))
    if has.any():
        pos[has], cov[has] = _range_bound(pos[has], cov[has], q0[has], u[has], hear[has])
    ev = np.linalg.eigvalsh(np.where(np.isfinite(cov), cov, 0.0))
    fine = np.isfinite(cov).all(axis=(1, 2)) & (ev[:, 0] > 0)
    fine &= np.sqrt(np.maximum(ev[:, 1], 0.0)) <= params.max_sd_m
    # (the crossing's geometry: a fix bounded by the hearing range is elongated by nature)
    fine &= has | (np.sqrt(ev[:, 1] / np.where(ev[:, 0] > 0, ev[:, 0], 1.0))
                   <= tri.max_condition)
    ia, ib, pos, cov = ia[fine], ib[fine], pos[fine], cov[fine]
    used = np.zeros(B, bool)
    used[ia] = used[ib] = True
    members = list(np.stack([ia, ib], axis=1).astype(np.int64))
    return TriangulationResult(pos, 0.5 * (cov + np.swapaxes(cov, 1, 2)), members, used,
                               int(ia.size))


def pair_fixes_track(xy: F64, qa: F64, qb: F64, fa: F64, fb: F64, params: EmitterParams,
                     min_crossing_deg: float) -> NDArray[np.bool_]:
    """Whether bearings from sensors at qa, qb (k, 2) with features fa, fb (k, 3) that both
    updated the track at horizontal position xy (k, 2) fix it: they may come from one emitter,
    the track lies within the acoustic side's hearing range, and the two lines of sight cross
    at the track at ``min_crossing_deg`` or more (m in one horizontal frame)."""
    ok, hear_a, hear_b = pair_levels(fa, fb, params)
    da, db = xy - qa, xy - qb
    ok &= np.hypot(da[:, 0], da[:, 1]) <= hear_a
    ok &= np.hypot(db[:, 0], db[:, 1]) <= hear_b
    ang = np.abs(wrap_angle(np.arctan2(da[:, 0], da[:, 1]) - np.arctan2(db[:, 0], db[:, 1])))
    s = np.radians(min_crossing_deg)
    return ok & (ang >= s) & (ang <= np.pi - s)


def emitter_pair_support(T: _Table, spos: F64, params: EmitterParams,
                         tri: TriangulationParams, ar: I64, sens: NDArray[np.int32], f: F64,
                         tg: float, angcnt: NDArray[np.int64]) -> None:
    """Emitter cross-fixes of existing tracks: a track of table ``T`` that bearings updated in
    the group at ``tg`` (track rows ``ar``, their sensors ``sens``, features ``f`` (k, 3))
    counts as fixed by bearings from ``tri.min_bearings`` sensors (``angcnt``, a strong
    update) when two of them -- both in this group, or one with the track's last emitter
    bearing within ``params.window_s`` -- come from one emitter and cross at the track
    (:func:`pair_fixes_track`; ``spos`` (S, 3) sensor positions in the engine frame, m).
    Then each track keeps its latest emitter bearing (``T.emit_last``)."""
    rel = emitter_features(f, params)
    ar, f = ar[rel], f[rel]
    sens = np.asarray(sens, np.int64)[rel]
    if ar.size == 0:
        return
    # pairs (i, j) of this group's bearings on one track, from different sensors: in track
    # order, each bearing with those after it in its track's run
    o = np.argsort(ar, kind="stable")
    ro = ar[o]
    starts = np.flatnonzero(np.r_[True, ro[1:] != ro[:-1]])
    cnt = np.diff(np.r_[starts, ro.size])
    at = np.arange(ro.size, dtype=np.int64)
    after = np.repeat(starts + cnt, cnt) - at - 1
    i_now = o[np.repeat(at, after)]
    j_now = o[_ranges(at + 1, after)]
    keep = sens[i_now] != sens[j_now]
    i_now, j_now = i_now[keep], j_now[keep]
    rows = ar[i_now]
    qa, qb = spos[sens[i_now], :2], spos[sens[j_now], :2]
    fa, fb = f[i_now], f[j_now]
    # ... and each with the track's last emitter bearing
    last = T.emit_last[ar]
    mem = np.isfinite(last[:, 0]) & (tg - last[:, 0] <= params.window_s) & \
        np.isfinite(last[:, 1]) & (last[:, 1] != sens)
    if mem.any():
        k = np.flatnonzero(mem)
        rows = np.r_[rows, ar[k]]
        qa = np.r_[qa, spos[sens[k], :2]]
        qb = np.r_[qb, spos[last[k, 1].astype(np.int64), :2]]
        fa = np.r_[fa, f[k]]
        fb = np.r_[fb, last[k, 2:]]
    if rows.size:
        ok = pair_fixes_track(T.x[rows, :2], qa, qb, fa, fb, params, tri.min_crossing_deg)
        fixed = np.unique(rows[ok])
        if fixed.size:
            angcnt[fixed] = np.maximum(angcnt[fixed], tri.min_bearings)
    T.emit_last[ar, 0] = tg
    T.emit_last[ar, 1] = sens
    T.emit_last[ar, 2:] = f
