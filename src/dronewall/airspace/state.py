"""Monitor state: the sparse per-(track, zone) *pair table* and the per-track *row table*.

Pair table: a struct of arrays (one dict entry per column, all the same length) sorted by
``key = row * Z + zone``; only pairs with state live in it (inside, in an open episode or
candidate run, or warned). Columns (:data:`COLUMNS`) hold the hysteresis state, the entry and
pending-exit crossings, the episode accumulators and the warning state.

Row table (:class:`TrackRows`): each track id gets a row of the per-track arrays (last position,
time, ECEF points, last two sovereign countries); rows of lost tracks are reused.

:class:`PairView` joins one scan's tracks with their rows of the pair table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.geo.frames import geodetic_to_ecef

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]
#: The pair table: column name -> array (all of the same length, sorted by ``key``).
PairTable = dict[str, np.ndarray]

#: Pair-table columns: name -> (dtype, default).
COLUMNS: dict[str, tuple[Any, Any]] = {
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
    "md_pvert": (np.float64, np.nan),  # P(inside the altitude band) at the deepest scan
    # the depth and p_ep above come from scans where a sensor located the track (a fix, not
    # a prediction); until the first such scan, from predictions
    "md_loc": (np.bool_, False),
    "max_sig_alt": (np.float64, np.nan),  # largest altitude 1-sigma over the scans inside, m
    "p_ep": (np.float64, 0.0), "path": (np.float64, 0.0),
    "min_alt": (np.float64, np.inf), "max_alt": (np.float64, -np.inf),
    "max_speed": (np.float64, 0.0), "n_scans": (np.int32, 0),
    "warn_active": (np.bool_, False), "warn_cross_t": (np.float64, np.nan),
    "warn_miss": (np.int32, 0),
}
#: Columns of one episode (or candidate run): reset when a run starts and when an episode ends.
EPISODE_COLS = ("max_depth", "md_lat", "md_lon", "md_sigma", "md_pvert", "md_loc", "max_sig_alt",
                "p_ep", "path", "min_alt",
                "max_alt", "max_speed", "n_scans", "ex_t", "ex_lat", "ex_lon", "ex_alt",
                "ex_interp")


def empty_table(n: int = 0) -> PairTable:
    """A pair table of ``n`` rows holding the column defaults."""
    return {k: np.full(n, d, dtype=t) for k, (t, d) in COLUMNS.items()}


def member(a: I64, sorted_b: I64) -> tuple[B, I64]:
    """(a in b mask, index into b) for sorted unique b."""
    if len(sorted_b) == 0:
        return np.zeros(len(a), dtype=bool), np.zeros(len(a), dtype=np.int64)
    idx = np.searchsorted(sorted_b, a)
    idx_c = np.minimum(idx, len(sorted_b) - 1)
    return sorted_b[idx_c] == a, idx_c


def merge_keys(T: PairTable, add: I64) -> PairTable:
    """``T`` with rows (defaults) for the keys of ``add`` it lacks; ``T`` itself if none."""
    new_keys = np.union1d(T["key"], add)
    if len(new_keys) == len(T["key"]):
        return T
    pos = np.searchsorted(new_keys, T["key"])
    out = empty_table(len(new_keys))
    for c, arr in T.items():
        out[c][pos] = arr
    out["key"] = new_keys
    return out


def keep_pairs(T: PairTable, keep: B) -> None:
    """Drop (in place) the rows of ``T`` where ``keep`` is False."""
    for c in T:
        T[c] = T[c][keep]


def reset_episode(T: PairTable, g: I64) -> None:
    """Reset the episode columns of table rows ``g`` to their defaults."""
    for c in EPISODE_COLS:
        T[c][g] = COLUMNS[c][1]


@dataclass(frozen=True)
class PairView:
    """The pair-table rows of the tracks in this scan (M pairs), aligned arrays (M,).

    ``idx``: row in the pair table; ``slot``: index of the track in this scan's arrays;
    ``zone``: zone index; ``raw``: inside this scan (lateral and altitude band); ``hin``:
    laterally inside (any altitude); ``state``: declared state before this scan (a copy);
    ``prev_raw``: raw inside at the pair's previous scan; ``has_prev``: the track had a previous
    scan (a scan-to-scan segment exists).
    """

    idx: I64
    slot: I64
    zone: I64
    raw: B
    hin: B
    state: NDArray[np.int8]
    prev_raw: B
    has_prev: B


def pair_view(T: PairTable, cap: int, rows: I64, n_zone_slots: int, key_raw: I64, key_h: I64,
              has_prev: B) -> PairView:
    """Join the scan's track ``rows`` (N,) with the pair table ``T``; ``key_raw`` / ``key_h``:
    sorted keys of the pairs raw-inside / laterally inside this scan; ``has_prev`` (N,)."""
    Z = n_zone_slots
    slot_of = np.full(cap, -1, dtype=np.int64)
    slot_of[rows] = np.arange(len(rows))
    key = T["key"]
    I = np.flatnonzero(slot_of[key // Z] >= 0)  # noqa: E741 - the pair index of the maths
    s_ = slot_of[key[I] // Z]
    raw, _ = member(key[I], key_raw)
    hin, _ = member(key[I], key_h)
    return PairView(idx=I, slot=s_, zone=key[I] % Z, raw=raw, hin=hin,
                    state=T["state"][I].copy(), prev_raw=T["prev_raw"][I],
                    has_prev=has_prev[s_])


@dataclass
class TrackRows:
    """Per-track state arrays (capacity ``cap``) and the id -> row map; rows of lost tracks are
    reused. ``t`` s (NaN: not yet seen), ``lat``/``lon`` deg, ``alt`` m, ``ecef``/``ecef_g``
    (cap, 3) m (track point and its ground point), ``last_c``/``prev_c``: the last and the
    previous sovereign country code under the track (-1 none)."""

    cap: int = 0
    ids: list[Any] = field(default_factory=list)
    alive: B = field(default_factory=lambda: np.zeros(0, bool))
    t: F64 = field(default_factory=lambda: np.zeros(0))
    lat: F64 = field(default_factory=lambda: np.zeros(0))
    lon: F64 = field(default_factory=lambda: np.zeros(0))
    alt: F64 = field(default_factory=lambda: np.zeros(0))
    ecef: F64 = field(default_factory=lambda: np.zeros((0, 3)))
    ecef_g: F64 = field(default_factory=lambda: np.zeros((0, 3)))
    last_c: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    prev_c: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    row_of: dict[Any, int] = field(default_factory=dict)
    free: list[int] = field(default_factory=list)
    n_rows: int = 0
    cache_ids: list[Any] | None = None
    cache_rows: I64 | None = None

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

    def known_rows(self, ids: list[Any]) -> I64:
        """Row of each id, -1 for ids not seen before (the last call's rows when the ids are
        the same list: the engine passes the same tracks scan after scan)."""
        if self.cache_ids is not None and ids == self.cache_ids:
            assert self.cache_rows is not None
            return self.cache_rows.copy()
        get = self.row_of.get
        return np.fromiter((get(i, -1) for i in ids), dtype=np.int64, count=len(ids))

    def allocate(self, ids: list[Any], rows: I64) -> I64:
        """Give rows to the ids not seen before (reusing freed rows first)."""
        for k in np.flatnonzero(rows < 0).tolist():
            if self.free:
                r = self.free.pop()
            else:
                r = self.n_rows
                self.n_rows += 1
                self.grow(self.n_rows)
            rows[k] = r
            self.row_of[ids[k]] = r
            self.ids[r] = ids[k]
            self.alive[r] = True
            self.t[r] = np.nan
            self.last_c[r] = self.prev_c[r] = -1
        self.cache_ids, self.cache_rows = ids, rows.copy()
        return rows

    def release(self, rows: I64) -> None:
        """Forget the tracks of ``rows`` and free the rows for reuse."""
        for r in rows.tolist():
            del self.row_of[self.ids[r]]
            self.ids[r] = None
            self.alive[r] = False
            self.t[r] = np.nan
            self.free.append(r)
        self.cache_ids = self.cache_rows = None

    def update(self, rows: I64, t: float, lat: F64, lon: F64, alt: F64, cur_c: I64,
               ecef: F64 | None = None, ecef_g: F64 | None = None) -> None:
        """Record this scan's positions of ``rows`` and their sovereign country ``cur_c``."""
        self.t[rows] = t
        self.lat[rows], self.lon[rows], self.alt[rows] = lat, lon, alt
        self.ecef[rows] = geodetic_to_ecef(lat, lon, alt) if ecef is None else ecef
        self.ecef_g[rows] = geodetic_to_ecef(lat, lon, 0.0) if ecef_g is None else ecef_g
        ch = (cur_c >= 0) & (cur_c != self.last_c[rows])
        r = rows[ch]
        self.prev_c[r] = self.last_c[r]
        self.last_c[r] = cur_c[ch]
