"""Where a ``simulate`` run's track ids come from: per platform class, how many ids its
platforms carry, after what gap each further id began, and how many ids were tracks located
only once or twice while reported.

Each track is given to the platform nearest most of its located reports (rows of
``tracks.csv`` whose ``last_update_t_s`` is their own time; horizontal, within 1 km;
``identity_gaps_check``); a track with none near a platform counts as "none". Per platform,
its tracks in order of first report: each further one began after a gap (its first report
minus the previous one's last; <= 0: while the previous one was still reported) --
``lost_window_s`` (300 s in ``simulate``) is how long a lost track waits to be stitched.

    python bench/id_sources.py out/fl-10

docs/benchmarks.md section 6 ("Where the remaining ids come from") was measured with it.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
from identity_gaps_check import _Run, missing_output

#: Gap buckets (s) of a platform's further ids: (upper bound, name).
GAP_BUCKETS = ((0.0, "overlap"), (60.0, "<=60 s"), (300.0, "60-300 s"), (np.inf, ">300 s"))


def id_sources(run: Path) -> dict[str, dict[str, int]]:
    """Per class (``platforms.csv``; "none" for tracks near no platform): ``platforms``
    tracked, ``ids``, the further ids by gap bucket, and ``few_updates`` (ids whose reports
    carry at most two distinct located-update times)."""
    r = _Run(run)
    tk = pacsv.read_csv(run / "tracks.csv", convert_options=pacsv.ConvertOptions(
        include_columns=["t_s", "track_id", "last_update_t_s"]))
    t = tk.column("t_s").to_numpy()
    ids = tk.column("track_id").to_numpy().astype(np.int64)
    lu = tk.column("last_update_t_s").to_numpy()
    pl = pacsv.read_csv(run / "platforms.csv", convert_options=pacsv.ConvertOptions(
        include_columns=["platform_id", "class"])).to_pydict()
    cls = dict(zip(pl["platform_id"], pl["class"], strict=True))
    owner: dict[int, str | None] = {}
    span: dict[int, tuple[float, float]] = {}
    few: dict[int, bool] = {}
    for k in np.unique(ids).tolist():
        m = ids == k
        tt, uu = t[m], lu[m]
        span[k] = (float(tt.min()), float(tt.max()))
        few[k] = np.unique(uu[np.isfinite(uu)]).size <= 2
        loc = tt[np.isfinite(uu) & (np.abs(tt - uu) < 1e-6)]
        votes = Counter(r.platform_at(k, float(x))[0] for x in loc)
        none = votes.pop(None, 0)
        best = votes.most_common(1)
        owner[k] = best[0][0] if best and best[0][1] >= none else None
    by_platform: dict[str | None, list[int]] = defaultdict(list)
    for k, p in owner.items():
        by_platform[p].append(k)
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for p, ks in by_platform.items():
        c = "none" if p is None else str(cls.get(p, "unknown"))
        ks.sort(key=lambda k: span[k][0])
        out[c]["ids"] += len(ks)
        out[c]["few_updates"] += sum(few[k] for k in ks)
        if p is None:
            continue
        out[c]["platforms"] += 1
        for i in range(1, len(ks)):
            gap = span[ks[i]][0] - max(span[j][1] for j in ks[:i])
            out[c][next(name for hi, name in GAP_BUCKETS if gap <= hi)] += 1
    return {c: dict(v) for c, v in sorted(out.items())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="a simulate output folder")
    a = ap.parse_args(argv)
    if missing_output(a.run, ("truth.csv", "tracks.csv", "platforms.csv")):
        return 2
    res = id_sources(a.run)
    cols = ["platforms", "ids", *(name for _, name in GAP_BUCKETS), "few_updates"]
    print(f"{'class':<16}" + "".join(f"{c:>12}" for c in cols))
    for c, v in res.items():
        print(f"{c:<16}" + "".join(f"{v.get(k, 0):>12}" for k in cols))
    tot = {k: sum(v.get(k, 0) for v in res.values()) for k in cols}
    print(f"{'all':<16}" + "".join(f"{tot[k]:>12}" for k in cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
