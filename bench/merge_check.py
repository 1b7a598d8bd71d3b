"""Check the tracker's duplicate merges against truth: were the two merged tracks following
one platform, or two?

Runs ``dronewall simulate`` with the tracker's ``_merge_rows`` wrapped to log every duplicate
merge (``management._merge_duplicates``; stitches of a lost track into a new one are
``bench/stitch_check.py``'s): time, the two track ids, how long since each was last located
(s) and its horizontal sd (m), and the distance between them (m). Each member's platform is
then the one nearest most of its last three *located* reports before the merge (rows of
``tracks.csv`` whose ``last_update_t_s`` is their own time; horizontal, within 1 km;
``identity_gaps_check``). A coasting member's reports are predictions and are not used.

    python bench/merge_check.py scenarios/eastern-poland-raid.yaml --seed 1 \\
        --duration 3600 --out out/mg-1

docs/benchmarks.md section 6 ("Where the remaining ids come from") was measured with it.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
from identity_gaps_check import _Run
from simrun import run_args, simulate_logged

from dronewall.tracking import management as M

#: A member not located for this long before the merge (s) counts as stale in the summary.
STALE_S = 10.0


def _wrap(log: list[dict[str, object]]) -> None:
    """Wrap ``_TrackManagement._merge_rows`` so that every duplicate merge is appended to
    ``log`` (one entry per dropped row)."""
    orig = M._TrackManagement._merge_rows

    def merge_rows(self: M._TrackManagement, drop: np.ndarray, partner: np.ndarray,
                   acc: object, diag: dict[str, int], revisit_max: bool = True,
                   fresher_s: float = 0.0) -> None:
        if revisit_max:          # the stitch passes False: not a duplicate merge
            T = self.T
            t = float(self._t_processed)
            for d in np.asarray(drop, np.int64).tolist():
                p = int(partner[d])
                log.append({
                    "t_s": t, "a": int(T.ids[d]), "b": int(T.ids[p]),
                    "a_unlocated_s": t - float(T.t_good[d]),
                    "b_unlocated_s": t - float(T.t_good[p]),
                    "a_sd_m": float(np.sqrt(np.trace(T.P[d, :2, :2]))),
                    "b_sd_m": float(np.sqrt(np.trace(T.P[p, :2, :2]))),
                    "distance_m": float(np.hypot(*(T.x[d, :2] - T.x[p, :2])))})
        orig(self, drop, partner, acc, diag, revisit_max, fresher_s)

    M._TrackManagement._merge_rows = merge_rows  # type: ignore[method-assign]


def _located_times(run: Path) -> dict[int, np.ndarray]:
    """Per track id, the times (s) of its reports that were located updates."""
    tk = pacsv.read_csv(run / "tracks.csv", convert_options=pacsv.ConvertOptions(
        include_columns=["t_s", "track_id", "last_update_t_s"]))
    t = tk.column("t_s").to_numpy()
    ids = tk.column("track_id").to_numpy().astype(np.int64)
    lu = tk.column("last_update_t_s").to_numpy()
    m = np.isfinite(lu) & (np.abs(t - lu) < 1e-6)
    t, ids = t[m], ids[m]
    o = np.lexsort((t, ids))
    t, ids = t[o], ids[o]
    cut = np.flatnonzero(np.diff(ids)) + 1
    return {int(g[0]): tt for g, tt in zip(np.split(ids, cut), np.split(t, cut), strict=True)
            if g.size}


def label(run: Path, log: list[dict[str, object]]) -> list[dict[str, object]]:
    """Each merge with the platform each member followed before it (None: no located report
    near a platform) and ``same``: True / False where both are known, else None."""
    r = _Run(run)
    located = _located_times(run)
    for s in log:
        t = float(s["t_s"])  # type: ignore[arg-type]
        for side in ("a", "b"):
            ts = located.get(int(s[side]), np.zeros(0))  # type: ignore[call-overload]
            votes = Counter(r.platform_at(int(s[side]), float(x))[0]  # type: ignore[call-overload]
                            for x in ts[ts < t][-3:])
            votes.pop(None, None)
            s[f"platform_{side}"] = votes.most_common(1)[0][0] if votes else None
        pa, pb = s["platform_a"], s["platform_b"]
        s["same"] = None if pa is None or pb is None else pa == pb
    return log


def summary(rows: list[dict[str, object]]) -> dict[str, int]:
    """Counts: merges, of one platform / of two / unknown, and of each the ones whose staler
    member had not been located for ``STALE_S`` or more."""
    out: Counter[str] = Counter(merges=len(rows))
    for s in rows:
        kind = {True: "one_platform", False: "two_platforms", None: "unknown"}[s["same"]]  # type: ignore[index]
        out[kind] += 1
        stale = max(float(s["a_unlocated_s"]), float(s["b_unlocated_s"])) >= STALE_S  # type: ignore[arg-type]
        out[f"{kind}_stale"] += int(stale)
    return dict(out)


def main() -> int:
    a = run_args(__doc__)
    rc, rows = simulate_logged(a, _wrap, label, "merges.jsonl")
    if rc:
        return rc
    s = summary(rows)
    print(f"{s['merges']} duplicate merges: {s.get('one_platform', 0)} of one platform "
          f"({s.get('one_platform_stale', 0)} with a member unlocated >= {STALE_S:.0f} s), "
          f"{s.get('two_platforms', 0)} of two ({s.get('two_platforms_stale', 0)}), "
          f"{s.get('unknown', 0)} unknown")
    print(f"-> {a.out / 'merges.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
