"""Tracks carry the sensor attributes of their associated detections (classification input)."""

from __future__ import annotations

import numpy as np
from trk_helpers import FRAME, radar_z, sensors_at

from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind
from dronewall.tracking import Engine, TrackerConfig
from dronewall.tracking.engine import ATTR_NAMES


def test_rcs_and_eo_label_recorded_on_the_track() -> None:
    st = sensors_at(np.array([[0.0, 0.0, 10.0], [500.0, 0.0, 10.0]]),
                    [SensorKind.RADAR, SensorKind.EOIR])
    eng = Engine(TrackerConfig(dims=3), FRAME, st)
    R = np.diag([15.0 ** 2, np.radians(0.5) ** 2, np.radians(1.0) ** 2])
    v = np.array([0.0, 40.0, 0.0])
    p = np.array([2000.0, 3000.0, 150.0])
    for k in range(8):
        pk = p + v * k
        z = radar_z(st, 0, pk, v)[:3]
        rad = DetectionBatch.create(t=[float(k)], sensor=[0], meas_kind=[int(MeasKind.RADAR)],
                                    z=z[None], R=R[None], rcs_dbsm=[-5.0 - k])
        batches = [rad]
        if k >= 5:  # the EO/IR camera reports an az/el with a class label (1 = attack drone)
            s, A = FRAME.to_local(st.ecef), st.rot @ FRAME.rot.T
            d = A[1] @ (pk - s[1])
            ae = np.array([np.arctan2(d[0], d[1]), np.arctan2(d[2], np.hypot(d[0], d[1]))])
            batches.append(DetectionBatch.create(
                t=[float(k)], sensor=[1], meas_kind=[int(MeasKind.AZEL)], z=ae[None],
                R=(np.eye(2) * np.radians(0.1) ** 2)[None], class_label=[1]))
        eng.step(float(k), DetectionBatch.concat(batches))
    snap = eng.snapshot(confirmed_only=True)
    assert snap.ids.size == 1
    a = dict(zip(ATTR_NAMES, snap.attr[0], strict=True))
    at = dict(zip(ATTR_NAMES, snap.attr_t[0], strict=True))
    assert a["rcs_dbsm"] == -12.0 and at["rcs_dbsm"] == 7.0   # the latest radar report
    assert a["eo_label"] == 1.0 and at["eo_label"] == 7.0
    assert np.isnan(a["acoustic_class"]) and np.isnan(a["rf_protocol"])
    assert not snap.attr.flags.writeable
