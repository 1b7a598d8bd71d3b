"""Monte-Carlo studies: N seeded runs of ``simulate`` per sweep point, on a process pool or Dask.

Outer layer (``docs/montecarlo.md``)::

    run_study(scenario.yaml, out_dir, runs=100, workers=2)             # local process pool
    run_study(..., dask_address="local", workers=4)                    # Dask LocalCluster
    run_study(..., dask_address="tcp://10.0.0.5:8786")                 # existing Dask scheduler
    run_study(..., sweep=["effectors[icpt].count=8,16", "sensors[belt].spacing_m=2000,3000"])

Reproducibility: run ``i`` of every sweep point uses the seed
``SeedSequence([base_seed, i]).generate_state(1)[0]`` whatever the backend or the number of
workers, and results are put back in run order before anything is aggregated, so ``runs.csv``
and ``summary.json`` (bar its ``timing`` key and the ``wall_s`` column) depend only on the
inputs. All sweep points reuse the same seeds (common random numbers).

The metrics of each run, their column order, meaning and intervals come from the one schema,
``dronewall.metrics.schema``.
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dronewall.errors import InputError
from dronewall.inputs.limits import MAX_STUDY_RUNS
from dronewall.metrics import schema
from dronewall.metrics.intervals import CI_LEVEL, METHODS
from dronewall.pipeline.outdir import prepare_output_dir
from dronewall.pipeline.progress import Progress
from dronewall.pipeline.study.aggregate import aggregates, timing_aggregate
from dronewall.pipeline.study.backends import InProcessBackend, make_backend
from dronewall.pipeline.study.coverage import sensor_coverage
from dronewall.pipeline.study.sweep import SweepPoint, parse_sweep, sweep_points
from dronewall.pipeline.study.task import RunTask, failed_record, run_seed, run_task
from dronewall.scenario import load_scenario


@dataclass
class StudyResult:
    """What a study wrote and its numbers. ``aggregates`` is empty for a study with a sweep
    (see ``sweep["points"][k]["aggregates"]``: points are never pooled)."""

    out_dir: Path
    runs_csv: Path
    summary_json: Path
    sensors_json: Path
    scenario_json: Path
    metrics: list[str]
    aggregates: dict[str, dict[str, Any]]
    failures: list[dict[str, Any]]
    records: list[dict[str, Any]] = field(default_factory=list)  # per run, in run order
    sweep: dict[str, Any] | None = None
    summary: dict[str, Any] = field(default_factory=dict)


def _json_safe(x: Any) -> Any:
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ""
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return str(v)


def _ok_metrics(recs: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
    return [r["metrics"] for r in recs if r["status"] == "ok"]


def _run_all(tasks: list[RunTask], records: dict[int, dict[str, Any]], total: int,
             backend_opts: tuple[int | None, str | None], progress: bool) -> tuple[str, int]:
    """Run the tasks on the chosen backend, filling ``records``; returns (backend, workers)."""
    workers, dask_address = backend_opts
    backend = make_backend(len(tasks), workers, dask_address) if tasks else InProcessBackend()
    try:
        with Progress(total, "study", "runs", enabled=progress) as bar:
            pre_failed = len(records)  # runs of invalid sweep points, failed before starting
            if pre_failed:
                bar.update(pre_failed, failed=pre_failed)
            if tasks:
                bar.note(f"{backend.name} x{backend.workers}")

            def done(rec: dict[str, Any]) -> None:
                records[rec["run"]] = rec
                bar.advance(1, failed=int(rec["status"] != "ok"))

            backend.run(run_task, tasks, done)
    except KeyboardInterrupt:
        backend.abort()     # terminate running workers now instead of waiting for them
        raise
    finally:
        backend.close()
    return (backend.name if tasks else "none"), backend.workers


def _write_runs_csv(path: Path, recs: Sequence[dict[str, Any]], points: Sequence[SweepPoint],
                    param_paths: Sequence[str], names: Sequence[str]) -> None:
    """One row per run, in run order; wall_s last (the only non-deterministic column)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["run", "point", "seed", *param_paths, "status", "error", *names, "wall_s"])
        for r in recs:
            pv = points[r["point"]].params
            w.writerow([r["run"], r["point"], r["seed"], *[_cell(pv[p]) for p in param_paths],
                        r["status"], r["error"],
                        *[_cell(r["metrics"].get(k, math.nan)) for k in names],
                        _cell(round(r["wall_s"], 3))])


