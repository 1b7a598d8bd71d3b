"""TrackingScorer's sensor milestones for the confirmation latency: the first time a platform
became fixable (two position fixes within 30 s, or bearings from 3 sensors at once) and the
first time it had three fixes in a run (each within 30 s of the previous)."""

from __future__ import annotations

import numpy as np

from dronewall.detections import DetectionBatch, MeasKind
from dronewall.geo import Frame
from dronewall.pipeline.tracking import TrackingScorer


def _plots(t: float, truths: list[int], kind: MeasKind = MeasKind.RADAR,
           sensors: list[int] | None = None) -> DetectionBatch:
    n = len(truths)
    return DetectionBatch.create(t=np.full(n, t), sensor=sensors or [0] * n,
                                 meas_kind=np.full(n, int(kind)), z=np.zeros((n, 3)),
                                 truth_id=truths)


def _feed(sc: TrackingScorer, t: float, det: DetectionBatch) -> None:
    sc._fixable(t, det, det.truth_id >= 0)


def test_third_fix_needs_three_fixes_each_within_30_s_of_the_previous() -> None:
    sc = TrackingScorer(Frame(52.0, 23.0, 0.0), 2)
    # platform 0: plots at 0, 8, 70 (gap 62 s restarts the run), 80, 95 -> fixable at 8,
    # third fix at 95; platform 1: plots at 0, 10, 20 -> fixable 10, third fix 20
    for t, who in [(0.0, [0, 1]), (8.0, [0]), (10.0, [1]), (20.0, [1]), (70.0, [0]),
                   (80.0, [0]), (95.0, [0])]:
        _feed(sc, t, _plots(t, who))
    assert sc.fixable_t.tolist() == [8.0, 10.0]
    assert sc.third_fix_t.tolist() == [95.0, 20.0]
    # two plots in one step count as one fix
    sc2 = TrackingScorer(Frame(52.0, 23.0, 0.0), 1)
    for t in (0.0, 5.0):
        _feed(sc2, t, _plots(t, [0, 0], sensors=[0, 1]))
    assert np.isnan(sc2.third_fix_t[0])


def test_bearings_from_three_sensors_in_a_step_are_one_fix() -> None:
    sc = TrackingScorer(Frame(52.0, 23.0, 0.0), 1)
    for t in (0.0, 1.0, 2.0):
        _feed(sc, t, _plots(t, [0, 0, 0], MeasKind.BEARING, sensors=[3, 4, 5]))
    assert sc.fixable_t[0] == 0.0 and sc.third_fix_t[0] == 2.0
    # two bearing sensors do not fix it
    sc2 = TrackingScorer(Frame(52.0, 23.0, 0.0), 1)
    for t in (0.0, 1.0, 2.0):
        _feed(sc2, t, _plots(t, [0, 0], MeasKind.BEARING, sensors=[3, 4]))
    assert np.isnan(sc2.fixable_t[0]) and np.isnan(sc2.third_fix_t[0])


def test_an_rf_bearing_with_a_protocol_and_a_classified_acoustic_one_fix_an_emitter() -> None:
    """An emitter cross-fix (tracking/emitters.py): an RF bearing naming a link protocol and a
    node's classified bearing within 3 s of each other."""
    def brg(t: float, sensor: int, rf: int = -1, label: int = -1) -> DetectionBatch:
        return DetectionBatch.create(t=[t], sensor=[sensor], meas_kind=[int(MeasKind.BEARING)],
                                     z=[[0.0]], rf_protocol=[rf], class_label=[label],
                                     truth_id=[0])
    sc = TrackingScorer(Frame(52.0, 23.0, 0.0), 1)
    _feed(sc, 0.0, brg(0.0, 1, rf=0))
    assert np.isnan(sc.fixable_t[0])
    _feed(sc, 2.0, brg(2.0, 2, label=1))            # the node's bearing 2 s later
    assert sc.fixable_t[0] == 2.0
    # controls: 5 s apart, or an RF bearing without a protocol, fix nothing
    sc2 = TrackingScorer(Frame(52.0, 23.0, 0.0), 1)
    _feed(sc2, 0.0, brg(0.0, 1, rf=0))
    _feed(sc2, 5.0, brg(5.0, 2, label=1))
    _feed(sc2, 20.0, brg(20.0, 1, rf=-1))
    _feed(sc2, 21.0, brg(21.0, 2, label=1))
    assert np.isnan(sc2.fixable_t[0])
