"""Which sensors are listening: liveness from status reports, for the negative evidence.

Silence is evidence only from a sensor that was listening. The classifier reads "no acoustic
node heard this track" and "no RF direction finder heard a link" as evidence against loud and
emitting classes (:mod:`dronewall.classify.hearing`, :mod:`dronewall.classify.rf_hearing`); the
cooperative-identity monitor reads "inside radar cover, no plot" as evidence against an ADS-B
claim; the violation evidence reads "first seen inside, where radar should have seen it
earlier" as a pop-up. A sensor that is down -- switched off, broken, jammed, its link cut --
hears nothing, and without knowing it the picture would read its silence as the target's:
a quadcopter passing a dead RF finder becomes a silent one-way drone, an airliner over a dead
radar a spoofed identity.

:class:`SensorHealth` keeps, per sensor-table row, the time of its last sign of life and
whether its last status said it had stopped:

* a **status report** (SAPIENT ``StatusReport`` or a simulated heartbeat) saying OK or WARNING
  is a sign of life; one saying ERROR or GOODBYE (or a closed connection) marks the sensor
  down until the next OK;
* a **detection** from the sensor is a sign of life too (a sensor that reports is listening);
* a sensor with no sign of life for ``stale_after_s`` is down (a silent failure: no status
  ever says so; the picture finds out one staleness period late).

Rows with no status channel at all (``monitored`` False: e.g. a replay of recorded detections,
which carries no status) are taken as listening -- the assumption is stated in the docs
(``docs/classification.md``, "Sensors that are down"). Everything is array work over the rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]
I32 = NDArray[np.int32]
B = NDArray[np.bool_]

#: Changes kept in :attr:`SensorHealth.changes` (the newest): a server that runs for weeks with
#: a flapping node must not grow without bound; :attr:`SensorHealth.n_changes` counts them all.
MAX_CHANGES = 100_000

#: Default staleness, s: three missed heartbeats of a 10 s status period (SAPIENT nodes send a
#: StatusReport at a fixed interval; 10 s is the simulated sensors' default,
#: ``scenario.model.SensorHealthSpec``).
STALE_AFTER_S = 30.0


@dataclass(frozen=True, eq=False)
class StatusReports:
    """Status reports received during a step (K rows): sensor-table ``rows`` (K,) and ``ok``
    (K,) -- True for OK / WARNING, False for ERROR / GOODBYE / a closed link."""

    rows: I32
    ok: B

    @classmethod
    def of(cls, rows: ArrayLike, ok: ArrayLike) -> StatusReports:
        r = np.asarray(rows, dtype=np.int32).reshape(-1)
        o = np.broadcast_to(np.asarray(ok, dtype=bool), r.shape).copy()
        return cls(r, o)

    @classmethod
    def empty(cls) -> StatusReports:
        return cls(np.zeros(0, np.int32), np.zeros(0, bool))

    def __len__(self) -> int:
        return int(self.rows.size)


class SensorHealth:
    """Liveness of ``n`` sensor-table rows (see the module docstring).

    ``stale_after_s``: no sign of life for longer than this and a monitored sensor is down, s
    (scalar or (n,)). ``monitored`` (n,) bool: rows whose liveness is known from a status
    channel or their reports (None: all); the others are always taken as listening.
    """

    def __init__(self, n: int, stale_after_s: float | ArrayLike = STALE_AFTER_S,
                 monitored: ArrayLike | None = None) -> None:
        self.n = int(n)
        stale = np.broadcast_to(np.asarray(stale_after_s, dtype=np.float64), (self.n,)).copy()
        if not np.all(np.isfinite(stale) & (stale > 0)):
            raise ValueError("SensorHealth: stale_after_s must be finite and > 0")
        self.stale_after_s = stale
        self.monitored = (np.ones(self.n, bool) if monitored is None
                          else np.asarray(monitored, dtype=bool).reshape(-1).copy())
        if self.monitored.size != self.n:
            raise ValueError(f"SensorHealth: monitored has {self.monitored.size} rows for "
                             f"{self.n} sensors")
        #: last sign of life per row, s (-inf: none yet)
        self.last_alive_t = np.full(self.n, -np.inf)
        #: the last status said the sensor stopped (ERROR / GOODBYE / link closed)
        self.stopped = np.zeros(self.n, bool)
        #: time each row last changed between listening and not, s (NaN: never)
        self.since_t = np.full(self.n, np.nan)
        self._listening = ~self.monitored
        self._first = True
        #: (row, t, listening, reason) of the changes, in order (the newest ``MAX_CHANGES``)
        self.changes: deque[tuple[int, float, bool, str]] = deque(maxlen=MAX_CHANGES)
        #: changes ever recorded (also those no longer kept)
        self.n_changes = 0

    def _rows(self, rows: ArrayLike) -> I32:
        r = np.asarray(rows, dtype=np.int64).reshape(-1)
        ok = (r >= 0) & (r < self.n)
        return r[ok].astype(np.int32)

    def status(self, t: float, reports: StatusReports) -> None:
        """Status reports received at time ``t``, s: OK rows come alive, the others stop."""
        if not len(reports):
            return
        inb = (reports.rows >= 0) & (reports.rows < self.n)
        rows, ok = reports.rows[inb], reports.ok[inb]
        # in report order: a row's last report this step decides
        self.stopped[rows] = ~ok
        self.last_alive_t[rows[ok]] = np.maximum(self.last_alive_t[rows[ok]], t)

    def alive(self, rows: ArrayLike, t: ArrayLike) -> None:
        """Detections from sensor ``rows`` at times ``t`` (s): signs of life (not a status: a
        sensor that said it stopped stays down until it says OK)."""
        r = np.asarray(rows, dtype=np.int64).reshape(-1)
        if r.size == 0:
            return
        tt = np.broadcast_to(np.asarray(t, dtype=np.float64), r.shape)
        ok = (r >= 0) & (r < self.n) & np.isfinite(tt)
        np.maximum.at(self.last_alive_t, r[ok], tt[ok])

    def listening(self, t: float) -> B:
        """(n,) whether each sensor is listening at ``t`` (s); records the changes."""
        live = ~self.monitored | (~self.stopped & (t - self.last_alive_t <= self.stale_after_s))
        # the first call sets the baseline: only the sensors down from the start are changes
        flip = np.flatnonzero(~live if self._first else live != self._listening)
        self._first = False
        for r in flip.tolist():
            why = ("status or report" if live[r] else
                   "stopped (status)" if self.stopped[r] else
                   "no status or report yet" if not np.isfinite(self.last_alive_t[r]) else
                   f"no status or report for {self.stale_after_s[r]:g} s")
            self.changes.append((r, float(t), bool(live[r]), why))
        self.n_changes += int(flip.size)
        self.since_t[flip] = t
        self._listening = live
        return live.copy()

    def changes_since(self, n_seen: int) -> list[tuple[int, float, bool, str]]:
        """The changes after the first ``n_seen`` ever recorded (those still kept)."""
        k = min(self.n_changes - n_seen, len(self.changes))
        return list(islice(self.changes, len(self.changes) - k, None)) if k > 0 else []

    def down_rows(self) -> I32:
        """Rows not listening at the last :meth:`listening` call."""
        return np.flatnonzero(~self._listening).astype(np.int32)


class RecordedHealth(SensorHealth):
    """Liveness replayed from a record of its changes -- a recorded live session's ``sensor``
    events: ``changes`` (t s, sensor-table rows, listening, reason). Each step applies the
    changes recorded up to its time; status reports, detections and staleness change nothing
    (they were the live run's, and the record holds their outcome). Sensors no change names
    are listening, as those that reported before a live picture's first step."""

    def __init__(self, n: int, changes: list[tuple[float, list[int], bool, str]]) -> None:
        super().__init__(n)
        self._record = sorted(changes, key=lambda c: c[0])
        self._k = 0
        self._listening = np.ones(self.n, bool)

    def status(self, t: float, reports: StatusReports) -> None:
        return None

    def alive(self, rows: ArrayLike, t: ArrayLike) -> None:
        return None

    def listening(self, t: float) -> B:
        while self._k < len(self._record) and self._record[self._k][0] <= t + 1e-9:
            t_c, rows, up, why = self._record[self._k]
            r = self._rows(rows)
            self._listening[r] = up
            self.since_t[r] = t_c
            self.changes.extend((int(x), float(t_c), bool(up), why) for x in r.tolist())
            self.n_changes += int(r.size)
            self._k += 1
        return self._listening.copy()


def group_changes(changes: Iterable[tuple[int, float, bool, str]], ids: NDArray[np.object_],
                  kinds: NDArray[np.int8], grids: set[str], merge_s: float = 0.0,
                  with_ids: bool = False) -> list[dict[str, object]]:
    """:attr:`SensorHealth.changes` as records for people: one per sensor, or per acoustic grid
    (``grids``: their ids; nodes ``<grid>-<k>``) for its nodes that changed alike -- at one
    time, or within ``merge_s`` s of the group's previous change (a grid's nodes go stale one
    by one over a status period when its backhaul fails) -- ``t_s`` (the first), ``sensor``,
    ``sensor_kind`` (lower-case ``SensorKind`` name), ``nodes`` (how many rows changed),
    ``listening``, ``reason``; with ``with_ids`` also ``sensor_ids`` (the rows' ids: what a
    replay needs to restore the state, :class:`RecordedHealth`); in time order."""
    from dronewall.detections.batch import SensorKind

    out: list[dict[str, object]] = []
    last: dict[tuple[str, bool, str], tuple[float, dict[str, object]]] = {}
    for r, t, up, why in sorted(changes, key=lambda c: c[1]):
        sid = str(ids[r])
        grid, _, k = sid.rpartition("-")
        gid = grid if grid in grids and k.isdigit() else sid
        key = (gid, bool(up), why)
        prev = last.get(key)
        if prev is not None and t - prev[0] <= merge_s:
            prev[1]["nodes"] = int(prev[1]["nodes"]) + 1   # type: ignore[call-overload]
            if with_ids:
                prev[1]["sensor_ids"].append(sid)           # type: ignore[attr-defined]
            last[key] = (float(t), prev[1])
            continue
        rec: dict[str, object] = {"t_s": float(t), "sensor": gid,
                                  "sensor_kind": SensorKind(int(kinds[r])).name.lower(),
                                  "nodes": 1, "listening": bool(up), "reason": why}
        if with_ids:
            rec["sensor_ids"] = [sid]
        out.append(rec)
        last[key] = (float(t), rec)
    return out
