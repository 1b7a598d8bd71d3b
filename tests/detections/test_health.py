"""Sensor liveness (``detections/health.py``): silence counts only from sensors listening."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.detections.health import SensorHealth, StatusReports


def test_status_makes_a_sensor_listen_until_its_reports_go_stale() -> None:
    h = SensorHealth(3, stale_after_s=30.0)
    # nothing heard yet: every monitored sensor is down (no silence read from it)
    assert not h.listening(0.0).any()
    h.status(1.0, StatusReports.of([0, 1], True))
    assert h.listening(1.0).tolist() == [True, True, False]
    # row 0 keeps reporting, row 1 falls silent: down once 30 s have passed without a report
    h.status(25.0, StatusReports.of([0], True))
    assert h.listening(31.0).tolist() == [True, True, False]
    assert h.listening(31.5).tolist() == [True, False, False]
    assert h.listening(55.0).tolist() == [True, False, False]
    assert h.listening(55.5).tolist() == [False, False, False]


def test_a_stop_status_is_down_at_once_and_detections_do_not_undo_it() -> None:
    h = SensorHealth(2, stale_after_s=30.0)
    h.status(0.0, StatusReports.of([0, 1], True))
    h.listening(0.0)
    h.status(5.0, StatusReports.of([0], False))        # ERROR / GOODBYE
    assert h.listening(5.0).tolist() == [False, True]
    h.alive([0, 1], [6.0, 6.0])                          # a stopped sensor's stray report
    assert h.listening(6.0).tolist() == [False, True]
    h.status(20.0, StatusReports.of([0], True))          # back
    assert h.listening(20.0).tolist() == [True, True]    # row 1 alive by its detection at 6 s


def test_detections_are_signs_of_life() -> None:
    h = SensorHealth(2, stale_after_s=10.0)
    h.alive(np.array([1, 1]), np.array([3.0, 4.0]))
    assert h.listening(4.0).tolist() == [False, True]
    assert h.listening(14.5).tolist() == [False, False]


def test_unmonitored_rows_are_taken_as_listening() -> None:
    h = SensorHealth(3, stale_after_s=10.0, monitored=[True, False, True])
    assert h.listening(100.0).tolist() == [False, True, False]


def test_changes_are_recorded_with_their_reason() -> None:
    h = SensorHealth(3, stale_after_s=10.0)
    h.status(0.0, StatusReports.of([0, 1], True))
    h.listening(0.0)                                     # baseline: row 2 never reported
    h.status(5.0, StatusReports.of([0], False))
    h.listening(5.0)
    h.listening(12.0)                                    # row 1 stale
    h.status(20.0, StatusReports.of([1], True))
    h.listening(20.0)
    got = [(r, t, up, why) for r, t, up, why in h.changes]
    assert got == [(2, 0.0, False, "no status or report yet"),
                   (0, 5.0, False, "stopped (status)"),
                   (1, 12.0, False, "no status or report for 10 s"),
                   (1, 20.0, True, "status or report")]
    assert h.down_rows().tolist() == [0, 2]


def test_bad_settings_and_rows_out_of_range() -> None:
    with pytest.raises(ValueError, match="stale_after_s"):
        SensorHealth(2, stale_after_s=0.0)
    with pytest.raises(ValueError, match="monitored"):
        SensorHealth(2, monitored=[True])
    h = SensorHealth(2)
    h.status(0.0, StatusReports.of([5, -1, 1], True))   # rows not in the table: ignored
    h.alive([7], [0.0])
    assert h.listening(0.0).tolist() == [False, True]


def test_recorded_health_replays_the_recorded_changes_only() -> None:
    from dronewall.detections.health import RecordedHealth

    h = RecordedHealth(3, [(10.0, [1, 2], False, "no status or report for 30 s"),
                           (0.0, [0], False, "no status or report yet"),
                           (25.0, [1], True, "status or report")])
    assert h.listening(-1.0).tolist() == [True, True, True]     # before any change
    assert h.listening(0.0).tolist() == [False, True, True]
    h.status(5.0, StatusReports.of([0], True))                   # the live run's, not ours
    h.alive([0], [5.0])
    assert h.listening(9.0).tolist() == [False, True, True]
    assert h.listening(10.0).tolist() == [False, False, False]
    assert h.listening(500.0).tolist() == [False, True, False]   # never stale
    assert [(r, t, up) for r, t, up, _ in h.changes] == [
        (0, 0.0, False), (1, 10.0, False), (2, 10.0, False), (1, 25.0, True)]


def test_the_record_of_changes_is_bounded_and_read_by_count(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from dronewall.detections import health as H

    monkeypatch.setattr(H, "MAX_CHANGES", 4)
    h = H.SensorHealth(1, stale_after_s=1.0)
    h.listening(0.0)                                    # down from the start: change 1
    for k in range(5):                                  # up and down again: 10 more
        h.status(10.0 * k + 1, StatusReports.of([0], True))
        h.listening(10.0 * k + 1)
        h.listening(10.0 * k + 5)
    assert h.n_changes == 11 and len(h.changes) == 4    # the newest four kept
    assert [t for _, t, _, _ in h.changes_since(9)] == [41.0, 45.0]
    assert len(h.changes_since(0)) == 4 and h.changes_since(11) == []
