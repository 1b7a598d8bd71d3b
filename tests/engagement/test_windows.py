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
    PK_GEOM_FRACTION,
    PROCESS_NOISE_Q,
    EffectorArrays,
    TrackArrays,
    Weather,
    engagement_windows,
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
    assert bad.pk_geom[0, 0] == pytest.approx(1.0 - math.exp(-b * b / (2 * s * s)))
    # the 1-sigma miss grows with the flight time of the interceptor
    t_f = good.range_m[0, 0] / EFFECTORS["interceptor_drone"].speed_mps
    assert good.miss_sigma_m[0, 0] == pytest.approx(math.sqrt(20.0**2 + 0.05 * t_f**3 / 3))


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
                var = tr.pos_sigma_m[n] ** 2 + PROCESS_NOISE_Q * t_f**3 / 3.0
                ok.append((tau, 1.0 - math.exp(-eff.basket_m[e] ** 2 / (2.0 * var))))
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
