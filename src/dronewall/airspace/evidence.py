"""How each violation is known: evidence semantics for the airspace stage.

The monitor (:mod:`.monitor`) says *that* a track was inside a zone, for how long and how deep.
An investigator also needs *how we know* -- and must never be told more than the sensors saw.
:class:`EvidenceAnnotator` follows the picture every step (per track: first fix inside a
zone, cooperative trust, class, sensor kinds, hits) and completes every :class:`Violation`:

* ``evidence``: ``observed_crossing`` (the track was outside at the scan before: the entry is
  interpolated between two observed positions; its window and the uncertainty of its point
  along the border, ``entry_point_95_m``, are 95 % intervals from the track's position error,
  :func:`.crossing.crossing_window`) or ``first_detected_inside`` (the track was
  first seen inside). For the latter the entry window is estimated by back-propagating the
  track's first velocity to the zone boundary (``entry_window_t_s``: [earliest, latest]; the
  latest is the first detection), with the time that back-propagated path spent inside
  independent sensor coverage (``covered_before_s``: the sensors should have seen it there --
  a long covered stretch suggests a launch inside or a flight below coverage; with a
  ``class_coverage``, the coverage of the sensors that detect a platform of the track's MAP
  class: radar on the class's typical RCS, acoustic nodes on its source level, RF finders
  on a link emitter);
* ``exit_window_t_s`` / ``duration_bounds_s``: the same 95 % window for an exit the sensors saw
  (a sensor updated the track at or after the crossing), and the shortest and longest
  duration the two windows allow (:mod:`.windows`);
* ``cooperative``: ``non_cooperative`` (no ADS-B / Remote ID), ``authorised`` (a cooperative
  identity trusted by the independent sensors for most of the track's life from its
  first verification: kept in the record, not a violation), ``identified`` (the same, but a
  drone known by its Remote ID alone inside an airport or infrastructure zone: a broadcast
  names the drone and its operator, it is no permit to fly there -- EU 2019/947 art. 15 UAS
  geographical zones -- so the visit is listed, with the serial), ``untrusted`` (identity
  suspected of spoofing), ``unverified``;
* ``track_quality``: ``high`` / ``medium`` / ``low`` with reasons -- birds and clutter-like
  tracks (bird-likely class, few hits, or a short track only one sensor kind saw) are
  ``low``, and so is a track whose position rests on cooperative reports suspected of
  spoofing (no radar or EO/IR saw an aircraft there: a ghost);
* ``episode_id``: fragments of one platform form one episode -- a track that re-enters the zone
  within ``REENTRY_JOIN_S`` of leaving it continues its episode (one visit), so does the
  same track first detected inside again after it was lost there, however long it was
  unreported (the tracker kept its id; the identity gap is stated), and a
  first-detected-inside episode
  that starts where an episode of another track in the same zone ended with the track lost
  (within ``fragment_window_s``, where that platform could be by then: within
  ``fragment_gate_m`` + ``fragment_drift_mps`` x gap of its dead-reckoned position,
  :meth:`EvidenceAnnotator._miss_m`) continues that episode; so does one that started while
  that track still coasted -- after its last sensor update, before it was dropped (up to
  ``fragment_overlap_s``), within the same gate (a new track confirmed on the plots while the
  old one coasted without them), or one that started beside it while both were fed by the
  sensors, within
  ``FRAGMENT_DUPLICATE_M`` of it (a duplicate track); farther away, it is another target;
* ``confidence`` / ``confidence_reasons``: from all of it, not only p_inside: ``confirmed``
  needs an observed crossing, p_episode >= 0.95 and a good-quality non-authorised track;
  ``probable`` a likely episode of a medium/high-quality track; anything on a low-quality
  track, or with p_episode < 0.5, is at most ``uncertain``; authorised traffic is labelled
  ``authorised``.

:func:`.consolidate.consolidate` merges the fragments of an episode into one record.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial

import numpy as np
from numpy.typing import NDArray

from dronewall.airspace import identity_gaps as idg
from dronewall.airspace import target_changes as tcg
from dronewall.airspace import track_quality as tq
from dronewall.airspace.consolidate import bounding_entry
from dronewall.airspace.crossing import crossing_window
from dronewall.airspace.crossing_notes import CrossingNotes, operator_fields
from dronewall.airspace.event_builder import iso_time, num
from dronewall.airspace.events import AirspaceEvent, Entry, Exit, Violation
from dronewall.airspace.fragments import (
    FRAGMENT_DUPLICATE_M,
    JOIN_SPEED_WINDOW_S,
    located_speed,
    two_bodies,
)
from dronewall.airspace.fragments import bird_evidence as _bird
from dronewall.airspace.fragments import same_body as _same_body
from dronewall.airspace.geometry import near_dist_m, near_dists_m
from dronewall.airspace.kind_updates import KindUpdates
from dronewall.airspace.operators import RemoteIdOperators
from dronewall.airspace.splits import SplitRecords, counters
from dronewall.airspace.target_changes import BodyRuns
from dronewall.airspace.track_quality import TrackInfo
from dronewall.airspace.windows import (
    ListeningLog,
    backprop_window,
    duration_bounds,
    outwards,
    utc_window,
)
from dronewall.airspace.zones import ZoneSet

F64 = NDArray[np.float64]

#: A track not observed for this long is forgotten (its episodes closed when it
#: disappeared; the airspace stage passes at least its monitor's track timeout + 60 s), s.
RETAIN_S = 600.0
#: How often the forgetting runs, s.
PRUNE_EVERY_S = 30.0
#: A first-detected-inside episode that began at most this long after (while it coasted) or
#: before (as its duplicate, FRAGMENT_DUPLICATE_M) another track's last sensor update in the
#: same zone continues that track's episode once it is lost near there: the tracker coasts a
#: track without plots for up to ~40 s while a new one may already be confirmed on them, s [E].
FRAGMENT_OVERLAP_S = 60.0
#: Where a lost fragment's platform may be a gap later: within this many m/s x gap (plus the
#: fragment gate) of its position dead-reckoned from its last updated velocity, m/s [E]. A
#: drone holds course and speed between waypoints; 15 m/s covers a speed change of that much or
#: a turn of ~17 deg at 50 m/s. The circle of ``fragment_speed_mps`` x gap around the last
#: position alone joined neighbouring flocks and the drones of a stream (docs/benchmarks.md
#: section 6).
FRAGMENT_DRIFT_MPS = 15.0
#: A track that re-enters a zone at most this long after it left it continues the same
#: episode -- one zone visit: a drone skimming a border, or a track flickering across it
#: within its position error, is not a string of separate violations, s [E].
REENTRY_JOIN_S = 30.0


class EvidenceAnnotator(CrossingNotes, SplitRecords):
    """Per-track evidence over the run and the completion of violation records (split where
    a track changed target: :mod:`.splits`)."""

    def __init__(self, zones: ZoneSet, epoch: datetime, frame: object | None = None,
                 coverage: object | None = None, fragment_window_s: float = 180.0,
                 fragment_gate_m: float = 3000.0, fragment_speed_mps: float = 60.0,
                 fragment_drift_mps: float = FRAGMENT_DRIFT_MPS,
                 retain_s: float = RETAIN_S,
                 fragment_overlap_s: float = FRAGMENT_OVERLAP_S,
                 class_coverage: object | None = None) -> None:
        self.zones = zones
        # coverage(ecef, lat, lon, alt, cls): the sensors that should detect a platform of
        # class cls there -- a pop-up is judged against what could have seen that platform
        self.class_coverage = class_coverage
        #: the sensor-table rows listening, per change (noted by the caller each step; empty:
        #: all): a sensor that was down could not have seen a pop-up before its first detection
        self.listening = ListeningLog()
        self.retain_s = float(retain_s)
        self.epoch = epoch
        self.frame = frame
        self.coverage = coverage
        self.fragment_window_s = fragment_window_s
        self.fragment_gate_m = fragment_gate_m
        self.fragment_speed_mps = fragment_speed_mps
        self.fragment_drift_mps = float(fragment_drift_mps)
        self.fragment_overlap_s = float(fragment_overlap_s)
        self.info: dict[int, TrackInfo] = {}
        # pilot positions claimed by Remote ID broadcasts, per identity (fed by the caller)
        self.operators = RemoteIdOperators()
        # first fix of each (track, zone) entry: position (lat, lon, alt), ENU velocity, time,
        # horizontal 1-sigma per axis (m) and horizontal position covariance (east, north) m^2
        self.first: dict[tuple[int, str],
                         tuple[float, float, float, F64, float, float, F64]] = {}
        # episodes that ended with the track lost: (zone, end t, lat, lon, episode id,
        # cooperative identity, horizontal speed m/s at the end, ENU velocity (east, north)
        # m/s at its last sensor update, track id, (mean P(bird), steps))
        self.ended: list[tuple[str, float, float, float, str, str, float, float, float,
                               int, tuple[float, int]]] = []
        self.episode_of: dict[tuple[int, str], str] = {}
        # the fix at each (track, zone) exit: ENU velocity, horizontal 1-sigma per axis (m),
        # horizontal covariance (east, north) m^2 -- an observed exit's window comes from it
        self.exit_fix: dict[tuple[int, str], tuple[F64, float, F64]] = {}
        # the window of each (track, zone) entry as stated when it was declared (see
        # :meth:`_entry_window`): the violation states the same
        self.entry_win: dict[tuple[int, str], tuple[float, tuple[float, float], float | None,
                                                    float | None]] = {}
        # first-detected-inside entries that opened a new episode and whose violation is still
        # open: (track, zone) -> (start t, lat, lon, ids of the tracks reported within
        # FRAGMENT_DUPLICATE_M of it then); a track lost near one soon after its start takes
        # it into its own episode (when identity and speed agree)
        self.pending: dict[tuple[int, str], tuple[float, float, float, frozenset[int]]] = {}
        # episodes that ended with an observed exit: (track, zone) -> (exit t, episode id); a
        # re-entry of that track into that zone within REENTRY_JOIN_S continues the episode
        self.exited: dict[tuple[int, str], tuple[float, str]] = {}
        # episodes that ended with their track lost: (track, zone) -> (end t, episode id); the
        # same track first detected inside that zone again continues it however long it was
        # unreported -- the tracker kept its id (re-acquired it, or stitched a new track into
        # it) and the record states the identity gap -- until the track is forgotten, or
        # another track continued the episode (it is that track's then)
        self.lost_in: dict[tuple[int, str], tuple[float, str]] = {}
        # (track, zone) records that continue another track's episode: (episode id, the lost
        # fragment's mean located speed and steps, m/s, when this track took it over s) --
        # the join is checked again as this track's record completes (:meth:`_joined_ep`)
        self.joined: dict[tuple[int, str], tuple[str, tuple[float, int], float]] = {}
        self._seq = 0
        self._dt = 1.0
        self._t_prev: float | None = None
        self._t_start = float("-inf")
        self._zone_geom = {z.id: z.geometry for z in zones.zones}
        self._next_prune = 0.0
        self._updates = KindUpdates()
        self._init_splits()

    # ------------------------------------------------------------------ per step

    def observe(self, t: float, ids: NDArray[np.int64], lat: F64, lon: F64, alt: F64,
                vel_enu: F64, sigma_h: F64, identity: NDArray[np.object_],
                trusted: NDArray[np.bool_] | None, suspect: NDArray[np.bool_] | None,
                p_bird: F64 | None, kinds: NDArray[np.int64], hits: NDArray[np.int64],
                events: list[AirspaceEvent], last_update: F64 | None = None,
                last_seen: F64 | None = None, cov_en: F64 | None = None,
                map_class: NDArray[np.int64] | None = None) -> None:
        """One step of the picture (N tracks) and the monitor's new events for it:
        ``trusted``/``suspect`` (N,) the cooperative-identity verdicts of the trust monitor,
        ``p_bird`` (N,) the bird-class probability, ``kinds`` (N,) bitmask of the sensor kinds
        that updated each track lately, ``hits`` (N,) strong updates, ``last_update`` (N,)
        the time of each track's latest sensor update that located it, s (the engine's
        strong updates: a single sensor's bearing turns a track along its line, it does not
        place it inside a zone; None: every step is one);
        ``last_seen`` (N, K) the time of each track's latest update by each sensor kind
        (``SensorKind`` order; NaN never), s -- a kind counts as corroborating once it updated
        the track at ``MIN_KIND_UPDATES`` different times (None: ``kinds`` as given);
        ``cov_en`` (N, 2, 2) the horizontal position covariance, east / north, m^2 (None:
        ``sigma_h`` on both axes) -- an observed entry's window and point uncertainty come
        from it (:mod:`.crossing`); ``map_class`` (N,) the tracks' MAP classes (the coverage a
        first detection inside is judged against, with ``class_coverage``)."""
        t_prev = self._t_prev
        if t_prev is None:
            self._t_start = t          # the data began: coverage before it saw nothing
        if self._t_prev is not None and t > self._t_prev:
            self._dt = t - self._t_prev
        self._t_prev = t
        speed = np.hypot(vel_enu[:, 0], vel_enu[:, 1]) if len(ids) else np.zeros(0)
        fresh = None if last_seen is None else self._updates.fresh(ids, last_seen)
        for k, tid in enumerate(ids.tolist()):
            inf = self.info.get(tid)
            if inf is None:
                inf = self.info[tid] = TrackInfo()
            if inf.steps == 0:
                inf.first_t = t
            elif t - inf.last_t >= idg.REJOIN_GAP_S and t_prev is not None \
                    and inf.last_t < t_prev:
                # absent from the pictures in between (a stalled feed that sent no picture
                # for a while is no gap of this track)
                if inf.gaps is None:
                    inf.gaps = []
                idg.note_gap(inf.gaps, inf.last_t, t)
                inf.note_return(t)
            inf.steps += 1
            inf.last_t = t
            if trusted is not None and trusted.size:
                inf.trusted += int(trusted[k])
            if inf.trusted:
                inf.steps_since_trusted += 1
            if suspect is not None and suspect.size:
                inf.suspect += int(suspect[k])
            if identity[k]:
                inf.identity = str(identity[k])
            if p_bird is not None and p_bird.size:
                inf.p_bird_sum += float(p_bird[k])
            inf.kinds |= int(kinds[k])
            if fresh is not None:
                if inf.kind_n is None:
                    inf.kind_n = [0] * last_seen.shape[1]
                bits = int(fresh[k])
                while bits:
                    low = bits & -bits
                    inf.kind_n[low.bit_length() - 1] += 1
                    bits ^= low
            inf.hits = max(inf.hits, int(hits[k]))
            inf.speed_mps = float(speed[k])
            if map_class is not None and map_class.size:
                inf.cls = int(map_class[k])
            # a sensor updated it since the last picture (asynchronous feeds stamp updates
            # between pictures, not at the picture's time)
            if last_update is None or float(last_update[k]) > (
                    t_prev if t_prev is not None else -np.inf):
                inf.upd_t, inf.upd_lat, inf.upd_lon = t, float(lat[k]), float(lon[k])
                inf.loc_steps += 1
                if p_bird is not None and p_bird.size:
                    inf.loc_p_bird_sum += float(p_bird[k])
                inf.upd_ve, inf.upd_vn = float(vel_enu[k, 0]), float(vel_enu[k, 1])
                if map_class is not None and map_class.size:
                    # what the body did when a sensor located it (a coasted or re-acquired
                    # track's velocity is a prediction)
                    if inf.body is None:
                        inf.body = BodyRuns()
                    n_ch = inf.body.n_found
                    if inf.body.note(t, inf.cls, inf.speed_mps, (
                            float(lat[k]), float(lon[k]), float(alt[k]), inf.upd_ve,
                            inf.upd_vn)) and inf.body.cur is not None:
                        inf.body.cur.before = counters(inf, t)   # a new stretch begins
                    if inf.body.n_found != n_ch:   # with the tracks beside it now
                        self.new_changes.append((tid, inf.body.changes[-1], _near_ids(
                            ids, lat, lon, float(lat[k]), float(lon[k]), tid)))
        row = {tid: k for k, tid in enumerate(ids.tolist())}
        for e in events:
            if isinstance(e, Entry):
                key = (int(e.track_id), e.zone_id)
                self.open_keys.add(key)
                k = row.get(int(e.track_id))
                v = vel_enu[k] if k is not None else np.zeros(3)
                sg = float(sigma_h[k]) if k is not None else float("nan")
                cv = (np.array(cov_en[k], float) if cov_en is not None and k is not None
                      else sg * sg * np.eye(2))
                self.first[key] = (float(e.lat or np.nan), float(e.lon or np.nan),
                                   float(e.alt_m or 0.0), np.array(v, float),
                                   float(e.t_s or t), sg, cv)
                self.episode_of[key] = self._episode_for(e, key, ids, lat, lon)
                t_in = float(e.t_s if e.t_s is not None else t)
                self.entry_win[key] = (t_in, *self._entry_window(t_in, e.lat, e.lon, key,
                                                                  bool(e.interpolated)))
            elif isinstance(e, Exit):
                k = row.get(int(e.track_id))
                if k is not None:
                    sg = float(sigma_h[k])
                    self.exit_fix[(int(e.track_id), e.zone_id)] = (
                        np.array(vel_enu[k], float), sg,
                        np.array(cov_en[k], float) if cov_en is not None else sg * sg * np.eye(2))
        if t >= self._next_prune:
            self._prune(t)

    def _prune(self, t: float) -> None:
        """Forget tracks not observed for ``retain_s`` (their episodes were closed when they
        disappeared) and lost-track episode ends past the fragment window: a server running
        for days keeps only what can still be used."""
        self._next_prune = t + PRUNE_EVERY_S
        old = {tid for tid, inf in self.info.items() if t - inf.last_t > self.retain_s}
        if old:
            for tid in old:
                del self.info[tid]
            self._updates.forget(np.fromiter(old, np.int64, len(old)))
            for key in [k for k in self.first if k[0] in old]:
                del self.first[key]
            for key in [k for k in self.episode_of if k[0] in old]:
                del self.episode_of[key]
            for key in [k for k in self.exit_fix if k[0] in old]:
                del self.exit_fix[key]
            for key in [k for k in self.entry_win if k[0] in old]:
                del self.entry_win[key]
            for key in [k for k in self.lost_in if k[0] in old]:
                del self.lost_in[key]
            for key in [k for k in self.joined if k[0] in old]:
                del self.joined[key]
            self.open_keys = {k for k in self.open_keys if k[0] not in old}
        # lost fragments are kept past the fragment window for a split found late (the
        # window itself is tested against the split's time, :mod:`.splits`)
        keep = self.fragment_window_s + 2 * tcg.TARGET_RUN_S
        self.ended = [x for x in self.ended if t - x[1] <= keep]
        self.lost_ends = [x for x in self.lost_ends if t - x[1] <= keep]
        self.pending = {k: x for k, x in self.pending.items()
                        if t - x[0] <= self.fragment_overlap_s}
        self.exited = {k: x for k, x in self.exited.items() if t - x[0] <= REENTRY_JOIN_S}

    def _episode_for(self, e: Entry, key: tuple[int, str], ids: NDArray[np.int64],
                     lat: F64, lon: F64) -> str:
        """A new episode id, or the one of a lost fragment this entry continues (or of this
        track's own visit it left moments ago). ``ids``, ``lat``, ``lon``: this step's
        tracks."""
        t = float(e.t_s or 0.0)
        back = self.exited.pop(key, None)
        if back is not None and 0.0 <= t - back[0] <= REENTRY_JOIN_S:
            return back[1]
        if not e.interpolated and e.lat is not None and e.lon is not None:
            lost = self.lost_in.pop(key, None)
            if lost is not None and t >= lost[0]:
                # the same track back inside after it was lost: the tracker kept its id
                # (re-acquired, or a new track stitched into it; an identity gap says so)
                self.ended = [x for x in self.ended if x[4] != lost[1]]
                return lost[1]
            best, best_d, src = None, np.inf, (0, 0.0)
            inf = self.info.get(key[0], TrackInfo())
            for zone, t_end, la, lo, ep, ident, speed, ve, vn, tid, bird in self.ended:
                gap = t - t_end
                if zone != e.zone_id or not (0.0 <= gap <= self.fragment_window_s):
                    continue
                if not _same_body(inf.identity, inf.speed_mps, ident, speed, _bird(inf), bird):
                    continue
                d = self._miss_m(la, lo, ve, vn, gap, float(e.lat), float(e.lon))
                if d < best_d:
                    best, best_d, src = ep, d, (tid, t_end)
            if best is not None:
                self._take_episode(best)
                self._note_join(key, best, *src, t)
                return best
            self.pending[key] = (t, float(e.lat), float(e.lon),
                                 _near_ids(ids, lat, lon, float(e.lat), float(e.lon), key[0]))
        self._seq += 1
        return f"E{self._seq:04d}"

    def _note_join(self, key: tuple[int, str], ep: str, lost: int, t_end: float,
                   t_join: float) -> None:
        """Track ``key``'s record continues episode ``ep`` of track ``lost`` (its last
        located update at ``t_end``) since ``t_join``, s: remember what to check it by."""
        self.joined[key] = (ep, located_speed(self.info.get(lost), t_end - JOIN_SPEED_WINDOW_S,
                                              t_end), t_join)

    def _joined_ep(self, key: tuple[int, str], ep: str, inf: TrackInfo, end: float) -> str:
        """The episode of a record that continued another track's (:meth:`_note_join`),
        checked again at its completion (``end``, s) -- or at a later record of its track
        in that episode -- on the speeds located since it took over: where they say another
        body than the lost fragment's (``fragments.two_bodies``: a flock's track that appeared
        where a drone's was lost), a new episode of its own (and its track's later records
        there continue that one)."""
        j = self.joined.get(key)
        if j is None or j[0] != ep or not two_bodies(j[1], located_speed(inf, j[2], end)):
            return ep
        del self.joined[key]
        self._seq += 1
        return f"E{self._seq:04d}"

    def _take_episode(self, ep: str) -> None:
        """Episode ``ep``, ended with its track lost, is another track's now: the track lost
        there does not take it back, and no other fragment joins it as a lost one's."""
        self.ended = [x for x in self.ended if x[4] != ep]
        self.lost_in = {k: x for k, x in self.lost_in.items() if x[1] != ep}

    # ------------------------------------------------------------------ violations

    def complete(self, v: Violation) -> Violation:
        """The violation with its evidence fields (see the module docstring)."""
        tid = int(v.track_id)
        key = (tid, v.zone_id)
        inf = self.info.get(tid, TrackInfo())
        ep = self.episode_of.get(key)
        if ep is None:
            self._seq += 1
            ep = f"E{self._seq:04d}"
        ep = self._joined_ep(key, ep, inf, float(v.exit_t_s if v.exit_t_s is not None
                                                  else v.t_s))
        self.pending.pop(key, None)
        self.open_keys.discard(key)
        v, coasted = _observed_end(v, inf, self.epoch)
        if v.end_reason == "exit" and v.exit_t_s is not None:
            self.exited[key] = (float(v.exit_t_s), ep)
        if v.end_reason == "track_lost" and v.exit_point[0] is not None:
            t_end = float(v.exit_t_s or 0.0)
            la, lo = float(v.exit_point[0]), float(v.exit_point[1] or 0.0)
            heir = self._overlapping_heir(v.zone_id, t_end, la, lo, inf, tid)
            lost_end = (v.zone_id, t_end, la, lo, ep, inf.identity, inf.speed_mps, inf.upd_ve,
                        inf.upd_vn, tid, _bird(inf))
            self.lost_ends.append(lost_end)     # for a split found later (splits.py)
            if heir is not None:
                # the track that took over the plots while this one coasted continues it
                self.episode_of[heir] = ep
                self._note_join(heir, ep, tid, t_end, self.pending.pop(heir)[0])
            else:
                self.ended.append(lost_end)
                self.lost_in[key] = (t_end, ep)
        coop = tq.cooperative_status(inf, v.zone_kind)
        # what the body is: judged since the track came back from a gap before the entry, or
        # -- its track changed target -- since it took up this body (splits.py)
        split = self._split_body(key, v, inf)
        if split is None:
            body, t_back = tq.body_since_return(inf, v.entry_t_s)
            ends_at_change, from_gap = False, True
        else:
            body, t_back, ends_at_change, from_gap = split
        quality, q_reasons = tq.quality(body, None if t_back is None or not from_gap
                                        else idg.clock_hms(iso_time(self.epoch, t_back)))
        if coasted:
            quality = "low"
            q_reasons = q_reasons + ["no sensor update inside the zone: the track was only "
                                     "predicted there"]
        observed = bool(v.entry_interpolated)
        pt, t_in = v.entry_point, float(v.entry_t_s or 0.0)
        told = self.entry_win.get(key)
        window, covered, point95 = (told[1:] if told is not None and told[0] == t_in
                                    else self._entry_window(t_in, pt[0], pt[1], key, observed))
        xwin = self._exit_window(v, key, inf)
        conf, reasons = tq.confidence(v, observed, quality, q_reasons, coop)
        end = float(v.exit_t_s if v.exit_t_s is not None else v.t_s)
        # gaps before the track took up this body (a change at or before the entry: a split
        # record's second part, or a later visit) were the other body's
        since = tcg.took_up_by(inf.body, v.entry_t_s)
        gaps = idg.gap_records([g for g in inf.gaps or [] if since is None or g[1] > since],
                               v.entry_t_s, end, self.epoch, v.track_id)
        changes = tcg.change_records(inf.body, v.entry_t_s, end, self.epoch, v.track_id,
                                     split_at=end if ends_at_change else None)
        return replace(
            v, evidence="observed_crossing" if observed else "first_detected_inside",
            entry_window_t_s=outwards(window),
            entry_window_utc=utc_window(self.epoch, window),
            entry_point_95_m=None if point95 is None else num(np.ceil(point95), 0),
            exit_window_t_s=None if xwin is None else outwards(xwin),
            exit_window_utc=None if xwin is None else utc_window(self.epoch, xwin),
            duration_bounds_s=duration_bounds(bounding_entry(outwards(window), observed),
                                              None if xwin is None else outwards(xwin)),
            covered_before_s=None if covered is None else num(covered, 0),
            cooperative=coop, authorised=coop == "authorised",
            track_quality=quality, episode_id=ep, confidence=conf,
            confidence_reasons=reasons + idg.reasons(gaps) + tcg.reasons(changes),
            identity_gaps=gaps or None, target_changes=changes or None,
            track_steps=body.steps,
            track_p_bird=num(body.p_bird_sum / body.steps, 3) if body.steps else None,
            track_body_from_t_s=None if t_back is None else num(t_back, 3),
            track_hits=inf.hits, sensor_kinds=tq.kind_names(body.kinds),
            sensor_updates=tq.kind_counts(body.kind_n),
            observed_inside=not coasted,
            **operator_fields(self.operators.of(inf.identity, v.t_s)))

    def _overlapping_heir(self, zone: str, t_end: float, lat: float, lon: float,
                          lost: TrackInfo, lost_id: int) -> tuple[int, str] | None:
        """The pending first-detected-inside entry in ``zone`` that continues the lost track
        ``lost_id`` (last sensor update at ``t_end``, its observed end, at ``lat``, ``lon``),
        or None: the nearest to that position, within the fragment gate, of those that began

        * while the lost track coasted -- at most ``fragment_overlap_s`` after ``t_end`` (a
          new track confirmed on the plots the old one no longer took), or
        * at most ``fragment_overlap_s`` before ``t_end``, within ``FRAGMENT_DUPLICATE_M`` of
          the lost track's reported position at that moment (a duplicate of one platform).

        A track that began beside the lost one farther away, both fed by the sensors, is
        another target (on the flagship raid, seeds 1-2, all 16 such pairs within the fragment
        gate were two platforms, 963 m to 6.7 km apart; ``docs/benchmarks.md`` section 6)."""
        best, best_d = None, np.inf
        for key, (t0, la, lo, near) in self.pending.items():
            gap = t0 - t_end
            if key[1] != zone or not (-self.fragment_overlap_s <= gap <= self.fragment_overlap_s):
                continue
            if gap < 0.0 and lost_id not in near:   # began beside it, elsewhere: two targets
                continue
            if not t0 > lost.first_t:      # it must have appeared after the lost track did
                continue
            heir = self.info.get(key[0], TrackInfo())
            if not _same_body(heir.identity, heir.speed_mps, lost.identity, lost.speed_mps,
                              _bird(heir), _bird(lost)):
                continue
            if gap >= 0.0:
                d = self._miss_m(lat, lon, lost.upd_ve, lost.upd_vn, gap, la, lo)
            else:
                d0 = near_dist_m(lat, lon, la, lo)
                d = d0 if d0 <= self.fragment_gate_m + self.fragment_speed_mps * -gap else np.inf
            if d < best_d:
                best, best_d = key, d
        return best

    def _miss_m(self, lat: float, lon: float, ve: float, vn: float, gap: float,
                lat2: float, lon2: float) -> float:
        """How far (lat2, lon2) lies outside where a track last updated at (lat, lon) deg with
        ENU velocity (ve, vn) m/s could be ``gap`` s later, m (<= 0: inside; inf: outside the
        fragment gate): within ``fragment_gate_m`` + ``fragment_drift_mps`` x gap of its
        dead-reckoned position -- a platform that flew on as it was flying, give or take a
        turn or a speed change and both fragments' position errors -- and never farther than
        ``fragment_speed_mps`` x gap from its last position. Without a velocity, the last
        position with ``fragment_gate_m`` + ``fragment_speed_mps`` x gap."""
        d0 = near_dist_m(lat, lon, lat2, lon2)
        reach = self.fragment_gate_m + self.fragment_speed_mps * gap
        if not (np.isfinite(ve) and np.isfinite(vn)):
            return d0 - reach if d0 <= reach else np.inf
        plat = lat + vn * gap / 111_320.0
        plon = lon + ve * gap / (111_320.0 * np.cos(np.radians(lat)))
        d = near_dist_m(plat, plon, lat2, lon2)
        spread = self.fragment_gate_m + self.fragment_drift_mps * gap
        return d - spread if (d <= spread and d0 <= reach) else np.inf

    def _entry_window(self, t_in: float, lat: float | None, lon: float | None,
                      key: tuple[int, str], observed: bool
                      ) -> tuple[tuple[float, float], float | None, float | None]:
        """The window [earliest, latest] (s) of the entry at ``t_in`` s, (lat, lon) deg, the
        seconds of the back-propagated path in sensor coverage (first detected inside; else
        None) and the 95 % uncertainty of the entry point along the boundary (observed
        crossing; else None), m."""
        first = self.first.get(key)
        vel = first[3] if first is not None else np.zeros(3)
        if observed:
            if first is None:
                return (t_in - 0.5 * self._dt, t_in + 0.5 * self._dt), None, None
            w, p95 = crossing_window(self._zone_geom.get(key[1]), lat, lon, t_in,
                                     0.5 * self._dt, vel, first[6], first[5])
            return w, None, p95
        if first is None:
            return (float("-inf"), t_in), None, None
        cov = self.coverage
        if self.class_coverage is not None and key[0] in self.info:
            cov = partial(self.class_coverage, cls=self.info[key[0]].cls)
        w, covered = backprop_window(self._zone_geom.get(key[1]), first[0], first[1],
                                     first[2], vel, t_in, cov,  # type: ignore[arg-type]
                                     t_start=self._t_start, listening=self.listening)
        return w, covered, None


