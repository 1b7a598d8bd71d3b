"""Simulated sensor outages and status reports (``outages`` and ``sensor_health`` of a scenario).

A sensor in an outage reports nothing. Every sensor sends a status report every
``status_period_s`` while it works (a fixed per-sensor phase, so the suite's reports do not all
fall on one step); an *announced* outage sends one status saying the sensor stopped at its
start (SAPIENT ``StatusReport`` ERROR), a silent one sends nothing -- the picture finds it from
the missing reports (:class:`dronewall.detections.health.SensorHealth`). No random draws: the
same scenario gives the same reports.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from dronewall.detections import DetectionBatch, SensorTable
from dronewall.detections.health import StatusReports
from dronewall.errors import ScenarioError
from dronewall.scenario.model import OutageSpec, SensorHealthSpec

F64 = NDArray[np.float64]


class SensorStatusModel:
    """Outages and the status channel of the ``table``'s sensors (S rows)."""

    def __init__(self, table: SensorTable, outages: Sequence[OutageSpec] = (),
                 health: SensorHealthSpec | None = None,
                 rng: np.random.Generator | None = None, duration_s: float = 0.0) -> None:
        """``rng``, ``duration_s``: draw the random outages of ``health.availability`` over
        the run (a child generator of ``rng``: the parent's draws are not changed)."""
        self.health = health or SensorHealthSpec()
        self.n = len(table)
        index = table.index()
        rows: list[int] = []
        t0: list[float] = []
        t1: list[float] = []
        ann: list[bool] = []
        for k, o in enumerate(outages):
            hit = ([index[o.sensor]] if o.sensor in index else
                   [r for sid, r in index.items()
                    if sid.startswith(f"{o.sensor}-") and sid[len(o.sensor) + 1:].isdigit()])
            if not hit:
                raise ScenarioError(f"outages[{k}].sensor: no sensor or acoustic grid node "
                                    f"{o.sensor!r} (grid nodes are <grid id>-0 .. -(n-1))")
            rows += hit
            t0 += [o.window_s[0]] * len(hit)
            t1 += [o.window_s[1]] * len(hit)
            ann += [o.announced] * len(hit)
        if self.health.availability and rng is not None and duration_s > 0:
            rr, a0, a1 = random_outages(table, self.health, rng.spawn(1)[0], duration_s)
            rows += rr
            t0 += a0
            t1 += a1
            ann += [False] * len(rr)
        self.rows = np.array(rows, dtype=np.int64)
        self.t0 = np.array(t0, dtype=np.float64)
        self.t1 = np.array(t1, dtype=np.float64)
        self.announced = np.array(ann, dtype=bool)
        p = self.health.status_period_s
        # a fixed phase per sensor in [0, period): golden-ratio spacing over the rows
        self.phase_s = (np.arange(self.n) * 0.6180339887498949 % 1.0) * p
        self._t_prev: float | None = None
        # the outages' starts (+1) and ends (-1) in time order, applied as time advances: a
        # step costs the events since the last one, not a pass over every outage of the run
        ev_t = np.concatenate([self.t0, self.t1])
        order = np.argsort(ev_t, kind="stable")
        self._ev_t = ev_t[order]
        self._ev_r = np.concatenate([self.rows, self.rows])[order]
        self._ev_d = np.concatenate([np.ones(self.rows.size, np.int64),
                                     -np.ones(self.rows.size, np.int64)])[order]
        self._count = np.zeros(self.n, np.int64)
        self._k = 0
        self._t_down = -np.inf

    def __len__(self) -> int:
        return int(self.rows.size)

    def down(self, t: float) -> NDArray[np.bool_]:
        """(S,) whether each sensor is in an outage at ``t``, s (down from a start to before
        its end; cheapest when called in non-decreasing time, as a run does)."""
        if t < self._t_down:                      # back in time: start over
            self._count[:] = 0
            self._k = 0
        self._t_down = t
        k2 = int(np.searchsorted(self._ev_t, t, side="right"))
        if k2 > self._k:
            np.add.at(self._count, self._ev_r[self._k:k2], self._ev_d[self._k:k2])
            self._k = k2
        return self._count > 0

    def filter(self, det: DetectionBatch, t: float) -> DetectionBatch:
        """``det``, the reports of step time ``t`` s, without those of sensors in an outage."""
        if not len(self) or not len(det):
            return det
        out = self.down(t)[np.asarray(det.sensor, dtype=np.int64)]
        return det.take(np.flatnonzero(~out)) if out.any() else det

    def down_share(self, table: SensorTable, duration_s: float) -> dict[str, float]:
        """Per sensor type with an outage, the share of its sensor-time in [0, ``duration_s``]
        s spent down (the truth of the scenario's outages, overlapping ones counted once)."""
        from dronewall.detections import SensorKind

        if not len(self) or duration_s <= 0:
            return {}
        down_s = np.zeros(self.n)
        for r in np.unique(self.rows).tolist():
            k = self.rows == r
            iv = sorted(zip(np.clip(self.t0[k], 0, duration_s).tolist(),
                            np.clip(self.t1[k], 0, duration_s).tolist(), strict=True))
            end = 0.0
            for a, b in iv:                       # union of the sensor's intervals
                a = max(a, end)
                if b > a:
                    down_s[r] += b - a
                    end = b
        out: dict[str, float] = {}
        for kind in np.unique(table.kind[self.rows]).tolist():
            rows = table.kind == kind
            out[SensorKind(int(kind)).name.lower()] = round(
                float(down_s[rows].sum() / (rows.sum() * duration_s)), 4)
        return out

    def reset(self) -> None:
        """Start the status channel again (the next :meth:`reports` is a first call)."""
        self._t_prev = None

    def reports(self, t: float) -> StatusReports:
        """The status reports sent in (previous call, ``t``] (the first call: every working
        sensor reports): OK from the working sensors whose period came round, ERROR from those
        whose announced outage began."""
        p = self.health.status_period_s
        prev = self._t_prev
        self._t_prev = t
        down = self.down(t)
        if prev is None:
            ok_rows = np.flatnonzero(~down)
        else:
            # a heartbeat at phase + k * period in (prev, t]
            k_now = np.floor((t - self.phase_s) / p)
            k_prev = np.floor((prev - self.phase_s) / p)
            ok_rows = np.flatnonzero((k_now > k_prev) & ~down)
        lo = -np.inf if prev is None else prev
        began = self.announced & (self.t0 > lo) & (self.t0 <= t)
        err_rows = np.unique(self.rows[began])
        return StatusReports.of(np.concatenate([ok_rows, err_rows]),
                                np.r_[np.ones(ok_rows.size, bool), np.zeros(err_rows.size, bool)])


