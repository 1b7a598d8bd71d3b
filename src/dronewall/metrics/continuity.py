"""Track continuity against truth, in the CLEAR-MOT sense, with the failure kinds kept apart.

Per scan, each truth object keeps the track it was matched with at its previous match when that
track is still reported and within ``match_radius_m`` ("assignment with memory",
Bernardin & Stiefelhagen 2008, CLEAR MOT); the remaining truths and tracks are matched by a
minimum-distance assignment within the same radius, in which the truth objects present but not
scored now (``other_pos``) take part and keep the tracks nearest them unscored. The memory is
one-to-one: a truth's correspondence ends when its track is matched with another truth.

With the tracks' **detection origins** (``metrics/origin.py``: in a simulation, the platform
that produced most of a track's recent detections, or a mix of two), each switch is counted
by what fed the old track (``identity_switches_old_track_*``: its own platform -- the
estimate strayed beyond the radius --, another platform, a mix, too few true detections).
With ``match_by_origin`` the origins also decide the correspondences where distance cannot:
a track is not matched with, nor kept by memory for, a truth other than its origin, and is
matched with its origin -- up to ``origin_radius_m`` (2 km) -- before any pair that distance
alone would choose (which platform's data a track is built from says which platform it
follows; how far its estimate strays is accuracy, scored by GOSPA). A track whose origin is
unknown (and every track of a replay without truth) is scored by distance alone. Over
the run:

* **identity switches** (CLEAR-MOT mismatches of the "swap" kind): a truth's matched track
  changes from A to B while A is still reported (alive) -- the picture put the truth's identity
  on another track; of these, **close-pair switches**: A now follows another platform within
  ``close_pair_radius_m`` (closely spaced targets), and **switches after a gap**: the truth had
  been unmatched for more than ``reacquire_gap_s`` (lost, while A lived on elsewhere -- a
  re-acquisition in all but the old track's survival);
* **handovers**: the matched track changes after A ended, with the truth unmatched for at most
  ``reacquire_gap_s`` -- a fragment (the track was dropped and restarted);
* **re-acquisitions**: the same after a longer unmatched gap (the truth left coverage and came
  back, or the tracker lost it for long);
* **fragments per truth**: distinct tracks ever matched with it;
* **completeness**: matched truth-scans / truth-scans;
* **confirmation latency**: first match minus the time the truth first became fixable by the
  sensors (``fixable_time``, the caller's definition; default: first presence); optionally
  also from a later sensor milestone (``third_fix_time``, e.g. the third fix in a run), which
  separates the tracker's own delay from the wait for the sensors' data -- and that wait
  itself, from fixable to the milestone (``third_fix_after_fixable_*``);
* **a track changing platform** (the track's side of the same matches): a track matched with
  platform A is later matched with B -- within ``reacquire_gap_s`` of its last match
  (``track_platform_changes``: it slid onto a neighbour), or after a longer unmatched gap
  (``track_rejoins_wrong``, of ``track_rejoins``: a track that came back -- re-acquired,
  a new track stitched into a lost one, or a reported track that had drifted beyond the
  match radius -- and now follows another platform, carrying the first one's history and
  class evidence);
* **false tracks**: reported tracks unmatched and farther than ``false_radius_m`` from every
  truth object (including ones not scored in that scan, ``other_pos``); unmatched tracks near a
  scored truth are **duplicates**, near an unscored one **unscored** (e.g. a track still
  coasting on a platform no sensor has seen lately).

Everything per scan is array work over the scan's truths and tracks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from dronewall.metrics.origin import MIXED

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Default match radius, m: a truth and a track farther apart are not the same object. Wider
#: than the GOSPA cut-off because long-range radar tracks carry errors of up to ~1 km.
MATCH_RADIUS_M = 1000.0
#: Two platforms closer than this are a *closely spaced pair* for the switch breakdown, m (two
#: match radii: both tracks of such a pair can sit within the match radius of either platform).
CLOSE_PAIR_RADIUS_M = 2000.0
#: A track is matched with the platform its detections come from (its *origin*) up to this
#: distance, m: whose data a track is built from decides which platform it follows; how far
#: its estimate strays is accuracy (GOSPA), not identity. Bounded, so that a track coasting
#: long after its platform's last detection does not keep it from afar.
ORIGIN_RADIUS_M = 2 * MATCH_RADIUS_M
#: An unmatched gap longer than this makes a new match a re-acquisition, s.
REACQUIRE_GAP_S = 30.0


@dataclass
class ContinuityScorer:
    """Incremental scorer; call :meth:`scan` once per scan in time order."""

    n_truth: int
    match_radius_m: float = MATCH_RADIUS_M
    reacquire_gap_s: float = REACQUIRE_GAP_S
    false_radius_m: float = MATCH_RADIUS_M
    close_pair_radius_m: float = CLOSE_PAIR_RADIUS_M
    origin_radius_m: float = ORIGIN_RADIUS_M
    #: False: the detection origins given to :meth:`scan` only break the switches down by
    #: what fed the old track (``identity_switches_old_track_*``); matching is by distance.
    match_by_origin: bool = True
    prev_track: I64 = field(init=False)
    last_match_t: F64 = field(init=False)
    first_t: F64 = field(init=False)
    first_match_t: F64 = field(init=False)
    scans_present: I64 = field(init=False)
    scans_matched: I64 = field(init=False)
    switches: int = 0
    switches_close_pair: int = 0
    switches_after_gap: int = 0
    handovers: int = 0
    reacquisitions: int = 0
    false_steps: int = 0
    duplicate_steps: int = 0
    unscored_steps: int = 0
    n_scans: int = 0
    track_platform_changes: int = 0
    track_rejoins: int = 0
    track_rejoins_wrong: int = 0
    #: switches by the detection origin of the old track at the switch: fed by the platform
    #: itself, by another one, by a mix of two (``UpdateOrigins``: no platform has the share),
    #: or too few true detections to say; None until origins are given
    switches_old_track: dict[str, int] | None = None

    def __post_init__(self) -> None:
        n = self.n_truth
        self.prev_track = np.full(n, -1, np.int64)
        self.last_match_t = np.full(n, np.nan)
        self.first_t = np.full(n, np.nan)
        self.first_match_t = np.full(n, np.nan)
        self.scans_present = np.zeros(n, np.int64)
        self.scans_matched = np.zeros(n, np.int64)
        self._frag_keys: list[I64] = []
        self._ids_seen: list[I64] = []
        self.switches_by_truth = np.zeros(n, np.int64)
        self.close_pair_by_truth = np.zeros(n, np.int64)     # subsets of switches_by_truth
        self.after_gap_by_truth = np.zeros(n, np.int64)
        # per track ever matched (sorted ids): its last matched truth and when
        self._tk_ids = np.zeros(0, np.int64)
        self._tk_truth = np.zeros(0, np.int64)
        self._tk_t = np.zeros(0)

    def scan(self, t: float, truth_ids: ArrayLike, truth_pos: ArrayLike, track_ids: ArrayLike,
             track_pos: ArrayLike, other_pos: ArrayLike | None = None,
             track_origin: ArrayLike | None = None,
             other_ids: ArrayLike | None = None) -> tuple[I64, I64]:
        """Score one scan: scored truths (ids (n,) ints in [0, n_truth), positions (n, d) m),
        reported tracks (ids (m,), positions (m, d) m), and the positions of truth objects not
        scored now (k, d): they are in the minimum-distance step, so a track sitting on one of
        them is not matched with a scored neighbour, and they count its steps as unscored,
        not false. ``track_origin`` (m,): the truth id each track's recent detections came
        from (-1 unknown; ``metrics/origin.py``), ``other_ids`` (k,) the ids of the unscored
        truths: with them, within the match radius, a track is never matched with a truth
        other than its origin and is matched with its origin before any nearer truth (see
        the module docstring). Returns the matches: truth ids and their track ids (scored
        truths only)."""
        tid = np.asarray(truth_ids, dtype=np.int64).reshape(-1)
        kid = np.asarray(track_ids, dtype=np.int64).reshape(-1)
        X = _rows(truth_pos, tid.size)
        Y = _rows(track_pos, kid.size)
        given = (np.full(kid.size, -1, np.int64) if track_origin is None
                 else np.asarray(track_origin, dtype=np.int64).reshape(-1))
        if given.size != kid.size:
            raise ValueError(f"track_origin: {given.size} values for {kid.size} tracks")
        if other_ids is not None and np.size(other_ids) != _rows(
                other_pos if other_pos is not None else [], None, X.shape[1]).shape[0]:
            raise ValueError("other_ids: one id per row of other_pos expected")
        if track_origin is not None and self.switches_old_track is None:
            self.switches_old_track = dict.fromkeys(("own", "other", "mixed", "unknown"), 0)
        org = given if self.match_by_origin else np.full(kid.size, -1, np.int64)
        self.n_scans += 1
        self.first_t[tid] = np.where(np.isnan(self.first_t[tid]), t, self.first_t[tid])
        self.scans_present[tid] += 1
        if kid.size:
            self._ids_seen.append(kid)
        r2 = self.match_radius_m ** 2
        ro2 = max(self.origin_radius_m, self.match_radius_m) ** 2
        m_truth = np.zeros(0, np.int64)
        m_track = np.zeros(0, np.int64)
        t_rows = np.zeros(0, np.int64)
        k_rows = np.zeros(0, np.int64)
        if tid.size and kid.size:
            order = np.argsort(kid, kind="stable")
            ks = kid[order]
            # 1. memory: keep the previous match while its track is reported and close enough
            prev = self.prev_track[tid]
            j = np.minimum(np.searchsorted(ks, prev), ks.size - 1)
            has = (prev >= 0) & (ks[j] == prev) & self._owns(tid, prev)
            krow = order[j]
            d2 = np.sum((X - Y[krow]) ** 2, axis=1)
            own = org[krow] == tid
            follows_other = (org[krow] >= 0) & ~own
            keep = has & ((d2 <= r2) | (own & (d2 <= ro2))) & ~follows_other
            t_rows = np.flatnonzero(keep)
            k_rows = krow[keep]
            # a track kept by two truths (cannot happen with one-to-one history) -- guard
            _, first = np.unique(k_rows, return_index=True)
            t_rows, k_rows = t_rows[np.sort(first)], k_rows[np.sort(first)]
            # 2. minimum-distance assignment of the rest within the radius; the platforms
            # present but not scored now take part and keep the tracks nearest them (their
            # matches are not scored): a track sitting on a platform no sensor has seen for a
            # few seconds is not handed to a neighbour within the radius
            ft = np.setdiff1d(np.arange(tid.size), t_rows)
            fk = np.setdiff1d(np.arange(kid.size), k_rows)
            if ft.size and fk.size:
                unsc = _rows(other_pos, None, X.shape[1]) if other_pos is not None \
                    else np.zeros((0, X.shape[1]))
                uid = (np.full(unsc.shape[0], -2, np.int64) if other_ids is None
                       else np.asarray(other_ids, dtype=np.int64).reshape(-1))
                if unsc.shape[0]:      # only those within reach of a free track
                    r = max(self.origin_radius_m, self.match_radius_m)
                    near = cKDTree(Y[fk]).query(unsc, distance_upper_bound=r)[0] <= r
                    unsc, uid = unsc[near], uid[near]
                rows_xy = np.concatenate([X[ft], unsc])
                D2 = np.sum((rows_xy[:, None, :] - Y[None, fk, :]) ** 2, axis=2)
                C, big = _origin_cost(D2, r2, ro2, np.concatenate([tid[ft], uid]), org[fk])
                ri, ci = linear_sum_assignment(C)
                ok = (C[ri, ci] < big) & (ri < ft.size)
                t_rows = np.concatenate([t_rows, ft[ri[ok]]])
                k_rows = np.concatenate([k_rows, fk[ci[ok]]])
            m_truth, m_track = tid[t_rows], kid[k_rows]
        self._count_changes(t, m_truth, m_track, kid, X[t_rows], given)
        on_other = np.zeros(kid.size, dtype=bool)
        if other_ids is not None:
            on_other = np.isin(org, np.asarray(other_ids, dtype=np.int64)) & (org >= 0)
        self._false(tid, X, kid, Y, k_rows, other_pos, on_other)
        return m_truth, m_track

    def _owns(self, tid: I64, prev: I64) -> NDArray[np.bool_]:
        """(n,) whether each truth's previous track was last matched with that truth: a
        correspondence ends when its track is matched with another truth (the mapping is
        one-to-one), so a truth unscored for a while cannot take back, by memory, a track
        that has since followed another platform."""
        out = np.zeros(tid.size, dtype=bool)
        if self._tk_ids.size == 0:
            return out
        j = np.minimum(np.searchsorted(self._tk_ids, prev), self._tk_ids.size - 1)
        return (prev >= 0) & (self._tk_ids[j] == prev) & (self._tk_truth[j] == tid)

    def _count_changes(self, t: float, m_truth: I64, m_track: I64, kid: I64,
                       m_pos: F64, origin: I64) -> None:
        if m_truth.size == 0:
            return
        prev = self.prev_track[m_truth]
        changed = (prev >= 0) & (prev != m_track)
        if changed.any():
            alive = np.isin(prev[changed], kid)
            if self.switches_old_track is not None and alive.any():
                order = np.argsort(kid, kind="stable")
                old = prev[changed][alive]
                o = origin[order[np.searchsorted(kid[order], old)]]
                own = o == m_truth[changed][alive]
                sw = self.switches_old_track
                sw["own"] += int(own.sum())
                sw["other"] += int(((o >= 0) & ~own).sum())
                sw["mixed"] += int((o == MIXED).sum())
                sw["unknown"] += int((o == -1).sum())
            gap = t - self.last_match_t[m_truth[changed]]
            self.switches += int(alive.sum())
            late = alive & (gap > self.reacquire_gap_s)
            self.switches_after_gap += int(late.sum())
            self.switches_by_truth[m_truth[changed][alive]] += 1
            self.after_gap_by_truth[m_truth[changed][late]] += 1
            self._close_pairs(np.flatnonzero(changed)[alive], prev, m_track, m_truth, m_pos)
            self.handovers += int((~alive & (gap <= self.reacquire_gap_s)).sum())
            self.reacquisitions += int((~alive & (gap > self.reacquire_gap_s)).sum())
        self._track_side(t, m_truth, m_track)
        self.prev_track[m_truth] = m_track
        self.last_match_t[m_truth] = t
        first = np.isnan(self.first_match_t[m_truth])
        self.first_match_t[m_truth[first]] = t
        self.scans_matched[m_truth] += 1
        self._frag_keys.append(m_truth * (1 << 32) + m_track)

    def _close_pairs(self, rows: I64, prev: I64, m_track: I64, m_truth: I64,
                     m_pos: F64) -> None:
        """Of the switches at ``rows`` (of this scan's matches), count those whose old track
        now follows another platform within ``close_pair_radius_m``: closely spaced targets
        (a pair converging, crossing or flying together) -- where the sensors' resolution, not
        only the tracker, limits identity."""
        if rows.size == 0:
            return
        order = np.argsort(m_track, kind="stable")
        j = np.minimum(np.searchsorted(m_track[order], prev[rows]), m_track.size - 1)
        other = order[j]
        now = m_track[other] == prev[rows]
        sep = np.linalg.norm(m_pos[rows] - m_pos[other], axis=1)
        close = now & (sep <= self.close_pair_radius_m)
        self.switches_close_pair += int(close.sum())
        self.close_pair_by_truth[m_truth[rows[close]]] += 1

    def _track_side(self, t: float, m_truth: I64, m_track: I64) -> None:
        """Count matched tracks whose platform changed since their last match (see the module
        docstring) and remember each track's platform."""
        if self._tk_ids.size:
            j = np.minimum(np.searchsorted(self._tk_ids, m_track), self._tk_ids.size - 1)
            known = self._tk_ids[j] == m_track
        else:
            j, known = np.zeros(m_track.size, np.int64), np.zeros(m_track.size, dtype=bool)
        if known.any():
            jk = j[known]
            gap = t - self._tk_t[jk]
            other = self._tk_truth[jk] != m_truth[known]
            back = gap > self.reacquire_gap_s
            self.track_platform_changes += int((other & ~back).sum())
            self.track_rejoins += int(back.sum())
            self.track_rejoins_wrong += int((other & back).sum())
            self._tk_truth[jk] = m_truth[known]
            self._tk_t[jk] = t
        if (~known).any():
            ids = np.concatenate([self._tk_ids, m_track[~known]])
            order = np.argsort(ids, kind="stable")
            self._tk_ids = ids[order]
            self._tk_truth = np.concatenate([self._tk_truth, m_truth[~known]])[order]
            self._tk_t = np.concatenate([self._tk_t, np.full(int((~known).sum()), t)])[order]

    def _false(self, tid: I64, X: F64, kid: I64, Y: F64, k_rows: I64,
               other_pos: ArrayLike | None, on_other: NDArray[np.bool_]) -> None:
        """Classify the unmatched tracks: near a scored truth a duplicate, near (or, by its
        detection origin, following) an unscored one unscored, else false."""
        un = np.setdiff1d(np.arange(kid.size), k_rows)
        if un.size == 0:
            return
        d = Y.shape[1]
        other = np.zeros((0, d)) if other_pos is None else _rows(other_pos, None, d)
        r = self.false_radius_m
        near_scored = (cKDTree(X).query(Y[un], distance_upper_bound=r)[0] <= r
                       if tid.size else np.zeros(un.size, bool))
        near_other = (cKDTree(other).query(Y[un], distance_upper_bound=r)[0] <= r
                      if other.shape[0] else np.zeros(un.size, bool))
        near_scored &= ~on_other[un]
        near_other |= on_other[un]
        self.duplicate_steps += int(near_scored.sum())
        self.unscored_steps += int((~near_scored & near_other).sum())
        self.false_steps += int((~near_scored & ~near_other).sum())

    # ------------------------------------------------------------------ results

    def fragments(self) -> I64:
        """(n_truth,) distinct tracks ever matched with each truth (0: never matched)."""
        out = np.zeros(self.n_truth, np.int64)
        if self._frag_keys:
            keys = np.unique(np.concatenate(self._frag_keys))
            t, c = np.unique(keys >> 32, return_counts=True)
            out[t] = c
        return out

    def _latency(self, fixable_time: F64 | None) -> F64:
        """(n_truth,) first match minus the fixable time (first presence where not given), s,
        >= 0; NaN for truths never matched."""
        t0 = self.first_t if fixable_time is None else np.where(
            np.isfinite(fixable_time), fixable_time, self.first_t)
        return np.maximum(self.first_match_t - t0, 0.0)

    def _latency_from(self, milestone: F64 | None, rows: NDArray[np.bool_],
                      fixable_time: F64 | None = None) -> dict[str, float | int | None]:
        """Latency median / p90, s, from ``milestone`` (n_truth,) times to the first match,
        over ``rows`` matched truths that reached it (a match before it counts 0); with
        ``fixable_time``, also how long after it became fixable each of them reached the
        milestone (the wait for the sensors' data, median / p90 s)."""
        if milestone is None:
            return {}
        m = np.asarray(milestone, dtype=np.float64).reshape(-1)
        ok = rows & np.isfinite(m) & np.isfinite(self.first_match_t)
        lat = np.maximum(self.first_match_t[ok] - m[ok], 0.0)
        out: dict[str, float | int | None] = {
            "confirm_latency_after_third_fix_median_s": _q(lat, 50),
            "confirm_latency_after_third_fix_p90_s": _q(lat, 90),
            "truths_with_third_fix": int(ok.sum())}
        if fixable_time is not None:
            f = np.asarray(fixable_time, dtype=np.float64).reshape(-1)
            w = ok & np.isfinite(f)
            wait = np.maximum(m[w] - f[w], 0.0)
            out["third_fix_after_fixable_median_s"] = _q(wait, 50)
            out["third_fix_after_fixable_p90_s"] = _q(wait, 90)
        return out

    def _truth_figures(self, rows: NDArray[np.bool_], frag: I64, lat: F64
                       ) -> dict[str, float | int | None]:
        """Per-truth figures over the scored truths ``rows``: never matched, fragments per
        matched truth, completeness, latency median / p90 (``lat`` from :meth:`_latency`)."""
        matched = rows & (frag > 0)
        lk = lat[matched]
        return {
            "truths_never_matched": int((rows & (frag == 0)).sum()),
            "fragments_per_truth_mean": (round(float(frag[matched].mean()), 3)
                                         if matched.any() else None),
            "completeness": (round(float(self.scans_matched[rows].sum()
                                         / max(self.scans_present[rows].sum(), 1)), 4)
                             if rows.any() else None),
            "confirm_latency_median_s": _q(lk, 50),
            "confirm_latency_p90_s": _q(lk, 90),
        }

    def by_group(self, group: ArrayLike, names: list[str], fixable_time: F64 | None = None,
                 third_fix_time: F64 | None = None
                 ) -> dict[str, dict[str, float | int | None]]:
        """The per-truth figures of :meth:`summary` per group of truths (``group`` (n_truth,)
        ints indexing ``names``, e.g. the platform class): where fragments, switches and
        latency come from. Groups with no scored truth are left out."""
        g = np.asarray(group, dtype=np.int64).reshape(-1)
        if g.size != self.n_truth:
            raise ValueError(f"group has {g.size} entries for {self.n_truth} truths")
        seen = self.scans_present > 0
        frag = self.fragments()
        lat = self._latency(fixable_time)
        out: dict[str, dict[str, float | int | None]] = {}
        for k, name in enumerate(names):
            m = seen & (g == k)
            n = int(m.sum())
            if n == 0:
                continue
            out[name] = {"truths_scored": n, **self._truth_figures(m, frag, lat),
                         "identity_switches": int(self.switches_by_truth[m].sum()),
                         "identity_switches_per_truth":
                             round(float(self.switches_by_truth[m].sum()) / n, 4),
                         "identity_switches_close_pair": int(self.close_pair_by_truth[m].sum()),
                         "identity_switches_after_gap": int(self.after_gap_by_truth[m].sum()),
                         **self._latency_from(third_fix_time, m & (frag > 0),
                                              fixable_time)}
        return out

    def summary(self, fixable_time: F64 | None = None, third_fix_time: F64 | None = None
                ) -> dict[str, float | int | None]:
        """Run-level figures (counts, per-truth means, latency median/p90 in s; with
        ``third_fix_time`` also the latency from that milestone)."""
        seen = self.scans_present > 0
        n_seen = int(seen.sum())
        frag = self.fragments()
        ids = np.unique(np.concatenate(self._ids_seen)) if self._ids_seen else np.zeros(0)
        per = max(n_seen, 1)
        return {
            "truths_scored": n_seen,
            **self._truth_figures(seen, frag, self._latency(fixable_time)),
            "identity_switches": self.switches,
            "identity_switches_per_truth": round(self.switches / per, 4),
            "identity_switches_close_pair": self.switches_close_pair,
            "identity_switches_after_gap": self.switches_after_gap,
            **({} if self.switches_old_track is None else
               {f"identity_switches_old_track_{k}": v
                for k, v in self.switches_old_track.items()}),
            "handovers": self.handovers,
            "reacquisitions": self.reacquisitions,
            **self._latency_from(third_fix_time, seen & (frag > 0), fixable_time),
            "false_track_steps_per_scan": round(self.false_steps / max(self.n_scans, 1), 4),
            "duplicate_track_steps_per_scan": round(self.duplicate_steps
                                                    / max(self.n_scans, 1), 4),
            "unscored_track_steps_per_scan": round(self.unscored_steps
                                                   / max(self.n_scans, 1), 4),
            "track_ids_reported": int(ids.size),
            "track_platform_changes": self.track_platform_changes,
            "track_rejoins": self.track_rejoins,
            "track_rejoins_wrong": self.track_rejoins_wrong,
            "match_radius_m": self.match_radius_m,
            "reacquire_gap_s": self.reacquire_gap_s,
        }


def _origin_cost(D2: F64, r2: float, ro2: float, row_ids: I64,
                 origin: I64) -> tuple[F64, float]:
    """Assignment cost of truths (rows, ids ``row_ids``) and tracks (columns, detection
    origins ``origin``, -1 unknown) at squared distances D2, m^2, and the cost of a
    forbidden pair: beyond the radius (squared ``r2``; ``ro2`` for a track with that truth as
    its origin), or a track that follows another truth. A track with its own origin costs
    ``D2 - ro2`` (<= 0), so it is matched with that truth before any pair that distance
    alone would choose."""
    big = max(r2, ro2) * 4 + 1.0
    known = origin >= 0
    own = known[None, :] & (origin[None, :] == row_ids[:, None])
    other = known[None, :] & ~own
    allowed = ((D2 <= r2) | (own & (D2 <= ro2))) & ~other
    return np.where(allowed, np.where(own, D2 - ro2, D2), big), big


def _q(a: F64, p: float) -> float | None:
    """The p-th percentile of ``a`` rounded to 0.1 (None for no values)."""
    return round(float(np.percentile(a, p)), 1) if a.size else None


def _rows(a: ArrayLike, n: int | None, d: int | None = None) -> F64:
    """(n, d) float array of positions; empty input gives (0, d) (d from the data or 2)."""
    x = np.asarray(a, dtype=np.float64)
    if x.size == 0:
        return np.zeros((0, d or (x.shape[-1] if x.ndim == 2 and x.shape[-1] else 2)))
    return x.reshape(n if n is not None else -1, d if d is not None else x.shape[-1])
