"""Vectorised platform kinematics on the WGS84 ellipsoid (see ``docs/simulation.md``).

Every function works on arrays over platforms (or a subset given by an index array); there is
no Python loop over platforms. Angles are radians inside (``heading_rad`` is the course over
ground, clockwise from true north), lengths metres, times seconds. ``alt_m`` is height above the
WGS84 ellipsoid (no terrain model).

Horizontal motion uses local navigation equations, integrated with the local radii of
curvature::

    d lat = v_n dt / (M + h),   d lon = v_e dt / ((N + h) cos lat),   d h = v_u dt

so a platform with ``v_u == 0`` keeps *exactly* the same ellipsoidal height wherever it flies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.geo.frames import WGS84_A_M, WGS84_E2
from dronewall.sim.areas import GEOD

F64 = NDArray[np.float64]
IntP = NDArray[np.intp]
Bool = NDArray[np.bool_]

TWO_PI = 2.0 * np.pi

# ----------------------------------------------------------------------------- fixed wing
#: Waypoint reached when closer than this (m) whatever the speed: GNSS-grade guidance accuracy.
CAPTURE_MIN_M = 30.0
#: Waypoint also reached when within ``CAPTURE_TURN_FACTOR`` turn radii and abeam/behind
#: (bearing off the nose by more than ``CAPTURE_ABEAM_RAD``). A pure-pursuit vehicle with turn
#: radius r that misses a point can only settle on an orbit of radius r around it, where the
#: point sits 90 deg off the nose; 1.5 r and 60 deg catch that case, so no waypoint is orbited.
CAPTURE_TURN_FACTOR = 1.5
CAPTURE_ABEAM_RAD = np.radians(60.0)

# ----------------------------------------------------------------------------- multirotor
#: Horizontal acceleration limit (m/s^2): ~0.5 g, a DJI-class quad reaches 20 m/s in ~4 s.
MR_ACCEL_MPS2 = 5.0
#: Position-hold time constant (s): commanded speed is distance / tau near the set-point.
MR_POSITION_TAU_S = 2.0
#: A set-point counts as reached within this horizontal distance (m).
MR_ARRIVE_M = 3.0
#: Station-keeping jitter: Ornstein-Uhlenbeck set-point offset, 1 m rms per axis, 10 s
#: correlation -- typical GNSS-hold wander of a small quad in light wind.
MR_JITTER_SIGMA_M = 1.0
MR_JITTER_TAU_S = 10.0
#: Patrol: hover this long (s, uniform) at each random patrol point before moving on.
PATROL_HOVER_S = (5.0, 30.0)

# ----------------------------------------------------------------------------- birds
#: Heading random walk intensity (rad / sqrt(s)): ~17 deg rms heading change per second.
BIRD_HEADING_WALK_RAD_SQRT_S = np.radians(17.0)
#: Speed and altitude wander as Ornstein-Uhlenbeck processes with this correlation time (s).
BIRD_OU_TAU_S = 20.0


def radii_of_curvature(lat_rad: F64) -> tuple[F64, F64]:
    """Meridian (M) and prime-vertical (N) radii of curvature (m) at geodetic latitude."""
    s2 = np.sin(lat_rad) ** 2
    w = np.sqrt(1.0 - WGS84_E2 * s2)
    n = WGS84_A_M / w
    m = WGS84_A_M * (1.0 - WGS84_E2) / (w * w * w)
    return m, n


def advance(lat_rad: F64, lon_rad: F64, alt_m: F64, ve: F64, vn: F64, vu: F64,
            dt_s: F64) -> tuple[F64, F64, F64]:
    """Move points by a local ENU velocity (m/s) for ``dt_s`` (s); returns new lat, lon, alt."""
    m, n = radii_of_curvature(lat_rad)
    lat_new = lat_rad + vn * dt_s / (m + alt_m)
    lon_new = lon_rad + ve * dt_s / ((n + alt_m) * np.cos(lat_rad))
    lon_new = (lon_new + np.pi) % TWO_PI - np.pi
    return lat_new, lon_new, alt_m + vu * dt_s


def offset_position(lat_rad: F64, lon_rad: F64, alt_m: F64, de_m: F64,
                    dn_m: F64) -> tuple[F64, F64]:
    """Position displaced by a small local (east, north) offset (m) -- first order, for the
    navigation error (a few km): error below 1 m per 10 km."""
    m, n = radii_of_curvature(lat_rad)
    return lat_rad + dn_m / (m + alt_m), lon_rad + de_m / ((n + alt_m) * np.cos(lat_rad))


def local_delta(lat_rad: F64, lon_rad: F64, alt_m: F64, lat_t_rad: F64,
                lon_t_rad: F64) -> tuple[F64, F64]:
    """Local (east, north) offset (m) from points to nearby targets (first order; use for
    distances up to ~20 km: relative error ~ d / R_earth)."""
    m, n = radii_of_curvature(lat_rad)
    dlon = (lon_t_rad - lon_rad + np.pi) % TWO_PI - np.pi
    return dlon * (n + alt_m) * np.cos(lat_rad), (lat_t_rad - lat_rad) * (m + alt_m)


def wrap_pi(a: F64) -> F64:
    """Wrap angles to [-pi, pi)."""
    return (a + np.pi) % TWO_PI - np.pi


def geodetic_to_ecef_rad(lat_rad: F64, lon_rad: F64, alt_m: F64) -> F64:
    """WGS84 geodetic (rad, rad, m) -> ECEF (N, 3) m."""
    sl, cl = np.sin(lat_rad), np.cos(lat_rad)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sl * sl)
    out = np.empty((lat_rad.shape[0], 3))
    out[:, 0] = (n + alt_m) * cl * np.cos(lon_rad)
    out[:, 1] = (n + alt_m) * cl * np.sin(lon_rad)
    out[:, 2] = (n * (1.0 - WGS84_E2) + alt_m) * sl
    return out


def enu_to_ecef_vec(lat_rad: F64, lon_rad: F64, v_enu: F64) -> F64:
    """Rotate local ENU vectors (N, 3) at the given points into ECEF (N, 3)."""
    sl, cl = np.sin(lat_rad), np.cos(lat_rad)
    so, co = np.sin(lon_rad), np.cos(lon_rad)
    e, n, u = v_enu[:, 0], v_enu[:, 1], v_enu[:, 2]
    out = np.empty_like(v_enu)
    out[:, 0] = -so * e - sl * co * n + cl * co * u
    out[:, 1] = co * e - sl * so * n + cl * so * u
    out[:, 2] = cl * n + sl * u
    return out


@dataclass
class MotionState:
    """Mutable kinematic state of all P platforms (arrays of P rows, updated in place).

    ``nav_err_en_m`` (P, 2) is the navigation error: believed minus true position, local
    east/north metres (non-zero only after GNSS jamming). ``vel_enu`` (P, 3) m/s is the velocity
    actually flown over the last step. ``tgt_*`` hold multirotor set-points and bird altitude
    targets; ``jitter_en_m`` (P, 2) the multirotor station-keeping wander.
    """

    lat_rad: F64
    lon_rad: F64
    alt_m: F64
    heading_rad: F64
    speed_mps: F64
    vel_enu: F64
    wp_idx: IntP
    finished: Bool
    nav_err_en_m: F64
    tgt_lat_rad: F64
    tgt_lon_rad: F64
    tgt_alt_m: F64
    hover_until_s: F64
    jitter_en_m: F64
    jammed: Bool


def fixed_wing_step(st: MotionState, idx: IntP, dt_s: F64, bias_rad: F64,
                    route_lat_deg: F64, route_lon_deg: F64, route_alt_m: F64, route_len: IntP,
                    cmd_speed_mps: F64, turn_rate_rps: F64, climb_mps: F64) -> None:
    """Advance fixed-wing platforms ``idx`` (K,) by ``dt_s`` (K,) s > 0, in place.

    Guidance: pure pursuit of the current waypoint from the *believed* position (true position +
    navigation error), course command biased by ``bias_rad`` (K,) (GNSS jamming); heading rate
    limited to ``turn_rate_rps`` (K,), vertical speed to ``climb_mps`` (K,); horizontal speed is
    ``cmd_speed_mps`` (K,). Route arrays are the platforms' padded routes (K, W). A platform whose
    last waypoint is captured is marked ``finished`` and does not move in that step.
    """
    lat, lon, h = st.lat_rad[idx], st.lon_rad[idx], st.alt_m[idx]
    err = st.nav_err_en_m[idx]
    lat_b, lon_b = offset_position(lat, lon, h, err[:, 0], err[:, 1])
    lat_b_deg, lon_b_deg = np.degrees(lat_b), np.degrees(lon_b)
    psi = st.heading_rad[idx]
    v = cmd_speed_mps
    w = st.wp_idx[idx]
    rows = np.arange(idx.shape[0])
    az, _, dist = GEOD.inv(lon_b_deg, lat_b_deg, route_lon_deg[rows, w], route_lat_deg[rows, w])
    brg = np.radians(az)
    turn_radius = v / turn_rate_rps
    cap_direct = np.maximum(CAPTURE_MIN_M, v * dt_s)
    cap_abeam = CAPTURE_TURN_FACTOR * turn_radius + v * dt_s
    off_nose = np.abs(wrap_pi(brg - psi))
    captured = (dist < cap_direct) | ((dist < cap_abeam) & (off_nose > CAPTURE_ABEAM_RAD))
    w = w + captured
    done = w >= route_len
    st.wp_idx[idx] = np.minimum(w, route_len - 1)
    st.finished[idx[done]] = True
    redo = captured & ~done
    if redo.any():  # steer toward the next waypoint already in this step
        r = rows[redo]
        az2, _, _ = GEOD.inv(lon_b_deg[r], lat_b_deg[r], route_lon_deg[r, w[r]],
                             route_lat_deg[r, w[r]])
        brg[r] = np.radians(az2)
    move = ~done
    wc = np.minimum(w, route_len - 1)
    course_cmd = brg + bias_rad
    max_turn = turn_rate_rps * dt_s
    dpsi = np.clip(wrap_pi(course_cmd - psi), -max_turn, max_turn)
    psi_new = (psi + dpsi) % TWO_PI
    vz = np.clip((route_alt_m[rows, wc] - h) / dt_s, -climb_mps, climb_mps)
    ve, vn = v * np.sin(psi_new), v * np.cos(psi_new)
    lat_n, lon_n, h_n = advance(lat, lon, h, ve, vn, vz, dt_s)
    i = idx[move]
    st.lat_rad[i], st.lon_rad[i], st.alt_m[i] = lat_n[move], lon_n[move], h_n[move]
    st.heading_rad[i] = psi_new[move]
    st.speed_mps[i] = v[move]
    st.vel_enu[i, 0], st.vel_enu[i, 1], st.vel_enu[i, 2] = ve[move], vn[move], vz[move]


def multirotor_step(st: MotionState, idx: IntP, dt_s: F64, bias_rad: F64, max_speed_mps: F64,
                    climb_mps: F64, rng: np.random.Generator) -> Bool:
    """Advance multirotors ``idx`` (K,) by ``dt_s`` (K,) toward their set-points, in place.

    Commanded horizontal velocity points from the believed position to the set-point (plus the
    station-keeping jitter) with magnitude ``min(max_speed, v_brake(d), d / max(tau, dt))``
    (``v_brake`` ~ sqrt(2 a d): a braking profile that stops on the point), rotated by
    ``bias_rad``; the actual velocity follows it with acceleration limit ``MR_ACCEL_MPS2``.
    Returns ``arrived`` (K,): within ``MR_ARRIVE_M`` of the set-point (ignoring jitter) after
    the step.
    """
    lat, lon, h = st.lat_rad[idx], st.lon_rad[idx], st.alt_m[idx]
    err = st.nav_err_en_m[idx]
    lat_b, lon_b = offset_position(lat, lon, h, err[:, 0], err[:, 1])
    # station-keeping wander (exact OU discretisation)
    jit = st.jitter_en_m[idx]
    phi = np.exp(-dt_s / MR_JITTER_TAU_S)[:, None]
    jit = phi * jit + MR_JITTER_SIGMA_M * np.sqrt(1.0 - phi * phi) * rng.standard_normal(jit.shape)
    st.jitter_en_m[idx] = jit
    de, dn = local_delta(lat_b, lon_b, h, st.tgt_lat_rad[idx], st.tgt_lon_rad[idx])
    de, dn = de + jit[:, 0], dn + jit[:, 1]
    d = np.hypot(de, dn)
    tau = np.maximum(MR_POSITION_TAU_S, dt_s)
    # fastest speed from which the step-wise braking (a dt per step, position advanced with the
    # new velocity) stops within d: a dt (sqrt(1/4 + 2 d / (a dt^2)) - 1/2) -> sqrt(2 a d)
    adt = MR_ACCEL_MPS2 * dt_s
    v_brake = adt * (np.sqrt(0.25 + 2.0 * d / (adt * dt_s)) - 0.5)
    speed = np.minimum(np.minimum(max_speed_mps, v_brake), d / tau)
    with np.errstate(invalid="ignore", divide="ignore"):
        ue, un = np.where(d > 0, de / d, 0.0), np.where(d > 0, dn / d, 0.0)
    cb, sb = np.cos(bias_rad), np.sin(bias_rad)
    # rotate clockwise (compass sense) by the bias
    ce, cn = speed * (ue * cb + un * sb), speed * (un * cb - ue * sb)
    v_old = st.vel_enu[idx]
    dve, dvn = ce - v_old[:, 0], cn - v_old[:, 1]
    dv = np.hypot(dve, dvn)
    lim = MR_ACCEL_MPS2 * dt_s
    scale = np.where(dv > lim, lim / np.maximum(dv, 1e-12), 1.0)
    ve, vn = v_old[:, 0] + dve * scale, v_old[:, 1] + dvn * scale
    vz = np.clip((st.tgt_alt_m[idx] - h) / dt_s, -climb_mps, climb_mps)
    lat_n, lon_n, h_n = advance(lat, lon, h, ve, vn, vz, dt_s)
    st.lat_rad[idx], st.lon_rad[idx], st.alt_m[idx] = lat_n, lon_n, h_n
    st.vel_enu[idx, 0], st.vel_enu[idx, 1], st.vel_enu[idx, 2] = ve, vn, vz
    sp = np.hypot(ve, vn)
    st.speed_mps[idx] = sp
    st.heading_rad[idx] = np.where(sp > 0.1, np.arctan2(ve, vn) % TWO_PI, st.heading_rad[idx])
    lat_b2, lon_b2 = offset_position(lat_n, lon_n, h_n, err[:, 0], err[:, 1])
    de2, dn2 = local_delta(lat_b2, lon_b2, h_n, st.tgt_lat_rad[idx], st.tgt_lon_rad[idx])
    return np.asarray(np.hypot(de2, dn2) < MR_ARRIVE_M)


def bird_step(st: MotionState, idx: IntP, dt_s: F64, outside: Bool, home_lat_rad: F64,
              home_lon_rad: F64, speed_lo_mps: F64, speed_hi_mps: F64, alt_lo_m: F64,
              alt_hi_m: F64, turn_rate_rps: F64, climb_mps: F64,
              rng: np.random.Generator) -> None:
    """Advance birds ``idx`` (K,) by ``dt_s`` (K,), in place.

    Heading: random walk (``BIRD_HEADING_WALK_RAD_SQRT_S``), or -- for birds ``outside`` (K,)
    their area -- a turn toward the area centre ``home_*`` (K,); both turn-rate limited. Speed
    and target altitude: Ornstein-Uhlenbeck around the middle of their ranges, clipped to them;
    vertical speed limited to ``climb_mps``.
    """
    lat, lon, h = st.lat_rad[idx], st.lon_rad[idx], st.alt_m[idx]
    psi = st.heading_rad[idx]
    k = idx.shape[0]
    z = rng.standard_normal((k, 3))
    max_turn = turn_rate_rps * dt_s
    walk = BIRD_HEADING_WALK_RAD_SQRT_S * np.sqrt(dt_s) * z[:, 0]
    de, dn = local_delta(lat, lon, h, home_lat_rad, home_lon_rad)
    back = wrap_pi(np.arctan2(de, dn) - psi)
    dpsi = np.clip(np.where(outside, back, walk), -max_turn, max_turn)
    psi_new = (psi + dpsi) % TWO_PI
    phi = np.exp(-dt_s / BIRD_OU_TAU_S)
    innov = np.sqrt(1.0 - phi * phi)
    mid_v, sig_v = 0.5 * (speed_lo_mps + speed_hi_mps), 0.25 * (speed_hi_mps - speed_lo_mps)
    v = mid_v + phi * (st.speed_mps[idx] - mid_v) + sig_v * innov * z[:, 1]
    v = np.clip(v, speed_lo_mps, speed_hi_mps)
    mid_h, sig_h = 0.5 * (alt_lo_m + alt_hi_m), 0.25 * (alt_hi_m - alt_lo_m)
    h_t = mid_h + phi * (st.tgt_alt_m[idx] - mid_h) + sig_h * innov * z[:, 2]
    h_t = np.clip(h_t, alt_lo_m, alt_hi_m)
    st.tgt_alt_m[idx] = h_t
    vz = np.clip((h_t - h) / dt_s, -climb_mps, climb_mps)
    ve, vn = v * np.sin(psi_new), v * np.cos(psi_new)
    lat_n, lon_n, h_n = advance(lat, lon, h, ve, vn, vz, dt_s)
    st.lat_rad[idx], st.lon_rad[idx], st.alt_m[idx] = lat_n, lon_n, h_n
    st.heading_rad[idx], st.speed_mps[idx] = psi_new, v
    st.vel_enu[idx, 0], st.vel_enu[idx, 1], st.vel_enu[idx, 2] = ve, vn, vz
