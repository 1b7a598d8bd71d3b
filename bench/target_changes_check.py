"""Check a ``simulate`` run's target changes against truth: did the track really move from one
platform to another where its violation record says it changed target?

A violation episode lists the times its track moved, without a gap, from a stretch called a
bird to one called something else at a very different speed, or the other way round
(``target_changes``, ``docs/airspace.md``). For every listed change this script takes the
platform nearest the track (``truth.csv`` against ``tracks.csv``, horizontal) every 10 s over
the 120 s before the old stretch ended and the 120 s after the new one began, and compares the
most frequent one of each side. ``changed``: another platform after than before (the change is
real); ``same``: the same platform (a false alarm, or a change whose class lagged the plots
by more than the window); ``unknown``: no report of the track on a side. Where the track did
move to the "after" platform within the window, it also dates that swap by truth -- the first
second from which that platform is the one nearest the track at every report to the end of the
window (which opens ``SWAP_BACK_S`` before the old stretch ended) -- and prints how long after
it the record's class time (``new_from_t_s``) and speed time (``speed_changed_t_s``) came.

    python bench/target_changes_check.py out/fl-1 [out/fl-2 ...]

docs/benchmarks.md section 6 ("One visit per lost-and-back track; tracks that changed target")
was measured with it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

#: Window on each side of a change, and the sampling step, s.
WINDOW_S = 120
STEP_S = 10
#: How far before the old stretch's end the swap is looked for, s.
SWAP_BACK_S = 240


def _nearest(truth: dict[int, tuple[list[str], np.ndarray]], t: int, lat: float,
             lon: float) -> str | None:
    got = truth.get(t)
    if got is None:
        return None
    ids, p = got
    d = np.hypot((p[:, 0] - lat) * 111_320.0,
                 (p[:, 1] - lon) * 111_320.0 * np.cos(np.radians(lat)))
    return ids[int(np.argmin(d))]


def check(run: Path) -> dict[str, int]:
    """Print one line per change of ``run``; return the counts."""
    episodes = [json.loads(x) for x in (run / "episodes.jsonl").read_text().splitlines()
                if x.strip()]
    changes: dict[tuple[int, float], dict] = {}
    for e in episodes:
        for c in e.get("target_changes") or []:
            changes.setdefault((int(c["track_id"]), float(c["new_from_t_s"])), c)
    counts = Counter(changed=0, same=0, unknown=0)
    lags_class: list[float] = []
    lags_speed: list[float] = []
    if not changes:
        print(f"{run}: no target changes")
        return dict(counts)
    want: dict[int, set[int]] = defaultdict(set)
    sides = {}
    dense = {}
    for (tid, _), c in changes.items():
        a = int(float(c["old_until_t_s"]))
        b = int(float(c["new_from_t_s"]))
        before = list(range(a - WINDOW_S, a + 1, STEP_S))
        after = list(range(b, b + WINDOW_S + 1, STEP_S))
        sides[(tid, float(c["new_from_t_s"]))] = (before, after)
        dense[(tid, float(c["new_from_t_s"]))] = list(range(a - SWAP_BACK_S, b + WINDOW_S + 1))
        want[tid] |= set(before) | set(after) | set(dense[(tid, float(c["new_from_t_s"]))])
    pos: dict[tuple[int, int], tuple[float, float]] = {}
    with (run / "tracks.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            tid, t = int(r["track_id"]), int(float(r["t_s"]))
            if t in want.get(tid, ()):
                pos[(tid, t)] = (float(r["lat_deg"]), float(r["lon_deg"]))
    times = set().union(*want.values())
    rows: dict[int, tuple[list[str], list[tuple[float, float]]]] = defaultdict(
        lambda: ([], []))
    with (run / "truth.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            t = int(float(r["t_s"]))
            if t in times:
                rows[t][0].append(r["platform_id"])
                rows[t][1].append((float(r["lat_deg"]), float(r["lon_deg"])))
    truth = {t: (ids, np.array(p)) for t, (ids, p) in rows.items()}
    for key, c in sorted(changes.items()):
        tid = key[0]
        got = []
        for ts in sides[key]:
            near = Counter(n for t in ts if (tid, t) in pos
                           for n in [_nearest(truth, t, *pos[(tid, t)])] if n is not None)
            got.append(near.most_common(1)[0][0] if near else None)
        verdict = ("unknown" if None in got else "changed" if got[0] != got[1] else "same")
        counts[verdict] += 1
        late = ""
        if got[1] is not None:
            # a real swap: on the new platform from some time in the window, not from its start
            # (a class that lagged the plots by more than WINDOW_S reads "same" above)
            swap = _swap_t(truth, pos, tid, dense[key], got[1])
            if swap is not None and swap > dense[key][0]:
                lag_c = float(c["new_from_t_s"]) - swap
                lag_s = (float(c["speed_changed_t_s"]) - swap
                         if c.get("speed_changed_t_s") is not None else float("nan"))
                lags_class.append(lag_c)
                lags_speed.append(lag_s)
                late = (f"; swap by truth at {swap:.0f} s: class time {lag_c:+.0f} s, "
                        f"speed time {lag_s:+.0f} s after it")
        print(f"{run}: track {tid} {c['old_class']} ({c['old_speed_mps']} m/s) until "
              f"{c['old_until_t_s']} s -> {c['new_class']} ({c['new_speed_mps']} m/s) from "
              f"{c['new_from_t_s']} s, {c['where']}: before {got[0]}, after {got[1]}: "
              f"{verdict}{late}")
    print(f"{run}: {len(changes)} change(s): {counts['changed']} changed platform, "
          f"{counts['same']} same, {counts['unknown']} unknown")
    if lags_class:
        print(f"{run}: after the swap by truth: class time {_fmt(lags_class)} s, "
              f"speed time {_fmt(lags_speed)} s")
    return dict(counts)


def _fmt(xs: list[float]) -> str:
    return " / ".join("?" if x != x else f"{x:+.0f}" for x in xs)


def _swap_t(truth: dict[int, tuple[list[str], np.ndarray]],
            pos: dict[tuple[int, int], tuple[float, float]], tid: int, times: list[int],
            new: str) -> float | None:
    """The first second from which ``new`` is the platform nearest track ``tid`` at every
    report up to the end of ``times`` (None: never)."""
    swap = None
    for t in times:
        if (tid, t) not in pos:
            continue
        n = _nearest(truth, t, *pos[(tid, t)])
        if n == new:
            swap = float(t) if swap is None else swap
        else:
            swap = None
    return swap


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path, help="simulate output folders")
    args = ap.parse_args(argv)
    for run in args.runs:
        for name in ("episodes.jsonl", "tracks.csv", "truth.csv"):
            if not (run / name).is_file():
                print(f"{run}: no {name} (a simulate output folder is needed)",
                      file=sys.stderr)
                return 2
        check(run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
