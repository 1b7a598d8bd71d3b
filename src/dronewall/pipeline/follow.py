"""Which true platform each track followed (for scoring tracks against truth).

At each step every confirmed track is paired with the nearest active true platform within
``ASSOC_RADIUS_M`` (horizontal, engine frame); over the run a track's platform is the one it was
paired with most often (ties: lowest platform index) -- and over a stretch of time
(:meth:`TruthFollower.during`) the one it was paired with most then: a track that followed a
Gerbera for most of its life and a Shahed flying beside it for a while was on the Shahed when
it crossed into a zone, if that is when it followed the Shahed. Pairs are collected as int64
keys per step and counted once at the end, so nothing loops over tracks in Python.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from dronewall.geo import Frame

#: A track follows the nearest true platform within this horizontal radius, m.
ASSOC_RADIUS_M = 1_000.0


class TruthFollower:
    def __init__(self, frame: Frame, n_platforms: int) -> None:
        self.frame = frame
        self.n_platforms = max(n_platforms, 1)
        self._keys: list[NDArray[np.int64]] = []
        self._t: list[float] = []
        self._table: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]] | None = None

    def observe(self, active: NDArray[np.bool_], truth_ecef: NDArray[np.float64],
                track_ids: NDArray[np.int64], pos_local: NDArray[np.float64],
                t: float) -> None:
        """Pair tracks (ids (N,), engine-frame positions (N, 3)) with active platforms at
        time ``t`` (s, non-decreasing over the calls)."""
        act = np.flatnonzero(active)
        if act.size == 0 or track_ids.size == 0:
            return
        tpos = self.frame.to_local(truth_ecef[act])
        d, j = cKDTree(tpos[:, :2]).query(pos_local[:, :2])
        ok = d <= ASSOC_RADIUS_M
        self._keys.append(track_ids[ok].astype(np.int64) * self.n_platforms + act[j[ok]])
        self._t.append(t)
        self._table = None

    def during(self, track: int, t0: float, t1: float) -> int | None:
        """Index of the platform ``track`` was paired with most between ``t0`` and ``t1`` (s,
        inclusive; ties: lowest index), None if with none then."""
        if self._table is None:
            if not self._keys:
                return None
            keys = np.concatenate(self._keys)
            t = np.repeat(np.asarray(self._t), [k.size for k in self._keys])
            tk, pl = keys // self.n_platforms, keys % self.n_platforms
            o = np.lexsort((t, tk))
            self._table = (tk[o], pl[o], t[o])
        tk, pl, t = self._table
        lo, hi = np.searchsorted(tk, [track, track + 1])
        a = lo + int(np.searchsorted(t[lo:hi], t0, side="left"))
        b = lo + int(np.searchsorted(t[lo:hi], t1, side="right"))
        if b <= a:
            return None
        return int(np.bincount(pl[a:b]).argmax())

    def majority(self) -> dict[int, int]:
        """track id -> index of the platform it followed most."""
        if not self._keys:
            return {}
        keys, counts = np.unique(np.concatenate(self._keys), return_counts=True)
        tk, pl = keys // self.n_platforms, keys % self.n_platforms
        order = np.lexsort((pl, -counts, tk))       # per track: most counts, then lowest index
        tk, pl = tk[order], pl[order]
        first = np.r_[True, tk[1:] != tk[:-1]]
        return dict(zip(tk[first].tolist(), pl[first].tolist(), strict=True))
