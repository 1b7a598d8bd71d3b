"""RF silence as class evidence (bayes 'rf_audibility', classify/rf_hearing.py): a slow, small
track close to an RF direction finder that the finder never hears is unlikely to be a
multirotor or a reconnaissance UAV (their links transmit all the time); silence beyond the
finders' reach or line of sight says nothing; reports that fit several tracks are no evidence
either way; the classifier reads the same Pd curve the RF sensor model draws from."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.catalog import PlatformClass
from dronewall.classify.bayes import DEFAULT_CONFIG, EVIDENCE_KINDS, ClassifierConfig
from dronewall.classify.rf_hearing import RFNetwork
from dronewall.classify.tracks import TrackClassifier
from dronewall.detections import DetectionBatch, MeasKind
from dronewall.detections.rf_link import rf_pd, rf_range_at_pd
from dronewall.geo import ecef_to_enu_rotation, geodetic_to_ecef
from tests.classify.test_track_classifier import FRAME, snap

C = PlatformClass
EMITTERS = [int(C.MULTIROTOR), int(C.RECON_UAV)]


def run(rf_audible, steps: int = 60) -> np.ndarray:
    """A slow (12 m/s), low (150 m), small radar track -- a bird flock or a multirotor by its
    kinematics -- for ``steps`` 1 s steps; ``rf_audible(t)`` gives (p (1,), heard (1,))."""
    clf = TrackClassifier(FRAME)
    vel = np.array([[12.0, 0.0, 0.0]])
    res = None
    for t in range(steps):
        p = np.array([[12.0 * t, 0.0, 150.0]])
        res = clf.step(float(t), snap([1], float(t), {"rcs_dbsm": [-20.0]}), p, vel,
                       rf_audible=rf_audible(t))
    assert res is not None
    return res.prob[0]


def test_rf_silence_close_to_a_detector_rules_out_link_emitters() -> None:
    base = run(lambda t: None)
    silent = run(lambda t: (np.array([0.9]), np.array([False])))
    heard = run(lambda t: (np.array([0.9]), np.array([True])))
    assert silent[EMITTERS].sum() < 0.05 < base[EMITTERS].sum()
    assert silent[int(C.BIRD)] > base[int(C.BIRD)]
    assert heard[EMITTERS].sum() > 0.9 > base[EMITTERS].sum()


def test_rf_silence_where_no_detector_reaches_or_ambiguous_is_no_evidence() -> None:
    base = run(lambda t: None)
    away = run(lambda t: (np.array([0.0]), np.array([False])))
    ambiguous = run(lambda t: (np.array([np.nan]), np.array([False])))
    np.testing.assert_allclose(away, base, atol=1e-12)
    np.testing.assert_allclose(ambiguous, base, atol=1e-12)


def test_the_rf_evidence_is_weighted_and_capped() -> None:
    cfg = DEFAULT_CONFIG
    f, qmax = cfg.rf_false_p, cfg.rf_audibility_max_p
    clf = TrackClassifier(FRAME)
    clf.step(0.0, snap([1], 0.0), np.array([[0.0, 0.0, 150.0]]), np.zeros((1, 3)),
             rf_audible=(np.array([1.0]), np.array([False])))
    k = EVIDENCE_KINDS.index("rf_audibility")
    c = clf.contrib[0, :, k]
    b, m = int(C.BIRD), int(C.MULTIROTOR)
    q_m = f + (1 - f) * min(cfg.rf_emit_p[m], qmax)
    q_b = f + (1 - f) * cfg.rf_emit_p[b]
    assert c[b] - c[m] == pytest.approx(cfg.rf_audibility_weight
                                        * (np.log1p(-q_b) - np.log1p(-q_m)))
    with pytest.raises(ValueError, match="rf_false_p"):
        ClassifierConfig(rf_false_p=0.0)
    with pytest.raises(ValueError, match="rf_emit_p"):
        ClassifierConfig(rf_emit_p=(0.1,) * 6)


def _net(range50_m: float = 5_000.0) -> tuple[RFNetwork, np.ndarray]:
    lat, lon = np.array([50.0, 50.0]), np.array([22.0, 22.8])
    ecef = geodetic_to_ecef(lat, lon, np.full(2, 10.0)).reshape(-1, 3)
    return RFNetwork(sensor_rows=np.array([4, 7]), ecef=ecef,
                     rot=ecef_to_enu_rotation(lat, lon).reshape(-1, 3, 3),
                     height_m=np.array([10.0, 10.0]), range50_m=np.full(2, range50_m),
                     pd_max=np.full(2, 0.95), sigma_bearing_rad=np.radians([3.0, 3.0]),
                     report_period_s=np.array([1.0, 2.0])), ecef


def test_p_any_follows_the_sensor_model_s_pd_range_and_line_of_sight() -> None:
    net, ecef = _net()

    def north_of(k: int, d: float, h: float) -> np.ndarray:
        return FRAME.from_local(FRAME.to_local(ecef[k:k + 1]) + np.array([[0.0, d, h]]))

    # detector 0 alone is in reach (detector 1 is 57 km east); 1 s steps: it is due
    for d in (500.0, 5_000.0, 9_000.0):
        p = net.p_any(north_of(0, d, 100.0), np.array([110.0]), 1.0)[0]
        assert p == pytest.approx(float(rf_pd(np.array([d]), 5_000.0, 0.95)[0]), rel=0.02)
    # detector 1 reports every 2 s: a 1 s step sees a report with probability 1/2
    near1 = north_of(1, 3_000.0, 100.0)
    h = np.array([110.0])
    p1, p2 = net.p_any(near1, h, 1.0)[0], net.p_any(near1, h, 2.0)[0]
    assert p1 == pytest.approx(0.5 * p2)
    # beyond the reach (Pd 1 %) nothing; below the horizon nothing
    assert net.max_range_m == pytest.approx(float(rf_range_at_pd(0.01, 5_000.0, 0.95)))
    assert net.p_any(north_of(0, net.max_range_m + 500.0, 100.0), np.array([110.0]), 1.0)[0] == 0
    low_far = north_of(0, 14_000.0, -15.0)   # 14 km, on the ground: under a 10 m mast's horizon
    assert net.p_any(low_far, np.array([0.0]), 1.0)[0] == 0.0
    assert net.p_any(north_of(0, 14_000.0, 300.0), np.array([310.0]), 1.0)[0] > 0.0


def test_heard_counts_rf_bearings_that_fit_one_track() -> None:
    net, ecef = _net()
    trk = FRAME.from_local(FRAME.to_local(ecef[:1]) + np.array([[0.0, 2000.0, 150.0]]))

    def batch(sensor: int, az_deg: float, proto: int = 0) -> DetectionBatch:
        return DetectionBatch.create(t=np.array([0.0]), sensor=np.array([sensor]),
                                     meas_kind=MeasKind.BEARING, z=np.radians([[az_deg]]),
                                     R=np.array([[[np.radians(3.0) ** 2]]]),
                                     rf_protocol=np.array([proto]))
    sd = np.array([50.0])
    assert net.heard(trk, sd, batch(4, 1.0))[0][0]           # detector 4 points north: fits
    assert not net.heard(trk, sd, batch(4, 60.0))[0][0]      # another emitter
    # a bearing that names no link still is an emitter heard (a SAPIENT RF node's carry none)
    assert net.heard(trk, sd, batch(4, 1.0, proto=-1))[0][0]
    assert not net.heard(trk, sd, batch(5, 1.0))[0][0]       # row 5 is no RF detector
    two = np.vstack([trk, FRAME.from_local(FRAME.to_local(ecef[:1])
                                           + np.array([[0.0, 3000.0, 150.0]]))])
    heard, amb = net.heard(two, np.array([50.0, 50.0]), batch(4, 1.0))
    assert heard.tolist() == [False, False] and amb.tolist() == [True, True]
    with pytest.raises(ValueError, match="pd_max"):
        RFNetwork(sensor_rows=net.sensor_rows, ecef=net.ecef, rot=net.rot,
                  height_m=net.height_m, range50_m=net.range50_m, pd_max=np.full(2, 0.5),
                  sigma_bearing_rad=net.sigma_bearing_rad,
                  report_period_s=net.report_period_s)
