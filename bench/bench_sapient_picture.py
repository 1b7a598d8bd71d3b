"""Picture quality through SAPIENT: two ASM simulators into ``dronewall serve`` vs ``simulate``.

Issue 16's acceptance: the radar and acoustic sensors of a scenario streamed as SAPIENT nodes by
two ``sapient-asm`` simulators (one for the radars, one for the acoustic grids, started in step
with ``--start-at``) into ``dronewall serve --live`` give the same picture quality (GOSPA) as
``dronewall simulate`` on the same seed.

Both sides see the same detections: the scenario is reduced to its radar and acoustic sensors
(``--kinds``; the other sensors would change the random streams and are not streamed) and
written beside the results; ``simulate`` runs it with ``--no-engage``; the server runs it as the
site of a live config that binds every radar by name and every acoustic grid by one line, and
records every track every step (``--record-period 1``) in SQLite. The server's picture at
session time T is scored against the truth at scenario time T - N, where scenario time 0 was
sent at session time N (a whole session second plus ``--phase``; the truth is interpolated
between scenario steps where that is not a whole second). The live server steps once a
second and fuses what arrived during the step: reports sent just after a step starts
(``--phase 0``) are ~1 s old at the picture, reports sent just before it ends (``--phase
0.9``) ~0.1 s -- ``simulate`` has no such lag. The truth
and the "detectable" set (a platform detected in the last 10 s) come from the same seeded truth
and sensor simulation as ``simulate`` (``pipeline.tracking.TrackingScorer`` definitions), GOSPA
with c = 500 m, p = 1, alpha = 2 (``metrics.tracking_metrics``). The simulate side is scored
twice: its own ``summary.json`` and this script's scorer on its ``tracks.csv`` (they must
agree: that checks the scorer).

    .venv/bin/python bench/bench_sapient_picture.py --duration 600 --seeds 1,2 \
        --out bench/results/sapient-picture.json

Runs in real time (``--duration`` wall seconds per seed, plus the reference run).

A radar's Doppler travels as a ``track_info`` ``radialVelocity`` entry (the v2.0 schema has
no field of its own for it; ``docs/interop.md``), so both sides see the same radar information.
``--no-doppler`` models the radars without Doppler on both sides (the comparison as it stood
before that, and what the lost Doppler cost).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
import yaml

from dronewall.geo import Frame, geodetic_to_ecef
from dronewall.metrics import ScanData, tracking_metrics
from dronewall.pipeline.sapient_asm import AsmSimulator
from dronewall.pipeline.simulate import _rngs
from dronewall.pipeline.tracking import DETECTABLE_WINDOW_S, GOSPA_C_M
from dronewall.scenario import load_scenario
from dronewall.sensors import SensorSuite
from dronewall.sim.truth import TruthSimulator

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "dronewall.cli.main"]


def reduced_scenario(src: Path, dst: Path, duration_s: float, doppler: bool = True
                     ) -> tuple[list[str], list[str]]:
    """Write ``src`` with only its radar and acoustic sensors and the given duration to
    ``dst`` (``doppler`` False: radars without radial velocity, ``sigma_range_rate_mps:
    null``); return (radar ids, acoustic grid ids)."""
    doc = yaml.safe_load(src.read_text())
    keep = [s for s in doc["sensors"] if s["type"] in ("radar", "acoustic_grid", "acoustic")]
    if not doppler:
        for s in keep:
            if s["type"] == "radar":
                s["sigma_range_rate_mps"] = None
    doc["sensors"] = keep
    doc["time"]["duration_s"] = float(duration_s)
    doc["name"] = f"{doc['name']}-radar-acoustic"
    dst.write_text(yaml.safe_dump(doc, sort_keys=False))
    return ([s["id"] for s in keep if s["type"] != "acoustic_grid"],
            [s["id"] for s in keep if s["type"] == "acoustic_grid"])


def truth_scans(scenario: Path, seed: int, duration_s: float) -> tuple[Frame, list]:
    """Per scenario step: (t, detectable platform indices, local x/y of every platform) -- the
    simulate scorer's definitions, from the same seeded truth and sensors."""
    sc = load_scenario(scenario)
    frame = Frame(sc.origin.lat_deg, sc.origin.lon_deg, sc.origin.alt_m)
    rng_truth, rng_sens, _, _ = _rngs(seed)
    truth = TruthSimulator(sc, rng_truth)
    suite = SensorSuite.from_scenario(sc, rng_sens)
    last_det = np.full(len(truth.platforms), -np.inf)
    out = []
    for st in truth.states():
        if st.t > duration_s + 1:
            break
        det = suite.observe(st, truth.platforms)
        ok = det.truth_id >= 0
        if ok.any():
            np.maximum.at(last_det, det.truth_id[ok], det.t[ok])
        vis = st.active & (st.t - last_det <= DETECTABLE_WINDOW_S)
        out.append((float(st.t), np.flatnonzero(vis), frame.to_local(st.ecef)[:, :2]))
    return frame, out


