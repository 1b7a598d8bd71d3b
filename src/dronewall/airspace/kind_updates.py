"""Distinct update times per sensor kind of each track, for the evidence annotator.

The picture carries, per track, the time of the latest update by each sensor kind
(``TrackSnapshot.last_seen``). A kind corroborates a track only when it updated it at several
different times (``track_quality.MIN_KIND_UPDATES``), so the annotator needs, each step, which kinds
brought a *new* update time. :class:`KindUpdates` keeps the latest time per (track, kind) as
arrays keyed by sorted track id and answers that for the whole step at once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class KindUpdates:
    """Latest update time per track and sensor kind seen so far (array table)."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, np.int64)       # sorted track ids
        self.t = np.zeros((0, 0))              # (M, K) latest update time per kind, s

    def fresh(self, ids: NDArray[np.int64], last_seen: F64) -> I64:
        """(N,) bitmask (bit k = kind k) of the kinds whose update time in ``last_seen``
        (N, K), s, NaN: never) is newer than any seen before for that track; remembers them.
        ``ids`` (N,) are the step's tracks, each once."""
        ids = np.asarray(ids, np.int64)
        last_seen = np.asarray(last_seen, np.float64)
        n, k = last_seen.shape
        if self.t.shape[1] != k:
            self.ids, self.t = np.zeros(0, np.int64), np.zeros((0, k))
        prev = np.full((n, k), -np.inf)
        j = np.zeros(n, np.int64)
        known = np.zeros(n, dtype=bool)
        if self.ids.size:
            j = np.minimum(np.searchsorted(self.ids, ids), self.ids.size - 1)
            known = self.ids[j] == ids
            prev[known] = self.t[j[known]]
        new = last_seen > prev                                      # NaN -> False
        cur = np.fmax(prev, last_seen)                              # NaN keeps prev
        self.t[j[known]] = cur[known]
        if (~known).any():
            all_ids = np.concatenate([self.ids, ids[~known]])
            order = np.argsort(all_ids, kind="stable")
            self.ids = all_ids[order]
            self.t = np.concatenate([self.t, cur[~known]])[order]
        return new.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))

    def forget(self, ids: NDArray[np.int64]) -> None:
        """Drop tracks ``ids`` (ended and no longer needed)."""
        keep = ~np.isin(self.ids, np.asarray(ids, np.int64))
        self.ids, self.t = self.ids[keep], self.t[keep]
