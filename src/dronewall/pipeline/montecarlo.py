"""Monte-Carlo studies: N seeded runs of ``simulate`` per sweep point, on a process pool or Dask.

Outer layer (``docs/montecarlo.md``)::

    run_study(scenario.yaml, out_dir, runs=100, workers=2)             # local process pool
    run_study(..., dask_address="local", workers=4)                    # Dask LocalCluster
    run_study(..., dask_address="tcp://10.0.0.5:8786")                 # existing Dask scheduler
    run_study(..., sweep=["effectors[icpt].count=8,16", "sensors[belt].spacing_m=2000,3000"])

Reproducibility: run ``i`` of every sweep point uses the seed
``SeedSequence([base_seed, i]).generate_state(1)[0]`` whatever the backend or the number of
workers, and results are put back in run order before anything is aggregated, so ``runs.csv``
and ``summary.json`` (bar its ``timing`` key) depend only on the inputs. All sweep points reuse
the same seeds (common random numbers: differences between points are not sampling noise of the
seeds).

Each task calls :func:`dronewall.pipeline.simulate.run_simulation` into
``out_dir/runs/run-XXXX/`` and returns a flat metric record (``METRICS``); a task never raises:
any error becomes a failed-run record with its reason, and the other runs go on.
"""

from __future__ import annotations

import copy
import csv
import inspect
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dronewall.errors import ConfigurationError, DronewallError, InputError
from dronewall.scenario import Scenario, load_scenario

#: Per-run metrics: name -> (meaning, source field of the run's summary.json). Values are floats,
#: NaN when the run's summary has no such field (e.g. no zones -> no airspace metrics; no
#: effectors -> no engagement metrics). Per-effector-type spend adds ``spend_eur_<type>`` columns
#: after ``spend_eur``.
METRICS: dict[str, tuple[str, str]] = {
    "detected_ratio": (
        ("share of flown uncrewed platforms (attack drones, decoys, recon UAVs, multirotors) "
         "detected at least once by any sensor"),
        "platforms.by_class.<class>.detected_by_any_sensor / platforms"),
    "detection_latency_s": (
        ("first detection after launch, s: per-class medians averaged with the detected counts "
         "as weights (same classes)"),
        "platforms.by_class.<class>.median_first_detection_after_launch_s"),
    "track_confirm_latency_s": (
        "first true detection -> first confirmed track on that platform, mean, s",
        "tracking.confirm_latency_mean_s"),
    "alert_latency_s": (
        "true zone entry -> the track's entry event declared, mean over matched violations, s",
        "airspace.alert_latency_s.mean_s"),
    "warning_lead_time_s": (
        "first warning of the track -> true zone entry, mean, s",
        "airspace.warning_lead_time_s.mean_s"),
    "track_breaks": ("track continuity: platforms' track breaks", "tracking.track_breaks"),
    "id_switches": ("track continuity: track id switches", "tracking.id_switches"),
    "never_tracked": ("detectable platforms never tracked", "tracking.never_tracked"),
    "gospa_mean_m": ("mean GOSPA per scan (500 m cut-off, p=1, alpha=2), m",
                     "tracking.gospa_mean"),
    "classification_accuracy": (
        "MAP class 30 s after confirmation = true class, share of scored tracks",
        "tracking.classification.accuracy_30s_after_confirmation"),
    "violations_truth": ("zone violations by true platforms", "airspace.violations_truth"),
    "violations_tracked": ("zone violations by confirmed tracks", "airspace.violations_tracks"),
    "violations_missed": ("true violations no track violation matched",
                          "airspace.violations_missed"),
    "violations_false": ("track violations matching no true one",
                         "airspace.violations_unmatched_tracks"),
    "violation_duration_abs_err_s": (
        ("|tracked - true| violation duration, mean over tracked violations matched to a true "
         "one (same zone, overlapping in time, nearest entry), s"),
        ("airspace.violation_duration_abs_err_s if present, else events.jsonl vs "
         "truth_events.jsonl")),
    "threats_flown": ("threat platforms flown", "engagement.threats_flown"),
    "neutralised": ("threats neutralised", "engagement.neutralised.total"),
    "leakers": ("threats that reached their target", "engagement.leakers.total"),
    "value_lost_eur": ("asset value lost to leakers, EUR", "engagement.value_lost_eur"),
    "spend_eur": ("effector spend, EUR (spend_eur_<type>: per effector type)",
                  "engagement.spend_eur, engagement.spend_by_type_eur.<type>"),
    "cost_exchange_ratio": ("defender spend / attackers destroyed cost",
                            "engagement.cost_exchange_ratio"),
    "shots": ("shots fired", "engagement.shots"),
    "ammunition_used": ("rounds used: sum over sites of stocked - remaining",
                        "engagement.ammunition_stocked, engagement.ammunition_remaining"),
}

