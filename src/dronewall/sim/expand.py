"""Expand a scenario's traffic specs into per-platform rows (see ``docs/simulation.md``).

Order of platforms: raids, aircraft, flows, multirotors, birds, each in scenario order, ``count``
rows per spec with ids ``<spec id>-<k>``. All random draws come from the generator passed in,
in this fixed order, so the same scenario and seed give identical platforms. Cooperative
identities (ICAO 24-bit address, callsign, Remote ID serial) are derived from the platform id by
hashing, so they do not depend on the random stream at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dronewall.catalog import PLATFORMS, MotionModel, PlatformSpec
from dronewall.geo.frames import geodetic_to_ecef
from dronewall.scenario.model import (
    AircraftSpec,
    BirdSpec,
    FlowSpec,
    MultirotorSpec,
    RaidSpec,
    Scenario,
)
from dronewall.sim.areas import GEOD, SimArea
from dronewall.sim.state import PlatformTable

F64 = NDArray[np.float64]

#: Raids are launched from the ground (catapult, rail or truck launch) and climb to cruise.
RAID_LAUNCH_ALT_M = 0.0
#: A Remote ID operator (pilot) stands on the ground: hand-held controller height (m).
OPERATOR_HEIGHT_M = 1.5
#: ANSI/CTA-2063-A serial: 4-char manufacturer code, 1-char length code, serial of that length.
#: "1581" is the code seen on DJI serials; length code "F" = 15 characters.
RID_MFR_CODE = "1581"
RID_SERIAL_LEN = 15
RID_LEN_CODE = "F"
#: CTA-2063-A serial alphabet: digits and upper-case letters except I and O.
RID_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#: Largest endurance (s) we give any platform: multirotors without an explicit window end.
NO_END_S = float("inf")

PATTERN_NONE, PATTERN_HOVER, PATTERN_PATROL, PATTERN_DASH = -1, 0, 1, 2
_PATTERNS = {"hover": PATTERN_HOVER, "patrol": PATTERN_PATROL, "dash": PATTERN_DASH}


@dataclass
class _Rows:
    """Column lists accumulated while expanding (one entry per platform)."""

    ids: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    platform: list[str] = field(default_factory=list)
    rcs_m2: list[float] = field(default_factory=list)
    adsb: list[bool] = field(default_factory=list)
    remote_id: list[bool] = field(default_factory=list)
    icao24_given: list[str] = field(default_factory=list)
    callsign_given: list[str] = field(default_factory=list)
    launch_s: list[float] = field(default_factory=list)
    end_s: list[float] = field(default_factory=list)
    lat0_deg: list[float] = field(default_factory=list)
    lon0_deg: list[float] = field(default_factory=list)
    alt0_m: list[float] = field(default_factory=list)
    heading0_deg: list[float] = field(default_factory=list)
    speed_mps: list[float] = field(default_factory=list)
    route: list[F64] = field(default_factory=list)  # each (W, 3) lat_deg, lon_deg, alt_m
    wp_start: list[int] = field(default_factory=list)
    pattern: list[int] = field(default_factory=list)
    home_lat_deg: list[float] = field(default_factory=list)
    home_lon_deg: list[float] = field(default_factory=list)
    radius_m: list[float] = field(default_factory=list)
    operator: list[tuple[float, float, float]] = field(default_factory=list)
    area_idx: list[int] = field(default_factory=list)
    band_speed: list[tuple[float, float]] = field(default_factory=list)
    band_alt: list[tuple[float, float]] = field(default_factory=list)

    def add(self, n: int, **cols: object) -> None:
        """Append ``n`` rows; each value is a scalar (repeated) or a length-n sequence."""
        for name, val in cols.items():
            col = getattr(self, name)
            if isinstance(val, (list, tuple, np.ndarray)) and not (
                    name in ("operator", "band_speed", "band_alt") and isinstance(val, tuple)):
                assert len(val) == n, name
                col.extend(list(val))
            else:
                col.extend([val] * n)


@dataclass(frozen=True)
class Expansion:
    """Everything the simulator needs per platform (P rows; routes padded to W waypoints).

    ``route_*`` (P, W): waypoint lat_deg / lon_deg / alt_m, ``route_len`` (P,) valid count,
    ``wp_start`` (P,) first waypoint to fly to. Fixed-wing: routes end at the last waypoint.
    Multirotors: ``route`` row 0 is the hover station or dash point, ``home_*``/``radius_m``
    the patrol circle. Birds: ``area_idx`` indexes ``bird_areas``; ``band_*`` (P, 2) [min, max]
    speed / altitude. ``operator_ecef`` (P, 3) m, NaN without a Remote ID operator.
    """

    table: PlatformTable
    motion: NDArray[np.int8]
    launch_s: F64
    end_s: F64
    lat0_deg: F64
    lon0_deg: F64
    alt0_m: F64
    heading0_deg: F64
    speed_mps: F64
    max_speed_mps: F64
    turn_rate_rps: F64
    climb_mps: F64
    route_lat_deg: F64
    route_lon_deg: F64
    route_alt_m: F64
    route_len: NDArray[np.intp]
    wp_start: NDArray[np.intp]
    pattern: NDArray[np.int8]
    home_lat_deg: F64
    home_lon_deg: F64
    radius_m: F64
    operator_ecef: F64
    area_idx: NDArray[np.intp]
    band_speed_mps: F64
    band_alt_m: F64
    bird_areas: tuple[SimArea, ...]


# ----------------------------------------------------------------------------- helpers

def raid_launch_times(n: int, t0_s: float, t1_s: float, spacing_s: float,
                      rng: np.random.Generator) -> F64:
    """``n`` sorted launch times (s) in [t0, t1] at least ``spacing_s`` apart.

    Uniform over all admissible schedules: draw n order statistics in the slack
    ``(t1 - t0) - spacing (n - 1)`` and add ``i * spacing`` to the i-th.
    """
    slack = max((t1_s - t0_s) - spacing_s * (n - 1), 0.0)
    u = np.sort(rng.random(n)) * slack
    return np.minimum(t0_s + u + spacing_s * np.arange(n), t1_s)


def _leg_azimuths(lat: F64, lon: F64, lead_lat: float, lead_lon: float) -> F64:
    """Track direction (deg) at each waypoint of a route: circular mean of the incoming and
    outgoing geodesic azimuths (incoming for waypoint 0 is from ``lead_*``)."""
    plat = np.concatenate([[lead_lat], lat])
    plon = np.concatenate([[lead_lon], lon])
    fwd, back, _ = GEOD.inv(plon[:-1], plat[:-1], plon[1:], plat[1:])
    incoming = np.radians(np.asarray(back) + 180.0)  # azimuth at arrival of each leg
    outgoing = np.radians(np.concatenate([np.asarray(fwd)[1:], [np.degrees(incoming[-1])]]))
    mean = np.arctan2(np.sin(incoming) + np.sin(outgoing), np.cos(incoming) + np.cos(outgoing))
    return np.degrees(mean)


def _route_alts(route: list[list[float]], default_alt_m: float) -> F64:
    return np.array([p[2] if len(p) > 2 else default_alt_m for p in route], dtype=np.float64)


def _blake_int(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")


def _unique_icao24(pid: str, used: set[str]) -> str:
    """Deterministic 24-bit address from the platform id, avoiding ``used`` (mutated)."""
    v = _blake_int("icao24:" + pid) & 0xFFFFFF
    while f"{v:06x}" in used or v in (0, 0xFFFFFF):
        v = (v + 1) & 0xFFFFFF
    s = f"{v:06x}"
    used.add(s)
    return s


def _unique_callsign(group: str, used: set[str]) -> str:
    """Generated callsign: 3-letter stem from the spec id + the smallest free 3-digit (or
    longer) number, e.g. ``AIR001`` -- an ICAO-style flight number, unique within ``used``."""
    stem = "".join(c for c in group.upper() if c.isalpha())[:3].ljust(3, "X")
    k = 1
    while f"{stem}{k:03d}" in used:
        k += 1
    cand = f"{stem}{k:03d}"
    used.add(cand)
    return cand


def _rid_serial(pid: str, used: set[str]) -> str:
    """Deterministic ANSI/CTA-2063-A serial from the platform id, unique within ``used``."""
    salt = 0
    while True:
        v = _blake_int(f"rid:{pid}:{salt}")
        chars = []
        for _ in range(RID_SERIAL_LEN):
            v, r = divmod(v, len(RID_ALPHABET))
            chars.append(RID_ALPHABET[r])
        s = RID_MFR_CODE + RID_LEN_CODE + "".join(chars)
        if s not in used:
            used.add(s)
            return s
        salt += 1


def _speed(spec_speed: float | None, p: PlatformSpec) -> float:
    return float(spec_speed) if spec_speed is not None else p.cruise_speed_mps


def _alt(spec_alt: float | None, p: PlatformSpec) -> float:
    return float(spec_alt) if spec_alt is not None else p.cruise_alt_m


# ----------------------------------------------------------------------------- per spec

def _raid(r: _Rows, s: RaidSpec, rng: np.random.Generator) -> None:
    p = PLATFORMS[s.platform]
    n = s.count
    launch = SimArea.from_spec(s.launch)
    lat0, lon0 = launch.sample(n, rng)
    times = raid_launch_times(n, s.window_s[0], s.window_s[1], s.spacing_s, rng)
    alt = _alt(s.altitude_m, p)
    routes: list[F64] = []
    if s.route is not None:
        lat_w = np.array([q[0] for q in s.route], dtype=np.float64)
        lon_w = np.array([q[1] for q in s.route], dtype=np.float64)
        alt_w = _route_alts(s.route, alt)
        track = _leg_azimuths(lat_w, lon_w, launch.center_lat_deg, launch.center_lon_deg)
        offset = rng.normal(0.0, s.route_spread_m, n) if s.route_spread_m > 0 else np.zeros(n)
        lat_o = np.empty((n, lat_w.shape[0]))
        lon_o = np.empty_like(lat_o)
        for j in range(lat_w.shape[0]):  # loop over waypoints of one spec, vectorised over n
            lo, la, _ = GEOD.fwd(np.full(n, lon_w[j]), np.full(n, lat_w[j]),
                                 np.full(n, track[j] + 90.0), offset)
            lat_o[:, j], lon_o[:, j] = la, lo
        routes = [np.stack([lat_o[k], lon_o[k], alt_w], axis=1) for k in range(n)]
    else:
        assert s.target is not None
        tlat, tlon = SimArea.from_spec(s.target).sample(n, rng)
        routes = [np.array([[tlat[k], tlon[k], alt]]) for k in range(n)]
    first = np.array([rt[0] for rt in routes])
    az, _, _ = GEOD.inv(lon0, lat0, first[:, 1], first[:, 0])
    r.add(n, ids=[f"{s.id}-{k}" for k in range(n)], group=s.id, platform=s.platform,
          rcs_m2=s.rcs_m2 if s.rcs_m2 is not None else p.rcs_m2, adsb=s.adsb,
          remote_id=s.remote_id, icao24_given="", callsign_given="", launch_s=times,
          end_s=NO_END_S, lat0_deg=lat0, lon0_deg=lon0, alt0_m=RAID_LAUNCH_ALT_M,
          heading0_deg=np.asarray(az), speed_mps=_speed(s.speed_mps, p), route=routes,
          wp_start=0, pattern=PATTERN_NONE, home_lat_deg=np.nan, home_lon_deg=np.nan,
          radius_m=np.nan, operator=(np.nan, np.nan, np.nan), area_idx=-1,
          band_speed=(np.nan, np.nan), band_alt=(np.nan, np.nan))


def _aircraft(r: _Rows, s: AircraftSpec) -> None:
    p = PLATFORMS[s.platform]
    n = s.count
    alt = _alt(s.altitude_m, p)
    lat_w = np.array([q[0] for q in s.route], dtype=np.float64)
    lon_w = np.array([q[1] for q in s.route], dtype=np.float64)
    alt_w = _route_alts(s.route, alt)
    az01, _, _ = GEOD.inv(lon_w[0], lat_w[0], lon_w[1], lat_w[1])
    trail = s.formation_spacing_m * np.arange(n)
    lon0, lat0, _ = GEOD.fwd(np.full(n, lon_w[0]), np.full(n, lat_w[0]),
                             np.full(n, az01 + 180.0), trail)
    route = np.stack([lat_w, lon_w, alt_w], axis=1)
    callsigns = [""] * n
    if s.callsign:
        callsigns = [s.callsign] + [f"{s.callsign[:8 - len(str(k + 1))]}{k + 1}"
                                    for k in range(1, n)]
    r.add(n, ids=[f"{s.id}-{k}" for k in range(n)], group=s.id, platform=s.platform,
          rcs_m2=s.rcs_m2 if s.rcs_m2 is not None else p.rcs_m2, adsb=s.adsb,
          remote_id=s.remote_id, icao24_given=[s.icao24 or ""] + [""] * (n - 1),
          callsign_given=callsigns, launch_s=s.start_s, end_s=NO_END_S,
          lat0_deg=np.asarray(lat0), lon0_deg=np.asarray(lon0), alt0_m=float(alt_w[0]),
          heading0_deg=float(az01), speed_mps=_speed(s.speed_mps, p), route=[route] * n,
          wp_start=1, pattern=PATTERN_NONE, home_lat_deg=np.nan, home_lon_deg=np.nan,
          radius_m=np.nan, operator=(np.nan, np.nan, np.nan), area_idx=-1,
          band_speed=(np.nan, np.nan), band_alt=(np.nan, np.nan))


def _flow(r: _Rows, s: FlowSpec, rng: np.random.Generator) -> None:
    p = PLATFORMS[s.platform]
    n = s.count
    alt = _alt(s.altitude_m, p)
    times = np.sort(s.window_s[0] + (s.window_s[1] - s.window_s[0]) * rng.random(n))
    lat0, lon0 = SimArea.from_spec(s.entry).sample(n, rng)
    lat1, lon1 = SimArea.from_spec(s.exit).sample(n, rng)
    az, _, _ = GEOD.inv(lon0, lat0, lon1, lat1)
    r.add(n, ids=[f"{s.id}-{k}" for k in range(n)], group=s.id, platform=s.platform,
          rcs_m2=s.rcs_m2 if s.rcs_m2 is not None else p.rcs_m2, adsb=s.adsb,
          remote_id=s.remote_id, icao24_given="", callsign_given="", launch_s=times,
          end_s=NO_END_S, lat0_deg=lat0, lon0_deg=lon0, alt0_m=alt,
          heading0_deg=np.asarray(az), speed_mps=_speed(s.speed_mps, p),
          route=[np.array([[lat1[k], lon1[k], alt]]) for k in range(n)], wp_start=0,
          pattern=PATTERN_NONE, home_lat_deg=np.nan, home_lon_deg=np.nan, radius_m=np.nan,
          operator=(np.nan, np.nan, np.nan), area_idx=-1, band_speed=(np.nan, np.nan),
          band_alt=(np.nan, np.nan))


def _multirotor(r: _Rows, s: MultirotorSpec, rng: np.random.Generator) -> None:
    p = PLATFORMS[s.platform]
    n = s.count
    alt = _alt(s.altitude_m, p)
    if n == 1:
        lat0, lon0 = np.array([s.home[0]]), np.array([s.home[1]])
    else:
        r_m = s.radius_m * np.sqrt(rng.random(n))
        lo, la, _ = GEOD.fwd(np.full(n, s.home[1]), np.full(n, s.home[0]),
                             360.0 * rng.random(n), r_m)
        lat0, lon0 = np.asarray(la), np.asarray(lo)
    pattern = _PATTERNS[s.pattern]
    if pattern == PATTERN_DASH:
        assert s.dash_to is not None
        routes = [np.array([[s.dash_to[0], s.dash_to[1], alt]])] * n
        speed = float(s.speed_mps) if s.speed_mps is not None else p.max_speed_mps
    else:
        routes = [np.array([[lat0[k], lon0[k], alt]]) for k in range(n)]
        speed = _speed(s.speed_mps, p)
    if s.remote_id:
        brg = 360.0 * rng.random(n)
        olo, ola, _ = GEOD.fwd(np.full(n, s.home[1]), np.full(n, s.home[0]), brg,
                               np.full(n, s.operator_offset_m))
        ops = [(float(a), float(b), OPERATOR_HEIGHT_M) for a, b in zip(ola, olo, strict=True)]
    else:
        ops = [(np.nan, np.nan, np.nan)] * n
    r.add(n, ids=[f"{s.id}-{k}" for k in range(n)], group=s.id, platform=s.platform,
          rcs_m2=s.rcs_m2 if s.rcs_m2 is not None else p.rcs_m2, adsb=False,
          remote_id=s.remote_id, icao24_given="", callsign_given="",
          launch_s=max(s.window_s[0], 0.0), end_s=float(s.window_s[1]), lat0_deg=lat0,
          lon0_deg=lon0, alt0_m=alt, heading0_deg=0.0, speed_mps=speed, route=routes,
          wp_start=0, pattern=pattern, home_lat_deg=s.home[0], home_lon_deg=s.home[1],
          radius_m=s.radius_m, operator=ops, area_idx=-1, band_speed=(np.nan, np.nan),
          band_alt=(np.nan, np.nan))


def _birds(r: _Rows, s: BirdSpec, area_idx: int, area: SimArea,
           rng: np.random.Generator) -> None:
    n = s.count
    lat0, lon0 = area.sample(n, rng)
    a_lo, a_hi = sorted(s.altitude_m[:2])
    v_lo, v_hi = sorted(s.speed_mps[:2])
    alt0 = a_lo + (a_hi - a_lo) * rng.random(n)
    v0 = v_lo + (v_hi - v_lo) * rng.random(n)
    hdg = 360.0 * rng.random(n)
    r.add(n, ids=[f"{s.id}-{k}" for k in range(n)], group=s.id, platform="bird",
          rcs_m2=s.rcs_m2, adsb=False, remote_id=False, icao24_given="", callsign_given="",
          launch_s=0.0, end_s=NO_END_S, lat0_deg=lat0, lon0_deg=lon0, alt0_m=alt0,
          heading0_deg=hdg, speed_mps=v0,
          route=[np.array([[area.center_lat_deg, area.center_lon_deg, 0.5 * (a_lo + a_hi)]])] * n,
          wp_start=0, pattern=PATTERN_NONE, home_lat_deg=area.center_lat_deg,
          home_lon_deg=area.center_lon_deg, radius_m=np.nan,
          operator=(np.nan, np.nan, np.nan), area_idx=area_idx, band_speed=(v_lo, v_hi),
          band_alt=(a_lo, a_hi))


def expand_traffic(scenario: Scenario, rng: np.random.Generator) -> Expansion:
    """Expand all traffic specs of ``scenario`` into platform rows (see module docstring)."""
    r = _Rows()
    t = scenario.traffic
    for raid in t.raids:
        _raid(r, raid, rng)
    for ac in t.aircraft:
        _aircraft(r, ac)
    for fl in t.flows:
        _flow(r, fl, rng)
    for mr in t.multirotors:
        _multirotor(r, mr, rng)
    bird_areas: list[SimArea] = []
    for b in t.birds:
        area = SimArea.from_spec(b.area)
        _birds(r, b, len(bird_areas), area, rng)
        bird_areas.append(area)
    return _finish(r, tuple(bird_areas))


def _finish(r: _Rows, bird_areas: tuple[SimArea, ...]) -> Expansion:
    n = len(r.ids)
    specs = [PLATFORMS[k] for k in r.platform]
    adsb = np.array(r.adsb, dtype=bool)
    rid = np.array(r.remote_id, dtype=bool)
    used_icao = {s for s in r.icao24_given if s}
    used_cs = {s for s in r.callsign_given if s}
    used_rid: set[str] = set()
    icao = np.full(n, "", dtype=object)
    cs = np.full(n, "", dtype=object)
    serial = np.full(n, "", dtype=object)
    for i in np.flatnonzero(adsb):  # identities: once per cooperative platform, not per step
        icao[i] = r.icao24_given[i] or _unique_icao24(r.ids[i], used_icao)
        cs[i] = r.callsign_given[i] or _unique_callsign(r.group[i], used_cs)
    for i in np.flatnonzero(rid):
        serial[i] = _rid_serial(r.ids[i], used_rid)
    table = PlatformTable(
        ids=np.array(r.ids, dtype=object),
        group=np.array(r.group, dtype=object),
        platform=np.array(r.platform, dtype=object),
        cls=np.array([int(s.platform_class) for s in specs], dtype=np.int8),
        rcs_m2=np.array(r.rcs_m2, dtype=np.float64),
        acoustic_sl_db=np.array([s.acoustic_sl_db for s in specs], dtype=np.float64),
        acoustic_class=np.array([int(s.acoustic_class) for s in specs], dtype=np.int16)
        if n else np.zeros(0, dtype=np.int16),
        rf_protocol=np.array([int(s.rf_protocol) for s in specs], dtype=np.int16)
        if n else np.zeros(0, dtype=np.int16),
        adsb=adsb,
        remote_id=rid,
        icao24=icao,
        callsign=cs,
        rid_serial=serial,
        gnss_navigated=np.array([s.gnss_navigated for s in specs], dtype=bool),
    )
    w = max((rt.shape[0] for rt in r.route), default=1)
    route = np.full((n, w, 3), np.nan)
    route_len = np.zeros(n, dtype=np.intp)
    for i, rt in enumerate(r.route):  # one-off padding at expansion time
        route[i, : rt.shape[0]] = rt
        route[i, rt.shape[0]:] = rt[-1]
        route_len[i] = rt.shape[0]
    ops = np.array(r.operator, dtype=np.float64).reshape(n, 3)
    op_ecef = np.full((n, 3), np.nan)
    has_op = ~np.isnan(ops[:, 0])
    if has_op.any():
        op_ecef[has_op] = geodetic_to_ecef(ops[has_op, 0], ops[has_op, 1], ops[has_op, 2])
    return Expansion(
        table=table,
        motion=np.array([int(s.motion) for s in specs], dtype=np.int8),
        launch_s=np.array(r.launch_s, dtype=np.float64),
        end_s=np.array(r.end_s, dtype=np.float64),
        lat0_deg=np.array(r.lat0_deg, dtype=np.float64),
        lon0_deg=np.array(r.lon0_deg, dtype=np.float64),
        alt0_m=np.array(r.alt0_m, dtype=np.float64),
        heading0_deg=np.array(r.heading0_deg, dtype=np.float64) % 360.0,
        speed_mps=np.array(r.speed_mps, dtype=np.float64),
        max_speed_mps=np.array([s.max_speed_mps for s in specs], dtype=np.float64),
        turn_rate_rps=np.radians(np.array([s.max_turn_rate_dps for s in specs], dtype=np.float64)),
        climb_mps=np.array([s.max_climb_mps for s in specs], dtype=np.float64),
        route_lat_deg=route[:, :, 0].copy(),
        route_lon_deg=route[:, :, 1].copy(),
        route_alt_m=route[:, :, 2].copy(),
        route_len=route_len,
        wp_start=np.array(r.wp_start, dtype=np.intp),
        pattern=np.array(r.pattern, dtype=np.int8),
        home_lat_deg=np.array(r.home_lat_deg, dtype=np.float64),
        home_lon_deg=np.array(r.home_lon_deg, dtype=np.float64),
        radius_m=np.array(r.radius_m, dtype=np.float64),
        operator_ecef=op_ecef,
        area_idx=np.array(r.area_idx, dtype=np.intp),
        band_speed_mps=np.array(r.band_speed, dtype=np.float64).reshape(n, 2),
        band_alt_m=np.array(r.band_alt, dtype=np.float64).reshape(n, 2),
        bird_areas=bird_areas,
    )


__all__ = ["Expansion", "MotionModel", "expand_traffic", "raid_launch_times"]
