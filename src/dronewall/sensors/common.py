"""Shared pieces of the sensor models: report scheduling, geometry, angle wrapping.

Conventions (see ``docs/sensors.md`` and ``docs/detections.md``): SI units inside (m, s, rad);
azimuth clockwise from local north, ``az = atan2(east, north)`` wrapped to (-pi, pi]; elevation
above the local horizontal plane of the sensor. Arrays over sensors x targets are (S, P).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.detections import DetectionBatch
from dronewall.geo import EARTH_RADIUS_M

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: truth_id of a false alarm (no platform caused it).
TRUTH_FALSE_ALARM = -1
#: truth_id of a spoofed cooperative report (ghost, or a real platform's shifted position).
TRUTH_SPOOFED = -2

_TWO_PI = 2.0 * np.pi


def wrap_pi(a: F64 | float) -> F64:
    """Wrap angles (rad) to (-pi, pi]."""
    return np.pi - np.mod(np.pi - np.asarray(a, dtype=np.float64), _TWO_PI)


def stable_fraction(key: str) -> float:
    """A deterministic number in [0, 1) from a string (CRC-32; not Python's salted ``hash``)."""
    return zlib.crc32(key.encode("utf-8")) / 2.0**32


def report_phases(ids: Sequence[str], periods_s: F64) -> F64:
    """Fixed report phase (s) per sensor, in [0, period): spreads sensors over the period so
    that not every sensor reports in the same truth step, identically on every run."""
    frac = np.fromiter((stable_fraction(i) for i in ids), dtype=np.float64, count=len(ids))
    return frac * periods_s


class Schedule:
    """When each of S sensors is due to report.

    Sensor ``i`` has report slots at ``phase[i] + k * period[i]`` (k = 0, 1, ...). A call
    ``due(t)`` returns the sensors that have a slot in (t_previous_call, t] -- at most one report
    per sensor per truth step even if the step is longer than the period. Calls must come in
    non-decreasing ``t``; :meth:`reset` starts over.
    """

    def __init__(self, ids: Sequence[str], periods_s: F64) -> None:
        self.period_s = np.asarray(periods_s, dtype=np.float64).reshape(-1)
        self.phase_s = report_phases(ids, self.period_s)
        self._last_slot = np.full(self.period_s.shape, -1, dtype=np.int64)
        self._last_t = -np.inf

    def reset(self) -> None:
        self._last_slot[:] = -1
        self._last_t = -np.inf

    def due(self, t: float) -> NDArray[np.bool_]:
        """(S,) mask of sensors reporting at time ``t`` (s)."""
        if t < self._last_t:
            raise ValueError(f"sensor observe() called with t={t} s after t={self._last_t} s; "
                             "time must not go backwards (call reset() to start over)")
        self._last_t = t
        slot = np.floor((t - self.phase_s) / self.period_s).astype(np.int64)
        mask = slot > self._last_slot
        self._last_slot = np.maximum(slot, self._last_slot)
        return mask


def ground_distance_m(lat1_deg: F64, lon1_deg: F64, lat2_deg: F64, lon2_deg: F64) -> F64:
    """Great-circle ground distance (m, mean-radius sphere, haversine); broadcasts."""
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dl = np.radians(np.asarray(lon2_deg) - np.asarray(lon1_deg))
    h = np.sin((p2 - p1) / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def local_geometry(sensor_ecef: F64, sensor_rot: F64, target_ecef: F64
                   ) -> tuple[F64, F64, F64, F64]:
    """Target positions seen from sensors.

    ``sensor_ecef`` (S, 3) m, ``sensor_rot`` (S, 3, 3) ECEF->ENU, ``target_ecef`` (P, 3) m.
    Returns ``enu`` (S, P, 3) m, ``range_m`` (S, P), ``az_rad`` (S, P), ``el_rad`` (S, P).
    """
    d = target_ecef[None, :, :] - sensor_ecef[:, None, :]
    enu = np.einsum("sij,spj->spi", sensor_rot, d)
    rng_m = np.sqrt(np.einsum("spi,spi->sp", enu, enu))
    az = np.arctan2(enu[..., 0], enu[..., 1])
    el = np.arctan2(enu[..., 2], np.hypot(enu[..., 0], enu[..., 1]))
    return enu, rng_m, az, el


def in_sector(az_rad: F64, start_deg: F64, end_deg: F64) -> NDArray[np.bool_]:
    """Whether azimuths (rad) lie in clockwise sectors [start, end] (deg).

    ``start_deg``/``end_deg`` broadcast against ``az_rad`` (e.g. (S, 1) against (S, P)). A span
    ``end - start`` of 360 deg or more is the full circle; a span <= 0 wraps through north
    (``[350, 10]`` is the 20 deg sector around north).
    """
    span = np.asarray(end_deg, dtype=np.float64) - np.asarray(start_deg, dtype=np.float64)
    full = span >= 360.0
    span = np.where(span <= 0.0, span + 360.0, span)
    rel = np.mod(np.degrees(az_rad) - start_deg, 360.0)
    return full | (rel <= span)


def sector_span_deg(start_deg: F64, end_deg: F64) -> F64:
    """Clockwise span (deg) of sectors [start, end], same rules as :func:`in_sector`."""
    span = np.asarray(end_deg, dtype=np.float64) - np.asarray(start_deg, dtype=np.float64)
    span = np.where(span <= 0.0, span + 360.0, span)
    return np.minimum(span, 360.0)


def poisson_sensor_draws(rng: np.random.Generator, mean_per_sensor: F64
                         ) -> NDArray[np.int64]:
    """False-alarm owners: Poisson(``mean_per_sensor[i]``) events for each sensor ``i``.

    Draws the total N ~ Poisson(sum) and assigns each event to sensor i with probability
    mean_i / sum -- the same joint law as independent Poisson draws per sensor, at O(N) cost
    instead of one random draw per sensor (matters for 10,000 acoustic nodes). Returns the
    sensor index of each event (sorted ascending).
    """
    lam = np.asarray(mean_per_sensor, dtype=np.float64)
    total = float(lam.sum())
    if total <= 0.0:
        return np.zeros(0, dtype=np.int64)
    n = int(rng.poisson(total))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cum = np.cumsum(lam)
    owners = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
    return np.sort(np.minimum(owners, lam.size - 1)).astype(np.int64)


class ScheduledModel:
    """Base of a per-kind sensor model: ``observe`` = target reports + false alarms of the
    sensors due at ``t``. Subclasses set ``self.schedule`` and implement ``_targets`` and
    ``_false_alarms`` over the due sensor indices."""

    schedule: Schedule

    def __len__(self) -> int:
        return int(self.schedule.period_s.size)

    def reset(self) -> None:
        self.schedule.reset()

    def observe(self, state: Any, platforms: Any, rng: np.random.Generator) -> DetectionBatch:
        due = np.flatnonzero(self.schedule.due(state.t))
        if due.size == 0:
            return DetectionBatch.empty()
        return DetectionBatch.concat([self._targets(due, state, platforms, rng),
                                      self._false_alarms(due, state.t, rng)])

    def _targets(self, due: NDArray[np.int64], state: Any, platforms: Any,
                 rng: np.random.Generator) -> DetectionBatch:
        raise NotImplementedError

    def _false_alarms(self, due: NDArray[np.int64], t: float,
                      rng: np.random.Generator) -> DetectionBatch:
        raise NotImplementedError
