#!/usr/bin/env python3
"""dronewall tracker vs Stone Soup 1.9.1 on the shared neutral scenarios, in one run.

Steps (all numbers measured in this run, on this machine):

1. generate scenarios with ../shared/bench/stonesoup/gen_scenario.py: N = 10, 100, 1000
   (seed 1000 + N, 100 scans) and N = 10000 (seed 11000, --scans-10k scans); plus an N = 1000,
   400-scan scenario (seed 2000) for the memory-vs-length check;
2. run ``python -m dronewall.cli.track`` (the function behind ``dronewall track``) pinned to one
   core (taskset -c 0, BLAS/OpenMP threads = 1), and Stone Soup's run_stonesoup.py with
   ``--assoc gnn`` (N = 1000 capped by --ss-gnn-max-scans and --time-limit) and
   ``--assoc gnn-kdtree``;
3. score every tracks.csv with the shared score.py (``--only-tracked-scans`` for capped runs);
4. print a markdown table and write everything to ``--out``/results.json.

Peak RSS is the child's ru_maxrss (os.wait4). Usage:

    SSPY=/tmp/ssvenv/bin/python .venv/bin/python bench/track_vs_stonesoup.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(os.environ.get("DRONEWALL_SHARED",
                            Path(__file__).resolve().parents[2] / "shared")) / "bench" / "stonesoup"
REPO = Path(__file__).resolve().parents[1]


def run(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run a child, return wall seconds and peak RSS (MiB)."""
    t0 = time.perf_counter()
    with log.open("w") as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        raise SystemExit(f"command failed ({rc}): {' '.join(cmd)}; see {log}")
    return {"process_wall_s": wall, "peak_rss_mib": ru.ru_maxrss / 1024.0}


def gen(py: str, data: Path, n: int, scans: int, seed: int) -> Path:
    d = data / f"n{n}_s{scans}_seed{seed}"
    if not (d / "scenario.json").exists():
        d.mkdir(parents=True, exist_ok=True)
        subprocess.run([py, str(SHARED / "gen_scenario.py"), "--n-targets", str(n), "--scans",
                        str(scans), "--seed", str(seed), "--out", str(d)], check=True,
                       capture_output=True)
    return d


