"""Track score (SPRT) for radar initiation: a sparse long-range target confirms on a few
consistent plots that M-of-N cannot pair, false alarms at the configured density do not, and
a wide tentative gate does not soak up a target's plots (TrackerConfig.score_*)."""

from __future__ import annotations

import numpy as np
import pytest
from trk_helpers import FRAME, radar_z, sensors_at

from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind
from dronewall.errors import ConfigurationError
from dronewall.geo.frames import geodetic_to_ecef
from dronewall.tracking import Engine, TrackerConfig
from dronewall.tracking.table import LOST

R_MAX_M, H_FA_M, FA_PER_SCAN, SCAN_S = 100_000.0, 3_000.0, 2.0, 2.0
#: false alarms per scan per m^3 of the radar's coverage (the slab below H_FA_M)
DENSITY = FA_PER_SCAN / (np.pi * R_MAX_M ** 2 * H_FA_M)
SIG = np.array([50.0, np.radians(0.3), np.radians(0.3), 1.0])   # range m, az, el rad, rr m/s
ST = sensors_at(np.array([[0.0, 0.0, 30.0]]), [SensorKind.RADAR])


def _cfg(density: float) -> TrackerConfig:
    return TrackerConfig(dims=3, coast_time_s=10.0, tentative_coast_time_s=3.0, imm=True,
                         imm_turn_rate_dps=3.0, score_false_alarm_density_m3=density)


def _target(t: float) -> tuple[np.ndarray, np.ndarray]:
    """A decoy 80 km out at 300 m, flying 40 m/s across the radar's line of sight."""
    v = np.array([40.0, 0.0, 0.0])
    return np.array([-20_000.0, 80_000.0, 300.0]) + v * t, v


def _clutter(rng: np.random.Generator) -> np.ndarray:
    """Poisson(FA_PER_SCAN) false alarms uniform in the coverage: (k, 4) range, az, el, rr."""
    k = int(rng.poisson(FA_PER_SCAN))
    r = np.sqrt(rng.uniform(500.0 ** 2, R_MAX_M ** 2, k))
    az = rng.uniform(-np.pi, np.pi, k)
    el = rng.uniform(0.0, np.arcsin(np.minimum(1.0, H_FA_M / r)))
    rr = rng.uniform(-40.0, 40.0, k)
    return np.column_stack([r, az, el, rr])


def _run(cfg: TrackerConfig, plot_times: set[int], t_end: int, seed: int,
         clutter: bool) -> tuple[dict[int, np.ndarray], Engine]:
    """Scan every SCAN_S s (target plots at ``plot_times``); confirmed positions per scan."""
    rng = np.random.default_rng(seed)
    eng = Engine(cfg, FRAME, ST)
    out = {}
    for t in range(0, t_end + 1, int(SCAN_S)):
        zs = [_clutter(rng)] if clutter else []
        if t in plot_times:
            p, v = _target(float(t))
            zs.append((radar_z(ST, 0, p, v) + rng.normal(size=4) * SIG)[None, :])
        z = np.concatenate(zs) if zs else np.zeros((0, 4))
        b = DetectionBatch.create(t=np.full(len(z), float(t)), sensor=np.zeros(len(z), np.int32),
                                  meas_kind=np.full(len(z), int(MeasKind.RADAR), np.int8), z=z,
                                  R=np.broadcast_to(np.diag(SIG ** 2), (len(z), 4, 4)))
        eng.step(float(t), b)
        out[t] = eng.snapshot(confirmed_only=True).x[:, :3].copy()
    return out, eng


def _on_target(picture: dict[int, np.ndarray], t: int) -> bool:
    p, _ = _target(float(t))
    pos = picture[t]
    return bool(pos.size) and float(np.min(np.linalg.norm(pos[:, :2] - p[:2], axis=1))) < 1500.0


#: plots of a low-Pd target: never two within the 3 s M-of-N window
SPARSE = {0, 14, 30, 44, 62, 80}


def test_sparse_target_confirms_on_the_score_and_not_by_m_of_n() -> None:
    for seed in (1, 2, 3):
        on, _ = _run(_cfg(DENSITY), SPARSE, 90, seed, clutter=True)
        first = min((t for t in on if _on_target(on, t)), default=None)
        assert first is not None and first <= 44, (seed, first)   # third plot at the latest
        off, _ = _run(_cfg(0.0), SPARSE, 90, seed, clutter=True)
        assert not any(_on_target(off, t) for t in off), seed    # M-of-N: never confirmed


def test_the_score_weighs_the_false_alarm_density() -> None:
    # the same plots among 100x denser false alarms need more of them; far denser, never enough
    def first(density: float) -> int | None:
        pic, _ = _run(_cfg(density), SPARSE, 90, 1, clutter=False)
        return min((t for t in pic if _on_target(pic, t)), default=None)

    nominal, dense = first(DENSITY), first(DENSITY * 100.0)
    assert nominal is not None and dense is not None and dense > nominal
    assert first(DENSITY * 1e6) is None


