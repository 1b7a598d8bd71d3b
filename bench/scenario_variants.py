"""Robustness sweep: variants of a scenario through ``simulate`` and the commands that read a
run (``report incident``, ``export``), checking that each ends with exit 0 or a clear exit-2
message -- never an internal error.

Variants: only one sensor kind (radar, acoustic grid, RF, EO/IR + ADS-B), acoustic + RF, no
sensors, no traffic, one multirotor only, birds only, no zones, no effectors.

    python bench/scenario_variants.py scenarios/eastern-poland-raid.yaml --duration 600 \\
        --out out/variants

docs/benchmarks.md section 6 ("Seeds never used before; what a sensor located; a quiet sky")
reports what it found on the flagship raid.
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Spec = dict[str, Any]


def _only(types: set[str]) -> Callable[[Spec], None]:
    def f(d: Spec) -> None:
        d["sensors"] = [s for s in d.get("sensors", []) if s.get("type") in types]
    return f


def _traffic(keep: str | None) -> Callable[[Spec], None]:
    def f(d: Spec) -> None:
        t = d.get("traffic", {})
        d["traffic"] = {} if keep is None else {keep: t.get(keep, [])[:1]}
    return f


def _drop(key: str, empty: Any) -> Callable[[Spec], None]:
    def f(d: Spec) -> None:
        d[key] = empty
    return f


VARIANTS: dict[str, Callable[[Spec], None]] = {
    "radar-only": _only({"radar"}), "acoustic-only": _only({"acoustic_grid"}),
    "rf-only": _only({"rf"}), "eoir-adsb": _only({"eoir", "adsb"}),
    "acoustic-rf": _only({"acoustic_grid", "rf"}), "no-sensors": _drop("sensors", []),
    "no-traffic": _traffic(None), "one-multirotor": _traffic("multirotors"),
    "birds-only": _traffic("birds"), "no-zones": _drop("zones", []),
    "no-effectors": _drop("effectors", []),
}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dronewall.cli.main", *args],
                          capture_output=True, text=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--duration", type=float, default=600.0, help="s per run")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--only", nargs="*", default=None, help="variant names (default: all)")
    a = ap.parse_args()
    base = yaml.safe_load(a.scenario.read_text(encoding="utf-8"))
    a.out.mkdir(parents=True, exist_ok=True)
    bad = 0
    for name in a.only or list(VARIANTS):
        d = copy.deepcopy(base)
        VARIANTS[name](d)
        spec = a.out / f"{name}.yaml"
        spec.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
        run = a.out / name
        steps = [("simulate", ["simulate", str(spec), "--duration", str(a.duration),
                               "--no-engage", "--out", str(run)]),
                 ("report incident", ["report", "incident", "--events", str(run / "events.jsonl"),
                                      "--tracks", str(run / "tracks.csv"),
                                      "--out", str(a.out / f"{name}-report.html")]),
                 ("export", ["export", str(run), "--out", str(a.out / f"{name}.geojson")])]
        for what, args in steps:
            r = _cli(*args)
            internal = r.returncode not in (0, 2) or "Traceback" in r.stderr
            bad += internal
            last = (r.stderr.strip().splitlines() or [""])[-1][:140]
            print(f"{name:15s} {what:16s} exit {r.returncode}"
                  f"{'  INTERNAL ERROR' if internal else ''}  {last if r.returncode else ''}",
                  flush=True)
            if r.returncode:
                break
    print(f"{bad} internal error(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
