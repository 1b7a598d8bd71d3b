"""Multi-sensor track management: horizontal-only bearing fixes, initiation exclusion, duplicate
merging, revisit-scaled coasting, weak bearing updates, far bearings explained by far tracks.

Each test has a control that shows the mechanism is what makes it pass (the mechanism switched
off, or the situation changed so that it must not act).
"""

from __future__ import annotations

import numpy as np
import pytest
from trk_helpers import FRAME, bearing_az, sensors_at, xy_batch, xy_sensor

from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind, SensorTable
from dronewall.errors import ConfigurationError
from dronewall.tracking import Engine, TrackerConfig

POS_SD_M = 20.0            # cooperative (ADS-B-like) position sd
BEARING_SD = np.radians(2.0)


def _pos_batch(t: float, p: np.ndarray, sensor: int = 0, sd: float = POS_SD_M,
               ident: str = "") -> DetectionBatch:
    p = np.atleast_2d(np.asarray(p, dtype=float))
    k = p.shape[0]
    return DetectionBatch.create(t=np.full(k, t), sensor=np.full(k, sensor, np.int32),
                                 meas_kind=np.full(k, int(MeasKind.POSITION), np.int8),
                                 z=FRAME.from_local(p), R=np.broadcast_to(np.eye(3) * sd ** 2,
                                                                          (k, 3, 3)),
                                 identity=np.full(k, ident, dtype=object))


def _bearing_batch(t: float, st: SensorTable, nodes: list[int], p: np.ndarray,
                   rng: np.random.Generator | None = None) -> DetectionBatch:
    z = [bearing_az(st, i, p) + (rng.normal() * BEARING_SD if rng is not None else 0.0)
         for i in nodes]
    k = len(nodes)
    return DetectionBatch.create(t=np.full(k, t), sensor=np.array(nodes, np.int32),
                                 meas_kind=np.full(k, int(MeasKind.BEARING), np.int8),
                                 z=np.array(z)[:, None], R=np.full((k, 1, 1), BEARING_SD ** 2))


def _concat(*b: DetectionBatch) -> DetectionBatch:
    return DetectionBatch.concat([x for x in b if len(x)])


def _xy_sensors(n: int) -> SensorTable:
    return SensorTable.build([f"xy{i}" for i in range(n)], [SensorKind.XY] * n, [0.0] * n,
                             [0.0] * n, [0.0] * n)


# ---- 1. a triangulated fix is a horizontal-only measurement -----------------------------------

def _high_target_with_far_nodes(cfg: TrackerConfig) -> tuple[Engine, list, np.ndarray]:
    """A jet at 10.5 km altitude, 140 km from the origin (the frame's z axis is tilted 1.3 deg
    from the local vertical there), tracked by ADS-B-like reports for 10 s; then only four
    acoustic nodes (a 6 km x 5 km square it crosses) hear it. With bearing_max_range_m =
    explain range = 1 km the bearings cannot update the track directly: they are triangulated
    into fixes."""
    base = np.array([140_000.0, 0.0, 0.0])
    nodes = base + np.array([[-3000.0, -2500.0, 0.0], [3000.0, -2500.0, 0.0],
                             [-3000.0, 2500.0, 0.0], [3000.0, 2500.0, 0.0]])
    up = FRAME.local_up(base[None])[0]
    nodes = nodes - np.outer(nodes @ up - base @ up, up)      # on the local horizontal
    st = SensorTable.build(
        ["adsb"] + [f"n{i}" for i in range(4)], [SensorKind.ADSB] + [SensorKind.ACOUSTIC] * 4,
        *FRAME.local_to_geodetic(np.vstack([base, nodes])))
    eng = Engine(cfg, FRAME, st)
    p0 = base + 10_500.0 * up - np.array([0.0, 3500.0, 0.0])    # crosses the square at k = 10-19
    v = np.array([0.0, 200.0, 0.0])
    return eng, [p0, v, st], up


