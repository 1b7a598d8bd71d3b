"""GOSPA against the shared benchmark scorer, and run-level tracking metrics."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from dronewall.metrics import ScanData, gospa, tracking_metrics

SCORE_PY = Path(__file__).resolve().parents[3] / "shared" / "bench" / "stonesoup" / "score.py"


def test_gospa_equals_shared_score_py() -> None:
    if not SCORE_PY.exists():
        pytest.skip("shared score.py not present")
    spec = importlib.util.spec_from_file_location("shared_score", SCORE_PY)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    rng = np.random.default_rng(0)
    for _ in range(300):
        n, m = rng.integers(0, 8), rng.integers(0, 8)
        X = rng.uniform(0, 400, (n, 2))
        Y = rng.uniform(0, 400, (m, 2))
        for p in (1.0, 2.0):
            a = gospa(X, Y, 100.0, p)
            b = mod.gospa(X.reshape(-1, 2), Y.reshape(-1, 2), 100.0, p)
            assert a.gospa == pytest.approx(b["gospa"], abs=1e-9)
            assert (a.missed, a.false, a.paired) == (b["missed"], b["false"], b["paired"])


def test_gospa_known_values() -> None:
    X = np.array([[0.0, 0.0], [1000.0, 0.0]])
    Y = np.array([[3.0, 4.0]])
    r = gospa(X, Y, 100.0, 1.0)
    assert r.gospa == pytest.approx(5.0 + 50.0)
    assert (r.missed, r.false, r.paired) == (1, 0, 1)
    assert gospa(np.zeros((0, 2)), Y).gospa == pytest.approx(50.0)


def test_tracking_metrics_breaks_switches_latency() -> None:
    truth_pos = np.array([[0.0, 0.0], [500.0, 0.0]])
    scans = []
    # truth 1 tracked by 7 then by 8 (switch), truth 2 tracked from t=2, lost at t=4 (break)
    plan = {0: ([], []), 1: ([7], [0]), 2: ([7, 9], [0, 1]), 3: ([8, 9], [0, 1]),
            4: ([8], [0]), 5: ([8, 9], [0, 1])}
    for t, (tids, which) in plan.items():
        scans.append(ScanData(float(t), [1, 2], truth_pos, tids,
                              truth_pos[which] + 1.0 if which else np.zeros((0, 2))))
    m = tracking_metrics(scans, first_detection_time={1: 0.0, 2: 1.0})
    assert m.id_switches == 1
    assert m.track_breaks == 1
    assert m.confirm_latency_s == {1: 1.0, 2: 1.0}
    assert m.missed_per_scan.tolist() == [2, 1, 0, 0, 1, 0]
    assert m.false_per_scan.tolist() == [0, 0, 0, 0, 0, 0]
    assert m.unique_track_ids == 3
