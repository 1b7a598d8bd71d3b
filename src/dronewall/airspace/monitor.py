"""``AirspaceMonitor``: push-style zone analytics over all tracks x all zones.

Per scan (``step``), vectorised over N tracks and Z zones:

1. inside test: STRtree of zone parts queried with all track points (bounding boxes), then
   ``shapely.contains_xy`` on the *prepared* parts for the candidate pairs; altitude band
   ``floor_m <= alt_m <= ceiling_m`` (a track above the ceiling or below the floor is outside);
2. penetration depth for the pairs that need it (inside, or in an open episode) in each part's
   local azimuthal-equidistant plane (:mod:`dronewall.airspace.geometry`);
3. the hysteresis state machine on a sparse *pair table* (struct of arrays keyed by
   ``row * Z + zone``; only pairs with state live in it: inside, in an episode, or warned);
4. warnings from a straight-line prediction of each moving track up to ``warn_horizon_s``.

Hysteresis (documented in ``docs/airspace.md``): with band ``b = clip(band_sigma_factor * sigma,
band_min_m, band_max_m)``, a pair *enters* when the track is inside for ``enter_scans``
consecutive scans or at least ``b`` deep in one scan; it *exits* only when the track is outside
by at least ``b`` horizontally or ``alt_band_m`` vertically. Jitter of a track along a border
(amplitude < b) therefore never closes an episode and re-opens it. Entry and exit points/times are
the interpolated boundary crossings of the scan-to-scan segment, not the declaration scans.

Events are JSON-ready dicts (schema in ``docs/airspace.md``), sorted by (t_s, track, zone,
event rank) within each call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from dronewall.airspace.geometry import normal_cdf
from dronewall.airspace.zones import ZoneSet
from dronewall.geo.frames import WGS84_A_M, WGS84_E2, ecef_to_enu_rotation, geodetic_to_ecef

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: Consecutive inside scans that declare an entry: 2, so one outlier position (a false
#: association, a multipath plot) never opens an episode on its own.
ENTER_SCANS = 2
#: Hysteresis band in units of the track's 1-sigma horizontal error: a track closer than ~1
#: sigma to a border cannot be told in or out, so it must not toggle the state there.
BAND_SIGMA_FACTOR = 1.0
#: Smallest band, m: typical jitter of a good (radar + filter) track along a border is tens of
#: metres; 50 m also covers the ~10 m accuracy of OSM-derived borders with margin.
BAND_MIN_M = 50.0
#: Largest band, m: beyond this an exit is declared even for very poor tracks (2 km is the
#: median NE-vs-OSM border error: finer claims than that are meaningless anyway).
BAND_MAX_M = 2_000.0
#: Vertical exit margin, m (no vertical sigma is given; ~barometric/GNSS altitude error).
ALT_BAND_M = 30.0
#: Warning look-ahead, s: 10 min covers a 50 m/s drone 30 km out (the reach of a border radar
#: picket) without flooding with far-future crossings.
WARN_HORIZON_S = 600.0
#: Tracks slower than this are not extrapolated (hovering: the heading is noise).
WARN_MIN_SPEED_MPS = 1.0
#: Re-issue a warning when the predicted crossing time moves by more than max(abs, rel * ttc).
WARN_REISSUE_ABS_S = 30.0
WARN_REISSUE_REL = 0.25
#: Scans without a predicted crossing before a warned approach is considered over (hysteresis
#: so a noisy heading does not re-issue the same warning every other scan).
WARN_CLEAR_SCANS = 3
#: Confidence labels on the episode probability.
CONFIRMED_P = 0.95
PROBABLE_P = 0.7

_EVENT_RANK = {"warning": 0, "entry": 1, "exit": 2, "violation": 3}


@dataclass(frozen=True)
class AirspaceConfig:
    """Monitor settings (see module constants for the reasons behind the defaults).

    ``epoch``: UTC instant of ``t_s = 0`` (ISO times in events). ``track_timeout_s``: ``None``
    means a track absent from a ``step`` is deleted (engine semantics: every live track is
    passed each scan); a number keeps absent tracks until they are that long unseen
    (asynchronous files).
    """

    epoch: datetime = UNIX_EPOCH
    enter_scans: int = ENTER_SCANS
    band_sigma_factor: float = BAND_SIGMA_FACTOR
    band_min_m: float = BAND_MIN_M
    band_max_m: float = BAND_MAX_M
    alt_band_m: float = ALT_BAND_M
    warn_horizon_s: float = WARN_HORIZON_S
    warn_min_speed_mps: float = WARN_MIN_SPEED_MPS
    warn_reissue_abs_s: float = WARN_REISSUE_ABS_S
    warn_reissue_rel: float = WARN_REISSUE_REL
    warn_clear_scans: int = WARN_CLEAR_SCANS
    track_timeout_s: float | None = None

    def __post_init__(self) -> None:
        if self.epoch.tzinfo is None:
            raise ValueError("AirspaceConfig.epoch needs a time zone (UTC advised)")
        if self.enter_scans < 1:
            raise ValueError("enter_scans must be >= 1")
        if not 0 < self.band_min_m <= self.band_max_m:
            raise ValueError("need 0 < band_min_m <= band_max_m")
        if self.warn_horizon_s <= 0 or self.warn_clear_scans < 1:
            raise ValueError("warn_horizon_s must be > 0 and warn_clear_scans >= 1")


def confidence_label(p: float) -> str:
    """'confirmed' (p >= 0.95), 'probable' (p >= 0.7) or 'uncertain'."""
    if p >= CONFIRMED_P:
        return "confirmed"
    if p >= PROBABLE_P:
        return "probable"
    return "uncertain"


# Pair-table columns: name -> (dtype, default)
_COLUMNS: dict[str, tuple[Any, Any]] = {
    "key": (np.int64, 0),
    "state": (np.int8, 0),          # 0 out, 1 in (declared)
    "prev_raw": (np.bool_, False),  # raw inside at the pair's last observed scan
    "run_in": (np.int32, 0),        # consecutive raw-inside scans
    "ent_t": (np.float64, np.nan), "ent_lat": (np.float64, np.nan),
    "ent_lon": (np.float64, np.nan), "ent_alt": (np.float64, np.nan),
    "ent_interp": (np.bool_, False), "ent_from": (np.int64, -1),
    "ex_t": (np.float64, np.nan), "ex_lat": (np.float64, np.nan),
    "ex_lon": (np.float64, np.nan), "ex_alt": (np.float64, np.nan),
    "ex_interp": (np.bool_, False),
    "max_depth": (np.float64, -np.inf), "md_lat": (np.float64, np.nan),
    "md_lon": (np.float64, np.nan), "md_sigma": (np.float64, np.nan),
    "p_ep": (np.float64, 0.0), "path": (np.float64, 0.0),
    "min_alt": (np.float64, np.inf), "max_alt": (np.float64, -np.inf),
    "max_speed": (np.float64, 0.0), "n_scans": (np.int32, 0),
    "warn_active": (np.bool_, False), "warn_cross_t": (np.float64, np.nan),
    "warn_miss": (np.int32, 0),
}
_EPISODE_COLS = ("max_depth", "md_lat", "md_lon", "md_sigma", "p_ep", "path", "min_alt",
                 "max_alt", "max_speed", "n_scans", "ex_t", "ex_lat", "ex_lon", "ex_alt",
                 "ex_interp")


def _empty_table(n: int = 0) -> dict[str, np.ndarray]:
    return {k: np.full(n, d, dtype=t) for k, (t, d) in _COLUMNS.items()}


def _member(a: I64, sorted_b: I64) -> tuple[NDArray[np.bool_], I64]:
    """(a in b mask, index into b) for sorted unique b."""
    if len(sorted_b) == 0:
        return np.zeros(len(a), dtype=bool), np.zeros(len(a), dtype=np.int64)
    idx = np.searchsorted(sorted_b, a)
    idx_c = np.minimum(idx, len(sorted_b) - 1)
    return sorted_b[idx_c] == a, idx_c


def _radii(lat_deg: F64) -> tuple[F64, F64]:
    """Meridian (M) and prime-vertical (N) radii of curvature, m."""
    s2 = np.sin(np.radians(lat_deg)) ** 2
    w = 1.0 - WGS84_E2 * s2
    return WGS84_A_M * (1.0 - WGS84_E2) / w**1.5, WGS84_A_M / np.sqrt(w)


def _num(v: float, nd: int) -> float | None:
    """JSON-safe rounded float (None for NaN / inf)."""
    v = float(v)
    return round(v, nd) if np.isfinite(v) else None


def _id_sort_key(v: Any) -> tuple[int, Any]:
    return (0, v) if isinstance(v, (int, float)) else (1, str(v))


def sort_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deterministic order: time, track, zone, event rank (warning, entry, exit, violation)."""
    return sorted(events, key=lambda e: (e["t_s"], _id_sort_key(e["track_id"]), e["zone_id"],
                                         _EVENT_RANK[e["event"]]))


