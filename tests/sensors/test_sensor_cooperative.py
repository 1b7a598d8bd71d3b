"""ADS-B / Remote ID receivers and ghost / offset / jump spoofing."""

from __future__ import annotations

import numpy as np
import pytest
from sensor_helpers import (
    GEOD,
    LAT0,
    LON0,
    binomial_ok,
    ground_point,
    make_platforms,
    make_truth,
    var_ratio_bounds,
)

from dronewall.detections import DetectionBatch, MeasKind
from dronewall.errors import ConfigurationError
from dronewall.geo import ecef_to_geodetic, geodetic_to_ecef
from dronewall.scenario.model import CooperativeSpec, SpoofSpec
from dronewall.sensors import TRUTH_SPOOFED, SensorSuite


def rx(kind: str = "adsb", **kw: object) -> CooperativeSpec:
    base: dict[str, object] = dict(id=f"{kind}-rx", type=kind, position=[LAT0, LON0],
                                   height_m=10.0)
    base.update(kw)
    return CooperativeSpec(**base)


def aircraft(n: int = 3):
    return make_platforms(n, "airliner", adsb=True,
                          icao24=np.array([f"4b1{i:03x}" for i in range(n)], dtype=object),
                          callsign=np.array([f"SWR{i}" for i in range(n)], dtype=object))


def run_suite(specs, plat, truth_fn, times, spoofing=(), seed: int = 7):
    suite = SensorSuite(specs, np.random.default_rng(seed), spoofing)
    return DetectionBatch.concat([suite.observe(truth_fn(float(t)), plat) for t in times])


def test_adsb_reports_identity_and_gnss_position_within_sigma() -> None:
    plat = aircraft(3)
    ecef = ground_point(LAT0, LON0, np.array([50e3, 120e3, 200e3]), np.array([0, 90, 180]),
                        10_000.0)
    spec = rx(sigma_m=12.0, p_receive=0.9)
    b = run_suite([spec], plat, lambda t: make_truth(t, ecef), range(1, 1001))
    assert np.all(b.meas_kind == MeasKind.POSITION)
    assert np.array_equal(b.identity, plat.icao24[b.truth_id])
    assert np.array_equal(b.callsign, plat.callsign[b.truth_id])
    assert binomial_ok(len(b), 3000, 0.9)
    err = (b.z[:, :3] - ecef[b.truth_id]).ravel()
    lo, hi = var_ratio_bounds(err.size)
    assert abs(err.mean()) < 4 * 12.0 / np.sqrt(err.size)
    assert lo <= np.mean(err ** 2) / 144.0 <= hi
    assert np.allclose(b.R[:, :3, :3], 144.0 * np.eye(3))


def test_adsb_range_horizon_flags_and_jamming() -> None:
    plat = make_platforms(5, "airliner", adsb=np.array([1, 1, 1, 0, 1], bool),
                          icao24=np.array(["aaaaa1", "aaaaa2", "aaaaa3", "", "aaaaa5"], object))
    # 0: in range; 1: beyond range_m; 2: low (100 m) at 100 km: below horizon (54 km);
    # 3: no ADS-B; 4: jammed GNSS.
    ecef = np.vstack([
        ground_point(LAT0, LON0, 80e3, 0.0, 9_000.0),
        ground_point(LAT0, LON0, 260e3, 0.0, 11_000.0),
        ground_point(LAT0, LON0, 100e3, 90.0, 100.0),
        ground_point(LAT0, LON0, 30e3, 0.0, 9_000.0),
        ground_point(LAT0, LON0, 30e3, 45.0, 9_000.0),
    ])
    jam = np.array([0, 0, 0, 0, 1], bool)
    b = run_suite([rx(range_m=250e3, p_receive=1.0)], plat,
                  lambda t: make_truth(t, ecef, jammed=jam), range(1, 51))
    assert set(b.truth_id.tolist()) == {0}
    assert len(b) == 50


def test_remote_id_serial_and_operator() -> None:
    n = 4
    plat = make_platforms(n, "dji_multirotor", remote_id=True,
                          rid_serial=np.array([f"1581F{i:08d}" for i in range(n)], object))
    ecef = ground_point(LAT0, LON0, np.full(n, 2_000.0), np.arange(n) * 90.0, 80.0)
    op = ground_point(LAT0, LON0, np.full(n, 1_800.0), np.arange(n) * 90.0 + 5, 1.5)
    b = run_suite([rx("remote_id", range_m=5_000.0, sigma_m=3.0, p_receive=1.0)], plat,
                  lambda t: make_truth(t, ecef, operator_ecef=op), range(1, 301))
    assert len(b) == 300 * n
    assert np.array_equal(b.identity, plat.rid_serial[b.truth_id])
    assert np.all(b.callsign == "")
    op_err = b.aux - op[b.truth_id]
    assert np.abs(op_err).max() < 6 * 3.0 and abs(op_err.std() - 3.0) < 0.3


