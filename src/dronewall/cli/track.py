"""``dronewall track``: run the engine on the neutral 2-D benchmark format.

Reads only ``scan,time,x,y`` of ``detections.csv`` and ``sigma``, ``pd``,
``clutter_density_per_m2``, ``dt`` (and ``scans`` if present) of ``scenario.json`` (format of
``../shared/bench/stonesoup/README.md``); runs :class:`dronewall.tracking.Engine` in 2-D XY
mode, one ``step`` per scan; writes ``scan,time,track_id,x,y``, one row per confirmed track per
scan (its state after that scan: updated or coasted).

Input and output are streamed scan by scan, so memory does not grow with the run length.
Timing covers only ``Engine.step`` (``track_wall_s``); parsing and writing are timed apart.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.errors import DataFormatError
from dronewall.inputs import atomic_output, check_output_file, csv_rows, excerpt, finite_number
from dronewall.inputs.jsondoc import load_json
from dronewall.inputs.limits import MAX_ABS_TIME_S, MAX_ABS_XY_M, MAX_SCAN_INDEX

#: Columns of detections.csv the tracker is allowed to read (the rest is analysis-only truth).
REQUIRED_COLUMNS = ("scan", "time", "x", "y")
#: scenario.json keys used (a real system knows these from sensor calibration).
SCENARIO_KEYS = ("sigma", "pd", "clutter_density_per_m2", "dt")

# Engine settings for the benchmark (same tuning budget as the Stone Soup baseline: see
# docs/benchmarks.md, section 3). Times are in scan periods dt.
BENCH_Q_M2PS3 = 1.0            #: IMM quiet-model process noise; the manoeuvre model covers turns
BENCH_CV_ONLY_Q_M2PS3 = 3.0    #: single-model CV process noise (the Stone Soup baseline's q)
BENCH_IMM_Q_HIGH_M2PS3 = 20.0  #: manoeuvre model (turns up to ~3 m/s^2 lateral)
BENCH_IMM_QUIET_PROB = 0.99    #: new tracks start in the quiet model (rare turns: p = 0.02/scan)
BENCH_GATE = 4.0               #: Mahalanobis gate, as Stone Soup's missed_distance
BENCH_COAST_SCANS = 4.5        #: confirmed track deleted after 5 missed scans (as the baseline)
BENCH_TENTATIVE_COAST_SCANS = 1.5  #: tentative deleted after 2 missed scans (as the baseline)


#: Bounds of scenario.json values, with the reason: sigma above the engine's absurd-measurement
#: limit would quarantine every detection; dt and scans bound the run length.
SCENARIO_BOUNDS = {"sigma": (0.0, 1.0e5), "pd": (0.0, 1.0), "clutter_density_per_m2": (0.0, 1.0),
                   "dt": (0.0, 86_400.0), "scans": (0.0, float(MAX_SCAN_INDEX))}


def _load_scenario(path: Path) -> dict[str, float]:
    data = load_json(path, "scenario JSON file")
    if not isinstance(data, dict):
        raise DataFormatError(f"{path}: expected a JSON object at the top level, got "
                              f"{type(data).__name__}")
    out: dict[str, float] = {}
    for k in SCENARIO_KEYS + ("scans",):
        if k not in data:
            if k == "scans":
                continue
            raise DataFormatError(f"{path}: missing key '{k}' (expected a number)")
        lo, hi = SCENARIO_BOUNDS[k]
        v = finite_number(data[k], f"{path}: key '{k}'", lo=lo, hi=hi)
        if v <= lo and k != "scans":
            raise DataFormatError(f"{path}: key '{k}': got {excerpt(data[k])}; expected a "
                                  f"number > {lo:g}")
        out[k] = v
    return out


def _read_scans(path: Path) -> Iterator[tuple[int, float, np.ndarray]]:
    """Yield (scan, time, xy (k, 2)) per scan, in file order; validates every value."""
    rows = csv_rows(path, "detections file")
    try:
        _, header = next(rows)
    except StopIteration:
        raise DataFormatError(f"{path}: line 1: empty file, expected a header with "
                              f"columns {', '.join(REQUIRED_COLUMNS)}") from None
    header = [h.strip() for h in header]
    idx = {}
    for c in REQUIRED_COLUMNS:
        if c not in header:
            raise DataFormatError(f"{path}: line 1: missing column '{c}' (header has "
                                  f"{excerpt(', '.join(header))})")
        idx[c] = header.index(c)
    i_s, i_t, i_x, i_y = (idx[c] for c in REQUIRED_COLUMNS)
    ncol = len(header)
    cur_scan: int | None = None
    cur_t = 0.0
    xs: list[float] = []
    ys: list[float] = []
    for line, row in rows:
        if not row:
            continue
        if len(row) < ncol:
            raise DataFormatError(f"{path}: line {line}: expected {ncol} columns, got "
                                  f"{len(row)}")
        scan = _scan_index(row[i_s], path, line)
        vals = [finite_number(row[i], f"{path}: line {line}, column '{name}'", lo=-lim, hi=lim,
                              what=what)
                for name, i, lim, what in (
                    ("time", i_t, MAX_ABS_TIME_S, "a number of seconds"),
                    ("x", i_x, MAX_ABS_XY_M, "a number of metres"),
                    ("y", i_y, MAX_ABS_XY_M, "a number of metres"))]
        if cur_scan is not None and scan != cur_scan:
            if scan < cur_scan:
                raise DataFormatError(f"{path}: line {line}, column 'scan': scans must be "
                                      f"in ascending order ({scan} after {cur_scan})")
            yield cur_scan, cur_t, np.column_stack([xs, ys]) if xs else np.zeros((0, 2))
            xs, ys = [], []
        cur_scan, cur_t = scan, vals[0]
        xs.append(vals[1])
        ys.append(vals[2])
    if cur_scan is not None:
        yield cur_scan, cur_t, np.column_stack([xs, ys])


def _scan_index(text: str, path: Path, line: int) -> int:
    s = text.strip()
    where = f"{path}: line {line}, column 'scan'"
    if not (s.isascii() and s.lstrip("+").isdigit()) or len(s) > 12:
        raise DataFormatError(f"{where}: got {excerpt(text)}; expected an integer in "
                              f"[0, {MAX_SCAN_INDEX:,}]")
    v = int(s)
    if v > MAX_SCAN_INDEX:
        raise DataFormatError(f"{where}: got {excerpt(text)}; expected an integer in "
                              f"[0, {MAX_SCAN_INDEX:,}] (docs/limits.md)")
    return v


def track_command(detections: Path, scenario_json: Path, out: Path, assoc: str = "gnn",
                  imm: bool = True, max_scans: int | None = None) -> dict[str, Any]:
    """Track a neutral-format scenario; write tracks.csv; return run statistics.

    Raises :class:`dronewall.errors.DataFormatError` on unreadable or malformed input (the
    message names the file, line and column).
    """
    from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind, SensorTable
    from dronewall.geo.frames import Frame
    from dronewall.tracking import Engine, TrackerConfig

    if assoc not in ("gnn", "jpda"):
        raise DataFormatError(f"assoc must be 'gnn' or 'jpda', got {assoc!r}")
    detections, scenario_json, out = Path(detections), Path(scenario_json), Path(out)
    check_output_file(out)          # before any work: a bad --out fails in milliseconds
    sc = _load_scenario(scenario_json)
    dt = sc["dt"]
    cfg = TrackerConfig(
        dims=2, q_horizontal_m2ps3=BENCH_Q_M2PS3 if imm else BENCH_CV_ONLY_Q_M2PS3,
        gate_mahalanobis=BENCH_GATE,
        confirm_m=2, confirm_n=3, coast_time_s=BENCH_COAST_SCANS * dt,
        tentative_coast_time_s=BENCH_TENTATIVE_COAST_SCANS * dt, pd=sc["pd"],
        clutter_density=sc["clutter_density_per_m2"], association=assoc,  # type: ignore[arg-type]
        imm=imm, imm_q_high_m2ps3=BENCH_IMM_Q_HIGH_M2PS3,
        imm_initial_quiet_prob=BENCH_IMM_QUIET_PROB, initial_capacity=1024,
        surveillance_radius_m=2.0 * MAX_ABS_XY_M)
    frame = Frame(0.0, 0.0, 0.0)
    sensors = SensorTable.build(["xy"], [SensorKind.XY], [0.0], [0.0], [0.0])
    eng = Engine(cfg, frame, sensors)
    R1 = np.diag([sc["sigma"] ** 2, sc["sigma"] ** 2])
    n_scans_json = int(sc["scans"]) if "scans" in sc else None

    step_wall: list[float] = []
    cpu = 0.0
    load_s = write_s = 0.0
    n_det = 0
    n_rows = 0
    last_scan = -1
    last_t = 0.0
    quarantined: dict[str, int] = {}
    skipped = 0
    pending = 0     # detections the engine holds back (reorder buffer) after the last step

    def run_scan(scan: int, t: float, xy: np.ndarray, fo: Any) -> None:
        nonlocal cpu, write_s, n_rows, skipped, pending
        k = xy.shape[0]
        if k == 0 and eng.n_tracks == 0 and pending == 0:
            skipped += 1    # nothing to predict, update or write: an empty scan is a no-op
            return
        batch = DetectionBatch.empty() if k == 0 else DetectionBatch.create(
            t=np.full(k, t), sensor=np.zeros(k, np.int32),
            meas_kind=np.full(k, int(MeasKind.XY), np.int8), z=xy,
            R=np.broadcast_to(R1, (k, 2, 2)))
        w0, c0 = time.perf_counter(), time.process_time()
        res = eng.step(t, batch)
        pending = res.n_pending
        step_wall.append(time.perf_counter() - w0)
        cpu += time.process_time() - c0
        for r, c in res.quarantined.items():
            quarantined[r] = quarantined.get(r, 0) + c
        w1 = time.perf_counter()
        T = eng.T
        n = T.n
        conf = np.flatnonzero(T.status[:n] == 2)
        if conf.size:
            conf = conf[np.argsort(T.ids[conf], kind="stable")]
            block = np.column_stack([np.full(conf.size, scan), np.full(conf.size, t),
                                     T.ids[conf], T.x[conf, 0], T.x[conf, 1]])
            np.savetxt(fo, block, fmt=["%d", "%.3f", "%d", "%.3f", "%.3f"], delimiter=",")
            n_rows += conf.size
        write_s += time.perf_counter() - w1

    def run_gap(first: int, stop: int, t0: float, scan0: int, fo: Any) -> None:
        """Scans ``first`` .. ``stop - 1`` have no detection (time ``t0 + (scan - scan0) dt``):
        stepped while there is something to coast, the rest of the gap skipped at once (one
        empty step per scan would make ``scan = 9,999,999`` take minutes)."""
        nonlocal skipped
        for missing in range(first, stop):
            if eng.n_tracks == 0 and pending == 0:
                skipped += stop - missing
                return
            run_scan(missing, t0 + (missing - scan0) * dt, np.zeros((0, 2)), fo)

    with atomic_output(out) as fo:
        fo.write("scan,time,track_id,x,y\n")
        it = _read_scans(detections)
        while True:
            l0 = time.perf_counter()
            try:
                scan, t, xy = next(it)
            except StopIteration:
                load_s += time.perf_counter() - l0
                break
            load_s += time.perf_counter() - l0
            if max_scans is not None and scan >= max_scans:
                break
            run_gap(last_scan + 1, scan, last_t, last_scan, fo)   # scans without any detection
            run_scan(scan, t, xy, fo)
            n_det += xy.shape[0]
            last_scan, last_t = scan, t
        end = n_scans_json if n_scans_json is not None else last_scan + 1
        if max_scans is not None:
            end = min(end, max_scans)
        run_gap(last_scan + 1, end, last_t, last_scan, fo)
    sw = np.array(step_wall) if step_wall else np.zeros(1)
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "tracker": f"dronewall-{assoc}{'-imm' if imm else ''}",
        "scans_processed": len(step_wall) + skipped,
        "empty_scans_skipped": skipped,
        "detections": n_det,
        "track_wall_s": float(sw.sum()),
        "track_cpu_s": cpu,
        "ms_per_scan": 1000.0 * float(sw.sum()) / max(len(step_wall), 1),
        "ms_per_scan_median": 1000.0 * float(np.median(sw)),
        "ms_per_scan_max": 1000.0 * float(sw.max()),
        "load_s": load_s,
        "write_s": write_s,
        "rows_written": n_rows,
        "tracks_alive_end": eng.n_tracks,
        "quarantined": quarantined,
        "peak_rss_mib": maxrss_kb / 1024.0 if sys.platform != "darwin" else maxrss_kb / 2 ** 20,
    }


def main(argv: list[str] | None = None) -> int:
    """Minimal argparse entry point (the typer app wraps :func:`track_command`)."""
    import argparse

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("detections", type=Path)
    ap.add_argument("--scenario-json", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--assoc", default="gnn", choices=["gnn", "jpda"])
    ap.add_argument("--no-imm", action="store_true")
    ap.add_argument("--max-scans", type=int, default=None)
    ap.add_argument("--stats", type=Path, default=None, help="write run statistics JSON here")
    a = ap.parse_args(argv)
    try:
        stats = track_command(a.detections, a.scenario_json, a.out, a.assoc,
                              imm=not a.no_imm, max_scans=a.max_scans)
    except DataFormatError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if a.stats:
        a.stats.write_text(json.dumps(stats, indent=2))
    print(json.dumps(stats, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
