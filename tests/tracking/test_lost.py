"""Lost tracks: unreported after their coast time, re-acquired under their own id, stitched,
never brought back by one clutter plot (TrackerConfig.lost_window_s and friends)."""

from __future__ import annotations

import numpy as np
import pytest
from trk_helpers import FRAME, xy_batch, xy_sensor

from dronewall.detections.batch import DetectionBatch
from dronewall.errors import ConfigurationError
from dronewall.tracking import Engine, TrackerConfig
from dronewall.tracking.table import LOST

V = np.array([30.0, 0.0])


def _cfg(**kw: float) -> TrackerConfig:
    base = dict(dims=2, coast_time_s=5.0, tentative_coast_time_s=5.0, lost_window_s=60.0,
                lost_max_sd_m=5000.0, q_horizontal_m2ps3=0.5)
    base.update(kw)
    return TrackerConfig(**base)  # type: ignore[arg-type]


def _run(cfg: TrackerConfig, schedule: dict[int, list[np.ndarray]], t_end: int
         ) -> tuple[Engine, list[tuple[int, list[int]]]]:
    """Step 1 s at a time; ``schedule`` t -> list of xy points reported at t. Returns the
    engine and the confirmed ids reported at every step."""
    eng = Engine(cfg, FRAME, xy_sensor())
    seen = []
    for t in range(t_end + 1):
        pts = schedule.get(t, [])
        b = xy_batch(float(t), np.array(pts), 20.0) if pts else DetectionBatch.empty()
        eng.step(float(t), b)
        seen.append((t, eng.snapshot(confirmed_only=True).ids.tolist()))
    return eng, seen


def _target(ts: list[int]) -> dict[int, list[np.ndarray]]:
    return {t: [V * t] for t in ts}


def test_a_gap_longer_than_the_coast_keeps_the_id() -> None:
    # plots every 2 s for 20 s, a 30 s gap (coast 5 s), plots again
    ts = list(range(0, 21, 2)) + list(range(50, 71, 2))
    eng, seen = _run(_cfg(), _target(ts), 70)
    during_gap = [ids for t, ids in seen if 27 <= t <= 49]
    assert all(ids == [] for ids in during_gap)          # not reported while lost
    assert seen[20][1] == seen[70][1] == [1]             # the same id before and after
    # control: without the lost state the target comes back under a new id
    _, seen0 = _run(_cfg(lost_window_s=0.0), _target(ts), 70)
    assert seen0[20][1] == [1] and seen0[70][1] not in ([], [1])


def test_one_clutter_plot_does_not_bring_a_lost_track_back() -> None:
    ts = list(range(0, 21, 2))
    sched = _target(ts)
    sched[35] = [V * 35 + np.array([50.0, 0.0])]        # one stray plot near the prediction
    eng, seen = _run(_cfg(), sched, 60)
    assert all(ids == [] for t, ids in seen if t >= 30)
    # two consistent plots do
    sched[37] = [V * 37 + np.array([50.0, 0.0])]
    _, seen2 = _run(_cfg(), sched, 60)
    assert seen2[37][1] == [1]


def test_lost_tracks_are_deleted_after_the_window() -> None:
    eng, _ = _run(_cfg(lost_window_s=20.0), _target(list(range(0, 21, 2))), 60)
    assert eng.snapshot().ids.size == 0


def test_a_new_track_on_a_lost_ones_path_is_stitched_into_it() -> None:
    # the target comes back at a slightly different speed: plots outside the lost track's gate
    # at first start a new tentative track; once confirmed, it is stitched into the lost one
    cfg = _cfg(q_horizontal_m2ps3=5.0, gate_mahalanobis=2.5, init_exclusion_mahalanobis=0.0)
    ts = list(range(0, 21, 2))
    sched = _target(ts)
    for t in range(45, 71, 2):
        sched[t] = [V * t + np.array([600.0, 0.0])]
    eng, seen = _run(cfg, sched, 70)
    assert seen[46][1] == [] and seen[70][1] == [1]      # a new tentative, then stitched
    # control: far off the lost track's path it stays a new track
    for t in range(45, 71, 2):
        sched[t] = [V * t + np.array([6000.0, 0.0])]
    _, seen2 = _run(cfg, sched, 70)
    assert seen2[70][1] not in ([], [1])