def score(py: str, d: Path, tracks: Path, only_tracked: bool) -> dict:
    cmd = [py, str(SHARED / "score.py"), "--truth", str(d / "truth.csv"), "--tracks",
           str(tracks)]
    if only_tracked:
        cmd.append("--only-tracked-scans")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "bench/results/tmp/tracking",
                    help="run folder (git-ignored by default: tracks.csv files are large)")
    ap.add_argument("--data", type=Path, default=REPO / "bench/data/stonesoup")
    ap.add_argument("--sspy", default=os.environ.get("SSPY", "/tmp/ssvenv/bin/python"))
    ap.add_argument("--ns", default="10,100,1000")
    ap.add_argument("--scans-10k", type=int, default=20)
    ap.add_argument("--ss-gnn-max-scans", type=int, default=6,
                    help="cap for Stone Soup brute-force gnn at N = 1000 (~24 s/scan)")
    ap.add_argument("--ss-time-limit", type=float, default=600.0)
    ap.add_argument("--skip-stonesoup", action="store_true")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    dwpy = sys.executable
    env1 = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    pin = ["taskset", "-c", "0"]
    rows: list[dict] = []

    def dronewall(d: Path, tag: str, max_scans: int | None = None, extra: list[str] = ()) -> dict:
        tracks = a.out / f"{tag}.tracks.csv"
        stats_p = a.out / f"{tag}.stats.json"
        cmd = pin + [dwpy, "-m", "dronewall.cli.track", str(d / "detections.csv"),
                     "--scenario-json", str(d / "scenario.json"), "--out", str(tracks),
                     "--stats", str(stats_p), *extra]
        if max_scans:
            cmd += ["--max-scans", str(max_scans)]
        proc = run(cmd, a.out / f"{tag}.log", env1)
        st = json.loads(stats_p.read_text())
        st.update(proc)
        st["score"] = score(dwpy, d, tracks, max_scans is not None)
        return st

    def stonesoup(d: Path, tag: str, assoc: str, max_scans: int | None = None) -> dict:
        tracks = a.out / f"{tag}.tracks.csv"
        stats_p = a.out / f"{tag}.stats.json"
        cmd = pin + [a.sspy, str(SHARED / "run_stonesoup.py"), "--det", str(d / "detections.csv"),
                     "--scenario", str(d / "scenario.json"), "--out", str(tracks), "--stats",
                     str(stats_p), "--assoc", assoc, "--time-limit", str(a.ss_time_limit)]
        if max_scans:
            cmd += ["--max-scans", str(max_scans)]
        proc = run(cmd, a.out / f"{tag}.log", env1)
        st = json.loads(stats_p.read_text())
        st.update(proc)
        st["ms_per_scan"] = st["ms_per_scan_mean"]
        capped = bool(max_scans) or bool(st.get("stopped_early"))
        st["score"] = score(dwpy, d, tracks, capped)
        return st

    ns = [int(x) for x in a.ns.split(",") if x]
    for n in ns:
        d = gen(dwpy, a.data, n, 100, 1000 + n)
        r = {"N": n, "scans": 100, "dronewall": dronewall(d, f"dw_n{n}")}
        # same scans as the capped Stone Soup gnn run, for a like-for-like GOSPA
        if not a.skip_stonesoup:
            cap = a.ss_gnn_max_scans if n >= 1000 else None
            r["ss_gnn"] = stonesoup(d, f"ss_gnn_n{n}", "gnn", cap)
            r["ss_gnn_kdtree"] = stonesoup(d, f"ss_gnnkd_n{n}", "gnn-kdtree")
            if cap:
                r["dronewall_capped"] = dronewall(d, f"dw_n{n}_cap{cap}", cap)
        rows.append(r)
        print(json.dumps({k: (v["score"]["gospa_mean"], v.get("ms_per_scan"))
                          for k, v in r.items() if isinstance(v, dict)}), flush=True)
    if a.scans_10k > 0:
        d = gen(dwpy, a.data, 10000, a.scans_10k, 11000)
        rows.append({"N": 10000, "scans": a.scans_10k, "dronewall": dronewall(d, "dw_n10000")})
    # memory vs run length (same tracker, same 400-scan scenario, 100 vs 400 scans)
    d = gen(dwpy, a.data, 1000, 400, 2000)
    mem = {"rss_100": dronewall(d, "dw_mem_100", 100)["peak_rss_mib"],
           "rss_400": dronewall(d, "dw_mem_400")["peak_rss_mib"]}
    meta = {
        "nproc": os.cpu_count(),
        "cpu": subprocess.run("lscpu | grep 'Model name'", shell=True, check=False,
                              capture_output=True, text=True).stdout.strip(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "pinned": "taskset -c 0, OMP/OPENBLAS/MKL threads = 1",
    }
    (a.out / "results.json").write_text(json.dumps({"meta": meta, "rows": rows, "memory": mem},
                                                   indent=2))
    print_table(meta, rows, mem)


def print_table(meta: dict, rows: list[dict], mem: dict) -> None:
    print(f"\nmachine: nproc={meta['nproc']}, {meta['cpu']}, python {meta['python']}; "
          f"{meta['pinned']}\n")
    print("| N | tracker | scans | mean GOSPA m | missed/false per scan | ms/scan (mean) | "
          "ms/scan (median) | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        for key in ("dronewall", "dronewall_capped", "ss_gnn", "ss_gnn_kdtree"):
            if key not in r:
                continue
            v = r[key]
            s = v["score"]
            print(f"| {r['N']} | {key} | {s['scans_scored']} | {s['gospa_mean']:.0f} | "
                  f"{s['missed_mean']:.2f} / {s['false_mean']:.2f} | {v['ms_per_scan']:.1f} | "
                  f"{v.get('ms_per_scan_median', float('nan')):.1f} | {v['peak_rss_mib']:.0f} |")
    print("\n| N | Stone Soup gnn ms/scan | dronewall ms/scan (same scans) | throughput ratio "
          "(gnn) | ratio vs gnn-kdtree (full runs) |")
    print("|---|---|---|---|---|")
    for r in rows:
        if "ss_gnn" not in r:
            continue
        # like for like: the dronewall run over the same (capped) scans when gnn was capped
        dw = r.get("dronewall_capped", r["dronewall"])["ms_per_scan"]
        g = r["ss_gnn"]["ms_per_scan"]
        kd_ratio = r["ss_gnn_kdtree"]["ms_per_scan"] / r["dronewall"]["ms_per_scan"]
        print(f"| {r['N']} | {g:.0f} | {dw:.2f} | {g / dw:.0f}x | {kd_ratio:.0f}x |")
    print(f"\nmemory, N = 1000: peak RSS 100 scans {mem['rss_100']:.0f} MiB, "
          f"400 scans {mem['rss_400']:.0f} MiB")


if __name__ == "__main__":
    main()
