"""The acoustic level gate (``tracking/acoustic_gate.py``): a bearing's received level and
signature class bound how far from the node what it heard can be, so a track at the wrong
range is no candidate for it. Each engine test has the gate-off control that shows the gate is
what decides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from trk_helpers import FRAME, bearing_az, sensors_at

from dronewall.catalog import AcousticClass
from dronewall.detections.acoustics import transmission_loss_db
from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind
from dronewall.errors import ConfigurationError, ScenarioError
from dronewall.pipeline.tracking import acoustic_levels, tracker_config_for
from dronewall.scenario import parse_scenario
from dronewall.tracking import Engine, TrackerConfig
from dronewall.tracking.acoustic_gate import AcousticLevels

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
JET, PISTON, ROTOR = int(AcousticClass.JET), int(AcousticClass.PISTON_PROP), int(
    AcousticClass.ELECTRIC_ROTOR)
LEVELS = AcousticLevels(levels=((PISTON, 92.0, 120.0), (ROTOR, 78.0, 82.0),
                                (JET, 140.0, 150.0)), margin_db=15.0)


def test_a_jet_heard_faintly_is_not_near_and_quiet_rotors_heard_loudly_are_not_far() -> None:
    rl_jet = 145.0 - float(transmission_loss_db(13_000.0))     # a jet 13 km away: ~35 dB
    ok = LEVELS.consistent(np.full(4, JET), np.full(4, rl_jet),
                           np.array([2_000.0, 13_000.0, 20_000.0, 40_000.0]))
    # at 2 km it would be a ~107 dB jet (33 dB under the quietest known): no; at 13 km yes;
    # at 20 km a ~163 dB jet, louder than any but within the margin: yes; at 40 km (with
    # 2 dB/km absorption) a ~209 dB one: no
    assert ok.tolist() == [False, True, True, False]
    rl_quad = 80.0 - float(transmission_loss_db(300.0))        # a quadcopter 300 m away
    ok = LEVELS.consistent(np.array([ROTOR, ROTOR]), np.full(2, rl_quad),
                           np.array([300.0, 8_000.0]))
    assert ok.tolist() == [True, False]


def test_the_margin_and_what_is_not_gated() -> None:
    rl = 100.0 - float(transmission_loss_db(1_000.0))          # a 100 dB piston at 1 km
    # a piston-class bearing: 92-120 dB +- margin. At 5 km it would be a ~117 dB source: in.
    assert LEVELS.consistent(np.array([PISTON]), np.array([rl]), np.array([5_000.0]))[0]
    # at 8 km a ~125 dB source: in with a 15 dB margin, out with none
    assert LEVELS.consistent(np.array([PISTON]), np.array([rl]), np.array([8_000.0]))[0]
    tight = AcousticLevels(levels=LEVELS.levels, margin_db=0.0)
    assert not tight.consistent(np.array([PISTON]), np.array([rl]), np.array([8_000.0]))[0]
    # no class, no level, a class not listed: never gated (and ``unknown=False`` says "no")
    cls = np.array([np.nan, PISTON, 7.0])
    lv = np.array([rl, np.nan, rl])
    far = np.full(3, 90_000.0)
    assert LEVELS.consistent(cls, lv, far).all()
    assert not LEVELS.consistent(cls, lv, far, unknown=False).any()
    # off: everything stands
    assert AcousticLevels().consistent(np.array([JET]), np.array([0.0]), np.array([1.0]))[0]


def test_the_catalogue_levels_and_their_checks() -> None:
    lv = {c: (lo, hi) for c, lo, hi in acoustic_levels()}
    assert lv[JET][0] >= 130.0 and lv[ROTOR][1] <= 90.0 and lv[PISTON][0] < lv[PISTON][1]
    with pytest.raises(ConfigurationError, match="quietest <= loudest"):
        TrackerConfig(acoustic_levels=AcousticLevels(levels=((JET, 150.0, 140.0),))).validate()
    with pytest.raises(ConfigurationError, match="margin_db"):
        TrackerConfig(acoustic_levels=AcousticLevels(levels=LEVELS.levels,
                                                     margin_db=float("nan"))).validate()


def _pos(t: float, p: np.ndarray, sensor: int, ident: str) -> DetectionBatch:
    return DetectionBatch.create(t=[t], sensor=np.array([sensor], np.int32),
                                 meas_kind=np.array([int(MeasKind.POSITION)], np.int8),
                                 z=FRAME.from_local(np.atleast_2d(p)),
                                 R=(np.eye(3) * 20.0 ** 2)[None], identity=np.array([ident],
                                                                                    object))


def _bearing(t: float, st, p: np.ndarray, cls: int, rl_db: float) -> DetectionBatch:
    aux = np.full((1, 3), np.nan)
    aux[0, 0] = rl_db
    sd = np.radians(2.0)
    return DetectionBatch.create(t=[t], sensor=np.array([0], np.int32),
                                 meas_kind=np.array([int(MeasKind.BEARING)], np.int8),
                                 z=[[bearing_az(st, 0, p)]], R=np.full((1, 1, 1), sd ** 2),
                                 class_label=np.array([cls]), aux=aux)


def _flock_and_a_bearing(cfg: TrackerConfig, cls: int, rl_db: float,
                         seed_cls: int | None = None) -> tuple[float, int, int]:
    """Node at the origin; a track 2 km north-east held by position reports (a flock). Then
    the node reports a bearing 0.3 deg off the track's direction, of class ``cls`` heard at
    ``rl_db``. With ``seed_cls``, the track first took a bearing of that class at a level
    that fits it. Returns how far the track moved (m), the bearing updates and the pairs the
    gate dropped."""
    st = sensors_at(np.array([[0.0, 0.0, 0.0], [0.0, -5000.0, 0.0]]),
                    [SensorKind.ACOUSTIC, SensorKind.ADSB])
    eng = Engine(cfg, FRAME, st)
    flock = np.array([1400.0, 1400.0, 150.0])
    for k in range(6):
        eng.step(float(k), _pos(float(k), flock, 1, "f"))
    if seed_cls is not None:
        rng = np.linalg.norm(flock)
        eng.step(6.0, DetectionBatch.concat([
            _pos(6.0, flock, 1, "f"),
            _bearing(6.0, st, flock, seed_cls, 100.0 - float(transmission_loss_db(rng)))]))
    before = eng.snapshot().x[0, :2].copy()
    off = np.array([1400.0 + 25.0, 1400.0 - 25.0, 150.0])       # ~1 deg off, inside the gate
    r = eng.step(7.0, _bearing(7.0, st, off, cls, rl_db))
    moved = float(np.linalg.norm(eng.snapshot().x[0, :2] - before))
    d = r.diagnostics
    return (moved, int(d.get("bearing_updates", 0)),
            int(d.get("bearing_pairs_level_gated", 0)))


def test_a_flock_near_the_node_does_not_take_a_far_jets_bearing() -> None:
    rl_jet = 145.0 - float(transmission_loss_db(13_000.0))
    on = TrackerConfig(dims=3, q_horizontal_m2ps3=0.01, bearing_max_range_m=5000.0,
                       bearing_explain_range_m=5000.0, acoustic_levels=LEVELS)
    moved, upd, gated = _flock_and_a_bearing(on, JET, rl_jet)
    assert gated == 1 and upd == 0 and moved < 0.5
    # control: the gate off, the flock's track takes the jet's bearing and is pulled by it
    off = TrackerConfig(dims=3, q_horizontal_m2ps3=0.01, bearing_max_range_m=5000.0,
                        bearing_explain_range_m=5000.0)
    moved, upd, gated = _flock_and_a_bearing(off, JET, rl_jet)
    assert gated == 0 and upd == 1 and moved > 1.0
    # a piston engine heard at a level that fits the track's range is its bearing, gate on
    rl_near = 100.0 - float(transmission_loss_db(2_000.0))
    moved, upd, gated = _flock_and_a_bearing(on, PISTON, rl_near)
    assert gated == 0 and upd == 1 and moved > 1.0


def test_a_track_keeps_its_own_bearing_that_the_node_called_the_wrong_class() -> None:
    """The track carries a piston engine's signature; the node then calls the next bearing
    of that engine a jet (a classifier error). The level fits a piston at the track's range,
    so the pair stands; a track with no signature of its own loses it."""
    on = TrackerConfig(dims=3, q_horizontal_m2ps3=0.01, bearing_max_range_m=5000.0,
                       bearing_explain_range_m=5000.0, acoustic_levels=LEVELS)
    rl = 100.0 - float(transmission_loss_db(2_000.0))
    moved, upd, gated = _flock_and_a_bearing(on, JET, rl, seed_cls=PISTON)
    assert gated == 0 and upd == 1 and moved > 1.0
    moved, upd, gated = _flock_and_a_bearing(on, JET, rl)
    assert gated == 1 and upd == 0 and moved < 0.5


def test_a_scenario_turns_the_gate_on() -> None:
    text = (SCENARIOS / "poland-2025-09-10.yaml").read_text()
    assert "tracking:" not in text
    assert not tracker_config_for(parse_scenario(text)).acoustic_levels.on   # off by default
    cfg = tracker_config_for(parse_scenario(text + "\ntracking: {acoustic_level_gate: true}\n"))
    assert cfg.acoustic_levels.on and cfg.acoustic_levels.levels == acoustic_levels()
    with pytest.raises(ScenarioError, match="acoustic_level_gate"):
        parse_scenario(text + "\ntracking: {acoustic_level_gate: maybe}\n")