def test_ghost_flies_its_route() -> None:
    route = [[52.0, 23.0, 9000.0], [52.5, 23.0, 9000.0], [52.5, 24.0, 11000.0]]
    spoof = SpoofSpec(id="gh", kind="ghost", route=route, speed_mps=250.0, window_s=[100.0, 1e9],
                      callsign="GHOST1")
    plat = make_platforms(0)
    times = [50.0, 100.0, 200.0, 300.0, 500.0]
    suite = SensorSuite([rx(sigma_m=1.0, p_receive=1.0, range_m=400e3)],
                        np.random.default_rng(0), [spoof])
    seg1 = GEOD.inv(23.0, 52.0, 23.0, 52.5)[2]
    seg2 = GEOD.inv(23.0, 52.5, 24.0, 52.5)[2]
    for t in times:
        b = suite.observe(make_truth(t, np.zeros((0, 3))), plat)
        if t < 100.0:
            assert len(b) == 0
            continue
        assert len(b) == 1 and b.truth_id[0] == TRUTH_SPOOFED and b.callsign[0] == "GHOST1"
        assert len(b.identity[0]) == 6
        lat, lon, alt = ecef_to_geodetic(b.z[0, :3])
        s = 250.0 * (t - 100.0)
        if s <= seg1:
            along = GEOD.inv(23.0, 52.0, float(lon), float(lat))[2]
            assert along == pytest.approx(s, abs=5.0)
            assert float(lon) == pytest.approx(23.0, abs=1e-4)  # on the meridian
            assert float(alt) == pytest.approx(9000.0, abs=5.0)
        else:
            to_end = GEOD.inv(float(lon), float(lat), 24.0, 52.5)[2]
            assert to_end == pytest.approx(seg1 + seg2 - s, abs=5.0)
            assert float(alt) == pytest.approx(9000.0 + 2000.0 * (s - seg1) / seg2, abs=5.0)
    # after the route's end the ghost disappears
    t_end = 100.0 + (seg1 + seg2) / 250.0 + 5.0
    assert len(suite.observe(make_truth(t_end, np.zeros((0, 3))), plat)) == 0


def _offsets(b, ecef_true):
    lat, lon, _ = ecef_to_geodetic(b.z[:, :3])
    lat0, lon0, _ = ecef_to_geodetic(ecef_true[b.truth_id.clip(0)])
    az, _, dist = GEOD.inv(lon0, lat0, lon, lat)
    return np.asarray(az), np.asarray(dist)


def test_offset_spoof_shifts_the_victim_during_its_window() -> None:
    plat = aircraft(2)
    ecef = ground_point(LAT0, LON0, np.array([60e3, 90e3]), np.array([30.0, 200.0]), 10_000.0)
    spoof = SpoofSpec(id="off", kind="offset", platform_id="g-1", offset_m=5_000.0,
                      bearing_deg=135.0, window_s=[10.0, 20.0])
    suite = SensorSuite([rx(sigma_m=1.0, p_receive=1.0)], np.random.default_rng(0), [spoof])
    for t in range(1, 31):
        b = suite.observe(make_truth(float(t), ecef), plat)
        assert len(b) == 2
        victim = b.identity == plat.icao24[1]
        shifted = 10.0 <= t <= 20.0
        assert b.truth_id[victim][0] == (TRUTH_SPOOFED if shifted else 1)
        assert b.truth_id[~victim][0] == 0
        b2 = b.take(victim)
        b2 = type(b2)(**{**b2.__dict__, "truth_id": np.array([1], np.int32)})
        az, dist = _offsets(b2, ecef)
        if shifted:
            assert dist[0] == pytest.approx(5_000.0, abs=10.0)
            assert az[0] == pytest.approx(135.0, abs=0.2)
        else:
            assert dist[0] < 10.0


def test_jump_spoof_alternates_every_period() -> None:
    plat = aircraft(1)
    ecef = ground_point(LAT0, LON0, 70e3, 10.0, 10_000.0)
    spoof = SpoofSpec(id="j", kind="jump", platform_id="g", offset_m=3_000.0, bearing_deg=0.0,
                      period_s=10.0, window_s=[0.0, 1e9])  # group id: all of group "g"
    suite = SensorSuite([rx(sigma_m=1.0, p_receive=1.0)], np.random.default_rng(0), [spoof])
    for t in range(1, 60):
        b = suite.observe(make_truth(float(t), ecef), plat)
        lat, lon, _ = ecef_to_geodetic(b.z[0, :3])
        lat0, lon0, _ = ecef_to_geodetic(ecef[0])
        dist = GEOD.inv(float(lon0), float(lat0), float(lon), float(lat))[2]
        odd = (t // 10) % 2 == 1
        assert (dist == pytest.approx(3_000.0, abs=10.0)) if odd else dist < 10.0
        assert b.truth_id[0] == (TRUTH_SPOOFED if odd else 0)


def test_spoofing_only_on_its_channel_and_victims_must_exist() -> None:
    plat = aircraft(1)
    ecef = ground_point(LAT0, LON0, 70e3, 10.0, 10_000.0)
    rid_spoof = SpoofSpec(id="r", kind="offset", channel="remote_id", platform_id="g-0")
    b = run_suite([rx(p_receive=1.0)], plat, lambda t: make_truth(t, ecef), range(1, 5),
                  spoofing=[rid_spoof])
    assert np.all(b.truth_id == 0)
    bad = SpoofSpec(id="bad", kind="offset", platform_id="nobody")
    with pytest.raises(ConfigurationError, match="bad.*nobody"):
        run_suite([rx()], plat, lambda t: make_truth(t, ecef), [1.0], spoofing=[bad])


def test_remote_id_ghost_has_serial_and_operator() -> None:
    spoof = SpoofSpec(id="rg", kind="ghost", channel="remote_id", speed_mps=10.0,
                      route=[[52.0, 23.0], [52.01, 23.0]])
    suite = SensorSuite([rx("remote_id", range_m=5_000.0, p_receive=1.0)],
                        np.random.default_rng(0), [spoof])
    b = suite.observe(make_truth(30.0, np.zeros((0, 3))), make_platforms(0))
    assert len(b) == 1 and b.identity[0].startswith("SPOOF") and b.truth_id[0] == TRUTH_SPOOFED
    _, _, alt = ecef_to_geodetic(b.z[0, :3])
    assert float(alt) == pytest.approx(100.0, abs=60.0)  # default Remote ID ghost height
    assert np.allclose(b.aux[0], geodetic_to_ecef(52.0, 23.0, 0.0))
