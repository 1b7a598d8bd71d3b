"""Engagement windows: hand-checked geometry, zone exclusions, gates, reference oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from dronewall.airspace.zones import ZoneSet
from dronewall.catalog import EFFECTORS
from dronewall.engagement.roe import Reason, Roe
from dronewall.engagement.windows import (
    COARSE_DT_S,
    FINE_HORIZON_S,
    PK_GEOM_FRACTION,
    PROCESS_NOISE_Q,
    TERMINAL_UPDATE_S,
    EffectorArrays,
    TrackArrays,
    Weather,
    engagement_windows,
    tau_grid,
)
from dronewall.errors import InputError
from dronewall.geo.frames import Frame

LAT0, LON0 = 51.5, 23.0
FRAME = Frame(LAT0, LON0)


def sites(*keys: str, lat=LAT0, lon=LON0) -> EffectorArrays:
    return EffectorArrays.from_types(list(keys), [EFFECTORS[k] for k in keys], lat, lon, 0.0,
                                     FRAME)


def inbound(x0: float = 10_000.0, h: float = 150.0, v: float = 50.0, sigma: float = 30.0,
            y0: float = 0.0) -> TrackArrays:
    """One target east of the origin flying straight west (at the effector) at h metres."""
    return TrackArrays(np.array([7]), np.array([[x0, y0, h]]), np.array([[-v, 0.0, 0.0]]),
                       np.array([sigma]))


def zone(kind: str, lat: float, lon: float, r: float) -> ZoneSet:
    return ZoneSet.from_specs([{"id": f"z-{kind}", "kind": kind,
                                "area": {"center": [lat, lon], "radius_m": r}}])


def test_straight_inbound_enters_range_at_computable_time() -> None:
    eff = sites("gun_35mm", "ew_jammer", "sam_short")
    dt = 0.5
    w = engagement_windows(eff, inbound(), None, FRAME, horizon_s=600, dt_s=dt)
    assert w.feasible.all()
    # slant range R = sqrt(x^2 + h^2) reaches max_range at x = sqrt(Rmax^2 - h^2); the frame's
    # up axis and the WGS84 height differ by < 10 m at 10 km: ignored in the hand check
    for e, key in enumerate(("gun_35mm", "ew_jammer", "sam_short")):
        et = EFFECTORS[key]
        x = math.sqrt(et.max_range_m**2 - 150.0**2)
        t_enter = (10_000.0 - x) / 50.0
        t_ready = et.reaction_time_s + et.max_range_m / et.speed_mps  # timing at the rim
        expect = max(t_enter, t_ready) if key != "sam_short" else None
        if expect is not None:
            assert expect <= w.t_intercept_s[0 if key == "gun_35mm" else 1, 0] <= expect + dt + 0.2
        assert w.range_m[e, 0] <= et.max_range_m
        assert w.t_launch_s[e, 0] >= et.reaction_time_s - 1e-9
    # the SAM reaches 12 km: target in range from the start, limited by reaction + flight time:
    # t = 10 + R(t) / 700 with R(t) = 10000 - 50 t  ->  t = (10 + 10000/700) / (1 + 50/700)
    t_sam = (10.0 + 10_000.0 / 700.0) / (1.0 + 50.0 / 700.0)
    assert t_sam <= w.t_intercept_s[2, 0] <= t_sam + dt + 0.2
    # the intercept point is on the track at the intercept time, and its WGS84 point matches
    p = w.point_enu_m[0, 0]
    assert p[0] == pytest.approx(10_000.0 - 50.0 * w.t_intercept_s[0, 0])
    lat, lon, _ = FRAME.local_to_geodetic(p)
    assert (lat, lon) == pytest.approx((w.lat_deg[0, 0], w.lon_deg[0, 0]))
    # the window closes when the target has flown through and out the far side
    x_out = -math.sqrt(4_000.0**2 - 150.0**2)
    assert w.t_latest_s[0, 0] == pytest.approx((10_000.0 - x_out) / 50.0, abs=dt + 0.2)


def test_absolute_times_follow_t_s() -> None:
    eff = sites("gun_35mm")
    a = engagement_windows(eff, inbound(), None, FRAME, 600, 1.0)
    b = engagement_windows(eff, inbound(), None, FRAME, 600, 1.0, t_s=1000.0)
    assert b.t_intercept_s[0, 0] == pytest.approx(a.t_intercept_s[0, 0] + 1000.0)
    assert b.t_launch_s[0, 0] == pytest.approx(a.t_launch_s[0, 0] + 1000.0)


def test_out_of_range_altitude_and_too_late() -> None:
    eff = sites("gun_35mm", "hmg_fire_group", "fighter_aam")
    high = inbound(h=3_000.0)  # within the gun's 4 km slant range overhead, above its 2.5 km
    w = engagement_windows(eff, high, None, FRAME, 600, 2.0)
    assert w.reason[0, 0] == Reason.ALTITUDE
    assert w.reason[1, 0] == Reason.OUT_OF_RANGE  # the HMG's 1.5 km never reaches 3 km up
    # crossing 20 km abeam: never within the gun's 4 km
    far = inbound(y0=20_000.0)
    w = engagement_windows(eff, far, None, FRAME, 600, 2.0)
    assert w.reason[0, 0] == Reason.OUT_OF_RANGE
    # a fighter needs ~15 min to scramble: with a 10 min horizon it is too late
    assert w.reason[2, 0] == Reason.TOO_LATE
    assert not w.feasible[:, 0].any()
    assert np.isnan(w.t_intercept_s).all() and (w.pk_geom == 0).all()


def test_no_fire_zone_excludes_gun_but_not_jammer() -> None:
    eff = sites("gun_35mm", "ew_jammer")
    zs = zone("no_fire", LAT0, LON0, 8_000.0)  # the whole engagement area is a city
    w = engagement_windows(eff, inbound(), zs, FRAME, 600, 1.0)
    assert w.reason[0, 0] == Reason.NO_FIRE_ZONE and not w.feasible[0, 0]
    assert w.feasible[1, 0]
    # ROE allowing kinetic fire over the city: feasible, but flagged as debris
    w = engagement_windows(eff, inbound(), zs, FRAME, 600, 1.0, roe=Roe(no_kinetic_kinds=()))
    assert w.feasible[0, 0] and w.debris[0, 0] and not w.debris[1, 0]


def test_airport_zone_excludes_kinetic_and_laser() -> None:
    eff = sites("gun_35mm", "laser", "ew_jammer")
    zs = zone("airport", LAT0, LON0, 9_000.0)
    w = engagement_windows(eff, inbound(), zs, FRAME, 600, 1.0)
    assert w.reason[:, 0].tolist() == [Reason.AIRPORT_ZONE, Reason.AIRPORT_ZONE, Reason.OK]


def test_intercept_point_moves_out_of_a_partial_no_fire_zone() -> None:
    """A no-fire zone under the first part of the gun's window: the earliest intercept is
    planned after the target has left it, and the point is outside the zone."""
    eff = sites("gun_35mm")
    free = engagement_windows(eff, inbound(), None, FRAME, 600, 1.0)
    lat, lon, _ = FRAME.local_to_geodetic([3_300.0, 0.0, 0.0])
    zs = zone("no_fire", float(lat), float(lon), 900.0)
    w = engagement_windows(eff, inbound(), zs, FRAME, 600, 1.0)
    assert w.feasible[0, 0] and w.t_intercept_s[0, 0] > free.t_intercept_s[0, 0]
    pt = shapely.Point(w.lon_deg[0, 0], w.lat_deg[0, 0])
    assert not zs.zones[0].geometry.contains(pt)
    assert w.point_enu_m[0, 0, 0] < 3_300.0 - 900.0 + 5.0


def test_engagement_zones_only_requires_point_in_zone() -> None:
    eff = sites("gun_35mm")
    lat, lon, _ = FRAME.local_to_geodetic([-2_000.0, 0.0, 0.0])
    zs = zone("engagement", float(lat), float(lon), 1_000.0)
    roe = Roe(engagement_zones_only=True)
    w = engagement_windows(eff, inbound(), zs, FRAME, 600, 1.0, roe=roe)
    assert w.feasible[0, 0] and w.point_enu_m[0, 0, 0] < -1_000.0 + 5.0
    w = engagement_windows(eff, inbound(), None, FRAME, 600, 1.0, roe=roe)
    assert w.reason[0, 0] == Reason.OUTSIDE_ENGAGEMENT_ZONE


def test_miss_distance_and_pk_geom() -> None:
    eff = sites("interceptor_drone")
    good = engagement_windows(eff, inbound(x0=20_000.0, sigma=20.0), None, FRAME, 900, 2.0)
    bad = engagement_windows(eff, inbound(x0=20_000.0, sigma=600.0), None, FRAME, 900, 2.0)
    assert good.miss_sigma_m[0, 0] < bad.miss_sigma_m[0, 0]
    assert bad.pk_geom[0, 0] < good.pk_geom[0, 0] <= 1.0
    s = bad.miss_sigma_m[0, 0]
    b = EFFECTORS["interceptor_drone"].acquisition_basket_m
    x = b / s  # Maxwell CDF: an isotropic 3-D Gaussian error within the basket
    assert bad.pk_geom[0, 0] == pytest.approx(
        math.erf(x / math.sqrt(2)) - math.sqrt(2 / math.pi) * x * math.exp(-x * x / 2))
    # a terminally guided interceptor flies on the cue TERMINAL_UPDATE_S old ...
    lead = TERMINAL_UPDATE_S
    assert good.miss_sigma_m[0, 0] == pytest.approx(math.sqrt(20.0**2 + 0.05 * lead**3 / 3))
    # ... the planned point itself is predicted over reaction + flight
    t_f = good.range_m[0, 0] / EFFECTORS["interceptor_drone"].speed_mps
    tau = EFFECTORS["interceptor_drone"].reaction_time_s + t_f
    assert good.pred_sigma_m[0, 0] == pytest.approx(math.sqrt(20.0**2 + 0.05 * tau**3 / 3))
    # a gun's burst is aimed at firing: its miss grows over the shells' flight
    gun = engagement_windows(sites("gun_35mm"), inbound(x0=6_000.0, sigma=20.0), None, FRAME,
                             300, 1.0)
    t_f = gun.range_m[0, 0] / EFFECTORS["gun_35mm"].speed_mps
    assert gun.miss_sigma_m[0, 0] == pytest.approx(math.sqrt(20.0**2 + 0.05 * t_f**3 / 3))


def test_full_covariance_grows_the_miss() -> None:
    """With a position-velocity covariance the per-axis variance grows as
    tr(Ppp)/3 + 2 tau tr(Ppv)/3 + tau^2 tr(Pvv)/3 + q tau^3/3."""
    cov = np.zeros((1, 6, 6))
    cov[0, :3, :3] = np.diag([900.0, 900.0, 2500.0])
    cov[0, 3:, 3:] = np.diag([4.0, 4.0, 1.0])
    tr = inbound(x0=6_000.0, sigma=0.0)
    tr = TrackArrays(tr.track_id, tr.pos_m, tr.vel_mps, tr.pos_sigma_m, cov_m=cov)
    w = engagement_windows(sites("gun_35mm"), tr, None, FRAME, 300, 1.0)
    t_f = w.range_m[0, 0] / EFFECTORS["gun_35mm"].speed_mps
    var = 4300.0 / 3 + t_f**2 * 9.0 / 3 + 0.05 * t_f**3 / 3
    assert w.miss_sigma_m[0, 0] == pytest.approx(math.sqrt(var))


def test_tau_grid_is_fine_then_coarse() -> None:
    g = tau_grid(2_000.0, 2.0)
    assert g[0] == 0 and np.all(np.diff(g[g <= FINE_HORIZON_S]) == 2.0)
    assert np.all(np.diff(g[g >= FINE_HORIZON_S]) == COARSE_DT_S)
    assert g[-1] == pytest.approx(2_000.0)
    np.testing.assert_allclose(tau_grid(300.0, 5.0), np.arange(61) * 5.0)


def test_supplied_path_replaces_constant_velocity() -> None:
    """A route-aware (or true) path: the window follows it, NaN samples are not flying."""
    eff = sites("gun_35mm")
    tr = inbound(x0=20_000.0)
    grid = tau_grid(300.0, 1.0)
    # the path turns onto the gun at t = 100 s (straight line would pass 20 km east at 300 s)
    path = np.zeros((1, grid.size, 3))
    path[0, :, 0] = np.where(grid < 100, 20_000.0, np.maximum(20_000.0 - 150.0 * (grid - 100),
                                                              -5_000.0))
    path[0, :, 2] = 150.0
    w = engagement_windows(eff, TrackArrays(tr.track_id, tr.pos_m, np.zeros((1, 3)),
                                            tr.pos_sigma_m, path_m=path), None, FRAME, 300, 1.0)
    assert w.feasible[0, 0]
    x_int = w.point_enu_m[0, 0, 0]
    assert abs(x_int) <= EFFECTORS["gun_35mm"].max_range_m + 1
    path[0, grid > 150, :] = np.nan  # it stops flying before it comes in range
    w = engagement_windows(eff, TrackArrays(tr.track_id, tr.pos_m, np.zeros((1, 3)),
                                            tr.pos_sigma_m, path_m=path), None, FRAME, 300, 1.0)
    assert not w.feasible[0, 0] and w.reason[0, 0] == Reason.OUT_OF_RANGE


def test_gates_weather_roe_and_site_state() -> None:
    eff = sites("gun_35mm", "laser", "ew_jammer")
    tr = TrackArrays(np.array([1, 2]), np.array([[5_000.0, 0, 150], [6_000.0, 0, 150]]),
                     np.array([[-50.0, 0, 0], [-50.0, 0, 0]]), np.array([30.0, 30.0]))
    w = engagement_windows(eff, tr, None, FRAME, 300, 1.0, weather=Weather(rain=True),
                           track_gate=[Reason.OK, Reason.COOPERATIVE],
                           effector_gate=[Reason.OK, Reason.OK, Reason.BUSY])
    assert w.reason[:, 1].tolist() == [Reason.COOPERATIVE] * 3
    assert w.reason[:, 0].tolist() == [Reason.OK, Reason.WEATHER, Reason.BUSY]
    assert w.feasible.tolist() == [[True, False], [False, False], [False, False]]
    with pytest.raises(InputError, match="effector_gate"):
        engagement_windows(eff, tr, None, FRAME, 300, 1.0, effector_gate=[0, 0])
    with pytest.raises(InputError, match="tracks.pos_m"):
        TrackArrays(np.array([1]), np.zeros((1, 2)), np.zeros((1, 3)), np.zeros(1))


def _reference(eff: EffectorArrays, tr: TrackArrays, horizon: float, dt: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Slow per-pair, per-sample loop of the same rules (no zones): the earliest feasible
    sample whose acquisition factor reaches PK_GEOM_FRACTION of the window's best."""
    e_n, n_n = len(eff), len(tr)
    feas = np.zeros((e_n, n_n), bool)
    t_int = np.full((e_n, n_n), np.nan)
    for e in range(e_n):
        for n in range(n_n):
            ok: list[tuple[float, float]] = []  # (tau, pk_geom) of feasible samples
            for k in range(int(horizon // dt) + 1):
                tau = k * dt
                p = tr.pos_m[n] + tr.vel_mps[n] * tau
                r = float(np.linalg.norm(p - eff.pos_m[e]))
                _, _, alt = FRAME.local_to_geodetic(p)
                if not (eff.min_range_m[e] <= r <= eff.max_range_m[e]):
                    continue
                if not (eff.min_alt_m[e] <= float(alt) <= eff.max_alt_m[e]):
                    continue
                t_f = r / eff.speed_mps[e]
                if tau < eff.reaction_s[e] + t_f:
                    continue
                lead = TERMINAL_UPDATE_S if eff.terminal[e] else t_f
                var = tr.pos_sigma_m[n] ** 2 + PROCESS_NOISE_Q * lead**3 / 3.0
                x = eff.basket_m[e] / math.sqrt(var)
                ok.append((tau, math.erf(x / math.sqrt(2))
                           - math.sqrt(2 / math.pi) * x * math.exp(-x * x / 2)))
            if ok:
                best = max(g for _, g in ok)
                feas[e, n] = True
                t_int[e, n] = next(tau for tau, g in ok if g >= PK_GEOM_FRACTION * best)
    return feas, t_int


def test_vectorised_matches_reference_loop() -> None:
    rng = np.random.default_rng(3)
    keys = ["gun_35mm", "interceptor_drone", "ew_jammer", "manpads", "hmg_fire_group"]
    eff = EffectorArrays.from_types(keys, [EFFECTORS[k] for k in keys],
                                    LAT0 + rng.uniform(-0.05, 0.05, 5),
                                    LON0 + rng.uniform(-0.08, 0.08, 5), 0.0, FRAME)
    n = 12
    pos = np.column_stack([rng.uniform(-15e3, 15e3, n), rng.uniform(-15e3, 15e3, n),
                           rng.uniform(50, 3_000, n)])
    vel = np.column_stack([rng.uniform(-60, 60, n), rng.uniform(-60, 60, n), np.zeros(n)])
    tr = TrackArrays(np.arange(n), pos, vel, np.full(n, 50.0))
    w = engagement_windows(eff, tr, None, FRAME, 300.0, 5.0)
    feas, t_int = _reference(eff, tr, 300.0, 5.0)
    assert feas.any() and (~feas).any()
    np.testing.assert_array_equal(w.feasible, feas)
    np.testing.assert_allclose(w.t_intercept_s, t_int, equal_nan=True)