@dataclass
class _Tracks:
    """Per-track state arrays (capacity C); rows are reused after deletion."""

    cap: int = 0
    ids: list[Any] = field(default_factory=list)
    alive: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    t: F64 = field(default_factory=lambda: np.zeros(0))
    lat: F64 = field(default_factory=lambda: np.zeros(0))
    lon: F64 = field(default_factory=lambda: np.zeros(0))
    alt: F64 = field(default_factory=lambda: np.zeros(0))
    ecef: F64 = field(default_factory=lambda: np.zeros((0, 3)))
    ecef_g: F64 = field(default_factory=lambda: np.zeros((0, 3)))
    last_c: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    prev_c: I64 = field(default_factory=lambda: np.zeros(0, np.int64))

    def grow(self, need: int) -> None:
        if need <= self.cap:
            return
        new = max(need, 2 * self.cap, 64)
        add = new - self.cap

        def ext(a: np.ndarray, fill: Any) -> np.ndarray:
            return np.concatenate([a, np.full((add,) + a.shape[1:], fill, dtype=a.dtype)])

        self.ids.extend([None] * add)
        self.alive = ext(self.alive, False)
        self.t, self.lat, self.lon, self.alt = (ext(a, np.nan) for a in
                                                (self.t, self.lat, self.lon, self.alt))
        self.ecef, self.ecef_g = ext(self.ecef, np.nan), ext(self.ecef_g, np.nan)
        self.last_c, self.prev_c = ext(self.last_c, -1), ext(self.prev_c, -1)
        self.cap = new


