"""Simulation speed benchmark (issue 2): 1-hour raid, 100 drones, 200 acoustic nodes, 5 radars.

Runs truth + sensors (the simulator) on one core and reports how much faster than real time it
is; with ``--track`` also the tracking engine. Usage:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_sim.py [--track]

Prints one JSON line with the measured numbers (record them in docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default=str(HERE / "raid-100.yaml"))
    ap.add_argument("--track", action="store_true", help="also run the tracking engine")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from dronewall.pipeline.simulate import _rngs
    from dronewall.scenario import load_scenario
    from dronewall.sensors import SensorSuite
    from dronewall.sim.truth import TruthSimulator

    sc = load_scenario(args.scenario)
    walls, truth_s, sens_s, track_s, n_det = [], [], [], [], 0
    for _ in range(args.repeat):
        rng_t, rng_s, _, _ = _rngs(sc.seed)
        t0 = time.perf_counter()
        sim = TruthSimulator(sc, rng_t)
        suite = SensorSuite.from_scenario(sc, rng_s)
        engine = None
        if args.track:
            from dronewall.geo import Frame
            from dronewall.tracking import Engine, TrackerConfig

            engine = Engine(TrackerConfig(), Frame(sc.origin.lat_deg, sc.origin.lon_deg),
                            suite.table)
        ts = ss = tk = 0.0
        n_det = 0
        it = sim.states()
        while True:
            a = time.perf_counter()
            try:
                st = next(it)
            except StopIteration:
                break
            b = time.perf_counter()
            det = suite.observe(st, sim.platforms)
            c = time.perf_counter()
            n_det += len(det)
            if engine is not None:
                engine.step(st.t, det)
            d = time.perf_counter()
            ts += b - a
            ss += c - b
            tk += d - c
        walls.append(time.perf_counter() - t0)
        truth_s.append(ts)
        sens_s.append(ss)
        track_s.append(tk)
    best = int(np.argmin(walls))
    sim_wall = truth_s[best] + sens_s[best]
    out = {
        "scenario": sc.name,
        "duration_s": sc.time.duration_s,
        "platforms": int(len(sim.platforms)),
        "sensors": int(len(suite.table)),
        "detections": n_det,
        "truth_s": round(truth_s[best], 3),
        "sensors_s": round(sens_s[best], 3),
        "simulation_s": round(sim_wall, 3),
        "simulation_x_real_time": round(sc.time.duration_s / sim_wall, 1),
        "total_wall_s": round(walls[best], 3),
        "repeats": args.repeat,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
                   f"python {platform.python_version()}, numpy {np.__version__}",
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.track:
        out["tracking_s"] = round(track_s[best], 3)
        out["with_tracking_x_real_time"] = round(sc.time.duration_s / walls[best], 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