def test_fix_updates_a_high_track_horizontally_instead_of_starting_a_ghost() -> None:
    cfg = TrackerConfig(dims=3, bearing_max_range_m=1000.0, bearing_explain_range_m=1000.0)
    eng, (p0, v, st), up = _high_target_with_far_nodes(cfg)
    for k in range(10):
        eng.step(float(k), _pos_batch(float(k), p0 + v * k))
    tid = eng.snapshot(confirmed_only=True).ids.tolist()
    assert len(tid) == 1
    fixes = 0
    for k in range(10, 20):
        p = p0 + v * k
        r = eng.step(float(k), _bearing_batch(float(k), st, [1, 2, 3, 4], p))
        fixes += r.diagnostics.get("fix_updates", 0)
        assert r.new.size == 0, (k, r.diagnostics)          # no ghost track at 100 m
        assert r.updated.tolist() == tid
    assert fixes == 10
    s = eng.snapshot()
    p = p0 + v * 19
    # height is kept (fixes say nothing about it); horizontal position follows the fixes
    assert abs((s.x[0, :3] - p) @ up) < 50.0
    horiz = (s.x[0, :3] - p) - ((s.x[0, :3] - p) @ up) * up
    assert np.linalg.norm(horiz) < 60.0


# ---- 2. initiation exclusion -----------------------------------------------------------------

def _biased_second_sensor(cfg: TrackerConfig, bias: float, same_sensor: bool = False,
                          n: int = 12) -> list:
    """Sensor 0 reports the target exactly every step; from step 4 a second report arrives
    `bias` m east of it (sensor 1, or sensor 0 itself when same_sensor)."""
    eng = Engine(cfg, FRAME, _xy_sensors(2))
    res = []
    for k in range(n):
        p = np.array([50.0 * k, 0.0])
        b = xy_batch(float(k), p, 30.0, sensor=0)
        if k >= 4:
            b = _concat(b, xy_batch(float(k), p + [bias, 0.0], 30.0, sensor=0 if same_sensor
                                    else 1))
        res.append(eng.step(float(k), b))
    return [eng, res]


def test_outlier_of_another_sensor_next_to_a_held_track_does_not_start_a_track() -> None:
    # 250 m = ~6 sigma of (track + report): outside the gate (4), inside the exclusion (8)
    eng, res = _biased_second_sensor(TrackerConfig(dims=2), 250.0)
    assert sum(r.diagnostics.get("init_excluded", 0) for r in res) == 8
    assert eng.snapshot().ids.size == 1
    # control 1: exclusion off -> the outliers start (and confirm) a second track
    eng, _ = _biased_second_sensor(TrackerConfig(dims=2, init_exclusion_mahalanobis=0.0), 250.0)
    assert eng.snapshot(confirmed_only=True).ids.size == 2
    # control 2: the *same* sensor reports both -> it sees two objects: a new track starts
    eng, _ = _biased_second_sensor(TrackerConfig(dims=2), 250.0, same_sensor=True)
    assert eng.snapshot(confirmed_only=True).ids.size == 2
    # control 3: far outside the exclusion region -> a new target
    eng, _ = _biased_second_sensor(TrackerConfig(dims=2), 2000.0)
    assert eng.snapshot(confirmed_only=True).ids.size == 2


# ---- 3. duplicate merging ---------------------------------------------------------------------

def _biased_duplicate(cfg: TrackerConfig, n: int = 60) -> tuple[Engine, list]:
    """One target, two sensors (sd 50 m). Sensor 1 has a registration bias: 400 m at first (its
    reports start their own track: exclusion off), shrinking to 150 m = 3 sd by step 40. With a
    high process noise (q = 200) the two tracks' covariances cover that offset: they become
    statistically indistinguishable while each keeps being fed by its own sensor."""
    eng = Engine(cfg, FRAME, _xy_sensors(2))
    rng = np.random.default_rng(1)
    res = []
    for k in range(n):
        p = np.array([40.0 * k, 10.0 * k])
        bias = 400.0 if k < 2 else max(150.0, 400.0 - 250.0 * (k - 2) / 38.0)
        b = _concat(xy_batch(float(k), p + rng.normal(size=2) * 50.0, 50.0, sensor=0),
                    xy_batch(float(k), p + [bias, 0.0] + rng.normal(size=2) * 50.0, 50.0,
                             sensor=1))
        res.append(eng.step(float(k), b))
    return eng, res


