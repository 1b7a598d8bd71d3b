"""Radar physics: Pd calibration and scaling, horizon, gating, measurement noise, false alarms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats
from sensor_helpers import (
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

from dronewall.detections import DetectionBatch, MeasKind
from dronewall.geo import ecef_to_enu_rotation, radar_horizon_m
from dronewall.scenario.model import RadarSpec
from dronewall.sensors import SensorSuite
from dronewall.sensors.radar import pd_swerling, snr_for_pd

H = 10.0


def radar(**kw: object) -> RadarSpec:
    base: dict[str, object] = dict(id="r1", type="radar", position=[LAT0, LON0], height_m=H,
                                   scan_period_s=1.0, false_alarms_per_scan=0.0)
    base.update(kw)
    return RadarSpec(**base)


def scans(spec: RadarSpec, platforms, ecef, n_scans: int, seed: int = 1, vel=None
          ) -> list[DetectionBatch]:
    suite = SensorSuite([spec], np.random.default_rng(seed))
    return [suite.observe(make_truth(float(k), ecef, vel), platforms)
            for k in range(1, n_scans + 1)]


def ring(r: float, n: int, el_rad: float = 0.02, seed: int = 0) -> np.ndarray:
    az = np.random.default_rng(seed).uniform(-np.pi, np.pi, n)
    return enu_to_ecef(LAT0, LON0, H, polar_enu(np.full(n, r), az, np.full(n, el_rad)))


@pytest.mark.parametrize("sw", [0, 1, 3])
def test_pd_formulas_against_independent_integrals(sw: int) -> None:
    pfa = 1e-6
    thr = -np.log(pfa)

    def q(s: float) -> float:  # the steady-target Marcum Q
        return stats.ncx2.sf(2 * thr, 2, 2 * s)

    for snr in (3.0, 20.0, 100.0):
        # Average the steady-target Marcum Q over the Swerling RCS law numerically.
        if sw == 0:
            ref = q(snr)
        elif sw == 1:
            ref = integrate.quad(lambda s, snr=snr: q(s) * stats.expon.pdf(s, scale=snr), 0,
                                 np.inf, limit=200)[0]
        else:
            ref = integrate.quad(lambda s, snr=snr: q(s) * stats.gamma.pdf(s, 2, scale=snr / 2),
                                 0, np.inf, limit=200)[0]
        assert float(pd_swerling(snr, pfa, sw)) == pytest.approx(ref, rel=1e-6, abs=1e-9)
    s_ref = snr_for_pd(0.9, pfa, sw)
    assert float(pd_swerling(s_ref, pfa, sw)) == pytest.approx(0.9, abs=1e-9)


@pytest.mark.parametrize("sw", [0, 1, 3])
def test_measured_pd_at_reference_point(sw: int) -> None:
    n = 3000
    spec = radar(range_ref_m=10_000.0, rcs_ref_m2=0.5, pd_ref=0.8, swerling=sw)
    plat = make_platforms(n, rcs_m2=0.5)
    b = true_reports(scans(spec, plat, ring(10_000.0, n), 2))
    assert binomial_ok(len(b), 2 * n, 0.8), len(b) / (2 * n)


def test_pd_follows_radar_equation_in_range_and_rcs() -> None:
    n = 3000
    spec = radar(range_ref_m=10_000.0, rcs_ref_m2=1.0, pd_ref=0.9, pfa=1e-6, swerling=1)
    s_ref = snr_for_pd(0.9, 1e-6, 1)
    cases = [(13_000.0, 1.0), (10_000.0, 0.2), (10_000.0 * 0.2 ** 0.25, 0.2), (6_000.0, 0.1)]
    for r, rcs in cases:
        b = true_reports(scans(spec, make_platforms(n, rcs_m2=rcs), ring(r, n, seed=int(r)), 2))
        snr = s_ref * (rcs / 1.0) * (10_000.0 / r) ** 4
        expected = 1e-6 ** (1.0 / (1.0 + snr))  # Swerling 1, closed form
        assert binomial_ok(len(b), 2 * n, expected), (r, rcs, len(b) / (2 * n), expected)
    # 0.2 m2 at 10 km must be clearly worse than the reference; R^4 compensates it exactly.
    assert 1e-6 ** (1 / (1 + s_ref * 0.2)) < 0.9 - 0.1


def test_horizon_is_never_crossed() -> None:
    # 10 m mast, 50 m target: horizon 42.2 km (4/3 earth). Huge RCS so range is no limit.
    assert float(radar_horizon_m(10.0, 50.0)) == pytest.approx(42_200, abs=150)
    spec = radar(range_ref_m=20_000.0, rcs_ref_m2=1.0, max_range_m=100_000.0)
    n = 50
    az = np.linspace(0, 360, n, endpoint=False)
    beyond = ground_point(LAT0, LON0, 45_000.0, az, 50.0)
    inside = ground_point(LAT0, LON0, 40_000.0, az, 50.0)
    plat = make_platforms(2 * n, rcs_m2=1e4)
    b = true_reports(scans(spec, plat, np.vstack([beyond, inside]), 100))
    assert not np.any(b.truth_id < n), "a target beyond the radar horizon was detected"
    assert len(b) > 0.99 * 100 * n  # inside: Pd ~ 1


def test_sector_elevation_and_range_gates() -> None:
    spec = radar(sector_deg=[350.0, 10.0], max_elevation_deg=30.0, min_range_m=500.0,
                 max_range_m=8_000.0, range_ref_m=20_000.0)
    enu = polar_enu(np.array([3000, 3000, 3000, 3000, 300, 9000]),
                    np.radians([5, -5, 20, 0, 0, 0]), np.radians([5, 5, 5, 40, 5, 2]))
    plat = make_platforms(6, rcs_m2=100.0)
    b = true_reports(scans(spec, plat, enu_to_ecef(LAT0, LON0, H, enu), 50))
    seen = set(b.truth_id.tolist())
    assert seen == {0, 1}, seen  # 350..10 deg sector wraps through north; others gated out


def test_measurement_errors_match_configured_sigmas() -> None:
    n = 3000
    spec = radar(range_ref_m=20_000.0, sigma_range_m=20.0, sigma_az_deg=0.4, sigma_el_deg=0.8,
                 sigma_range_rate_mps=1.5)
    rg = np.random.default_rng(3)
    r = rg.uniform(3_000, 6_000, n)
    az = rg.uniform(-np.pi, np.pi, n)
    el = rg.uniform(0.01, 0.3, n)
    enu = polar_enu(r, az, el)
    v_enu = rg.normal(0, 40, (n, 3))
    rot = ecef_to_enu_rotation(LAT0, LON0)
    vel = v_enu @ rot  # radar-local ENU -> ECEF
    rr = np.einsum("ni,ni->n", enu, v_enu) / r
    b = true_reports(scans(spec, make_platforms(n, rcs_m2=10.0), enu_to_ecef(LAT0, LON0, H, enu),
                           1, vel=vel))
    assert len(b) > 0.95 * n
    i = b.truth_id
    assert np.all(b.meas_kind == MeasKind.RADAR)
    err = {
        "range": (b.z[:, 0] - r[i], 20.0),
        "az": (np.angle(np.exp(1j * (b.z[:, 1] - az[i]))), np.radians(0.4)),
        "el": (b.z[:, 2] - el[i], np.radians(0.8)),
        "rr": (b.z[:, 3] - rr[i], 1.5),
    }
    lo, hi = var_ratio_bounds(len(b))
    for name, (e, sig) in err.items():
        assert abs(e.mean()) < 4 * sig / np.sqrt(len(b)), name
        ratio = np.mean(e ** 2) / sig ** 2
        assert lo <= ratio <= hi, (name, ratio)
    assert np.allclose(b.R[:, 0, 0], 400.0) and np.allclose(b.R[:, 3, 3], 2.25)
    assert np.all((b.z[:, 1] > -np.pi) & (b.z[:, 1] <= np.pi))
    # RCS estimate: Swerling-1 fluctuation (exponential) around 10 m^2 plus 2 dB noise.
    ref = np.random.default_rng(99)
    ref_db = 10.0 * np.log10(10.0 * ref.exponential(size=200_000)) + ref.normal(0, 2.0, 200_000)
    assert abs(np.median(b.rcs_dbsm) - np.median(ref_db)) < 0.5
    assert np.all(np.isfinite(b.snr_db))


def test_no_doppler_gives_nan_range_rate() -> None:
    spec = radar(sigma_range_rate_mps=None, range_ref_m=20_000.0)
    b = true_reports(scans(spec, make_platforms(20, rcs_m2=10.0), ring(5_000.0, 20), 3))
    assert len(b) > 0 and np.all(np.isnan(b.z[:, 3])) and np.all(b.R[:, 3, 3] == 0.0)


def test_false_alarm_count_and_volume() -> None:
    lam = 3.0
    spec = radar(false_alarms_per_scan=lam, sector_deg=[0.0, 90.0], min_range_m=1000.0,
                 max_range_m=30_000.0, max_elevation_deg=20.0)
    n_scans = 2000
    bs = scans(spec, make_platforms(0), np.zeros((0, 3)), n_scans)
    counts = np.array([len(b) for b in bs])
    assert abs(counts.mean() - lam) < 3.5 * np.sqrt(lam / n_scans)
    assert 0.85 < counts.var() / lam < 1.15  # Poisson dispersion
    fa = DetectionBatch.concat(bs)
    assert np.all(fa.truth_id == -1)
    r, az, el = fa.z[:, 0], fa.z[:, 1], fa.z[:, 2]
    assert r.min() >= 1000.0 and r.max() <= 30_000.0
    assert az.min() >= 0.0 and az.max() <= np.pi / 2 + 1e-12
    assert el.min() >= 0.0 and el.max() <= np.radians(20.0) + 1e-12
    assert np.all(r * np.sin(el) <= 3_000.0 + 1e-6)  # altitude-limited
    # uniform in area: P(r < r_mid) with r_mid^2 halfway between the squared limits = 0.5
    r_mid = np.sqrt((1000.0 ** 2 + 30_000.0 ** 2) / 2)
    assert binomial_ok(int((r < r_mid).sum()), len(r), 0.5)
