"""Check a ``simulate`` run's identity gaps against truth: did the track follow the same
platform after each gap as before it?

A violation episode lists the times its track came back under its id after 30 s or more
unreported (``identity_gaps``, ``docs/airspace.md``). Across such a gap the identity rests on
prediction. This script looks up, for every listed gap, the platform nearest the track's
report at the start and at the end of the gap (``truth.csv`` against ``tracks.csv``,
horizontal, within 1 km) and counts the gaps after which the track followed another platform.
As a contrast it counts the episodes with no gap whose track followed another platform at its
first report than at the zone entry.

    python bench/identity_gaps_check.py out/fl-1 [--csv out/fl-1/gaps.csv]

docs/benchmarks.md section 6 ("Identity gaps in the violation record") was measured with it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
from scipy.spatial import cKDTree

from dronewall.geo import Frame

#: A track farther than this from every platform follows none of them, m.
NEAR_M = 1000.0
#: A track's platform is *unambiguous* when the second-nearest platform is farther than this, m
#: (streams of drones fly closer than the radar can resolve them at long range).
CLEAR_M = 2000.0


class _Run:
    """A run's tracks and truth, indexed for "which platform was this track on at t"."""

    def __init__(self, run: Path) -> None:
        cols = ["t_s", "lat_deg", "lon_deg", "alt_m"]
        tr = pacsv.read_csv(run / "truth.csv", convert_options=pacsv.ConvertOptions(
            include_columns=[*cols, "platform_id"]))
        tk = pacsv.read_csv(run / "tracks.csv", convert_options=pacsv.ConvertOptions(
            include_columns=[*cols, "track_id"]))
        lat = tr.column("lat_deg").to_numpy()
        frame = Frame(float(np.mean(lat)), float(np.mean(tr.column("lon_deg").to_numpy())), 0.0)
        self.t_tr = tr.column("t_s").to_numpy()
        self.p_tr = np.array(tr.column("platform_id").to_pylist(), dtype=object)
        self.x_tr = frame.geodetic_to_local(lat, tr.column("lon_deg").to_numpy(),
                                            tr.column("alt_m").to_numpy())[:, :2]
        t_tk = tk.column("t_s").to_numpy()
        id_tk = tk.column("track_id").to_numpy().astype(np.int64)
        x_tk = frame.geodetic_to_local(tk.column("lat_deg").to_numpy(),
                                       tk.column("lon_deg").to_numpy(),
                                       tk.column("alt_m").to_numpy())[:, :2]
        o = np.lexsort((t_tk, id_tk))
        self.id_tk, self.t_tk, self.x_tk = id_tk[o], t_tk[o], x_tk[o]
        self._trees: dict[float, tuple[cKDTree, np.ndarray]] = {}

    def reports(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """Times and positions of track ``tid``'s reports, by time."""
        lo, hi = np.searchsorted(self.id_tk, [tid, tid + 1])
        return self.t_tk[lo:hi], self.x_tk[lo:hi]

    def platform_at(self, tid: int, t: float) -> tuple[str | None, float, bool]:
        """The platform nearest track ``tid``'s report at ``t``, its distance, m (None where
        the track has no report then or no platform is within ``NEAR_M``), and whether the
        next-nearest platform is farther than ``CLEAR_M`` (the match is unambiguous)."""
        ts, xs = self.reports(tid)
        k = np.flatnonzero(ts == t)
        if not k.size:
            return None, float("inf"), False
        if t not in self._trees:
            m = self.t_tr == t
            self._trees[t] = (cKDTree(self.x_tr[m]), self.p_tr[m])
        tree, names = self._trees[t]
        d, i = tree.query(xs[k[0]], k=min(2, len(names)))
        d, i = np.atleast_1d(d), np.atleast_1d(i)
        clear = d.size < 2 or bool(d[1] > CLEAR_M)
        return (str(names[i[0]]) if d[0] <= NEAR_M else None), float(d[0]), clear


def check(run: Path) -> tuple[list[dict[str, object]], dict[str, object]]:
    """One row per (episode, gap) whose track's ends lie near a platform, and the totals."""
    eps = [json.loads(line) for line in (run / "episodes.jsonl").open() if line.strip()]
    r = _Run(run)
    rows: list[dict[str, object]] = []
    n_gap = 0
    for e in eps:
        for g in e.get("identity_gaps") or []:
            n_gap += 1
            a, b = float(g["from_t_s"]), float(g["to_t_s"])
            tid = int(g["track_id"])
            pa, da, ca = r.platform_at(tid, a)
            pb, db, cb = r.platform_at(tid, b)
            if pa is None or pb is None:
                continue
            rows.append({"episode": e.get("episode_id"), "track_quality": e.get("track_quality"),
                         "confidence": e.get("confidence"), "track_id": tid, "from_t_s": a,
                         "to_t_s": b, "gap_s": g["gap_s"], "where": g["where"],
                         "platform_before": pa, "platform_after": pb,
                         "dist_before_m": round(da), "dist_after_m": round(db),
                         "unambiguous": ca and cb})
    tot: dict[str, object] = {"episodes": len(eps),
                              "episodes_with_gaps": sum(bool(e.get("identity_gaps")) for e in eps),
                              "gaps": n_gap, "gaps_near_a_platform": len(rows),
                              "gaps_inside": sum(x["where"] == "inside" for x in rows)}
    for q, sub in (("high", [x for x in rows if x["track_quality"] == "high"]),
                   ("low", [x for x in rows if x["track_quality"] == "low"]),
                   ("high_unambiguous", [x for x in rows if x["track_quality"] == "high"
                                         and x["unambiguous"]])):
        distinct = {(x["track_id"], x["from_t_s"], x["to_t_s"]): x for x in sub}.values()
        tot[f"distinct_gaps_{q}"] = len(distinct)
        tot[f"distinct_gaps_{q}_other_platform"] = sum(
            x["platform_before"] != x["platform_after"] for x in distinct)
        by_ep: dict[object, bool] = {}
        for x in sub:
            by_ep[x["episode"]] = (by_ep.get(x["episode"], False)
                                   or x["platform_before"] != x["platform_after"])
        tot[f"episodes_with_gaps_{q}"] = len(by_ep)
        tot[f"episodes_with_gaps_{q}_other_platform"] = sum(by_ep.values())
    # contrast: listed-quality episodes with no gap, first report vs entry
    n = diff = n_clear = diff_clear = 0
    for e in eps:
        if (e.get("identity_gaps") or e.get("track_quality") == "low"
                or e.get("cooperative") == "authorised" or e.get("entry_t_s") is None):
            continue
        tid = int((e.get("fragments") or [e["track_id"]])[0])
        ts, _ = r.reports(tid)
        if not ts.size:
            continue
        te = float(ts[np.argmin(np.abs(ts - float(e["entry_t_s"])))])
        pa, _, ca = r.platform_at(tid, float(ts[0]))
        pb, _, cb = r.platform_at(tid, te)
        if pa is None or pb is None:
            continue
        n += 1
        diff += pa != pb
        n_clear += ca and cb
        diff_clear += ca and cb and pa != pb
    tot["episodes_without_gaps_high"] = n
    tot["episodes_without_gaps_high_other_platform_at_entry"] = diff
    tot["episodes_without_gaps_high_unambiguous"] = n_clear
    tot["episodes_without_gaps_high_unambiguous_other_platform_at_entry"] = diff_clear
    return rows, tot


def missing_output(run: Path, names: tuple[str, ...]) -> bool:
    """Whether a file of ``names`` is missing from the ``simulate`` output folder ``run``;
    the first one missing is named on stderr (the caller exits 2)."""
    for name in names:
        if not (run / name).is_file():
            print(f"error: {run / name}: not found (expected a dronewall simulate output "
                  "folder)", file=sys.stderr)
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path, help="a simulate output directory")
    ap.add_argument("--csv", type=Path, help="write one row per gap here")
    a = ap.parse_args(argv)
    if missing_output(a.run, ("episodes.jsonl", "tracks.csv", "truth.csv")):
        return 2
    rows, tot = check(a.run)
    if a.csv and rows:
        with a.csv.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    print(json.dumps(tot, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
