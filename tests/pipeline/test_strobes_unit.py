"""Lines of bearing (``chain/strobes.py``): emitters heard but not located."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.catalog.platforms import AcousticClass, RFProtocol
from dronewall.chain.strobes import (
    KIND_ACOUSTIC,
    KIND_RF,
    StrobeBook,
    StrobeConfig,
    signature_name,
)
from dronewall.detections import DetectionBatch, MeasKind, SensorKind, SensorTable
from dronewall.geo import Frame

LAT, LON = 51.0, 23.0
DJI = int(RFProtocol.DJI_OCUSYNC)


def _table() -> SensorTable:
    return SensorTable.build(["rf-1", "node-1", "radar-1"],
                             [SensorKind.RF, SensorKind.ACOUSTIC, SensorKind.RADAR],
                             [LAT, LAT, LAT], [LON, LON + 0.01, LON], [10.0, 2.0, 20.0])


def _bearings(t: float, sensor: list[int], deg: list[float], rf: list[int] | None = None,
              label: list[int] | None = None, sd_deg: float = 2.0) -> DetectionBatch:
    m = len(sensor)
    return DetectionBatch.create(
        t=np.full(m, t), sensor=np.asarray(sensor, np.int32), meas_kind=MeasKind.BEARING,
        z=np.radians(np.asarray(deg, float))[:, None],
        R=np.full((m, 1, 1), np.radians(sd_deg) ** 2),
        rf_protocol=rf if rf is not None else [-1] * m,
        class_label=label if label is not None else [-1] * m)


def _frame_geometry(table: SensorTable) -> tuple[Frame, np.ndarray, np.ndarray]:
    fr = Frame(LAT, LON, 0.0)
    pos = np.asarray(fr.to_local(table.ecef.reshape(-1, 3))).reshape(-1, 3)
    rot = table.rot.reshape(-1, 3, 3) @ fr.rot.T
    return fr, pos, rot


def test_a_steady_emitter_becomes_one_strobe_shown_after_enough_bearings() -> None:
    book = StrobeBook(_table())
    rng = np.random.default_rng(1)
    for k in range(20):
        js, _ = book.step(float(k), _bearings(float(k), [0], [40.0 + rng.normal(0, 2.0)],
                                              rf=[DJI]))
        rec = book.record(float(k), js, None)
        assert len(rec) == 1 and js[0] == rec.id[0]
        assert rec.shown[0] == (k >= 1)          # RF: two bearings make a strobe
    assert rec.kind[0] == KIND_RF and rec.code[0] == DJI
    assert rec.signature(0) == "rf:dji_ocusync"
    assert abs(rec.bearing_deg[0] - 40.0) < 2.0
    assert 1.0 < rec.sd_deg[0] < 4.0             # spread of the bearings, never below 2 deg sd
    assert rec.n[0] == 20 and rec.t_first_s[0] == 0.0 and rec.t_last_s[0] == 19.0
    assert rec.reach_m[0] == 10_000.0            # the kind's default reach


def test_two_directions_and_two_signatures_are_separate_strobes() -> None:
    book = StrobeBook(_table())
    for k in range(5):
        t = float(k)
        det = _bearings(t, [0, 0, 0, 1], [40.0, 200.0, 41.0, 40.0],
                        rf=[DJI, DJI, int(RFProtocol.ANALOG_VIDEO_5G8), -1],
                        label=[-1, -1, -1, int(AcousticClass.PISTON_PROP)])
        js, _ = book.step(t, det)
    rec = book.record(4.0, js, None)
    assert len(rec) == 4
    assert sorted(rec.signature(i) for i in range(4)) == [
        "acoustic:piston_prop", "rf:analog_video_5g8", "rf:dji_ocusync", "rf:dji_ocusync"]
    dji = np.flatnonzero((rec.code == DJI) & (rec.kind == KIND_RF))
    assert sorted(np.round(rec.bearing_deg[dji])) == [40.0, 200.0]


def test_acoustic_strobes_need_three_bearings_and_a_stray_false_alarm_is_never_shown() -> None:
    book = StrobeBook(_table())
    lab = [int(AcousticClass.PISTON_PROP)]
    js, _ = book.step(0.0, _bearings(0.0, [1], [100.0], label=lab))
    js, _ = book.step(1.0, _bearings(1.0, [1], [101.0], label=lab))
    assert not book.record(1.0, js, None).shown.any()
    js, _ = book.step(2.0, _bearings(2.0, [1], [100.5], label=lab))
    assert book.record(2.0, js, None).shown.all()
    # a one-off bearing elsewhere: a strobe of one bearing, never shown, ended after hold_s
    js, _ = book.step(3.0, _bearings(3.0, [1], [300.0], label=lab))
    rec = book.record(3.0, js, None)
    stray = rec.id[np.abs(rec.bearing_deg - 300.0) < 1.0]
    assert stray.size == 1 and not rec.shown[rec.id == stray[0]].any()
    js, ended = book.step(40.0, DetectionBatch.empty())
    rec = book.record(40.0, js, ended)
    assert len(rec) == 0 and rec.ended is not None
    assert sorted(rec.ended.n.tolist()) == [1, 3]


def test_radar_plots_and_foreign_sensors_make_no_strobe() -> None:
    book = StrobeBook(_table())
    det = DetectionBatch.create(t=[0.0], sensor=np.array([2], np.int32),
                                meas_kind=MeasKind.RADAR, z=[[1000.0, 0.1, 0.01, np.nan]],
                                R=np.eye(4)[None] * 10.0)
    js, _ = book.step(0.0, det)
    assert js.tolist() == [-1] and len(book.record(0.0, js, None)) == 0


def test_a_moving_emitter_is_followed_and_the_old_direction_forgotten() -> None:
    book = StrobeBook(_table(), config=StrobeConfig(tau_s=10.0))
    for k in range(120):          # 0.5 deg/s sweep: a quadcopter crossing in front
        js, _ = book.step(float(k), _bearings(float(k), [0], [10.0 + 0.5 * k], rf=[DJI]))
    rec = book.record(119.0, js, None)
    assert len(rec) == 1                          # one strobe all along
    assert abs(rec.bearing_deg[0] - (10.0 + 0.5 * 119)) < 6.0


def test_a_strobe_is_explained_only_by_a_track_with_its_signature_on_its_line() -> None:
    table = _table()
    fr, spos, srot = _frame_geometry(table)
    book = StrobeBook(table)
    for k in range(3):
        js, _ = book.step(float(k), _bearings(float(k), [0], [90.0], rf=[DJI]))
    # a track 5 km due east of the RF finder (on the line) and one 5 km north (off it)
    east = spos[0] + 5000.0 * srot[0, 0]
    north = spos[0] + 5000.0 * srot[0, 1]
    pos = np.stack([east, north])
    nan = np.full(2, np.nan)
    # on the line but no link protocol (a bird, a one-way drone): not explained
    book.attribute(spos, srot, pos, np.full(2, 50.0), np.array([7, 8]), nan, nan)
    assert book.record(2.0, js, None).on_track.tolist() == [-1]
    # the same track carrying the DJI link: explained
    book.attribute(spos, srot, pos, np.full(2, 50.0), np.array([7, 8]),
                   np.array([float(DJI), float(DJI)]), nan)
    assert book.record(2.0, js, None).on_track.tolist() == [7]
    # a track classified as a multirotor (it makes DJI links) on the line: explained
    book.attribute(spos, srot, pos, np.full(2, 50.0), np.array([7, 8]), nan, nan,
                   np.array([4, -1]))
    assert book.record(2.0, js, None).on_track.tolist() == [7]
    # the other track off the line, even with the link: not explained
    book.attribute(spos, srot, pos, np.full(2, 50.0), np.array([7, 8]),
                   np.array([np.nan, float(DJI)]), nan)
    assert book.record(2.0, js, None).on_track.tolist() == [-1]


def test_acoustic_strobe_is_explained_by_a_track_of_its_class_or_none() -> None:
    table = _table()
    _, spos, srot = _frame_geometry(table)
    book = StrobeBook(table)
    lab = int(AcousticClass.PISTON_PROP)
    for k in range(3):
        js, _ = book.step(float(k), _bearings(float(k), [1], [0.0], label=[lab]))
    pos = (spos[1] + 2000.0 * srot[1, 1])[None]
    # within the node's reach any track on the line explains it (labels get confused)
    book.attribute(spos, srot, pos, np.array([30.0]), np.array([3]), np.array([np.nan]),
                   np.array([float(AcousticClass.JET)]))
    assert book.record(2.0, js, None).on_track.tolist() == [3]
    book.attribute(spos, srot, pos, np.array([30.0]), np.array([3]), np.array([np.nan]),
                   np.array([np.nan]))
    assert book.record(2.0, js, None).on_track.tolist() == [3]
    # 25 km out: beyond the explain range unless the track was heard with this class
    far = (spos[1] + 25_000.0 * srot[1, 1])[None]
    book.attribute(spos, srot, far, np.array([30.0]), np.array([3]), np.array([np.nan]),
                   np.array([np.nan]))
    assert book.record(2.0, js, None).on_track.tolist() == [-1]
    book.attribute(spos, srot, far, np.array([30.0]), np.array([3]), np.array([np.nan]),
                   np.array([float(AcousticClass.JET)]))
    assert book.record(2.0, js, None).on_track.tolist() == [-1]
    book.attribute(spos, srot, far, np.array([30.0]), np.array([3]), np.array([np.nan]),
                   np.array([float(lab)]))
    assert book.record(2.0, js, None).on_track.tolist() == [3]
    # no class carried, but the track is classified as a platform that makes this sound
    book.attribute(spos, srot, far, np.array([30.0]), np.array([3]), np.array([np.nan]),
                   np.array([np.nan]), np.array([1]))          # attack drone: piston engine
    assert book.record(2.0, js, None).on_track.tolist() == [3]
    book.attribute(spos, srot, far, np.array([30.0]), np.array([3]), np.array([np.nan]),
                   np.array([np.nan]), np.array([5]))          # bird
    assert book.record(2.0, js, None).on_track.tolist() == [-1]


def test_live_strobes_are_bounded() -> None:
    book = StrobeBook(_table(), config=StrobeConfig(max_live=5, min_gate_deg=0.5))
    det = _bearings(0.0, [0] * 20, list(np.arange(20) * 15.0), rf=[DJI] * 20, sd_deg=0.1)
    js, ended = book.step(0.0, det)
    rec = book.record(0.0, js, ended)
    assert len(rec) == 5 and book.n_shed == 15 and book.n_started == 20


def test_signature_names_and_bad_settings() -> None:
    assert signature_name(KIND_ACOUSTIC, -1) == "acoustic:unknown"
    assert signature_name(KIND_RF, 99) == "rf:unknown"
    with pytest.raises(ValueError, match="tau_s"):
        StrobeConfig(tau_s=0.0)
    with pytest.raises(ValueError, match="min_count_rf"):
        StrobeConfig(min_count_rf=0)
    with pytest.raises(ValueError, match="reach_m"):
        StrobeBook(_table(), reach_m=np.ones(2))


def test_a_track_on_the_latest_bearing_explains_a_strobe_whose_mean_lags() -> None:
    table = _table()
    _, spos, srot = _frame_geometry(table)
    book = StrobeBook(table, config=StrobeConfig(tau_s=300.0))
    bearings = [0.0] * 20 + [2.5, 3.5, 4.5]        # an emitter starting to sweep past
    for k, b in enumerate(bearings):
        js, _ = book.step(float(k), _bearings(float(k), [0], [b], rf=[DJI], sd_deg=1.5))
    rec = book.record(22.0, js, None)
    assert len(rec) == 1 and rec.bearing_deg[0] < 1.0            # the mean lags
    b = np.radians(8.0)
    pos = (spos[0] + 4000.0 * (np.sin(b) * srot[0, 0] + np.cos(b) * srot[0, 1]))[None]
    book.attribute(spos, srot, pos, np.array([20.0]), np.array([5]), np.array([float(DJI)]),
                   np.array([np.nan]))
    assert book.record(22.0, js, None).on_track.tolist() == [5]
    # well off both the mean and the latest bearing: not explained
    b = np.radians(20.0)
    pos = (spos[0] + 4000.0 * (np.sin(b) * srot[0, 0] + np.cos(b) * srot[0, 1]))[None]
    book.attribute(spos, srot, pos, np.array([20.0]), np.array([5]), np.array([float(DJI)]),
                   np.array([np.nan]))
    assert book.record(22.0, js, None).on_track.tolist() == [-1]


def test_an_rf_strobe_naming_no_protocol_is_explained_by_any_track_on_its_line_in_reach() -> None:
    table = _table()
    _, spos, srot = _frame_geometry(table)
    book = StrobeBook(table)
    for k in range(3):       # a SAPIENT RF node: a bearing with a class, no link protocol
        js, _ = book.step(float(k), _bearings(float(k), [0], [90.0]))
    assert book.record(2.0, js, None).signature(0) == "rf:unknown"
    near = (spos[0] + 5000.0 * srot[0, 0])[None]
    far = (spos[0] + 15_000.0 * srot[0, 0])[None]
    nan = np.array([np.nan])
    book.attribute(spos, srot, near, np.array([50.0]), np.array([4]), nan, nan)
    assert book.record(2.0, js, None).on_track.tolist() == [4]
    book.attribute(spos, srot, far, np.array([50.0]), np.array([4]), nan, nan)
    assert book.record(2.0, js, None).on_track.tolist() == [-1]     # beyond its 10 km reach


def test_codes_far_apart_never_share_a_strobe_and_malformed_rows_are_skipped() -> None:
    book = StrobeBook(_table())
    # an RF bearing whose (int16) protocol code once collided with an acoustic node's key
    book.step(0.0, _bearings(0.0, [0], [40.0], rf=[5119]))
    js, _ = book.step(0.5, _bearings(0.5, [1], [40.0], label=[-1]))
    rec = book.record(0.5, js, None)
    assert len(rec) == 2 and sorted(rec.kind.tolist()) == [KIND_RF, KIND_ACOUSTIC]
    # a row naming no sensor of the table, or with no finite time: skipped, not a crash
    bad = DetectionBatch.create(t=[1.0, np.nan], sensor=np.array([7, 0], np.int32),
                                meas_kind=MeasKind.BEARING, z=[[0.1], [0.2]],
                                R=np.full((2, 1, 1), 1e-3), rf_protocol=[DJI, DJI])
    js, _ = book.step(1.0, bad)
    assert js.tolist() == [-1, -1] and len(book.record(1.0, js, None)) == 2


def test_the_acoustic_explain_range_is_the_one_given() -> None:
    table = _table()
    _, spos, srot = _frame_geometry(table)
    lab = int(AcousticClass.PISTON_PROP)
    pos = (spos[1] + 15_000.0 * srot[1, 1])[None]        # 15 km north of the node
    on = {}
    for rng in (20_000.0, 10_000.0):
        book = StrobeBook(table, config=StrobeConfig(acoustic_explain_range_m=rng))
        for k in range(3):
            js, _ = book.step(float(k), _bearings(float(k), [1], [0.0], label=[lab]))
        book.attribute(spos, srot, pos, np.array([30.0]), np.array([3]), np.array([np.nan]),
                       np.array([float(AcousticClass.JET)]))
        on[rng] = book.record(2.0, js, None).on_track.tolist()
    assert on == {20_000.0: [3], 10_000.0: [-1]}


def test_attribution_in_blocks_gives_the_same_answer_with_bounded_work() -> None:
    """Many strobes against many tracks are attributed block by block (the strobes x tracks
    arrays stay bounded); the answer is that of one block."""
    n_rf = 40
    names = [f"rf-{i}" for i in range(n_rf)]
    table = SensorTable.build(names, [SensorKind.RF] * n_rf, [LAT + 0.01 * i for i in range(n_rf)],
                              [LON] * n_rf, [10.0] * n_rf)
    _, spos, srot = _frame_geometry(table)
    rng = np.random.default_rng(5)
    brg = rng.uniform(0, 360, n_rf)
    books = [StrobeBook(table), StrobeBook(table)]
    for b in books:
        for k in range(3):
            js, _ = b.step(float(k), _bearings(float(k), list(range(n_rf)), list(brg),
                                               rf=[DJI] * n_rf))
    # tracks: half on a finder's line at 3-8 km carrying the link, the rest scattered
    on = np.arange(0, n_rf, 2)
    u = np.stack([np.sin(np.radians(brg[on])), np.cos(np.radians(brg[on])), np.zeros(on.size)], 1)
    east_north_up = np.einsum("ki,kij->kj", u, srot[on])
    pos = np.concatenate([spos[on] + rng.uniform(3000, 8000, (on.size, 1)) * east_north_up,
                          rng.uniform(-30_000, 30_000, (300, 3)) * [1, 1, 0]])
    n = pos.shape[0]
    ids = np.arange(100, 100 + n)
    rf = np.r_[np.full(on.size, float(DJI)), np.full(300, np.nan)]
    books[1].block_elements = 2 * n       # two strobes per block
    outs = []
    for b in books:
        b.attribute(spos, srot, pos, np.full(n, 50.0), ids, rf, np.full(n, np.nan))
        outs.append(b.record(2.0, js, None).on_track)
    assert np.array_equal(outs[0], outs[1])
    assert (outs[0][on] == ids[:on.size]).all()      # each finder's line on its own track
    assert (outs[0] == -1).any()                       # and some lines no track explains
