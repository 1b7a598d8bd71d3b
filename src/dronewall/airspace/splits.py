"""A violation record split where its track changed target: one record per body.

A track reported without a gap can move from one target to another inside a zone (flagship
raid, seed 2: track 39 followed a flock for 29 min, then a Gerbera for 25 min). One record
for both would date the drone's presence from the flock's first detection and give the
flock's depth to the drone; the drone's own crossing, reported by its own track, would be a
second episode of one visit. :mod:`.target_changes` finds such a change a couple of minutes
after it happened; the airspace stage then splits the track's open episodes at the time the
located speed changed (:meth:`.monitor.AirspaceMonitor.split`, exact from the monitor's scan
log) and this mixin of :class:`.evidence.EvidenceAnnotator` completes the two parts:

* the first part ends there (``end_reason: target_changed``): its body is judged on what the
  track did up to the new stretch (the evidence counters noted when it began), and its
  change record says the record ends there;
* the second part begins there, ``first_detected_inside`` (no crossing of this body was seen
  by this track): judged on what the track did since, its entry window back-propagated from
  the new body's position and velocity then -- and it continues the episode of another track
  of the same zone that ended with the track lost where this body could be then (its own
  track, lost when this one took its plots), under the fragment rules of
  :mod:`.evidence` (same identity and kind of body, compatible speed, within the
  dead-reckoned gate).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from dronewall.airspace.events import AirspaceEvent, Entry, Violation
from dronewall.airspace.fragments import (
    FRAGMENT_DUPLICATE_M,
    JOIN_SPEED_WINDOW_S,
    bird_evidence,
    located_speed,
    same_body,
    two_bodies,
)
from dronewall.airspace.geometry import near_dist_m
from dronewall.airspace.target_changes import Change, change_records
from dronewall.airspace.track_quality import MIN_BODY_STEPS, RETURN_TOL_S, TrackInfo

#: A track's evidence counters at a time: (t s, steps reported, their P(bird) sum, steps a
#: sensor located it, their P(bird) sum, distinct update times per sensor kind or None) -- as
#: ``TrackInfo.returns`` keeps them.
Counters = tuple[float, int, float, int, float, tuple[int, ...] | None]
#: Two times this close are one, s.
TOL_S = 1e-3
#: A track's located position counts as "at" a time this close to it, s.
BESIDE_TOL_S = 5.0


def counters(inf: TrackInfo, t: float) -> Counters:
    """``inf``'s evidence counters now (time ``t``, s)."""
    return (t, inf.steps, inf.p_bird_sum, inf.loc_steps, inf.loc_p_bird_sum,
            None if inf.kind_n is None else tuple(inf.kind_n))


def body_between(inf: TrackInfo, start: Counters | None, end: Counters | None) -> TrackInfo:
    """What the track did between two noted times (None: its first step / now): its steps
    reported, the mean P(bird) of the located ones (of all, where fewer than
    ``MIN_BODY_STEPS`` were located), and where update times per sensor kind are counted, the
    kinds that updated it in between. Strong updates and identity stay the track's."""
    z: Counters = (np.nan, 0, 0.0, 0, 0.0, None)
    a = start or z
    b = end or counters(inf, np.nan)
    n, n_loc = b[1] - a[1], b[3] - a[3]
    p_sum = (n * (b[4] - a[4]) / n_loc if n_loc >= MIN_BODY_STEPS
             else b[2] - a[2])
    body = replace(inf, steps=max(n, 0), p_bird_sum=p_sum, loc_steps=max(n_loc, 0),
                   loc_p_bird_sum=b[4] - a[4])
    if inf.kind_n is not None:
        k = len(inf.kind_n)
        hi = list(b[5] if b[5] is not None else inf.kind_n)
        lo = list(a[5] or ()) + [0] * k
        since = [max(int(hi[i]) - int(lo[i]), 0) for i in range(min(k, len(hi)))]
        body = replace(body, kind_n=since,
                       kinds=sum(1 << i for i, c in enumerate(since) if c > 0))
    return body


def split_changed(monitor: Any, annotator: Any) -> list[AirspaceEvent]:
    """Split the open episodes of every track whose change of target ``annotator`` (an
    :class:`.evidence.EvidenceAnnotator`) found since the last call, in ``monitor`` (an
    :class:`.monitor.AirspaceMonitor`), and return the two parts' events completed and
    annotated: per episode the first part's violation, then the second part's entry. The
    airspace stage calls it after each step's ``observe``."""
    out: list[AirspaceEvent] = []
    for tid, ch, beside in annotator.take_changes():
        la, lo, alt = ch.at[:3]
        out += annotator.split(monitor.split(tid, ch.t_speed, la, lo, alt), ch, beside)
    return out


