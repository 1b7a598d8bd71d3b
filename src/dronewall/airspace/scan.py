"""Per-scan measurements of the monitor, vectorised over N tracks and the M pairs of a scan.

1. :func:`kinematics`: ECEF points, the horizontal step since the previous scan, velocity;
2. :func:`inside_test`: STRtree of zone parts queried with all track points (bounding boxes),
   then ``shapely.contains_xy`` on the *prepared* parts for the candidate pairs; altitude band
   ``floor_m <= alt_m <= ceiling_m`` (a track above the ceiling or below the floor is outside);
3. :func:`depth`: horizontal penetration depth for the pairs that need it (inside, or in an open
   episode) in each part's local azimuthal-equidistant plane (:mod:`dronewall.airspace.geometry`),
   the hysteresis band and the probability of being inside this scan;
4. :func:`crossings`: raw in/out transitions and their interpolated boundary crossings on the
   scan-to-scan segment; :func:`origin_country`: the country a track came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from dronewall.airspace.config import AirspaceConfig
from dronewall.airspace.geometry import normal_cdf
from dronewall.airspace.state import PairView, TrackRows
from dronewall.airspace.zones import ZoneSet
from dronewall.geo.frames import ecef_to_enu_rotation, geodetic_to_ecef

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


@dataclass(frozen=True)
class Kinematics:
    """Per-track (N,) quantities of one scan. ``ecef`` (N, 3) m; ``ecef_g`` (N, 3) m the ground
    point below; ``has_prev``: seen in an earlier scan; ``step_h`` horizontal ground distance
    since the previous scan, m (0 without one); ``vel`` (N, 3) ENU m/s; ``speed`` m/s."""

    ecef: F64
    ecef_g: F64
    has_prev: B
    step_h: F64
    vel: F64
    speed: F64


def kinematics(tr: TrackRows, rows: I64, t: float, lat: F64, lon: F64, alt: F64,
               vel: F64 | None) -> Kinematics:
    """Positions and motion of the scan's tracks; ``vel`` (N, 3) ENU m/s or ``None`` (then
    estimated from each track's previous position, NaN on its first scan)."""
    ecef = geodetic_to_ecef(lat, lon, alt)
    ecef_g = geodetic_to_ecef(lat, lon, 0.0)
    has_prev = np.isfinite(tr.t[rows])
    dt = np.where(has_prev, t - tr.t[rows], np.nan)
    step_h = np.where(has_prev, np.linalg.norm(ecef_g - tr.ecef_g[rows], axis=1), 0.0)
    if vel is None:
        d_ecef = (ecef - tr.ecef[rows]) / dt[:, None]
        vel = np.einsum("nij,nj->ni", ecef_to_enu_rotation(lat, lon), d_ecef)
    speed = np.linalg.norm(vel, axis=1)
    return Kinematics(ecef=ecef, ecef_g=ecef_g, has_prev=has_prev, step_h=step_h, vel=vel,
                      speed=speed)


@dataclass(frozen=True)
class Inside:
    """Sorted unique pair keys (``row * Z + zone``) laterally inside (``key_h``, any altitude)
    and inside including the altitude band (``key_raw``); ``cur_c`` (N,) the sovereign country
    code under each track (-1 none; lowest zone index wins where sovereign zones overlap)."""

    key_h: I64
    key_raw: I64
    cur_c: I64


def inside_test(zs: ZoneSet, rows: I64, lat: F64, lon: F64, alt: F64,
                n_zone_slots: int) -> Inside:
    """Which zones each track is in: bbox candidates from the tree, prepared point-in-polygon."""
    Z = n_zone_slots
    n = len(rows)
    pi, pp = zs.tree.query(shapely.points(lon, lat))
    ins = shapely.contains_xy(zs.parts[pp], lon[pi], lat[pi])
    pi, pp = pi[ins], pp[ins]
    pz = zs.part_zone[pp]
    vok = (alt[pi] >= zs.floor_m[pz]) & (alt[pi] <= zs.ceiling_m[pz])
    key_h = np.unique(rows[pi] * Z + pz)
    key_raw = np.unique(rows[pi[vok]] * Z + pz[vok])

    # sovereign country under each track (lowest zone index wins where they overlap)
    cur_z = np.full(n, np.iinfo(np.int64).max)
    sv = vok & zs.sovereign[pz]
    np.minimum.at(cur_z, pi[sv], pz[sv])
    cur_c = np.where(cur_z < len(zs), zs.country_code[np.minimum(cur_z, len(zs) - 1)], -1)
    return Inside(key_h=key_h, key_raw=key_raw, cur_c=cur_c)


