"""Which platform each track's detections came from: the *detection origin* of a track.

In a simulation every detection carries the ``truth_id`` of the platform that produced it (-1
for a false alarm). The engine echoes it for each detection that updated a track
(``StepResult.update_origin``; it never reads it). A track's origin is the platform that
produced its last ``depth`` true detections -- the target the tracker is actually
following -- when that platform holds at least ``share`` of them and at least ``min_count``;
otherwise none: ``MIXED`` (-2) for a mix -- a track fed by two drones flying together that
the sensors do not resolve follows neither -- and -1 for too few true detections.

The continuity scorer uses it where distance alone cannot tell which of two nearby tracks
follows which platform (two drones 1 km apart seen by a radar 80 km away, whose cross-range
error is ~700 m): the correspondence follows the data the tracker used, not the momentary
estimate error (see ``metrics/continuity.py``).

Struct of arrays: sorted track ids and an (n, depth) ring of the last true origins per track.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]

#: Origin of a track fed by a mix of platforms.
MIXED = -2
#: True detections remembered per track.
ORIGIN_DEPTH = 10
#: The platform must hold at least this many of them ...
ORIGIN_MIN_COUNT = 3
#: ... and at least this share.
ORIGIN_SHARE = 0.8


class UpdateOrigins:
    """The last ``depth`` true detection origins of each track (see the module docstring)."""

    def __init__(self, depth: int = ORIGIN_DEPTH, min_count: int = ORIGIN_MIN_COUNT,
                 share: float = ORIGIN_SHARE) -> None:
        if depth < 1 or not 1 <= min_count <= depth or not 0.5 < share <= 1.0:
            raise ValueError(f"need depth >= 1, 1 <= min_count <= depth and share in (0.5, 1], "
                             f"got depth {depth}, min_count {min_count}, share {share}")
        self.depth = depth
        self.min_count = min_count
        self.share = share
        self.ids = np.zeros(0, np.int64)
        self.ring = np.full((0, depth), -1, np.int64)
        self.ptr = np.zeros(0, np.int64)

    def __len__(self) -> int:
        return int(self.ids.size)

    def _rows(self, ids: I64) -> tuple[I64, NDArray[np.bool_]]:
        if self.ids.size == 0:
            return np.zeros(ids.size, np.int64), np.zeros(ids.size, dtype=bool)
        j = np.minimum(np.searchsorted(self.ids, ids), self.ids.size - 1)
        return j, self.ids[j] == ids

    def add(self, rows: I64) -> None:
        """Record ``rows`` (k, 2) ``[track id, truth_id]`` in update order; false alarms
        (truth_id < 0) are not origins and are skipped."""
        rows = np.asarray(rows, np.int64).reshape(-1, 2)
        rows = rows[rows[:, 1] >= 0]
        if rows.size == 0:
            return
        tid, tru = rows[:, 0], rows[:, 1]
        _, known = self._rows(tid)
        new = np.unique(tid[~known])
        if new.size:
            ids = np.concatenate([self.ids, new])
            order = np.argsort(ids, kind="stable")
            self.ids = ids[order]
            self.ring = np.concatenate(
                [self.ring, np.full((new.size, self.depth), -1, np.int64)])[order]
            self.ptr = np.concatenate([self.ptr, np.zeros(new.size, np.int64)])[order]
        j, _ = self._rows(tid)
        # rank of each row among the rows of its track (update order kept)
        order = np.argsort(j, kind="stable")
        js = j[order]
        start = np.r_[0, np.flatnonzero(js[1:] != js[:-1]) + 1]
        size = np.diff(np.r_[start, js.size])
        rank = np.empty(js.size, np.int64)
        rank[order] = np.arange(js.size) - np.repeat(start, size)
        n_of = np.empty(js.size, np.int64)
        n_of[order] = np.repeat(size, size)
        last = n_of - rank <= self.depth   # only a track's last `depth` rows fill its ring
        slot = (self.ptr[j] + rank) % self.depth
        self.ring[j[last], slot[last]] = tru[last]
        np.add.at(self.ptr, j, 1)

    def forget(self, ids: I64) -> None:
        """Drop tracks that no longer exist (deleted or merged away)."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        if ids.size == 0 or self.ids.size == 0:
            return
        keep = ~np.isin(self.ids, ids)
        self.ids, self.ring, self.ptr = self.ids[keep], self.ring[keep], self.ptr[keep]

    def origin(self, ids: I64) -> I64:
        """(m,) the origin of each track in ``ids``: a truth id, ``MIXED`` (-2: at least
        ``min_count`` true detections but no platform with the share) or -1 (fewer)."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        out = np.full(ids.size, -1, np.int64)
        j, known = self._rows(ids)
        if not known.any():
            return out
        R = self.ring[j[known]]
        valid = R >= 0
        same = (R[:, :, None] == R[:, None, :]) & valid[:, :, None] & valid[:, None, :]
        count = same.sum(axis=2)
        best = count.argmax(axis=1)
        top = count[np.arange(R.shape[0]), best]
        filled = valid.sum(axis=1)
        ok = (top >= self.min_count) & (top >= self.share * filled)
        rows = np.flatnonzero(known)
        out[rows[ok]] = R[np.arange(R.shape[0]), best][ok]
        out[rows[~ok & (filled >= self.min_count)]] = MIXED
        return out
