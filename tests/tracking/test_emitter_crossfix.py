"""Emitter cross-fixes (``tracking/emitters.py``): an RF bearing naming a link protocol and an
acoustic bearing of a matching signature class fix one emitter between them.

Unit tests of the pairing rules (features, hearing range, ambiguity), then the engine: a quiet
multirotor that one RF direction finder 10 km away and one acoustic node hear is tracked with
the rule on and not tracked without it (the three-bearing triangulation needs a third sensor).
"""

from __future__ import annotations

import numpy as np
import pytest
from trk_helpers import FRAME, bearing_az, sensors_at

from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind
from dronewall.errors import ConfigurationError
from dronewall.tracking import Engine, TrackerConfig
from dronewall.tracking.bearings import TriangulationParams
from dronewall.tracking.emitters import EmitterParams, crossfix, pair_levels

DJI, ANALOG = 0, 1           # RF protocol codes (catalog.RFProtocol)
ROTOR, PISTON = 1, 0         # acoustic class codes (catalog.AcousticClass)
SIGS = ((DJI, ROTOR, 88.0, 21.0),)  # a DJI quadcopter: 78 dB + 10 dB margin, 21 m/s
NAN = np.nan
RF_SD = np.radians(3.0)
AC_SD = np.radians(5.0)


def _plane_case(targets: list[tuple[float, float]], rf_proto: list[float],
                ac_label: float = ROTOR, rl_db: float = NAN
                ) -> tuple[np.ndarray, ...]:
    """Bearings in a plane: an RF detector at (0, 0) with one bearing per target, an acoustic
    node at (10 km, 0) with a bearing to the first target only."""
    q_rf, q_ac = np.array([0.0, 0.0]), np.array([10_000.0, 0.0])
    q, az, sd, sens, feat = [], [], [], [], []
    for (e, n), p in zip(targets, rf_proto, strict=True):
        q.append(q_rf)
        az.append(np.arctan2(e, n))
        sd.append(RF_SD)
        sens.append(0)
        feat.append([p, NAN, NAN])
    e, n = targets[0]
    q.append(q_ac)
    az.append(np.arctan2(e - q_ac[0], n - q_ac[1]))
    sd.append(AC_SD)
    sens.append(1)
    feat.append([NAN, ac_label, rl_db])
    return (np.array(q), np.array(az), np.array(sd), np.array(sens, np.int64),
            np.array(feat, dtype=float))


def _fix(case: tuple[np.ndarray, ...], sigs: tuple = SIGS) -> np.ndarray:
    q, az, sd, sens, feat = case
    res = crossfix(q, az, sd, sens, feat, np.ones(az.size, bool),
                   EmitterParams(signatures=sigs), TriangulationParams())
    return res.pos


TARGET = (10_300.0, 600.0)    # 670 m from the node, 10.3 km from the RF detector


def test_an_rf_bearing_and_a_matching_acoustic_bearing_fix_the_emitter() -> None:
    pos = _fix(_plane_case([TARGET], [DJI]))
    assert pos.shape == (1, 2)
    assert np.hypot(*(pos[0] - TARGET)) < 1.0          # exact bearings cross at the target


def test_features_that_do_not_belong_to_one_emitter_give_no_fix() -> None:
    assert _fix(_plane_case([TARGET], [ANALOG])).shape[0] == 0       # no such signature pair
    assert _fix(_plane_case([TARGET], [DJI], ac_label=PISTON)).shape[0] == 0
    assert _fix(_plane_case([TARGET], [NAN])).shape[0] == 0          # RF without protocol
    assert _fix(_plane_case([TARGET], [DJI]), sigs=()).shape[0] == 0  # off
    # control: the analogue-video signature known -> the same bearings fix it
    assert _fix(_plane_case([TARGET], [ANALOG]), sigs=((ANALOG, ROTOR, 92.0, 55.0),)).shape[0] == 1


