"""Airspace analytics inside ``simulate``: zones from the scenario, event files for tracks and
truth, alert latency and warning lead time against truth.

The chain's airspace stage monitors the confirmed tracks (what an operator would be told); the
:class:`AirspaceRecorder` runs a second monitor on the true platform positions (what really
happened, σ = ``TRUTH_SIGMA_M``). A track event is matched to a truth event through the platform
the track followed most of its life (``pipeline.follow``); an episode through the platforms its
tracks followed during it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.airspace import AirspaceConfig, AirspaceMonitor, ZoneSet
from dronewall.airspace.consolidate import consolidate
from dronewall.airspace.events import AirspaceEvent, Entry, Violation
from dronewall.airspace.events import Warning as ZoneWarning
from dronewall.airspace.evidence import REENTRY_JOIN_S
from dronewall.airspace.track_quality import UAS_PERMIT_ZONE_KINDS, unlisted_reason
from dronewall.chain import StepRecord
from dronewall.errors import DataFormatError, ScenarioError
from dronewall.scenario import Scenario

#: 1-sigma position error given to true positions (exact, but p_inside needs sigma > 0), m.
TRUTH_SIGMA_M = 1.0
#: True detections of a platform less than this far apart count as one stretch the sensors
#: observed it (a tracker bridges such gaps), s: the observed part of a true episode runs
#: from its first to its last true detection inside it, or to its entry / exit when a
#: stretch covers those.
OBSERVED_BRIDGE_S = 60.0


def scenario_zones(sc: Scenario, base_dir: Path | None) -> tuple[ZoneSet, set[str]] | None:
    """All zones of a scenario as one ZoneSet (None when it has none), and the ids of the
    reference-only zones (``report: false``), whose events are not written."""
    sets: list[ZoneSet] = []
    inline: list[dict[str, Any]] = []
    reference: set[str] = set()
    for i, z in enumerate(sc.zones):
        if z.file is None and z.builtin is None:
            inline.append(z.model_dump(exclude_none=True, exclude={"only", "report"}))
            if not z.report:
                reference.add(str(z.id))
            continue
        if z.builtin is not None:
            path = Path(str(resources.files("dronewall.data.zones")
                            .joinpath(f"{z.builtin}.geojson")))
        else:
            path = (base_dir or Path(".")) / str(z.file)
        zs = ZoneSet.from_file(path)
        if z.only:
            keep = set(z.only)
            sel = [q for q in zs.zones if q.id in keep or q.country in keep]
            if not sel:
                raise ScenarioError(f"zones[{i}].only: {sorted(keep)} matches no zone id or "
                                    f"country in {path.name}")
            zs = ZoneSet(sel, zs.repairs)
        if not z.report:
            reference.update(zs.ids)
        sets.append(zs)
    if inline:
        sets.append(ZoneSet.from_specs(inline, source="scenario zones"))
    if not sets:
        return None
    try:
        return ZoneSet.concat(sets), reference
    except DataFormatError as e:
        raise ScenarioError(f"zones: {e}") from None


def airspace_config(sc: Scenario) -> AirspaceConfig:
    """Monitor settings of a scenario (times relative to its start)."""
    return AirspaceConfig(epoch=sc.time.start)


def _join_visits(truth: list[Violation]) -> list[Violation]:
    """True violations of one platform in one zone less than ``REENTRY_JOIN_S`` apart as one
    visit (entry of the first, exit of the last) -- the rule the evidence layer applies to
    the reported episodes (``docs/airspace.md``)."""
    out: list[Violation] = []
    for v in sorted(truth, key=lambda e: (str(e.track_id), e.zone_id,
                                          float(e.entry_t_s or 0.0))):
        prev = out[-1] if out else None
        if (prev is not None and prev.track_id == v.track_id and prev.zone_id == v.zone_id
                and float(v.entry_t_s or 0.0) - float(prev.exit_t_s or 0.0) <= REENTRY_JOIN_S):
            out[-1] = replace(prev, exit_t_s=v.exit_t_s, exit_time=v.exit_time,
                              duration_s=float(v.exit_t_s or 0.0) - float(prev.entry_t_s or 0.0))
        else:
            out.append(v)
    return out


class ObservedStretches:
    """Stretches of time each platform was truly detected by some sensor (detections less
    than ``bridge_s`` apart join one stretch), to score a report against what the sensors
    could have seen."""

    def __init__(self, n_platforms: int, bridge_s: float = OBSERVED_BRIDGE_S) -> None:
        self.bridge_s = float(bridge_s)
        self._start = np.full(n_platforms, np.nan)
        self._end = np.full(n_platforms, np.nan)
        self._closed: dict[int, list[tuple[float, float]]] = {}

    def add(self, t: float, truth_id: np.ndarray) -> None:
        """This step's detections (``truth_id`` per detection; < 0: false or spoofed)."""
        seen = np.unique(np.asarray(truth_id, dtype=np.int64))
        seen = seen[(seen >= 0) & (seen < self._end.size)]
        if seen.size == 0:
            return
        gap = ~(t - self._end[seen] <= self.bridge_s)       # NaN (none yet) -> a new one
        for p in seen[gap & np.isfinite(self._end[seen])].tolist():
            self._closed.setdefault(p, []).append((float(self._start[p]), float(self._end[p])))
        self._start[seen[gap]] = t
        self._end[seen] = t

    def part(self, p: int, t_in: float, t_out: float) -> tuple[float, float] | None:
        """The part of platform ``p``'s true episode [t_in, t_out] the sensors observed: from
        its entry (or its first true detection inside) to its exit (or its last true
        detection inside); None if no stretch overlaps the episode."""
        iv = list(self._closed.get(p, []))
        if np.isfinite(self._start[p]):
            iv.append((float(self._start[p]), float(self._end[p])))
        iv = [(a, b) for a, b in iv if b >= t_in and a <= t_out]
        if not iv:
            return None
        return max(t_in, min(a for a, _ in iv)), min(t_out, max(b for _, b in iv))


