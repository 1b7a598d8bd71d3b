"""WTA benchmark on the Andersen-Pavlikov-Toffolo instances (../shared/data/wta).

Heuristic on every instance (mu=1: 10 s limit; mu=2,3: 30 s), exact mode on 50x100x1 (60 s).
Prints a markdown table. Run with one core:

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python bench/bench_wta.py [--only 50x100x1 ...]
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from dronewall.engagement.wta import solve_exact, solve_heuristic
from dronewall.io.wta_files import read_toffolo

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "wta"


def best_known() -> dict[str, float]:
    text = (DATA / "SOURCE.md").read_text()
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"(\d+x\d+x\d)\s+([0-9]+(?:\.[0-9]+)?)", text)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", help="instance names such as 50x100x1")
    ap.add_argument("--no-exact", action="store_true")
    args = ap.parse_args()
    bk = best_known()
    files = sorted(DATA.glob("wta_*.txt"),
                   key=lambda f: tuple(int(v) for v in f.stem[4:].split("x"))[::-1])
    rows = []
    print("| instance | mode | limit s | best known | our objective | gap to best % | "
          "our lower bound | LB <= best | time s |")
    print("|---|---|---|---|---|---|---|---|---|")
    jobs = [(f, "heuristic") for f in files]
    if not args.no_exact:
        jobs.append((DATA / "wta_50x100x1.txt", "exact"))
    for f, mode in jobs:
        name = f.stem[4:]
        if args.only and name not in args.only:
            continue
        p = read_toffolo(f)
        mu = int(p.counts[0])
        limit = 60.0 if mode == "exact" else (10.0 if mu == 1 else 30.0)
        t = time.perf_counter()
        plan = (solve_exact(p, limit) if mode == "exact" else solve_heuristic(p, limit))
        wall = time.perf_counter() - t
        ref = bk.get(name, float("nan"))
        gap = 100.0 * (plan.objective - ref) / ref
        ok = "yes" if plan.lower_bound <= ref * (1 + 1e-6) else "NO"
        status = f" ({plan.status})" if mode == "exact" else ""
        print(f"| {name} | {mode}{status} | {limit:g} | {ref:.6f} | {plan.objective:.6f} | "
              f"{gap:+.3f} | {plan.lower_bound:.4f} | {ok} | {wall:.1f} |", flush=True)
        rows.append((name, mode, gap, wall))


if __name__ == "__main__":
    main()
