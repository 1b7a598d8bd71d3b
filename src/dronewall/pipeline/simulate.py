"""``dronewall simulate``: truth -> sensors -> tracking engine -> files + summary.json.

Everything streams step by step (memory flat in scenario length): truth states come from the
simulator one step at a time, sensors turn each into a :class:`DetectionBatch`, the engine takes
it through the same ``step(t, detections)`` a live feed would use, and writers append rows.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from dronewall.catalog import PlatformClass
from dronewall.detections import DetectionBatch, SensorKind
from dronewall.errors import InputError, ScenarioError
from dronewall.geo import Frame
from dronewall.io import TableWriter, detection_columns
from dronewall.pipeline.engagement import DOCTRINES
from dronewall.pipeline.lifetime import track_pool, worker_init
from dronewall.pipeline.outdir import prepare_output_dir
from dronewall.pipeline.wiring import ChainRun
from dronewall.scenario import Scenario, load_scenario

#: A platform counts as "seen" at a step if some sensor truly detected it within this window, s
#: (the same window the tracking score uses for detectable truth).
SEEN_WINDOW_S = 10.0

#: Independent random streams derived from the seed (adding a sensor never changes truth; the
#: engagement stream is drawn only when a scenario has effectors, so it changes nothing else).
STREAM_TRUTH, STREAM_SENSORS, STREAM_ENGAGEMENT = 0, 1, 2


@dataclass
class SimulationResult:
    scenario: Scenario
    out_dir: Path
    summary: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)


def _rngs(seed: int) -> list[np.random.Generator]:
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]


class _DetectionStats:
    """Per sensor kind: counts of true / false / spoofed detections and detected platforms."""

    def __init__(self, n_platforms: int) -> None:
        self.n_platforms = n_platforms
        self.counts: dict[str, dict[str, int]] = {}
        self.first_det_t = {k.name.lower(): np.full(n_platforms, np.nan) for k in SensorKind}
        self.any_first_t = np.full(n_platforms, np.nan)
        self.per_sensor: dict[int, int] = {}
        self.last_true_t = np.full(n_platforms, -np.inf)
        self.seen_steps = np.zeros(n_platforms, dtype=np.int64)

    def count_seen(self, t: float, active: np.ndarray) -> None:
        """Count steps where a platform is active and truly detected within SEEN_WINDOW_S."""
        self.seen_steps += active & (t - self.last_true_t <= SEEN_WINDOW_S)

    def add(self, det: DetectionBatch, sensor_kind: np.ndarray) -> None:
        if not len(det):
            return
        kinds = sensor_kind[det.sensor]
        for k in np.unique(kinds):
            name = SensorKind(int(k)).name.lower()
            m = kinds == k
            tid = det.truth_id[m]
            c = self.counts.setdefault(name, {"detections": 0, "true": 0, "false_alarms": 0,
                                              "spoofed": 0})
            c["detections"] += int(m.sum())
            c["true"] += int((tid >= 0).sum())
            c["false_alarms"] += int((tid == -1).sum())
            c["spoofed"] += int((tid == -2).sum())
            ok = tid >= 0
            np.fmin.at(self.first_det_t[name], tid[ok], det.t[m][ok])
        ok = det.truth_id >= 0
        np.fmin.at(self.any_first_t, det.truth_id[ok], det.t[ok])
        np.maximum.at(self.last_true_t, det.truth_id[ok], det.t[ok])
        s, c = np.unique(det.sensor, return_counts=True)
        for si, ci in zip(s.tolist(), c.tolist(), strict=True):
            self.per_sensor[si] = self.per_sensor.get(si, 0) + ci


def run_simulation(scenario_path: Path | Scenario, out: Path, *, seed: int | None = None,
                   fmt: str = "csv", track: bool = True,
                   duration_s: float | None = None,
                   base_dir: Path | None = None, doctrine: str = "planner",
                   engage: bool = True,
                   compare_doctrines: bool | None = None,
                   progress: bool = False) -> SimulationResult:
    """Run one seeded simulation and write its outputs to ``out``.

    Sources (truth simulator -> simulated sensors) feed the stage chain
    (:mod:`dronewall.chain`: tracking -> classification & trust -> airspace -> threat ->
    engagement), whose step records go to the sinks (tables, event files) and to the scorers
    that compare them with the truth.

    ``duration_s`` optionally cuts the scenario short (demo, tests). ``base_dir`` resolves zone
    files of a Scenario object (default: the scenario file's folder).

    Simulated engagements (scenarios with ``effectors``, tracking on, ``engage`` true): the
    engagement stage assigns effectors with ``doctrine`` -- ``planner`` (the cost-aware
    planner), ``missile_first``, ``nearest_capable``, or ``oracle`` (the planner on perfect
    information: true positions, classes and intents; no sensors, no tracking;
    :mod:`dronewall.pipeline.oracle`) -- and killed platforms leave the truth.
    ``compare_doctrines`` re-runs the same scenario and seed with the two naive doctrines and
    the oracle (in worker processes, in parallel with this run) and adds their metrics to
    ``summary.json``; ``None`` (default): on when this run engages with the planner.
    ``progress``: report progress on stderr (a bar on a terminal, a line at least every 10 s
    otherwise).
    """
    t_wall0 = time.perf_counter()
    if isinstance(scenario_path, Scenario):
        sc = scenario_path
    else:
        sc = load_scenario(scenario_path)
        base_dir = base_dir or Path(scenario_path).parent

    from dronewall.sensors import SensorSuite
    from dronewall.sim.truth import TruthSimulator

    if duration_s is not None:
        sc = sc.model_copy(update={"time": sc.time.model_copy(
            update={"duration_s": min(duration_s, sc.time.duration_s)})})
    seed = sc.seed if seed is None else seed
    rng_truth, rng_sens, rng_eng, rng_ops = _rngs(seed)
    engaging = will_engage(sc, track=track, engage=engage)
    if doctrine not in DOCTRINES:
        raise InputError(f"doctrine: got {doctrine!r}; expected {', '.join(DOCTRINES)}")
    if compare_doctrines is None:
        compare_doctrines = engaging and doctrine == "planner"
    compare_doctrines = bool(compare_doctrines and engaging)
    out = Path(out)
    run_dir = prepare_output_dir(out, "simulate")  # refuses or cleans; summary.json last

    sim = TruthSimulator(sc, rng_truth)
    try:
        suite = SensorSuite.from_scenario(sc, rng_sens)
    except ScenarioError as e:   # e.g. an outage naming a grid node the grid does not have
        if isinstance(scenario_path, Scenario):
            raise
        raise ScenarioError(f"{scenario_path}: {e}") from None
    plat = sim.platforms
    frame = Frame(sc.origin.lat_deg, sc.origin.lon_deg, sc.origin.alt_m)

    from dronewall.pipeline.airspace import scenario_zones

    zoning = scenario_zones(sc, base_dir)
    zones = zoning[0] if zoning is not None else None
    oracle = engaging and doctrine == "oracle"
    future = None
    if oracle:  # perfect information: the truth's future, from a second simulator on the seed
        from dronewall.pipeline.oracle import TruthFuture

        future = TruthFuture(TruthSimulator(_extended(sc, ORACLE_LOOKAHEAD_S), _rngs(seed)[0]),
                             frame)
    run = ChainRun(sc, seed, out, fmt, frame, suite, plat, zones, zoning, rng_eng, track=track,
                   engaging=engaging, doctrine=doctrine, rng_ops=rng_ops, truth_future=future)
    pool = (_start_doctrine_runs(sc, seed, fmt, base_dir if base_dir is not None else
                                 (Path(scenario_path).parent if not isinstance(
                                     scenario_path, Scenario) else None))
            if compare_doctrines else None)

    from dronewall.pipeline.progress import Progress

    w_truth = TableWriter(out / "truth", fmt)
    w_det = TableWriter(out / "detections", fmt)
    stats = _DetectionStats(len(plat))
    active_steps = np.zeros(len(plat), dtype=np.int64)
    launch_t = np.full(len(plat), np.nan)
    pid = plat.ids.astype(str)
    t_sim = t_sens = 0.0
    n_steps = 0
    it = sim.states()
    with Progress(sc.time.duration_s, "simulate", "s simulated", enabled=progress,
                  min_gap_s=10.0) as prog:
        while True:
            t0 = time.perf_counter()
            try:
                st = next(it)
            except StopIteration:
                break
            t1 = time.perf_counter()
            # the oracle sees the truth, not the sensors
            det = DetectionBatch.empty() if oracle else suite.observe(st, plat)
            t2 = time.perf_counter()
            t_sim += t1 - t0
            t_sens += t2 - t1
            n_steps += 1
            act = st.active
            active_steps += act
            newly = act & np.isnan(launch_t)
            launch_t[newly] = st.t
            if act.any():
                w_truth.append({
                    "t_s": np.full(int(act.sum()), st.t),
                    "platform_id": pid[act].tolist(),
                    "lat_deg": st.lat_deg[act], "lon_deg": st.lon_deg[act],
                    "alt_m": st.alt_m[act], "ve_mps": st.vel_enu[act, 0],
                    "vn_mps": st.vel_enu[act, 1], "vu_mps": st.vel_enu[act, 2],
                    "gnss_jammed": st.jammed[act],
                })
            if len(det):
                cols = detection_columns(det, suite.table)
                real = det.truth_id >= 0      # (a scenario with no platforms: false alarms only)
                tp = np.where(det.truth_id == -2, "<spoofed>", "").astype(object)
                tp[real] = pid[det.truth_id[real]]
                cols["truth_platform"] = tp.tolist()
                w_det.append(cols)
            stats.add(det, suite.table.kind)
            stats.count_seen(st.t, act)
            killed = run.step(st, det)
            if killed.size:
                sim.kill(killed, st.t)  # inactive from the next step on
            prog.update(st.t)
        prog.note("writing outputs")
    files = {"truth": str(w_truth.close(_EMPTY_TRUTH)), "detections": str(w_det.close(None) if
                                                                         w_det.total_rows else
                                                                         _empty_det(out, fmt))}
    _write_platforms(out, plat, launch_t, fmt)
    files["platforms"] = str(out / f"platforms.{fmt}")

    summary = _summary(sc, seed, plat, suite.table, stats, active_steps, launch_t, n_steps)
    timing = {"truth_s": round(t_sim, 3), "sensors_s": round(t_sens, 3)}
    run.finish(summary, files, timing)
    if pool is not None:
        from dronewall.pipeline.engagement import comparison

        runs = _finish_doctrine_runs(pool, out, fmt)
        summary["engagement"]["doctrines"] = {k: v["summary"] for k, v in runs.items()}
        summary["engagement"]["comparison"] = comparison(
            {doctrine: summary["engagement"], **{k: v["summary"] for k, v in runs.items()}})
        for k, v in runs.items():
            files[f"engagements_{k}"] = v["file"]
            timing[f"doctrine_{k}_wall_s"] = v["wall_s"]
    wall = time.perf_counter() - t_wall0
    timing["total_wall_s"] = round(wall, 3)
    timing["faster_than_real_time"] = round(sc.time.duration_s / wall, 1) if wall > 0 else None
    summary["timing"] = timing
    summary["files"] = {k: Path(v).name for k, v in files.items()}  # relative to out/
    run_dir.write_summary(json.dumps(_det_json(summary), indent=2, sort_keys=True))
    run_dir.complete()
    files["summary"] = str(out / "summary.json")
    return SimulationResult(sc, out, summary, files)


#: The oracle knows the truth this far beyond the end of the run, s: its threats' intents
#: (the valued zone a drone is flying to) do not stop at the scenario's end.
ORACLE_LOOKAHEAD_S = 3_600.0


def _extended(sc: Scenario, extra_s: float) -> Scenario:
    """The scenario run ``extra_s`` longer (same traffic, same truth up to its end)."""
    return sc.model_copy(update={"time": sc.time.model_copy(
        update={"duration_s": sc.time.duration_s + extra_s})})


def announce(scenario_path: Path, *, track: bool, engage: bool,
             compare_doctrines: bool | None, duration_s: float | None) -> None:
    """Tell the user up front what a ``simulate`` run will do and how long it covers, in
    particular when it also runs the comparison doctrines (and how to switch that off)."""
    import sys

    sc = load_scenario(scenario_path)
    dur = min(duration_s, sc.time.duration_s) if duration_s else sc.time.duration_s
    msg = (f"simulate: {sc.name}, {dur / 60:.0f} min of scenario time"
           + (", tracking" if track else ", truth and sensors only (--no-track)"))
    engaging = will_engage(sc, track=track, engage=engage)
    if engaging:
        msg += f", engagements with {len(sc.effectors)} effector sites"
        if compare_doctrines is None or compare_doctrines:
            msg += (".\nsimulate: also running the naive doctrines missile_first and "
                    "nearest_capable and the perfect-information oracle on the same seed in "
                    f"{len(COMPARED_DOCTRINES)} worker processes for comparison "
                    "(--no-compare-doctrines switches this off)")
    sys.stderr.write(msg + ".\n")


def will_engage(sc: Scenario, *, track: bool = True, engage: bool = True) -> bool:
    """Whether a run of ``sc`` simulates engagements (tracking on, engagements on, effectors)."""
    return bool(engage and track and sc.effectors)


#: The naive doctrines and the perfect-information ceiling every planner run is compared with
#: (``compare_doctrines``).
COMPARED_DOCTRINES = ("missile_first", "nearest_capable", "oracle")


def _doctrine_run(sc: Scenario, seed: int, fmt: str, base_dir: Path | None,
                  doctrine: str) -> dict[str, Any]:
    """One comparison run (worker process): the same scenario and seed with ``doctrine``;
    returns its engagement metrics and its engagements table (bytes)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f"dronewall-{doctrine}-") as tmp:
        res = run_simulation(sc, Path(tmp), seed=seed, fmt=fmt, track=True, base_dir=base_dir,
                             doctrine=doctrine, compare_doctrines=False)
        data = Path(res.files["engagements"]).read_bytes()
        return {"summary": res.summary["engagement"], "data": data,
                "wall_s": res.summary["timing"]["total_wall_s"]}


