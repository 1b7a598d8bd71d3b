"""Radar micro-Doppler class labels and acoustic received levels (sensor models), and the
tracker's received -> source level conversion (tracking engine)."""

from __future__ import annotations

import numpy as np
import pytest
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

from dronewall.catalog import PLATFORMS, AcousticClass, MicroDoppler
from dronewall.detections import DetectionBatch, MeasKind, SensorKind
from dronewall.detections.acoustics import transmission_loss_db
from dronewall.detections.batch import SensorTable
from dronewall.geo import Frame
from dronewall.scenario.model import AcousticNodeSpec, RadarSpec
from dronewall.sensors import SensorSuite
from dronewall.sensors.radar import snr_for_pd
from dronewall.tracking import ATTR_NAMES, Engine, TrackerConfig

H = 10.0
NODE_H = 4.0


def radar(**kw: object) -> RadarSpec:
    # Swerling 0 (no fluctuation): the single-look SNR is set by range alone
    base: dict[str, object] = {
        "id": "r1", "type": "radar", "position": [LAT0, LON0], "height_m": H,
        "scan_period_s": 1.0, "false_alarms_per_scan": 0.0, "swerling": 0,
        "range_ref_m": 10_000.0, "rcs_ref_m2": 1.0, "pd_ref": 0.9}
    base.update(kw)
    return RadarSpec(**base)


def ring(r: float, n: int, seed: int = 0) -> np.ndarray:
    az = np.random.default_rng(seed).uniform(-np.pi, np.pi, n)
    return enu_to_ecef(LAT0, LON0, H, polar_enu(np.full(n, r), az, np.full(n, 0.02)))


def mean_snr_db(spec: RadarSpec, r: float) -> float:
    s0 = 10 * np.log10(float(snr_for_pd(spec.pd_ref, spec.pfa, spec.swerling)))
    return s0 + 40 * np.log10(spec.range_ref_m / r)


def radar_reports(spec: RadarSpec, r: float, n: int, n_scans: int = 3, seed: int = 1):
    cls = np.arange(n) % 4                            # PISTON, ROTOR, JET, BIRD in turn
    plat = make_platforms(n, rcs_m2=1.0, acoustic_class=cls)
    suite = SensorSuite([spec], np.random.default_rng(seed))
    ecef = ring(r, n, seed)
    b = true_reports([suite.observe(make_truth(float(k), ecef), plat)
                      for k in range(1, n_scans + 1)])
    return b, plat


def test_micro_doppler_codes_equal_acoustic_codes() -> None:
    assert MicroDoppler.PROPELLER == AcousticClass.PISTON_PROP
    assert MicroDoppler.ROTOR == AcousticClass.ELECTRIC_ROTOR
    assert MicroDoppler.JET == AcousticClass.JET
    assert MicroDoppler.WINGBEAT == AcousticClass.BIRD


@pytest.mark.parametrize("err_p", [0.1, 0.3])
def test_micro_doppler_reports_propulsion_class_at_high_snr(err_p: float) -> None:
    spec = radar(micro_doppler=True, micro_doppler_snr_db=20.0, micro_doppler_error_p=err_p)
    assert mean_snr_db(spec, 3000.0) > 30.0
    b, plat = radar_reports(spec, 3000.0, 2000)
    n = len(b)
    assert n > 5000                                    # Pd ~ 1 at 3 km
    true = plat.acoustic_class[b.truth_id].astype(np.int64)
    lab = np.asarray(b.class_label)
    assert np.all((lab >= 0) & (lab <= 3))
    wrong = int(np.count_nonzero(lab != true))
    assert binomial_ok(wrong, n, err_p), wrong / n
    # the errors spread over the other classes (none is "the same class again")
    for c in range(4):
        m = true == c
        assert np.count_nonzero(lab[m] == c) / m.sum() == pytest.approx(1 - err_p, abs=0.06)
        for o in set(range(4)) - {c}:
            assert np.count_nonzero(lab[m] == o) / m.sum() == pytest.approx(err_p / 3, abs=0.04)


def test_micro_doppler_none_below_snr_threshold() -> None:
    spec = radar(micro_doppler=True, micro_doppler_snr_db=25.0)
    assert mean_snr_db(spec, 8000.0) < 20.0           # detectable, below the md threshold
    b, _ = radar_reports(spec, 8000.0, 1000)
    assert len(b) > 1000
    assert np.all(np.asarray(b.class_label) == -1)


def test_micro_doppler_threshold_uses_true_snr() -> None:
    """Mixed ranges: all detections above the threshold carry a label, none below."""
    spec = radar(micro_doppler=True, micro_doppler_snr_db=25.0)
    near, _ = radar_reports(spec, 3000.0, 500, seed=2)     # ~34 dB
    far, _ = radar_reports(spec, 8000.0, 500, seed=3)      # ~17 dB
    assert np.all(np.asarray(near.class_label) >= 0)
    assert np.all(np.asarray(far.class_label) == -1)