def zone_part_start(zs: ZoneSet) -> I64:
    """(Z + 1,) index of each zone's first part in ``zs.parts`` (parts are grouped by zone)."""
    zp = np.bincount(zs.part_zone, minlength=len(zs)) if len(zs) else np.zeros(0)
    return np.concatenate([[0], np.cumsum(zp)]).astype(np.int64)


def zone_distance(zs: ZoneSet, part_start: I64, z: I64, ecef_g: F64) -> F64:
    """Horizontal distance (M,) m from ground points to the boundary of zones ``z`` (M,):
    the minimum over the zone's parts, each in its own plane."""
    st = part_start
    cnt = st[z + 1] - st[z]
    if np.all(cnt == 1):
        return zs.planes.distance_m(ecef_g, st[z])
    rep = np.repeat(np.arange(len(z)), cnt)
    part = np.repeat(st[z], cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    dist = zs.planes.distance_m(ecef_g[rep], part)
    return np.minimum.reduceat(dist, np.cumsum(cnt) - cnt)


@dataclass(frozen=True)
class Depth:
    """Per-pair (M,) geometry of one scan. ``d``: horizontal distance to the zone boundary, m
    (computed only for pairs inside or in an open episode, else 0); ``signed``: ``d`` inside,
    ``-d`` outside; ``alt`` m; ``v_out``: vertical distance outside the altitude band, m;
    ``sigma``: 1-sigma horizontal error, m; ``sigma_alt``: 1-sigma altitude error, m (NaN: not
    known); ``band``: hysteresis band, m; ``p_vert``: probability that the true altitude is
    inside the zone's altitude band; ``p_scan``: probability of being inside this scan."""

    d: F64
    signed: F64
    alt: F64
    v_out: F64
    sigma: F64
    sigma_alt: F64
    band: F64
    p_vert: F64
    p_scan: F64


def vertical_probability(alt: F64, floor: F64, ceiling: F64, sigma_alt: F64) -> F64:
    """Probability that the true altitude lies in ``[floor, ceiling]`` (m, +-inf when open)
    for an estimate ``alt`` with Gaussian 1-sigma error ``sigma_alt`` (m). Where the error is
    not known (NaN or <= 0) it is the hard test on the estimate (1 inside, 0 outside): a zone
    without an altitude band gives 1 either way."""
    alt, floor, ceiling, s = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64)
                                                   for a in (alt, floor, ceiling, sigma_alt)))
    hard = ((alt >= floor) & (alt <= ceiling)).astype(np.float64)
    known = np.isfinite(s) & (s > 0)
    if not known.any():
        return hard
    safe = np.where(known, s, 1.0)
    hi = np.where(np.isfinite(ceiling), normal_cdf((ceiling - alt) / safe), 1.0)
    lo = np.where(np.isfinite(floor), normal_cdf((floor - alt) / safe), 0.0)
    return np.where(known, np.clip(hi - lo, 0.0, 1.0), hard)


def depth(zs: ZoneSet, cfg: AirspaceConfig, part_start: I64, pv: PairView, ecef_g: F64,
          alt: F64, sig: F64, sig_alt: F64 | None = None) -> Depth:
    """Penetration depth (horizontal, >= 0) for pairs inside or in an open episode, the band
    ``clip(band_sigma_factor * sigma, band_min_m, band_max_m)`` and ``p_scan``: the
    probability of being inside horizontally, ``Phi(signed / sigma)``, times that of being
    inside the zone's altitude band (:func:`vertical_probability` with the track's altitude
    error ``sig_alt`` (N,) m; None or NaN: the hard test on the estimated altitude)."""
    s_, zI = pv.slot, pv.zone
    need = pv.raw | (pv.state == 1)
    d = np.zeros(len(pv.idx))
    if need.any():
        d[need] = zone_distance(zs, part_start, zI[need], ecef_g[s_[need]])
    signed = np.where(pv.hin, d, -d)
    a = alt[s_]
    fl, ce = zs.floor_m[zI], zs.ceiling_m[zI]
    v_out = np.maximum(0.0, np.maximum(fl - a, a - ce))
    sg = sig[s_]
    sv = np.full(len(s_), np.nan) if sig_alt is None else sig_alt[s_]
    band = np.clip(cfg.band_sigma_factor * sg, cfg.band_min_m, cfg.band_max_m)
    p_vert = vertical_probability(a, fl, ce, sv)
    p_scan = normal_cdf(signed / sg) * p_vert
    return Depth(d=d, signed=signed, alt=a, v_out=v_out, sigma=sg, sigma_alt=sv, band=band,
                 p_vert=p_vert, p_scan=p_scan)


