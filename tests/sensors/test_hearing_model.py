"""The classifier's model of what the acoustic nodes hear (classify/hearing.py) against the
acoustic sensor simulation it stands for: P(at least one node reports) and bearing fit."""

from __future__ import annotations

import numpy as np
from sensor_helpers import (
    LAT0,
    LON0,
    binomial_ok,
    enu_to_ecef,
    make_platforms,
    make_truth,
    polar_enu,
    true_reports,
)

from dronewall.catalog import PLATFORMS
from dronewall.pipeline.wiring import acoustic_network
from dronewall.scenario.model import AcousticNodeSpec
from dronewall.sensors import SensorSuite

NODE_H = 4.0


def nodes(n: int = 3, spacing_m: float = 2500.0) -> list[AcousticNodeSpec]:
    """n rural nodes on an east-west line through (LAT0, LON0)."""
    dlon = spacing_m / (111_320.0 * np.cos(np.radians(LAT0)))
    return [AcousticNodeSpec(id=f"n{i}", type="acoustic", position=[LAT0, LON0 + i * dlon],
                             height_m=NODE_H, false_alarms_per_hour=0.0) for i in range(n)]


def targets(n: int, seed: int) -> np.ndarray:
    """n positions 1.5-4 km from the first node, 150 m up (ECEF)."""
    rg = np.random.default_rng(seed)
    r = rg.uniform(1500.0, 4000.0, n)
    enu = polar_enu(r, rg.uniform(-np.pi, np.pi, n), np.arcsin(150.0 / r))
    return enu_to_ecef(LAT0, LON0, NODE_H, enu)


def test_p_heard_matches_the_simulated_nodes() -> None:
    """Per position, P(any node reports a Shahed-class engine) from the model matches how
    often the simulated nodes did report it (many independent draws of one step)."""
    suite = SensorSuite(nodes(), np.random.default_rng(3))
    net = acoustic_network(suite.acoustic)
    ecef = targets(40, seed=1)
    sl = PLATFORMS["shahed136"].acoustic_sl_db
    p = net.p_heard(ecef, np.array([sl]), np.array([0.0]), dt_s=1.0)[:, 0]
    assert p.min() < 0.4 and p.max() > 0.9          # the positions span the interesting range
    reps = 300
    k = np.zeros(ecef.shape[0], np.int64)
    plat = make_platforms(ecef.shape[0], "shahed136")
    for i in range(reps):
        b = true_reports([suite.observe(make_truth(float(i + 1), ecef), plat)])
        k += np.isin(np.arange(ecef.shape[0]), b.truth_id)
    for kk, pp in zip(k.tolist(), p.tolist(), strict=True):
        assert binomial_ok(kk, reps, pp), (kk / reps, pp)


def test_p_heard_falls_with_level_and_report_period() -> None:
    net = acoustic_network(SensorSuite(nodes(), np.random.default_rng(3)).acoustic)
    ecef = targets(10, seed=2)
    levels = np.array([105.0, 92.0, 80.0, 50.0])
    p = net.p_heard(ecef, levels, np.zeros(4), dt_s=1.0)
    assert np.all(np.diff(p, axis=1) <= 1e-12)      # quieter sources are heard less
    assert p[:, 3].max() < 1e-6                      # a bird flock is never heard
    # half a report period: each node reports with probability 1/2
    half = net.p_heard(ecef, levels[:1], np.zeros(1), dt_s=0.5)[:, 0]
    assert np.all(half < p[:, 0] + 1e-12) and np.any(half < p[:, 0] - 0.05)
    # far from every node: no information
    far = enu_to_ecef(LAT0, LON0, NODE_H, np.array([[0.0, 60_000.0, 150.0]]))
    assert net.p_heard(far, levels, np.zeros(4), 1.0).max() == 0.0


def test_a_report_fits_the_track_it_points_at_only() -> None:
    suite = SensorSuite(nodes(), np.random.default_rng(4))
    net = acoustic_network(suite.acoustic)
    ecef = enu_to_ecef(LAT0, LON0, NODE_H, np.array([[1500.0, 1000.0, 150.0]]))
    plat = make_platforms(1, "shahed136")
    heard = 0
    for i in range(20):
        b = suite.observe(make_truth(float(i + 1), ecef), plat)
        h = net.heard(ecef, np.array([100.0]), b)[0][0]
        assert h == bool(np.isin(suite.acoustic.rows, b.sensor).any())
        heard += h
        # the same reports do not fit a track on the other side of the nodes
        other = enu_to_ecef(LAT0, LON0, NODE_H, np.array([[-1500.0, -3000.0, 150.0]]))
        assert not net.heard(other, np.array([100.0]), b)[0][0]
    assert heard >= 15