def test_radar_without_micro_doppler_reports_none() -> None:
    b, _ = radar_reports(radar(), 3000.0, 1000)
    assert len(b) > 2000
    assert np.all(np.asarray(b.class_label) == -1)


# ------------------------------------------------------------------------ acoustic level

def acoustic_node(env: str = "rural") -> AcousticNodeSpec:
    return AcousticNodeSpec(id="n1", type="acoustic", position=[LAT0, LON0], environment=env,
                            false_alarms_per_hour=0.0)


@pytest.mark.parametrize("platform,env,ranges", [
    ("shahed136", "rural", (500.0, 1500.0, 3000.0)),
    ("gerbera", "rural", (300.0, 800.0, 1500.0)),
    ("dji_multirotor", "rural", (100.0, 250.0)),
    ("shahed136", "urban", (300.0, 800.0)),
])
def test_acoustic_received_level_recovers_source_level(platform: str, env: str,
                                                       ranges: tuple[float, ...]) -> None:
    n = 600
    rg = np.random.default_rng(11)
    enus = []
    for r in ranges:
        el = np.arcsin(min(100.0 / r, 0.9))
        enus.append(polar_enu(np.full(n, r), rg.uniform(-np.pi, np.pi, n), np.full(n, el)))
    enu = np.vstack(enus)
    ecef = enu_to_ecef(LAT0, LON0, NODE_H, enu)
    plat = make_platforms(len(enu), platform)
    suite = SensorSuite([acoustic_node(env)], np.random.default_rng(5))
    b = true_reports([suite.observe(make_truth(10.0, ecef), plat)])
    assert len(b) > 100
    node_ecef = suite.table.ecef[0]
    r_true = np.linalg.norm(ecef[b.truth_id] - node_ecef, axis=1)
    sl_est = b.aux[:, 0] + transmission_loss_db(r_true)
    err = sl_est - PLATFORMS[platform].acoustic_sl_db
    assert np.all(np.isfinite(b.aux[:, 0]))
    assert np.all(np.isnan(b.aux[:, 1:]))
    assert abs(err.mean()) < 0.3, err.mean()
    assert 0.8 < err.std() < 1.2, err.std()              # the 1 dB report noise
    assert np.quantile(np.abs(err), 0.99) < 3.0
    # the received level falls with range as the propagation law says
    assert np.corrcoef(b.aux[:, 0], -transmission_loss_db(r_true))[0, 1] > 0.9


# ------------------------------------------------------------------------ tracker conversion

FRAME = Frame(60.2, 24.9, 0.0)


def test_engine_converts_received_to_source_level() -> None:
    local = np.array([[0.0, 0.0, 10.0], [1500.0, 0.0, 4.0]])
    lat, lon, alt = FRAME.local_to_geodetic(local)
    st = SensorTable.build(["radar", "node"], [SensorKind.RADAR, SensorKind.ACOUSTIC],
                           lat, lon, alt)
    spos, A = FRAME.to_local(st.ecef), st.rot @ FRAME.rot.T
    eng = Engine(TrackerConfig(dims=3), FRAME, st)
    R = np.diag([15.0 ** 2, np.radians(0.5) ** 2, np.radians(1.0) ** 2])
    v = np.array([0.0, 40.0, 0.0])
    p = np.array([2500.0, 1000.0, 150.0])
    rl = 60.0
    for k in range(10):
        pk = p + v * k
        d = A[0] @ (pk - spos[0])
        r = np.linalg.norm(d)
        z = np.array([r, np.arctan2(d[0], d[1]), np.arctan2(d[2], np.hypot(d[0], d[1]))])
        batches = [DetectionBatch.create(t=[float(k)], sensor=[0],
                                         meas_kind=[int(MeasKind.RADAR)], z=z[None], R=R[None])]
        if k >= 6:
            dn = A[1] @ (pk - spos[1])
            aux = np.array([[rl, np.nan, np.nan]])
            batches.append(DetectionBatch.create(
                t=[float(k)], sensor=[1], meas_kind=[int(MeasKind.BEARING)],
                z=[[np.arctan2(dn[0], dn[1])]], R=[[[np.radians(2.0) ** 2]]],
                class_label=[int(AcousticClass.PISTON_PROP)], aux=aux))
        eng.step(float(k), DetectionBatch.concat(batches))
    snap = eng.snapshot(confirmed_only=True)
    assert snap.ids.size == 1
    j = ATTR_NAMES.index("acoustic_sl_db")
    assert snap.attr_t[0, j] == 9.0
    rng_track = np.linalg.norm(snap.x[0, :3] - spos[1])
    rng_true = np.linalg.norm(p + v * 9 - spos[1])
    assert snap.attr[0, j] == pytest.approx(rl + float(transmission_loss_db(rng_track)), abs=0.5)
    assert snap.attr[0, j] == pytest.approx(rl + float(transmission_loss_db(rng_true)), abs=1.0)
    assert snap.attr[0, ATTR_NAMES.index("acoustic_class")] == AcousticClass.PISTON_PROP
