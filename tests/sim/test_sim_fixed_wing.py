"""Fixed-wing guidance: waypoints reached, turn-rate / climb limits, speeds, level flight."""

from __future__ import annotations

import numpy as np
from sim_helpers import build

from dronewall.catalog import PLATFORMS
from dronewall.geo.frames import ecef_to_geodetic
from dronewall.sim.areas import GEOD

ROUTE = [[51.10, 23.00], [51.10, 23.20], [51.00, 23.30]]


def _raid(extra: str = "", count: int = 1) -> str:
    return f"""
    traffic:
      raids:
        - {{id: r, platform: shahed136, count: {count}, window_s: [0, 0],
           launch: {{center: [51.0, 23.0], radius_m: 50}}, route: {ROUTE},
           route_spread_m: 0 {extra}}}
    """


def _heading_rates(run: dict, dt: float) -> np.ndarray:
    v = run["vel_enu"]
    psi = np.arctan2(v[..., 0], v[..., 1])
    both = run["active"][1:] & run["active"][:-1]
    d = (np.diff(psi, axis=0) + np.pi) % (2 * np.pi) - np.pi
    return np.abs(d[both]) / dt


def test_waypoints_reached_and_limits_respected() -> None:
    _, sim = build(_raid(), duration_s=1500)
    run = sim.run_arrays()
    spec = PLATFORMS["shahed136"]
    lat, lon, act = run["lat_deg"][:, 0], run["lon_deg"][:, 0], run["active"][:, 0]
    for wlat, wlon in ROUTE:
        _, _, d = GEOD.inv(lon[act], lat[act], np.full(act.sum(), wlon), np.full(act.sum(), wlat))
        assert d.min() < 50.0, f"waypoint {(wlat, wlon)} missed by {d.min():.0f} m"
    # one-way attack drone: ends (impacts) at the last waypoint, then inactive
    last = np.flatnonzero(act)[-1]
    assert last < len(sim.times) - 1 and not act[last + 1:].any()
    _, _, d_end = GEOD.inv(lon[last], lat[last], ROUTE[-1][1], ROUTE[-1][0])
    assert d_end < 50.0
    # limits: heading rate and climb rate, measured from the output velocities
    rates = _heading_rates(run, 1.0)
    assert rates.max() <= np.radians(spec.max_turn_rate_dps) * (1 + 1e-9)
    assert rates.max() > 0.9 * np.radians(spec.max_turn_rate_dps)  # corners need full turn rate
    vz = run["vel_enu"][act, 0, 2]
    assert np.abs(vz).max() <= spec.max_climb_mps + 1e-9
    assert np.isclose(np.abs(vz).max(), spec.max_climb_mps)  # launched from ground: climbs
    alt = run["alt_m"][act, 0]
    assert alt[0] < 10.0 and np.isclose(alt[-1], spec.cruise_alt_m)
    assert np.all(np.diff(alt) <= spec.max_climb_mps + 1e-9)


def test_velocity_is_the_actual_motion() -> None:
    _, sim = build(_raid(), duration_s=900)
    run = sim.run_arrays(("active", "ecef", "vel_enu"))
    states = list(sim.states())
    act = run["active"][:, 0]
    both = np.flatnonzero(act[1:] & act[:-1])
    fd = (run["ecef"][both + 1, 0] - run["ecef"][both, 0]) / 1.0
    vel_ecef = np.array([states[k + 1].vel_ecef[0] for k in both])
    # finite difference of positions == reported velocity (to curvature/rotation effects)
    assert np.abs(fd - vel_ecef).max() < 0.05
    assert np.allclose(np.linalg.norm(vel_ecef, axis=1),
                       np.linalg.norm(run["vel_enu"][both + 1, 0], axis=1))


def test_speed_matches_catalogue_and_override() -> None:
    _, sim = build(_raid(count=3), duration_s=300)
    run = sim.run_arrays()
    hs = np.hypot(run["vel_enu"][..., 0], run["vel_enu"][..., 1])[run["active"]]
    assert np.allclose(hs, PLATFORMS["shahed136"].cruise_speed_mps)
    _, sim2 = build(_raid(", speed_mps: 50, altitude_m: 400"), duration_s=300)
    run2 = sim2.run_arrays()
    hs2 = np.hypot(run2["vel_enu"][..., 0], run2["vel_enu"][..., 1])[run2["active"]]
    assert np.allclose(hs2, 50.0)
    assert np.isclose(run2["alt_m"][-1, 0], 400.0)


def test_level_flight_holds_altitude_over_500_km() -> None:
    # Helsinki region to the Baltic/Poland border: 500 km across latitudes 60 -> 55.5 deg N
    route = [[60.0, 25.0, 10500], [57.8, 25.8, 10500], [55.55, 24.9, 10500]]
    body = f"""
    traffic:
      aircraft:
        - {{id: al, platform: airliner, count: 1, route: {route}}}
    """
    _, sim = build(body, duration_s=2400, step_s=2.0)
    run = sim.run_arrays()
    act = run["active"][:, 0]
    assert act[0] and not act[-1], "flight should finish at the last waypoint"
    alt = run["alt_m"][act, 0]
    assert np.all(alt == 10500.0)
    _, _, h_from_ecef = ecef_to_geodetic(run["ecef"][act, 0])
    assert np.abs(h_from_ecef - 10500.0).max() < 1e-3
    assert np.all(run["vel_enu"][act, 0, 2] == 0.0)
    lat, lon = run["lat_deg"][act, 0], run["lon_deg"][act, 0]
    _, _, d_end = GEOD.inv(lon[-1], lat[-1], route[-1][1], route[-1][0])
    assert d_end < PLATFORMS["airliner"].cruise_speed_mps * 2.0 + 1.0
    # the flown path length equals speed x time and the geodesic route length within 0.5 %
    _, _, legs = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    rt = np.array(route, dtype=float)
    _, _, plan = GEOD.inv(rt[:-1, 1], rt[:-1, 0], rt[1:, 1], rt[1:, 0])
    assert plan.sum() > 480e3
    assert abs(legs.sum() - plan.sum()) / plan.sum() < 0.005
    assert np.allclose(legs, PLATFORMS["airliner"].cruise_speed_mps * 2.0, rtol=2e-3)


def test_flow_flies_entry_to_exit_and_leaves() -> None:
    body = """
    traffic:
      flows:
        - {id: f, platform: airliner, count: 5, window_s: [0, 300],
           entry: {center: [52.25, 21.6], radius_m: 5000},
           exit: {center: [51.6, 22.4], radius_m: 5000}}
    """
    _, sim = build(body, duration_s=900)
    run = sim.run_arrays()
    t = run["t"]
    for k in range(5):
        act = run["active"][:, k]
        first, last = np.flatnonzero(act)[[0, -1]]
        assert t[first] <= 301.0
        assert last < len(t) - 1  # left the scenario
        _, _, d0 = GEOD.inv(run["lon_deg"][first, k], run["lat_deg"][first, k], 21.6, 52.25)
        _, _, d1 = GEOD.inv(run["lon_deg"][last, k], run["lat_deg"][last, k], 22.4, 51.6)
        assert d0 < 5000 + 230 and d1 < 5000 + 500
        assert np.allclose(run["alt_m"][act, k], PLATFORMS["airliner"].cruise_alt_m)
    assert sim.platforms.adsb.all()