def run_study(scenario_path: str | Path, out_dir: str | Path, runs: int, *,
              workers: int | None = None, dask_address: str | None = None,
              sweep: Sequence[str] | None = None, base_seed: int | None = None,
              duration_s: float | None = None, keep_full_runs: int = 1,
              progress: bool = True) -> StudyResult:
    """Run ``runs`` seeded simulations of a scenario (per sweep point) and aggregate them.

    ``workers``: local pool size (default min(cpu count, total runs); 1 = in this process) or
    the LocalCluster size with ``dask_address="local"``; ``dask_address``: "local" or
    ``tcp://host:port``; ``sweep``: ``path=v1,v2`` options (cartesian product); ``base_seed``:
    default the scenario's seed; ``duration_s``: cut each run short; ``keep_full_runs``: per
    sweep point, the first runs keep all their output tables (the others only summary.json);
    ``progress``: a bar on a terminal, else a line at least every 10 s on stderr
    (``dronewall.pipeline.progress``). Writes runs.csv, summary.json, sensors.json and
    scenario.json in ``out_dir``.
    """
    t_wall0 = time.perf_counter()
    if runs < 1:
        raise InputError(f"--runs: got {runs}; expected at least 1 run")
    if keep_full_runs < 0:
        raise InputError(f"keep_full_runs: got {keep_full_runs}; expected >= 0")
    scenario_path = Path(scenario_path)
    base = load_scenario(scenario_path)  # file errors and a bad base scenario stop the study
    base_dir = str(scenario_path.resolve().parent)
    seed0 = base.seed if base_seed is None else int(base_seed)
    if seed0 < 0:
        raise InputError(f"--seed: got {seed0}; expected a non-negative integer")
    out = Path(out_dir)
    params = parse_sweep(sweep)
    points = sweep_points(scenario_path, base, params)  # a bad path stops the study here
    if len(points) * runs > MAX_STUDY_RUNS:
        raise InputError(f"--runs {runs} x {len(points)} sweep points = {len(points) * runs:,} "
                         f"runs; at most {MAX_STUDY_RUNS:,} (docs/limits.md)")
    run_dir = prepare_output_dir(out, "simulate --runs")  # refuses or cleans; summary.json last
    (out / "runs").mkdir(exist_ok=True)
    seeds = [run_seed(seed0, i) for i in range(runs)]
    tasks: list[RunTask] = []
    records: dict[int, dict[str, Any]] = {}
    for k, pt in enumerate(points):
        for i in range(runs):
            run = k * runs + i
            if pt.scenario is None:
                records[run] = failed_record(run, k, i, seeds[i], pt.error)
                continue
            tasks.append(RunTask(run, k, i, seeds[i], pt.scenario, base_dir,
                                 str(out / "runs" / f"run-{run:04d}"), duration_s,
                                 i < keep_full_runs, pt.doctrine))
    total = len(points) * runs
    interrupted = False
    try:
        backend_name, n_workers = _run_all(tasks, records, total, (workers, dask_address),
                                           progress)
    except KeyboardInterrupt:   # Ctrl-C / SIGTERM: keep what finished, summarise it, stop
        interrupted = True
        backend_name, n_workers = "interrupted", workers or 0

    recs = [records[r] for r in sorted(records)]
    names = schema.column_order(k for r in recs for k in r["metrics"])
    failures = [{"run": r["run"], "seed": r["seed"], "params": points[r["point"]].params,
                 "error": r["error"]} for r in recs if r["status"] != "ok"]
    sweep_out = None
    aggs: dict[str, Any] | None = None
    if params:
        sweep_out = {"parameters": [p.path for p in params], "points": [
            {"point": k, "params": pt.params,
             "runs_ok": sum(r["status"] == "ok" for r in recs if r["point"] == k),
             "runs_failed": sum(r["status"] != "ok" for r in recs if r["point"] == k),
             "error": pt.error or None,
             "aggregates": aggregates(_ok_metrics([r for r in recs if r["point"] == k]), names)}
            for k, pt in enumerate(points)]}
    else:
        aggs = aggregates(_ok_metrics(recs), names)

    runs_csv = out / "runs.csv"
    _write_runs_csv(runs_csv, recs, points, [p.path for p in params], names)
    scenario_out = base.model_copy(update={"time": base.time.model_copy(update={
        "duration_s": min(duration_s, base.time.duration_s)})}) if duration_s else base
    (out / "scenario.json").write_text(json.dumps(scenario_out.model_dump(mode="json"), indent=2),
                                       encoding="utf-8")
    sensors_json = out / "sensors.json"
    sensors_json.write_text(json.dumps(sensor_coverage(base), indent=1), encoding="utf-8")

    summary = {
        "scenario": base.name, "scenario_file": scenario_path.name,
        "base_seed": seed0, "seeds": seeds, "duration_s": scenario_out.time.duration_s,
        "runs_per_point": runs, "runs_requested": total,
        "runs_ok": sum(r["status"] == "ok" for r in recs), "runs_failed": failures,
        "metrics": names, "metric_definitions": schema.definitions(names),
        "ci_level": CI_LEVEL, "ci_methods": METHODS,
        "aggregates": aggs, "sweep": sweep_out,
        "backend": backend_name, "workers": n_workers, "keep_full_runs": keep_full_runs,
        "files": {"runs": "runs.csv", "sensors": "sensors.json", "scenario": "scenario.json",
                  "run_dirs": "runs/run-XXXX"},
        "timing": {"wall_s": round(time.perf_counter() - t_wall0, 3),
                   "run_wall_s": timing_aggregate(r["wall_s"] for r in recs
                                                  if r["status"] == "ok")},
    }
    summary = _json_safe(summary)
    if interrupted:
        # partial results never go to summary.json: that file means "a finished study"
        summary.update(status="interrupted", runs_done=len(recs))
        part = run_dir.write_summary(json.dumps(summary, indent=2, allow_nan=False),
                                     "partial-summary.json")
        sys.stderr.write(f"study: interrupted after {len(recs)} of {total} runs; partial "
                         f"results in {part} and {runs_csv}\n")
        raise KeyboardInterrupt
    summary_json = run_dir.write_summary(json.dumps(summary, indent=2, allow_nan=False))
    run_dir.complete()
    return StudyResult(out, runs_csv, summary_json, sensors_json, out / "scenario.json", names,
                       summary["aggregates"] or {}, failures, recs, summary["sweep"], summary)
