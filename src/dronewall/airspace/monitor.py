"""``AirspaceMonitor``: push-style zone analytics over all tracks x all zones.

Per scan (``step``), vectorised over N tracks and Z zones, the monitor runs, in order:

1. the inside test (:func:`~dronewall.airspace.scan.inside_test`);
2. the warning look-ahead (:func:`~dronewall.airspace.lookahead.approaches`; before the pair
   table grows, so predicted pairs get rows too);
3. penetration depth and crossings (:mod:`dronewall.airspace.scan`) for the pairs of the sparse
   *pair table* (:mod:`dronewall.airspace.state`; only pairs with state live in it: inside, in
   an episode, or warned);
4. the hysteresis state machine (:mod:`dronewall.airspace.hysteresis`) and the warning state
   (:func:`~dronewall.airspace.lookahead.update_warnings`);
5. events, all built by :class:`~dronewall.airspace.event_builder.EventBuilder`.

Hysteresis (documented in ``docs/airspace.md``): with band ``b = clip(band_sigma_factor * sigma,
band_min_m, band_max_m)``, a pair *enters* when the track is inside for ``enter_scans``
consecutive scans or at least ``b`` deep in one scan; it *exits* only when the track is outside
by at least ``b`` horizontally or ``alt_band_m`` vertically. Jitter of a track along a border
(amplitude < b) therefore never closes an episode and re-opens it. Entry and exit points/times are
the interpolated boundary crossings of the scan-to-scan segment, not the declaration scans.

Events are typed records (:mod:`dronewall.airspace.events`; JSON schema in
``docs/airspace.md``), sorted by (t_s, track, zone, event rank) within each call.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.airspace.config import AirspaceConfig, confidence_label
from dronewall.airspace.event_builder import EventBuilder, sort_events
from dronewall.airspace.events import AirspaceEvent
from dronewall.airspace.hysteresis import accumulate, apply_decisions, decide, record_crossings
from dronewall.airspace.lookahead import approaches, update_warnings
from dronewall.airspace.scan import (
    Crossings,
    Depth,
    Kinematics,
    crossings,
    depth,
    inside_test,
    kinematics,
    origin_country,
    zone_part_start,
)
from dronewall.airspace.scan_log import EMPTY_RUN, RUNNING, SCAN_VALUES, ScanLog, fold
from dronewall.airspace.state import (
    PairView,
    TrackRows,
    empty_table,
    keep_pairs,
    merge_keys,
    pair_view,
)
from dronewall.airspace.zones import ZoneSet

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

__all__ = ["AirspaceConfig", "AirspaceMonitor", "confidence_label", "sort_events"]


class AirspaceMonitor:
    """Push-style airspace analytics. No global state; one instance per picture.

    ``step(t_s, track_ids (N,), lat_deg (N,), lon_deg (N,), alt_m (N,), sigma_m (N,),
    vel_enu (N, 3) m/s or None, sigma_alt_m (N,) m or None) -> list[dict]`` events;
    ``finish(t_s)`` closes open episodes.
    """

    def __init__(self, zones: ZoneSet, config: AirspaceConfig | None = None) -> None:
        self.zones = zones
        self.config = config or AirspaceConfig()
        self._Z = max(len(zones), 1)
        self._tr = TrackRows()
        self._pt = empty_table()
        self._t_last: float | None = None
        self._zone_part_start = zone_part_start(zones)
        self._events = EventBuilder(zones, self.config.epoch, self._Z)
        #: the open episodes' recent scans (:meth:`split`)
        self._log = ScanLog()
        self.stats: dict[str, int] = {"steps": 0, "quarantined_rows": 0, "events": 0}

    # ------------------------------------------------------------------ public API

    def step(self, t_s: float, track_ids: ArrayLike, lat_deg: ArrayLike, lon_deg: ArrayLike,
             alt_m: ArrayLike, sigma_m: ArrayLike, vel_enu: ArrayLike | None = None,
             sigma_alt_m: ArrayLike | None = None,
             located: ArrayLike | None = None) -> list[AirspaceEvent]:
        """Process one scan of the track picture; return the events it causes (sorted).

        ``sigma_m``: 1-sigma horizontal position error, m. ``vel_enu``: local East-North-Up
        velocity, m/s; when ``None`` it is estimated from each track's previous position.
        ``sigma_alt_m``: 1-sigma altitude error, m; with it, a zone's altitude band counts
        with the probability that the true altitude lies in it (a radar track far out whose
        altitude is uncertain by hundreds of metres is not "certainly" under an airport
        zone's ceiling); ``None`` or NaN rows: the band is tested on the estimate alone.
        ``located`` (N,) bool: the tracks a sensor located since the previous scan (a fix, not
        only a prediction; None: all) -- a violation's depth and probability count those scans
        once it has one inside (``hysteresis.accumulate``).
        Rows with a non-finite position or sigma <= 0 are quarantined (counted in
        ``stats['quarantined_rows']``), not raised.
        """
        t = float(t_s)
        if self._t_last is not None and not t > self._t_last:
            raise ValueError(f"step times must increase: {t} after {self._t_last}")
        ids_arr = np.asarray(track_ids)
        lat = np.asarray(lat_deg, dtype=np.float64).reshape(-1)
        lon = np.asarray(lon_deg, dtype=np.float64).reshape(-1)
        alt = np.asarray(alt_m, dtype=np.float64).reshape(-1)
        sig = np.broadcast_to(np.asarray(sigma_m, dtype=np.float64), lat.shape).copy()
        n0 = len(lat)
        if not (len(ids_arr) == len(lon) == len(alt) == n0):
            raise ValueError("track_ids, lat_deg, lon_deg, alt_m must have the same length")
        vel = None if vel_enu is None else np.asarray(vel_enu, dtype=np.float64).reshape(n0, 3)
        sig_v = (np.full(n0, np.nan) if sigma_alt_m is None else np.broadcast_to(
            np.asarray(sigma_alt_m, dtype=np.float64), lat.shape).copy())
        loc = (np.ones(n0, bool) if located is None
               else np.broadcast_to(np.asarray(located, dtype=bool), lat.shape).copy())
        ok = (np.isfinite(lat) & np.isfinite(lon) & np.isfinite(alt) & np.isfinite(sig)
              & (sig > 0) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
        if not ok.all():
            self.stats["quarantined_rows"] += int((~ok).sum())
            ids_arr, lat, lon, alt, sig = ids_arr[ok], lat[ok], lon[ok], alt[ok], sig[ok]
            sig_v, loc = sig_v[ok], loc[ok]
            vel = None if vel is None else vel[ok]
        ids = ids_arr.tolist()
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate track ids in one step")
        self._t_last = t
        self.stats["steps"] += 1
        events: list[AirspaceEvent] = []

        tr = self._tr
        rows = tr.known_rows(ids)
        present = np.zeros(tr.cap, dtype=bool)
        present[rows[rows >= 0]] = True
        gone = tr.alive & ~present
        if self.config.track_timeout_s is not None:
            gone &= (t - tr.t) > self.config.track_timeout_s
        if gone.any():
            events += self._close_rows(np.flatnonzero(gone), "track_lost", ongoing=False)
        rows = tr.allocate(ids, rows)
        events += self._scan(t, rows, lat, lon, alt, sig, vel, sig_v, loc)
        self.stats["events"] += len(events)
        return sort_events(events)

    def finish(self, t_s: float) -> list[AirspaceEvent]:
        """Close every open episode as a ``violation`` with ``ongoing: true`` (exit = the
        track's last observation, or its unconfirmed exit crossing if it was last seen outside).
        The monitor is empty afterwards."""
        t = float(t_s)
        if self._t_last is not None and t < self._t_last:
            raise ValueError(f"finish time {t} is before the last step {self._t_last}")
        rows = np.flatnonzero(self._tr.alive)
        ev = self._close_rows(rows, "finish", ongoing=True)
        self._pt = empty_table()
        self._log.clear()
        self._tr = TrackRows()
        self.stats["events"] += len(ev)
        return sort_events(ev)

    def iso(self, t_s: float) -> str:
        """ISO-8601 UTC (millisecond) time of ``t_s`` seconds after the epoch."""
        return self._events.iso(t_s)

    @property
    def n_pairs(self) -> int:
        """Size of the sparse pair table (pairs with state)."""
        return len(self._pt["key"])

    # ------------------------------------------------------------------ the scan

    def _scan(self, t: float, rows: I64, lat: F64, lon: F64, alt: F64, sig: F64,
              vel: F64 | None, sig_v: F64, located: NDArray[np.bool_]) -> list[AirspaceEvent]:
        zs, cfg, tr, Z = self.zones, self.config, self._tr, self._Z
        n = len(rows)
        if n == 0 or len(zs) == 0:
            tr.update(rows, t, lat, lon, alt, np.full(n, -1))
            return []
        kin = kinematics(tr, rows, t, lat, lon, alt, vel)
        ins = inside_test(zs, rows, lat, lon, alt, Z)
        # approach prediction before the merge, so that predicted pairs enter the table
        app = approaches(zs, cfg, Z, tr.cap, rows, lat, lon, alt, kin.vel, kin.speed, ins.key_h)
        self._pt = T = merge_keys(self._pt, np.union1d(ins.key_raw, app.keys))
        pv = pair_view(T, tr.cap, rows, Z, ins.key_raw, ins.key_h, kin.has_prev)

        dp = depth(zs, cfg, self._zone_part_start, pv, kin.ecef_g, alt, sig, sig_v)
        cr = crossings(zs, tr, pv, t, rows, lat, lon, alt)
        record_crossings(T, pv, cr, origin_country(zs, tr, pv, rows, ins.cur_c))
        accumulate(T, pv, cr, dp, kin.step_h, kin.speed, lat, lon, located)
        enter, leave = decide(T, cfg, pv, cr, dp)
        events = self._transition_events(pv.idx, dp.p_scan, enter, leave, t)
        state = apply_decisions(T, pv, enter, leave)
        self._log_open(t, pv, state, cr, dp, kin, lat, lon, located)

        wu = update_warnings(T, cfg, pv, state, app, t)
        for k in np.flatnonzero(wu.issue):
            events.append(self._events.warning(T, tr.ids, int(pv.idx[k]), t, float(wu.tau[k]),
                                               float(app.lat[wu.ai[k]]),
                                               float(app.lon[wu.ai[k]])))

        # drop pairs that carry no state any more
        keep = np.ones(len(T["key"]), dtype=bool)
        keep[pv.idx] = (state == 1) | pv.raw | wu.active
        if not keep.all():
            keep_pairs(T, keep)

        tr.update(rows, t, lat, lon, alt, ins.cur_c, kin.ecef, kin.ecef_g)
        return events

    def split(self, track_id: Any, t_s: float, lat: float, lon: float,
              alt: float) -> list[AirspaceEvent]:
        """End the open episodes of ``track_id`` at ``t_s`` -- in the past: when its track
        moved from one target to another (:mod:`.target_changes`) -- at (lat, lon) deg, alt m,
        and continue each as a new episode from there. Returns, per episode, a ``violation``
        (``end_reason: target_changed``) with the accumulators as they stood at its last scan
        before ``t_s``, then an ``entry`` at ``t_s`` (not interpolated: the track took up this
        target inside; declared now) whose episode holds the scans since. An episode that
        began at or after ``t_s``, or none of whose scans before ``t_s`` is still logged
        (``scan_log.LOG_S``), is left as it is."""
        tr, T, Z = self._tr, self._pt, self._Z
        row = int(tr.known_rows([track_id])[0])
        if row < 0 or not len(T["key"]) or self._t_last is None:
            return []
        out: list[AirspaceEvent] = []
        for j in np.flatnonzero((T["key"] // Z == row) & (T["state"] == 1)):
            j = int(j)
            et = float(T["ent_t"][j])
            if not et < t_s:
                continue
            ts, vals, run = self._log.history(int(T["key"][j]), et)
            k = int(np.searchsorted(ts, t_s))        # scans [0, k) before the split
            if k == 0:
                continue
            pending = {c: T[c][j] for c in ("ex_t", "ex_lat", "ex_lon", "ex_alt", "ex_interp")}
            for c, v in zip(RUNNING, run[k - 1], strict=True):
                T[c][j] = v
            T["ex_t"][j], T["ex_lat"][j], T["ex_lon"][j], T["ex_alt"][j] = t_s, lat, lon, alt
            T["ex_interp"][j] = False
            out.append(self._events.violation(T, tr.ids, j, "target_changed", ongoing=False))
            since = fold(vals[k:])
            self._log.rewrite(int(T["key"][j]), float(ts[k]) if k < ts.size else np.inf,
                              since)
            for c, v in zip(RUNNING, since[-1] if len(since) else EMPTY_RUN, strict=True):
                T[c][j] = v
            for c, v in pending.items():
                T[c][j] = v
            T["ent_t"][j], T["ent_lat"][j], T["ent_lon"][j], T["ent_alt"][j] = t_s, lat, lon, alt
            T["ent_interp"][j], T["ent_from"][j] = False, -1
            out.append(self._events.entry(T, tr.ids, j, float(T["p_ep"][j]),
                                          float(self._t_last)))
        return out

    def _log_open(self, t: float, pv: PairView, state: NDArray[np.int8], cr: Crossings,
                  dp: Depth, kin: Kinematics, lat: F64, lon: F64,
                  located: NDArray[np.bool_] | None) -> None:
        """Log this scan's values of the episodes open after it (:class:`.scan_log.ScanLog`,
        values in ``SCAN_VALUES`` order)."""
        op = np.flatnonzero(state == 1)
        s_ = pv.slot[op]
        loc = np.ones(op.size) if located is None else located[s_].astype(np.float64)
        vals = np.stack([pv.raw[op].astype(np.float64), cr.frac[op] * kin.step_h[s_],
                         dp.alt[op], kin.speed[s_], dp.sigma_alt[op], loc, dp.p_scan[op],
                         dp.signed[op], lat[s_], lon[s_], dp.sigma[op], dp.p_vert[op]],
                        axis=1).reshape(-1, len(SCAN_VALUES))
        self._log.add(t, self._pt, pv.idx[op], vals)

    def _transition_events(self, idx: I64, p_scan: F64, enter: NDArray[np.bool_],
                           leave: NDArray[np.bool_], t: float) -> list[AirspaceEvent]:
        """Entry events, then exit + violation events, of the pairs ``idx`` (M,) declared this
        scan (built before the state update resets the episodes that ended)."""
        T, ids, ev = self._pt, self._tr.ids, self._events
        events: list[AirspaceEvent] = []
        for k in np.flatnonzero(enter):
            events.append(ev.entry(T, ids, int(idx[k]), float(p_scan[k]), t))
        for k in np.flatnonzero(leave):
            j = int(idx[k])
            events.append(ev.exit(T, ids, j, float(p_scan[k]), t))
            events.append(ev.violation(T, ids, j, "exit", ongoing=False))
        return events

    # ------------------------------------------------------------------ closing

    def _close_rows(self, rows: I64, reason: str, ongoing: bool) -> list[AirspaceEvent]:
        """Close the open episodes of ``rows`` and forget their pairs (and free the rows when
        the tracks are lost)."""
        T, Z, tr = self._pt, self._Z, self._tr
        events: list[AirspaceEvent] = []
        if len(T["key"]):
            mine = np.isin(T["key"] // Z, rows)
            if reason == "track_lost" and self.config.enter_at_end:
                events += self._enter_pending(np.flatnonzero(
                    mine & (T["state"] == 0) & T["prev_raw"] & np.isfinite(T["ent_t"])))
            for j in np.flatnonzero(mine & (T["state"] == 1)):
                r = int(T["key"][j] // Z)
                if not T["prev_raw"][j] and np.isfinite(T["ex_t"][j]):
                    events.append(self._events.violation(T, tr.ids, int(j), "exit_unconfirmed",
                                                         ongoing=ongoing))
                else:
                    T["ex_t"][j], T["ex_lat"][j] = tr.t[r], tr.lat[r]
                    T["ex_lon"][j], T["ex_alt"][j] = tr.lon[r], tr.alt[r]
                    T["ex_interp"][j] = False
                    events.append(self._events.violation(T, tr.ids, int(j), reason,
                                                         ongoing=ongoing))
            keep_pairs(T, ~mine)
        if reason == "track_lost":
            tr.release(rows)
        return events

    def _enter_pending(self, idx: I64) -> list[AirspaceEvent]:
        """Declare the pending entries ``idx`` (pair rows inside, not yet declared) of tracks
        that ended, at their last observation (``AirspaceConfig.enter_at_end``); the caller
        then closes them as ``track_lost`` violations ending there."""
        T, Z, tr = self._pt, self._Z, self._tr
        events: list[AirspaceEvent] = []
        for j in idx:
            r = int(T["key"][j] // Z)
            events.append(self._events.entry(T, tr.ids, int(j), float(T["p_ep"][j]),
                                             float(tr.t[r])))
            T["state"][j] = 1
            T["ex_t"][j] = np.nan
        return events
