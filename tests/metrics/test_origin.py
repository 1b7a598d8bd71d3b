"""UpdateOrigins: the platform a track's recent detections came from."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.metrics.origin import MIXED, UpdateOrigins


def test_the_platform_of_most_of_the_last_true_detections_is_the_origin() -> None:
    u = UpdateOrigins(depth=5, min_count=2, share=0.6)
    u.add(np.array([[5, 1], [7, 2], [5, 1], [5, -1], [9, -1], [9, -1]]))
    # track 5: two detections of platform 1 (the false alarm is no origin); track 7: one
    # detection only; track 9: false alarms only; track 11: never updated
    assert u.origin(np.array([5, 7, 9, 11])).tolist() == [1, -1, -1, -1]
    u.add(np.array([[5, 3]] * 3))         # ring of track 5: 1 1 3 3 3
    assert u.origin(np.array([5])).tolist() == [3]
    u.add(np.array([[5, 4], [5, 4]]))     # 3 3 3 4 4 (oldest 1 1 overwritten)
    assert u.origin(np.array([5])).tolist() == [3]
    u.add(np.array([[5, 4]]))             # 3 3 4 4 4
    assert u.origin(np.array([5])).tolist() == [4]


def test_a_mix_is_no_origin() -> None:
    # a track fed by two drones flying together follows neither
    u = UpdateOrigins(depth=10, min_count=3, share=0.8)
    u.add(np.array([[1, 0]] * 7 + [[1, 2]] * 3))
    assert u.origin(np.array([1])).tolist() == [MIXED]
    # the track takes the second drone's detections: 8 of its last 10 -> it follows that one
    u.add(np.array([[1, 2]] * 5))
    assert u.origin(np.array([1])).tolist() == [2]


def test_many_rows_of_one_track_in_one_step_keep_its_last_ones() -> None:
    u = UpdateOrigins(depth=3, min_count=2, share=0.6)
    u.add(np.array([[1, 0]] * 4 + [[2, 5]] + [[1, 6]] * 2))
    assert u.origin(np.array([1, 2])).tolist() == [6, -1]


def test_forgotten_tracks_have_no_origin() -> None:
    u = UpdateOrigins(depth=5, min_count=2)
    u.add(np.array([[1, 0], [1, 0], [2, 3], [2, 3]]))
    u.forget(np.array([1]))
    assert len(u) == 1
    assert u.origin(np.array([1, 2])).tolist() == [-1, 3]


@pytest.mark.parametrize(("depth", "min_count", "share"),
                         [(0, 1, 0.8), (3, 0, 0.8), (3, 4, 0.8), (3, 2, 0.5), (3, 2, 1.1)])
def test_bad_settings_are_refused(depth: int, min_count: int, share: float) -> None:
    with pytest.raises(ValueError, match="depth"):
        UpdateOrigins(depth, min_count, share)