#: Uncrewed platform classes the detection metrics are about (not birds, not crewed aircraft).
DETECTION_CLASSES = ("attack_drone", "decoy", "recon_uav", "multirotor")
#: Confidence level of the aggregates' interval of the mean (Student t).
CI_LEVEL = 0.95
#: Nominal coverage radii in sensors.json: radar range at which a target of this mean RCS has
#: single-scan Pd 0.5 (a Shahed-class drone is ~0.1-0.5 m2), and the acoustic source level
#: (dB re 20 uPa @ 1 m, a Shahed-class engine) heard with Pd 0.5.
COVERAGE_RCS_M2 = 0.3
COVERAGE_PD = 0.5
COVERAGE_SOURCE_LEVEL_DB = 105.0
#: Start method of the local pool: "forkserver" where available (a clean single-threaded server
#: process imports dronewall once and forks the workers, so a pool starts without re-importing
#: and never copies the caller's threads or locks), else "spawn".
MP_CONTEXT = "forkserver"
#: Modules the fork server imports once: what one run imports (pyarrow pulls in pandas);
#: missing ones are skipped by multiprocessing.
FORKSERVER_PRELOAD = ["dronewall.pipeline.montecarlo", "dronewall.pipeline.simulate",
                      "dronewall.sensors", "dronewall.sim.truth", "dronewall.pipeline.tracking",
                      "dronewall.pipeline.threat", "dronewall.pipeline.engagement",
                      "dronewall.pipeline.airspace", "dronewall.pipeline.classification",
                      "dronewall.pipeline.follow", "dronewall.classify.tracks",
                      "dronewall.data.zones", "pandas", "pyarrow.csv", "dateutil.parser"]

# ----------------------------------------------------------------------------- sweeps


@dataclass(frozen=True)
class SweepParam:
    """One ``--set path=v1,v2`` option: the path as written, its parsed steps and values."""

    path: str
    steps: tuple[str | int, ...]  # key (str) / list index or id selector ("[sel]" kept raw)
    values: tuple[Any, ...]


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside brackets (values may be YAML lists: ``[51.5, 23.0]``)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def _parse_path(path: str) -> tuple[str | int, ...]:
    """``sensors[belt].spacing_m`` -> ("sensors", "[belt]", "spacing_m"); ``[3]`` -> 3."""
    steps: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if not name and not steps:
            raise InputError(f"--set {path!r}: a path starts with a field name")
        if name:
            steps.append(name.strip())
        while rest:
            sel, close, rest = rest.partition("]")
            if not close or (rest and not rest.startswith("[")):
                raise InputError(f"--set {path!r}: unbalanced [ ] in {part!r}; expected e.g. "
                                 "sensors[radar-north].range_ref_m or traffic.raids[0].count")
            rest = rest[1:]
            sel = sel.strip()
            steps.append(int(sel) if sel.lstrip("-").isdigit() else f"[{sel}]")
    if not steps or any(s == "" for s in steps):
        raise InputError(f"--set {path!r}: empty path element")
    return tuple(steps)


