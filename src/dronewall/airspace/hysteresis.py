"""The per-(track, zone) hysteresis state machine over the pair table, one scan at a time.

With band ``b = clip(band_sigma_factor * sigma, band_min_m, band_max_m)``, a pair *enters*
when the track is inside for ``enter_scans`` consecutive scans or at least ``b`` deep in one
scan; it *exits* only when the track is outside by at least ``b`` horizontally or
``alt_band_m`` vertically (``docs/airspace.md``). A candidate run starts at an out -> in
crossing while out (the entry crossing is kept); a declared pair that goes out keeps the exit
crossing as *pending* until the exit is declared (dropped if it comes back in first). Episode
accumulators (path, depth, altitudes, speed, probability, scans) run over the candidate run
and the episode.

Order per scan: :func:`record_crossings`, :func:`accumulate`, :func:`decide`, the monitor
emits entry / exit / violation events from the table, then :func:`apply_decisions`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.airspace.config import AirspaceConfig
from dronewall.airspace.scan import Crossings, Depth
from dronewall.airspace.state import PairTable, PairView, reset_episode

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


def record_crossings(T: PairTable, pv: PairView, cr: Crossings, from_c: I64) -> None:
    """Start candidate runs at out -> in crossings while out (reset the accumulators, keep the
    entry crossing and origin country ``from_c`` (M,)); drop a pending exit when a declared pair
    is back inside; keep the in -> out crossing of a declared pair as its pending exit."""
    I, state = pv.idx, pv.state  # noqa: E741 - the pair index of the maths
    up, down = cr.up, cr.down
    c_t, c_lat, c_lon, c_alt = cr.t, cr.lat, cr.lon, cr.alt
    # candidate runs start at an out->in crossing while out: reset the accumulators
    start = up & (state == 0)
    if start.any():
        g = I[start]
        reset_episode(T, g)
        T["ent_t"][g], T["ent_lat"][g] = c_t[start], c_lat[start]
        T["ent_lon"][g], T["ent_alt"][g] = c_lon[start], c_alt[start]
        T["ent_interp"][g] = cr.interp[start]
        T["ent_from"][g] = from_c[start]
    back = up & (state == 1)  # back inside before a confirmed exit: drop the pending exit
    if back.any():
        T["ex_t"][I[back]] = np.nan
    pend = down & (state == 1)
    if pend.any():
        g = I[pend]
        T["ex_t"][g], T["ex_lat"][g] = c_t[pend], c_lat[pend]
        T["ex_lon"][g], T["ex_alt"][g] = c_lon[pend], c_alt[pend]
        T["ex_interp"][g] = cr.interp[pend]


def accumulate(T: PairTable, pv: PairView, cr: Crossings, dp: Depth, step_h: F64, speed: F64,
               lat: F64, lon: F64, located: B | None = None) -> None:
    """Accumulate over the episode / candidate run: path inside (m, from the segment share
    inside and the track's horizontal step ``step_h`` (N,)), scans, altitude range and its
    largest 1-sigma error, top speed (``speed`` (N,) m/s), the largest ``p_scan`` and the
    deepest point (``lat``/``lon`` (N,)) with its horizontal error and altitude-band
    probability. ``located`` (N,): the tracks a sensor located this scan (None: all) -- once
    a pair has had such a scan inside, its deepest point and largest ``p_scan`` count only
    those: how deep and how sure is what the sensors saw, not where a coasting prediction
    went (a track coasting on after its drone hit its target "entered" the target's zone)."""
    I, s_, raw, state = pv.idx, pv.slot, pv.raw, pv.state  # noqa: E741
    signed, a = dp.signed, dp.alt
    acc = (state == 1) | raw
    g = I[acc]
    T["path"][g] += (cr.frac * step_h[s_])[acc]
    ri = raw
    g = I[ri]
    T["n_scans"][g] += 1
    T["min_alt"][g] = np.minimum(T["min_alt"][g], a[ri])
    T["max_alt"][g] = np.maximum(T["max_alt"][g], a[ri])
    T["max_speed"][g] = np.fmax(T["max_speed"][g], speed[s_][ri])
    T["max_sig_alt"][g] = np.fmax(T["max_sig_alt"][g], dp.sigma_alt[ri])
    loc = np.ones(ri.size, bool) if located is None else located[s_]
    first = ri & loc & ~T["md_loc"][I]       # the first located scan: predictions forgotten
    g = I[first]
    T["p_ep"][g], T["max_depth"][g], T["md_loc"][g] = 0.0, -np.inf, True
    ri = ri & (loc | ~T["md_loc"][I])
    g = I[ri]
    T["p_ep"][g] = np.maximum(T["p_ep"][g], dp.p_scan[ri])
    deeper = ri & (signed > T["max_depth"][I])
    g = I[deeper]
    T["max_depth"][g] = signed[deeper]
    T["md_lat"][g], T["md_lon"][g] = lat[s_][deeper], lon[s_][deeper]
    T["md_sigma"][g] = dp.sigma[deeper]
    T["md_pvert"][g] = dp.p_vert[deeper]


def decide(T: PairTable, cfg: AirspaceConfig, pv: PairView, cr: Crossings,
           dp: Depth) -> tuple[B, B]:
    """Count consecutive inside scans, then the hysteresis decisions: (enter, leave) (M,)."""
    I, raw, state = pv.idx, pv.raw, pv.state  # noqa: E741
    run_in = np.where(raw, np.where(cr.up, 1, T["run_in"][I] + 1), 0)
    T["run_in"][I] = run_in
    enter = (state == 0) & raw & ((run_in >= cfg.enter_scans) | (dp.signed >= dp.band))
    h_out = np.where(pv.hin, 0.0, dp.d)
    leave = (state == 1) & ~raw & ((h_out >= dp.band) | (dp.v_out >= cfg.alt_band_m))
    return enter, leave


def apply_decisions(T: PairTable, pv: PairView, enter: B, leave: B) -> NDArray[np.int8]:
    """Write the new declared state (returned, (M,)) and raw state; close left episodes (after
    their events were built from the table)."""
    I = pv.idx  # noqa: E741
    state = np.where(enter, 1, np.where(leave, 0, pv.state)).astype(np.int8)
    T["state"][I] = state
    T["prev_raw"][I] = pv.raw
    if leave.any():
        reset_episode(T, I[leave])
    return state
