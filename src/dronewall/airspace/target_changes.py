"""Where a track changed target without a gap: a slow, bird-like body, then a fast one.

A track reported without interruption can still move from one target to another: a flock's
track coasting near a drone stream takes a passing drone's plots and follows the drone from then
on (flagship raid, seed 2: track 39 followed a flock for 29 min, then a Gerbera for 25 min;
``docs/benchmarks.md`` section 6). One id, two bodies -- and the violation record of that track
would date the drone's presence from the flock's first detection. No sensor observes the swap;
what shows it is the track itself, at the steps a sensor located it: a stretch of at least
``TARGET_RUN_S`` called a bird at a bird's speed, then one as long called something else at a
speed no flock flies (or the other way round), the two mean speeds at least ``TARGET_DV_MPS``
and a factor ``TARGET_SPEED_RATIO`` apart. A classification that sharpens on one body (a far
drone first called a bird, then a drone, at the same speed) is not a change of target.

Two times are given. The class times (the old stretch's last step, the new one's first) lag the
plots: the classifier needs evidence from the new body first. The speed time is when the
located speeds themselves changed: the split of the speeds located over the old stretch's last
``TARGET_RUN_S`` and the new stretch that leaves the least squared spread about the two
means (a least-squares change point). On the flagship raid's seven changes (seeds 1, 2, 11)
it fell within 2 s of the swap by truth four times, 9 s before it once and 22-25 s after it
twice; the class times came 2-35 s after it (median 18 s; ``bench/target_changes_check.py``,
``docs/benchmarks.md`` s.6).

A violation lists its track's changes up to its end (``Violation.target_changes``) and says in
its confidence reasons what they put in doubt: before a change inside the zone, the track
followed another body (its entry, depth and duration may join two targets). Like an identity
gap (:mod:`.identity_gaps`), a change does not lower the confidence label: something was there;
what is in doubt is which target the record describes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np

from dronewall.airspace.event_builder import iso_time, num
from dronewall.airspace.identity_gaps import clock_hms
from dronewall.catalog import PlatformClass

#: A stretch of one kind (bird / not a bird) must last this long to count, s [E]: a class that
#: flickers for a minute while evidence arrives is not a body (flagship raid seeds 1-4, 10,
#: 11: all 7 changes found were a flock's track that took a drone; docs/benchmarks.md s.6).
TARGET_RUN_S = 120.0
#: ... and the two stretches' mean horizontal speeds must differ by at least this, m/s [E] ...
TARGET_DV_MPS = 15.0
#: ... and by at least this factor [E]: flocks fly ~8-20 m/s, one-way drones 35-50 m/s; a bird
#: called a drone at 12 m/s and a drone called a bird at 40 m/s are one body each.
TARGET_SPEED_RATIO = 2.0
#: Changes kept per track (the latest ones).
MAX_CHANGES_PER_TRACK = 10
#: Located speeds kept per track to time a change from the plots, s of history (bounded: at
#: one located step a second, at most this many samples per track).
SPEED_HISTORY_S = 600.0
#: How the confidence-reason line on target changes begins.
REASON_PREFIX = "target changed"


@dataclass
class _Stretch:
    bird: bool
    t0: float
    t1: float
    cls: int
    v_sum: float = 0.0
    n: int = 0
    #: what the caller noted about the track when the stretch began (:meth:`BodyRuns.note`'s
    #: return; the annotator keeps its evidence counters there)
    before: Any = None

    @property
    def speed(self) -> float:
        return self.v_sum / self.n if self.n else float("nan")


class Change(NamedTuple):
    """A change of target: the old stretch's end and the new one's start, s, their classes
    (``PlatformClass`` codes) and mean horizontal speeds, m/s; when the located speed changed,
    s, and where the track was then: (lat deg, lon deg, alt m, east and north velocity m/s) of
    the located step at that time (None: not kept); ``before``: what the caller noted when
    the new stretch began."""

    t_old: float
    t_new: float
    c_old: int
    c_new: int
    v_old: float
    v_new: float
    t_speed: float
    at: tuple[float, float, float, float, float] | None = None
    before: Any = None


@dataclass
class BodyRuns:
    """One track's stretches of one kind (bird / not) and the changes of target found so far
    (:class:`Change`); ``speeds``: the located (time s, speed m/s, lat deg, lon deg, alt m,
    east and north velocity m/s) of the last ``SPEED_HISTORY_S``."""

    stable: _Stretch | None = None
    cur: _Stretch | None = None
    changes: list[Change] = field(default_factory=list)
    speeds: deque[tuple[float, ...]] = field(default_factory=deque)
    #: changes found so far (``changes`` keeps the latest ``MAX_CHANGES_PER_TRACK``)
    n_found: int = 0

    def note(self, t: float, cls: int, speed_mps: float,
             at: tuple[float, float, float, float, float] | None = None) -> bool:
        """The track's MAP class (``PlatformClass`` code; < 0 unclassified and ``UNKNOWN``:
        ignored), horizontal speed, m/s, and where it was (``at``: lat deg, lon deg, alt m,
        east and north velocity m/s) at time ``t``, s, of a step a sensor located the track.
        Returns whether a new stretch began with this step (the caller may then note in
        ``cur.before`` what it knew of the track just then)."""
        if speed_mps != speed_mps:
            return False
        sp = self.speeds
        sp.append((t, speed_mps) + (at if at is not None else ()))
        while sp[0][0] < t - SPEED_HISTORY_S:
            sp.popleft()
        if cls < 0 or cls == int(PlatformClass.UNKNOWN):
            return False
        bird = cls == int(PlatformClass.BIRD)
        began = self.cur is None or self.cur.bird != bird
        if began:
            self.cur = _Stretch(bird, t, t, cls)
        c = self.cur
        assert c is not None
        c.t1, c.v_sum, c.n = t, c.v_sum + speed_mps, c.n + 1
        if not bird:
            c.cls = cls                      # the latest non-bird call names the body
        if c.t1 - c.t0 < TARGET_RUN_S:
            return began
        s = self.stable
        if s is not None and s is not c and s.bird != c.bird and speeds_apart(s.speed, c.speed):
            t_sp = speed_change_t(self.speeds, max(s.t0, s.t1 - TARGET_RUN_S), c.t0)
            self.changes.append(Change(s.t1, c.t0, s.cls, c.cls, s.speed, c.speed, t_sp,
                                       self._where(t_sp), c.before))
            del self.changes[:-MAX_CHANGES_PER_TRACK]
            self.n_found += 1
        self.stable = c
        return began

    def _where(self, t: float) -> tuple[float, float, float, float, float] | None:
        """The position and velocity kept with the located step at ``t``, s (None: none)."""
        for x in self.speeds:
            if x[0] == t and len(x) == 7:
                return (x[2], x[3], x[4], x[5], x[6])
        return None


def speed_change_t(speeds: deque[tuple[float, ...]] | list[tuple[float, ...]],
                   t_from: float, fallback: float) -> float:
    """When the speeds changed, s: over the samples ``speeds`` ((t s, speed m/s, ...), in
    time order) from ``t_from`` on, the first time of the second part of the split into two
    runs that minimises the squared deviations from their means (each run at least one
    sample); ``fallback`` with fewer than two samples."""
    a = np.array([x[:2] for x in speeds if x[0] >= t_from], dtype=np.float64).reshape(-1, 2)
    n = a.shape[0]
    if n < 2:
        return fallback
    v = a[:, 1]
    c1, c2 = np.cumsum(v), np.cumsum(v * v)
    k = np.arange(1, n)                       # the first k samples, then the other n - k
    left = c2[k - 1] - c1[k - 1] ** 2 / k
    right = (c2[-1] - c2[k - 1]) - (c1[-1] - c1[k - 1]) ** 2 / (n - k)
    return float(a[int(k[np.argmin(left + right)]), 0])


def speeds_apart(a: float, b: float) -> bool:
    """Are two mean horizontal speeds (m/s) those of two bodies: at least ``TARGET_DV_MPS``
    and a factor ``TARGET_SPEED_RATIO`` apart (a flock and a one-way drone)."""
    lo, hi = min(a, b), max(a, b)
    return hi - lo >= TARGET_DV_MPS and hi >= TARGET_SPEED_RATIO * max(lo, 1e-9)


def change_records(runs: BodyRuns | None, entry_t_s: float | None, end_t_s: float,
                   epoch: datetime, track_id: Any = None,
                   split_at: float | None = None) -> list[dict[str, Any]]:
    """The changes of track ``track_id`` found by ``end_t_s`` (the violation's end), s, as
    records: the times (s and UTC) the old body was last and the new one first followed, the
    classes and mean speeds, when the located speed changed (s and UTC), and where that was:
    ``before_entry`` (at or before ``entry_t_s``), ``inside`` the zone, or ``ends_record`` --
    the change at ``split_at``, s, where the record was split (:mod:`.splits`)."""
    if runs is None:
        return []
    out = []
    for ch in runs.changes:
        t_old, t_new, c_old, c_new, v_old, v_new, t_sp = ch[:7]
        if t_sp > end_t_s + _TOL_S:
            continue
        out.append({"track_id": track_id, "old_until_t_s": num(t_old, 1),
                    "new_from_t_s": num(t_new, 1), "old_until_utc": iso_time(epoch, t_old),
                    "new_from_utc": iso_time(epoch, t_new), "old_class": _name(c_old),
                    "new_class": _name(c_new), "old_speed_mps": num(v_old, 1),
                    "new_speed_mps": num(v_new, 1), "speed_changed_t_s": num(t_sp, 1),
                    "speed_changed_utc": iso_time(epoch, t_sp),
                    "where": _where(t_sp, entry_t_s, split_at)})
    return out


#: Two times this close are one, s (a record's entry at a change and the change itself).
_TOL_S = 1e-3


def took_up_by(runs: BodyRuns | None, t_s: float | None) -> float | None:
    """When the track took up the body it followed at ``t_s``, s: the speed time of its
    latest change of target at or before then (None: none found -- the same body since
    its first report, as far as the track shows)."""
    if runs is None or t_s is None:
        return None
    times = [ch.t_speed for ch in runs.changes if ch.t_speed <= t_s + _TOL_S]
    return max(times) if times else None


def _where(t_sp: float, entry_t_s: float | None, split_at: float | None) -> str:
    if split_at is not None and abs(t_sp - split_at) <= _TOL_S:
        return "ends_record"
    return "inside" if entry_t_s is not None and t_sp > entry_t_s + _TOL_S else "before_entry"


def merge(records: list[list[dict[str, Any]] | None],
          entry_t_s: float | None = None) -> list[dict[str, Any]] | None:
    """The change records of an episode's fragments together, in time order (None: none),
    placed against the episode's entry ``entry_t_s`` (s; None: as recorded): a change before
    its own fragment's entry but after the episode's is where that track took up the
    episode's target (``took_up``: the fragment began there, nothing of it is mixed); the
    others keep their place (a change inside a fragment mixes that fragment, one that ended a
    fragment's record ended it)."""
    seen: dict[tuple[Any, Any], dict[str, Any]] = {}
    for rs in records:
        for r in rs or []:
            key = (r.get("track_id"), r["new_from_t_s"])
            if key in seen:
                continue
            if entry_t_s is None or r["where"] != "before_entry":
                seen[key] = r
                continue
            t_sp = r.get("speed_changed_t_s")
            t = float(t_sp if t_sp is not None else r["new_from_t_s"])
            seen[key] = {**r, "where": "took_up" if t > entry_t_s + _TOL_S else "before_entry"}
    return sorted(seen.values(), key=lambda r: float(r["new_from_t_s"])) or None


def reasons(records: list[dict[str, Any]] | None) -> list[str]:
    """A confidence-reason line for the changes (None / empty: none)."""
    if not records:
        return []
    place = {"inside": ", inside the zone", "before_entry": ", before entry",
             "ends_record": ", where this record ends",
             "took_up": ", where it took up this episode's target inside the zone"}
    parts = [(f"track {r['track_id']} " if r.get("track_id") is not None else "the track ")
             + f"was {_body(r['old_class'], r['old_speed_mps'])} until "
             f"{clock_hms(r['old_until_utc'])} UTC and "
             f"{_body(r['new_class'], r['new_speed_mps'])} from {clock_hms(r['new_from_utc'])} "
             + (f"UTC (its speed changed at {clock_hms(r['speed_changed_utc'])})"
                if r.get("speed_changed_utc") else "UTC")
             + place.get(r["where"], "")
             for r in records]
    when = "that time" if len(records) == 1 else "each of those times"
    tail = [f"a flock does not turn into a drone: the track moved from one target to another "
            f"about {when} (a class follows the plots with a lag; the speed changes first)"]
    if any(r["where"] == "inside" for r in records):
        tail.append("the entry, depth and duration may join two targets")
    if any(r["where"] == "before_entry" for r in records):
        tail.append("its history before, and where it came from, is another target's")
    if any(r["where"] == "took_up" for r in records):
        tail.append("what that track followed before is another target's, not part of this "
                    "episode")
    if any(r["where"] == "ends_record" for r in records):
        tail.append("this record ends there, and what the track followed from then on is "
                    "recorded apart")
    return [f"{REASON_PREFIX}: " + "; ".join(parts) + " -- " + "; ".join(tail)]


def _name(cls: int) -> str:
    try:
        return PlatformClass(cls).name.lower()
    except ValueError:
        return "unknown"


def _body(cls: str, speed: Any) -> str:
    what = "called a bird" if cls == "bird" else f"called {cls.replace('_', ' ')}"
    return f"{what} ({float(speed):.0f} m/s mean)"