def _start_doctrine_runs(sc: Scenario, seed: int, fmt: str, base_dir: Path | None) -> Any:
    """Start the comparison runs in worker processes (they run while this run does); None
    when no process pool can be started (they then run one after the other at the end)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    args = (sc, seed, fmt, base_dir)
    try:
        ex = track_pool(ProcessPoolExecutor(max_workers=len(COMPARED_DOCTRINES),
                                            mp_context=multiprocessing.get_context("spawn"),
                                            initializer=worker_init, initargs=(os.getpid(),)))
        return ex, args, {d: ex.submit(_doctrine_run, *args, d) for d in COMPARED_DOCTRINES}
    except (OSError, ValueError, RuntimeError):
        return None, args, {}


def _finish_doctrine_runs(pool: Any, out: Path, fmt: str) -> dict[str, dict[str, Any]]:
    """Collect the comparison runs; write each one's table as ``engagements_<doctrine>``."""
    from concurrent.futures.process import BrokenProcessPool

    ex, args, futs = pool
    runs: dict[str, dict[str, Any]] = {}
    try:
        for d in COMPARED_DOCTRINES:
            try:
                runs[d] = futs[d].result() if d in futs else _doctrine_run(*args, d)
            except BrokenProcessPool:
                runs[d] = _doctrine_run(*args, d)
    finally:
        if ex is not None:
            ex.shutdown(wait=True, cancel_futures=True)
    for d, r in runs.items():
        path = out / f"engagements_{d}.{fmt}"
        path.write_bytes(r.pop("data"))
        r["file"] = str(path)
    return runs


