"""RF detectors (emitters only, Pd(range)) and EO/IR cameras (gating, Pd, confusion labels)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sensor_helpers import (
    LAT0,
    LON0,
    binomial_ok,
    enu_to_ecef,
    make_platforms,
    make_truth,
    polar_enu,
    true_reports,
    var_ratio_bounds,
)

from dronewall.catalog import PlatformClass, RFProtocol
from dronewall.detections import MeasKind
from dronewall.errors import ConfigurationError
from dronewall.scenario.model import EOIRSpec, RFSpec
from dronewall.sensors import SensorSuite
from dronewall.sensors.eoir import DEFAULT_CONFUSION, confusion_matrix

H = 10.0


def observe_many(spec, plat, ecef, n_steps: int, seed: int = 3):
    suite = SensorSuite([spec], np.random.default_rng(seed))
    return [suite.observe(make_truth(float(t), ecef), plat) for t in range(1, n_steps + 1)]


def rf(**kw: object) -> RFSpec:
    base: dict[str, object] = dict(id="rf1", type="rf", position=[LAT0, LON0], height_m=H,
                                   false_alarms_per_hour=0.0)
    base.update(kw)
    return RFSpec(**base)


def test_rf_sees_only_emitters_with_their_protocol() -> None:
    n = 400
    rg = np.random.default_rng(0)
    az = rg.uniform(-np.pi, np.pi, n)
    enu = polar_enu(np.full(n, 1_000.0), az, np.full(n, 0.1))
    proto = np.where(np.arange(n) % 2 == 0, RFProtocol.NONE, RFProtocol.DJI_OCUSYNC)
    proto[1::4] = RFProtocol.ANALOG_VIDEO_5G8
    plat = make_platforms(n, "dji_multirotor", rf_protocol=proto)
    b = true_reports(observe_many(rf(sigma_bearing_deg=2.0), plat,
                                  enu_to_ecef(LAT0, LON0, H, enu), 3))
    assert np.all(proto[b.truth_id] != RFProtocol.NONE)
    assert np.array_equal(b.rf_protocol, proto[b.truth_id])
    assert len(b) > 0.9 * 3 * n / 2
    err = np.angle(np.exp(1j * (b.z[:, 0] - az[b.truth_id])))
    s = np.radians(2.0)
    lo, hi = var_ratio_bounds(len(b))
    assert abs(err.mean()) < 4 * s / np.sqrt(len(b)) and lo <= np.mean(err ** 2) / s**2 <= hi
    assert np.all(b.meas_kind == MeasKind.BEARING)


def test_rf_pd_is_half_at_range_m_and_falls() -> None:
    n = 2000
    spec = rf(range_m=3_000.0, pd_max=0.95)
    plat = make_platforms(n, "dji_multirotor")
    got = []
    for r in (300.0, 3_000.0, 12_000.0):
        enu = polar_enu(np.full(n, r), np.random.default_rng(1).uniform(-np.pi, np.pi, n),
                        np.full(n, 0.02))
        got.append(len(true_reports(observe_many(spec, plat, enu_to_ecef(LAT0, LON0, H, enu), 1))))
    assert got[0] / n > 0.9
    assert binomial_ok(got[1], n, 0.5)
    assert got[2] / n < 0.1


def test_rf_pd_max_must_exceed_half() -> None:
    with pytest.raises(ConfigurationError, match="rf1"):
        SensorSuite([rf(pd_max=0.5)], np.random.default_rng(0))


def eoir(**kw: object) -> EOIRSpec:
    base: dict[str, object] = dict(id="cam1", type="eoir", position=[LAT0, LON0], height_m=H,
                                   false_alarms_per_hour=0.0)
    base.update(kw)
    return EOIRSpec(**base)


def test_eoir_gating_pd_and_angle_noise() -> None:
    spec = eoir(fov_az_deg=[0.0, 90.0], fov_el_deg=[0.0, 30.0], max_range_m=4_000.0, pd=0.7,
                sigma_deg=0.2)
    n = 2000
    rg = np.random.default_rng(2)
    az = rg.uniform(0.05, np.pi / 2 - 0.05, n)
    el = rg.uniform(0.02, 0.5, n)
    inside = polar_enu(np.full(n, 3_000.0), az, el)
    outside = polar_enu(np.array([3000.0, 3000.0, 4500.0]), np.radians([120.0, 45.0, 45.0]),
                        np.radians([5.0, 40.0, 5.0]))
    plat = make_platforms(n + 3, "shahed136")
    b = true_reports(observe_many(spec, plat, enu_to_ecef(LAT0, LON0, H,
                                                          np.vstack([inside, outside])), 2))
    assert not np.any(b.truth_id >= n)  # outside FOV az, above FOV el, beyond max range
    assert binomial_ok(len(b), 2 * n, 0.7)
    s = np.radians(0.2)
    lo, hi = var_ratio_bounds(len(b))
    for col, truth in ((0, az), (1, el)):
        e = np.angle(np.exp(1j * (b.z[:, col] - truth[b.truth_id])))
        assert abs(e.mean()) < 4 * s / np.sqrt(len(b)) and lo <= np.mean(e ** 2) / s**2 <= hi
    assert np.all(b.meas_kind == MeasKind.AZEL)


def test_eoir_labels_follow_the_confusion_matrix() -> None:
    row = {"ATTACK_DRONE": 0.6, "DECOY": 0.25, "BIRD": 0.05, "UNKNOWN": 0.1}
    spec = eoir(pd=1.0, confusion={"attack_drone": row})
    n = 4000
    enu = polar_enu(np.full(n, 2_000.0), np.random.default_rng(3).uniform(-3, 3, n),
                    np.full(n, 0.1))
    plat = make_platforms(n, "shahed136")
    b = true_reports(observe_many(spec, plat, enu_to_ecef(LAT0, LON0, H, enu), 1))
    assert len(b) == n
    counts = np.bincount(b.class_label, minlength=len(PlatformClass))
    p = np.zeros(len(PlatformClass))
    for k, v in row.items():
        p[PlatformClass[k]] = v
    assert np.all(counts[p == 0] == 0)
    chi = stats.chisquare(counts[p > 0], n * p[p > 0])
    assert chi.pvalue > 1e-3, (counts, n * p)


def test_confusion_validation_errors() -> None:
    with pytest.raises(ConfigurationError, match=r"cam9.*DECOY.*sums to 0\.9"):
        confusion_matrix("cam9", {"DECOY": {"DECOY": 0.8, "UNKNOWN": 0.1}})
    with pytest.raises(ConfigurationError, match=r"cam9.*unknown class 'HELICOPTER'"):
        confusion_matrix("cam9", {"HELICOPTER": {"UNKNOWN": 1.0}})
    with pytest.raises(ConfigurationError, match=r"cam9.*unknown class 'shahed'"):
        confusion_matrix("cam9", {"DECOY": {"shahed": 1.0}})
    with pytest.raises(ConfigurationError, match="cam1"):
        SensorSuite([eoir(confusion={"BIRD": {"BIRD": 1.2, "UNKNOWN": -0.2}})],
                    np.random.default_rng(0))
    m = confusion_matrix("cam", None)
    assert np.allclose(m.sum(axis=1), 1.0) and np.all(np.diag(m) == 0.8)
    assert set(DEFAULT_CONFUSION) == {c.name for c in PlatformClass}
