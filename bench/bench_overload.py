"""Engine under overload: one step with a 100,000-detection clutter flood, then normal data.

A 3-D engine (default ``TrackerConfig``) fed by one surveillance radar at the frame origin
(1 s scans, 15 m / 0.5 deg / 1 deg / 1 m/s noise, Pd 0.95, 2 false alarms per scan) that sees
``--targets`` drones (40 m/s, 300 m, 5-40 km out). After ``--warmup-s`` of normal data, one scan
carries ``--flood`` extra false alarms spread uniformly over the radar's coverage (1-60 km,
0-5 deg elevation); then ``--after-s`` more of normal data. Reported (one JSON line):

* ``flood_step_s``: wall time of the (first) flood step (one core: BLAS/OpenMP threads pinned
  to 1); with ``--flood-scans N`` the flood repeats on N consecutive scans (``flood_step_s_max``);
* ``new_tracks_flood``, ``tentative_after_flood``, ``tentative_max``, ``shed`` (diagnostics of
  the flood steps: what the initiation budgets and the clutter map shed, by reason);
* ``targets_held``: targets whose pre-flood track id is still confirmed within 300 m of them at
  the end (continuity through the flood), out of ``targets``;
* ``rss_mib`` before the flood, at its peak and after ``--after-s`` of normal data, and
  ``rss_after_vs_before`` (1.0 = back to the working size).

    .venv/bin/python bench/bench_overload.py            # a few seconds
    .venv/bin/python bench/bench_overload.py --flood-scans 10    # a sustained flood
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind, SensorTable  # noqa: E402
from dronewall.geo.frames import Frame  # noqa: E402
from dronewall.tracking import Engine, TrackerConfig  # noqa: E402

SIG = np.array([15.0, np.radians(0.5), np.radians(1.0), 1.0])  # range m, az, el rad, rr m/s
R_DIAG = np.diag(SIG ** 2)
MAX_RANGE_M, MIN_RANGE_M = 60_000.0, 1_000.0


def rss_mib() -> float:
    """Resident set size of this process now, MiB (Linux /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def radar_rows(pos: np.ndarray, vel: np.ndarray) -> np.ndarray:
    """(k, 4) range, az, el, range rate of ENU positions/velocities seen from the origin."""
    r = np.linalg.norm(pos, axis=1)
    az = np.arctan2(pos[:, 0], pos[:, 1])
    el = np.arcsin(pos[:, 2] / r)
    rr = np.einsum("ij,ij->i", pos, vel) / r
    return np.column_stack([r, az, el, rr])


def clutter(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 4) false alarms uniform in area over the coverage annulus."""
    r = np.sqrt(rng.uniform(MIN_RANGE_M ** 2, MAX_RANGE_M ** 2, n))
    return np.column_stack([r, rng.uniform(-np.pi, np.pi, n),
                            rng.uniform(0.0, np.radians(5.0), n), rng.uniform(-50, 50, n)])


def batch(t: float, z: np.ndarray) -> DetectionBatch:
    k = z.shape[0]
    return DetectionBatch.create(t=np.full(k, t), sensor=np.zeros(k, np.int32),
                                 meas_kind=np.full(k, int(MeasKind.RADAR), np.int8), z=z,
                                 R=np.broadcast_to(R_DIAG, (k, 4, 4)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flood", type=int, default=100_000)
    ap.add_argument("--flood-scans", type=int, default=1,
                    help="consecutive scans carrying the flood (a sustained flood)")
    ap.add_argument("--targets", type=int, default=20)
    ap.add_argument("--warmup-s", type=int, default=60)
    ap.add_argument("--after-s", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    frame = Frame(52.0, 23.0, 0.0)
    sensors = SensorTable.build(["radar"], [SensorKind.RADAR], [52.0], [23.0], [0.0])
    eng = Engine(TrackerConfig(), frame, sensors)
    n = a.targets
    rho = rng.uniform(5_000, 40_000, n)
    ang = rng.uniform(-np.pi, np.pi, n)
    pos = np.column_stack([rho * np.sin(ang), rho * np.cos(ang), np.full(n, 300.0)])
    hdg = rng.uniform(-np.pi, np.pi, n)
    vel = np.column_stack([40 * np.sin(hdg), 40 * np.cos(hdg), np.zeros(n)])

    def scan(t: float, extra: int) -> tuple[float, object]:
        p = pos + vel * t
        seen = rng.random(n) < 0.95
        z = radar_rows(p[seen], vel[seen]) + rng.normal(0, 1, (int(seen.sum()), 4)) * SIG
        z = np.vstack([z, clutter(rng, rng.poisson(2.0) + extra)])
        b = batch(t, z[rng.permutation(z.shape[0])])
        w0 = time.perf_counter()
        res = eng.step(t, b)
        return time.perf_counter() - w0, res

    def held_ids(t: float) -> np.ndarray:
        """Per target: the id of the confirmed track within 300 m (-1 none)."""
        snap = eng.snapshot(confirmed_only=True)
        p = pos + vel * t
        out = np.full(n, -1)
        if snap.ids.size:
            d = np.linalg.norm(snap.x[:, None, :3] - p[None, :, :], axis=2)
            k = np.argmin(d, axis=0)
            ok = d[k, np.arange(n)] < 300.0
            out[ok] = snap.ids[k[ok]]
        return out

    for t in range(a.warmup_s):
        scan(float(t), 0)
    gc.collect()
    before_ids = held_ids(float(a.warmup_s - 1))
    rss_before = rss_mib()
    flood_walls, shed, new_flood, tent_max = [], {}, 0, 0
    rss_peak = rss_before
    for k in range(a.flood_scans):
        wall, res = scan(float(a.warmup_s + k), a.flood)
        flood_walls.append(wall)
        rss_peak = max(rss_peak, rss_mib())
        new_flood += int(res.new.size)
        tent_max = max(tent_max, int(res.n_tracks - res.n_confirmed))
        for key, v in res.diagnostics.items():
            if "shed" in key or "dense" in key:
                shed[key] = shed.get(key, 0) + v
    wall = flood_walls[0]
    tent_after = int(res.n_tracks - res.n_confirmed)
    t_end_flood = a.warmup_s + a.flood_scans
    walls = []
    for t in range(t_end_flood, t_end_flood + a.after_s):
        w, r = scan(float(t), 0)
        walls.append(w)
    gc.collect()
    rss_after = rss_mib()
    end_ids = held_ids(float(t_end_flood + a.after_s - 1))
    held = int(np.sum((before_ids >= 0) & (end_ids == before_ids)))
    print(json.dumps({
        "flood": a.flood, "targets": n, "tracked_before_flood": int(np.sum(before_ids >= 0)),
        "flood_scans": a.flood_scans, "flood_step_s": round(wall, 3),
        "flood_step_s_max": round(max(flood_walls), 3), "new_tracks_flood": new_flood,
        "tentative_after_flood": tent_after, "tentative_max": tent_max,
        "tracks_after_flood": int(res.n_tracks),
        "quarantined_flood_step": res.quarantined, "shed": shed,
        "targets_held": held, "tracks_end": int(eng.n_tracks),
        "normal_step_ms_median_after": round(1e3 * float(np.median(walls)), 2),
        "rss_mib_before": round(rss_before, 1), "rss_mib_peak": round(rss_peak, 1),
        "rss_mib_after": round(rss_after, 1),
        "rss_after_vs_before": round(rss_after / rss_before, 3),
        "python": platform.python_version(), "machine": platform.machine()}))


if __name__ == "__main__":
    main()
