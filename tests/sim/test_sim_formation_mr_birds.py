"""Formation flight, multirotor patterns and birds."""

from __future__ import annotations

import numpy as np
from sim_helpers import build

from dronewall.catalog import PLATFORMS
from dronewall.sim.areas import GEOD, great_circle_m

MIG_ROUTE = [[59.90, 28.20, 7500], [59.78, 27.10, 7500], [59.78, 26.40, 8000],
             [59.76, 25.60, 8000], [59.80, 24.60, 7500]]


def test_mig31_formation_keeps_spacing() -> None:
    body = f"""
    traffic:
      aircraft:
        - {{id: mig31, platform: mig31, count: 3, formation_spacing_m: 2000, route: {MIG_ROUTE}}}
    """
    _, sim = build(body, duration_s=1500)
    run = sim.run_arrays()
    act = run["active"]
    assert act[0].all()
    both = act[:, 0] & act[:, 1] & act[:, 2]
    assert both.sum() > 400
    for a, b in ((0, 1), (1, 2)):
        # horizontal (ellipsoid-surface) separation; vertical steps while climbing are extra
        _, _, d = GEOD.inv(run["lon_deg"][both, a], run["lat_deg"][both, a],
                           run["lon_deg"][both, b], run["lat_deg"][both, b])
        assert abs(np.median(d) - 2000.0) < 2.0
        assert d.max() < 2002.0 and d.min() > 1800.0  # chord shorter than the arc in turns
    # all leave at the last waypoint, leader first, in trail order
    ends = [np.flatnonzero(act[:, k])[-1] for k in range(3)]
    assert ends == sorted(ends) and ends[-1] < len(sim.times) - 1
    # climb to the 8,000 m waypoints within the MiG-31 climb limit
    alt = run["alt_m"][both, 0]
    assert alt.max() == 8000.0
    assert np.abs(run["vel_enu"][act[:, 0], 0, 2]).max() <= PLATFORMS["mig31"].max_climb_mps


def _mr(pattern: str, extra: str = "") -> str:
    return f"""
    traffic:
      multirotors:
        - {{id: q, platform: dji_multirotor, count: 1, home: [51.6, 23.6], radius_m: 800,
           pattern: {pattern} {extra}}}
    """


def test_multirotor_hover_station_keeping() -> None:
    _, sim = build(_mr("hover", ", altitude_m: 120"), duration_s=1800)
    run = sim.run_arrays()
    d = great_circle_m(run["lat_deg"][:, 0], run["lon_deg"][:, 0], 51.6, 23.6)
    assert d.max() < 5.0 and d.std() > 0.05  # a few metres of wander, not frozen
    assert np.allclose(run["alt_m"][:, 0], 120.0)
    assert np.hypot(run["vel_enu"][:, 0, 0], run["vel_enu"][:, 0, 1]).max() < 3.0


def test_multirotor_dash_at_max_speed_then_hover() -> None:
    dash_to = [51.62, 23.64]
    _, sim = build(_mr("dash", f", dash_to: {dash_to}"), duration_s=600)
    run = sim.run_arrays()
    dist0 = great_circle_m(51.6, 23.6, *dash_to)
    vmax = PLATFORMS["dji_multirotor"].max_speed_mps
    hs = np.hypot(run["vel_enu"][:, 0, 0], run["vel_enu"][:, 0, 1])
    assert np.isclose(hs.max(), vmax)
    assert (hs > vmax - 1e-6).sum() > 0.7 * dist0 / vmax  # most of the dash at max speed
    d = great_circle_m(run["lat_deg"][:, 0], run["lon_deg"][:, 0], *dash_to)
    arrive = np.argmax(d < 5.0)
    assert arrive > 0 and run["t"][arrive] < dist0 / vmax + 15.0
    assert d[arrive:].max() < 6.0  # then holds the point
    # quick but finite accelerations
    acc = np.linalg.norm(np.diff(run["vel_enu"][:, 0, :2], axis=0), axis=1)
    assert acc.max() <= 5.0 + 1e-9


def test_multirotor_patrol_stays_in_radius_and_moves() -> None:
    _, sim = build(_mr("patrol", ", remote_id: true"), duration_s=1800)
    run = sim.run_arrays()
    d = great_circle_m(run["lat_deg"][:, 0], run["lon_deg"][:, 0], 51.6, 23.6)
    assert d.max() < 800.0 + 10.0 and d.max() > 200.0
    hs = np.hypot(run["vel_enu"][:, 0, 0], run["vel_enu"][:, 0, 1])
    assert hs.max() <= PLATFORMS["dji_multirotor"].cruise_speed_mps + 1e-9
    assert (hs < 0.5).mean() > 0.1  # short hovers between legs
    assert (hs > 0.9 * PLATFORMS["dji_multirotor"].cruise_speed_mps).mean() > 0.2


def test_multirotor_window() -> None:
    _, sim = build(_mr("hover", ", window_s: [100, 300]"), duration_s=600)
    run = sim.run_arrays(("active",))
    t_act = run["t"][run["active"][:, 0]]
    assert t_act.min() == 100.0 and t_act.max() == 300.0


def test_birds_slow_erratic_and_inside_area() -> None:
    body = """
    traffic:
      birds:
        - {id: flocks, count: 50, area: {center: [51.45, 23.40], radius_m: 2000},
           altitude_m: [20, 300], speed_mps: [8, 16]}
        - {id: poly, count: 20, area: {polygon: [[51.0, 23.0], [51.0, 23.05], [51.03, 23.05]]}}
    """
    _, sim = build(body, duration_s=3600, step_s=2.0)
    run = sim.run_arrays()
    assert run["active"].all()
    circ = sim.platforms.group == "flocks"
    d = great_circle_m(run["lat_deg"][:, circ], run["lon_deg"][:, circ], 51.45, 23.40)
    assert (d <= 2000.0).mean() > 0.95 and d.max() < 2000.0 + 800.0
    poly = sim.expansion.bird_areas[1]
    inside = poly.contains(run["lat_deg"][:, ~circ].ravel(), run["lon_deg"][:, ~circ].ravel())
    assert inside.mean() > 0.9
    hs = np.hypot(run["vel_enu"][..., 0], run["vel_enu"][..., 1])
    assert hs.min() >= 8.0 - 1e-9 and hs.max() <= 16.0 + 1e-9
    alt = run["alt_m"][:, circ]
    assert alt.min() > 20.0 - 10.0 and alt.max() < 300.0 + 10.0 and alt.std() > 20.0
    # erratic: headings change a lot (not straight lines)
    psi = np.arctan2(run["vel_enu"][..., 0], run["vel_enu"][..., 1])
    dpsi = np.abs((np.diff(psi, axis=0) + np.pi) % (2 * np.pi) - np.pi)
    assert np.median(dpsi) > np.radians(5.0)
    assert dpsi.max() <= np.radians(PLATFORMS["bird"].max_turn_rate_dps) * 2.0 + 1e-9