def crossing(zs: ZoneSet, z: I64, lat0: F64, lon0: F64, alt0: F64, lat1: F64, lon1: F64,
             alt1: F64, last: bool) -> tuple[F64, B]:
    """Crossing parameter s (M,) on the scan-to-scan segment and whether it was found.

    Lateral boundary first (last crossing for an entry, first for an exit); if the segment
    does not cross it, the floor/ceiling planes (altitude linear in s); else s = 0.5."""
    s = zs.edges.crossings(z, lon0, lat0, lon1, lat1, last)
    da = alt1 - alt0
    safe = np.where(da != 0.0, da, 1.0)
    cand = []
    for plane in (zs.floor_m[z], zs.ceiling_m[z]):
        sv = np.where(np.isfinite(plane) & (da != 0.0), (plane - alt0) / safe, np.nan)
        cand.append(np.where((sv >= 0.0) & (sv <= 1.0), sv, np.nan))
    sv = (np.fmax if last else np.fmin)(cand[0], cand[1])
    s = np.where(np.isnan(s), sv, s)
    ok = np.isfinite(s)
    return np.where(ok, s, 0.5), ok


@dataclass(frozen=True)
class Crossings:
    """Per-pair (M,) raw transitions of one scan. ``up``: out -> in, ``down``: in -> out;
    ``frac``: share of the scan-to-scan segment inside (for the path length); ``interp``: the
    crossing was interpolated on the segment (else the current point, or s = 0.5 when no
    boundary crossing was found); ``t``/``lat``/``lon``/``alt``: the crossing point (s, deg, m;
    first scan of a track: its current point)."""

    up: B
    down: B
    frac: F64
    interp: B
    t: F64
    lat: F64
    lon: F64
    alt: F64


def crossings(zs: ZoneSet, tr: TrackRows, pv: PairView, t: float, rows: I64, lat: F64,
              lon: F64, alt: F64) -> Crossings:
    """Raw transitions and their crossing points, previous point -> current point at s.
    ``tr`` still holds the previous scan's positions."""
    s_, zI, raw, prev_raw, hp = pv.slot, pv.zone, pv.raw, pv.prev_raw, pv.has_prev
    M = len(pv.idx)
    up = raw & ~prev_raw
    down = ~raw & prev_raw
    frac = np.where(raw & prev_raw, 1.0, 0.0)
    cross_s = np.full(M, np.nan)
    cross_ok = np.zeros(M, dtype=bool)
    for mask, last in ((up & hp, True), (down & hp, False)):
        if mask.any():
            k = np.flatnonzero(mask)
            rr = rows[s_[k]]
            sv_, okv = crossing(zs, zI[k], tr.lat[rr], tr.lon[rr], tr.alt[rr],
                                lat[s_[k]], lon[s_[k]], alt[s_[k]], last)
            cross_s[k], cross_ok[k] = sv_, okv
    frac = np.where(up & hp, 1.0 - cross_s, frac)
    frac = np.where(down, np.where(hp, cross_s, 0.0), frac)
    frac = np.where(up & ~hp, 0.0, frac)
    # crossing point: previous -> current at s (first scan: the current point)
    cs = np.where(hp, cross_s, 1.0)
    rI = rows[s_]
    p_lat, p_lon, p_alt = (np.where(hp, tr.lat[rI], lat[s_]), np.where(hp, tr.lon[rI], lon[s_]),
                           np.where(hp, tr.alt[rI], alt[s_]))
    p_t = np.where(hp, tr.t[rI], t)
    c_t = p_t + cs * (t - p_t)
    c_lat = p_lat + cs * (lat[s_] - p_lat)
    c_lon = p_lon + cs * (lon[s_] - p_lon)
    c_alt = p_alt + cs * (alt[s_] - p_alt)
    return Crossings(up=up, down=down, frac=frac, interp=hp & cross_ok, t=c_t, lat=c_lat,
                     lon=c_lon, alt=c_alt)


def origin_country(zs: ZoneSet, tr: TrackRows, pv: PairView, rows: I64, cur_c: I64) -> I64:
    """(M,) country code the track came from for each pair (-1 unknown): its country before this
    scan (first scan: its current one); for a sovereign zone of that same country, the one
    before it."""
    s_, zI, hp = pv.slot, pv.zone, pv.has_prev
    rI = rows[s_]
    last_c, prev_c = tr.last_c[rI].copy(), tr.prev_c[rI].copy()
    first = ~hp & (cur_c[s_] >= 0)
    prev_c = np.where(first & (last_c != cur_c[s_]), last_c, prev_c)
    last_c = np.where(first, cur_c[s_], last_c)
    zc = zs.country_code[zI]
    return np.where(zs.sovereign[zI] & (last_c == zc), prev_c, last_c)
