"""Sensors that fail silently during the flagship raid: the picture with sensor health against
one that never notices (docs/benchmarks.md s.6, "Sensors that are down"). ``--random``: the
failures are drawn from availabilities instead (``sensor_health.availability``).

The flagship scenario with three silent failures: the acoustic belt's backhaul (every node,
600-1800 s), the RF finder rf-wlodawa (600-2400 s) and radar-lublin (1200-1800 s). "health":
the default status channel (10 s heartbeats, down after 30 s without one). "blind": staleness
beyond the run, so the picture reads the dead sensors' silence as the targets'. Per run:
the share of track rows whose class is the class of the platform they follow (the nearest
truth within 1 km at the row's time), the largest confusions, the genuine ADS-B identities
flagged as spoofed, and the issue-12 scores from summary.json.

    python bench/sensor_outage.py --seeds 1 2 --out out/outage
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
OUTAGES = """outages:
  - {sensor: belt, window_s: [600, 1800]}
  - {sensor: rf-wlodawa, window_s: [600, 2400]}
  - {sensor: radar-lublin, window_s: [1200, 1800]}
"""
BLIND = "sensor_health: {stale_after_s: 86400}\n"
#: ``--random``: no fixed outages; every acoustic node works 90 % of the time, every RF finder
#: 95 %, every radar 98 %, in silent failures of 10 min on average (a fresh draw per seed)
RANDOM = ("sensor_health: {availability: {acoustic: 0.9, rf: 0.95, radar: 0.98}, "
          "mean_outage_s: 600STALE}\n")
M_PER_DEG = 111_195.0


def scenario_text(case: str, random: bool = False) -> str:
    text = (ROOT / "scenarios" / "eastern-poland-raid.yaml").read_text()
    if random:
        extra = RANDOM.replace("STALE", ", stale_after_s: 86400" if case == "blind" else "")
    else:
        extra = OUTAGES + (BLIND if case == "blind" else "")
    if case == "none":
        return text
    return text.replace("\neffectors:", "\n" + extra + "effectors:", 1)


def row_accuracy(out: Path) -> tuple[float, int, list[tuple[tuple[str, str], int]]]:
    """(share of rows classed as the platform they follow, rows scored, top confusions)."""
    cls = dict(zip(*(pacsv.read_csv(out / "platforms.csv").to_pydict()[k]
                     for k in ("platform_id", "class")), strict=True))
    tr = pacsv.read_csv(out / "truth.csv").to_pydict()
    tk = pacsv.read_csv(out / "tracks.csv").to_pydict()
    tt, tk_t = np.asarray(tr["t_s"], float), np.asarray(tk["t_s"], float)
    k_lon = M_PER_DEG * np.cos(np.radians(51.5))

    def xy(lat: list[float], lon: list[float]) -> np.ndarray:
        return np.c_[np.asarray(lon) * k_lon, np.asarray(lat) * M_PER_DEG]

    txy, kxy = xy(tr["lat_deg"], tr["lon_deg"]), xy(tk["lat_deg"], tk["lon_deg"])
    pid, kcls = np.asarray(tr["platform_id"], object), np.asarray(tk["class"], object)
    conf: collections.Counter[tuple[str, str]] = collections.Counter()
    for t in np.unique(tk_t):
        ti, ki = np.flatnonzero(tt == t), np.flatnonzero(tk_t == t)
        if ti.size == 0:
            continue
        d, j = cKDTree(txy[ti]).query(kxy[ki])
        for k, dd, jj in zip(ki, d, j, strict=True):
            if dd <= 1000.0:
                conf[(str(cls[pid[ti[jj]]]), str(kcls[k]))] += 1
    n = sum(conf.values())
    ok = sum(v for (a, b), v in conf.items() if a == b)
    wrong = sorted(((k, v) for k, v in conf.items() if k[0] != k[1]), key=lambda kv: -kv[1])
    return ok / max(n, 1), n, wrong[:3]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cases", nargs="+", default=["none", "health", "blind"])
    ap.add_argument("--out", type=Path, default=Path("out/outage"))
    ap.add_argument("--duration", type=float, default=3600.0)
    ap.add_argument("--random", action="store_true",
                    help="random silent failures from availabilities instead of the three "
                         "fixed outages")
    a = ap.parse_args()
    from dronewall.pipeline.simulate import run_simulation
    from dronewall.scenario import parse_scenario

    print("| seed | case | rows classed right | rows | top confusions (true, called): rows | "
          "genuine ADS-B flagged | class +30 s | hostile at entry |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in a.seeds:
        for case in a.cases:
            sc = parse_scenario(scenario_text(case, a.random))
            out = a.out / f"{case}-{seed}"
            run_simulation(sc, out, seed=seed, engage=False, duration_s=a.duration,
                           base_dir=ROOT / "scenarios")
            acc, n, top = row_accuracy(out)
            s = json.loads((out / "summary.json").read_text())["tracking"]
            c = s["classification"]
            print(f"| {seed} | {case} | {100 * acc:.2f} % | {n:,} | "
                  + "; ".join(f"{t}->{g}: {v:,}" for (t, g), v in top)
                  + f" | {len(s['cooperative_trust']['genuine_flagged'])} | "
                  f"{c.get('accuracy_30s_after_confirmation')} | "
                  f"{c['one_way_uas_at_sovereign_entry'].get('accuracy')} |", flush=True)


if __name__ == "__main__":
    main()