def test_indistinguishable_tracks_are_merged_into_the_older_id() -> None:
    cfg = TrackerConfig(dims=2, init_exclusion_mahalanobis=0.0, q_horizontal_m2ps3=200.0)
    eng, res = _biased_duplicate(cfg)
    merged = np.concatenate([r.merged for r in res])
    assert merged.tolist() == [[1, 2]]
    k = next(i for i, r in enumerate(res) if r.merged.size)
    assert 2 in res[k].deleted.tolist() and res[k].diagnostics["merged"] == 1
    # both were being updated up to the merge (not a starved track coasting out)
    assert sum(r.updated.tolist() == [1, 2] for r in res[k - 8: k]) >= 5
    assert eng.snapshot().ids.tolist() == [1]
    # control: merging off -> both tracks survive to the end
    eng, res = _biased_duplicate(
        TrackerConfig(dims=2, init_exclusion_mahalanobis=0.0, q_horizontal_m2ps3=200.0,
                      merge_gate_prob=0.0))
    assert eng.snapshot(confirmed_only=True).ids.tolist() == [1, 2]


def _coasting_onto_a_neighbour(fresher_s: float) -> tuple[Engine, list, list]:
    """Two targets 150 m apart flying east in parallel, one sensor (sd 20 m) reporting both
    (B from step 2: its track is the younger, id 2). A's reports stop at step 20: its track
    (id 1) coasts on beside B while B's own track keeps taking B's plots, until the two tracks
    are indistinguishable and merged."""
    cfg = TrackerConfig(dims=2, init_exclusion_mahalanobis=0.0, q_horizontal_m2ps3=20.0,
                        coast_time_s=20.0, merge_keep_fresher_s=fresher_s)
    eng = Engine(cfg, FRAME, xy_sensor())
    rng = np.random.default_rng(1)
    res, truth_b = [], []
    for k in range(40):
        pa, pb = np.array([40.0 * k, 150.0]), np.array([40.0 * k, 0.0])
        ps = ([pa + rng.normal(size=2) * 20.0] if k < 20 else []) + (
            [pb + rng.normal(size=2) * 20.0] if k >= 2 else [])
        res.append(eng.step(float(k), xy_batch(float(k), np.array(ps), 20.0)))
        truth_b.append(pb)
    return eng, res, truth_b


def test_a_merge_keeps_the_track_that_followed_the_target_not_the_one_that_coasted_onto_it(
        ) -> None:
    """Flagship raid: a flock's track coasting without plots drifted onto a drone whose own
    track was fed; the duplicate merge kept the older id -- the flock's, with its history and
    class evidence -- on the drone. With ``merge_keep_fresher_s`` the member located that much
    later than the older one keeps its id."""
    eng, res, pb = _coasting_onto_a_neighbour(5.0)
    (k,) = [i for i, r in enumerate(res) if r.merged.size]
    assert res[k].merged.tolist() == [[2, 1]]          # kept 2, dropped 1
    # up to the merge track 1 only coasted and track 2 took B's plots
    assert all(r.updated.tolist() == [2] for r in res[21:k])
    s = eng.snapshot(confirmed_only=True)
    assert s.ids.tolist() == [2]
    assert np.hypot(*(s.x[0, :2] - pb[-1])) < 100.0
    # its age is its own (B's first report, step 2), not the coasting track's: the track age
    # an engagement rule or a crossing's back-inference reads is the target's
    assert s.t_created[0] >= 2.0
    # controls: the older id kept when the option is off, or when the older track was
    # located too recently for the difference to say it coasted onto the other's target
    for fresher in (0.0, 30.0):
        eng, res, _ = _coasting_onto_a_neighbour(fresher)
        assert [r.merged.tolist() for r in res if r.merged.size] == [[[1, 2]]]
        assert eng.snapshot(confirmed_only=True).ids.tolist() == [1]
    with pytest.raises(ConfigurationError):
        TrackerConfig(dims=2, merge_keep_fresher_s=-1.0)