class AirspaceRecorder:
    """Collects the tracks' events from the chain, runs the truth monitor, writes
    ``events.jsonl`` / ``truth_events.jsonl`` / ``zones.geojson`` and scores the tracks' events
    against truth."""

    def __init__(self, sc: Scenario, zones: ZoneSet, platform_ids: np.ndarray,
                 platform_coop_id: np.ndarray, out: Path, reference: set[str] | None = None,
                 platform_cls: np.ndarray | None = None,
                 platform_rid_only: np.ndarray | None = None) -> None:
        self.reference = reference or set()
        # platforms whose cooperative identity is a Remote ID serial (no ADS-B): a drone named,
        # not cleared -- its visits to airport / infrastructure zones are listed violations
        self.rid_only = (np.zeros(len(platform_ids), bool) if platform_rid_only is None
                         else np.asarray(platform_rid_only, bool))
        self.zones = zones
        self.platform_cls = platform_cls
        # the true positions are exact: a flight that ends inside a zone entered it, however
        # briefly (a drone striking just past the edge of its target's zone)
        self.mon_truth = AirspaceMonitor(zones, replace(airspace_config(sc), enter_at_end=True))
        self.pid = platform_ids
        # cooperative identity per platform (ADS-B address or Remote ID serial broadcast; "" =
        # non-cooperative) and per track (as tracked)
        self.truth_identity = {str(p): str(i) for p, i in zip(platform_ids, platform_coop_id,
                                                                  strict=True)}
        self.track_identity: dict[int, str] = {}
        self.out = out
        self.ev_tracks: list[AirspaceEvent] = []
        self.ev_truth: list[AirspaceEvent] = []
        self.t_last = 0.0
        self.observed = ObservedStretches(len(platform_ids))
        # platforms whose cooperative broadcast the wall received at least once (a Remote ID
        # drone no receiver hears is non-cooperative as far as the wall can know)
        self.heard = np.zeros(len(platform_ids), bool)

    def observe(self, st: Any, rec: StepRecord) -> None:
        t = rec.t
        self.t_last = t
        pic = rec.picture
        if pic is not None:
            for tk, ident in zip(pic.ids.tolist(), pic.identity.tolist(), strict=True):
                if ident:
                    self.track_identity[int(tk)] = str(ident)
        det = rec.detections
        self.observed.add(t, det.truth_id)
        coop = (det.truth_id >= 0) & (det.identity != "")
        if coop.any():
            self.heard[det.truth_id[coop]] = True
        act = np.flatnonzero(st.active)
        self.ev_truth += self.mon_truth.step(
            t, self.pid[act], st.lat_deg[act], st.lon_deg[act], st.alt_m[act],
            np.full(act.size, TRUTH_SIGMA_M), st.vel_enu[act])
        self.ev_tracks += rec.events

    def finish(self, closing: list[AirspaceEvent],
               followed: dict[int, int] | None = None,
               first_matched_t: np.ndarray | None = None,
               during: Callable[[int, float, float], int | None] | None = None
               ) -> dict[str, Any]:
        """Close episodes (``closing``: the chain's airspace stage's final events), write the
        event files; ``followed`` (track id -> platform index, from ``pipeline.follow``) matches
        track events to truth events; ``during(track, t0, t1)`` (``TruthFollower.during``): the
        platform a track followed in a time window, which matches an episode through the
        platforms its tracks followed during it; ``first_matched_t`` (per platform, s; NaN
        never): when a confirmed track first held the platform (alert latency is scored for
        platforms tracked before they crossed)."""
        self.ev_truth += self.mon_truth.finish(self.t_last)
        self.ev_tracks += closing
        # cooperative identity on every event ("" = non-cooperative: no ADS-B / Remote ID);
        # whether a claimed identity is trustworthy is judged by the classification layer.
        self.ev_tracks = [e.with_identity(self.track_identity.get(int(e.track_id), ""))
                          for e in self.ev_tracks if e.zone_id not in self.reference]
        self.ev_truth = [e.with_identity(self.truth_identity.get(str(e.track_id), ""))
                         for e in self.ev_truth if e.zone_id not in self.reference]
        episodes = consolidate([e for e in self.ev_tracks if isinstance(e, Violation)])
        for name, evs in (("events.jsonl", self.ev_tracks), ("truth_events.jsonl", self.ev_truth),
                          ("episodes.jsonl", episodes)):
            with open(self.out / name, "w", encoding="utf-8") as f:
                for e in evs:
                    f.write(json.dumps(e.to_dict(), sort_keys=True) + "\n")
        self._write_zones(self.out / "zones.geojson")
        summary = self._summary(followed or {})
        summary["episodes"] = self._episode_summary(episodes, followed or {}, first_matched_t,
                                                    during)
        return {"summary": summary,
                "files": {"events": str(self.out / "events.jsonl"),
                          "episodes": str(self.out / "episodes.jsonl"),
                          "truth_events": str(self.out / "truth_events.jsonl"),
                          "zones": str(self.out / "zones.geojson")}}

    def _episode_summary(self, episodes: list[Violation], followed: dict[int, int],
                         first_matched_t: np.ndarray | None,
                         during: Callable[[int, float, float], int | None] | None = None
                         ) -> dict[str, Any]:
        """Reported episodes against true episodes (``docs/airspace.md``, "Scoring"):

        * true episodes: violations of non-cooperative platforms (no ADS-B / Remote ID), and
          visits of drones known by a Remote ID the wall heard to airport and infrastructure
          zones (a broadcast is no permit there: ``identified``), birds
          excluded (a bird crossing a border is no airspace violation); one per zone visit
          (a re-entry within ``REENTRY_JOIN_S`` joins the visit, as for reported episodes);
        * reported episodes: consolidated episodes (fragments of one platform merged) that are
          listed as violations (``track_quality.unlisted_reason``, the incident report's
          rule): not authorised cooperative traffic, not on a low-quality track, not
          ``uncertain`` (those stay in ``episodes.jsonl``);
        * a reported episode matches a true one of a platform its tracks followed, in the same
          zone, overlapping in time: the platform each fragment followed most during the
          episode (``during``; the one it followed most over its life where it followed none
          then, or without ``during``) -- a track on a pair of drones that followed one for
          most of its life and the other while that one crossed reported the other's visit;
          each true episode is matched once -- further reported episodes on it count as
          unmatched (duplicates); one that matches no true
          episode but a visit of a cooperative platform whose broadcast no receiver ever heard
          is a real violation the wall rightly reports as non-cooperative: counted apart
          (``matched_cooperative_unheard``), neither matched nor unmatched.
        """
        from dronewall.catalog import PlatformClass

        index = {str(p): i for i, p in enumerate(self.pid.tolist())}
        viol = [e for e in self.ev_truth if isinstance(e, Violation)
                and (self.platform_cls is None
                     or int(self.platform_cls[index[str(e.track_id)]]) != int(PlatformClass.BIRD))]
        truth = _join_visits([e for e in viol if not e.identity or (
            self.rid_only[index[str(e.track_id)]] and e.zone_kind in UAS_PERMIT_ZONE_KINDS
            and self.heard[index[str(e.track_id)]])])
        # cooperative platforms whose broadcast no receiver ever heard: for the wall they are
        # non-cooperative, so a report of their visit is a real violation seen (matched apart,
        # not "unmatched"); not reporting them is no miss (they are lawful traffic)
        unheard = _join_visits([e for e in viol if e.identity
                                and not self.heard[index[str(e.track_id)]]])
        reported = [e for e in episodes
                    if unlisted_reason(e.cooperative, e.track_quality, e.confidence) is None]
        used: set[int] = set()
        spans: list[tuple[set[str], str, float, float]] = []   # matched reports' coverage
        used_unheard: set[int] = set()
        lat_s, lat_tracked, dur_err, dur_obs_err = [], [], [], []
        matched = unmatched = 0
        unmatched_ids: list[str] = []

        def candidates(ev: list[Violation], taken: set[int], ep: Violation,
                       names: set[str]) -> list[int]:
            return [k for k, g in enumerate(ev) if k not in taken and g.track_id in names
                    and g.zone_id == ep.zone_id and g.entry_t_s <= ep.exit_t_s
                    and ep.entry_t_s <= g.exit_t_s]

        for ep in reported:
            plats = {self._platform_during(int(k), ep, followed, during)
                     for k in (ep.fragments or [ep.track_id])}
            plats.discard(None)
            names = {str(self.pid[p]) for p in plats}
            cands = candidates(truth, used, ep, names)
            if not cands:
                quiet = candidates(unheard, used_unheard, ep, names)
                if quiet:
                    used_unheard.add(min(quiet, key=lambda k: abs(unheard[k].entry_t_s
                                                                  - ep.entry_t_s)))
                    continue
                unmatched += 1
                unmatched_ids.append(str(ep.episode_id))
                continue
            k = min(cands, key=lambda k: abs(truth[k].entry_t_s - ep.entry_t_s))
            used.add(k)
            spans.append((names, ep.zone_id, float(ep.entry_t_s or 0.0),
                          float(ep.exit_t_s or 0.0)))
            matched += 1
            g = truth[k]
            dur_err.append(abs(float(ep.duration_s or 0.0) - float(g.duration_s or 0.0)))
            seen = self.observed.part(index[str(g.track_id)], float(g.entry_t_s or 0.0),
                                      float(g.exit_t_s or 0.0))
            if seen is not None:
                dur_obs_err.append(abs(float(ep.duration_s or 0.0) - (seen[1] - seen[0])))
            told = self._declared_entry(ep)
            if told is not None:
                lat = told - float(g.entry_t_s)
                lat_s.append(lat)
                p = index[str(g.track_id)]
                if (first_matched_t is not None and np.isfinite(first_matched_t[p])
                        and first_matched_t[p] < float(g.entry_t_s)):
                    lat_tracked.append(lat)

        def stats(a: list[float]) -> dict[str, float] | None:
            if not a:
                return None
            x = np.asarray(a)
            return {"n": int(x.size), "median_s": round(float(np.median(x)), 1),
                    "p90_s": round(float(np.percentile(x, 90)), 1),
                    "mean_s": round(float(x.mean()), 1)}

        n_true = len(truth)
        # missed visits that lie wholly inside a matched report on their platform and zone:
        # the report joined them to an earlier visit (the platform left the zone for more
        # than REENTRY_JOIN_S by truth, but the track's exit was declared later within its
        # position error), so the visit was reported, only not as an episode of its own
        inside = [k for k, g in enumerate(truth) if k not in used and any(
            str(g.track_id) in nm and z == g.zone_id and a <= float(g.entry_t_s or 0.0)
            and float(g.exit_t_s or 0.0) <= b for nm, z, a, b in spans)]
        by_conf: dict[str, int] = {}
        for e in episodes:
            by_conf[e.confidence] = by_conf.get(e.confidence, 0) + 1
        return {
            # every true episode the reported ones are scored against (the two below)
            "true": len(truth),
            "true_non_cooperative": sum(1 for g in truth if not g.identity),
            # visits of drones named by a Remote ID the wall heard to airport and
            # infrastructure zones: listed (``identified``) and scored like the others
            "true_identified": sum(1 for g in truth if g.identity),
            "true_cooperative_unheard": len(unheard),
            "matched_cooperative_unheard": len(used_unheard),
            "reported": len(reported),
            "matched": matched,
            "missed": n_true - len(used),
            "unmatched": unmatched,
            "missed_share": round((n_true - len(used)) / n_true, 4) if n_true else None,
            "unmatched_share": round(unmatched / len(reported), 4) if reported else None,
            # which ones, for the analyst: reported episode ids without a true episode, and
            # the true episodes no reported one matched (platform, zone, entry s)
            "unmatched_episode_ids": unmatched_ids,
            "missed_episodes": [[str(g.track_id), g.zone_id, round(float(g.entry_t_s or 0.0), 1)]
                                for k, g in enumerate(truth) if k not in used],
            # of the missed, those inside a matched report of the same platform and zone
            "missed_inside_reported": len(inside),
            "authorised": sum(1 for e in episodes if e.cooperative == "authorised"),
            "low_quality": sum(1 for e in episodes if e.track_quality == "low"
                               and e.cooperative != "authorised"),
            "by_confidence": dict(sorted(by_conf.items())),
            "by_evidence": {k: sum(1 for e in reported if e.evidence == k)
                            for k in ("observed_crossing", "first_detected_inside")},
            "duration_abs_err_s": stats(dur_err),
            # against the part of each true episode the sensors observed (a platform that
            # flew on beyond all coverage was not seen there: the report cannot know it)
            "duration_abs_err_observed_s": stats(dur_obs_err),
            "alert_latency_s": stats(lat_s),
            "alert_latency_tracked_before_crossing_s": stats(lat_tracked),
        }

    @staticmethod
    def _platform_during(track: int, ep: Violation, followed: dict[int, int],
                         during: Callable[[int, float, float], int | None] | None
                         ) -> int | None:
        """The platform ``track`` followed most during episode ``ep`` (1 s margin), else the
        one it followed most over its life."""
        if during is not None:
            p = during(track, float(ep.entry_t_s or 0.0) - 1.0,
                       float(ep.exit_t_s if ep.exit_t_s is not None else np.inf) + 1.0)
            if p is not None:
                return p
        return followed.get(track)

    def _declared_entry(self, ep: Violation) -> float | None:
        """When the operator was told of the episode's entry: the earliest entry declaration
        of its first fragment in its zone at or after the episode's entry."""
        tid = (ep.fragments or [ep.track_id])[0]
        told = [float(e.declared_t_s) for e in self.ev_tracks
                if isinstance(e, Entry) and e.track_id == tid and e.zone_id == ep.zone_id
                and e.declared_t_s is not None
                and float(e.declared_t_s) >= float(ep.entry_t_s) - 1e-6]
        return min(told) if told else None

    def truth_sovereign_entries(self) -> set[int]:
        """Platform indices that truly entered a reported sovereign zone (so far)."""
        index = {str(p): i for i, p in enumerate(self.pid.tolist())}
        return {index[str(e.track_id)] for e in self.ev_truth
                if isinstance(e, Entry) and e.zone_kind == "sovereign"
                and e.zone_id not in self.reference and str(e.track_id) in index}

    def _write_zones(self, path: Path) -> None:
        """The monitored zones of this run as GeoJSON (for maps and reports)."""
        from shapely.geometry import mapping

        feats = []
        for z in self.zones.zones:
            if z.id in self.reference:
                continue
            props = {"id": z.id, "kind": z.kind, "country": z.country, "name": z.name}
            if z.floor_m is not None:
                props["floor_m"] = z.floor_m
            if z.ceiling_m is not None:
                props["ceiling_m"] = z.ceiling_m
            if z.value_eur:
                props["value_eur"] = z.value_eur
            feats.append({"type": "Feature", "properties": props, "geometry": mapping(z.geometry)})
        path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))

    def _summary(self, followed: dict[int, int]) -> dict[str, Any]:
        track_platform = {tk: str(self.pid[pl]) for tk, pl in followed.items()}
        tv = [e for e in self.ev_tracks if isinstance(e, Violation)]
        gv = [e for e in self.ev_truth if isinstance(e, Violation)]
        warn: dict[tuple[Any, str], float] = {}
        declared: dict[tuple[Any, str], list[float]] = {}
        for e in self.ev_tracks:
            if isinstance(e, ZoneWarning):
                warn.setdefault((e.track_id, e.zone_id), e.t_s)
            elif isinstance(e, Entry):  # when the operator was told (not the interpolated time)
                declared.setdefault((e.track_id, e.zone_id), []).append(
                    float(e.declared_t_s if e.declared_t_s is not None else e.t_s))
        latencies, leads, dur_err, matched, false_v = [], [], [], 0, 0
        used: set[int] = set()
        for v in tv:
            plat = track_platform.get(int(v.track_id))
            cands = [k for k, g in enumerate(gv) if k not in used and g.track_id == plat
                     and g.zone_id == v.zone_id
                     and g.entry_t_s <= v.exit_t_s and v.entry_t_s <= g.exit_t_s]
            if not cands:
                false_v += 1
                continue
            k = min(cands, key=lambda k: abs(gv[k].entry_t_s - v.entry_t_s))
            used.add(k)
            matched += 1
            if v.duration_s is not None and gv[k].duration_s is not None:
                dur_err.append(abs(v.duration_s - gv[k].duration_s))
            told = [d for d in declared.get((v.track_id, v.zone_id), [])
                    if d >= v.entry_t_s - 1e-6]
            latencies.append((min(told) if told else v.entry_t_s) - gv[k].entry_t_s)
            w = warn.get((v.track_id, v.zone_id))
            if w is not None and w <= gv[k].entry_t_s:
                leads.append(gv[k].entry_t_s - w)

        def stats(a: list[float]) -> dict[str, float] | None:
            if not a:
                return None
            x = np.asarray(a)
            return {"n": int(x.size), "mean_s": round(float(x.mean()), 1),
                    "median_s": round(float(np.median(x)), 1),
                    "p90_s": round(float(np.percentile(x, 90)), 1)}

        by_kind: dict[str, dict[str, int]] = {}
        for lab, evs in (("truth", gv), ("tracks", tv)):
            for e in evs:
                by_kind.setdefault(e.zone_kind, {"truth": 0, "tracks": 0})[lab] += 1

        def observed(e: Violation) -> bool:
            # an entry was seen (the track was outside before): a crossing / incursion, as
            # opposed to a track that was first seen (or a platform that took off) inside
            return bool(e.entry_interpolated)

        return {
            "crossings_truth_non_cooperative": sum(1 for e in gv if observed(e)
                                                   and not e.identity),
            "crossings_tracks_non_cooperative": sum(1 for e in tv if observed(e)
                                                    and not e.identity),
            "first_seen_inside_tracks": sum(1 for e in tv if not observed(e)),
            "violations_truth": len(gv), "violations_tracks": len(tv),
            "violations_truth_non_cooperative": sum(1 for e in gv if not e.identity),
            "violations_tracks_non_cooperative": sum(1 for e in tv if not e.identity),
            "violations_matched": matched, "violations_missed": len(gv) - len(used),
            "violations_unmatched_tracks": false_v,
            "by_zone_kind": dict(sorted(by_kind.items())),
            "alert_latency_s": stats(latencies),
            "warning_lead_time_s": stats(leads),
            # |tracked - true| duration of the matched violations, s
            "violation_duration_abs_err_s": (round(float(np.mean(dur_err)), 1) if dur_err
                                             else None),
            "violation_duration_abs_err_median_s": (round(float(np.median(dur_err)), 1)
                                                    if dur_err else None),
        }
