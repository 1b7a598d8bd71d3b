"""The picture carries each track's altitude error along the local vertical (``sigma_alt_m``):
the airspace stage tests zone altitude bands with it and ``tracks.csv`` reports it."""

from __future__ import annotations

import numpy as np
import pytest
from trk_helpers import FRAME, radar_z, sensors_at

from dronewall.chain.records import StepRecord
from dronewall.chain.stages import TrackingStage
from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind
from dronewall.tracking import TrackerConfig

SIG_EL = np.radians(1.0)


def _picture(p0: np.ndarray):  # noqa: ANN202 - a Picture
    """Two radar-only targets tracked for 12 scans: a near one at ``[2, 3, 0.15]`` km and one
    at ``p0`` (m, frame); the last picture."""
    st = sensors_at(np.array([[0.0, 0.0, 10.0]]), [SensorKind.RADAR])
    stage = TrackingStage(TrackerConfig(dims=3), FRAME, st)
    R = np.diag([15.0 ** 2, np.radians(0.5) ** 2, SIG_EL ** 2])
    v = np.array([0.0, 40.0, 0.0])
    rec = None
    for k in range(12):
        zs = [radar_z(st, 0, p + v * k, v)[:3] for p in (np.array([2000.0, 3000.0, 150.0]), p0)]
        det = DetectionBatch.create(t=[float(k)] * 2, sensor=[0, 0],
                                    meas_kind=[int(MeasKind.RADAR)] * 2, z=np.array(zs),
                                    R=np.stack([R, R]))
        rec = stage.step(StepRecord(t=float(k), detections=det))
    assert rec is not None and rec.picture is not None
    return rec.picture


def test_a_far_radar_track_has_the_altitude_error_of_the_radars_elevation_error() -> None:
    far = np.array([30_000.0, 40_000.0, 300.0])            # 50 km from the radar
    pic = _picture(far)
    assert len(pic) == 2 and pic.sigma_alt_m is not None
    near_i, far_i = np.argsort(np.hypot(pic.pos[:, 0], pic.pos[:, 1]))
    s_near, s_far = pic.sigma_alt_m[near_i], pic.sigma_alt_m[far_i]
    # one plot's height error is range x elevation error (~870 m at 50 km); a track of a
    # dozen plots averages it down, but stays within the same order
    assert 100.0 < s_far < 50_000.0 * SIG_EL
    assert s_near < 0.25 * s_far
    # near the frame origin the local vertical is the frame's z axis
    P = pic.tracks.P[near_i]
    assert s_near == pytest.approx(np.sqrt(P[2, 2]), rel=0.02)

