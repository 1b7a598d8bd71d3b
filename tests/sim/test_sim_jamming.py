"""GNSS jamming: reproducible deflection of GNSS-navigated platforms."""

from __future__ import annotations

import numpy as np
from sim_helpers import build

from dronewall.sim.areas import GEOD, great_circle_m

B = (51.0, 23.5)  # last waypoint (lat, lon)
JAM_CENTER = (51.0, 22.7)
JAM_RADIUS_M = 15000.0


def _body(jam: str, count: int = 4, extra_traffic: str = "") -> str:
    return f"""
    traffic:
      raids:
        - {{id: r, platform: shahed136, count: {count}, window_s: [0, 120], spacing_s: 30,
           launch: {{center: [51.0, 22.0], radius_m: 20}}, route: [[51.0, 22.01], [{B[0]}, {B[1]}]],
           route_spread_m: 0}}
    {extra_traffic}
    {jam}
    """


def _jam(bias: float, drift: float, bearing: float = 0.0) -> str:
    return f"""
    jamming:
      - {{id: j, area: {{center: [{JAM_CENTER[0]}, {JAM_CENTER[1]}], radius_m: {JAM_RADIUS_M}}},
         bias_deg: {bias}, drift_mps: {drift}, drift_bearing_deg: {bearing}}}
    """


def _end_points(run: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    act = run["active"]
    last = np.array([np.flatnonzero(act[:, k])[-1] for k in range(act.shape[1])])
    assert np.all(last < act.shape[0] - 1), "every drone should reach its end (impact)"
    k = np.arange(act.shape[1])
    return run["lat_deg"][last, k], run["lon_deg"][last, k], last


def test_drift_deflects_route_by_drift_times_time_jammed() -> None:
    drift = 10.0
    _, jammed_sim = build(_body(_jam(bias=0.0, drift=drift)), duration_s=3000)
    _, clean_sim = build(_body(""), duration_s=3000)
    jr, cr = jammed_sim.run_arrays(), clean_sim.run_arrays()
    # unjammed: every drone ends on the target
    lat, lon, _ = _end_points(cr)
    assert great_circle_m(lat, lon, *B).max() < 50.0
    assert not cr["jammed"].any()
    # jammed: off target by drift x time spent jammed, on the reciprocal of the drift bearing
    lat, lon, _ = _end_points(jr)
    t_jammed = jr["jammed"].sum(axis=0) * 1.0
    assert np.all(t_jammed > 500.0)  # ~30 km chord at 44 m/s
    expected = drift * t_jammed
    az, _, miss = GEOD.inv(np.full(4, B[1]), np.full(4, B[0]), lon, lat)
    assert np.all(np.abs(miss - expected) < 60.0), (miss, expected)
    assert np.all(np.abs(((az + 360.0) % 360.0) - 180.0) < 1.0)  # due south of the target
    # jammed flags only inside the jamming area
    inside = great_circle_m(jr["lat_deg"], jr["lon_deg"], *JAM_CENTER) <= JAM_RADIUS_M
    assert np.all(inside[jr["jammed"]])
    assert np.all(jr["jammed"][inside & jr["active"]])
    # reproducible: the same scenario and seed deflect identically
    _, again = build(_body(_jam(bias=0.0, drift=drift)), duration_s=3000)
    rerun = again.run_arrays()
    assert np.array_equal(rerun["lat_deg"], jr["lat_deg"])


def test_course_bias_deflects_while_jammed_then_recovers_to_target() -> None:
    _, sim = build(_body(_jam(bias=30.0, drift=0.0), count=1), duration_s=3000)
    run = sim.run_arrays()
    act = run["active"][:, 0]
    # cross-track distance from the planned straight route (a parallel of latitude here)
    xt = great_circle_m(run["lat_deg"][act, 0], run["lon_deg"][act, 0], 51.0,
                        run["lon_deg"][act, 0])
    assert xt.max() > 2000.0
    lat, lon, _ = _end_points(run)
    assert great_circle_m(lat, lon, *B)[0] < 50.0  # no position error: still hits the target


def test_non_gnss_platforms_are_not_jammed() -> None:
    airliner = """
      flows:
        - {id: f, platform: airliner, count: 2, window_s: [0, 60],
           entry: {center: [51.0, 22.3], radius_m: 100},
           exit: {center: [51.0, 23.2], radius_m: 100}}
    """
    _, sim = build(_body(_jam(bias=20.0, drift=5.0), count=1, extra_traffic=airliner),
                   duration_s=600)
    run = sim.run_arrays()
    air = sim.platforms.group == "f"
    inside = great_circle_m(run["lat_deg"], run["lon_deg"], *JAM_CENTER) <= JAM_RADIUS_M
    assert (inside[:, air] & run["active"][:, air]).any()
    assert not run["jammed"][:, air].any()


def test_navigation_error_recovery_option() -> None:
    _, sim = build(_body(_jam(bias=0.0, drift=10.0), count=1), duration_s=3000,
                   nav_recovery_tau_s=60.0)
    lat, lon, _ = _end_points(sim.run_arrays())
    assert great_circle_m(lat, lon, *B)[0] < 50.0  # error decayed after leaving the area
