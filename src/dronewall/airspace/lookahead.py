"""Warnings: straight-line prediction of each moving track up to ``warn_horizon_s`` and the
per-pair warning state (once per approach; re-issued when the predicted crossing time moves by
more than ``max(warn_reissue_abs_s, warn_reissue_rel * ttc)``; an approach ends after
``warn_clear_scans`` scans without a predicted crossing, or at entry)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.airspace.config import AirspaceConfig
from dronewall.airspace.state import PairTable, PairView, member
from dronewall.airspace.zones import ZoneSet
from dronewall.geo.frames import WGS84_A_M, WGS84_E2

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


def radii(lat_deg: F64) -> tuple[F64, F64]:
    """Meridian (M) and prime-vertical (N) radii of curvature, m."""
    s2 = np.sin(np.radians(lat_deg)) ** 2
    w = 1.0 - WGS84_E2 * s2
    return WGS84_A_M * (1.0 - WGS84_E2) / w**1.5, WGS84_A_M / np.sqrt(w)


@dataclass(frozen=True)
class Approaches:
    """Pairs predicted to enter within the horizon: sorted unique ``keys``, time to crossing
    ``tau`` (s) and the predicted crossing point ``lat``/``lon`` (deg), aligned (K,)."""

    keys: I64
    tau: F64
    lat: F64
    lon: F64


def approaches(zs: ZoneSet, cfg: AirspaceConfig, n_zone_slots: int, cap: int, rows: I64,
               lat: F64, lon: F64, alt: F64, vel: F64, speed: F64, key_h: I64) -> Approaches:
    """Predicted entries of the scan's tracks (``vel`` (N, 3) ENU m/s, ``speed`` (N,) m/s;
    ``key_h``: sorted keys of pairs laterally inside already; ``cap``: track-row capacity).
    Straight line in lon/lat from the current velocity."""
    Z = n_zone_slots
    h = cfg.warn_horizon_s
    mov = np.flatnonzero(np.isfinite(speed) & (speed >= cfg.warn_min_speed_mps))
    if len(mov) == 0:
        return Approaches(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0))
    m_r, n_r = radii(lat[mov])
    dlat = np.degrees(vel[mov, 1] * h / m_r)
    dlon = np.degrees(vel[mov, 0] * h / (n_r * np.cos(np.radians(lat[mov]))))
    x0, y0 = lon[mov], lat[mov]
    x1, y1 = x0 + dlon, y0 + dlat
    # laterally outside: first crossing of the predicted segment with each zone it meets
    seg, kz_o, s = zs.edges.first_crossings(x0, y0, x1, y1)
    ti_o = mov[seg]
    keys_o = rows[ti_o] * Z + kz_o
    inh_o, _ = member(keys_o, key_h)
    tt = s * h
    ac = alt[ti_o] + vel[ti_o, 2] * tt
    ok = ~inh_o & (s > 0.0) & (ac >= zs.floor_m[kz_o]) & (ac <= zs.ceiling_m[kz_o])
    out_k = [keys_o[ok]]
    out_t = [tt[ok]]
    out_lat = [y0[seg[ok]] + s[ok] * dlat[seg[ok]]]
    out_lon = [x0[seg[ok]] + s[ok] * dlon[seg[ok]]]
    # laterally inside, vertically outside: time to reach the floor / ceiling
    if len(key_h):
        slot = np.full(cap, -1, dtype=np.int64)
        slot[rows] = np.arange(len(rows))
        ti = slot[key_h // Z]
        kz = key_h % Z
        a, vu = alt[ti], vel[ti, 2]
        fl, ce = zs.floor_m[kz], zs.ceiling_m[kz]
        with np.errstate(divide="ignore", invalid="ignore"):
            tt = np.where((a < fl) & (vu > 0), (fl - a) / vu,
                          np.where((a > ce) & (vu < 0), (a - ce) / -vu, np.nan))
        ok = tt <= h
        m_r, n_r = radii(lat[ti])
        out_k.append(key_h[ok])
        out_t.append(tt[ok])
        out_lat.append(lat[ti][ok] + np.degrees(vel[ti, 1] * tt / m_r)[ok])
        out_lon.append(lon[ti][ok] + np.degrees(vel[ti, 0] * tt / (
            n_r * np.cos(np.radians(lat[ti]))))[ok])
    k_all = np.concatenate(out_k)
    order = np.argsort(k_all, kind="stable")
    k_all = k_all[order]
    first = np.ones(len(k_all), dtype=bool)
    first[1:] = k_all[1:] != k_all[:-1]
    pick = order[first]
    return Approaches(k_all[first], np.concatenate(out_t)[pick], np.concatenate(out_lat)[pick],
                      np.concatenate(out_lon)[pick])


@dataclass(frozen=True)
class WarningUpdate:
    """Result of :func:`update_warnings` for the M pairs of a scan: ``issue`` (M,) a warning is
    due, ``tau`` (M,) its time to crossing, s; ``ai`` (M,) index into the approaches (for the
    predicted point); ``active`` (M,) the pair's warning is active after this scan."""

    issue: B
    tau: F64
    ai: I64
    active: B


def update_warnings(T: PairTable, cfg: AirspaceConfig, pv: PairView, state: NDArray[np.int8],
                    app: Approaches, t: float) -> WarningUpdate:
    """Warnings once per approach, re-issued when the prediction moves a lot; writes the
    warning columns of the pair table. ``state``: the declared state after this scan."""
    I, raw = pv.idx, pv.raw  # noqa: E741 - the pair index of the maths
    ap, ai = member(T["key"][I], app.keys)
    ap &= (state == 0) & ~raw
    tau = np.where(ap, app.tau[ai] if len(app.tau) else 0.0, np.nan)
    wa = T["warn_active"][I]
    wct = T["warn_cross_t"][I]
    tc = t + tau
    reissue = wa & (np.abs(tc - wct) > np.maximum(cfg.warn_reissue_abs_s,
                                                  cfg.warn_reissue_rel * tau))
    issue = ap & (~wa | reissue)
    miss = np.where(ap, 0, T["warn_miss"][I] + wa.astype(np.int32))
    wa = (wa | issue) & ~(miss >= cfg.warn_clear_scans) & (state == 0)
    T["warn_active"][I] = wa
    T["warn_cross_t"][I] = np.where(issue, tc, wct)
    T["warn_miss"][I] = np.where(wa, miss, 0)
    return WarningUpdate(issue=issue, tau=tau, ai=ai, active=wa)
