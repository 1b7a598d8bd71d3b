"""An EO/IR az-el detection whose assignment is not clear is consumed without an update
(``TrackerConfig.azel_ambiguity_margin_d2``): two targets in line from the camera differ
mainly in elevation, which a radar-height track predicts poorly."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from trk_helpers import FRAME, radar_z, sensors_at

from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind
from dronewall.errors import ConfigurationError
from dronewall.tracking import Engine, TrackerConfig

V = np.array([40.0, 0.0, 0.0])
#: Two drones 250 m apart, due north of the camera (same azimuth, 0.2 deg apart in elevation).
TARGETS = (np.array([500.0, 3000.0, 150.0]), np.array([500.0, 3250.0, 150.0]))
R_RADAR = np.diag([15.0 ** 2, np.radians(0.5) ** 2, np.radians(1.0) ** 2])
R_EO = np.eye(2) * np.radians(0.1) ** 2


def _run(targets: tuple[np.ndarray, ...], margin: float | None = None):
    st = sensors_at(np.array([[0.0, 0.0, 10.0], [500.0, 0.0, 10.0]]),
                    [SensorKind.RADAR, SensorKind.EOIR])
    cfg = TrackerConfig(dims=3)
    if margin is not None:
        cfg = dataclasses.replace(cfg, azel_ambiguity_margin_d2=margin)
    eng = Engine(cfg, FRAME, st)
    for k in range(8):                      # radar plots only: both tracks confirmed
        z = np.array([radar_z(st, 0, p + V * k, V)[:3] for p in targets])
        eng.step(float(k), DetectionBatch.create(
            t=np.full(len(targets), float(k)), sensor=np.zeros(len(targets), np.int32),
            meas_kind=np.full(len(targets), int(MeasKind.RADAR), np.int8), z=z,
            R=np.broadcast_to(R_RADAR, (len(targets), 3, 3))))
    assert eng.snapshot(confirmed_only=True).ids.size == len(targets)
    # the camera then sees the first drone only
    s, A = FRAME.to_local(st.ecef), st.rot @ FRAME.rot.T
    d = A[1] @ (TARGETS[0] + V * 8 - s[1])
    ae = np.array([np.arctan2(d[0], d[1]), np.arctan2(d[2], np.hypot(d[0], d[1]))])
    return eng, eng.step(8.0, DetectionBatch.create(
        t=[8.0], sensor=[1], meas_kind=[int(MeasKind.AZEL)], z=ae[None], R=R_EO[None]))


def test_an_az_el_detection_two_tracks_fit_updates_neither() -> None:
    _, res = _run(TARGETS)
    assert res.diagnostics.get("azel_updates_ambiguous") == 1
    assert res.updated.size == 0
    assert res.new.size == 0                # consumed: it starts nothing either


def test_an_az_el_detection_one_track_fits_updates_it() -> None:
    eng, res = _run(TARGETS[:1])
    assert "azel_updates_ambiguous" not in res.diagnostics
    assert res.updated.tolist() == eng.snapshot(confirmed_only=True).ids.tolist()


def test_with_the_margin_off_the_ambiguous_detection_goes_to_a_track() -> None:
    _, res = _run(TARGETS, margin=0.0)
    assert "azel_updates_ambiguous" not in res.diagnostics
    assert res.updated.size == 1


def test_a_negative_margin_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="azel_ambiguity_margin_d2"):
        TrackerConfig(azel_ambiguity_margin_d2=-1.0)


def test_two_detections_of_one_camera_that_fit_one_track_update_it_with_neither() -> None:
    st = sensors_at(np.array([[0.0, 0.0, 10.0], [500.0, 0.0, 10.0]]),
                    [SensorKind.RADAR, SensorKind.EOIR])
    eng = Engine(TrackerConfig(dims=3), FRAME, st)
    p0 = TARGETS[0]
    for k in range(8):
        z = radar_z(st, 0, p0 + V * k, V)[:3]
        eng.step(float(k), DetectionBatch.create(
            t=[float(k)], sensor=[0], meas_kind=[int(MeasKind.RADAR)], z=z[None],
            R=R_RADAR[None]))
    s, A = FRAME.to_local(st.ecef), st.rot @ FRAME.rot.T
    ae = []
    for p in (p0 + V * 8, TARGETS[1] + V * 8):      # the drone and one in line behind it
        d = A[1] @ (p - s[1])
        ae.append([np.arctan2(d[0], d[1]), np.arctan2(d[2], np.hypot(d[0], d[1]))])
    res = eng.step(8.0, DetectionBatch.create(
        t=[8.0, 8.0], sensor=[1, 1], meas_kind=[int(MeasKind.AZEL)] * 2, z=np.array(ae),
        R=np.broadcast_to(R_EO, (2, 2, 2))))
    assert res.diagnostics.get("azel_updates_ambiguous") == 1
    assert res.updated.size == 0