def test_false_alarms_alone_confirm_no_track() -> None:
    for seed in (4, 5):
        pic, eng = _run(_cfg(DENSITY), set(), 1200, seed, clutter=True)
        assert max(len(p) for p in pic.values()) == 0, seed
        assert eng.T.n > 0          # scored tentative tracks were alive: the score decided


def test_m_of_n_on_radar_plots_alone_needs_the_minimum_score(monkeypatch) -> None:
    """Among 30x denser false alarms two of them on consecutive scans often fall in each
    other's gate: M-of-N alone confirms such pairs as tracks, with score_mofn_min (default 10)
    none; a real target's two consecutive plots 80 km out still confirm at once."""
    from dataclasses import replace

    import test_track_score as mod

    def false_track_scans(mofn_min: float) -> int:
        cfg = replace(_cfg(DENSITY * 30.0), score_mofn_min=mofn_min)
        monkeypatch.setattr(mod, "FA_PER_SCAN", FA_PER_SCAN * 30.0)
        out = sum(len(p) for p in _run(cfg, set(), 400, 4, clutter=True)[0].values())
        monkeypatch.undo()
        return out

    assert false_track_scans(-np.inf) > 30
    assert false_track_scans(10.0) == 0
    pair, _ = _run(_cfg(DENSITY), {0, 2}, 20, 1, clutter=False)
    assert _on_target(pair, 2)


def test_positions_from_a_radar_node_confirm_by_m_of_n_with_the_score_on() -> None:
    """A radar that reports positions (a SAPIENT radar node's locations), not range/az/el
    plots, is outside the score's measurement space: its tracks are not scored and confirm by
    M-of-N, not held back by the minimum score."""
    eng = Engine(_cfg(DENSITY), FRAME, ST)
    for k in range(3):
        p = geodetic_to_ecef(*FRAME.local_to_geodetic(
            np.array([[1_000.0 + 40.0 * k, 20_000.0, 300.0]])))            # ECEF, m
        b = DetectionBatch.create(t=np.array([2.0 * k]), sensor=np.zeros(1, np.int32),
                                  meas_kind=np.full(1, int(MeasKind.POSITION), np.int8), z=p,
                                  R=np.diag([30.0 ** 2] * 3)[None])
        eng.step(2.0 * k, b)
    assert eng.snapshot(confirmed_only=True).ids.size == 1


def test_score_settings_are_validated() -> None:
    with pytest.raises(ConfigurationError, match="score_pd"):
        TrackerConfig(score_pd=0.0)
    with pytest.raises(ConfigurationError, match="score_false_alarm_density_m3"):
        TrackerConfig(score_false_alarm_density_m3=-1.0)
    with pytest.raises(ConfigurationError, match="score_confirm"):
        TrackerConfig(score_confirm=float("nan"))
    with pytest.raises(ConfigurationError, match="score_mofn_min"):
        TrackerConfig(score_mofn_min=float("nan"))


def test_scenario_switches_the_score_on_with_its_radars_false_alarm_density() -> None:
    from pathlib import Path

    from dronewall.pipeline.tracking import radar_false_alarm_density_m3, tracker_config_for
    from dronewall.scenario.load import load_scenario

    sc = load_scenario(Path(__file__).parents[2] / "scenarios" / "eastern-poland-raid.yaml")
    assert sc.tracking.track_score                                          # on by default
    # the densest radar: radar-lublin, 2 false alarms per scan over 200 m - 60 km, 0-3 km high
    expect = 2.0 / (np.pi * (60_000.0 ** 2 - 200.0 ** 2) * 3_000.0)
    assert radar_false_alarm_density_m3(sc) == pytest.approx(expect, rel=1e-9)
    assert tracker_config_for(sc).score_false_alarm_density_m3 == pytest.approx(expect)
    off = sc.model_copy(update={"tracking": sc.tracking.model_copy(update={"track_score": False})})
    assert tracker_config_for(off).score_false_alarm_density_m3 == 0.0     # M-of-N alone


def test_a_track_the_score_confirmed_is_kept_lost_through_a_gap() -> None:
    """Each of SPARSE's plots comes after the M-of-N window, so the hit count restarts at
    every plot: the track is confirmed by its score with one "hit" and has a few more by the
    end (fewer than lost_min_hits, 5 here). Its support is the score, so when its coast time
    runs out it is kept as lost, not deleted, and comes back under its own id when the
    target's plots return."""
    from dataclasses import replace

    cfg = replace(_cfg(DENSITY), lost_window_s=300.0, lost_min_hits=5, lost_max_sd_m=20_000.0)
    back = set(range(150, 171, 2))
    _, eng = _run(cfg, SPARSE | back, 120, 1, clutter=False)
    T = eng.T
    assert T.n == 1 and int(T.hits[0]) < 5 and T.status[0] == LOST
    ids = {}
    for t_end in (30, 170):
        e = _run(cfg, SPARSE | back, t_end, 1, clutter=False)[1]
        ids[t_end] = e.snapshot(confirmed_only=True).ids.tolist()
    assert ids[30] == ids[170] == [1]           # confirmed on its third plot; back as itself