class SplitRecords:
    """Mixin of :class:`.evidence.EvidenceAnnotator`: the changes of target found, and the two
    records of an episode split at one (module docstring)."""

    info: dict[int, TrackInfo]
    first: dict[tuple[int, str], Any]
    episode_of: dict[tuple[int, str], str]
    entry_win: dict[tuple[int, str], Any]
    ended: list[Any]
    fragment_window_s: float
    fragment_overlap_s: float
    epoch: datetime
    _seq: int

    def _init_splits(self) -> None:
        #: changes of target found since the stage last took them: (track id, change, the
        #: other tracks reported within FRAGMENT_DUPLICATE_M of it when it was found)
        self.new_changes: list[tuple[int, Change, frozenset[int]]] = []
        #: (track, zone) episodes open now (entered, not completed)
        self.open_keys: set[tuple[int, str]] = set()
        #: every episode that ended with its track lost, as ``ended`` holds them, whether or
        #: not another track continued it since: the second part of a split record continues
        #: the episode of the body it followed, even where a newcomer nearby took it first
        self.lost_ends: list[Any] = []
        #: the first part being completed: (track, zone) -> the counters that end its body
        self._split_until: dict[tuple[int, str], Counters | None] = {}

    def take_changes(self) -> list[tuple[int, Change, frozenset[int]]]:
        """The changes of target found since the last call (with where the track was then),
        and the tracks beside it when each was found."""
        out, self.new_changes = self.new_changes, []
        return [x for x in out if x[1].at is not None]

    def split(self, events: list[AirspaceEvent], change: Change,
              beside: frozenset[int] = frozenset()) -> list[AirspaceEvent]:
        """The monitor's split of an episode at ``change`` (``AirspaceMonitor.split``: the
        first part's violation, then the second part's entry) completed: the violation with
        its evidence up to the change, the entry registered as a new body's -- in the episode
        it continues, if any (:meth:`_split_episode`; ``beside``: the tracks reported beside
        this one when the change was found) -- and annotated."""
        out: list[AirspaceEvent] = []
        for e in events:
            key = (int(e.track_id), e.zone_id)
            if isinstance(e, Violation):
                self._split_until[key] = change.before
                out.append(self.complete(e))
            elif isinstance(e, Entry):
                self._enter_split(e, key, change, beside)
                t = float(e.t_s if e.t_s is not None else change.t_speed)
                inf = self.info.get(key[0], TrackInfo())
                told = [r for r in change_records(inf.body, t, t, self.epoch, e.track_id)
                        if abs(float(r["speed_changed_t_s"]) - change.t_speed) <= 0.05]
                out.append(replace(self.annotate(e), target_changes=told or None))
        return out

    def _enter_split(self, e: Entry, key: tuple[int, str], ch: Change,
                     beside: frozenset[int]) -> None:
        assert ch.at is not None
        la, lo, alt, ve, vn = ch.at
        t = float(e.t_s if e.t_s is not None else ch.t_speed)
        inf = self.info.get(key[0], TrackInfo())
        body = body_between(inf, ch.before, None)
        self.first[key] = (la, lo, alt, np.array([ve, vn, 0.0]), t, np.nan,
                           np.full((2, 2), np.nan))
        own = located_speed(inf, t, inf.last_t)
        ep = self._split_episode(e.zone_id, t, la, lo, ve, vn, inf, body, ch.v_new, key[0], own)
        if ep is None:
            ep = self._beside_episode(e.zone_id, inf, body, ch.v_new, beside, own)
        if ep is None:
            self._seq += 1
            ep = f"E{self._seq:04d}"
        self.episode_of[key] = ep
        self.open_keys.add(key)
        self.entry_win[key] = (t, *self._entry_window(t, la, lo, key, False))

    @staticmethod
    def _beside_at(inf: TrackInfo, t: float, lat: float, lon: float) -> float:
        """How far (lat, lon) deg lay from where a sensor located this track at ``t``, s
        (within ``BESIDE_TOL_S``), as -1 m when within ``FRAGMENT_DUPLICATE_M`` (two tracks on
        one platform); inf when farther or not located then."""
        if inf.body is None:
            return np.inf
        near = [x for x in inf.body.speeds if len(x) == 7 and abs(x[0] - t) <= BESIDE_TOL_S]
        if not near:
            return np.inf
        x = min(near, key=lambda x: abs(x[0] - t))
        d = near_dist_m(x[2], x[3], lat, lon)
        return d - FRAGMENT_DUPLICATE_M if d <= FRAGMENT_DUPLICATE_M else np.inf

    def _beside_episode(self, zone: str, inf: TrackInfo, body: TrackInfo, speed: float,
                        beside: frozenset[int], own: tuple[float, int]) -> str | None:
        """The open episode in ``zone`` of a track reported beside this one when the change
        was found (within ``FRAGMENT_DUPLICATE_M``) that is the same body: two tracks
        on one platform -- the track that took over its plots while its own coasted, and the
        new one confirmed on them meanwhile (the lowest id: the older). ``own``: this
        track's mean located speed since the change and its located steps (m/s; the other's
        over its last ``JOIN_SPEED_WINDOW_S`` must not say another body, ``two_bodies``)."""
        for tid in sorted(beside):
            k = (tid, zone)
            other = self.info.get(tid)
            if k not in self.open_keys or k not in self.episode_of or other is None:
                continue
            theirs = located_speed(other, other.last_t - JOIN_SPEED_WINDOW_S, other.last_t)
            if same_body(inf.identity, speed, other.identity, other.speed_mps,
                         bird_evidence(body), bird_evidence(other)) and not two_bodies(own,
                                                                                      theirs):
                return self.episode_of[k]
        return None

    def _split_episode(self, zone: str, t: float, lat: float, lon: float, ve: float,
                       vn: float, inf: TrackInfo, body: TrackInfo, speed: float,
                       own: int, own_speed: tuple[float, int]) -> str | None:
        """The episode of another track in ``zone`` that ended with the track lost where the
        new body could be at ``t``: lost at most ``fragment_window_s`` before (dead-reckoned
        from its last update), or after ``t`` within ``FRAGMENT_DUPLICATE_M`` of where a
        sensor located this track then (its duplicate since the change; else, up to
        ``fragment_overlap_s`` after, this body dead-reckoned to then); the same identity and
        kind of body and a compatible speed; the nearest such --
        also where a track first seen inside near there continued it already (the fragment
        rules are looser than a track that followed the body's own plots: the episode is then
        both tracks'). ``own_speed``: this track's mean located speed since the change and its
        located steps; a lost track whose speed before it was lost says another body
        (``two_bodies``) is not continued."""
        best, best_d = None, np.inf
        for z, t_end, la, lo, ep, ident, sp, ve0, vn0, tid, bird in self.lost_ends:
            gap = t - t_end
            if z != zone or tid == own or gap > self.fragment_window_s:
                continue
            if not same_body(inf.identity, speed, ident, sp, bird_evidence(body), bird):
                continue
            if two_bodies(own_speed, located_speed(self.info.get(tid),
                                                   t_end - JOIN_SPEED_WINDOW_S, t_end)):
                continue
            if gap >= 0.0:
                d = self._miss_m(la, lo, ve0, vn0, gap, lat, lon)
            else:
                # lost after this body was taken up: beside this track then (a duplicate)
                d = self._beside_at(inf, t_end, la, lo)
                if not np.isfinite(d) and gap >= -self.fragment_overlap_s:
                    d = self._miss_m(lat, lon, ve, vn, -gap, la, lo)
            if d < best_d:
                best, best_d = ep, d
        if best is not None:
            self._take_episode(best)
        return best

    def _split_body(self, key: tuple[int, str], v: Violation, inf: TrackInfo
                    ) -> tuple[TrackInfo, float | None, bool, bool] | None:
        """The track evidence that judges the body of a record whose track changed target:
        from the latest change at or before its entry (the second part of a split record, or
        a later visit of the body it took up) -- or from a return from an identity gap after
        it -- up to the change that ends the record (the first part). Returns that evidence,
        when it starts (s; None: the track's first step), whether the record ends at a change
        and whether the start is a return from a gap; None for a record whose track made no
        change before its entry and that does not end at one (judged as before)."""
        ends = v.end_reason == "target_changed"
        until = self._split_until.pop(key, None) if ends else None
        entry = None if v.entry_t_s is None else float(v.entry_t_s)
        ch = None
        if inf.body is not None and entry is not None:
            before = [c for c in inf.body.changes
                      if c.t_speed <= entry + TOL_S and c.before is not None]
            ch = max(before, key=lambda c: c.t_speed) if before else None
        if not (ends or ch is not None):
            return None
        start: Counters | None = None if ch is None else ch.before
        t0 = None if ch is None else ch.t_speed
        back = [r for r in inf.returns or [] if entry is not None
                and r[0] <= entry + RETURN_TOL_S and (t0 is None or r[0] > t0)]
        if back:
            start, t0 = back[-1], back[-1][0]
        return body_between(inf, start, until), t0, ends, bool(back)

    if TYPE_CHECKING:     # provided by EvidenceAnnotator
        def complete(self, v: Violation) -> Violation: ...

        def annotate(self, e: AirspaceEvent) -> AirspaceEvent: ...

        def _entry_window(self, t_in: float, lat: float | None, lon: float | None,
                          key: tuple[int, str], observed: bool
                          ) -> tuple[tuple[float, float], float | None, float | None]: ...

        def _miss_m(self, lat: float, lon: float, ve: float, vn: float, gap: float,
                    lat2: float, lon2: float) -> float: ...

        def _take_episode(self, ep: str) -> None: ...
