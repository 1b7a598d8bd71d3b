"""Load benchmark of ``dronewall serve``: ~1,000 tracks at 1 Hz to 20 WebSocket clients.

Starts the real server (a subprocess, SQLite store in a temp folder) on ``bench/serve-1000.yaml``
(900 drones and 100 airliners under five 1 Hz radars; the first ``--start`` seconds run unpaced
so that the picture is full when measuring starts), connects ``--clients`` WebSocket clients in
this process and, for ``--duration`` seconds, records for every step delta each client receives:

* **step-to-client latency**: receive time - ``wall_rec`` (the chain's step record is ready;
  the server then builds the delta, commits the step to the store, encodes once and fans out);
* **detections-to-client**: receive time - ``wall_due`` (the step's detections are due; adds
  the chain itself: tracking, classification, airspace, threat);
* the server process's CPU (user + system, % of one core, from /proc) and resident memory
  (every 10 s: start, end, slope in MiB per hour), steps per second, tracks and detections per
  step, steps a client missed.

Clients parse only the delta's header and tail (seq, times, track count) so that their own CPU
use does not stand in for the server's. Both run on the same machine and clock.

    .venv/bin/python bench/bench_serve.py --duration 600
    .venv/bin/python bench/bench_serve.py --duration 3600      # memory over an hour

Prints a Markdown table and writes the raw numbers to ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import websockets

ROOT = Path(__file__).resolve().parents[1]
_SEQ = re.compile(r'"seq":(\d+)')
_NUM = {k: re.compile(rf'"{k}":([0-9.eE+-]+)') for k in ("wall_due", "wall_rec", "wall_pub")}
_TYPE = re.compile(r'^\{"type":"(\w+)"')


def _proc_cpu_s(pid: int) -> float:
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


#: Run inside the server process with ``--tracemalloc DIR``: trace allocations (8 frames) and
#: dump a snapshot every ``DW_TM_EVERY_S`` seconds (plus the traced total and RSS to a log) so
#: that where the memory goes can be compared between two times of the same run.
_TRACED_SERVER = """
import os, sys, threading, time, tracemalloc
tracemalloc.start(8)
out, every = os.environ["DW_TM_DIR"], float(os.environ["DW_TM_EVERY_S"])
def _dump():
    i = 0
    while True:
        time.sleep(every)
        tracemalloc.take_snapshot().dump(f"{out}/snap-{i:03d}.tm")
        cur, peak = tracemalloc.get_traced_memory()
        rss = [l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1]
        with open(f"{out}/traced.log", "a") as f:
            f.write(f"{i} {time.time():.0f} traced_mib={cur / 2**20:.1f} "
                    f"rss_mib={int(rss) / 1024:.1f}\\n")
        i += 1