def test_the_hearing_range_bounds_the_fix_along_the_acoustic_bearing() -> None:
    # a shallow crossing (RF bearing from 10 km, node 100 m from the target): +-1 km along the
    # node's bearing from the crossing alone; heard at 40 dB an 88 dB source is within 250 m,
    # which bounds it (the crossing's spread truncated to [0, 250 m]: sd < 80 m along it)
    case = _plane_case([(10_050.0, 87.0)], [DJI])
    q, az, sd, sens, feat = case
    res = crossfix(q, az, sd, sens, feat, np.ones(az.size, bool),
                   EmitterParams(signatures=SIGS, max_sd_m=5_000.0),
                   TriangulationParams(max_condition=1e6))
    along_free = np.sqrt(np.linalg.eigvalsh(res.cov[0])[1])
    feat[1, 2] = 40.0
    res = crossfix(q, az, sd, sens, feat, np.ones(az.size, bool),
                   EmitterParams(signatures=SIGS), TriangulationParams())
    along = np.sqrt(np.linalg.eigvalsh(res.cov[0])[1])
    assert along_free > 300.0 and along < 80.0, (along_free, along)
    assert np.hypot(*(res.pos[0] - q[1])) < 250.0


def test_a_crossing_beyond_the_nodes_hearing_range_is_rejected() -> None:
    # heard at 24 dB: a 88 dB source is within 10^((88 - 24) / 20) = 1.6 km -> kept (670 m)
    assert _fix(_plane_case([TARGET], [DJI], rl_db=24.0)).shape[0] == 1
    # heard at 50 dB: within 79 m of the node -> the crossing 670 m out is no such emitter
    assert _fix(_plane_case([TARGET], [DJI], rl_db=50.0)).shape[0] == 0


def test_two_same_protocol_emitters_near_one_node_are_ambiguous_and_give_no_fix() -> None:
    # a second DJI link 1.4 km out on the node's line of bearing: its RF bearing also crosses
    # the node's bearing -> either crossing could be the emitter, none is claimed
    second = (10_626.0, 1_252.0)
    assert _fix(_plane_case([TARGET, second], [DJI, DJI])).shape[0] == 0
    # control: the second link's crossing lies beyond what the node hears at 30 dB (0.8 km;
    # the true one is 670 m out, the other 1.4 km) -> the true pair is unique again
    pos = _fix(_plane_case([TARGET, second], [DJI, DJI], rl_db=30.0))
    assert pos.shape[0] == 1 and np.hypot(*(pos[0] - TARGET)) < 400.0
    # control: a second link of another protocol does not compete
    assert _fix(_plane_case([TARGET, second], [DJI, ANALOG])).shape[0] == 1


def test_two_rf_detectors_reporting_one_protocol_fix_it_without_a_signature_table() -> None:
    fa = np.array([[DJI, NAN, NAN], [DJI, NAN, NAN]])
    ok, _, _ = pair_levels(fa[:1], fa[1:], EmitterParams(signatures=SIGS))
    assert ok.all()
    fb = np.array([[ANALOG, NAN, NAN]])
    assert not pair_levels(fa[:1], fb, EmitterParams(signatures=SIGS))[0].any()


def test_bad_emitter_settings_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="window_s"):
        TrackerConfig(emitters=EmitterParams(signatures=SIGS, window_s=-1.0))
    with pytest.raises(ConfigurationError, match="signatures"):
        TrackerConfig(emitters=EmitterParams(signatures=((DJI, ROTOR, float("nan"), 21.0),)))
    with pytest.raises(ConfigurationError, match="top speed"):
        TrackerConfig(emitters=EmitterParams(signatures=((DJI, ROTOR, 88.0),)))


# ---- the engine --------------------------------------------------------------------------------

