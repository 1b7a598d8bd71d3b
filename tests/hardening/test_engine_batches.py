"""Property test of ``Engine.step`` on generated batches (issue 14).

Hypothesis builds sequences of DetectionBatch columns with sane and absurd rows mixed
(``strategies.engine_batch``: huge, tiny and non-finite values, sensor indices past int32,
unknown measurement kinds, broken covariances, times far in the past or future). For every step:
``DetectionBatch.create`` and ``Engine.step`` never raise, every input row is either accepted or
quarantined with a known reason (counted), and the engine's state stays finite.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import strategies as S
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dronewall.detections.batch import DetectionBatch, SensorKind, SensorTable
from dronewall.geo.frames import Frame
from dronewall.tracking import Engine, TrackerConfig
from dronewall.tracking.engine import QUARANTINE_REASONS

KINDS = [SensorKind.RADAR, SensorKind.ACOUSTIC, SensorKind.EOIR, SensorKind.ADSB,
         SensorKind.XY]
FRAME = Frame(52.0, 23.0, 0.0)
#: Generated step sequences (``make fuzz`` raises it with DRONEWALL_ENGINE_EXAMPLES).
EXAMPLES = int(os.environ.get("DRONEWALL_ENGINE_EXAMPLES", "60"))


def _engine(dims: int) -> Engine:
    n = len(KINDS)
    sensors = SensorTable.build([f"s{i}" for i in range(n)], KINDS, [52.0 + 0.01 * i
                                                                      for i in range(n)],
                                [23.0] * n, [10.0] * n)
    return Engine(TrackerConfig(dims=dims), FRAME, sensors)


def _batch(cols: dict[str, Any]) -> DetectionBatch:
    sd = np.asarray(cols["sd"], dtype=float).reshape(-1, 4)
    R = np.zeros((sd.shape[0], 4, 4))
    idx = np.arange(4)
    R[:, idx, idx] = sd ** 2
    for k, asym in enumerate(cols["asym"]):
        if asym:                        # not symmetric: the engine must refuse it
            R[k, 0, 1] = R[k, 0, 0] + 1.0
    return DetectionBatch.create(t=cols["t"], sensor=cols["sensor"], meas_kind=cols["kind"],
                                 z=np.asarray(cols["z"], dtype=float).reshape(-1, 4), R=R)


@st.composite
def _steps(draw: st.DrawFn) -> list[tuple[float, dict[str, Any]]]:
    out = []
    t = 0.0
    for _ in range(draw(st.integers(1, 6))):
        t += draw(st.sampled_from([0.0, 0.5, 1.0, 1.0, 3.0]))
        out.append((t, draw(S.engine_batch(len(KINDS), t))))
    return out


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(steps=_steps(), dims=st.sampled_from([2, 3]))
def test_engine_step_never_raises_and_counts_quarantine(steps: list[tuple[float, Any]],
                                                        dims: int) -> None:
    eng = _engine(dims)
    with np.errstate(all="ignore"):   # warnings are not the property; exceptions are
        for t, cols in steps:
            b = _batch(cols)
            res = eng.step(t, b)
            assert res.n_input == len(cols["t"])
            assert res.n_accepted + res.quarantined_rows.size == res.n_input
            assert sum(res.quarantined.values()) == res.quarantined_rows.size
            assert set(res.quarantined) <= set(QUARANTINE_REASONS), res.quarantined
            snap = eng.snapshot()
            assert np.isfinite(snap.x).all()
