"""Audibility evidence (bayes 'audibility', classify/hearing.py): a track the acoustic network
should hear but does not is unlikely to carry an engine; silence where nobody listens says
nothing; reports from other sensors or pointing elsewhere do not count as heard."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.catalog import PlatformClass
from dronewall.classify.bayes import DEFAULT_CONFIG, EVIDENCE_KINDS, N_CLASSES, ClassifierConfig
from dronewall.classify.hearing import AcousticNetwork
from dronewall.classify.tracks import TrackClassifier
from dronewall.detections import DetectionBatch, MeasKind
from dronewall.geo import ecef_to_enu_rotation, geodetic_to_ecef
from tests.classify.test_track_classifier import FRAME, snap

SL = DEFAULT_CONFIG.table("sl_mean_db")
ENGINES = [PlatformClass.ATTACK_DRONE, PlatformClass.DECOY, PlatformClass.RECON_UAV]


def run(audible, steps: int = 60) -> np.ndarray:
    """A slow (22 m/s), low, small radar track -- bird, multirotor or recon UAV by kinematics
    -- for ``steps`` 1 s steps; ``audible(t)`` gives (p (1, C), heard (1,)) or None."""
    clf = TrackClassifier(FRAME)
    vel = np.array([[22.0, 0.0, 0.0]])
    res = None
    for t in range(steps):
        p = np.array([[22.0 * t, 0.0, 200.0]])
        res = clf.step(float(t), snap([1], float(t), {"rcs_dbsm": [-15.0]}), p, vel,
                       audible=audible(t))
    assert res is not None
    return res.prob[0]


def loud_p() -> np.ndarray:
    """Inside a belt: engines almost surely heard, a multirotor sometimes, a bird never."""
    p = np.where(SL >= 90.0, 0.99, np.where(SL >= 75.0, 0.3, 0.0))
    return p[None, :]


def test_silence_inside_coverage_rules_out_engines() -> None:
    base = run(lambda t: None)
    silent = run(lambda t: (loud_p(), np.array([False])))
    heard = run(lambda t: (loud_p(), np.array([True])))
    eng = [int(c) for c in ENGINES]
    assert silent[eng].sum() < 0.05 < base[eng].sum()
    assert silent[int(PlatformClass.BIRD)] > base[int(PlatformClass.BIRD)]
    assert heard[eng].sum() > base[eng].sum()
    assert heard[int(PlatformClass.BIRD)] < 0.05


def test_silence_where_nobody_listens_is_no_evidence() -> None:
    base = run(lambda t: None)
    away = run(lambda t: (np.zeros((1, N_CLASSES)), np.array([False])))
    np.testing.assert_allclose(away, base, atol=1e-12)


def test_the_evidence_is_weighted_and_capped() -> None:
    """One silent step moves an engine class by at most weight * ln(1 / (1 - q_max))."""
    cfg = DEFAULT_CONFIG
    f, qmax = cfg.audibility_false_p, cfg.audibility_max_p
    q_hi = f + (1 - f) * qmax
    clf = TrackClassifier(FRAME)
    r = clf.step(0.0, snap([1], 0.0), np.array([[0.0, 0.0, 200.0]]), np.zeros((1, 3)),
                 audible=(loud_p(), np.array([False])))
    k = EVIDENCE_KINDS.index("audibility")
    c = clf.contrib[0, :, k]
    b, a = int(PlatformClass.BIRD), int(PlatformClass.ATTACK_DRONE)
    assert c[b] - c[a] == pytest.approx(cfg.audibility_weight * np.log((1 - f) / (1 - q_hi)))
    assert r.evidence[0] != ""
    with pytest.raises(ValueError, match="audibility"):
        ClassifierConfig(audibility_max_p=1.0)


def test_heard_counts_fitting_acoustic_bearings_only() -> None:
    lat, lon = np.array([50.0, 50.0]), np.array([22.0, 22.05])
    ecef = geodetic_to_ecef(lat, lon, np.zeros(2)).reshape(-1, 3)
    net = AcousticNetwork(sensor_rows=np.array([3, 5]), ecef=ecef,
                          rot=ecef_to_enu_rotation(lat, lon).reshape(-1, 3, 3),
                          rl50_db=np.array([29.0, 29.0]), width_db=2.0,
                          sigma_bearing_rad=np.radians([5.0, 5.0]),
                          report_period_s=np.array([1.0, 1.0]))
    # a track 2 km north of node row 3
    trk = FRAME.from_local(FRAME.to_local(ecef[:1]) + np.array([[0.0, 2000.0, 150.0]]))

    def batch(sensor: int, az_deg: float, kind: MeasKind = MeasKind.BEARING) -> DetectionBatch:
        return DetectionBatch.create(t=np.array([0.0]), sensor=np.array([sensor]),
                                     meas_kind=kind, z=np.radians([[az_deg]]),
                                     R=np.array([[[np.radians(5.0) ** 2]]]))
    sd = np.array([50.0])
    assert net.heard(trk, sd, batch(3, 2.0))[0][0]        # node 3 points north: fits
    assert not net.heard(trk, sd, batch(3, 90.0))[0][0]   # points east: another source
    assert not net.heard(trk, sd, batch(4, 2.0))[0][0]    # row 4 is no acoustic node (RF)
    assert not net.heard(trk, sd, DetectionBatch.empty())[0][0]
    # sensor indices no table row has (a malformed feed; the engine quarantines them): no fit,
    # and nothing allocated by their size
    assert not net.heard(trk, sd, batch(2 ** 31 - 1, 2.0))[0][0]
    assert not net.heard(trk, sd, batch(-5, 2.0))[0][0]
    # a vague track position widens the fit (2 km sd seen from 2 km: ~45 deg)
    assert net.heard(trk, np.array([2000.0]), batch(3, 40.0))[0][0]
    # a second track further along the same bearing: the report fits both -> ambiguous
    two = np.vstack([trk, FRAME.from_local(FRAME.to_local(ecef[:1])
                                           + np.array([[0.0, 3500.0, 150.0]]))])
    heard, amb = net.heard(two, np.array([50.0, 50.0]), batch(3, 2.0))
    assert heard.tolist() == [False, False] and amb.tolist() == [True, True]
    # beyond the network's reach (the 1 % range of a 112 dB engine) nothing fits
    assert 4_000.0 < net.max_range_m < 12_000.0
    far = FRAME.from_local(FRAME.to_local(ecef[:1]) + np.array([[0.0, 15_000.0, 150.0]]))
    assert not net.heard(far, sd, batch(3, 0.0))[0][0]
    # ... but a far track on the report's bearing (an airliner 8 km off, 10.5 km up: 13 km
    # slant) is another source that may have made it: the near track is not heard by it, only
    # ambiguous, and the far one is neither
    jet = FRAME.from_local(FRAME.to_local(ecef[:1]) + np.array([[0.0, 8_000.0, 10_500.0]]))
    heard, amb = net.heard(np.vstack([trk, jet]), np.array([50.0, 50.0]), batch(3, 2.0))
    assert heard.tolist() == [False, False] and amb.tolist() == [True, False]
    # (control) without that far track the near one is heard
    assert net.heard(trk, sd, batch(3, 2.0))[0][0]
    # beyond explain_range_m it explains nothing
    jet_far = FRAME.from_local(FRAME.to_local(ecef[:1]) + np.array([[0.0, 25_000.0, 10_500.0]]))
    heard, amb = net.heard(np.vstack([trk, jet_far]), np.array([50.0, 50.0]), batch(3, 2.0))
    assert heard.tolist() == [True, False] and amb.tolist() == [False, False]
    with pytest.raises(ValueError, match="rl50_db"):
        AcousticNetwork(sensor_rows=np.array([3, 5]), ecef=ecef, rot=net.rot,
                        rl50_db=np.array([29.0]), width_db=2.0,
                        sigma_bearing_rad=net.sigma_bearing_rad,
                        report_period_s=net.report_period_s)
