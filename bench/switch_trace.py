"""List every identity switch of a ``simulate`` run, with what was around it.

Replays the continuity scorer (``dronewall.metrics.continuity``) over a run's ``truth.csv``,
``tracks.csv`` and ``detections.csv`` exactly as ``simulate`` scores them (a platform is
scored while some sensor truly detected it in the last 10 s; horizontal positions), and
writes one row per switch: when, which platform and class, the old and the new track, which
platform the old track follows now and how far that one is, and how long the platform had
been unmatched. The totals are checked against the run's ``summary.json``.

    python bench/switch_trace.py out/fl-1 --csv out/fl-1/switches.csv

docs/benchmarks.md section 6 ("One-to-one assignment memory") was traced with it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dronewall.geo import Frame
from dronewall.metrics.continuity import ContinuityScorer

#: As ``dronewall.pipeline.tracking.DETECTABLE_WINDOW_S``: a platform is scored while a sensor
#: truly detected it within this many seconds.
DETECTABLE_WINDOW_S = 10.0


def _local(frame: Frame, lat: np.ndarray, lon: np.ndarray, alt: np.ndarray) -> np.ndarray:
    return np.asarray(frame.geodetic_to_local(lat, lon, alt))[:, :2]


def trace(run: Path) -> tuple[list[dict[str, object]], dict[str, int]]:
    """Switch rows and totals of the run in directory ``run``."""
    plat = pacsv.read_csv(run / "platforms.csv")
    names = plat.column("platform_id").to_pylist()
    cls = plat.column("class").to_pylist()
    index = {p: i for i, p in enumerate(names)}
    tr = pacsv.read_csv(run / "truth.csv", convert_options=pacsv.ConvertOptions(
        include_columns=["t_s", "platform_id", "lat_deg", "lon_deg", "alt_m"]))
    tk = pacsv.read_csv(run / "tracks.csv", convert_options=pacsv.ConvertOptions(
        include_columns=["t_s", "track_id", "lat_deg", "lon_deg", "alt_m"]))
    det = pacsv.read_csv(run / "detections.csv", convert_options=pacsv.ConvertOptions(
        include_columns=["t_s", "truth_id"]))
    det = det.filter(pc.greater_equal(det.column("truth_id"), 0))
    lat = tr.column("lat_deg").to_numpy()
    lon = tr.column("lon_deg").to_numpy()
    frame = Frame(float(np.mean(lat)), float(np.mean(lon)), 0.0)
    t_tr = tr.column("t_s").to_numpy()
    i_tr = np.array([index[p] for p in tr.column("platform_id").to_pylist()], np.int64)
    x_tr = _local(frame, lat, lon, tr.column("alt_m").to_numpy())
    t_tk = tk.column("t_s").to_numpy()
    id_tk = tk.column("track_id").to_numpy().astype(np.int64)
    x_tk = _local(frame, tk.column("lat_deg").to_numpy(), tk.column("lon_deg").to_numpy(),
                  tk.column("alt_m").to_numpy())
    t_det = det.column("t_s").to_numpy()
    i_det = det.column("truth_id").to_numpy().astype(np.int64)
    # each table sorted by time once; a step is a slice [lo, hi) found by binary search
    o = np.argsort(t_tr, kind="stable")
    t_tr, i_tr, x_tr = t_tr[o], i_tr[o], x_tr[o]
    o = np.argsort(t_tk, kind="stable")
    t_tk, id_tk, x_tk = t_tk[o], id_tk[o], x_tk[o]
    o = np.argsort(t_det, kind="stable")
    t_det, i_det = t_det[o], i_det[o]
    last_det = np.full(len(names), -np.inf)
    sc = ContinuityScorer(len(names))
    rows: list[dict[str, object]] = []
    for t in np.unique(t_tr):
        d = slice(np.searchsorted(t_det, t, "left"), np.searchsorted(t_det, t, "right"))
        np.maximum.at(last_det, i_det[d], t)
        m = slice(np.searchsorted(t_tr, t, "left"), np.searchsorted(t_tr, t, "right"))
        vis = t - last_det[i_tr[m]] <= DETECTABLE_WINDOW_S
        ti, tx = i_tr[m][vis], x_tr[m][vis]
        k = slice(np.searchsorted(t_tk, t, "left"), np.searchsorted(t_tk, t, "right"))
        prev = sc.prev_track.copy()
        last = sc.last_match_t.copy()
        before = sc.switches_by_truth.copy()
        mt, mk = sc.scan(float(t), ti, tx, id_tk[k], x_tk[k], x_tr[m][~vis])
        pos = dict(zip(ti.tolist(), tx, strict=True))
        owner = dict(zip(mk.tolist(), mt.tolist(), strict=True))
        for p in np.flatnonzero(sc.switches_by_truth != before):
            old = int(prev[p])
            now_on = owner.get(old)
            sep = (float(np.hypot(*(pos[p] - pos[now_on]))) if now_on is not None
                   else float("nan"))
            rows.append({"t_s": float(t), "platform": names[p], "class": cls[p],
                         "old_track": old, "new_track": int(sc.prev_track[p]),
                         "old_track_now_on": names[now_on] if now_on is not None else "",
                         "separation_m": round(sep, 1), "unmatched_s": float(t - last[p])})
    s = sc.summary()
    totals = {"identity_switches": int(s["identity_switches"] or 0),
              "identity_switches_close_pair": int(s["identity_switches_close_pair"] or 0),
              "identity_switches_after_gap": int(s["identity_switches_after_gap"] or 0)}
    return rows, totals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path, help="output directory of `dronewall simulate`")
    ap.add_argument("--csv", type=Path, help="write the switch rows here")
    a = ap.parse_args(argv)
    for f in ("platforms.csv", "truth.csv", "tracks.csv", "detections.csv"):
        if not (a.run / f).is_file():
            print(f"switch_trace: {a.run / f} not found (needs a simulate run with CSV "
                  "outputs)", file=sys.stderr)
            return 2
    rows, totals = trace(a.run)
    for r in rows:
        print(f"{r['t_s']:7.0f} s  {r['platform']:<14} {r['class']:<15} "
              f"{r['old_track']:>6} -> {r['new_track']:<6} old track now on "
              f"{r['old_track_now_on'] or '-':<14} {r['separation_m']:>8} m  "
              f"unmatched {r['unmatched_s']:.0f} s")
    print(json.dumps(totals))
    summ = a.run / "summary.json"
    if summ.is_file():
        co = json.loads(summ.read_text())["tracking"]["continuity"]
        same = all(co.get(key) == v for key, v in totals.items())
        print("summary.json:", "same counts" if same else
              {key: co.get(key) for key in totals})
    if a.csv and rows:
        with a.csv.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