def _det_json(summary: dict[str, Any]) -> dict[str, Any]:
    """summary.json without wall-clock timings, so identical seeds give identical bytes."""
    return {k: v for k, v in summary.items() if k != "timing"}


_EMPTY_TRUTH = {"t_s": pa.float64(), "platform_id": pa.string(), "lat_deg": pa.float64(),
                "lon_deg": pa.float64(), "alt_m": pa.float64(), "ve_mps": pa.float64(),
                "vn_mps": pa.float64(), "vu_mps": pa.float64(), "gnss_jammed": pa.bool_()}


def _empty_det(out: Path, fmt: str) -> Path:
    cols = detection_columns(DetectionBatch.empty(), _NullSensors())
    cols["truth_platform"] = []
    w = TableWriter(out / "detections", fmt)
    schema = {k: (pa.string() if isinstance(v, list) else pa.from_numpy_dtype(np.asarray(v).dtype))
              for k, v in cols.items()}
    return w.close(schema)


class _NullSensors:
    ids = np.zeros(0, dtype=object)
    kind = np.zeros(0, dtype=np.int8)


def _write_platforms(out: Path, plat: Any, launch_t: np.ndarray, fmt: str) -> None:
    from dronewall.catalog import AcousticClass, RFProtocol

    w = TableWriter(out / "platforms", fmt)
    w.append({
        "platform_id": plat.ids.astype(str).tolist(),
        "group": plat.group.astype(str).tolist(),
        "platform": plat.platform.astype(str).tolist(),
        "class": [PlatformClass(int(c)).name.lower() for c in plat.cls],
        "rcs_m2": plat.rcs_m2,
        "acoustic_sl_db": plat.acoustic_sl_db,
        "acoustic_class": [AcousticClass(int(c)).name.lower() for c in plat.acoustic_class],
        "rf_protocol": [RFProtocol(int(c)).name.lower() for c in plat.rf_protocol],
        "adsb": plat.adsb, "remote_id": plat.remote_id,
        "icao24": plat.icao24.astype(str).tolist(), "callsign": plat.callsign.astype(str).tolist(),
        "rid_serial": plat.rid_serial.astype(str).tolist(),
        "first_active_t_s": launch_t,
    })
    f, t, b = pa.float64(), pa.string(), pa.bool_()
    w.close({"platform_id": t, "group": t, "platform": t, "class": t, "rcs_m2": f,
             "acoustic_sl_db": f, "acoustic_class": t, "rf_protocol": t, "adsb": b,
             "remote_id": b, "icao24": t, "callsign": t, "rid_serial": t,
             "first_active_t_s": f})   # a scenario with no platforms: header only