def local_xy(frame: Frame, lat: np.ndarray, lon: np.ndarray, alt: np.ndarray) -> np.ndarray:
    return frame.to_local(geodetic_to_ecef(lat, lon, alt))[:, :2]


def score(truth: list, picture: dict[float, tuple[np.ndarray, np.ndarray]],
          lag_s: float = 0.0) -> dict:
    """GOSPA etc. of ``picture`` {scenario t: (track ids, xy)} against the truth scans; a
    picture at t + ``lag_s`` (0 <= lag < 1) is scored against the truth interpolated there
    (the detectable set of step t)."""
    empty = (np.zeros(0, np.int64), np.zeros((0, 2)))
    scans = []
    for k, (t, ids, xy) in enumerate(truth[:-1]):
        nxt = truth[k + 1][2]
        pos = (1.0 - lag_s) * xy[ids] + lag_s * nxt[ids]
        scans.append(ScanData(t, ids, pos, *picture.get(round(t + lag_s, 6), empty)))
    m = tracking_metrics(scans, c=GOSPA_C_M, p=1.0)
    return {"gospa_mean_m": round(m.gospa_mean, 2), "localisation_mean_m":
            round(m.localisation_mean, 2), "missed_per_scan": round(m.missed_mean, 3),
            "false_per_scan": round(m.false_mean, 3), "id_switches": m.id_switches,
            "unique_track_ids": m.unique_track_ids, "scans": len(scans),
            "scans_with_picture": sum(round(t + lag_s, 6) in picture for t, _, _ in truth)}


def simulate_side(scn: Path, seed: int, duration_s: float, out: Path, frame: Frame,
                  truth: list) -> dict:
    subprocess.run(CLI + ["simulate", str(scn), "--seed", str(seed), "--duration",
                          str(duration_s), "--no-engage", "--out", str(out)],
                   check=True, capture_output=True)
    summ = json.loads((out / "summary.json").read_text())["tracking"]
    rows: dict[float, list] = {}
    with open(out / "tracks.csv") as f:
        for r in csv.DictReader(f):
            rows.setdefault(float(r["t_s"]), []).append(
                (int(r["track_id"]), float(r["x_m"]), float(r["y_m"])))
    pic = {t: (np.array([a for a, _, _ in v], np.int64), np.array([[x, y] for _, x, y in v]))
           for t, v in rows.items()}
    return {"summary_gospa_mean_m": summ["gospa_mean"], **score(truth, pic)}