def test_close_targets_seen_apart_by_one_sensor_are_not_merged() -> None:
    """Two targets 80 m apart in parallel, one sensor (sd 20 m) resolving both every scan:
    their tracks are statistically close, but the sensor proves there are two objects."""
    cfg = TrackerConfig(dims=2, q_horizontal_m2ps3=1.0)
    eng = Engine(cfg, FRAME, _xy_sensors(1))
    rng = np.random.default_rng(4)
    for k in range(40):
        p = np.array([[40.0 * k, 0.0], [40.0 * k, 80.0]]) + rng.normal(size=(2, 2)) * 20.0
        r = eng.step(float(k), xy_batch(float(k), p, 20.0))
        assert r.merged.size == 0
    assert eng.snapshot(confirmed_only=True).ids.size == 2


def _second_sensor_offset(offset_m: float, merge_gate_prob: float = 0.99,
                          common: bool = True) -> list:
    """Sensor 0 reports a target moving at 40 m/s each second for 20 s; from 5 s sensor 1
    reports a point ``offset_m`` across its track (a biased sensor, or a second target the
    first sensor never sees). Both declare sd 20 m (errors 5 m). The gate (1.5 sd) is
    tighter than the merge test, so sensor 1's reports start a track of their own that the
    merge test cannot tell from the first, at least at first."""
    cfg = TrackerConfig(dims=2, gate_mahalanobis=1.5, init_exclusion_mahalanobis=0.0,
                        q_horizontal_m2ps3=50.0, merge_gate_prob=merge_gate_prob,
                        merge_common_noise=common)
    eng = Engine(cfg, FRAME, _xy_sensors(2))
    rng = np.random.default_rng(8)
    res = []
    for k in range(20):
        p = np.array([40.0 * k, 0.0])
        b = [xy_batch(float(k), p + rng.normal(size=2) * 5.0, 20.0, sensor=0)]
        if k >= 5:
            q = p + [0.0, offset_m]
            b.append(xy_batch(float(k), q + rng.normal(size=2) * 5.0, 20.0, sensor=1))
        res.append(eng.step(float(k), _concat(*b)))
    return res


def _confirmed_at(res: list, track_id: int) -> list[int]:
    return [k for k, r in enumerate(res) if track_id in r.confirmed.tolist()]


def test_a_new_track_indistinguishable_from_a_reported_one_is_held_not_reported() -> None:
    """(``merge_common_noise`` on) A track that passes confirmation while it fits a
    reported track (no sensor seeing the two apart) is held back and merged: the operator
    never sees its id. Sensor 1's bias restarts a track every few seconds; none is ever
    reported."""
    res = _second_sensor_offset(50.0)
    merged = np.concatenate([r.merged for r in res]).tolist()
    assert merged[0] == [1, 2] and len(merged) >= 2
    assert sorted({i for r in res for i in r.confirmed.tolist()}) == [1]
    # controls: with merging off the same reports give a second confirmed track; with the
    # default duplicate test it is reported, then merged
    assert _confirmed_at(_second_sensor_offset(50.0, merge_gate_prob=0.0), 2) == [6]
    res = _second_sensor_offset(50.0, common=False)
    assert _confirmed_at(res, 2) == [6]
    assert [1, 2] in np.concatenate([r.merged for r in res]).tolist()


def test_a_held_track_that_stands_apart_is_confirmed() -> None:
    """60 m across: held for a step while the merge test cannot tell the new track from the
    first, confirmed as soon as its estimate settles apart (one step later than with merging
    off), never merged."""
    res = _second_sensor_offset(60.0)
    assert not any(r.merged.size for r in res)
    assert _confirmed_at(res, 2) == [7]
    assert _confirmed_at(_second_sensor_offset(60.0, merge_gate_prob=0.0), 2) == [6]