def _quad_run(emitters: EmitterParams, rf_proto: int = DJI, seconds: int = 240
              ) -> tuple[Engine, list[np.ndarray]]:
    """A DJI-like quadcopter circling 300 m around a point 600 m from an acoustic node and 10 km
    from an RF direction finder: RF bearings every 6 s, the node's every 2 s (with its received
    level for a 78 dB source). No radar, no third sensor."""
    st = sensors_at(np.array([[0.0, 0.0, 15.0], [10_000.0, 0.0, 2.0]]),
                    [SensorKind.RF, SensorKind.ACOUSTIC])
    eng = Engine(TrackerConfig(dims=3, emitters=emitters), FRAME, st)
    rng = np.random.default_rng(7)
    centre = np.array([10_300.0, 500.0, 150.0])
    truth = []
    for t in range(seconds):
        a = 2 * np.pi * t / 190.0              # 10 m/s on a 300 m circle
        p = centre + np.array([300.0 * np.cos(a), 300.0 * np.sin(a), 0.0])
        truth.append(p)
        rows = []
        if t % 6 == 0:
            rows.append((0, bearing_az(st, 0, p) + RF_SD * rng.normal(), RF_SD, rf_proto,
                         -1, NAN))
        if t % 2 == 1:
            r = float(np.linalg.norm(p - np.array([10_000.0, 0.0, 2.0])))
            rows.append((1, bearing_az(st, 1, p) + AC_SD * rng.normal(), AC_SD, -1, ROTOR,
                         78.0 - 20 * np.log10(r) + rng.normal()))
        if rows:
            k = len(rows)
            aux = np.full((k, 3), NAN)
            aux[:, 0] = [x[5] for x in rows]
            b = DetectionBatch.create(
                t=np.full(k, float(t)), sensor=np.array([x[0] for x in rows], np.int32),
                meas_kind=np.full(k, int(MeasKind.BEARING), np.int8),
                z=np.array([[x[1]] for x in rows]),
                R=np.array([[[x[2] ** 2]] for x in rows]),
                rf_protocol=np.array([x[3] for x in rows], np.int16),
                class_label=np.array([x[4] for x in rows], np.int16), aux=aux)
        else:
            b = DetectionBatch.empty()
        eng.step(float(t), b)
    return eng, truth


def test_a_quadcopter_heard_by_one_node_and_one_rf_detector_is_tracked() -> None:
    eng, truth = _quad_run(EmitterParams(signatures=SIGS))
    snap = eng.snapshot(confirmed_only=True)
    assert snap.ids.size == 1
    err = np.hypot(*(snap.x[0, :2] - truth[-1][:2]))
    assert err < 300.0, err
    # it carries the link protocol of its fixes (the classifier's RF evidence)
    assert snap.attr[0, 2] == DJI


def test_without_emitter_cross_fixes_the_same_quadcopter_is_not_tracked() -> None:
    eng, _ = _quad_run(EmitterParams())
    assert eng.snapshot(confirmed_only=True).ids.size == 0


def test_a_link_the_node_s_class_does_not_match_is_not_fixed() -> None:
    # analogue video with a rotor sound is a known signature elsewhere, not in this table
    eng, _ = _quad_run(EmitterParams(signatures=SIGS), rf_proto=ANALOG)
    assert eng.snapshot(confirmed_only=True).ids.size == 0


def test_an_emitter_fix_bounds_the_new_track_s_velocity_prior_by_the_platform_s_top_speed() -> None:
    p = EmitterParams(signatures=SIGS)
    assert p.velocity_sd(np.array([DJI, ANALOG, NAN]), 50.0).tolist() == [10.5, 50.0, 50.0]
    # a track started from a DJI cross-fix: horizontal velocity sd 10.5 m/s, not 50
    eng, _ = _quad_run(p, seconds=2)
    s = eng.snapshot()
    assert s.ids.size == 1
    sd_v = np.sqrt(np.diag(s.P[0, 3:5, 3:5]))
    assert np.all(sd_v < 12.0), sd_v


# ---- the buffer, far tracks, floods -------------------------------------------------------------

def _two_sensor_engine(emitters: EmitterParams) -> tuple[Engine, object]:
    st = sensors_at(np.array([[0.0, 0.0, 15.0], [10_000.0, 0.0, 2.0]]),
                    [SensorKind.RF, SensorKind.ACOUSTIC])
    return Engine(TrackerConfig(dims=3, emitters=emitters), FRAME, st), st


def _bearing(t: float, st: object, sensor: int, p: np.ndarray, rf: int = -1,
             label: int = -1, rl: float = NAN) -> DetectionBatch:
    aux = np.full((1, 3), NAN)
    aux[0, 0] = rl
    sd = RF_SD if sensor == 0 else AC_SD
    return DetectionBatch.create(t=[t], sensor=[sensor], meas_kind=[int(MeasKind.BEARING)],
                                 z=[[bearing_az(st, sensor, p)]], R=[[[sd ** 2]]],
                                 rf_protocol=[rf], class_label=[label], aux=aux)