def random_outages(table: SensorTable, health: SensorHealthSpec, rng: np.random.Generator,
                   duration_s: float) -> tuple[list[int], list[float], list[float]]:
    """(rows, starts, ends) of silent outages over [0, ``duration_s``] s for the sensors of the
    types in ``health.availability``: each sensor alternates up and down times drawn from
    exponentials -- down with mean ``mean_outage_s``, up with mean ``mean_outage_s * A / (1 -
    A)`` -- and starts down with probability 1 - A (the steady state), so that it is down a
    share 1 - A of the time on average."""
    from dronewall.detections import SensorKind

    mttr = health.mean_outage_s
    rows: list[int] = []
    t0: list[float] = []
    t1: list[float] = []
    # one child generator per sensor: a sensor's outages do not depend on the run's length
    # or on the other sensors'
    for r, g in enumerate(rng.spawn(len(table))):
        a = health.availability.get(SensorKind(int(table.kind[r])).name.lower(), 1.0)
        if a >= 1.0:
            continue
        mtbf = mttr * a / (1.0 - a)
        t = 0.0
        down = bool(g.random() < 1.0 - a)
        while t < duration_s:
            if down:
                d = float(g.exponential(mttr))
                rows.append(r)
                t0.append(t)
                t1.append(min(t + d, duration_s + 1.0))
                t += d
            else:
                t += float(g.exponential(mtbf))
            down = not down
    return rows, t0, t1
