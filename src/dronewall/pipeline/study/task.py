"""One run of a study: its seed, the picklable task sent to a worker, and :func:`run_task`,
which runs ``simulate`` and returns the run's metric record. A task never raises: any error
becomes a failed-run record with its reason, and the other runs go on."""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.errors import DronewallError
from dronewall.pipeline.study.runmetrics import run_metrics
from dronewall.pipeline.study.sweep import DEFAULT_DOCTRINE
from dronewall.scenario import Scenario


def run_seed(base_seed: int, index: int) -> int:
    """Seed of run ``index`` of a study: independent of backend, worker count and sweep point."""
    return int(np.random.SeedSequence([int(base_seed), int(index)]).generate_state(1)[0])


@dataclass(frozen=True)
class RunTask:
    """Everything one run needs (picklable: sent to worker processes / Dask workers)."""

    run: int  # global run number (point * runs + index)
    point: int  # sweep point
    index: int  # run index within its point (sets the seed)
    seed: int
    scenario: Scenario
    base_dir: str | None  # resolves zone files of the scenario
    out_dir: str
    duration_s: float | None
    keep_full: bool
    doctrine: str = DEFAULT_DOCTRINE  # who assigns effectors (sweep parameter ``doctrine``)


def failed_record(run: int, point: int, index: int, seed: int, reason: str,
                  wall_s: float = 0.0) -> dict[str, Any]:
    """The record of a run that produced no metrics."""
    return {"run": run, "point": point, "index": index, "seed": seed, "status": "failed",
            "error": reason, "metrics": {}, "wall_s": wall_s}


def _simulate_kwargs() -> dict[str, Any]:
    """Options of run_simulation a study fixes when they exist: no per-run doctrine comparison
    (it would triple each run's cost and start a process pool inside every task)."""
    from dronewall.pipeline.simulate import run_simulation

    params = inspect.signature(run_simulation).parameters
    return {"compare_doctrines": False} if "compare_doctrines" in params else {}


def run_task(task: RunTask) -> dict[str, Any]:
    """Run one simulation (in a worker). Never raises: errors become a failed record."""
    t0 = time.perf_counter()
    out = Path(task.out_dir)
    rec: dict[str, Any] = {"run": task.run, "point": task.point, "index": task.index,
                           "seed": task.seed, "status": "ok", "error": "", "metrics": {}}
    try:
        from dronewall.pipeline.simulate import run_simulation

        kw = _simulate_kwargs()
        if task.doctrine != DEFAULT_DOCTRINE:
            kw["doctrine"] = task.doctrine
        res = run_simulation(task.scenario, out, seed=task.seed, duration_s=task.duration_s,
                             base_dir=Path(task.base_dir) if task.base_dir else None, **kw)
        effector_types = sorted({e.type for e in task.scenario.effectors})
        rec["metrics"] = run_metrics(res.summary, out, effector_types)
    except DronewallError as e:
        rec.update(status="failed", error=str(e))
    except Exception as e:  # noqa: BLE001 - a bug, but one run must not sink the study
        rec.update(status="failed", error=f"{type(e).__name__}: {e}")
    if not task.keep_full and out.is_dir():
        for p in out.iterdir():
            if p.is_file() and p.name != "summary.json":
                p.unlink(missing_ok=True)
    rec["wall_s"] = time.perf_counter() - t0
    return rec
