"""A short log of the open episodes' scans, so that an episode can be split after the fact.

A track reported without a gap can move from one target to another (a flock's track takes a
passing drone's plots); the track's own history shows it, but only a couple of minutes later
(:mod:`.target_changes` needs two stretches of ``TARGET_RUN_S`` each). By then the monitor has
added the new body's scans to the old body's episode. To split the episode exactly at the
time the track changed target, the monitor logs, for every open (track, zone) episode and
every scan, the scan's own values and the episode's accumulators after it (``LOG_S`` of
them): the first part is the accumulators as they stood at its last scan before the split,
the second part the scans since, folded as :func:`.hysteresis.accumulate` folds them.

The log is a deque of per-scan chunks (struct of arrays), so logging one scan is a few array
copies, and its size is bounded by the open episodes times ``LOG_S`` of scans.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.airspace.state import COLUMNS, PairTable

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: How far back an episode can be split, s: a change of target is found at the earliest
#: ``2 x TARGET_RUN_S`` (240 s) after the old stretch began and dated up to ``TARGET_RUN_S``
#: before the new one's start (:mod:`.target_changes`).
LOG_S = 600.0
#: A scan's own values, per open pair (``raw``, ``located``: 0 / 1).
SCAN_VALUES = ("raw", "path_inc", "alt", "speed", "sig_alt", "located", "p_scan", "signed",
               "lat", "lon", "sigma", "p_vert")
#: The episode accumulators after the scan (pair-table columns).
RUNNING = ("max_depth", "md_lat", "md_lon", "md_sigma", "md_pvert", "md_loc", "max_sig_alt",
           "p_ep", "path", "min_alt", "max_alt", "max_speed", "n_scans")
_V = {n: k for k, n in enumerate(SCAN_VALUES)}
#: The accumulators of an episode without scans (``RUNNING`` order): the pair-table defaults.
EMPTY_RUN = tuple(float(COLUMNS[c][1]) for c in RUNNING)


@dataclass
class _Chunk:
    t: float
    keys: I64
    vals: F64          # (k, len(SCAN_VALUES))
    run: F64           # (k, len(RUNNING))


class ScanLog:
    """The last ``log_s`` of scans of the open episodes, by pair key (track row x zones +
    zone)."""

    def __init__(self, log_s: float = LOG_S) -> None:
        self.log_s = float(log_s)
        self._chunks: deque[_Chunk] = deque()

    def add(self, t: float, T: PairTable, idx: I64, vals: F64) -> None:
        """Log the scan at ``t``, s, of the pair-table rows ``idx`` (open episodes): their
        ``vals`` (k, len(SCAN_VALUES)) and their accumulators now."""
        while self._chunks and self._chunks[0].t < t - self.log_s:
            self._chunks.popleft()
        if idx.size == 0:
            return
        run = np.stack([np.asarray(T[c][idx], np.float64) for c in RUNNING], axis=1)
        self._chunks.append(_Chunk(float(t), T["key"][idx].copy(), vals.astype(np.float64),
                                   run))

    def clear(self) -> None:
        self._chunks.clear()

    def history(self, key: int, t_from: float) -> tuple[F64, F64, F64]:
        """The logged scans of pair ``key`` from ``t_from``, s, on: times (n,), values (n,
        len(SCAN_VALUES)) and accumulators (n, len(RUNNING)), oldest first."""
        ts, vs, rs = [], [], []
        for c in self._chunks:
            if c.t < t_from:
                continue
            hit = np.flatnonzero(c.keys == key)
            if hit.size:
                ts.append(c.t)
                vs.append(c.vals[hit[0]])
                rs.append(c.run[hit[0]])
        if not ts:
            return np.zeros(0), np.zeros((0, len(SCAN_VALUES))), np.zeros((0, len(RUNNING)))
        return np.asarray(ts), np.stack(vs), np.stack(rs)

    def rewrite(self, key: int, t_from: float, run: F64) -> None:
        """Replace the accumulators logged for pair ``key`` from ``t_from``, s, on (oldest
        first, one row per logged scan, as :meth:`history` returns them) -- after the episode
        was split there, they are the new episode's."""
        k = 0
        for c in self._chunks:
            if c.t < t_from:
                continue
            hit = np.flatnonzero(c.keys == key)
            if hit.size:
                c.run[hit[0]] = run[k]
                k += 1

    @property
    def n_rows(self) -> int:
        return int(sum(c.keys.size for c in self._chunks))


def fold(vals: F64) -> F64:
    """The episode accumulators (``RUNNING`` order) after each of the scans ``vals`` (n,
    len(SCAN_VALUES)), oldest first, as :func:`.hysteresis.accumulate` builds them from an
    episode's start: path over every scan; scans, altitude range, top speed and altitude
    error over the scans inside; the deepest point and largest ``p_scan`` -- of the located
    scans once there is one. Returns (n, len(RUNNING))."""
    acc = dict(zip(RUNNING, EMPTY_RUN, strict=True))
    out = np.zeros((len(vals), len(RUNNING)))
    for i, v in enumerate(vals):
        acc["path"] += float(v[_V["path_inc"]])
        if v[_V["raw"]]:
            acc["n_scans"] += 1
            acc["min_alt"] = min(acc["min_alt"], float(v[_V["alt"]]))
            acc["max_alt"] = max(acc["max_alt"], float(v[_V["alt"]]))
            acc["max_speed"] = float(np.fmax(acc["max_speed"], v[_V["speed"]]))
            acc["max_sig_alt"] = float(np.fmax(acc["max_sig_alt"], v[_V["sig_alt"]]))
            loc = bool(v[_V["located"]])
            if loc and not acc["md_loc"]:       # the first located scan: predictions forgotten
                acc["p_ep"], acc["max_depth"], acc["md_loc"] = 0.0, -np.inf, 1.0
            if loc or not acc["md_loc"]:
                acc["p_ep"] = max(acc["p_ep"], float(v[_V["p_scan"]]))
                if v[_V["signed"]] > acc["max_depth"]:
                    acc["max_depth"] = float(v[_V["signed"]])
                    acc["md_lat"], acc["md_lon"] = float(v[_V["lat"]]), float(v[_V["lon"]])
                    acc["md_sigma"] = float(v[_V["sigma"]])
                    acc["md_pvert"] = float(v[_V["p_vert"]])
        out[i] = [acc[c] for c in RUNNING]
    return out