threading.Thread(target=_dump, daemon=True).start()
from dronewall.cli.main import run
sys.argv[0] = "dronewall"
run()
"""


def start_server(args: argparse.Namespace, tmp: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    head = [sys.executable, "-m", "dronewall.cli.main"]
    env = None
    if args.tracemalloc:
        args.tracemalloc.mkdir(parents=True, exist_ok=True)
        head = [sys.executable, "-c", _TRACED_SERVER]
        env = os.environ | {"DW_TM_DIR": str(args.tracemalloc),
                            "DW_TM_EVERY_S": str(args.tracemalloc_every)}
    cmd = head + ["serve", "--db", str(tmp / "store.db"),
                  "--port", "0", "--scenario", str(args.scenario), "--start", str(args.start),
                  "--speed", str(args.speed), "--no-engage"] + args.serve_arg
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(tmp / "server.log", "wb"),
                            env=env)
    url = token = ""
    assert proc.stdout is not None
    while not (url and token):
        line = proc.stdout.readline().decode()
        if not line:
            raise SystemExit(f"server exited: {(tmp / 'server.log').read_text()[-2000:]}")
        if m := re.search(r"COP\s+(http://\S+)/", line):
            url = m.group(1)
        if m := re.search(r"first admin token \(shown once\): (\S+)", line):
            token = m.group(1)
    return proc, url, token


async def client(url: str, token: str, stop_at: float, rows: list[tuple[float, ...]],
                 gaps: list[int]) -> None:
    async with websockets.connect(url, max_size=None, open_timeout=60) as ws:
        await ws.send(json.dumps({"token": token}))
        last = None
        while time.time() < stop_at:
            try:
                text = await asyncio.wait_for(ws.recv(), timeout=max(stop_at - time.time(), 0.1))
            except TimeoutError:
                break
            t_recv = time.time()
            m = _TYPE.match(text)
            if not m or m.group(1) != "step":
                continue
            seq = int(_SEQ.search(text).group(1))  # type: ignore[union-attr]
            tail = text[-400:]
            vals = [float(_NUM[k].search(tail).group(1)) for k in _NUM]  # type: ignore[union-attr]
            n_tracks = text.count(",", text.find('"id":['), text.find("]", text.find('"id":['))) + 1
            rows.append((seq, t_recv, *vals, n_tracks))
            if last is not None and seq != last + 1:
                gaps.append(seq - last - 1)
            last = seq


async def measure(args: argparse.Namespace, url: str, token: str, pid: int) -> dict:
    ws_url = url.replace("http://", "ws://") + "/api/v1/stream"
    t0 = time.time()
    stop_at = t0 + args.duration
    per_client: list[list[tuple[float, ...]]] = [[] for _ in range(args.clients)]
    gaps: list[int] = []
    mem: list[tuple[float, float]] = []
    cpu0 = _proc_cpu_s(pid)

    floor: dict[float, float] = {}   # wall time of a trim -> RSS right after it (MiB)

    async def sampler() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30.0,
                                     headers={"Authorization": f"Bearer {token}"}) as c:
            while time.time() < stop_at:
                mem.append((time.time() - t0, _proc_rss_mib(pid)))
                try:
                    m = (await c.get("/api/v1/sources")).json()["items"][0].get("memory") or {}
                    if m.get("rss_after_trim_mib") is not None:
                        floor.setdefault(round(time.time() - t0, -1), m["rss_after_trim_mib"])
                except (httpx.HTTPError, KeyError, ValueError):
                    pass
                await asyncio.sleep(10.0)

    await asyncio.gather(sampler(), *[client(ws_url, token, stop_at, per_client[i], gaps)
                                      for i in range(args.clients)])
    wall = time.time() - t0
    cpu = _proc_cpu_s(pid) - cpu0
    rows = np.array([r for c in per_client for r in c])
    lat_rec = (rows[:, 1] - rows[:, 3]) * 1000
    lat_due = (rows[:, 1] - rows[:, 2]) * 1000
    pub_rec = (rows[:, 4] - rows[:, 3]) * 1000
    seqs = sorted({int(s) for s in rows[:, 0]})
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        src = c.get("/api/v1/sources").json()["items"][0]
    t_mem = np.array([m[0] for m in mem])
    r_mem = np.array([m[1] for m in mem])
    slope = float(np.polyfit(t_mem / 3600, r_mem, 1)[0]) if len(mem) > 3 else float("nan")
    # the floor: RSS right after the server's periodic trim between steps, deduplicated
    f_vals = list(dict.fromkeys(floor.values()))
    f_t = np.array(sorted(floor)[:len(floor)])
    f_v = np.array([floor[k] for k in sorted(floor)])
    f_slope = float(np.polyfit(f_t / 3600, f_v, 1)[0]) if len(f_v) > 3 else float("nan")

    def pct(a: np.ndarray) -> dict:
        return {f"p{q}": round(float(np.percentile(a, q)), 1) for q in (50, 90, 99)} | \
            {"max": round(float(a.max()), 1)}

    return {
        "clients": args.clients, "duration_s": round(wall, 1), "steps": len(seqs),
        "steps_per_s": round(len(seqs) / wall, 3),
        "tracks_per_step_median": int(statistics.median(rows[:, 5])),
        "detections_last_step": src.get("detections_last_step"),
        "deltas_received": int(rows.shape[0]), "steps_missed_by_clients": int(sum(gaps)),
        "step_to_client_ms": pct(lat_rec), "detections_to_client_ms": pct(lat_due),
        "record_to_publish_ms": pct(pub_rec),
        "server_cpu_percent_of_one_core": round(100 * cpu / wall, 1),
        "server_rss_mib": {"start": round(float(r_mem[0]), 1), "end": round(float(r_mem[-1]), 1),
                           "max": round(float(r_mem.max()), 1),
                           "slope_mib_per_h": round(slope, 1)},
        "server_rss_after_trim_mib": {
            "first": round(float(f_v[0]), 1) if len(f_v) else None,
            "last": round(float(f_v[-1]), 1) if len(f_v) else None,
            "min": round(float(f_v.min()), 1) if len(f_v) else None,
            "max": round(float(f_v.max()), 1) if len(f_v) else None,
            "distinct_samples": len(f_vals), "slope_mib_per_h": round(f_slope, 1)},
        "chain_step_ms_median_last": src.get("step_wall_ms_median"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "bench" / "serve-1000.yaml")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--duration", type=float, default=600.0, help="measured seconds")
    ap.add_argument("--start", type=float, default=200.0,
                    help="scenario seconds run unpaced before measuring (the raid launches)")
    ap.add_argument("--speed", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "serve.json")
    ap.add_argument("--tracemalloc", type=Path, default=None, metavar="DIR",
                    help="diagnosis: trace the server's allocations and dump snapshots to DIR "
                         "(slows the server; latencies are then not comparable)")
    ap.add_argument("--tracemalloc-every", type=float, default=300.0, metavar="S")
    ap.add_argument("--serve-arg", action="append", default=[], metavar="ARG",
                    help="extra option for 'dronewall serve' (repeatable), e.g. "
                         "--serve-arg=--no-ws-deflate")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dronewall-bench-serve-") as tmp:
        proc, url, token = start_server(args, Path(tmp))
        try:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
                t_end = time.time() + 1800
                while time.time() < t_end:  # wait for the unpaced start to finish
                    try:  # the socket is bound before the app has started listening
                        h = c.get("/api/v1/health").json()
                    except httpx.TransportError:
                        time.sleep(1.0)
                        continue
                    if h["t_s"] >= args.start:
                        break
                    time.sleep(1.0)
            res = asyncio.run(measure(args, url, token, proc.pid))
        finally:
            proc.terminate()
            proc.wait(30)
    res["command"] = " ".join(sys.argv)
    res["cpus"] = os.cpu_count()
    res["load_avg_at_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))
    print()
    print("| quantity | value |\n|---|---|")
    for k in ("clients", "duration_s", "steps_per_s", "tracks_per_step_median",
              "detections_last_step", "deltas_received", "steps_missed_by_clients",
              "step_to_client_ms", "detections_to_client_ms", "record_to_publish_ms",
              "server_cpu_percent_of_one_core", "server_rss_mib", "server_rss_after_trim_mib"):
        print(f"| {k} | {res[k]} |")


if __name__ == "__main__":
    main()