def _summary(sc: Scenario, seed: int, plat: Any, sensors: Any, stats: _DetectionStats,
             active_steps: np.ndarray, launch_t: np.ndarray, n_steps: int) -> dict[str, Any]:
    flown = active_steps > 0
    classes: dict[str, Any] = {}
    for c in PlatformClass:
        m = (plat.cls == c) & flown
        if not m.any():
            continue
        det = ~np.isnan(stats.any_first_t[m])
        delay = stats.any_first_t[m][det] - launch_t[m][det]
        entry: dict[str, Any] = {
            "platforms": int(m.sum()),
            "detected_by_any_sensor": int(det.sum()),
            "detected_ratio": round(float(det.mean()), 4),
            "median_first_detection_after_launch_s": (round(float(np.median(delay)), 1)
                                                      if delay.size else None),
            "seen_fraction_of_flight_time": round(
                float(stats.seen_steps[m].sum() / max(active_steps[m].sum(), 1)), 4),
        }
        by_kind = {}
        for kname, ft in stats.first_det_t.items():
            d = ~np.isnan(ft[m])
            if d.any():
                by_kind[kname] = round(float(d.mean()), 4)
        entry["detected_ratio_by_sensor_kind"] = by_kind
        classes[c.name.lower()] = entry
    sensor_kinds = {}
    for k in SensorKind:
        n = int((sensors.kind == k).sum())
        if n:
            sensor_kinds[k.name.lower()] = n
    det_counts = {k: dict(v) for k, v in sorted(stats.counts.items())}
    for v in det_counts.values():
        v["false_alarm_ratio"] = (round(v["false_alarms"] / v["detections"], 4)
                                  if v["detections"] else 0.0)
    busiest = sorted(stats.per_sensor.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return {
        "scenario": sc.name,
        "seed": seed,
        "start_utc": sc.time.start.isoformat(),
        "duration_s": sc.time.duration_s,
        "steps": n_steps,
        "platforms": {"total": len(plat), "flown": int(flown.sum()), "by_class": classes},
        "sensors": {"total": len(sensors), "by_kind": sensor_kinds},
        "detections": {
            "total": int(sum(v["detections"] for v in det_counts.values())),
            "by_sensor_kind": det_counts,
            "busiest_sensors": {str(sensors.ids[i]): c for i, c in busiest},
        },
    }