def _pair_through_a_gap(gap_s: int, common: bool = True) -> list:
    """Two targets 300 m apart in parallel at 40 m/s, each reported (sd 20 m) by its own
    sensor -- no sensor ever sees both -- for 10 s, then a ``gap_s`` gap in which both
    tracks coast, then 10 s of reports again. A third sensor reports a target 20 km off
    every second (the engine has data to process at every step, as in any busy picture)."""
    cfg = TrackerConfig(dims=2, q_horizontal_m2ps3=50.0, coast_time_s=60.0,
                        merge_common_noise=common)
    eng = Engine(cfg, FRAME, _xy_sensors(3))
    rng = np.random.default_rng(9)
    res = []
    for k in range(20 + gap_s):
        b = [xy_batch(float(k), np.array([0.0, 20_000.0 + 40.0 * k]), 20.0, sensor=2)]
        if k < 10 or k >= 10 + gap_s:
            for i, y in enumerate((0.0, 300.0)):
                p = np.array([40.0 * k, y]) + rng.normal(size=2) * 20.0
                b.append(xy_batch(float(k), p, 20.0, sensor=i))
        res.append(eng.step(float(k), _concat(*b)))
    return res


def test_tracks_coasting_side_by_side_are_not_merged_for_their_grown_covariances() -> None:
    """Over a 20 s gap both tracks' covariances grow (sd ~370 m) until the merge test cannot
    tell 300 m apart; nothing in that time says they are one target, and after the gap each
    is updated by its own target's reports again: no merge, two ids to the end."""
    res = _pair_through_a_gap(20)
    assert not any(r.merged.size for r in res)
    assert sorted(set(res[-1].updated.tolist())) == [1, 2, 3]
    # controls: with the predicted covariances (the default) the coasting pair is merged;
    # without the gap the pair stays apart either way
    assert any(r.merged.size for r in _pair_through_a_gap(20, common=False))
    assert not any(r.merged.size for r in _pair_through_a_gap(0))


def _seen_apart_then_alternately(memory_s: float) -> tuple[Engine, list]:
    """Two targets 80 m apart in parallel, one sensor (sd 40 m): 10 scans seeing both, then
    30 scans seeing one of them per scan, alternately (a far radar's low Pd per target)."""
    cfg = TrackerConfig(dims=2, q_horizontal_m2ps3=1.0, merge_distinct_memory_s=memory_s)
    eng = Engine(cfg, FRAME, _xy_sensors(1))
    rng = np.random.default_rng(5)
    res = []
    for k in range(40):
        p = np.array([[40.0 * k, 0.0], [40.0 * k, 80.0]]) + rng.normal(size=(2, 2)) * 40.0
        if k >= 10:
            p = p[k % 2:k % 2 + 1]
        res.append(eng.step(float(k), xy_batch(float(k), p, 40.0)))
    return eng, res


def test_targets_once_seen_apart_stay_two_for_the_memory() -> None:
    eng, res = _seen_apart_then_alternately(60.0)
    assert not any(r.merged.size for r in res)
    assert eng.snapshot(confirmed_only=True).ids.tolist() == [1, 2]
    # control: only this step's evidence -> the alternately seen pair is merged (2 s after
    # the last scan that saw both, plus the 3 steps merge_steps asks)
    eng, res = _seen_apart_then_alternately(0.0)
    assert [k for k, r in enumerate(res) if r.merged.size] == [12]
    # ... and a 5 s memory holds them apart 5 s longer
    eng, res = _seen_apart_then_alternately(5.0)
    assert [k for k, r in enumerate(res) if r.merged.size] == [17]
    with pytest.raises(ConfigurationError, match="merge_distinct_memory_s"):
        TrackerConfig(merge_distinct_memory_s=-1.0)


# ---- 4. revisit-scaled coast ---------------------------------------------------------------

def _sparse_track(cfg: TrackerConfig, gap: int) -> bool:
    """Reports every 4 s for 20 s, then one `gap` s gap, then reports again. True if the first
    track id survives the gap."""
    eng = Engine(cfg, FRAME, _xy_sensors(1))
    times = [0, 4, 8, 12, 16, 20] + [20 + gap + 4 * i for i in range(3)]
    first = None
    for t in range(times[-1] + 1):
        b = xy_batch(float(t), [30.0 * t, 0.0], 30.0) if t in times else DetectionBatch.empty()
        eng.step(float(t), b)
        ids = eng.snapshot(confirmed_only=True).ids.tolist()
        if first is None and ids:
            first = ids[0]
    return first is not None and first in eng.snapshot(confirmed_only=True).ids.tolist()