class AirspaceMonitor:
    """Push-style airspace analytics. No global state; one instance per picture.

    ``step(t_s, track_ids (N,), lat_deg (N,), lon_deg (N,), alt_m (N,), sigma_m (N,),
    vel_enu (N, 3) m/s or None) -> list[dict]`` events; ``finish(t_s)`` closes open episodes.
    """

    def __init__(self, zones: ZoneSet, config: AirspaceConfig | None = None) -> None:
        self.zones = zones
        self.config = config or AirspaceConfig()
        self._Z = max(len(zones), 1)
        self._tr = _Tracks()
        self._row_of: dict[Any, int] = {}
        self._free: list[int] = []
        self._n_rows = 0
        self._pt = _empty_table()
        self._t_last: float | None = None
        self._cache_ids: list[Any] | None = None
        self._cache_rows: I64 | None = None
        zp = np.bincount(zones.part_zone, minlength=len(zones)) if len(zones) else np.zeros(0)
        self._zone_part_start = np.concatenate([[0], np.cumsum(zp)]).astype(np.int64)
        self.stats: dict[str, int] = {"steps": 0, "quarantined_rows": 0, "events": 0}

    # ------------------------------------------------------------------ public API

    def step(self, t_s: float, track_ids: ArrayLike, lat_deg: ArrayLike, lon_deg: ArrayLike,
             alt_m: ArrayLike, sigma_m: ArrayLike, vel_enu: ArrayLike | None = None
             ) -> list[dict[str, Any]]:
        """Process one scan of the track picture; return the events it causes (sorted).

        ``sigma_m``: 1-sigma horizontal position error, m. ``vel_enu``: local East-North-Up
        velocity, m/s; when ``None`` it is estimated from each track's previous position.
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
        ok = (np.isfinite(lat) & np.isfinite(lon) & np.isfinite(alt) & np.isfinite(sig)
              & (sig > 0) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
        if not ok.all():
            self.stats["quarantined_rows"] += int((~ok).sum())
            ids_arr, lat, lon, alt, sig = ids_arr[ok], lat[ok], lon[ok], alt[ok], sig[ok]
            vel = None if vel is None else vel[ok]
        ids = ids_arr.tolist()
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate track ids in one step")
        self._t_last = t
        self.stats["steps"] += 1
        events: list[dict[str, Any]] = []

        rows = self._known_rows(ids)
        tr = self._tr
        present = np.zeros(tr.cap, dtype=bool)
        present[rows[rows >= 0]] = True
        gone = tr.alive & ~present
        if self.config.track_timeout_s is not None:
            gone &= (t - tr.t) > self.config.track_timeout_s
        if gone.any():
            events += self._close_rows(np.flatnonzero(gone), "track_lost", ongoing=False)
        rows = self._allocate(ids, rows)
        events += self._scan(t, rows, lat, lon, alt, sig, vel)
        self.stats["events"] += len(events)
        return sort_events(events)

    def finish(self, t_s: float) -> list[dict[str, Any]]:
        """Close every open episode as a ``violation`` with ``ongoing: true`` (exit = the
        track's last observation, or its unconfirmed exit crossing if it was last seen outside).
        The monitor is empty afterwards."""
        t = float(t_s)
        if self._t_last is not None and t < self._t_last:
            raise ValueError(f"finish time {t} is before the last step {self._t_last}")
        rows = np.flatnonzero(self._tr.alive)
        ev = self._close_rows(rows, "finish", ongoing=True)
        self._pt = _empty_table()
        self._tr = _Tracks()
        self._row_of, self._free, self._n_rows = {}, [], 0
        self._cache_ids = self._cache_rows = None
        self.stats["events"] += len(ev)
        return sort_events(ev)

    def iso(self, t_s: float) -> str:
        """ISO-8601 UTC (millisecond) time of ``t_s`` seconds after the epoch."""
        dt = self.config.epoch.astimezone(UTC) + timedelta(seconds=float(t_s))
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    @property
    def n_pairs(self) -> int:
        """Size of the sparse pair table (pairs with state)."""
        return len(self._pt["key"])

    # ------------------------------------------------------------------ track rows

    def _known_rows(self, ids: list[Any]) -> I64:
        if self._cache_ids is not None and ids == self._cache_ids:
            assert self._cache_rows is not None
            return self._cache_rows.copy()
        get = self._row_of.get
        return np.fromiter((get(i, -1) for i in ids), dtype=np.int64, count=len(ids))

    def _allocate(self, ids: list[Any], rows: I64) -> I64:
        """Give rows to the ids not seen before (reusing freed rows first)."""
        tr = self._tr
        for k in np.flatnonzero(rows < 0).tolist():
            if self._free:
                r = self._free.pop()
            else:
                r = self._n_rows
                self._n_rows += 1
                tr.grow(self._n_rows)
            rows[k] = r
            self._row_of[ids[k]] = r
            tr.ids[r] = ids[k]
            tr.alive[r] = True
            tr.t[r] = np.nan
            tr.last_c[r] = tr.prev_c[r] = -1
        self._cache_ids, self._cache_rows = ids, rows.copy()
        return rows

    # ------------------------------------------------------------------ the scan

    def _scan(self, t: float, rows: I64, lat: F64, lon: F64, alt: F64, sig: F64,
              vel: F64 | None) -> list[dict[str, Any]]:
        zs, cfg, tr, Z = self.zones, self.config, self._tr, self._Z
        n = len(rows)
        if n == 0 or len(zs) == 0:
            self._update_tracks(rows, t, lat, lon, alt, np.full(n, -1))
            return []
        ecef = geodetic_to_ecef(lat, lon, alt)
        ecef_g = geodetic_to_ecef(lat, lon, 0.0)
        has_prev = np.isfinite(tr.t[rows])
        dt = np.where(has_prev, t - tr.t[rows], np.nan)
        step_h = np.where(has_prev, np.linalg.norm(ecef_g - tr.ecef_g[rows], axis=1), 0.0)
        if vel is None:
            d_ecef = (ecef - tr.ecef[rows]) / dt[:, None]
            vel = np.einsum("nij,nj->ni", ecef_to_enu_rotation(lat, lon), d_ecef)
        speed = np.linalg.norm(vel, axis=1)

        # 1. inside test: bbox candidates from the tree, prepared point-in-polygon
        pi, pp = zs.tree.query(shapely.points(lon, lat))
        ins = shapely.contains_xy(zs.parts[pp], lon[pi], lat[pi])
        pi, pp = pi[ins], pp[ins]
        pz = zs.part_zone[pp]
        vok = (alt[pi] >= zs.floor_m[pz]) & (alt[pi] <= zs.ceiling_m[pz])
        key_h = np.unique(rows[pi] * Z + pz)
        key_raw = np.unique(rows[pi[vok]] * Z + pz[vok])

        # sovereign country under each track (lowest zone index wins where they overlap)
        cur_z = np.full(n, np.iinfo(np.int64).max)
        sv = vok & zs.sovereign[pz]
        np.minimum.at(cur_z, pi[sv], pz[sv])
        cur_c = np.where(cur_z < len(zs), zs.country_code[np.minimum(cur_z, len(zs) - 1)], -1)

        # 4. approach prediction (computed before the merge so new pairs enter the table)
        key_ap, tau_ap, plat_ap, plon_ap = self._approaches(t, rows, lat, lon, alt, vel, speed,
                                                            key_h)

        self._merge(np.union1d(key_raw, key_ap))
        T = self._pt
        slot_of = np.full(tr.cap, -1, dtype=np.int64)
        slot_of[rows] = np.arange(n)
        key = T["key"]
        I = np.flatnonzero(slot_of[key // Z] >= 0)
        s_ = slot_of[key[I] // Z]
        zI = key[I] % Z
        raw, _ = _member(key[I], key_raw)
        hin, _ = _member(key[I], key_h)
        state = T["state"][I].copy()
        prev_raw = T["prev_raw"][I]

        # 2. depth (horizontal, >= 0) for pairs inside or in an open episode
        need = raw | (state == 1)
        d = np.zeros(len(I))
        if need.any():
            d[need] = self._zone_distance(zI[need], ecef_g[s_[need]])
        signed = np.where(hin, d, -d)
        a = alt[s_]
        fl, ce = zs.floor_m[zI], zs.ceiling_m[zI]
        v_out = np.maximum(0.0, np.maximum(fl - a, a - ce))
        sg = sig[s_]
        band = np.clip(cfg.band_sigma_factor * sg, cfg.band_min_m, cfg.band_max_m)
        p_scan = np.where(v_out > 0, 0.0, normal_cdf(signed / sg))

        # 3. raw transitions and their interpolated crossings
        hp = has_prev[s_]
        up = raw & ~prev_raw
        down = ~raw & prev_raw
        frac = np.where(raw & prev_raw, 1.0, 0.0)
        cross_s = np.full(len(I), np.nan)
        cross_ok = np.zeros(len(I), dtype=bool)
        for mask, last in ((up & hp, True), (down & hp, False)):
            if mask.any():
                k = np.flatnonzero(mask)
                rr = rows[s_[k]]
                sv_, okv = self._crossing(zI[k], tr.lat[rr], tr.lon[rr], tr.alt[rr],
                                          lat[s_[k]], lon[s_[k]], alt[s_[k]], last)
                cross_s[k], cross_ok[k] = sv_, okv
        frac = np.where(up & hp, 1.0 - cross_s, frac)
        frac = np.where(down, np.where(hp, cross_s, 0.0), frac)
        frac = np.where(up & ~hp, 0.0, frac)
        # crossing point: previous -> current at s (first scan: the current point)
        cs = np.where(hp, cross_s, 1.0)
        rI = rows[s_]
        p_lat, p_lon, p_alt = (np.where(hp, tr.lat[rI], lat[s_]), np.where(hp, tr.lon[rI], lon[s_]),
                               np.where(hp, tr.alt[rI], alt[s_]))
        p_t = np.where(hp, tr.t[rI], t)
        c_t = p_t + cs * (t - p_t)
        c_lat = p_lat + cs * (lat[s_] - p_lat)
        c_lon = p_lon + cs * (lon[s_] - p_lon)
        c_alt = p_alt + cs * (alt[s_] - p_alt)
        # origin country: the track's country before this scan (first scan: its current one)
        last_c, prev_c = tr.last_c[rI].copy(), tr.prev_c[rI].copy()
        first = ~hp & (cur_c[s_] >= 0)
        prev_c = np.where(first & (last_c != cur_c[s_]), last_c, prev_c)
        last_c = np.where(first, cur_c[s_], last_c)
        zc = zs.country_code[zI]
        from_c = np.where(zs.sovereign[zI] & (last_c == zc), prev_c, last_c)

        # candidate runs start at an out->in crossing while out: reset the accumulators
        start = up & (state == 0)
        if start.any():
            g = I[start]
            for c in _EPISODE_COLS:
                T[c][g] = _COLUMNS[c][1]
            T["ent_t"][g], T["ent_lat"][g] = c_t[start], c_lat[start]
            T["ent_lon"][g], T["ent_alt"][g] = c_lon[start], c_alt[start]
            T["ent_interp"][g] = (hp & cross_ok)[start]
            T["ent_from"][g] = from_c[start]
        back = up & (state == 1)  # back inside before a confirmed exit: drop the pending exit
        if back.any():
            T["ex_t"][I[back]] = np.nan
        pend = down & (state == 1)
        if pend.any():
            g = I[pend]
            T["ex_t"][g], T["ex_lat"][g] = c_t[pend], c_lat[pend]
            T["ex_lon"][g], T["ex_alt"][g] = c_lon[pend], c_alt[pend]
            T["ex_interp"][g] = (hp & cross_ok)[pend]

        # accumulate over the episode / candidate run
        acc = (state == 1) | raw
        g = I[acc]
        T["path"][g] += (frac * step_h[s_])[acc]
        ri = raw
        g = I[ri]
        T["n_scans"][g] += 1
        T["min_alt"][g] = np.minimum(T["min_alt"][g], a[ri])
        T["max_alt"][g] = np.maximum(T["max_alt"][g], a[ri])
        T["max_speed"][g] = np.fmax(T["max_speed"][g], speed[s_][ri])
        T["p_ep"][g] = np.maximum(T["p_ep"][g], p_scan[ri])
        deeper = ri & (signed > T["max_depth"][I])
        g = I[deeper]
        T["max_depth"][g] = signed[deeper]
        T["md_lat"][g], T["md_lon"][g] = lat[s_][deeper], lon[s_][deeper]
        T["md_sigma"][g] = sg[deeper]
        run_in = np.where(raw, np.where(up, 1, T["run_in"][I] + 1), 0)
        T["run_in"][I] = run_in

        # hysteresis decisions
        enter = (state == 0) & raw & ((run_in >= cfg.enter_scans) | (signed >= band))
        h_out = np.where(hin, 0.0, d)
        leave = (state == 1) & ~raw & ((h_out >= band) | (v_out >= cfg.alt_band_m))
        events: list[dict[str, Any]] = []
        for k in np.flatnonzero(enter):
            events.append(self._entry_event(int(I[k]), float(p_scan[k]), t))
        for k in np.flatnonzero(leave):
            j = int(I[k])
            events.append(self._exit_event(j, float(p_scan[k]), t))
            events.append(self._violation(j, "exit", ongoing=False))
        state = np.where(enter, 1, np.where(leave, 0, state)).astype(np.int8)
        T["state"][I] = state
        T["prev_raw"][I] = raw
        if leave.any():
            g = I[leave]
            for c in _EPISODE_COLS:
                T[c][g] = _COLUMNS[c][1]

        # warnings: once per approach, re-issued when the prediction moves a lot
        ap, ai = _member(key[I], key_ap)
        ap &= (state == 0) & ~raw
        tau = np.where(ap, tau_ap[ai] if len(tau_ap) else 0.0, np.nan)
        wa = T["warn_active"][I]
        wct = T["warn_cross_t"][I]
        tc = t + tau
        reissue = wa & (np.abs(tc - wct) > np.maximum(cfg.warn_reissue_abs_s,
                                                      cfg.warn_reissue_rel * tau))
        issue = ap & (~wa | reissue)
        for k in np.flatnonzero(issue):
            events.append(self._warning_event(int(I[k]), t, float(tau[k]),
                                              float(plat_ap[ai[k]]), float(plon_ap[ai[k]])))
        miss = np.where(ap, 0, T["warn_miss"][I] + wa.astype(np.int32))
        wa = (wa | issue) & ~(miss >= cfg.warn_clear_scans) & (state == 0)
        T["warn_active"][I] = wa
        T["warn_cross_t"][I] = np.where(issue, tc, wct)
        T["warn_miss"][I] = np.where(wa, miss, 0)

        # drop pairs that carry no state any more
        keep = np.ones(len(key), dtype=bool)
        keep[I] = (state == 1) | raw | wa
        if not keep.all():
            for c in T:
                T[c] = T[c][keep]

        self._update_tracks(rows, t, lat, lon, alt, cur_c, ecef, ecef_g)
        return events

    def _update_tracks(self, rows: I64, t: float, lat: F64, lon: F64, alt: F64, cur_c: I64,
                       ecef: F64 | None = None, ecef_g: F64 | None = None) -> None:
        tr = self._tr
        tr.t[rows] = t
        tr.lat[rows], tr.lon[rows], tr.alt[rows] = lat, lon, alt
        tr.ecef[rows] = geodetic_to_ecef(lat, lon, alt) if ecef is None else ecef
        tr.ecef_g[rows] = geodetic_to_ecef(lat, lon, 0.0) if ecef_g is None else ecef_g
        ch = (cur_c >= 0) & (cur_c != tr.last_c[rows])
        r = rows[ch]
        tr.prev_c[r] = tr.last_c[r]
        tr.last_c[r] = cur_c[ch]

    def _merge(self, add: I64) -> None:
        T = self._pt
        new_keys = np.union1d(T["key"], add)
        if len(new_keys) == len(T["key"]):
            return
        pos = np.searchsorted(new_keys, T["key"])
        out = _empty_table(len(new_keys))
        for c, arr in T.items():
            out[c][pos] = arr
        out["key"] = new_keys
        self._pt = out

    def _zone_distance(self, z: I64, ecef_g: F64) -> F64:
        """Horizontal distance (M,) m from ground points to the boundary of zones ``z`` (M,):
        the minimum over the zone's parts, each in its own plane."""
        st = self._zone_part_start
        cnt = st[z + 1] - st[z]
        if np.all(cnt == 1):
            return self.zones.planes.distance_m(ecef_g, st[z])
        rep = np.repeat(np.arange(len(z)), cnt)
        part = np.repeat(st[z], cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        dist = self.zones.planes.distance_m(ecef_g[rep], part)
        return np.minimum.reduceat(dist, np.cumsum(cnt) - cnt)

    def _crossing(self, z: I64, lat0: F64, lon0: F64, alt0: F64, lat1: F64, lon1: F64,
                  alt1: F64, last: bool) -> tuple[F64, NDArray[np.bool_]]:
        """Crossing parameter s (M,) on the scan-to-scan segment and whether it was found.

        Lateral boundary first (last crossing for an entry, first for an exit); if the segment
        does not cross it, the floor/ceiling planes (altitude linear in s); else s = 0.5."""
        s = self.zones.edges.crossings(z, lon0, lat0, lon1, lat1, last)
        da = alt1 - alt0
        safe = np.where(da != 0.0, da, 1.0)
        cand = []
        for plane in (self.zones.floor_m[z], self.zones.ceiling_m[z]):
            sv = np.where(np.isfinite(plane) & (da != 0.0), (plane - alt0) / safe, np.nan)
            cand.append(np.where((sv >= 0.0) & (sv <= 1.0), sv, np.nan))
        sv = (np.fmax if last else np.fmin)(cand[0], cand[1])
        s = np.where(np.isnan(s), sv, s)
        ok = np.isfinite(s)
        return np.where(ok, s, 0.5), ok

    def _approaches(self, t: float, rows: I64, lat: F64, lon: F64, alt: F64, vel: F64,
                    speed: F64, key_h: I64) -> tuple[I64, F64, F64, F64]:
        """Pairs predicted to enter within the horizon: sorted keys, time to crossing (s),
        predicted crossing lat/lon. Straight line in lon/lat from the current velocity."""
        zs, cfg, Z = self.zones, self.config, self._Z
        h = cfg.warn_horizon_s
        mov = np.flatnonzero(np.isfinite(speed) & (speed >= cfg.warn_min_speed_mps))
        empty = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0))
        if len(mov) == 0:
            return empty
        m_r, n_r = _radii(lat[mov])
        dlat = np.degrees(vel[mov, 1] * h / m_r)
        dlon = np.degrees(vel[mov, 0] * h / (n_r * np.cos(np.radians(lat[mov]))))
        x0, y0 = lon[mov], lat[mov]
        x1, y1 = x0 + dlon, y0 + dlat
        # laterally outside: first crossing of the predicted segment with each zone it meets
        seg, kz_o, s = zs.edges.first_crossings(x0, y0, x1, y1)
        ti_o = mov[seg]
        keys_o = rows[ti_o] * Z + kz_o
        inh_o, _ = _member(keys_o, key_h)
        tt = s * h
        ac = alt[ti_o] + vel[ti_o, 2] * tt
        ok = ~inh_o & (s > 0.0) & (ac >= zs.floor_m[kz_o]) & (ac <= zs.ceiling_m[kz_o])
        out_k = [keys_o[ok]]
        out_t = [tt[ok]]
        out_lat = [y0[seg[ok]] + s[ok] * dlat[seg[ok]]]
        out_lon = [x0[seg[ok]] + s[ok] * dlon[seg[ok]]]
        # laterally inside, vertically outside: time to reach the floor / ceiling
        if len(key_h):
            slot = np.full(self._tr.cap, -1, dtype=np.int64)
            slot[rows] = np.arange(len(rows))
            ti = slot[key_h // Z]
            kz = key_h % Z
            a, vu = alt[ti], vel[ti, 2]
            fl, ce = zs.floor_m[kz], zs.ceiling_m[kz]
            with np.errstate(divide="ignore", invalid="ignore"):
                tt = np.where((a < fl) & (vu > 0), (fl - a) / vu,
                              np.where((a > ce) & (vu < 0), (a - ce) / -vu, np.nan))
            ok = tt <= h
            m_r, n_r = _radii(lat[ti])
            out_k.append(key_h[ok])
            out_t.append(tt[ok])
            out_lat.append(lat[ti][ok] + np.degrees(vel[ti, 1] * tt / m_r)[ok])
            out_lon.append(lon[ti][ok] + np.degrees(vel[ti, 0] * tt / (
                n_r * np.cos(np.radians(lat[ti]))))[ok])
        k_all = np.concatenate(out_k)
        order = np.argsort(k_all, kind="stable")
        k_all = k_all[order]
        first = np.ones(len(k_all), dtype=bool)
        first[1:] = k_all[1:] != k_all[:-1]
        pick = order[first]
        return (k_all[first], np.concatenate(out_t)[pick], np.concatenate(out_lat)[pick],
                np.concatenate(out_lon)[pick])

    # ------------------------------------------------------------------ closing and events

    def _close_rows(self, rows: I64, reason: str, ongoing: bool) -> list[dict[str, Any]]:
        """Close the open episodes of ``rows`` and forget their pairs (and free the rows when
        the tracks are lost)."""
        T, Z, tr = self._pt, self._Z, self._tr
        events: list[dict[str, Any]] = []
        if len(T["key"]):
            mine = np.isin(T["key"] // Z, rows)
            for j in np.flatnonzero(mine & (T["state"] == 1)):
                r = int(T["key"][j] // Z)
                if not T["prev_raw"][j] and np.isfinite(T["ex_t"][j]):
                    events.append(self._violation(int(j), "exit_unconfirmed", ongoing=ongoing))
                else:
                    T["ex_t"][j], T["ex_lat"][j] = tr.t[r], tr.lat[r]
                    T["ex_lon"][j], T["ex_alt"][j] = tr.lon[r], tr.alt[r]
                    T["ex_interp"][j] = False
                    events.append(self._violation(int(j), reason, ongoing=ongoing))
            for c in T:
                T[c] = T[c][~mine]
        if reason == "track_lost":
            for r in rows.tolist():
                del self._row_of[tr.ids[r]]
                tr.ids[r] = None
                tr.alive[r] = False
                tr.t[r] = np.nan
                self._free.append(r)
            self._cache_ids = self._cache_rows = None
        return events

    def _common(self, j: int, event: str) -> dict[str, Any]:
        key = int(self._pt["key"][j])
        r, z = divmod(key, self._Z)
        zone = self.zones.zones[z]
        return {"event": event, "track_id": self._tr.ids[r], "zone_id": zone.id,
                "zone_kind": zone.kind, "zone_name": zone.name, "country": zone.country}

    def _country(self, code: int) -> str:
        return self.zones.countries[code] if code >= 0 else ""

    def _entry_event(self, j: int, p: float, t: float) -> dict[str, Any]:
        T = self._pt
        e = self._common(j, "entry")
        et = float(T["ent_t"][j])
        e.update(time=self.iso(et), t_s=_num(et, 3), lat=_num(T["ent_lat"][j], 7),
                 lon=_num(T["ent_lon"][j], 7), alt_m=_num(T["ent_alt"][j], 1),
                 p_inside=_num(p, 4), declared_t_s=_num(t, 3),
                 interpolated=bool(T["ent_interp"][j]),
                 from_country=self._country(int(T["ent_from"][j])))
        return e

    def _exit_event(self, j: int, p: float, t: float) -> dict[str, Any]:
        T = self._pt
        e = self._common(j, "exit")
        xt = float(T["ex_t"][j]) if np.isfinite(T["ex_t"][j]) else t
        e.update(time=self.iso(xt), t_s=_num(xt, 3), lat=_num(T["ex_lat"][j], 7),
                 lon=_num(T["ex_lon"][j], 7), alt_m=_num(T["ex_alt"][j], 1),
                 p_inside=_num(p, 4), declared_t_s=_num(t, 3),
                 interpolated=bool(T["ex_interp"][j]))
        return e

    def _warning_event(self, j: int, t: float, tau: float, plat: float, plon: float
                       ) -> dict[str, Any]:
        e = self._common(j, "warning")
        e.update(time=self.iso(t), t_s=_num(t, 3),
                 predicted_crossing_time=self.iso(t + tau),
                 predicted_crossing_t_s=_num(t + tau, 3),
                 time_to_crossing_s=_num(tau, 2), predicted_lat=_num(plat, 7),
                 predicted_lon=_num(plon, 7))
        return e

    def _violation(self, j: int, reason: str, ongoing: bool) -> dict[str, Any]:
        T = self._pt
        e = self._common(j, "violation")
        et, xt = float(T["ent_t"][j]), float(T["ex_t"][j])
        md, ms = float(T["max_depth"][j]), float(T["md_sigma"][j])
        p_deep = float(normal_cdf(np.array([md / ms]))[0]) if np.isfinite(md / ms) else 0.0
        p_ep = float(T["p_ep"][j])
        e.update(
            time=self.iso(xt), t_s=_num(xt, 3),
            from_country=self._country(int(T["ent_from"][j])),
            entry_time=self.iso(et), exit_time=self.iso(xt),
            entry_t_s=_num(et, 3), exit_t_s=_num(xt, 3),
            entry_point=[_num(T["ent_lat"][j], 7), _num(T["ent_lon"][j], 7)],
            exit_point=[_num(T["ex_lat"][j], 7), _num(T["ex_lon"][j], 7)],
            entry_interpolated=bool(T["ent_interp"][j]),
            exit_interpolated=bool(T["ex_interp"][j]),
            duration_s=_num(xt - et, 3),
            max_depth_m=_num(md, 1),
            max_depth_point=[_num(T["md_lat"][j], 7), _num(T["md_lon"][j], 7)],
            sigma_at_max_depth_m=_num(ms, 1),
            path_length_m=_num(T["path"][j], 1),
            min_alt_m=_num(T["min_alt"][j], 1), max_alt_m=_num(T["max_alt"][j], 1),
            max_speed_mps=_num(T["max_speed"][j], 2),
            p_inside=_num(p_deep, 4), p_episode=_num(p_ep, 4),
            confidence=confidence_label(p_ep),
            ongoing=bool(ongoing), end_reason=reason, n_scans=int(T["n_scans"][j]),
        )
        return e