def test_rf_p_any_matches_the_simulated_rf_detectors() -> None:
    """The classifier's RF model (classify/rf_hearing.py, for RF silence) against the RF
    sensor simulation: per position, P(a detector reports a DJI link there) from the model
    matches how often the simulated detectors did (two detectors 6 km apart, emitters 2-12 km
    from the first, at 2 m or 150 m)."""
    from dronewall.geo import ecef_to_geodetic
    from dronewall.pipeline.wiring import rf_network
    from dronewall.scenario.model import RFSpec

    dlon = 6000.0 / (111_320.0 * np.cos(np.radians(LAT0)))
    specs = [RFSpec(id=f"rf{i}", type="rf", position=[LAT0, LON0 + i * dlon], height_m=8.0,
                    range_m=5000.0, false_alarms_per_hour=0.0) for i in range(2)]
    suite = SensorSuite(specs, np.random.default_rng(5))
    net = rf_network(suite.rf)
    rg = np.random.default_rng(6)
    n = 40
    r = rg.uniform(2000.0, 12_000.0, n)
    up = rg.choice([2.0, 150.0], n)
    ecef = enu_to_ecef(LAT0, LON0, 8.0, polar_enu(r, rg.uniform(-np.pi, np.pi, n),
                                                  np.arcsin((up - 8.0) / r)))
    _, _, alt = ecef_to_geodetic(ecef)
    p = net.p_any(ecef, alt, dt_s=1.0)
    assert p.min() < 0.2 and p.max() > 0.8
    reps = 300
    k = np.zeros(n, np.int64)
    plat = make_platforms(n, "dji_multirotor")
    for i in range(reps):
        b = true_reports([suite.observe(make_truth(float(i + 1), ecef), plat)])
        k += np.isin(np.arange(n), b.truth_id)
    for kk, pp in zip(k.tolist(), p.tolist(), strict=True):
        assert binomial_ok(kk, reps, pp), (kk / reps, pp)


def test_class_coverage_is_what_the_sensors_detect_of_that_class() -> None:
    """``pipeline.wiring.class_coverage``: where the suite's sensors detect a platform of a
    class with Pd >= 0.5 -- a radar on the class's typical RCS, acoustic nodes on its source
    level, RF finders on a link emitter. A pop-up is judged against it (``covered_before_s``)."""
    from dronewall.catalog import PlatformClass as C
    from dronewall.classify.bayes import DEFAULT_CONFIG
    from dronewall.geo import ecef_to_geodetic
    from dronewall.pipeline.wiring import class_coverage
    from dronewall.scenario.model import RadarSpec, RFSpec

    dlon = 30_000.0 / (111_320.0 * np.cos(np.radians(LAT0)))
    radar = RadarSpec(id="r", type="radar", position=[LAT0, LON0 - dlon], height_m=20.0,
                      range_ref_m=20_000.0, rcs_ref_m2=1.0, max_range_m=60_000.0)
    rf = RFSpec(id="f", type="rf", position=[LAT0, LON0], height_m=10.0, range_m=5000.0)
    cov = class_coverage(SensorSuite([radar, rf, *nodes(1)], np.random.default_rng(1)),
                         DEFAULT_CONFIG)
    # 1.5 km north of the node and the finder, 30 km from the radar, 150 m up
    ecef = enu_to_ecef(LAT0, LON0, NODE_H, np.array([[0.0, 1500.0, 150.0]]))
    la, lo, al = ecef_to_geodetic(ecef)
    got = {c: bool(cov(ecef, la, lo, al, cls=int(c))[0]) for c in C}
    # an airliner: the radar; a Shahed: its engine at the node; a quadcopter: its link at the
    # finder; a bird flock: nothing (30 km is beyond the radar's reach on a flock)
    assert got[C.MANNED_AIRCRAFT] and got[C.ATTACK_DRONE] and got[C.MULTIROTOR]
    assert not got[C.BIRD]
    # the same point without the node and the finder: the radar alone sees only the airliner
    radar_only = class_coverage(SensorSuite([radar], np.random.default_rng(1)), DEFAULT_CONFIG)
    alone = {c: bool(radar_only(ecef, la, lo, al, cls=int(c))[0]) for c in C}
    assert alone[C.MANNED_AIRCRAFT] and not alone[C.MULTIROTOR] and not alone[C.ATTACK_DRONE]
    # an unknown class (-1) is judged as the UNKNOWN row
    assert bool(cov(ecef, la, lo, al, cls=-1)[0]) == got[C.UNKNOWN]
