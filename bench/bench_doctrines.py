"""Planner vs naive doctrines vs the perfect-information oracle, same seeds (issue 13).

Runs (or reuses) a Monte-Carlo study with the doctrine as its sweep parameter::

    dronewall simulate SCENARIO --runs N --workers W \\
        --set doctrine=planner,missile_first,nearest_capable,oracle --out OUT

then reads ``OUT/runs.csv`` and prints, per doctrine, the mean of each engagement metric with
its 95 % interval (the study's methods: Wilson on pooled counts for proportions, percentile
bootstrap of the mean otherwise, ``dronewall.metrics.intervals``), and the **paired**
difference planner - doctrine over the runs of the same seed (percentile bootstrap of the mean
difference, same resamples and seed), with whether the interval excludes zero.

Usage::

    python bench/bench_doctrines.py scenarios/rzeszow-layered-defence.yaml --runs 8 \\
        --workers 2 --out bench/results/doctrines-layered
    python bench/bench_doctrines.py ... --reuse          # only analyse an existing study
    python bench/bench_doctrines.py ... --json out.json  # also write the tables as JSON
    python bench/bench_doctrines.py ... --doctrines planner,oracle --out DIR2 \
        --others-from DIR        # after a planner change: re-run only what it affects
    python bench/bench_doctrines.py ... --base-seed 43 --out DIR3 \
        --merge DIR              # more seeds: other run seeds, pooled with DIR's
    python bench/bench_doctrines.py ... --reuse --out DIR3 --merge DIR2 \
        --merge DIR:missile_first,nearest_capable   # DIR2's re-runs, DIR's naive runs

Needs no more than the package; heavy (each run is a full simulation): it is a benchmark, not
a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.metrics.intervals import bootstrap_mean_interval, summarise
from dronewall.metrics.schema import metric

DOCTRINES = ("planner", "missile_first", "nearest_capable", "oracle")
#: Metrics in the tables (schema names; the proportion is pooled over runs).
TABLE = ("one_way_neutralised_rate", "leakers", "spend_eur", "spend_per_neutralised_eur",
         "cost_exchange_ratio", "waste_share", "waste_eur", "shots_per_kill", "value_lost_eur",
         "neutralised", "shots")
#: Metrics whose paired difference planner - doctrine is reported.
PAIRED = ("one_way_neutralised_rate", "leakers", "spend_eur", "spend_per_neutralised_eur",
          "waste_share", "cost_exchange_ratio")


def run_study(scenario: Path, runs: int, workers: int, out: Path,
              duration_s: float | None, doctrines: tuple[str, ...] = DOCTRINES,
              base_seed: int | None = None) -> None:
    cmd = [sys.executable, "-m", "dronewall.cli.main", "simulate", str(scenario), "--runs",
           str(runs), "--workers", str(workers), "--out", str(out), "--set",
           "doctrine=" + ",".join(doctrines)]
    if base_seed is not None:   # the run seeds are SeedSequence([base_seed, i])
        cmd += ["--seed", str(base_seed)]
    if duration_s:
        cmd += ["--duration", str(duration_s)]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def load(out: Path) -> dict[str, list[dict[str, Any]]]:
    """doctrine -> its runs (ok only), each a dict of floats plus ``seed``."""
    summary = json.loads((out / "summary.json").read_text())
    points = summary["sweep"]["points"]
    doctrine_of = {int(p["point"]): p["params"]["doctrine"] for p in points}
    by: dict[str, list[dict[str, Any]]] = {d: [] for d in doctrine_of.values()}
    with (out / "runs.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            if r["status"] != "ok":
                continue
            row: dict[str, Any] = {"seed": int(r["seed"])}
            for k, v in r.items():
                if k in ("run", "point", "seed", "status", "error"):
                    continue
                try:
                    row[k] = float(v) if v != "" else math.nan
                except ValueError:
                    continue
            by[doctrine_of[int(r["point"])]].append(row)
    return by


def aggregate(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    m = metric(name)
    vals = [r.get(name, math.nan) for r in rows]
    if m.kind == "proportion":
        return summarise(vals, lower=m.lower, upper=m.upper,
                         successes=[r.get(m.numerator, math.nan) for r in rows],
                         trials=[r.get(m.denominator, math.nan) for r in rows])
    return summarise(vals, lower=m.lower, upper=m.upper)


def paired(a: list[dict[str, Any]], b: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """Mean of planner - doctrine over the seeds both ran (NaN pairs left out) and its
    percentile bootstrap interval."""
    bs = {r["seed"]: r.get(name, math.nan) for r in b}
    d = np.array([r.get(name, math.nan) - bs[r["seed"]] for r in a if r["seed"] in bs])
    d = d[np.isfinite(d)]
    if d.size < 2:
        return {"n": int(d.size), "mean": float(d.mean()) if d.size else None,
                "ci95_low": None, "ci95_high": None, "excludes_zero": None}
    lo, hi = bootstrap_mean_interval(d)
    return {"n": int(d.size), "mean": float(d.mean()), "ci95_low": lo, "ci95_high": hi,
            "excludes_zero": bool(lo > 0 or hi < 0)}


def fmt(name: str, v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "–"
    m = metric(name)
    if m.kind == "proportion":
        return f"{100 * v:.1f} %"
    if m.name == "waste_share":
        return f"{100 * v:.1f} %"
    if m.unit == "EUR":
        return f"€{v / 1e3:,.1f} k" if abs(v) < 1e6 else f"€{v / 1e6:,.2f} M"
    return f"{v:.2f}"


def tables(by: dict[str, list[dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    out: dict[str, Any] = {"doctrines": {}, "paired_planner_minus": {}}
    lines = ["| metric | " + " | ".join(d for d in DOCTRINES if d in by) + " |",
             "|---|" + "---|" * sum(d in by for d in DOCTRINES)]
    for name in TABLE:
        cells = []
        for d in DOCTRINES:
            if d not in by:
                continue
            a = aggregate(by[d], name)
            out["doctrines"].setdefault(d, {})[name] = a
            ci = (f" ({fmt(name, a['ci95_low'])}–{fmt(name, a['ci95_high'])})"
                  if a.get("ci95_low") is not None else "")
            cells.append(fmt(name, a["mean"]) + ci)
        lines.append(f"| {metric(name).label} | " + " | ".join(cells) + " |")
    others = [d for d in DOCTRINES[1:] if d in by]
    if "planner" not in by or not others:         # nothing to pair (one doctrine run alone)
        lines.insert(0, f"Runs per doctrine: { {d: len(v) for d, v in by.items()} }\n")
        return "\n".join(lines), out
    lines += ["", "Paired difference planner − doctrine (same seeds; mean, 95 % bootstrap "
              "interval; * = interval excludes 0):", "",
              "| metric | " + " | ".join(others) + " |",
              "|---|" + "---|" * len(others)]
    for name in PAIRED:
        cells = []
        for d in DOCTRINES[1:]:
            if d not in by or "planner" not in by:
                continue
            p = paired(by["planner"], by[d], name)
            out["paired_planner_minus"].setdefault(d, {})[name] = p
            if p["mean"] is None:
                cells.append("–")
                continue
            ci = (f" ({fmt(name, p['ci95_low'])} to {fmt(name, p['ci95_high'])})"
                  if p["ci95_low"] is not None else "")
            cells.append(fmt(name, p["mean"]) + ci + (" *" if p["excludes_zero"] else ""))
        lines.append(f"| {metric(name).label} | " + " | ".join(cells) + " |")
    n = {d: len(v) for d, v in by.items()}
    lines.insert(0, f"Runs per doctrine: {n}\n")
    return "\n".join(lines), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--duration", type=float, default=None, help="cut runs (development only)")
    ap.add_argument("--reuse", action="store_true", help="analyse an existing study in --out")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--doctrines", default=",".join(DOCTRINES),
                    help="doctrines to run (e.g. planner,oracle after a planner change)")
    ap.add_argument("--others-from", type=Path, default=None, metavar="DIR",
                    help="take the doctrines this study does not run from an earlier study "
                         "of the same scenario and base seed (checked: same seeds)")
    ap.add_argument("--base-seed", type=int, default=None,
                    help="base seed of the runs (default: the scenario's); another base seed "
                         "gives other run seeds, to add runs to an earlier study with --merge")
    ap.add_argument("--merge", action="append", default=[], metavar="DIR[:D1,D2]",
                    help="pool the runs of an earlier study of the same scenario run with "
                         "another base seed (repeatable; only doctrines D1,D2 if given; "
                         "checked: no seed twice, every doctrine the same seeds)")
    a = ap.parse_args()
    if not a.reuse:
        run_study(a.scenario, a.runs, a.workers, a.out, a.duration,
                  tuple(d.strip() for d in a.doctrines.split(",") if d.strip()), a.base_seed)
    by = load(a.out)
    for spec in a.merge:   # a study may hold only some doctrines (e.g. planner,oracle re-runs)
        m, _, only = spec.partition(":")
        keep = {d.strip() for d in only.split(",") if d.strip()}
        for d, rows in load(Path(m)).items():
            if keep and d not in keep:
                continue
            if d not in by:
                raise SystemExit(f"--merge {m}: doctrine {d} is not in this study")
            if {r["seed"] for r in rows} & {r["seed"] for r in by[d]}:
                raise SystemExit(f"--merge {m}: doctrine {d} ran a seed already pooled")
            by[d] = by[d] + rows
    if a.merge:
        seeds = {d: sorted(r["seed"] for r in rows) for d, rows in by.items()}
        if len({tuple(v) for v in seeds.values()}) != 1:
            raise SystemExit(f"--merge: the doctrines ran different seeds: {seeds}")
    if a.others_from is not None:
        seeds = sorted(r["seed"] for r in next(iter(by.values())))
        for d, rows in load(a.others_from).items():
            if d in by:
                continue
            if sorted(r["seed"] for r in rows) != seeds:
                raise SystemExit(f"--others-from {a.others_from}: doctrine {d} ran other seeds")
            by[d] = rows
    text, data = tables(by)
    print(text)
    if a.json is not None:
        a.json.write_text(json.dumps(data, indent=2, default=float))


if __name__ == "__main__":
    main()
