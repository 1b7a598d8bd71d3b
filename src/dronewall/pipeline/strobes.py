"""A simulated run's strobes: the record (``strobes.jsonl``) and their score against truth.

Each shown strobe (:mod:`dronewall.chain.strobes`) becomes one line when it ends (or the
run does): the sensor, the signature, first and last bearing heard (UTC), the bearings' mean
and spread, how much of its life a track explained it and which, and -- in a simulation only
-- the platform whose detections fed it (``truth_platform``, as ``detections.csv`` carries).

The score asks what the operator sees of each platform while the sensors hear it (a sensor
truly detected it in the last ``DETECTABLE_WINDOW_S``, the tracking scorer's definition):
a confirmed track matched with it, or an unlocated strobe that its detections fed in that
window (a bright line on the display). Per class: ``share_tracked``, ``share_strobe_only``
(no track, but such a strobe) and ``share_seen`` (either). False strobes are shown strobes
fed by false alarms only; ``unlocated_of_tracked_platform_share`` is the share of the unlocated
strobe-steps whose platform a track followed meanwhile (lines that add nothing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.airspace.event_builder import iso_time
from dronewall.chain.records import StepRecord
from dronewall.chain.strobes import KIND_NAMES, Strobes, signature_name, signature_text
from dronewall.detections import DetectionBatch, SensorTable

#: A platform counts as heard while a sensor truly detected it within this window, s (the
#: tracking scorer's ``DETECTABLE_WINDOW_S``).
DETECTABLE_WINDOW_S = 10.0


class StrobeRecorder:
    """Sink and scorer of the strobe stage's records in a simulated run."""

    def __init__(self, out: Path, sensors: SensorTable, epoch: Any, n_platforms: int,
                 platform_ids: NDArray[np.object_], platform_cls: NDArray[np.int64],
                 class_names: list[str]) -> None:
        self.path = out / "strobes.jsonl"
        self.sensors = sensors
        self.epoch = epoch
        self.pid = platform_ids
        self.pcls = platform_cls
        self.class_names = class_names
        self._f = open(self.path, "w", encoding="utf-8")
        # per live strobe id: truth votes, bearing span (first mean, least and greatest
        # deviation from it, deg), steps shown / on a track, tracks
        self._votes: dict[int, dict[int, int]] = {}
        self._brg: dict[int, tuple[float, float]] = {}
        self._shown: dict[int, int] = {}
        self._on: dict[int, int] = {}
        self._tracks: dict[int, set[int]] = {}
        self.n_lines = 0
        self.false_shown = 0
        self.shown_total = 0
        # per platform: last true detection, last time a shown strobe carried it
        self.last_true = np.full(n_platforms, -np.inf)
        self.last_strobe = np.full(n_platforms, -np.inf)
        self.heard_steps = np.zeros(n_platforms, np.int64)
        self.tracked_steps = np.zeros(n_platforms, np.int64)
        self.strobe_steps = np.zeros(n_platforms, np.int64)
        self.unlocated_steps = 0
        self.unlocated_of_tracked = 0
        self._latest: dict[int, int] = {}   # strobe id -> truth id of its latest bearing
        self.steps = 0
        self._last: Strobes | None = None

    def observe(self, t: float, det: DetectionBatch, rec: StepRecord,
                matched: NDArray[np.int64]) -> None:
        """One step: ``matched`` the platform indices a confirmed track was matched with."""
        s = rec.strobes
        self.steps += 1
        ok = det.truth_id >= 0
        if ok.any():
            np.maximum.at(self.last_true, det.truth_id[ok], det.t[ok])
        if s is not None:
            self._last = s
            self._feed(s, det)
            if s.ended is not None:
                for i in range(len(s.ended)):
                    self._close(s.ended, i)
        heard = t - self.last_true <= DETECTABLE_WINDOW_S
        tracked = np.zeros(heard.size, bool)
        tracked[matched[matched < heard.size]] = True
        if s is not None and len(s):
            # unlocated strobes whose platform a track follows meanwhile: lines the operator
            # sees although the picture has the target (a node's confused class, a bearing
            # off the track) -- the clutter side of the display
            un = s.id[s.shown & (s.on_track < 0)]
            p = np.array([self._latest.get(int(i), -1) for i in un.tolist()], np.int64)
            self.unlocated_of_tracked += int(((p >= 0) & tracked[np.clip(p, 0, None)]).sum())
        strobe = t - self.last_strobe <= DETECTABLE_WINDOW_S
        self.heard_steps += heard
        self.tracked_steps += heard & tracked
        self.strobe_steps += heard & strobe & ~tracked

    def _feed(self, s: Strobes, det: DetectionBatch) -> None:
        js = s.det_strobe
        fed = np.flatnonzero(js >= 0)
        for k in fed.tolist():
            v = self._votes.setdefault(int(js[k]), {})
            tid = int(det.truth_id[k])
            v[tid] = v.get(tid, 0) + 1
            self._latest[int(js[k])] = tid
        shown = np.flatnonzero(s.shown)
        self.unlocated_steps += int((s.on_track[shown] < 0).sum())
        for i in shown.tolist():
            sid = int(s.id[i])
            self._shown[sid] = self._shown.get(sid, 0) + 1
            # the span of its mean bearing, as deviations from the first (through north)
            b = float(s.bearing_deg[i])
            b0, lo, hi = self._brg.get(sid, (b, 0.0, 0.0))
            dev = (b - b0 + 180.0) % 360.0 - 180.0
            self._brg[sid] = (b0, min(lo, dev), max(hi, dev))
            if s.on_track[i] >= 0:
                self._on[sid] = self._on.get(sid, 0) + 1
                self._tracks.setdefault(sid, set()).add(int(s.on_track[i]))
        # the platforms an unlocated strobe carries now (its detections of this step): the
        # operator sees them on its bright line -- a strobe a track explains is that track's
        # (faint, or not drawn at all), no sign of another platform
        if fed.size:
            sh = set(s.id[shown][s.on_track[shown] < 0].tolist())
            keep = [k for k in fed.tolist() if int(js[k]) in sh and det.truth_id[k] >= 0]
            if keep:
                kk = np.asarray(keep)
                np.maximum.at(self.last_strobe, det.truth_id[kk], det.t[kk])

    def _close(self, s: Strobes, i: int) -> None:
        sid = int(s.id[i])
        votes = self._votes.pop(sid, {})
        self._latest.pop(sid, None)
        n_shown = self._shown.pop(sid, 0)
        on = self._on.pop(sid, 0)
        tracks = sorted(self._tracks.pop(sid, set()))
        b0, lo, hi = self._brg.pop(sid, (float(s.bearing_deg[i]), 0.0, 0.0))
        if not s.shown[i]:
            return
        row = int(s.sensor[i])
        total = sum(votes.values())
        best = max(votes.items(), key=lambda kv: (kv[1], -kv[0]))[0] if votes else -1
        self.shown_total += 1
        if best < 0:
            self.false_shown += 1
        rec = {"id": sid, "sensor": str(self.sensors.ids[row]),
               "sensor_kind": KIND_NAMES[int(s.kind[i])],
               "signature": (sig := signature_name(int(s.kind[i]), int(s.code[i]))),
               "what": signature_text(sig),
               "lat_deg": round(float(self.sensors.lat_deg[row]), 5),
               "lon_deg": round(float(self.sensors.lon_deg[row]), 5),
               "reach_m": round(float(s.reach_m[i])),
               "t_first_s": round(float(s.t_first_s[i]), 3),
               "t_last_s": round(float(s.t_last_s[i]), 3),
               "time_first": iso_time(self.epoch, float(s.t_first_s[i])),
               "time_last": iso_time(self.epoch, float(s.t_last_s[i])),
               "bearings": int(s.n[i]), "bearing_deg": round(float(s.bearing_deg[i]), 2),
               "bearing_sd_deg": round(float(s.sd_deg[i]), 2),
               "bearing_span_deg": [round((b0 + lo) % 360.0, 2), round((b0 + hi) % 360.0, 2)],
               "on_track_share": round(on / n_shown, 3) if n_shown else 0.0,
               "tracks": tracks,
               "truth_platform": str(self.pid[best]) if best >= 0 else "",
               "truth_share": round(votes.get(best, 0) / total, 3) if total else 0.0}
        self._f.write(json.dumps(rec, sort_keys=True) + "\n")
        self.n_lines += 1

    def finish(self) -> tuple[dict[str, Any], str]:
        """Close the file (the strobes still alive end with the run); the summary part."""
        if self._last is not None:
            for i in range(len(self._last)):
                self._close(self._last, i)
        self._f.close()
        by: dict[str, dict[str, Any]] = {}
        for c in np.unique(self.pcls).tolist():
            sel = (self.pcls == c) & (self.heard_steps > 0)
            h = int(self.heard_steps[sel].sum())
            if h == 0:
                continue
            tr, so = int(self.tracked_steps[sel].sum()), int(self.strobe_steps[sel].sum())
            by[self.class_names[c]] = {
                "platforms_heard": int(sel.sum()), "heard_steps": h,
                "tracked_steps": tr, "displayed_steps": tr + so,
                "share_tracked": round(tr / h, 4), "share_strobe_only": round(so / h, 4),
                "share_seen": round((tr + so) / h, 4)}
        return {"strobes_shown": self.shown_total,
                "strobes_shown_false": self.false_shown,
                "unlocated_strobe_steps_per_scan": round(self.unlocated_steps
                                                         / max(self.steps, 1), 3),
                "unlocated_of_tracked_platform_share": round(
                    self.unlocated_of_tracked / max(self.unlocated_steps, 1), 3),
                "by_class": by}, str(self.path)