def _coast_cfg(factor: float) -> TrackerConfig:
    return TrackerConfig(dims=2, coast_time_s=5.0, tentative_coast_time_s=5.0,
                         max_coast_time_s=30.0, coast_revisit_factor=factor)


def test_coast_scales_with_the_observed_revisit() -> None:
    # mean interval 4 s -> coast clip(3 x 4, 5, 30) = 12 s: an 8 s gap is bridged ...
    assert _sparse_track(_coast_cfg(3.0), 8)
    # ... a 20 s gap is not
    assert not _sparse_track(_coast_cfg(3.0), 20)
    # control: fixed 5 s coast
    assert not _sparse_track(_coast_cfg(0.0), 8)


# ---- 5. weak bearing updates / far bearings ------------------------------------------------

def _nodes_and_target() -> tuple[SensorTable, np.ndarray, np.ndarray]:
    nodes = np.array([[0.0, 0.0, 0.0], [2000.0, 0.0, 0.0], [0.0, 2000.0, 0.0],
                      [2000.0, 2000.0, 0.0]])
    st = sensors_at(np.vstack([[[1000.0, -3000.0, 0.0]], nodes]),
                    [SensorKind.ADSB] + [SensorKind.ACOUSTIC] * 4)
    return st, np.array([200.0, 300.0, 150.0]), np.array([15.0, 10.0, 0.0])


def _coast_on_bearings(n_nodes: int) -> bool:
    """Confirmed by position reports for 8 s, then only n_nodes acoustic bearings per second
    for 25 s (coast_time 10 s). True if the track is still alive."""
    st, p0, v = _nodes_and_target()
    eng = Engine(TrackerConfig(dims=3, coast_time_s=10.0), FRAME, st)
    rng = np.random.default_rng(2)
    for k in range(8):
        eng.step(float(k), _pos_batch(float(k), p0 + v * k))
    tid = eng.snapshot(confirmed_only=True).ids.tolist()
    assert len(tid) == 1
    for k in range(8, 33):
        eng.step(float(k), _bearing_batch(float(k), st, list(range(1, 1 + n_nodes)),
                                          p0 + v * k, rng))
    return tid[0] in eng.snapshot().ids.tolist()


def test_single_bearings_do_not_keep_a_track_alive_but_three_do() -> None:
    assert not _coast_on_bearings(1)
    assert not _coast_on_bearings(2)
    assert _coast_on_bearings(3)


def test_far_loud_target_explains_its_bearing_instead_of_pulling_a_near_track() -> None:
    """Node at the origin; a quiet track 1.5 km north (no acoustic signature); a jet 12 km
    north-north-east at 10 km altitude whose bearing from the node passes 190 m from the quiet
    track. Both are held by position reports; then the node reports the jet's bearing."""
    st = sensors_at(np.array([[0.0, 0.0, 0.0], [0.0, -5000.0, 0.0]]),
                    [SensorKind.ACOUSTIC, SensorKind.ADSB])

    def run(cfg: TrackerConfig) -> tuple[np.ndarray, int]:
        eng = Engine(cfg, FRAME, st)
        quiet = np.array([0.0, 1500.0, 100.0])
        jet = np.array([1500.0, 12000.0, 10_000.0])
        for k in range(6):
            eng.step(float(k), _concat(_pos_batch(float(k), quiet, sensor=1, ident="q"),
                                       _pos_batch(float(k), jet, sensor=1, ident="j")))
        before = eng.snapshot().x[:, :2].copy()
        r = eng.step(6.0, _bearing_batch(6.0, st, [0], jet))
        moved = np.linalg.norm(eng.snapshot().x[:, :2] - before, axis=1)
        return moved, r.diagnostics.get("bearings_explained_far", 0)

    moved, explained = run(TrackerConfig(dims=3, q_horizontal_m2ps3=0.01))
    assert explained == 1 and moved[0] < 1.0       # quiet track (id 1) untouched
    # control: without the explain range the jet is not a candidate and the quiet track takes
    # the bearing
    moved, explained = run(TrackerConfig(dims=3, q_horizontal_m2ps3=0.01,
                                         bearing_explain_range_m=5000.0))
    assert explained == 0 and moved[0] > 5.0