def test_a_newer_bearing_of_the_same_node_supersedes_the_buffered_one() -> None:
    # the node hears the quadcopter at 0 s and 1 s, the RF bearing comes at 2 s: the 1 s
    # bearing replaced the 0 s one in the buffer, so the RF bearing has one partner -> a fix
    # (with both buffered it would have two: ambiguous, no fix)
    eng, st = _two_sensor_engine(EmitterParams(signatures=SIGS))
    p = np.array([10_300.0, 500.0, 150.0])
    fixes = 0
    for t, b in ((0.0, _bearing(0.0, st, 1, p, label=ROTOR, rl=25.0)),
                 (1.0, _bearing(1.0, st, 1, p + [5.0, 0, 0], label=ROTOR, rl=25.0)),
                 (2.0, _bearing(2.0, st, 0, p + [10.0, 0, 0], rf=DJI))):
        fixes += eng.step(t, b).diagnostics.get("emitter_fixes", 0)
    assert fixes == 1
    assert eng._emit_buf.t.size == 0           # both halves used, the superseded one dropped


def test_a_far_track_without_the_protocol_does_not_take_the_emitter_s_rf_bearing() -> None:
    # an aircraft reported by ADS-B flies 6-8 km from the RF detector, across the quadcopter's
    # RF bearing; it must neither explain that bearing away (no quadcopter track) nor take
    # the DJI protocol as its own
    st = sensors_at(np.array([[0.0, 0.0, 15.0], [10_000.0, 0.0, 2.0], [0.0, 0.0, 10.0]]),
                    [SensorKind.RF, SensorKind.ACOUSTIC, SensorKind.ADSB])
    eng = Engine(TrackerConfig(dims=3, emitters=EmitterParams(signatures=SIGS)), FRAME, st)
    quad = np.array([10_300.0, 500.0, 150.0])
    rng = np.random.default_rng(3)
    for t in range(120):
        plane = np.array([7_000.0, 340.0 - 400.0 + 7.0 * t, 1_000.0])  # crosses the RF line
        rows = [DetectionBatch.create(t=[float(t)], sensor=[2],
                                      meas_kind=[int(MeasKind.POSITION)],
                                      z=FRAME.from_local(plane[None]),
                                      R=np.eye(3)[None] * 20.0 ** 2, identity=["4b1801"])]
        if t % 6 == 0:
            b = _bearing(float(t), st, 0, quad, rf=DJI)
            b.z[0, 0] += RF_SD * rng.normal()
            rows.append(b)
        if t % 2 == 1:
            rows.append(_bearing(float(t), st, 1, quad, label=ROTOR, rl=25.0))
        eng.step(float(t), DetectionBatch.concat(rows))
    snap = eng.snapshot(confirmed_only=True)
    plane_row = np.flatnonzero(snap.identity == "4b1801")
    assert plane_row.size == 1 and np.isnan(snap.attr[plane_row[0], 2])
    quad_rows = np.flatnonzero(snap.attr[:, 2] == DJI)
    assert quad_rows.size == 1
    assert np.hypot(*(snap.x[quad_rows[0], :2] - quad[:2])) < 300.0


def test_a_flood_of_emitter_bearings_costs_bounded_time_and_memory(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # pairs grow as B^2: the cross-fix sees at most triangulation.max_bearings bearings
    import dronewall.tracking.emitter_fixes as ef
    seen: list[int] = []

    def counting(*a: object, **k: object) -> object:
        seen.append(int(np.asarray(a[1]).size))
        return crossfix(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(ef, "crossfix", counting)
    eng, st = _two_sensor_engine(EmitterParams(signatures=SIGS))
    rng = np.random.default_rng(5)
    for t in range(3):
        n = 3_000
        b = DetectionBatch.create(t=np.full(n, float(t)), sensor=np.zeros(n, np.int32),
                                  meas_kind=np.full(n, int(MeasKind.BEARING), np.int8),
                                  z=rng.uniform(-np.pi, np.pi, (n, 1)),
                                  R=np.full((n, 1, 1), RF_SD ** 2),
                                  rf_protocol=np.full(n, DJI, np.int16))
        eng.step(float(t), b)
    assert seen and max(seen) <= TriangulationParams().max_bearings
    assert eng._emit_buf.t.size <= EmitterParams().max_buffer
