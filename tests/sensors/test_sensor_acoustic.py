"""Acoustic nodes: propagation, Pd vs range and environment, bearings, grids, pruning, speed."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sensor_helpers import (
    GEOD,
    LAT0,
    LON0,
    binomial_ok,
    enu_to_ecef,
    ground_point,
    make_platforms,
    make_truth,
    polar_enu,
    true_reports,
    var_ratio_bounds,
)

from dronewall.catalog import PLATFORMS, AcousticClass
from dronewall.detections import DetectionBatch, MeasKind, SensorKind
from dronewall.errors import ConfigurationError
from dronewall.scenario.model import AcousticGridSpec, AcousticNodeSpec
from dronewall.sensors import SensorSuite
from dronewall.sensors.acoustic import (
    CLASS_CONFUSION_P,
    PD_FLOOR,
    AcousticModel,
    acoustic_pd,
    acoustic_snr_db,
    audible_range_m,
)

NODE_H = 4.0


def node(env: str = "rural", **kw: object) -> AcousticNodeSpec:
    base: dict[str, object] = dict(id="n1", type="acoustic", position=[LAT0, LON0],
                                   environment=env, false_alarms_per_hour=0.0)
    base.update(kw)
    return AcousticNodeSpec(**base)


def measured_pd(spec: AcousticNodeSpec, platform: str, range_m: float, n: int = 2000,
                seed: int = 5) -> tuple[int, float]:
    """Detections of n targets at slant range ``range_m`` (150 m above the node)."""
    rg = np.random.default_rng(seed)
    el = np.arcsin(min(150.0 / range_m, 1.0))
    enu = polar_enu(np.full(n, range_m), rg.uniform(-np.pi, np.pi, n), np.full(n, el))
    suite = SensorSuite([spec], np.random.default_rng(seed))
    b = true_reports([suite.observe(make_truth(10.0, enu_to_ecef(LAT0, LON0, NODE_H, enu)),
                                    make_platforms(n, platform))])
    snr = acoustic_snr_db(PLATFORMS[platform].acoustic_sl_db, range_m,
                          {"rural": 35.0, "urban": 58.0}[spec.environment])
    return len(b), float(acoustic_pd(snr, spec.detection_snr_db))


def test_audible_range_solves_the_propagation_equation() -> None:
    b = np.array([40.0, 60.0, 80.0, 100.0])
    r = audible_range_m(b)
    assert np.allclose(20 * np.log10(r) + 0.002 * r, b, atol=1e-6)
    assert np.all(np.diff(r) > 0)


def test_pd_matches_model_and_falls_with_range() -> None:
    spec = node("rural")
    pds = []
    for r in (1000.0, 2000.0, 3000.0, 4000.0, 6000.0):
        k, p = measured_pd(spec, "shahed136", r)
        assert binomial_ok(k, 2000, p), (r, k / 2000, p)
        pds.append(k / 2000)
    assert all(a > b for a, b in zip(pds, pds[1:], strict=False)), pds
    assert pds[2] > 0.4  # a Shahed is heard by a rural node at 3 km ("a few km")
    # A DJI-class multirotor: a few hundred metres; inaudible at 1 km.
    assert measured_pd(spec, "dji_multirotor", 200.0)[0] / 2000 > 0.6
    k, p = measured_pd(spec, "dji_multirotor", 1000.0)
    assert p < 0.005 and k <= 12
    # A bird (50 dB) is essentially never heard, even at 160 m.
    assert measured_pd(spec, "bird", 160.0)[0] <= 2


def test_urban_noise_hurts() -> None:
    rural, _ = measured_pd(node("rural"), "shahed136", 1500.0)
    urban, p = measured_pd(node("urban"), "shahed136", 1500.0)
    assert urban < rural - 500
    assert binomial_ok(urban, 2000, p)


def test_bearings_point_at_the_source() -> None:
    sig = 4.0
    spec = node(sigma_bearing_deg=sig)
    n = 3000
    rg = np.random.default_rng(8)
    az = rg.uniform(-np.pi, np.pi, n)
    enu = polar_enu(np.full(n, 800.0), az, np.full(n, 0.15))
    suite = SensorSuite([spec], np.random.default_rng(9))
    plat = make_platforms(n, "shahed136")
    b = true_reports([suite.observe(make_truth(float(t), enu_to_ecef(LAT0, LON0, NODE_H, enu)),
                                    plat) for t in (1.0, 2.0)])
    assert len(b) > 1.8 * n
    assert np.all(b.meas_kind == MeasKind.BEARING) and np.all(np.isnan(b.z[:, 1:]))
    err = np.angle(np.exp(1j * (b.z[:, 0] - az[b.truth_id])))
    s = np.radians(sig)
    assert abs(err.mean()) < 4 * s / np.sqrt(len(b))
    lo, hi = var_ratio_bounds(len(b))
    assert lo <= np.mean(err ** 2) / s ** 2 <= hi
    assert np.allclose(b.R[:, 0, 0], s ** 2)
    # classifier: true acoustic class except ~CLASS_CONFUSION_P
    wrong = int((b.class_label != AcousticClass.PISTON_PROP).sum())
    assert binomial_ok(wrong, len(b), CLASS_CONFUSION_P)


def test_false_alarms_rate_and_bearings() -> None:
    rate_h = 36.0  # 0.01 per node and 1 s report
    grid = AcousticGridSpec(id="g", type="acoustic_grid",
                            area={"center": [LAT0, LON0], "radius_m": 4_000.0}, spacing_m=500.0,
                            false_alarms_per_hour=rate_h)
    suite = SensorSuite([grid], np.random.default_rng(4))
    n_nodes = len(suite.table)
    plat = make_platforms(0)
    steps = 1000
    bs = [suite.observe(make_truth(float(t), np.zeros((0, 3))), plat) for t in range(1, steps + 1)]
    fa = DetectionBatch.concat(bs)
    lam = n_nodes * steps * rate_h / 3600.0
    assert abs(len(fa) - lam) < 3.5 * np.sqrt(lam), (len(fa), lam)
    assert np.all(fa.truth_id == -1)
    assert abs(np.mean(np.exp(1j * fa.z[:, 0]))) < 4 / np.sqrt(len(fa))  # uniform bearings
    per_node = np.bincount(fa.sensor, minlength=n_nodes)
    assert per_node.max() < lam / n_nodes + 6 * np.sqrt(lam / n_nodes)  # spread over nodes


def test_circular_grid_expansion() -> None:
    grid = AcousticGridSpec(id="g", type="acoustic_grid",
                            area={"center": [LAT0, LON0], "radius_m": 2_000.0}, spacing_m=500.0)
    suite = SensorSuite([grid], np.random.default_rng(0))
    t = suite.table
    # lattice points (500 i, 500 j) with i^2 + j^2 <= 16: 49 of them
    expected = sum(1 for i in range(-4, 5) for j in range(-4, 5) if i * i + j * j <= 16)
    assert len(t) == expected == 49
    assert t.ids.tolist() == [f"g-{k}" for k in range(49)]
    assert np.all(t.kind == SensorKind.ACOUSTIC)
    _, _, d = GEOD.inv(np.full(49, LON0), np.full(49, LAT0), t.lon_deg, t.lat_deg)
    assert d.max() <= 2_000.0 + 1.0 and d.min() < 1e-6
    assert np.allclose(t.alt_m, grid.height_m)
    # nearest-neighbour spacing is the configured pitch
    x = t.ecef
    dd = np.linalg.norm(x[:, None] - x[None], axis=2) + np.eye(49) * 1e9
    assert np.allclose(dd.min(axis=1), 500.0, atol=1.0)
    again = SensorSuite([grid], np.random.default_rng(1)).table
    assert np.array_equal(again.lat_deg, t.lat_deg)  # deterministic


def test_polygon_grid_and_limits() -> None:
    sq = [[52.0, 23.0], [52.0, 23.05], [52.03, 23.05], [52.03, 23.0]]  # ~3.4 km x 3.3 km
    grid = AcousticGridSpec(id="p", type="acoustic_grid", area={"polygon": sq}, spacing_m=500.0)
    t = SensorSuite([grid], np.random.default_rng(0)).table
    assert 36 <= len(t) <= 64
    assert t.lat_deg.min() >= 52.0 - 1e-9 and t.lat_deg.max() <= 52.03 + 1e-9
    assert t.lon_deg.min() >= 23.0 - 1e-9 and t.lon_deg.max() <= 23.05 + 1e-9
    small = grid.model_copy(update={"max_nodes": 10})
    with pytest.raises(ConfigurationError, match="max_nodes"):
        SensorSuite([small], np.random.default_rng(0))


def test_pruning_radius_is_conservative() -> None:
    spec = node()
    suite = SensorSuite([spec], np.random.default_rng(0))
    model: AcousticModel = suite.acoustic
    for sl in (50.0, 78.0, 105.0, 150.0):
        r = float(model.cutoff_range_m(np.array([sl]))[0])
        pd_at_cut = acoustic_pd(acoustic_snr_db(sl, r, 35.0), spec.detection_snr_db)
        assert pd_at_cut == pytest.approx(PD_FLOOR, rel=1e-3) or r == 1.0


def test_ten_thousand_nodes_times_hundred_targets_is_fast() -> None:
    grid = AcousticGridSpec(id="big", type="acoustic_grid",
                            area={"center": [LAT0, LON0], "radius_m": 28_000.0}, spacing_m=500.0)
    suite = SensorSuite([grid], np.random.default_rng(0))
    n_nodes = len(suite.table)
    assert n_nodes >= 9_500
    rg = np.random.default_rng(1)
    ecef = ground_point(LAT0, LON0, rg.uniform(0, 25_000, 100), rg.uniform(0, 360, 100), 150.0)
    plat = make_platforms(100, "shahed136")
    truth = [make_truth(float(t), ecef) for t in range(1, 21)]
    t0 = time.process_time()  # CPU time: robust to other test workers on the machine
    bs = [suite.observe(s, plat) for s in truth]
    dt = (time.process_time() - t0) / len(truth)
    print(f"\nacoustic observe: {n_nodes} nodes x 100 Shaheds: {dt * 1e3:.1f} ms/step")
    got = true_reports(bs)
    assert len(got) > 100 * 20 * 10  # each Shahed heard by many nodes
    assert dt < 0.25


def test_observe_matches_brute_force_pairs() -> None:
    """KD-tree pruning loses nothing: every node that the brute-force model gives Pd >= 0.5
    hears the target often, and nodes beyond the cut-off never."""
    grid = AcousticGridSpec(id="g", type="acoustic_grid",
                            area={"center": [LAT0, LON0], "radius_m": 6_000.0}, spacing_m=400.0)
    suite = SensorSuite([grid], np.random.default_rng(2))
    ecef = ground_point(LAT0, LON0, np.array([0.0, 3000.0]), np.array([0.0, 90.0]), 150.0)
    plat = make_platforms(2, "shahed136")
    b = true_reports([suite.observe(make_truth(float(t), ecef), plat) for t in range(1, 41)])
    dist = np.linalg.norm(suite.table.ecef[:, None] - ecef[None], axis=2)
    pd = acoustic_pd(acoustic_snr_db(105.0, dist, 35.0), 6.0)
    counts = np.zeros((len(suite.table), 2))
    np.add.at(counts, (b.sensor, b.truth_id), 1)
    assert np.all(counts[pd > 0.5] > 0)
    cut = suite.acoustic.cutoff_range_m(np.array([105.0]))[0]
    assert np.all(counts[dist > cut] == 0)
    assert np.corrcoef(counts.ravel() / 40, pd.ravel())[0, 1] > 0.97
