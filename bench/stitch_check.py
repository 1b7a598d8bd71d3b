"""Check the tracker's stitches against truth: did a lost track stitched to a newly confirmed
one follow the same platform after the stitch as before it?

Runs ``dronewall simulate`` with the tracker's stitch step wrapped to log every stitch (time,
lost track, its gap and horizontal sd, the new track's Mahalanobis d^2, and whether a rival the
lost track was once seen apart from was set aside, ``tracking/management.py``), then looks up
the platform nearest the lost track's last report before the stitch and its first report after
it (``truth.csv`` against ``tracks.csv``, horizontal, within 1 km; ``identity_gaps_check``).

    python bench/stitch_check.py scenarios/eastern-poland-raid.yaml --seed 1 \\
        --duration 3600 --out out/st-1

docs/benchmarks.md section 6 ("Rivals seen apart; a tighter stitch gate") was measured with it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from identity_gaps_check import _Run
from simrun import run_args, simulate_logged

from dronewall.tracking import kernels as K
from dronewall.tracking import management as M
from dronewall.tracking.table import CONFIRMED, LOST, REACQ


def _wrap(log: list[dict[str, object]]) -> None:
    """Wrap ``_TrackManagement._stitch`` so that every stitch it makes is appended to ``log``."""
    orig = M._TrackManagement._stitch

    def stitch(self: M._TrackManagement, new: np.ndarray, acc: object) -> np.ndarray:
        T = self.T
        n = T.n
        lost = np.flatnonzero(np.isin(T.status[:n], (LOST, REACQ)))
        if lost.size == 0 or new.size == 0:
            return orig(self, new, acc)
        d = self.dims
        hi = np.array([0, 1, d, d + 1])
        a, b = np.repeat(new, lost.size), np.tile(lost, new.size)
        d2, _, ok = K.mahalanobis_sq(T.x[a][:, hi] - T.x[b][:, hi],
                                     T.P[a][:, hi][:, :, hi] + T.P[b][:, hi][:, :, hi])
        best = {int(T.ids[j]): float(np.min(d2[(b == j) & ok], initial=np.inf)) for j in lost}
        others = np.setdiff1d(np.flatnonzero(T.status[:n] == CONFIRMED), new)
        a, b = np.repeat(others, lost.size), np.tile(lost, others.size)
        d2o, _, oko = K.mahalanobis_sq(T.x[a][:, hi] - T.x[b][:, hi],
                                       T.P[a][:, hi][:, :, hi] + T.P[b][:, hi][:, :, hi])
        aside = oko & (d2o <= self._stitch_d2) & self._known_apart(T.ids[a], T.ids[b])
        set_aside = {int(i) for i in T.ids[b[aside]]}
        info = {int(T.ids[j]): (float(T.t_good[j]), float(np.sqrt(np.trace(T.P[j, :2, :2]))))
                for j in lost}
        out = orig(self, new, acc)
        now = dict(zip(T.ids[: T.n].tolist(), T.status[: T.n].tolist(), strict=True))
        t = float(self._t_processed)
        for i, (tg, sd) in info.items():
            if now.get(i) == CONFIRMED:
                log.append({"t_s": t, "lost": i, "gap_s": t - tg, "sd_m": sd, "d2": best[i],
                            "rival_set_aside": i in set_aside})
        return out

    M._TrackManagement._stitch = stitch  # type: ignore[method-assign]


def label(run: Path, log: list[dict[str, object]]) -> list[dict[str, object]]:
    """Each stitch with the platform before and after it (None: no platform within 1 km)."""
    r = _Run(run)
    for s in log:
        ts, _ = r.reports(int(s["lost"]))  # type: ignore[call-overload]
        t = float(s["t_s"])  # type: ignore[arg-type]
        before, after = ts[ts < t], ts[ts >= t]
        s["platform_before"] = r.platform_at(int(s["lost"]), float(before[-1]))[0] \
            if before.size else None  # type: ignore[call-overload]
        s["platform_after"] = r.platform_at(int(s["lost"]), float(after[0]))[0] \
            if after.size else None  # type: ignore[call-overload]
    return log


def main() -> int:
    a = run_args(__doc__)
    rc, rows = simulate_logged(a, _wrap, label, "stitches.jsonl")
    if rc:
        return rc
    for aside in (True, False):
        sub = [s for s in rows if s["rival_set_aside"] is aside]
        known = [s for s in sub if s["platform_before"] and s["platform_after"]]
        right = [s for s in known if s["platform_before"] == s["platform_after"]]
        wrong = [s for s in known if s["platform_before"] != s["platform_after"]]
        print(f"{'rival seen apart set aside' if aside else 'other stitches':>27}: "
              f"{len(sub)} stitches, {len(right)} right, {len(wrong)} wrong, "
              f"{len(sub) - len(known)} not near a platform; d^2 right max "
              f"{max((float(s['d2']) for s in right), default=float('nan')):.1f}, wrong "
              f"{sorted(round(float(s['d2']), 1) for s in wrong)}")
    print(f"-> {a.out / 'stitches.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
