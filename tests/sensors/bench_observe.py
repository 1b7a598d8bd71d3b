"""Benchmark SensorSuite.observe (not collected by pytest): run
``.venv/bin/python tests/sensors/bench_observe.py``.

Case A: the budget case of a 1-hour raid, 100 Shaheds, 200 acoustic nodes, 5 radars, 1 Hz.
Case B: 10,000 acoustic nodes x 100 Shaheds. Only observe() is timed (truth is precomputed).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from sensor_helpers import LAT0, LON0, ground_point, make_platforms, make_truth  # noqa: E402

from dronewall.scenario.model import AcousticGridSpec, RadarSpec  # noqa: E402
from dronewall.sensors import SensorSuite  # noqa: E402


def bench(sensors: list, steps: int, label: str) -> None:
    suite = SensorSuite(sensors, np.random.default_rng(0))
    n = 100
    plat = make_platforms(n, "shahed136")
    rg = np.random.default_rng(1)
    d0, az = rg.uniform(0, 40_000, n), rg.uniform(0, 360, n)
    truths = [make_truth(float(t), ground_point(LAT0, LON0, np.abs(d0 - 45.0 * t) + 100, az, 150.0))
              for t in range(1, steps + 1)]
    t0 = time.perf_counter()
    total = sum(len(suite.observe(s, plat)) for s in truths)
    dt = time.perf_counter() - t0
    print(f"{label}: {len(suite.table)} sensors, {steps} steps: {dt:.2f} s total, "
          f"{dt / steps * 1e3:.2f} ms/step, {total / steps:.0f} detections/step")


radars = [RadarSpec(id=f"r{i}", type="radar", scan_period_s=1.0,
                    position=[LAT0 + 0.2 * (i - 2), LON0]) for i in range(5)]
bench(radars + [AcousticGridSpec(id="g", type="acoustic_grid", spacing_m=2_000.0,
                                 area={"center": [LAT0, LON0], "radius_m": 16_000.0})],
      3600, "A 1-h raid, 100 drones, 5 radars + ~200 nodes, 1 Hz")
bench([AcousticGridSpec(id="big", type="acoustic_grid", spacing_m=560.0,
                        area={"center": [LAT0, LON0], "radius_m": 31_500.0})],
      100, "B 10k nodes x 100 drones")