def parse_sweep(specs: Sequence[str] | None) -> list[SweepParam]:
    """Parse ``--set path=v1,v2,...`` options. Values are YAML scalars (``8``, ``2.5``,
    ``true``, ``urban``) or flow lists (``[51.5, 23.0]``)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    params: list[SweepParam] = []
    for spec in specs or []:
        path, eq, vals = spec.partition("=")
        if not eq or not path.strip() or not vals.strip():
            raise InputError(f"--set {spec!r}: expected path.to.param=v1,v2,... e.g. "
                             "effectors[interceptors-wlodawa].count=8,16")
        values = []
        for v in _split_top(vals, ","):
            if not v.strip():
                raise InputError(f"--set {spec!r}: empty value in the list")
            try:
                values.append(yaml.load(v))
            except YAMLError as e:
                raise InputError(f"--set {spec!r}: value {v!r} is not a YAML value ({e})") from None
        p = path.strip()
        if any(q.path == p for q in params):
            raise InputError(f"--set {p}: given twice; list all its values in one option")
        params.append(SweepParam(p, _parse_path(p), tuple(values)))
    return params


def _step_into(node: Any, step: str | int, where: str) -> Any:
    if isinstance(step, int):
        if not isinstance(node, list) or not 0 <= step < len(node):
            n = len(node) if isinstance(node, list) else "not a list"
            raise InputError(f"--set {where}: index [{step}] out of range ({n} items)")
        return node[step]
    if step.startswith("["):
        sel = step[1:-1]
        if isinstance(node, dict):
            step = sel
        else:
            if not isinstance(node, list):
                raise InputError(f"--set {where}: [{sel}] selects in a list, found "
                                 f"{type(node).__name__}")
            hits = [it for it in node if isinstance(it, dict) and str(it.get("id")) == sel]
            if len(hits) != 1:
                ids = [str(it.get("id")) for it in node if isinstance(it, dict) and "id" in it]
                raise InputError(f"--set {where}: no item with id {sel!r} here (ids: "
                                 f"{', '.join(ids) or 'none'}); or use a list index [k]")
            return hits[0]
    if not isinstance(node, dict) or step not in node:
        keys = ", ".join(map(str, node)) if isinstance(node, dict) else type(node).__name__
        raise InputError(f"--set {where}: no field {step!r} here (found: {keys})")
    return node[step]


def apply_params(doc: dict[str, Any], params: Sequence[SweepParam], values: Sequence[Any]
                 ) -> dict[str, Any]:
    """A deep copy of the scenario ``doc`` with each parameter path set to its value. The last
    step may name a field that is absent (an optional field); anything else must exist."""
    out = copy.deepcopy(doc)
    for p, v in zip(params, values):
        node: Any = out
        for s in p.steps[:-1]:
            node = _step_into(node, s, p.path)
        last = p.steps[-1]
        if isinstance(last, int) or last.startswith("["):
            _step_into(node, last, p.path)  # must exist
            if isinstance(last, int):
                node[last] = copy.deepcopy(v)
            elif isinstance(node, dict):
                node[last[1:-1]] = copy.deepcopy(v)
            else:
                raise InputError(f"--set {p.path}: set a field of the selected item, e.g. "
                                 f"{p.path}.count")
        elif isinstance(node, dict):
            node[last] = copy.deepcopy(v)
        else:
            raise InputError(f"--set {p.path}: {last!r} is not a field of a mapping")
    return out


def validate_scenario_dict(doc: dict[str, Any], source: str) -> Scenario:
    """Validate a scenario dict with the scenario model; errors read like the loader's
    (``field effectors[0].count: got -1; Input should be ...``) as a ScenarioError."""
    from pydantic import ValidationError

    from dronewall.errors import ScenarioError
    from dronewall.scenario.load import _fmt_loc

    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        errs = exc.errors(include_url=False)
        parts = []
        for err in errs[:5]:
            msg = err["msg"].removeprefix("Value error, ")
            got = f"got {err['input']!r}; " if not isinstance(err.get("input"), (dict, list)) \
                else ""
            parts.append(f"field {_fmt_loc(tuple(err['loc']))}: {got}{msg}")
        more = f" (and {len(errs) - 5} more errors)" if len(errs) > 5 else ""
        raise ScenarioError(f"{source}: invalid scenario: " + "; ".join(parts) + more) from None


# ----------------------------------------------------------------------------- one run


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
    doctrine: str = "planner"  # who assigns effectors (sweep parameter ``doctrine``)


#: The sweep parameter that is not a scenario path: who assigns the effectors.
DOCTRINE_PARAM = "doctrine"


def _num(x: Any) -> float:
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, (int, float)):
        return float(x)
    return math.nan


def _get(d: Any, *keys: str) -> float:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return math.nan
        d = d[k]
    return _num(d)


def _violation_duration_error(out: Path) -> float:
    """Mean |tracked - true| duration over tracked violations matched to a true violation of
    the same zone overlapping in time (nearest entry time, each true violation used once)."""
    def read(name: str) -> list[dict[str, Any]] | None:
        p = out / name
        if not p.is_file():
            return None
        with p.open(encoding="utf-8") as f:
            return [e for e in map(json.loads, filter(str.strip, f)) if e.get("event") == "violation"]

    tv, gv = read("events.jsonl"), read("truth_events.jsonl")
    if tv is None or gv is None:
        return math.nan
    used: set[int] = set()
    errs = []
    for v in sorted(tv, key=lambda e: (e["entry_t_s"], str(e["track_id"]), e["zone_id"])):
        cands = [k for k, g in enumerate(gv) if k not in used and g["zone_id"] == v["zone_id"]
                 and g["entry_t_s"] <= v["exit_t_s"] and v["entry_t_s"] <= g["exit_t_s"]]
        if not cands:
            continue
        k = min(cands, key=lambda k: (abs(gv[k]["entry_t_s"] - v["entry_t_s"]), k))
        used.add(k)
        errs.append(abs(float(v["duration_s"]) - float(gv[k]["duration_s"])))
    return float(np.mean(errs)) if errs else math.nan


def run_metrics(summary: dict[str, Any], out: Path | None = None) -> dict[str, float]:
    """The flat per-run metrics (``METRICS``, plus ``spend_eur_<type>``) of one run's
    summary.json; NaN for what the run does not report. ``out``: the run's folder (event files
    for the violation duration error)."""
    m: dict[str, float] = {}
    by_class = summary.get("platforms", {}).get("by_class", {}) or {}
    flown = det = 0
    lat_w = lat_n = 0.0
    for c in DETECTION_CLASSES:
        e = by_class.get(c)
        if not isinstance(e, dict):
            continue
        flown += int(e.get("platforms", 0))
        nd = int(e.get("detected_by_any_sensor", 0))
        det += nd
        med = _num(e.get("median_first_detection_after_launch_s"))
        if nd and math.isfinite(med):
            lat_w += nd * med
            lat_n += nd
    m["detected_ratio"] = det / flown if flown else math.nan
    m["detection_latency_s"] = lat_w / lat_n if lat_n else math.nan
    tr = summary.get("tracking")
    m["track_confirm_latency_s"] = _get(tr, "confirm_latency_mean_s")
    air = summary.get("airspace")
    m["alert_latency_s"] = _get(air, "alert_latency_s", "mean_s")
    m["warning_lead_time_s"] = _get(air, "warning_lead_time_s", "mean_s")
    m["track_breaks"] = _get(tr, "track_breaks")
    m["id_switches"] = _get(tr, "id_switches")
    m["never_tracked"] = _get(tr, "never_tracked")
    m["gospa_mean_m"] = _get(tr, "gospa_mean")
    m["classification_accuracy"] = _get(tr, "classification", "accuracy_30s_after_confirmation")
    m["violations_truth"] = _get(air, "violations_truth")
    m["violations_tracked"] = _get(air, "violations_tracks")
    m["violations_missed"] = _get(air, "violations_missed")
    m["violations_false"] = _get(air, "violations_unmatched_tracks")
    if isinstance(air, dict) and "violation_duration_abs_err_s" in air:
        m["violation_duration_abs_err_s"] = _get(air, "violation_duration_abs_err_s")
    elif isinstance(air, dict) and out is not None:
        m["violation_duration_abs_err_s"] = _violation_duration_error(out)
    else:
        m["violation_duration_abs_err_s"] = math.nan
    en = summary.get("engagement")
    m["threats_flown"] = _get(en, "threats_flown")
    m["neutralised"] = _get(en, "neutralised", "total")
    m["leakers"] = _get(en, "leakers", "total")
    m["value_lost_eur"] = _get(en, "value_lost_eur")
    m["spend_eur"] = _get(en, "spend_eur")
    m["cost_exchange_ratio"] = _get(en, "cost_exchange_ratio")
    m["shots"] = _get(en, "shots")
    stocked = en.get("ammunition_stocked") if isinstance(en, dict) else None
    left = en.get("ammunition_remaining") if isinstance(en, dict) else None
    if isinstance(stocked, dict) and isinstance(left, dict):
        m["ammunition_used"] = float(sum(_num(v) for v in stocked.values() if v is not None)
                                     - sum(_num(v) for v in left.values() if v is not None))
    else:
        m["ammunition_used"] = math.nan
    by_type = en.get("spend_by_type_eur") if isinstance(en, dict) else None
    if isinstance(by_type, dict):
        for t, v in sorted(by_type.items()):
            m[f"spend_eur_{t}"] = _num(v)
    return m


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
        if task.doctrine != "planner":
            kw["doctrine"] = task.doctrine
        res = run_simulation(task.scenario, out, seed=task.seed, duration_s=task.duration_s,
                             base_dir=Path(task.base_dir) if task.base_dir else None, **kw)
        rec["metrics"] = run_metrics(res.summary, out)
        if "engagement" in res.summary:  # effector types that did not fire spent nothing
            for t in sorted({e.type for e in task.scenario.effectors}):
                rec["metrics"].setdefault(f"spend_eur_{t}", 0.0)
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


# ----------------------------------------------------------------------------- backends


class Backend(Protocol):
    """Runs tasks, calling ``done`` with each record as it completes (any order)."""

    name: str
    workers: int

    def run(self, fn: Callable[[RunTask], dict[str, Any]], tasks: Sequence[RunTask],
            done: Callable[[dict[str, Any]], None]) -> None: ...

    def close(self) -> None: ...


def _lost(task: RunTask, reason: str) -> dict[str, Any]:
    return {"run": task.run, "point": task.point, "index": task.index, "seed": task.seed,
            "status": "failed", "error": reason, "metrics": {}, "wall_s": math.nan}


class InProcessBackend:
    """workers = 1: runs one after the other in this process."""

    name, workers = "local", 1

    def run(self, fn: Callable[[RunTask], dict[str, Any]], tasks: Sequence[RunTask],
            done: Callable[[dict[str, Any]], None]) -> None:
        for t in tasks:
            done(fn(t))

    def close(self) -> None:
        pass


class ProcessPoolBackend:
    """A local ``concurrent.futures.ProcessPoolExecutor`` of ``workers`` processes."""

    name = "local"

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        if MP_CONTEXT in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context(MP_CONTEXT)
            if MP_CONTEXT == "forkserver":
                ctx.set_forkserver_preload(FORKSERVER_PRELOAD)  # no-op once the server runs
        else:
            ctx = multiprocessing.get_context("spawn")
        self.ex = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)

    def run(self, fn: Callable[[RunTask], dict[str, Any]], tasks: Sequence[RunTask],
            done: Callable[[dict[str, Any]], None]) -> None:
        from concurrent.futures import as_completed

        futs = {self.ex.submit(fn, t): t for t in tasks}
        for f in as_completed(futs):
            try:
                done(f.result())
            except Exception as e:  # noqa: BLE001 - the worker died (killed, out of memory)
                done(_lost(futs[f], f"worker process failed: {type(e).__name__}: {e}"))

    def close(self) -> None:
        self.ex.shutdown(wait=True, cancel_futures=True)


class DaskBackend:
    """Dask distributed: ``address`` "local" starts a LocalCluster on 127.0.0.1 (``workers``
    single-threaded worker processes, no dashboard); otherwise ``tcp://host:port`` of an
    existing scheduler, whose workers must have dronewall installed and see ``out_dir``."""

    name = "dask"

    def __init__(self, address: str, workers: int | None) -> None:
        import logging

        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigurationError(
                "the Dask backend needs the optional dependency dask[distributed]: "
                "pip install 'dronewall[dask]' (or use the local process pool: --workers K)"
            ) from None
        self.cluster = None
        if address == "local":
            n = workers or 1
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        dashboard_address=None, host="127.0.0.1",
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout="30s")
            except (OSError, TimeoutError) as e:
                raise InputError(f"--dask {address}: cannot reach the Dask scheduler ({e}); "
                                 "expected tcp://host:port of a running dask scheduler") from None
        self.workers = sum(int(w.get("nthreads", 1)) for w in
                           self.client.scheduler_info().get("workers", {}).values()) or (workers or 0)

    def run(self, fn: Callable[[RunTask], dict[str, Any]], tasks: Sequence[RunTask],
            done: Callable[[dict[str, Any]], None]) -> None:
        from distributed import as_completed

        futs = self.client.map(fn, list(tasks), pure=False)
        by_key = {f.key: t for f, t in zip(futs, tasks)}
        for f in as_completed(futs):
            try:
                done(f.result())
            except Exception as e:  # noqa: BLE001 - worker lost / task not deserialisable
                done(_lost(by_key[f.key], f"dask task failed: {type(e).__name__}: {e}"))
            f.release()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(runs_total: int, workers: int | None, dask_address: str | None) -> Backend:
    """The backend for these options: Dask when ``dask_address`` is set, else the local pool
    (``workers`` default min(cpu count, runs); 1 runs in this process)."""
    if workers is not None and workers < 1:
        raise InputError(f"--workers: got {workers}; expected a positive number of workers")
    n = workers if workers is not None else min(os.cpu_count() or 1, max(runs_total, 1))
    if dask_address is not None:
        return DaskBackend(dask_address, n)
    return InProcessBackend() if n <= 1 else ProcessPoolBackend(n)


# ----------------------------------------------------------------------------- aggregates


def aggregate(values: Iterable[float]) -> dict[str, float | int | None]:
    """n, mean, std (ddof 1), 95 % CI of the mean (Student t), median, p10, p90 over the
    finite values; None where undefined (n = 0; std and CI need n >= 2)."""
    from scipy import stats

    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    n = int(x.size)
    out: dict[str, float | int | None] = {"n": n, "mean": None, "std": None, "ci95_low": None,
                                          "ci95_high": None, "median": None, "p10": None,
                                          "p90": None}
    if n == 0:
        return out
    mean = float(x.mean())
    out.update(mean=mean, median=float(np.median(x)), p10=float(np.percentile(x, 10)),
               p90=float(np.percentile(x, 90)))
    if n >= 2:
        sd = float(x.std(ddof=1))
        half = float(stats.t.ppf(0.5 + CI_LEVEL / 2, n - 1)) * sd / math.sqrt(n)
        out.update(std=sd, ci95_low=mean - half, ci95_high=mean + half)
    return out


def _aggregates(recs: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    ok = [r for r in recs if r["status"] == "ok"]
    return {k: aggregate(r["metrics"].get(k, math.nan) for r in ok) for k in names}


# ----------------------------------------------------------------------------- sensors.json


def sensor_coverage(sc: Scenario) -> list[dict[str, Any]]:
    """One record per physical sensor (acoustic grids expanded into nodes): id, type, lat, lon,
    nominal coverage radius (m) and how it was obtained (``basis``)."""
    from dronewall.sensors.acoustic import (
        AMBIENT_NOISE_DB,
        PROCESSING_GAIN_DB,
        audible_range_m,
        expand_nodes,
    )
    from dronewall.sensors.radar import snr_for_pd

    recs: list[dict[str, Any]] = []
    for s in sc.sensors:
        t = s.type
        if t in ("acoustic", "acoustic_grid"):
            lay = expand_nodes([s])  # type: ignore[list-item]
            for i, nid in enumerate(lay.ids):
                p = lay.params[i]
                budget = (COVERAGE_SOURCE_LEVEL_DB - AMBIENT_NOISE_DB[p.environment]
                          - p.detection_snr_db + PROCESSING_GAIN_DB)
                recs.append({"id": nid, "type": "acoustic", "group": s.id,
                             "lat": float(lay.lat_deg[i]), "lon": float(lay.lon_deg[i]),
                             "coverage_radius_m": round(float(audible_range_m(budget)), 1),
                             "basis": f"Pd 0.5 on a {COVERAGE_SOURCE_LEVEL_DB:g} dB source "
                                      f"({p.environment})"})
            continue
        if t == "radar":
            snr_ref = snr_for_pd(s.pd_ref, s.pfa, s.swerling)
            snr50 = snr_for_pd(COVERAGE_PD, s.pfa, s.swerling)
            # snr = snr_ref (rcs / rcs_ref) (range_ref / R)^4 = snr50  ->  R
            r = s.range_ref_m * (snr_ref * COVERAGE_RCS_M2 / s.rcs_ref_m2 / snr50) ** 0.25
            radius = min(r, s.max_range_m)
            basis = (f"single-scan Pd {COVERAGE_PD:g} on {COVERAGE_RCS_M2:g} m2, capped by "
                     "max_range_m (radar horizon not applied)")
        elif t == "eoir":
            radius, basis = s.max_range_m, "max_range_m"
        else:  # rf, adsb, remote_id
            radius, basis = s.range_m, "range_m"
        recs.append({"id": s.id, "type": t, "group": s.id, "lat": float(s.position[0]),
                     "lon": float(s.position[1]), "coverage_radius_m": round(float(radius), 1),
                     "basis": basis})
    return recs


# ----------------------------------------------------------------------------- the study


@dataclass
class StudyResult:
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


def _progress(enabled: bool, total: int) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[note]}"),
                    disable=not enabled, transient=False)


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
    sweep point, the first runs keep all their output tables (the others only summary.json).
    Writes runs.csv, summary.json, sensors.json and scenario.json in ``out_dir``.
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
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"--out {out}: cannot create the output directory ({e.strerror})") from None

    # Sweep points: validate each once; an invalid one fails its runs (with the reason).
    params = parse_sweep(sweep)
    points: list[tuple[dict[str, Any], Scenario | None, str]] = []
    if params:
        from ruamel.yaml import YAML

        from dronewall.pipeline.engagement import DOCTRINES

        doc = YAML(typ="safe", pure=True).load(scenario_path.read_text(encoding="utf-8"))
        sc_params = [p for p in params if p.path != DOCTRINE_PARAM]
        for combo in itertools.product(*(p.values for p in params)):
            pv = {p.path: v for p, v in zip(params, combo)}
            sc_combo = [v for p, v in zip(params, combo) if p.path != DOCTRINE_PARAM]
            d = apply_params(doc, sc_params, sc_combo)  # a bad path stops the study
            where = ", ".join(f"{k}={v!r}" for k, v in pv.items())
            doctrine = str(pv.get(DOCTRINE_PARAM, "planner"))
            if doctrine not in DOCTRINES:
                points.append((pv, None, f"--set doctrine={doctrine}: expected one of "
                                         f"{', '.join(DOCTRINES)}"))
                continue
            try:
                points.append((pv, validate_scenario_dict(d, f"{scenario_path} with {where}"), ""))
            except DronewallError as e:
                points.append((pv, None, str(e)))
    else:
        points.append(({}, base, ""))

    seeds = [run_seed(seed0, i) for i in range(runs)]
    tasks: list[RunTask] = []
    records: dict[int, dict[str, Any]] = {}
    for k, (pv, sc, err) in enumerate(points):
        for i in range(runs):
            run = k * runs + i
            rdir = out / "runs" / f"run-{run:04d}"
            if sc is None:
                records[run] = {"run": run, "point": k, "index": i, "seed": seeds[i],
                                "status": "failed", "error": err, "metrics": {}, "wall_s": 0.0}
                continue
            tasks.append(RunTask(run, k, i, seeds[i], sc, base_dir, str(rdir), duration_s,
                                 i < keep_full_runs, str(pv.get(DOCTRINE_PARAM, "planner"))))

    total = len(points) * runs
    backend = make_backend(len(tasks), workers, dask_address) if tasks else InProcessBackend()
    show = progress and sys.stderr.isatty()
    try:
        with _progress(show, total) as bar:
            task_id = bar.add_task(f"{base.name} ({backend.name})", total=total,
                                   completed=len(records), note="")
            n_failed = len(records)

            def done(rec: dict[str, Any]) -> None:
                nonlocal n_failed
                records[rec["run"]] = rec
                n_failed += rec["status"] != "ok"
                bar.update(task_id, advance=1,
                           note=f"[red]{n_failed} failed" if n_failed else "")

            backend.run(run_task, tasks, done)
    finally:
        backend.close()

    recs = [records[r] for r in sorted(records)]
    spend_types = sorted({k for r in recs for k in r["metrics"] if k.startswith("spend_eur_")})
    names = list(METRICS)
    at = names.index("spend_eur") + 1
    names[at:at] = spend_types
    failures = [{"run": r["run"], "seed": r["seed"], "params": points[r["point"]][0],
                 "error": r["error"]} for r in recs if r["status"] != "ok"]
    aggs = _aggregates(recs, names)
    sweep_out = None
    if params:
        sweep_out = {"parameters": [p.path for p in params], "points": [
            {"point": k, "params": pv,
             "runs_ok": sum(r["status"] == "ok" for r in recs if r["point"] == k),
             "runs_failed": sum(r["status"] != "ok" for r in recs if r["point"] == k),
             "error": err or None,
             "aggregates": _aggregates([r for r in recs if r["point"] == k], names)}
            for k, (pv, _, err) in enumerate(points)]}

    # runs.csv: one row per run, in run order; wall_s last (the only non-deterministic column).
    runs_csv = out / "runs.csv"
    with runs_csv.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["run", "point", "seed", *[p.path for p in params], "status", "error",
                    *names, "wall_s"])
        for r in recs:
            pv = points[r["point"]][0]
            w.writerow([r["run"], r["point"], r["seed"], *[_cell(pv[p.path]) for p in params],
                        r["status"], r["error"],
                        *[_cell(r["metrics"].get(k, math.nan)) for k in names],
                        _cell(round(r["wall_s"], 3))])

    scenario_out = base.model_copy(update={"time": base.time.model_copy(update={
        "duration_s": min(duration_s, base.time.duration_s)})}) if duration_s else base
    (out / "scenario.json").write_text(json.dumps(scenario_out.model_dump(mode="json"), indent=2),
                                       encoding="utf-8")
    sensors_json = out / "sensors.json"
    sensors_json.write_text(json.dumps(sensor_coverage(base), indent=1), encoding="utf-8")

    wall = [r["wall_s"] for r in recs if r["status"] == "ok"]
    summary = {
        "scenario": base.name, "scenario_file": scenario_path.name,
        "base_seed": seed0, "seeds": seeds, "duration_s": scenario_out.time.duration_s,
        "runs_per_point": runs, "runs_requested": total,
        "runs_ok": sum(r["status"] == "ok" for r in recs), "runs_failed": failures,
        "metrics": names,
        "metric_definitions": {k: {"meaning": v[0], "source": v[1]} for k, v in METRICS.items()},
        "aggregates": aggs, "sweep": sweep_out,
        "backend": backend.name if tasks else "none", "workers": backend.workers,
        "keep_full_runs": keep_full_runs,
        "files": {"runs": "runs.csv", "sensors": "sensors.json", "scenario": "scenario.json",
                  "run_dirs": "runs/run-XXXX"},
        "timing": {"wall_s": round(time.perf_counter() - t_wall0, 3),
                   "run_wall_s": aggregate(wall)},
    }
    summary = _json_safe(summary)
    summary_json = out / "summary.json"
    summary_json.write_text(json.dumps(summary, indent=2, allow_nan=False), encoding="utf-8")
    return StudyResult(out, runs_csv, summary_json, sensors_json, out / "scenario.json", names,
                       summary["aggregates"], failures, recs, summary["sweep"], summary)


#: Headline metrics printed after a study (name, label, format).
_HEADLINE = (("detected_ratio", "platforms detected", "{:.0%}"),
             ("alert_latency_s", "alert latency after the true crossing", "{:.1f} s"),
             ("warning_lead_time_s", "warning lead time", "{:.0f} s"),
             ("classification_accuracy", "classification accuracy", "{:.1%}"),
             ("leakers", "leakers per run", "{:.2f}"),
             ("neutralised", "threats neutralised per run", "{:.1f}"),
             ("spend_eur", "defender spend per run", "EUR {:,.0f}"),
             ("cost_exchange_ratio", "cost-exchange ratio", "{:.2f}"))


def print_study(res: StudyResult, report: Path | None = None, console: Any = None) -> None:
    """Console summary of a study: runs, failures, headline means with 95 % CIs, files."""
    from rich.console import Console

    c = console or Console()
    s = res.summary
    c.print(f"[bold]study[/bold] {s.get('scenario', '')}: {s.get('runs_ok', 0)} of "
            f"{s.get('runs_requested', 0)} runs ok, backend {s.get('backend')} "
            f"x{s.get('workers')}")
    for f in res.failures[:10]:
        c.print(f"  [red]run {f.get('run')} failed[/red] ({f.get('params') or ''}): {f.get('error')}")
    for key, label, fmt in _HEADLINE:
        a = res.aggregates.get(key)
        if not a or a.get("mean") is None or not a.get("n"):
            continue
        lo, hi = a.get("ci95_low"), a.get("ci95_high")
        ci = (f" (95 % CI {fmt.format(lo)} .. {fmt.format(hi)})"
              if lo is not None and hi is not None else "")
        c.print(f"  {label}: {fmt.format(a['mean'])}{ci}, n={a['n']}")
    c.print(f"  runs.csv, summary.json -> {res.out_dir}")
    if report is not None:
        c.print(f"  report -> {report}")