def _observed_end(v: Violation, inf: TrackInfo, epoch: datetime) -> tuple[Violation, bool]:
    """A violation that ended with its track lost ends at the track's last sensor update
    inside the zone, not where its coasted prediction was last reported: the sensors saw it
    no later. Returns the (possibly shortened) violation and whether no sensor update fell
    inside the zone at all (entered while coasting: a prediction, not an observation)."""
    if v.end_reason != "track_lost" or not np.isfinite(inf.upd_t):
        return v, False
    t_in, t_out = float(v.entry_t_s or 0.0), float(v.exit_t_s or 0.0)
    if inf.upd_t >= t_out:
        return v, False
    if inf.upd_t < t_in:
        return v, True
    return replace(v, exit_t_s=num(inf.upd_t, 3), exit_time=iso_time(epoch, inf.upd_t),
                   exit_point=[num(inf.upd_lat, 7), num(inf.upd_lon, 7)],
                   exit_interpolated=False, duration_s=num(inf.upd_t - t_in, 3)), False


def _near_ids(ids: NDArray[np.int64], lat: F64, lon: F64, la: float, lo: float,
              own: int) -> frozenset[int]:
    """Ids of the tracks (other than ``own``) reported within ``FRAGMENT_DUPLICATE_M`` of
    (la, lo) deg, horizontally (equirectangular, :func:`.geometry.near_dists_m`)."""
    if len(ids) == 0:
        return frozenset()
    near = near_dists_m(np.asarray(lat), np.asarray(lon), la, lo) <= FRAGMENT_DUPLICATE_M
    return frozenset(int(i) for i in np.asarray(ids)[near] if int(i) != own)
