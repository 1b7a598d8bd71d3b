"""Cooperative-ID (ADS-B) trust: is an aircraft's broadcast track physically consistent?

An ADS-B claim is trusted only when its kinematics are plausible. :func:`assess_reports` takes
report arrays (any order), sorts them by ``(icao24, time)`` and runs vectorised ``np.diff``
checks inside each identity (group boundaries from ``np.flatnonzero``); only the final
per-aircraft summary loops in Python. See ``docs/adsb-check.md`` for the rationale.

Checks (each counts *events*):

``ghost``      two distinct positions of one identity <= GHOST_MAX_DT_S apart in time but
               > GHOST_MIN_DIST_M apart in space (two places at once).
``jump``       consecutive distinct positions further apart than MAX_GROUNDSPEED_MPS * dt +
               POSITION_TOLERANCE_M (a position jump), excluding isolated one-report outliers
               that return to the track (decoder glitches, counted in diagnostics only).
``altitude``   altitude steps larger than MAX_CLIMB_MPS * dt + ALTITUDE_TOLERANCE_M, again
               excluding isolated one-report spikes (Gillham / decode errors).
``accel``      reported groundspeed changes faster than MAX_ACCEL_MPS2 (+ tolerance).
``turn``       reported track changes implying lateral acceleration > MAX_LATERAL_ACCEL_MPS2.
``speed``      position-derived speed over XCHECK_WINDOW_S disagrees with reported
               groundspeed (both directions; the low side only on straight legs).
``frozen``     position unchanged for > FROZEN_MAX_S while reporting > FROZEN_MIN_SPEED_MPS.

Score: ``s_c = W_c * (1 - exp(-n_c / K_c))`` per check, ``score = 1 - prod_c (1 - s_c)``;
``spoofing_suspected = score >= FLAG_SCORE``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

EARTH_RADIUS_M = 6_371_008.8

#: Highest plausible ground speed for civil traffic plus margin: airliners cruise at
#: 230-260 m/s and jet-stream tailwinds add up to ~90 m/s; 400 m/s is beyond any of them.
MAX_GROUNDSPEED_MPS = 400.0
#: Mach 3 at sea level: impossible for anything broadcasting ADS-B (diagnostic tier).
MACH3_MPS = 1020.0
#: Slack added to every position-jump bound: positions are forward-filled and time-stamped on
#: reception (1 s quantisation, stale positions of several seconds), worth ~2 km at cruise
#: speed. Measured on the traffic samples: 2 jumps in 213 clean aircraft at 2 km, 0 at 3 km.
POSITION_TOLERANCE_M = 3000.0
#: "Two places at once": reports this close in time ...
GHOST_MAX_DT_S = 2.0
#: ... but this far apart (10x what any aircraft covers in GHOST_MAX_DT_S).
GHOST_MIN_DIST_M = 10_000.0
#: Highest plausible sustained climb/descent rate: airliners < 30 m/s (6,000 ft/min); 75 m/s
#: (~15,000 ft/min) is beyond civil and transport aircraft.
MAX_CLIMB_MPS = 75.0
#: Altitude slack: Gillham (100 ft) steps, 25 ft quantisation, baro/geo switching (~100 m).
ALTITUDE_TOLERANCE_M = 150.0
#: Longitudinal acceleration limit: ~1.5 g, beyond any civil aircraft (a take-off roll is ~0.3 g).
MAX_ACCEL_MPS2 = 15.0
#: Slack on reported groundspeed changes (1 kt quantisation, velocity-message jitter).
GROUNDSPEED_TOLERANCE_MPS = 10.0
#: Lateral acceleration limit: ~6 g; civil aircraft stay below 2.5 g, gliders thermal at ~1.5 g.
MAX_LATERAL_ACCEL_MPS2 = 60.0
#: Turn checks only above this speed: at taxi speed the track is noise.
TURN_MIN_SPEED_MPS = 40.0
#: Slack on reported track changes (heading quantisation and jitter).
TRACK_TOLERANCE_DEG = 10.0
#: Window for the reported-vs-derived speed cross-check: long enough that 1 s timestamps and
#: position noise average out, short enough that a 3 deg/s turn keeps chord ~ arc.
XCHECK_WINDOW_S = 30.0
#: Derived speed may exceed reported by this factor + offset (positions faster than claimed).
XCHECK_REL_TOL = 0.5
XCHECK_ABS_TOL_MPS = 40.0
#: The low side (positions slower than claimed) is checked only when the reported track turned
#: less than this within the window (a chord is shorter than the arc of a turn).
XCHECK_STRAIGHT_DEG = 30.0
#: Position unchanged this long while moving fast: a frozen (replayed/spoofed) position.
#: Real feeds leave positions stale for up to ~2 min (measured: noisy_time_issue).
FROZEN_MAX_S = 300.0
FROZEN_MIN_SPEED_MPS = 50.0
#: ... and only while reports keep arriving (>= 1 per 2 s on average): a gap in coverage is
#: not a frozen position.
FROZEN_MIN_REPORT_RATE_HZ = 0.5
#: Suspect spans closer than this are merged into one.
SPAN_MERGE_GAP_S = 600.0
#: Score weights W (max contribution) and saturation counts K per check.
#: Position evidence (ghost, jump, frozen) can flag on its own; altitude, acceleration, turn
#: and speed cross-check evidence cannot (W < FLAG_SCORE): real feeds carry altitude decode
#: errors and velocity-message glitches, so they only add to position evidence.
CHECK_WEIGHTS: dict[str, tuple[float, float]] = {
    "ghost": (0.9, 1.0),
    "jump": (0.9, 1.0),
    "frozen": (0.7, 1.0),
    "altitude": (0.45, 5.0),
    "speed": (0.45, 5.0),
    "accel": (0.3, 5.0),
    "turn": (0.3, 5.0),
}
#: Score at or above which spoofing is suspected (1 sustained jump alone: 0.57).
FLAG_SCORE = 0.5

REASON_TEXT = {
    "ghost": f"reports <= {GHOST_MAX_DT_S:g} s apart but > {GHOST_MIN_DIST_M / 1000:g} km "
             f"apart (two places at once)",
    "jump": f"position jumps implying >{MAX_GROUNDSPEED_MPS:g} m/s",
    "altitude": f"altitude jumps implying >{MAX_CLIMB_MPS:g} m/s climb/descent",
    "accel": f"reported groundspeed changes implying >{MAX_ACCEL_MPS2:g} m/s^2",
    "turn": f"reported track changes implying >{MAX_LATERAL_ACCEL_MPS2:g} m/s^2 lateral",
    "speed": "position-derived speed inconsistent with reported groundspeed",
    "frozen": f"position frozen > {FROZEN_MAX_S:g} s while reporting "
              f"> {FROZEN_MIN_SPEED_MPS:g} m/s",
}


@dataclass
class AircraftTrust:
    """Per-aircraft verdict (``to_dict`` gives the JSON-lines record)."""

    icao24: str
    callsign: str
    reports: int
    spoofing_suspected: bool
    score: float
    reasons: list[str]
    suspect_spans: list[list[Any]]
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"icao24": self.icao24, "callsign": self.callsign, "reports": self.reports,
                "spoofing_suspected": self.spoofing_suspected, "score": self.score,
                "reasons": self.reasons, "suspect_spans": self.suspect_spans,
                "diagnostics": self.diagnostics}


def _haversine(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
               lon2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _isolated(bad: np.ndarray, same: np.ndarray, ok_skip: np.ndarray) -> np.ndarray:
    """Pairs (k, k+1) belonging to a one-sample excursion: pair k and k+1 both bad, both in
    one group, and the skip pair k -> k+2 fine. Returns a mask over pairs to drop."""
    drop = np.zeros_like(bad)
    if len(bad) < 2:
        return drop
    spike = bad[:-1] & bad[1:] & same[:-1] & same[1:] & ok_skip
    spike &= ~np.r_[False, bad[:-2]] & ~np.r_[bad[2:], False]  # not part of a longer run
    drop[:-1] |= spike
    drop[1:] |= spike
    return drop


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def _merge_spans(starts: np.ndarray, ends: np.ndarray, gap: float) -> list[tuple[float, float]]:
    if len(starts) == 0:
        return []
    o = np.argsort(starts)
    s, e = starts[o], np.maximum.accumulate(ends[o])
    new = np.r_[True, s[1:] - e[:-1] > gap]
    idx = np.flatnonzero(new)
    last = np.r_[idx[1:] - 1, len(s) - 1]
    return list(zip(s[idx].tolist(), e[last].tolist(), strict=True))


def assess_reports(time_s: np.ndarray, icao24: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                   alt_m: np.ndarray, callsign: np.ndarray | None = None,
                   groundspeed_mps: np.ndarray | None = None,
                   track_deg: np.ndarray | None = None, *, iso_spans: bool = True
                   ) -> list[AircraftTrust]:
    """Assess every identity in the reports. ``time_s`` are epoch (or any origin) seconds;
    ``alt_m``/``groundspeed_mps``/``track_deg`` may hold NaN (ignored). Spans are ISO-8601 UTC
    when ``iso_spans`` (times taken as Unix seconds), else seconds. Sorted by icao24."""
    t = np.asarray(time_s, dtype=float)
    n = len(t)
    ic = np.asarray(icao24).astype(str)
    order = np.lexsort((t, ic))
    t, ic = t[order], ic[order]
    la = np.asarray(lat, dtype=float)[order]
    lo = np.asarray(lon, dtype=float)[order]
    al = np.asarray(alt_m, dtype=float)[order]
    cs = (np.asarray(callsign).astype(str)[order] if callsign is not None
          else np.full(n, "", dtype=str))
    gs = (np.asarray(groundspeed_mps, dtype=float)[order] if groundspeed_mps is not None
          else np.full(n, np.nan))
    tr = (np.asarray(track_deg, dtype=float)[order] if track_deg is not None
          else np.full(n, np.nan))
    if n == 0:
        return []
    start_mask = np.r_[True, ic[1:] != ic[:-1]]
    starts = np.flatnonzero(start_mask)
    gid = np.cumsum(start_mask) - 1
    ngroups = len(starts)
    # event rows (index into sorted arrays) with their span start time, per check
    ev_row: dict[str, np.ndarray] = {}
    ev_t0: dict[str, np.ndarray] = {}
    diag_rows: dict[str, np.ndarray] = {}

    # ---- positions: collapse forward-filled duplicates, then jumps / ghosts ----------------
    moved = start_mask | np.r_[True, (la[1:] != la[:-1]) | (lo[1:] != lo[:-1])]
    P = np.flatnonzero(moved)
    pg = gid[P]
    same = pg[1:] == pg[:-1]
    dtp = np.diff(t[P])
    d = _haversine(la[P][:-1], lo[P][:-1], la[P][1:], lo[P][1:])
    bad = same & (d > MAX_GROUNDSPEED_MPS * dtp + POSITION_TOLERANCE_M)
    d2 = _haversine(la[P][:-2], lo[P][:-2], la[P][2:], lo[P][2:]) if len(P) > 2 else np.zeros(0)
    ok2 = d2 <= MAX_GROUNDSPEED_MPS * (t[P][2:] - t[P][:-2]) + POSITION_TOLERANCE_M
    glitch = _isolated(bad, same, ok2)
    far = same & (dtp <= GHOST_MAX_DT_S) & (d > GHOST_MIN_DIST_M) & ~glitch
    # two places at once: far pairs that alternate (a far pair next to another far pair);
    # a single far pair is a jump
    ghost = far & (np.r_[False, far[:-1]] | np.r_[far[1:], False])
    jump = bad & ~glitch & ~ghost
    for name, m in (("ghost", ghost), ("jump", jump)):
        k = np.flatnonzero(m)
        ev_row[name], ev_t0[name] = P[k + 1], t[P[k]]
    diag_rows["position_glitches"] = P[np.flatnonzero(glitch & np.r_[True, ~glitch[:-1]]) + 1]
    diag_rows["mach3_jumps"] = P[np.flatnonzero(same & (d > MACH3_MPS * dtp
                                                        + POSITION_TOLERANCE_M)) + 1]
    diag_rows["max_implied_speed"] = np.zeros(0, dtype=int)
    implied = np.where(same, np.maximum(d - POSITION_TOLERANCE_M, 0) / np.maximum(dtp, 1.0), 0)

    # ---- frozen positions while moving --------------------------------------------------
    # run of identical positions from P[k] to the next distinct position P[k+1] (same group)
    run_end = np.where(same, t[P][1:], np.nan)
    run_dur = run_end - t[P][:-1]
    gs_fill = np.where(np.isfinite(gs), gs, 0.0)
    gs_cnt = np.isfinite(gs).astype(float)
    cgs, ccnt = np.r_[0.0, np.cumsum(gs_fill)], np.r_[0.0, np.cumsum(gs_cnt)]
    a, b = P[:-1], P[1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        run_gs = (cgs[b] - cgs[a]) / (ccnt[b] - ccnt[a])
    run_rows = (b - a).astype(float)
    frozen = (same & (run_dur > FROZEN_MAX_S) & (run_gs > FROZEN_MIN_SPEED_MPS)
              & (run_rows >= FROZEN_MIN_REPORT_RATE_HZ * run_dur))
    k = np.flatnonzero(frozen)
    ev_row["frozen"], ev_t0["frozen"] = P[k + 1], t[P[k]]

    # ---- reported vs derived speed over a window (on distinct positions) -----------------
    key = pg.astype(float) * 1e12 + t[P]
    j = np.searchsorted(key, key + XCHECK_WINDOW_S, side="left")
    valid = j < len(P)
    j = np.minimum(j, len(P) - 1)
    valid &= pg[j] == pg
    dtw = t[P][j] - t[P]
    dw = _haversine(la[P], lo[P], la[P][j], lo[P][j])
    a, b = P, P[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        derived = dw / dtw
        rep = (cgs[b + 1] - cgs[a]) / (ccnt[b + 1] - ccnt[a])
    trw = np.radians(tr)
    dtr = np.abs(np.degrees(np.angle(np.exp(1j * (trw[1:] - trw[:-1])))))
    dtr = np.where(np.isfinite(dtr) & (gid[1:] == gid[:-1]), dtr, 0.0)
    ctr = np.r_[0.0, 0.0, np.cumsum(dtr)]  # ctr[i+1] = sum of |dtrack| up to row i
    turned = ctr[b + 1] - ctr[a + 1]
    with np.errstate(invalid="ignore"):
        hi = derived > rep * (1 + XCHECK_REL_TOL) + XCHECK_ABS_TOL_MPS
        lo_side = ((derived < rep * (1 - XCHECK_REL_TOL) - XCHECK_ABS_TOL_MPS)
                   & (turned < XCHECK_STRAIGHT_DEG))
    mism = valid & np.isfinite(rep) & (dtw > 0) & (hi | lo_side)
    # one event per window: keep only windows that do not overlap the previous kept one is
    # costly; count windows that start a mismatch run instead
    k = np.flatnonzero(mism & ~np.r_[False, mism[:-1] & same])
    ev_row["speed"], ev_t0["speed"] = P[j[k]], t[P[k]]
    runs_end = np.flatnonzero(mism & ~np.r_[mism[1:] & same, False])
    ev_row["speed"] = P[j[runs_end]] if len(runs_end) == len(k) else ev_row["speed"]

    # ---- altitude ----------------------------------------------------------------------
    A = np.flatnonzero(np.isfinite(al))
    ag = gid[A]
    sa = ag[1:] == ag[:-1]
    da = np.abs(np.diff(al[A]))
    dta = np.diff(t[A])
    bad_a = sa & (da > MAX_CLIMB_MPS * np.maximum(dta, 1.0) + ALTITUDE_TOLERANCE_M)
    ok2a = (np.abs(al[A][2:] - al[A][:-2])
            <= MAX_CLIMB_MPS * np.maximum(t[A][2:] - t[A][:-2], 1.0) + ALTITUDE_TOLERANCE_M)
    spike_a = _isolated(bad_a, sa, ok2a)
    # a real step persists: the level two reports on is still off by more than the bound
    persist = np.zeros_like(bad_a)
    if len(A) > 3:
        persist[1:-1] = (~ok2a[1:]) & (~ok2a[:-1]) & sa[2:] & sa[:-2]
    k = np.flatnonzero(bad_a & ~spike_a & persist)
    ev_row["altitude"], ev_t0["altitude"] = A[k + 1], t[A[k]]
    diag_rows["altitude_glitches"] = A[np.flatnonzero(spike_a & np.r_[True, ~spike_a[:-1]]) + 1]

    # ---- reported groundspeed / track: accel and turn -----------------------------------
    G = np.flatnonzero(np.isfinite(gs) & np.isfinite(tr))
    gg = gid[G]
    sg = gg[1:] == gg[:-1]
    dtg = np.maximum(np.diff(t[G]), 1.0)
    dgs = np.abs(np.diff(gs[G]))
    bad_g = sg & (dgs > MAX_ACCEL_MPS2 * dtg + GROUNDSPEED_TOLERANCE_MPS)
    ok2g = (np.abs(gs[G][2:] - gs[G][:-2])
            <= MAX_ACCEL_MPS2 * np.maximum(t[G][2:] - t[G][:-2], 1.0) + GROUNDSPEED_TOLERANCE_MPS)
    spike_g = _isolated(bad_g, sg, ok2g)
    k = np.flatnonzero(bad_g & ~spike_g)
    ev_row["accel"], ev_t0["accel"] = G[k + 1], t[G[k]]
    dpsi = np.abs(np.angle(np.exp(1j * np.radians(np.diff(tr[G])))))
    dpsi = np.maximum(dpsi - np.radians(TRACK_TOLERANCE_DEG), 0.0)
    vmin = np.minimum(gs[G][1:], gs[G][:-1])
    with np.errstate(over="ignore"):   # an absurd reported speed overflows to inf: flagged
        turn = sg & (vmin > TURN_MIN_SPEED_MPS) & (vmin * dpsi / dtg > MAX_LATERAL_ACCEL_MPS2)
    k = np.flatnonzero(turn)
    ev_row["turn"], ev_t0["turn"] = G[k + 1], t[G[k]]

    # ---- per-aircraft summary (the only Python loop: over aircraft) ----------------------
    counts = {c: np.bincount(gid[ev_row[c]], minlength=ngroups) for c in CHECK_WEIGHTS}
    dcounts = {c: np.bincount(gid[r], minlength=ngroups)
               for c, r in diag_rows.items() if c != "max_implied_speed"}
    max_impl = np.zeros(ngroups)
    if len(implied):
        np.maximum.at(max_impl, pg[1:], implied)
    s_all = np.ones(ngroups)
    for c, (w, kk) in CHECK_WEIGHTS.items():
        s_all *= 1.0 - w * (1.0 - np.exp(-counts[c] / kk))
    score = 1.0 - s_all
    ends = np.r_[starts[1:], n]
    all_rows = np.concatenate([ev_row[c] for c in CHECK_WEIGHTS])
    all_t0 = np.concatenate([ev_t0[c] for c in CHECK_WEIGHTS])
    all_g = gid[all_rows]
    o = np.argsort(all_g, kind="stable")
    all_rows, all_t0, all_g = all_rows[o], all_t0[o], all_g[o]
    bounds = np.searchsorted(all_g, np.arange(ngroups + 1))
    out: list[AircraftTrust] = []
    for g in range(ngroups):
        s0, e0 = starts[g], ends[g]
        names = [x for x in cs[s0:e0].tolist() if x.strip()]
        callsign_g = Counter(x.strip() for x in names).most_common(1)[0][0] if names else ""
        reasons = [f"{REASON_TEXT[c]}: {int(counts[c][g])}" for c in CHECK_WEIGHTS
                   if counts[c][g]]
        r0, r1 = bounds[g], bounds[g + 1]
        spans = _merge_spans(all_t0[r0:r1], t[all_rows[r0:r1]], SPAN_MERGE_GAP_S)
        span_out = ([[_iso(x), _iso(y)] for x, y in spans] if iso_spans
                    else [[x, y] for x, y in spans])
        diags: dict[str, Any] = {f"{c}_events": int(counts[c][g]) for c in CHECK_WEIGHTS}
        diags.update({c: int(v[g]) for c, v in dcounts.items()})
        diags["max_implied_speed_mps"] = round(float(max_impl[g]), 1)
        diags["first_time"] = _iso(t[s0]) if iso_spans else float(t[s0])
        diags["last_time"] = _iso(t[e0 - 1]) if iso_spans else float(t[e0 - 1])
        out.append(AircraftTrust(
            icao24=str(ic[s0]), callsign=callsign_g, reports=int(e0 - s0),
            spoofing_suspected=bool(score[g] >= FLAG_SCORE), score=round(float(score[g]), 4),
            reasons=reasons, suspect_spans=span_out, diagnostics=diags))
    return out
