"""Monte-Carlo scale-out benchmark (issue 7): one batch of seeded runs of the flagship scenario
with 1 worker, a local process pool of 2 and a Dask LocalCluster of 2.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_montecarlo.py [--runs 8] [--cut 60] [--repeat 2]

Reports, from the same invocation: throughput ratio of 2 pool workers over 1 (target >= 1.8x)
and the per-run overhead of Dask over the pool, (T_dask - T_pool) / runs / mean run time
(target < 5 %), Dask being a running 2-worker LocalCluster (what ``--dask tcp://...`` uses).
Timed batches are steady state: each backend first does a small warm-up study (imports, the
pool's fork server); each pool study still starts and stops its worker processes. A cold
``--dask local`` study (cluster start included) is timed once for reference. With ``--repeat``
each configuration is timed several times (interleaved) and the fastest kept, which filters out
other load on a shared machine. Also checks that all backends give the same per-run metrics.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dronewall.pipeline.montecarlo import run_study

FLAGSHIP = (Path(__file__).resolve().parents[1]
            / "src/dronewall/data/scenarios/eastern-poland-raid.yaml")


def _metrics(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in csv.DictReader(f)]


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", type=Path, default=FLAGSHIP)
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--cut", type=float, default=60.0, help="scenario cut, s")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()

    import logging

    from distributed import LocalCluster

    load0 = os.getloadavg()
    best: dict[str, float] = {}
    run_s: dict[str, list[float]] = {}
    rows: dict[str, list[dict[str, str]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-mc-") as tmp:
        def study(name: str, **kw: object) -> float:
            out = Path(tmp) / name
            t0 = time.perf_counter()
            res = run_study(a.scenario, out, a.runs, duration_s=a.cut, keep_full_runs=0,
                            progress=False, **kw)  # type: ignore[arg-type]
            wall = time.perf_counter() - t0
            if res.failures:
                raise SystemExit(f"{name}: failed runs {res.failures}")
            rows[name] = _metrics(res.runs_csv)
            run_s.setdefault(name, []).extend(r["wall_s"] for r in res.records)
            print(f"{name}: {wall:.2f} s, load {os.getloadavg()[0]:.1f}", file=sys.stderr)
            return wall

        # Fixed costs, measured once, cold: a Dask LocalCluster study from scratch.
        cold_dask = study("dask-local-cold", workers=2, dask_address="local")
        # An existing 2-worker cluster (what --dask tcp://... connects to) and warm-ups, so the
        # timed batches compare steady-state backends: imports and the pool's fork server once.
        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                          host="127.0.0.1", silence_logs=logging.ERROR) as cluster:
            configs: dict[str, dict[str, object]] = {
                "pool-1": {"workers": 1}, "pool-2": {"workers": 2},
                "dask-2": {"workers": 2, "dask_address": cluster.scheduler_address}}
            for name, kw in configs.items():
                run_study(a.scenario, Path(tmp) / f"warm-{name}", 2, duration_s=10.0,
                          keep_full_runs=0, progress=False, **kw)  # type: ignore[arg-type]
            for _ in range(a.repeat):
                for name, kw in configs.items():
                    best[name] = min(best.get(name, float("inf")), study(f"{name}", **kw))
    load1 = os.getloadavg()
    same = rows["pool-1"] == rows["pool-2"] == rows["dask-2"] == rows["dask-local-cold"]
    mean_run = statistics.mean(run_s["pool-1"])  # a run's own wall time, in-process
    n = a.runs
    speedup = best["pool-1"] / best["pool-2"]
    overhead = (best["dask-2"] - best["pool-2"]) / n / mean_run

    print(f"machine: {os.cpu_count()} CPUs ({_cpu()}), Python {platform.python_version()}; "
          f"load average {load0[0]:.1f} before, {load1[0]:.1f} after")
    print(f"batch: {n} runs of {a.scenario.name} cut to {a.cut:g} s, fastest of {a.repeat}; "
          f"mean run time {mean_run:.2f} s (in-process)")
    print()
    print("| backend | workers | batch wall s | runs/min | vs 1 worker |")
    print("|---|---|---|---|---|")
    labels = {"pool-1": "local, in-process", "pool-2": "local process pool",
              "dask-2": "Dask, running LocalCluster"}
    for name in ("pool-1", "pool-2", "dask-2"):
        w = 1 if name == "pool-1" else 2
        print(f"| {labels[name]} | {w} | {best[name]:.2f} | {60 * n / best[name]:.1f} "
              f"| {best['pool-1'] / best[name]:.2f}x |")
    print(f"| Dask `--dask local`, cold (cluster start + imports), once | 2 | {cold_dask:.2f} "
          f"| {60 * n / cold_dask:.1f} | {best['pool-1'] / cold_dask:.2f}x |")
    print()
    print(f"throughput 2 workers / 1 worker: {speedup:.2f}x (target >= 1.8x): "
          f"{'PASS' if speedup >= 1.8 else 'MISS'}")
    print(f"Dask per-run overhead vs pool: {(best['dask-2'] - best['pool-2']) / n:+.3f} s per run "
          f"= {100 * overhead:+.1f} % of the run time (target < 5 %): "
          f"{'PASS' if overhead < 0.05 else 'MISS'}")
    print("cold --dask local start-up cost vs warm Dask batch: "
          f"{cold_dask - best['dask-2']:+.2f} s per study")
    print(f"identical per-run metrics across backends: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