def serve_side(scn: Path, radars: list[str], grids: list[str], seed: int, duration_s: float,
               work: Path, frame: Frame, truth: list, phase: float = 0.0) -> dict:
    port_api, port_dmm = _free_port(), _free_port()
    live = work / "live.yaml"
    nodes = [{"node": r, "sensor": r} for r in radars] + [{"sensor": g} for g in grids]
    live.write_text(yaml.safe_dump({"adapters": [{
        "id": "dmm", "protocol": "sapient", "listen": f"127.0.0.1:{port_dmm}",
        "nodes": nodes}]}, sort_keys=False))
    db = work / "serve.db"
    log = open(work / "serve.log", "w")
    srv = subprocess.Popen(CLI + ["serve", "--scenario", str(scn), "--live", str(live),
                                  "--db", str(db), "--port", str(port_api), "--no-engage",
                                  "--record-period", "1", "--seed", str(seed)],
                           stdout=log, stderr=subprocess.STDOUT)
    res: dict = {}
    try:
        sid = _wait_health(port_api)
        with sqlite3.connect(db) as c:
            epoch_utc = c.execute("select epoch_utc from sessions where session_id = ?",
                                  (sid,)).fetchone()[0]
        epoch = datetime.fromisoformat(epoch_utc.replace("Z", "+00:00")).timestamp()
        n0 = math.ceil(time.time() - epoch) + 4     # scenario 0 at session second n0
        asms = [AsmSimulator(scn, "127.0.0.1", port_dmm, seed=seed, kinds=("radar",)),
                AsmSimulator(scn, "127.0.0.1", port_dmm, seed=seed, kinds=("acoustic",))]
        outs: list[dict] = [{}, {}]
        ths = [threading.Thread(target=lambda i=i: outs.__setitem__(
            i, asms[i].run(duration_s, start_wall=epoch + n0 + phase)), daemon=True)
            for i in (0, 1)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(duration_s + 120)
        time.sleep(3.0)
        res["asm"] = {"radar": outs[0], "acoustic": outs[1]}
        st = httpx.get(f"http://127.0.0.1:{port_api}/api/v1/health", timeout=10).json()
        res["server_steps"] = st["seq"]
    finally:
        srv.terminate()
        srv.wait(60)
        log.close()
    with sqlite3.connect(db) as c:
        steps = [r[0] for r in c.execute("select t_s from steps where session_id = ? "
                                         "order by seq", (sid,))]
        rows = c.execute("select t_s, track_id, lat_deg, lon_deg, alt_m from track_states "
                         "where session_id = ?", (sid,)).fetchall()
    arr = np.array(rows, float).reshape(-1, 5)
    pic = {}
    for t in steps:
        k = arr[:, 0] == t
        ts = round(t - n0 - phase, 6)               # session time -> scenario time
        pic[ts] = (arr[k, 1].astype(np.int64), local_xy(frame, arr[k, 2], arr[k, 3],
                                                        arr[k, 4]))
    res.update(score(truth, pic, lag_s=(-phase) % 1.0))
    res["offset_s"] = n0 + phase
    return res


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_health(port: int) -> str:
    t_end = time.time() + 120
    while time.time() < t_end:
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
            if r.status_code == 200:
                return str(r.json()["session_id"])
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not come up (see serve.log)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", type=Path,
                    default=REPO / "scenarios" / "rzeszow-layered-defence.yaml")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--duration", type=float, default=600.0, help="scenario = wall seconds")
    ap.add_argument("--out", type=Path, default=None, help="JSON results")
    ap.add_argument("--work", type=Path, default=None, help="keep run folders here")
    ap.add_argument("--phase", type=float, default=0.0,
                    help="the simulators send each scenario second this far (0..1 s) into "
                         "a server step: 0 = just after a step starts (the reports wait ~1 s "
                         "for the step to end: the worst case), 0.9 = just before it ends")
    ap.add_argument("--no-doppler", action="store_true",
                    help="radars without radial velocity on both sides (a SAPIENT "
                         "range-bearing report carries none)")
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="dw-sapient-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    scn = work / "scenario.yaml"
    radars, grids = reduced_scenario(a.scenario, scn, a.duration, doppler=not a.no_doppler)
    results = []
    for seed in [int(s) for s in a.seeds.split(",")]:
        frame, truth = truth_scans(scn, seed, a.duration)
        sim = simulate_side(scn, seed, a.duration, work / f"sim-{seed}", frame, truth)
        wd = work / f"serve-{seed}"
        wd.mkdir(exist_ok=True)
        srv = serve_side(scn, radars, grids, seed, a.duration, wd, frame, truth, a.phase)
        ratio = srv["gospa_mean_m"] / sim["gospa_mean_m"] if sim["gospa_mean_m"] else math.nan
        results.append({"seed": seed, "simulate": sim, "serve_sapient": srv,
                        "gospa_ratio": round(ratio, 4)})
        print(f"seed {seed}: GOSPA simulate {sim['gospa_mean_m']:.1f} m (summary "
              f"{sim['summary_gospa_mean_m']:.1f}), serve via SAPIENT {srv['gospa_mean_m']:.1f} "
              f"m, ratio {ratio:.3f}; false/scan {sim['false_per_scan']:.2f} vs "
              f"{srv['false_per_scan']:.2f}, missed/scan {sim['missed_per_scan']:.2f} vs "
              f"{srv['missed_per_scan']:.2f}", flush=True)
    scen = a.scenario.resolve()
    doc = {"scenario": str(scen.relative_to(REPO)) if scen.is_relative_to(REPO) else scen.name,
           "radar_doppler": not a.no_doppler, "phase_s": a.phase,
           "sensors": {"radars": radars, "acoustic_grids": grids},
           "duration_s": a.duration, "runs": results}
    if a.out:
        a.out.write_text(json.dumps(doc, indent=1))
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