def test_a_vague_lost_track_takes_no_plots_but_a_clear_continuation_is_stitched() -> None:
    # q 5 m^2/s^3: 30 s after its last plot the lost track's sd is ~200 m, over a 100 m
    # re-association limit (lost_max_sd_m stays 5 km: it is kept for stitching)
    cfg = _cfg(q_horizontal_m2ps3=5.0, lost_reassoc_max_sd_m=100.0)
    ts = list(range(0, 21, 2))
    # one plot inside the lost track's wide gate (clutter, or another target)
    stray = _target(ts)
    stray[50] = [V * 50 + np.array([250.0, 0.0])]
    for c, taken in ((_cfg(q_horizontal_m2ps3=5.0), True), (cfg, False)):
        eng, _ = _run(c, stray, 50)
        T = eng.T
        row = int(np.flatnonzero(T.ids[: T.n] == 1)[0])
        assert bool(T.t_update[row] == 50.0) is taken    # control (no limit): taken
        assert bool(T.status[row] == LOST) is not taken
    # the target itself coming back: a new track at first, stitched into the lost one once
    # confirmed (position and velocity fit)
    _, seen = _run(cfg, _target(ts + list(range(50, 61, 2))), 60)
    assert seen[50][1] == [] and seen[60][1] == [1]


def test_an_ambiguous_continuation_is_not_stitched() -> None:
    # two targets 150 m apart on parallel paths; both lost; one comes back halfway between
    # their predictions: either could be its ancestor, so it gets a new id
    cfg = _cfg(q_horizontal_m2ps3=5.0, gate_mahalanobis=2.5, init_exclusion_mahalanobis=0.0)
    off = np.array([0.0, 150.0])
    ts = list(range(0, 21, 2))
    sched = {t: [V * t, V * t + off] for t in ts}
    for t in range(45, 71, 2):
        sched[t] = [V * t + np.array([600.0, 75.0])]
    _, seen = _run(cfg, sched, 70)
    assert seen[20][1] == [1, 2]
    assert seen[70][1] not in ([], [1], [2])
    # control: the same return next to one lost track alone is stitched into it
    solo = {t: [V * t] for t in ts}
    for t in range(45, 71, 2):
        solo[t] = [V * t + np.array([600.0, 75.0])]
    _, seen = _run(cfg, solo, 70)
    assert seen[70][1] == [1]


