"""Motion models of lost tracks (tracking/lost.py): a fast lost track flies on at its speed
instead of the IMM mixture's decaying one; a slow one spreads like a random walk around where
it was last seen (Ornstein-Uhlenbeck velocity) instead of far along its last heading."""

from __future__ import annotations

import numpy as np
import pytest
from trk_helpers import FRAME, xy_batch, xy_sensor

from dronewall.detections.batch import DetectionBatch
from dronewall.errors import ConfigurationError
from dronewall.tracking import Engine, TrackerConfig
from dronewall.tracking.lost import ou_transition
from dronewall.tracking.table import LOST


def test_ou_transition_matches_a_simulated_ornstein_uhlenbeck_target() -> None:
    tau, sd, T = 20.0, 10.0, 60.0
    F, Q = ou_transition(np.array([T]), tau, sd, 0.0, 2)
    x0 = np.array([100.0, -50.0, 5.0, -3.0])
    # Euler simulation of dv = -v/tau dt + sd sqrt(2/tau) dW, dp = v dt; 20000 paths
    rng = np.random.default_rng(7)
    h, n = 0.02, 20_000
    p = np.tile(x0[:2], (n, 1))
    v = np.tile(x0[2:], (n, 1))
    for _ in range(int(T / h)):
        p += v * h
        v += -v / tau * h + sd * np.sqrt(2.0 * h / tau) * rng.standard_normal((n, 2))
    sim = np.hstack([p, v])
    mean, cov = F[0] @ x0, Q[0]
    assert np.allclose(sim.mean(axis=0), mean, atol=0.05 * np.sqrt(np.diag(cov)).max())
    sim_cov = np.cov(sim.T)
    for i, j in ((0, 0), (2, 2), (0, 2), (1, 1), (3, 3), (1, 3)):
        assert sim_cov[i, j] == pytest.approx(cov[i, j], rel=0.06), (i, j)
    assert abs(sim_cov[0, 1]) < 0.05 * cov[0, 0]          # the axes are independent


def test_ou_transition_limits() -> None:
    tau, sd = 30.0, 12.0
    # short gaps: constant velocity
    F, Q = ou_transition(np.array([0.01]), tau, sd, 1.0, 3)
    assert F[0, 0, 3] == pytest.approx(0.01, rel=1e-3) and F[0, 3, 3] == pytest.approx(1, abs=1e-3)
    assert F[0, 2, 5] == pytest.approx(0.01)                # vertical: constant velocity
    # long gaps: a random walk, position variance ~ 2 sd^2 tau dt, velocity forgotten
    F, Q = ou_transition(np.array([3000.0]), tau, sd, 1.0, 3)
    assert Q[0, 0, 0] == pytest.approx(2 * sd ** 2 * tau * 3000.0, rel=0.05)
    assert F[0, 3, 3] < 1e-40 and F[0, 0, 3] == pytest.approx(tau)
    assert Q[0, 3, 3] == pytest.approx(sd ** 2)


def _cfg(**kw: float) -> TrackerConfig:
    base = dict(dims=2, coast_time_s=5.0, tentative_coast_time_s=5.0, lost_window_s=300.0,
                q_horizontal_m2ps3=5.0, imm=True, imm_turn_rate_dps=3.0)
    base.update(kw)
    return TrackerConfig(**base)  # type: ignore[arg-type]


def _run(cfg: TrackerConfig, schedule: dict[int, np.ndarray], t_end: int,
         watch: list[int] | None = None) -> tuple[Engine, dict[int, list[int]], dict[int, float]]:
    """1 s steps, one xy plot (20 m) at the scheduled times (the target: track 1) and one of
    a static object 70 km away from t = 5 s (track 2: its plots make the engine predict every
    step, as other targets do in a real picture). Returns the engine, the target's confirmed
    ids (track 2 left out) per step and, at the ``watch`` steps, track 1's horizontal speed
    (NaN if gone)."""
    eng = Engine(cfg, FRAME, xy_sensor())
    ids, speed = {}, {}
    far = np.array([50_000.0, 50_000.0])
    for t in range(t_end + 1):
        pts = ([schedule[t]] if t in schedule else []) + ([far] if t >= 5 else [])
        eng.step(float(t), xy_batch(float(t), np.array(pts), 20.0) if pts
                 else DetectionBatch.empty())
        ids[t] = [i for i in eng.snapshot(confirmed_only=True).ids.tolist() if i != 2]
        if watch and t in watch:
            T = eng.T
            r = np.flatnonzero(T.ids[: T.n] == 1)
            speed[t] = float(np.hypot(*T.x[r[0], 2:4])) if r.size else float("nan")
    return eng, ids, speed


def test_a_fast_lost_track_keeps_its_speed() -> None:
    v = np.array([45.0, 0.0])
    sched = {t: v * t for t in range(0, 41, 2)}
    watch = [100, 160]
    _, _, fast = _run(_cfg(lost_q_horizontal_m2ps3=3.0, lost_max_sd_m=20_000.0), sched, 160,
                      watch)
    assert all(fast[t] == pytest.approx(45.0, abs=2.0) for t in watch), fast
    # control: predicted by the IMM, the lost track's speed decays (turn models averaged)
    _, _, imm = _run(_cfg(lost_max_sd_m=20_000.0), sched, 160, watch)
    assert imm[160] < 40.0, imm


def test_a_wandering_slow_target_comes_back_under_its_id() -> None:
    # 10 m/s east for 30 s, unseen for 200 s in which it wanders; back 600 m north of where it
    # was last seen (a constant-velocity prediction puts it 2 km east, its sd past 1.5 km)
    v = np.array([10.0, 0.0])
    sched = {t: v * t for t in range(0, 31, 2)}
    back = v * 30 + np.array([0.0, 600.0])
    for t in range(230, 261, 2):
        sched[t] = back + np.array([0.0, 10.0]) * (t - 230)
    cfg = dict(lost_max_sd_m=1500.0, lost_q_horizontal_m2ps3=3.0)
    eng, ids, _ = _run(_cfg(lost_slow_tau_s=30.0, **cfg), sched, 260)
    assert ids[30] == [1] and ids[260] == [1]
    # control: predicted with constant velocity the lost track grows vaguer than 1.5 km and
    # is deleted during the gap; the target comes back as a new track
    _, ids0, _ = _run(_cfg(**cfg), sched, 260)
    assert ids0[30] == [1] and ids0[260] not in ([], [1])


def test_a_slow_lost_track_stays_where_it_was_last_seen() -> None:
    v = np.array([10.0, 0.0])
    sched = {t: v * t for t in range(0, 31, 2)}
    eng, _, _ = _run(_cfg(lost_slow_tau_s=30.0, lost_max_sd_m=1500.0), sched, 230)
    T = eng.T
    r = np.flatnonzero(T.ids[: T.n] == 1)
    assert r.size and T.status[r[0]] == LOST
    # drifted on by about tau x speed (300 m), not 200 s x 10 m/s
    assert np.linalg.norm(T.x[r[0], :2] - v * 30) < 450.0
    assert float(np.hypot(*T.x[r[0], 2:4])) < 1.0          # its heading forgotten


def test_lost_motion_settings_are_validated() -> None:
    for name in ("lost_q_horizontal_m2ps3", "lost_slow_tau_s"):
        with pytest.raises(ConfigurationError, match=name):
            TrackerConfig(**{name: -1.0})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="lost_slow_speed_sd_mps"):
        TrackerConfig(lost_slow_speed_sd_mps=0.0)
