"""Where tracks change the platform their detections come from -- the tracker's own identity
errors, as opposed to the scorer's.

Runs ``dronewall simulate`` and collects, per engine step, ``StepResult.update_origin`` (the
truth id of every detection that updated a track). A track's origin is the platform that
produced at least 80 % of its last 10 true detections (``dronewall.metrics.origin``); each
time a track's origin goes from one platform to another the change is listed with the two
platforms' horizontal separation then (``truth.csv``) and the time since the old platform last
fed the track before the new one did, and counted by kind:

* ``near`` (the two within 2 km) with no gap: the association moved the track onto a
  neighbour -- a pair flying together, crossing, or a stream of drones;
* ``far`` after a gap (> 30 s): a lost track re-acquired or stitched on another platform;
* the rest (``near`` after a gap, ``far`` with no gap: e.g. a loud airliner's bearings taken
  by a track near the acoustic node).

    python bench/origin_changes.py scenarios/eastern-poland-raid.yaml --seed 1 \\
        --duration 3600 --out out/oc-1

docs/benchmarks.md section 6 ("What the switches are made of") was measured with it.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
from simrun import run_args, simulate

from dronewall.metrics.origin import UpdateOrigins
from dronewall.tracking import engine as E

#: Two platforms closer than this are neighbours, m.
NEAR_M = 2000.0
#: A change this long after the old platform last fed the track is a re-acquisition, s.
GAP_S = 30.0


def _wrap(steps: list[tuple[float, np.ndarray]]) -> None:
    """Wrap ``Engine.step`` so that each step's ``update_origin`` is appended to ``steps``."""
    orig = E.Engine.step

    def step(self: E.Engine, t: float, detections: Any = None) -> Any:
        r = orig(self, t, detections)
        if r.update_origin.size:
            steps.append((float(r.t), r.update_origin.copy()))
        return r

    E.Engine.step = step  # type: ignore[method-assign]


def origin_changes(steps: list[tuple[float, np.ndarray]]) -> list[dict[str, Any]]:
    """Each change of a track's origin from one platform to another: the time of the first
    of the new platform's detections among the track's last ten (s; the change itself is
    only certain once they make 80 %), track id, old and new platform (truth ids), and the
    gap between the old platform's last detection before that and it, s (0 when the two
    fed the track in turn)."""
    u = UpdateOrigins()
    depth = u.depth
    last: dict[int, int] = {}
    recent: dict[int, list[tuple[float, int]]] = {}
    out: list[dict[str, Any]] = []
    for t, rows in steps:
        u.add(rows)
        for k, j in rows[rows[:, 1] >= 0].tolist():
            recent.setdefault(k, []).append((t, j))
            del recent[k][:-2 * depth]
        ids = np.unique(rows[:, 0])
        for k, o in zip(ids.tolist(), u.origin(ids).tolist(), strict=True):
            if o < 0:
                continue
            old = last.get(k)
            if old is not None and old != o:
                h = recent[k]
                first = min(tt for tt, j in h[-depth:] if j == o)
                before = [tt for tt, j in h if j == old and tt <= first]
                out.append({"t_s": first, "track": k, "old": old, "new": o,
                            "gap_s": first - before[-1] if before else None})
            last[k] = o
    return out


def classify(changes: list[dict[str, Any]], truth: Path) -> Counter[str]:
    """Add the separation of old and new platform (m, horizontal, at the change; None where
    either is not in ``truth.csv`` then) and count the changes by kind."""
    tab = pacsv.read_csv(truth).to_pydict()
    # truth ids are the rows of platforms.csv
    plat = dict(enumerate(pacsv.read_csv(truth.parent / "platforms.csv")
                          .column("platform_id").to_pylist()))
    pos = {(p, float(t)): (la, lo) for p, t, la, lo in zip(
        tab["platform_id"], tab["t_s"], tab["lat_deg"], tab["lon_deg"], strict=True)}
    kinds: Counter[str] = Counter()
    for c in changes:
        a, b = plat.get(c["old"]), plat.get(c["new"])
        c["old_platform"], c["new_platform"] = a, b
        pa, pb = pos.get((a, float(round(c["t_s"])))), pos.get((b, float(round(c["t_s"]))))
        if pa is None or pb is None:
            c["separation_m"] = None
        else:
            k = 111_320.0 * np.cos(np.radians(pa[0]))
            c["separation_m"] = round(float(np.hypot((pa[0] - pb[0]) * 110_540.0,
                                                     (pa[1] - pb[1]) * k)))
        near = c["separation_m"] is not None and c["separation_m"] <= NEAR_M
        gap = c["gap_s"] is None or c["gap_s"] > GAP_S
        kinds[("near" if near else "far") + (" after a gap" if gap else " no gap")] += 1
    return kinds


def main() -> int:
    a = run_args(__doc__)
    steps: list[tuple[float, np.ndarray]] = []
    _wrap(steps)
    rc = simulate(a)
    if rc:
        return rc
    ch = origin_changes(steps)
    kinds = classify(ch, a.out / "truth.csv")
    (a.out / "origin_changes.jsonl").write_text("".join(json.dumps(c) + "\n" for c in ch))
    print(f"{len(ch)} origin changes: "
          + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(f"-> {a.out / 'origin_changes.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