def test_a_neighbour_once_seen_apart_does_not_block_the_stitch(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # two targets 400 m apart on parallel paths, plotted together (one sensor, one scan: two
    # targets); A goes unseen for 25 s and comes back 600 m ahead, B is tracked throughout.
    # B's track fits A's wide lost prediction too, but it was seen beside A: it is no rival
    # explanation, and A's return is stitched into A's track
    from dronewall.tracking import management

    cfg = _cfg(q_horizontal_m2ps3=5.0, gate_mahalanobis=2.5, init_exclusion_mahalanobis=0.0)
    sched = {}
    for t in range(0, 71, 2):
        pts = [V * t + np.array([0.0, 400.0])]
        if t <= 20:
            pts.insert(0, V * t)
        elif t >= 45:
            pts.insert(0, V * t + np.array([600.0, 0.0]))
        sched[t] = pts
    eng, seen = _run(cfg, sched, 70)
    assert seen[20][1] == [1, 2] and seen[40][1] == [2]
    assert seen[70][1] == [1, 2]
    # the memory keeps live pairs only: a track merged into another (ids are never reused)
    # takes its pairs with it
    from dronewall.tracking.table import _StepAcc

    assert eng._apart_keys.tolist() == [(1 << 32) | 2]
    T = eng.T
    rows = {int(i): r for r, i in enumerate(T.ids[: T.n])}
    partner = np.arange(T.n)
    partner[rows[2]] = rows[1]
    eng._merge_rows(np.array([rows[2]]), partner, _StepAcc(T.n), {})
    assert T.ids[: T.n].tolist() == [1] and eng._apart_keys.size == 0
    # control: without the record of the two seen apart, B's track blocks it (a new id)
    monkeypatch.setattr(management, "APART_RADIUS_M", 0.0)
    _, seen = _run(cfg, sched, 70)
    assert seen[70][1] == [2, 3]


def test_a_stitched_track_keeps_the_new_tracks_revisit() -> None:
    # plots every 6 s, a long gap, plots every 2 s again: the revisit estimate after the
    # stitch is the new track's (~2 s), not the lost one's -- a longer revisit would keep the
    # track coasting, reported, for up to 2.5 x 6 s after its target went
    cfg = _cfg(q_horizontal_m2ps3=5.0, gate_mahalanobis=2.5, init_exclusion_mahalanobis=0.0,
               coast_revisit_factor=2.5, max_coast_time_s=40.0, lost_reassoc_max_sd_m=100.0)
    sched = _target(list(range(0, 37, 6)))
    for t in range(75, 96, 2):
        sched[t] = [V * t + np.array([600.0, 0.0])]
    eng, seen = _run(cfg, sched, 95)
    assert seen[95][1] == [1]
    T = eng.T
    row = int(np.flatnonzero(T.ids[: T.n] == 1)[0])
    assert T.revisit[row] < 3.0


def test_a_fast_targets_lost_track_is_kept_vaguer_than_a_slow_ones() -> None:
    # a target flies straight, is lost for ~25 s and comes back 600 m off its prediction:
    # stitched (same id) only while its lost track is still kept. lost_max_sd_m 150 m deletes
    # it during the gap; lost_fast_max_sd_m keeps it -- for a fast target only.
    def run(speed_mps: float, **kw: float) -> list[int]:
        cfg = _cfg(q_horizontal_m2ps3=5.0, gate_mahalanobis=2.5, init_exclusion_mahalanobis=0.0,
                   lost_reassoc_max_sd_m=100.0, **kw)
        v = np.array([speed_mps, 0.0])
        sched = {t: [v * t] for t in range(0, 21, 2)}
        for t in range(45, 71, 2):
            sched[t] = [v * t + np.array([600.0, 0.0])]
        return _run(cfg, sched, 70)[1][70][1]

    assert run(30.0, lost_max_sd_m=5000.0) == [1]                       # kept: stitched
    assert run(30.0, lost_max_sd_m=150.0) not in ([], [1])              # deleted: new id
    assert run(30.0, lost_max_sd_m=150.0, lost_fast_max_sd_m=5000.0) == [1]
    # a slow target (below lost_fast_speed_mps) keeps the ordinary limit
    assert run(8.0, lost_max_sd_m=5000.0) == [1]
    assert run(8.0, lost_max_sd_m=150.0, lost_fast_max_sd_m=5000.0) not in ([], [1])


def test_the_lost_track_limits_are_validated() -> None:
    with pytest.raises(ConfigurationError, match="lost_fast_max_sd_m"):
        _cfg(lost_fast_max_sd_m=-1.0)
    with pytest.raises(ConfigurationError, match="lost_fast_speed_mps"):
        _cfg(lost_fast_speed_mps=float("nan"))
    with pytest.raises(ConfigurationError, match="lost_reassoc_max_sd_m"):
        _cfg(lost_reassoc_max_sd_m=-1.0)
    with pytest.raises(ConfigurationError, match="lost_reassoc_max_sd_m"):
        _cfg(lost_reassoc_max_sd_m=float("nan"))


def test_clear_best_needs_a_margin_over_the_runner_up() -> None:
    from dronewall.tracking.association import clear_best

    key = np.array([0, 0, 1, 2, 2])
    score = np.array([-1.0, -3.0, -5.0, -2.0, -2.0])
    # key 0: ahead by 2 (clear at margin 1, not at 3); key 1: alone; key 2: a tie
    assert clear_best(key, score, 3, 1.0).tolist() == [True, False, True, False, False]
    assert clear_best(key, score, 3, 3.0).tolist() == [False, False, True, False, False]


def test_each_update_echoes_its_detections_truth_id() -> None:
    # two targets 2 km apart; the detections carry truth ids 7 and 9 (analysis only): every
    # update of a track is reported with the truth id of the detection that made it, and the
    # tracks are the same as without the ids (the engine never reads them)
    eng = Engine(_cfg(), FRAME, xy_sensor())
    plain = Engine(_cfg(), FRAME, xy_sensor())
    rows = []
    for t in range(8):
        pts = np.array([V * t, V * t + [0.0, 2000.0]])
        b = xy_batch(float(t), pts, 20.0)
        tagged = DetectionBatch.create(t=b.t, sensor=b.sensor, meas_kind=b.meas_kind, z=b.z,
                                       R=b.R, truth_id=np.array([7, 9], np.int32))
        r = eng.step(float(t), tagged)
        plain.step(float(t), b)
        rows.append(r.update_origin)
    got = np.concatenate(rows)
    assert got.shape[1] == 2 and got.shape[0] >= 12
    snap = eng.snapshot(confirmed_only=True)
    y = snap.x[:, 1]
    by_track = {int(i): set(got[got[:, 0] == i, 1].tolist()) for i in snap.ids}
    assert by_track[int(snap.ids[np.argmin(y)])] == {7}
    assert by_track[int(snap.ids[np.argmax(y)])] == {9}
    ref = plain.snapshot(confirmed_only=True)
    np.testing.assert_array_equal(snap.ids, ref.ids)
    np.testing.assert_array_equal(snap.x, ref.x)
    # without truth ids (a live feed) the echo is -1
    assert (np.concatenate([plain.step(8.0, xy_batch(8.0, V * 8, 20.0)).update_origin[:, 1]])
            == -1).all()


def test_a_lost_track_takes_only_close_plots_with_a_lost_gate() -> None:
    """A neighbour's plots 3.5 sigma off a lost track's prediction (inside the 4-sigma gate):
    with ``lost_gate_mahalanobis`` 3 they do not bring the lost track back onto the neighbour
    -- they start a track of their own -- and without it they do."""
    base = dict(q_horizontal_m2ps3=5.0)
    ts = list(range(0, 21, 2))
    probe = Engine(_cfg(**base), FRAME, xy_sensor())
    for t in range(35):
        b = xy_batch(float(t), np.array([V * t]), 20.0) if t in ts else DetectionBatch.empty()
        probe.step(float(t), b)
    probe._predict(35.0)                             # the prediction the plot at 35 s meets
    T = probe.T
    (row,) = np.flatnonzero(T.ids[: T.n] == 1)
    assert T.status[row] == LOST
    sy = float(np.sqrt(T.P[row, 1, 1] + 20.0 ** 2))
    off = np.array([0.0, 3.5 * sy])                 # 3.5 sigma across the track
    sched = _target(ts)
    for t in (35, 37, 39, 41, 43):
        sched[t] = [T.x[row, :2] + V * (t - 35) + off]
    _, seen = _run(_cfg(**base), sched, 43)
    assert seen[43][1] == [1]                        # the lost track took the neighbour
    _, seen = _run(_cfg(**base, lost_gate_mahalanobis=3.0), sched, 43)
    assert 1 not in seen[43][1] and seen[43][1] != []  # a new track on the neighbour
    with pytest.raises(ConfigurationError, match="lost_gate_mahalanobis"):
        _cfg(lost_gate_mahalanobis=5.0)
