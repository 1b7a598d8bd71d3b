"""Time windows of a violation's evidence (``docs/airspace.md``, "How each violation is
known"): the entry window of an episode first detected inside (its first velocity
back-propagated to the zone boundary, with the sensor coverage along the way), the rounding and
UTC form of any window, and the duration bounds an entry and an exit window give. The windows
of observed crossings come from :func:`.crossing.crossing_window`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from dronewall.airspace.event_builder import iso_time, num
from dronewall.geo import geodetic_to_ecef

F64 = NDArray[np.float64]

#: Longest back-propagation for the entry window of a first-detected-inside episode, s.
BACKPROP_MAX_S = 1800.0
#: Samples along the back-propagated path to judge sensor coverage.
BACKPROP_SAMPLES = 31
#: Metres per degree of latitude (spherical), for the back-propagated path.
_M_PER_DEG = 111_320.0

#: Coverage test: (ecef (K, 3) m, lat (K,), lon (K,), alt (K,)[, up=(S,) bool]) -> (K,) bool;
#: ``up``: the sensor-table rows listening (given only when they are known).
Coverage = Callable[..., NDArray[np.bool_]]


class ListeningLog:
    """Which sensors were listening when (``StepRecord.listening``, one mask per change),
    over the last ``keep_s`` s: the coverage of a back-propagated path is judged with the
    sensors that were up at each point's time -- a radar back from an outage had not been
    looking at the path it now covers."""

    def __init__(self, keep_s: float = BACKPROP_MAX_S + 60.0) -> None:
        self.keep_s = float(keep_s)
        self.t: list[float] = []
        self.masks: list[NDArray[np.bool_]] = []

    @property
    def known(self) -> bool:
        return bool(self.masks)

    def note(self, t: float, up: NDArray[np.bool_] | None) -> None:
        """The mask at time ``t`` s (None: not known; nothing is logged)."""
        if up is None:
            return
        if not self.masks or not np.array_equal(self.masks[-1], up):
            self.t.append(float(t))
            self.masks.append(np.asarray(up, dtype=bool).copy())
        # forget changes older than keep_s, keeping the one in force then
        while len(self.t) > 1 and self.t[1] <= t - self.keep_s:
            del self.t[0], self.masks[0]

    def at(self, t: float) -> NDArray[np.bool_] | None:
        """The mask in force at ``t`` s (before the first logged one: the first)."""
        if not self.masks:
            return None
        k = max(int(np.searchsorted(self.t, t, side="right")) - 1, 0)
        return self.masks[k]


def backprop_window(geom: BaseGeometry | None, lat0: float, lon0: float, alt0: float,
                    vel_en: F64, t_in: float, coverage: Coverage | None,
                    t_start: float = float("-inf"), listening: ListeningLog | None = None
                    ) -> tuple[tuple[float, float], float | None]:
    """Entry window [earliest, latest] (s) of a track first detected inside at ``t_in`` at
    (lat0, lon0, alt0 m) with horizontal velocity ``vel_en`` (east, north) m/s: straight back
    along that velocity to the zone boundary gives the earliest (-inf when the path back stays
    inside for ``BACKPROP_MAX_S`` or cannot be drawn), the first detection the latest; and the
    seconds of that path inside sensor coverage (None without a coverage test) -- counted only
    from ``t_start``, when the data began: before it nobody was looking, whatever the
    coverage (a track first detected 3 s into a run is no pop-up) -- and, with ``listening``,
    judged at each point with the sensors listening at its time."""
    speed = float(np.hypot(vel_en[0], vel_en[1]))
    if geom is None or speed < 1.0 or not np.isfinite(lat0):
        return (float("-inf"), t_in), None
    ts = np.linspace(0.0, BACKPROP_MAX_S, BACKPROP_SAMPLES * 8)
    la = lat0 - vel_en[1] * ts / _M_PER_DEG
    lo = lon0 - vel_en[0] * ts / (_M_PER_DEG * np.cos(np.radians(lat0)))
    out = np.flatnonzero(~shapely.contains_xy(geom, lo, la))
    k = ts.size if out.size == 0 else out[0] + 1
    watched = k if not np.isfinite(t_start) else min(
        k, int(np.searchsorted(ts, max(t_in - t_start, 0.0), side="right")))
    covered = path_covered(la[:watched], lo[:watched], alt0, ts[:watched], coverage,
                           None if listening is None or not listening.known
                           else lambda dt: listening.at(t_in - dt))
    if coverage is not None and covered is None and watched < k:
        covered = 0.0                 # the data began less than a sample before
    if out.size == 0:
        return (float("-inf"), t_in), covered
    return (t_in - float(ts[out[0]]), t_in), covered


def path_covered(la: F64, lo: F64, alt: float, ts: F64, coverage: Coverage | None,
                 up_at: Callable[[float], NDArray[np.bool_] | None] | None = None
                 ) -> float | None:
    """Seconds of a path (lat, lon at times ``ts`` s from its start, at height ``alt`` m)
    inside sensor coverage, judged at up to ``BACKPROP_SAMPLES`` points; ``up_at(ts)``: the
    sensors listening at each point's time (None: all)."""
    if coverage is None or ts.size < 2:
        return None
    k = np.unique(np.linspace(0, ts.size - 1, min(BACKPROP_SAMPLES, ts.size)).astype(int))
    al = np.full(k.size, alt)
    ecef = geodetic_to_ecef(la[k], lo[k], al).reshape(-1, 3)
    if up_at is None:
        cov = np.asarray(coverage(ecef, la[k], lo[k], al), dtype=bool)
    else:
        # one coverage call per listening mask in force along the path (they change rarely)
        masks = [up_at(float(ts[i])) for i in k]
        cov = np.zeros(k.size, dtype=bool)
        for m in {id(x): x for x in masks}.values():
            sel = np.array([x is m for x in masks])
            kw = {} if m is None else {"up": m}
            cov[sel] = np.asarray(coverage(ecef[sel], la[k][sel], lo[k][sel], al[sel], **kw),
                                  dtype=bool)
    step = ts[-1] / max(k.size - 1, 1)
    return float(cov[1:].sum() * step)


def outwards(w: tuple[float, float]) -> list[float | None]:
    """A window [earliest, latest], s, rounded outwards to 0.1 s: the stated window never
    gets narrower than computed (None: unbounded)."""
    return [num(np.floor(w[0] * 10.0) / 10.0, 1), num(np.ceil(w[1] * 10.0) / 10.0, 1)]


def utc_window(epoch: datetime, w: tuple[float, float]) -> list[str | None]:
    """The window as UTC ISO times (None: unbounded)."""
    return [iso_time(epoch, x) if np.isfinite(x) else None for x in w]


def duration_bounds(entry: list[float | None] | None, exit_: list[float | None] | None
                    ) -> list[float | None] | None:
    """[shortest, longest] duration of a visit, s, from its entry and exit windows (each
    [earliest, latest]; a None bound is unbounded): shortest = earliest exit - latest entry,
    longest = latest exit - earliest entry. None without an observed exit (a lost or ongoing
    episode's duration is a lower bound, stated as such). Two 95 % windows give >= 90 %."""
    if entry is None or exit_ is None or entry[1] is None or exit_[0] is None \
            or exit_[1] is None:
        return None
    lo = max(float(exit_[0]) - float(entry[1]), 0.0)
    hi = None if entry[0] is None else float(exit_[1]) - float(entry[0])
    return [num(lo, 1), None if hi is None else num(hi, 1)]
