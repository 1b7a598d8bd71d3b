"""No track state below the ground (``TrackerConfig.ground_floor_m``, ``tracking/ground.py``):
a low drone far from a radar, whose height only the radar's coarse elevation observes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from trk_helpers import FRAME, radar_z, sensors_at

from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind
from dronewall.errors import ConfigurationError, ScenarioError
from dronewall.pipeline.tracking import tracker_config_for
from dronewall.scenario import parse_scenario
from dronewall.tracking import Engine, TrackerConfig
from dronewall.tracking.ground import project_above

#: 1 deg elevation sd: at 40 km a 700 m height sd per plot.
R_RADAR = np.diag([15.0 ** 2, np.radians(0.3) ** 2, np.radians(1.0) ** 2, 1.0])
V = np.array([-45.0, 0.0, 0.0])
P0 = np.array([2_000.0, 40_000.0, 60.0])     # 60 m above the ellipsoid, 40 km out


def test_a_mean_below_the_floor_moves_onto_it_with_what_correlates() -> None:
    x = np.array([[-300.0, 5.0], [200.0, 1.0]])
    P = np.broadcast_to(np.array([[400.0 ** 2, 0.5 * 400 * 3], [0.5 * 400 * 3, 9.0]]),
                        (2, 2, 2))
    xn, act = project_above(x, P, np.array([[1.0, 0.0]] * 2), x[:, 0], np.zeros(2))
    assert act.tolist() == [True, False]        # a mean above the floor is left alone
    assert xn[0, 0] == pytest.approx(0.0, abs=1e-9)
    # the correlated component moves by its regression on the height: 0.5 * 3 / 400 per m
    assert xn[0, 1] == pytest.approx(5.0 + 300.0 * 0.5 * 3.0 / 400.0)
    assert np.array_equal(xn[1], x[1])


def _altitudes(floor: float, seed: int = 3) -> tuple[np.ndarray, int]:
    """Track heights (m, ellipsoidal) of one low drone flown for 120 s past a radar 40 km
    away, and the number of truncations reported."""
    st = sensors_at(np.array([[0.0, 0.0, 20.0]]), [SensorKind.RADAR])
    eng = Engine(dataclasses.replace(TrackerConfig(dims=3, imm=True, imm_turn_rate_dps=3.0),
                                     ground_floor_m=floor), FRAME, st)
    rng = np.random.default_rng(seed)
    L = np.linalg.cholesky(R_RADAR)
    alts, n_trunc = [], 0
    for k in range(120):
        p = P0 + V * k
        z = radar_z(st, 0, p, V) + L @ rng.standard_normal(4)
        res = eng.step(float(k), DetectionBatch.create(
            t=[float(k)], sensor=[0], meas_kind=[int(MeasKind.RADAR)], z=z[None],
            R=R_RADAR[None]))
        n_trunc += res.diagnostics.get("ground_constrained", 0)
        snap = eng.snapshot(confirmed_only=True)
        if snap.ids.size:
            alts.append(FRAME.local_to_geodetic(snap.x[:, :3])[2])
        # every IMM model's state too (the next step mixes from them, not from the output)
        n = eng.T.n
        alts.append(FRAME.local_to_geodetic(eng.T.xm[:n, :, :3].reshape(-1, 3))[2])
    return np.concatenate(alts), n_trunc


def test_a_low_far_drone_track_stays_above_the_floor() -> None:
    err_free, err_floor = [], []
    for seed in (0, 1, 3):
        free, n_free = _altitudes(-np.inf, seed)
        floored, n = _altitudes(0.0, seed)
        assert n_free == 0
        assert free.min() < -100.0              # the case the floor is for: without it ...
        assert n > 0
        assert floored.min() >= -1.0            # ... with it, never below the ground
        err_free.append(np.abs(free - 60.0).mean())
        err_floor.append(np.abs(floored - 60.0).mean())
    # and the height is a better estimate of the drone's 60 m, not just a feasible one
    assert np.mean(err_floor) < 0.9 * np.mean(err_free)


def test_the_floor_must_be_a_height_or_off() -> None:
    with pytest.raises(ConfigurationError, match="ground_floor_m"):
        TrackerConfig(ground_floor_m=float("nan"))
    with pytest.raises(ConfigurationError, match="ground_floor_m"):
        TrackerConfig(ground_floor_m=float("inf"))


def test_the_scenario_option_sets_the_floor_and_is_off_by_default() -> None:
    text = (Path(__file__).resolve().parents[2] / "scenarios"
            / "poland-2025-09-10.yaml").read_text()
    assert "tracking:" not in text
    assert tracker_config_for(parse_scenario(text)).ground_floor_m == -np.inf
    cfg = tracker_config_for(parse_scenario(text + "\ntracking: {ground_floor_m: 0}\n"))
    assert cfg.ground_floor_m == 0.0
    with pytest.raises(ScenarioError, match="ground_floor_m"):
        parse_scenario(text + "\ntracking: {ground_floor_m: -9000}\n")
