r"""Engagement windows: when and where each effector can intercept each track.

Vectorised over E effector sites x N tracks x K time samples ``tau_k = k dt`` (k = 0..K-1,
``tau`` seconds after the planning time ``t_s``); no Python loop over tracks or effectors
(effectors are processed in blocks only to bound memory). See ``docs/engagement.md``.

Prediction (constant velocity in the scenario ENU frame)::

    P_nk  = p_n + v_n tau_k                                          predicted point (N, K, 3)
    sigma = sqrt(sigma_p^2 + sigma_v^2 t_f^2 + q t_f^3 / 3)          1-sigma miss at intercept

(``q`` m^2/s^3: white-noise-acceleration process noise; ``q t^3 / 3`` is its position variance
after ``t``). The miss is grown over the *flight time* ``t_f = R / speed`` only, not over the
time from now: the planner re-plans every cycle, so the shot leaves with the track as it is
at launch, and the prediction error that matters is the one accumulated while the interceptor
flies on that cue (mid-course updates would only make it smaller: conservative). Altitude is the WGS84 height of ``P`` (the frame's up axis drifts
from the local vertical by ~800 m at 100 km, so it is converted, not read from ``z``).

Feasibility of (e, n, k): slant range ``R = |P_nk - S_e|`` in ``[min_range, max_range]``;
altitude in ``[min_alt, max_alt]``; **timing** ``tau_k >= reaction_e + R / speed_e`` (the shot
must be fired after the reaction time and the interceptor must fly to the point); the point is
not over a zone kind the effector must avoid (kinetic: ``roe.no_kinetic_kinds``, default
``no_fire`` and ``airport``; non-kinetic: the type's ``restricted_zone_kinds``, e.g. lasers near
airports); with ``roe.engagement_zones_only`` the point must lie in an ``engagement`` zone. Zone
tests are on the ground projection of the point, ignoring zone altitude bands: what is hit
falls on the ground below.

The geometric factor of a sample is::

    pk_geom = 1 - exp(-b^2 / (2 sigma^2))

the probability that a target with circular Gaussian position error lies within the
effector's acquisition basket ``b`` around the cued point [E]. The window of a pair is
``[earliest, latest]`` feasible sample; the intercept is planned at the earliest sample whose
``pk_geom`` reaches ``PK_GEOM_FRACTION`` of the best in the window (shoot early, look, shoot
again -- but not at the rim of a long-range interceptor's reach, where its long flight on an
old cue makes a miss likely). Reported with it: the point (ENU and WGS84), the range, the
launch time, the predicted 1-sigma miss ``sigma`` and ``pk_geom``. A kinetic effector's pair is
flagged ``debris`` when its intercept point lies over a ``no_fire`` (populated) zone (only
possible when the ROE allow it). Infeasible pairs get the first failing :class:`Reason` in the
order range -> altitude -> timing -> no-fire -> airport -> engagement zone; track-level
(ROE, cooperative) and effector-level (magazine, busy, weather) gates given by the caller
override it.
"""

from __future__ import annotations

import weakref

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from dronewall.airspace.zones import ZONE_KINDS, ZoneSet
from dronewall.catalog.effectors import EffectorType
from dronewall.catalog.platforms import PlatformClass
from dronewall.engagement.roe import Reason, Roe
from dronewall.errors import InputError
from dronewall.geo.frames import Frame

F64 = NDArray[np.float64]
B = NDArray[np.bool_]
I8 = NDArray[np.int8]

#: Process noise of the constant-velocity prediction, m^2/s^3 [E]: ~0.05 grows a 50 m track
#: error to ~300 m after 2 min and ~700 m after 5 min, typical of a Shahed-class drone that
#: holds its course between waypoints (a hard manoeuvre breaks any prediction anyway).
PROCESS_NOISE_Q = 0.05
#: Default prediction horizon and time step, s: 15 min covers a fighter scramble (reaction
#: ~900 s); 2 s is finer than a gun's reaction time and a drone's 100 m of flight.
HORIZON_S = 900.0
DT_S = 2.0
#: The intercept is planned at the earliest sample whose pk_geom reaches this fraction of the
#: best sample of the window: earlier shots leave time to look and shoot again (and a plan
#: whose launch keeps sliding later, as the best point recedes with an approaching target,
#: would never be due) [E].
PK_GEOM_FRACTION = 0.8
#: Largest (E_block x N x K) array built at once (bounds memory to ~10 arrays of 32 MB).
BLOCK_ELEMENTS = 4_000_000

_KIND_INDEX = {k: i for i, k in enumerate(ZONE_KINDS)}


@dataclass(frozen=True)
class TrackArrays:
    """Tracks to plan against, struct of arrays over N tracks (scenario ENU frame, SI).

    ``track_id`` (N,); ``pos_m`` (N, 3) and ``vel_mps`` (N, 3) ENU; ``pos_sigma_m`` (N,) 1-sigma
    position error now; ``vel_sigma_mps`` (N,) 1-sigma velocity error (default 0).
    """

    track_id: NDArray[Any]
    pos_m: F64
    vel_mps: F64
    pos_sigma_m: F64
    vel_sigma_mps: F64 | None = None

    def __post_init__(self) -> None:
        ids = np.asarray(self.track_id)
        n = ids.shape[0] if ids.ndim == 1 else -1
        if n < 0:
            raise InputError(f"tracks.track_id: got shape {ids.shape}; expected (N,)")
        pos = _arr(self.pos_m, (n, 3), "tracks.pos_m")
        vel = _arr(self.vel_mps, (n, 3), "tracks.vel_mps")
        sig = _arr(self.pos_sigma_m, (n,), "tracks.pos_sigma_m")
        vs = (np.zeros(n) if self.vel_sigma_mps is None
              else _arr(self.vel_sigma_mps, (n,), "tracks.vel_sigma_mps"))
        if np.any(sig < 0) or np.any(vs < 0):
            raise InputError("tracks: pos_sigma_m and vel_sigma_mps must be >= 0")
        for k, v in (("track_id", ids), ("pos_m", pos), ("vel_mps", vel), ("pos_sigma_m", sig),
                     ("vel_sigma_mps", vs)):
            object.__setattr__(self, k, v)

    def __len__(self) -> int:
        return int(self.pos_m.shape[0])

    def subset(self, idx: NDArray[np.int64]) -> TrackArrays:
        return TrackArrays(self.track_id[idx], self.pos_m[idx], self.vel_mps[idx],
                           self.pos_sigma_m[idx], None if self.vel_sigma_mps is None
                           else self.vel_sigma_mps[idx])


@dataclass(frozen=True)
class Weather:
    """Current weather at the defended area (one value for all effectors)."""

    wind_mps: float = 0.0
    visibility_m: float = 20_000.0
    rain: bool = False
    fog: bool = False


@dataclass(frozen=True)
class EffectorArrays:
    """Effector sites as struct of arrays over E sites (scenario ENU frame, SI, EUR).

    Built with :meth:`from_types`; per-site overrides replace catalogue figures.
    ``exclude_kinds`` (E, len(ZONE_KINDS)) bool: zone kinds the site must not intercept over
    (filled per ROE in :func:`engagement_windows` for kinetic sites).
    """

    ids: tuple[str, ...]
    type_keys: tuple[str, ...]
    pos_m: F64
    kinetic: B
    debris: B
    restricted_kinds: B
    pk: F64  # (E, 7)
    cost_per_shot_eur: F64
    min_range_m: F64
    max_range_m: F64
    min_alt_m: F64
    max_alt_m: F64
    reaction_s: F64
    speed_mps: F64
    basket_m: F64
    time_per_engagement_s: F64
    max_wind_mps: F64
    min_visibility_m: F64
    rain_ok: B
    fog_ok: B

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_types(cls, ids: Sequence[str], types: Sequence[EffectorType], lat_deg: ArrayLike,
                   lon_deg: ArrayLike, height_m: ArrayLike, frame: Frame,
                   overrides: Sequence[Mapping[str, Any]] | None = None) -> EffectorArrays:
        """Sites from catalogue types at WGS84 positions (``height_m`` above the ellipsoid;
        no terrain model). ``overrides[e]`` may set ``min_range_m``, ``max_range_m``,
        ``min_alt_m``, ``max_alt_m``, ``reaction_time_s``, ``cost_per_shot_eur`` and ``pk``
        (mapping class name -> value)."""
        e = len(types)
        if len(ids) != e:
            raise InputError(f"effectors: {len(ids)} ids for {e} types")
        lat = np.broadcast_to(np.asarray(lat_deg, dtype=np.float64), (e,))
        lon = np.broadcast_to(np.asarray(lon_deg, dtype=np.float64), (e,))
        h = np.broadcast_to(np.asarray(height_m, dtype=np.float64), (e,))
        ov = list(overrides) if overrides is not None else [{}] * e
        if len(ov) != e:
            raise InputError(f"effectors: {len(ov)} overrides for {e} types")

        def col(name: str, attr: str | None = None) -> F64:
            attr = attr or name
            return np.array([float(o[name]) if o.get(name) is not None else float(getattr(t, attr))
                             for t, o in zip(types, ov, strict=True)], dtype=np.float64)

        pk = np.array([t.pk_by_class for t in types], dtype=np.float64).reshape(e, 7)
        for i, o in enumerate(ov):
            for cname, p in (o.get("pk") or {}).items():
                try:
                    c = PlatformClass[cname]
                except KeyError:
                    raise InputError(f"effectors[{i}].pk: unknown class {cname!r}; expected one "
                                     f"of {', '.join(c.name for c in PlatformClass)}") from None
                if not 0.0 <= float(p) <= 1.0:
                    raise InputError(f"effectors[{i}].pk.{cname}: got {p}; expected [0, 1]")
                pk[i, c] = float(p)
        restricted = np.zeros((e, len(ZONE_KINDS)), dtype=bool)
        for i, t in enumerate(types):
            for k in t.restricted_zone_kinds:
                restricted[i, _KIND_INDEX[k]] = True
        out = cls(
            ids=tuple(str(i) for i in ids), type_keys=tuple(t.key for t in types),
            pos_m=frame.geodetic_to_local(lat, lon, h).reshape(e, 3),
            kinetic=np.array([t.kinetic for t in types], dtype=bool),
            debris=np.array([t.side_effects.debris for t in types], dtype=bool),
            restricted_kinds=restricted, pk=pk,
            cost_per_shot_eur=col("cost_per_shot_eur"),
            min_range_m=col("min_range_m"), max_range_m=col("max_range_m"),
            min_alt_m=col("min_alt_m"), max_alt_m=col("max_alt_m"),
            reaction_s=col("reaction_time_s"),
            speed_mps=np.array([t.speed_mps for t in types], dtype=np.float64),
            basket_m=np.array([t.acquisition_basket_m for t in types], dtype=np.float64),
            time_per_engagement_s=np.array([t.time_per_engagement_s for t in types]),
            max_wind_mps=np.array([t.weather.max_wind_mps for t in types]),
            min_visibility_m=np.array([t.weather.min_visibility_m for t in types]),
            rain_ok=np.array([t.weather.rain_ok for t in types], dtype=bool),
            fog_ok=np.array([t.weather.fog_ok for t in types], dtype=bool),
        )
        bad = np.flatnonzero(out.min_range_m >= out.max_range_m)
        if len(bad):
            raise InputError(f"effector {out.ids[bad[0]]!r}: min_range_m must be below "
                             "max_range_m")
        bad = np.flatnonzero(out.min_alt_m >= out.max_alt_m)
        if len(bad):
            raise InputError(f"effector {out.ids[bad[0]]!r}: min_alt_m must be below max_alt_m")
        return out

    def weather_ok(self, weather: Weather | None) -> B:
        """(E,) whether each site can fire in ``weather`` (all True when None)."""
        if weather is None:
            return np.ones(len(self), dtype=bool)
        return ((weather.wind_mps <= self.max_wind_mps)
                & (weather.visibility_m >= self.min_visibility_m)
                & (self.rain_ok | (not weather.rain)) & (self.fog_ok | (not weather.fog)))


@dataclass(frozen=True)
class Windows:
    """Engagement windows of E sites x N tracks (all arrays (E, N) unless stated).

    ``feasible``; ``reason`` :class:`Reason` codes (OK where feasible); ``t_intercept_s``
    earliest feasible intercept time and ``t_latest_s`` end of the window (absolute, NaN where
    infeasible); ``t_launch_s`` when the shot must leave; ``point_enu_m`` (E, N, 3),
    ``lat_deg``, ``lon_deg``, ``alt_m`` the intercept point; ``range_m`` slant range to it;
    ``miss_sigma_m`` predicted 1-sigma position error at intercept; ``pk_geom`` acquisition
    factor in [0, 1] (0 where infeasible); ``debris`` kinetic intercept over a no-fire zone;
    ``distance_now_m`` current site-track distance.
    """

    feasible: B
    reason: I8
    t_intercept_s: F64
    t_latest_s: F64
    t_launch_s: F64
    point_enu_m: F64
    lat_deg: F64
    lon_deg: F64
    alt_m: F64
    range_m: F64
    miss_sigma_m: F64
    pk_geom: F64
    debris: B
    distance_now_m: F64


def zone_kind_membership(zones: ZoneSet | None, lat_deg: F64, lon_deg: F64,
                         include_sovereign: bool = False) -> B:
    """(len(ZONE_KINDS), M) whether each ground point (M,) lies inside a zone of each kind;
    the ``sovereign`` row only with ``include_sovereign`` (costly: country-sized polygons).

    One STRtree query over all points (``predicate='intersects'`` against the prepared parts,
    so points on a border count as inside: conservative for no-fire zones)."""
    m = lat_deg.shape[0]
    out = np.zeros((len(ZONE_KINDS), m), dtype=bool)
    if zones is None or len(zones) == 0 or m == 0:
        return out
    tree, part_kind, sov = _kind_index(zones)
    if tree is not None:
        pi, part = tree.query(shapely.points(lon_deg, lat_deg), predicate="intersects")
        if len(pi):
            out[part_kind[part], pi] = True
    # Sovereign zones are country-sized polygons with 10^4-10^5 vertices: a point query against
    # them dominated planning time, so they are tested only when some effector must avoid them.
    if include_sovereign and sov:
        si = np.flatnonzero(zones.sovereign[zones.part_zone])
        pi, part = shapely.STRtree(zones.parts[si]).query(shapely.points(lon_deg, lat_deg),
                                                          predicate="intersects")
        out[_KIND_INDEX["sovereign"], pi] = True
    return out


#: Per ZoneSet: an STRtree over the parts of its non-sovereign zones and their kind indices.
_KIND_CACHE: weakref.WeakKeyDictionary[Any, tuple[Any, NDArray[np.int64], bool]] = \
    weakref.WeakKeyDictionary()


def _kind_index(zones: ZoneSet) -> tuple[Any, NDArray[np.int64], bool]:
    hit = _KIND_CACHE.get(zones)
    if hit is not None:
        return hit
    kinds = np.array([_KIND_INDEX[z.kind] for z in zones.zones], dtype=np.int64)
    keep = np.flatnonzero(~zones.sovereign[zones.part_zone])
    tree = shapely.STRtree(zones.parts[keep]) if keep.size else None
    res = (tree, kinds[zones.part_zone[keep]], bool(zones.sovereign.any()))
    _KIND_CACHE[zones] = res
    return res


def engagement_windows(eff: EffectorArrays, tracks: TrackArrays, zones: ZoneSet | None,
                       frame: Frame, horizon_s: float = HORIZON_S, dt_s: float = DT_S,
                       roe: Roe | None = None, *, t_s: float = 0.0,
                       track_gate: ArrayLike | None = None,
                       effector_gate: ArrayLike | None = None,
                       weather: Weather | None = None,
                       process_noise: float = PROCESS_NOISE_Q) -> Windows:
    """Windows for every site-track pair (see the module docstring).

    ``roe`` gives the zone kinds kinetic effectors avoid and ``engagement_zones_only`` (default
    ``Roe()``). ``track_gate`` (N,) and ``effector_gate`` (E,) are optional :class:`Reason`
    codes (0 = OK) from the ROE check and the site state (magazine, busy); a non-OK gate makes
    every pair of that track / site infeasible with that reason. ``weather`` adds ``WEATHER``
    for sites outside their limits.
    """
    if not (math.isfinite(horizon_s) and horizon_s > 0 and math.isfinite(dt_s) and dt_s > 0):
        raise InputError(f"horizon_s and dt_s must be > 0; got {horizon_s}, {dt_s}")
    roe = roe or Roe()
    e_n, n_n = len(eff), len(tracks)
    k_n = math.floor(horizon_s / dt_s) + 1
    tau = np.arange(k_n, dtype=np.float64) * dt_s  # (K,)

    # ---- track prediction, shared by all effectors
    pts = tracks.pos_m[:, None, :] + tracks.vel_mps[:, None, :] * tau[None, :, None]  # (N,K,3)
    vs = tracks.vel_sigma_mps if tracks.vel_sigma_mps is not None else np.zeros(n_n)
    flat = pts.reshape(-1, 3)
    lat, lon, alt = (a.reshape(n_n, k_n) for a in frame.local_to_geodetic(flat)) \
        if n_n else (np.zeros((0, k_n)),) * 3
    # (E, kinds): what each site must avoid
    avoid = eff.restricted_kinds.copy()
    kin_kinds = np.zeros(len(ZONE_KINDS), dtype=bool)
    for k in roe.no_kinetic_kinds:
        if k not in _KIND_INDEX:
            raise InputError(f"roe.no_kinetic_kinds: unknown zone kind {k!r}; expected one of "
                             f"{', '.join(ZONE_KINDS)}")
        kin_kinds[_KIND_INDEX[k]] = True
    avoid[eff.kinetic] = kin_kinds
    member = zone_kind_membership(
        zones, lat.ravel(), lon.ravel(),
        include_sovereign=bool(avoid[:, _KIND_INDEX["sovereign"]].any()),
    ).reshape(len(ZONE_KINDS), n_n, k_n)
    nofire = member[_KIND_INDEX["no_fire"]]  # (N,K)
    airport = member[_KIND_INDEX["airport"]]
    other_kinds = [i for i, k in enumerate(ZONE_KINDS) if k not in ("no_fire", "airport")]
    engage_zone = member[_KIND_INDEX["engagement"]]

    out = {k: np.empty((e_n, n_n)) for k in ("t_int", "t_last", "t_launch", "lat", "lon",
                                              "alt", "rng", "sig")}
    feasible = np.zeros((e_n, n_n), dtype=bool)
    reason = np.zeros((e_n, n_n), dtype=np.int8)
    point = np.full((e_n, n_n, 3), np.nan)
    debris = np.zeros((e_n, n_n), dtype=bool)

    block = max(1, BLOCK_ELEMENTS // max(1, n_n * k_n))
    p2 = np.einsum("nkj,nkj->nk", pts, pts)  # (N,K) |P|^2
    for e0 in range(0, e_n, block):
        sl = slice(e0, min(e_n, e0 + block))
        s = eff.pos_m[sl]  # (b,3)
        # |P - S|^2 = |P|^2 + |S|^2 - 2 P.S  (no (b,N,K,3) temporary)
        r2 = p2[None] + np.einsum("bj,bj->b", s, s)[:, None, None] \
            - 2.0 * np.einsum("nkj,bj->bnk", pts, s)
        rng = np.sqrt(np.maximum(r2, 0.0))  # (b,N,K)
        m_range = (rng >= eff.min_range_m[sl, None, None]) & (rng <= eff.max_range_m[sl, None, None])
        m_alt = m_range & (alt[None] >= eff.min_alt_m[sl, None, None]) \
            & (alt[None] <= eff.max_alt_m[sl, None, None])
        with np.errstate(invalid="ignore"):
            flight = rng / eff.speed_mps[sl, None, None]  # inf speed -> 0
        m_time = m_alt & (tau[None, None, :] >= eff.reaction_s[sl, None, None] + flight)
        av = avoid[sl]  # (b, kinds)
        m_nf = m_time & ~(av[:, _KIND_INDEX["no_fire"], None, None] & nofire[None])
        others = np.zeros_like(m_nf)
        for ki in other_kinds:  # a handful of kinds; each a broadcast over (b,N,K)
            if av[:, ki].any():
                others |= av[:, ki, None, None] & member[ki][None]
        m_nf &= ~others
        m_ap = m_nf & ~(av[:, _KIND_INDEX["airport"], None, None] & airport[None])
        m_ez = m_ap & engage_zone[None] if roe.engagement_zones_only else m_ap

        stages = ((m_range, Reason.OUT_OF_RANGE), (m_alt, Reason.ALTITUDE),
                  (m_time, Reason.TOO_LATE), (m_nf, Reason.NO_FIRE_ZONE),
                  (m_ap, Reason.AIRPORT_ZONE), (m_ez, Reason.OUTSIDE_ENGAGEMENT_ZONE))
        rsn = np.zeros(m_ez.shape[:2], dtype=np.int8)
        for m, code in reversed(stages):  # nested masks: the earliest failing stage wins
            rsn[~m.any(axis=2)] = code
        ok = m_ez.any(axis=2)
        rsn[ok] = Reason.OK
        with np.errstate(invalid="ignore", divide="ignore"):
            t_f_all = rng / eff.speed_mps[sl, None, None]  # (b,N,K) flight time (0: light)
            var = (tracks.pos_sigma_m[None, :, None] ** 2
                   + (vs[None, :, None] * t_f_all) ** 2 + process_noise * t_f_all ** 3 / 3.0)
            pkg = 1.0 - np.exp(-eff.basket_m[sl, None, None] ** 2
                               / (2.0 * np.maximum(var, 1e-18)))
        pkg = np.where(m_ez, pkg, -1.0)
        best = pkg.max(axis=2, initial=-1.0)  # (b,N)
        first = np.argmax(pkg >= PK_GEOM_FRACTION * best[..., None], axis=2)  # (b,N)
        del t_f_all, var
        last = k_n - 1 - np.argmax(m_ez[:, :, ::-1], axis=2)
        bi, ni = np.indices(first.shape)
        r_at = rng[bi, ni, first]
        t_int = np.where(ok, t_s + tau[first], np.nan)
        out["t_int"][sl] = t_int
        out["t_last"][sl] = np.where(ok, t_s + tau[last], np.nan)
        with np.errstate(invalid="ignore"):
            out["t_launch"][sl] = np.where(ok, t_int - r_at / eff.speed_mps[sl, None], np.nan)
        out["rng"][sl] = np.where(ok, r_at, np.nan)
        out["lat"][sl] = np.where(ok, lat[ni, first], np.nan)
        out["lon"][sl] = np.where(ok, lon[ni, first], np.nan)
        out["alt"][sl] = np.where(ok, alt[ni, first], np.nan)
        with np.errstate(invalid="ignore"):
            t_f = np.where(ok, r_at / eff.speed_mps[sl, None], np.nan)  # flight time
        out["sig"][sl] = np.sqrt(tracks.pos_sigma_m[None, :] ** 2 + (vs[None, :] * t_f) ** 2
                                 + process_noise * t_f ** 3 / 3.0)
        point[sl] = np.where(ok[..., None], pts[ni, first], np.nan)
        debris[sl] = ok & (eff.kinetic[sl, None] & eff.debris[sl, None]) & nofire[ni, first]
        feasible[sl] = ok
        reason[sl] = rsn

    # ---- gates: weather, site state, track ROE
    wx = eff.weather_ok(weather)
    reason[~wx] = Reason.WEATHER
    if effector_gate is not None:
        g = np.asarray(effector_gate, dtype=np.int8)
        if g.shape != (e_n,):
            raise InputError(f"effector_gate: got shape {g.shape}; expected ({e_n},)")
        reason[g != 0] = g[g != 0, None]
    if track_gate is not None:
        g = np.asarray(track_gate, dtype=np.int8)
        if g.shape != (n_n,):
            raise InputError(f"track_gate: got shape {g.shape}; expected ({n_n},)")
        reason[:, g != 0] = g[None, g != 0]
    feasible &= reason == Reason.OK
    for k in ("t_int", "t_last", "t_launch", "lat", "lon", "alt", "rng", "sig"):
        out[k][~feasible] = np.nan
    point[~feasible] = np.nan
    debris &= feasible
    with np.errstate(divide="ignore", invalid="ignore"):
        pk_geom = np.where(feasible, 1.0 - np.exp(-eff.basket_m[:, None] ** 2
                                                  / (2.0 * np.maximum(out["sig"], 1e-9) ** 2)),
                           0.0)
    d_now = np.linalg.norm(tracks.pos_m[None, :, :] - eff.pos_m[:, None, :], axis=2) \
        if e_n and n_n else np.zeros((e_n, n_n))
    return Windows(feasible=feasible, reason=reason, t_intercept_s=out["t_int"],
                   t_latest_s=out["t_last"], t_launch_s=out["t_launch"], point_enu_m=point,
                   lat_deg=out["lat"], lon_deg=out["lon"], alt_m=out["alt"], range_m=out["rng"],
                   miss_sigma_m=out["sig"], pk_geom=pk_geom, debris=debris,
                   distance_now_m=d_now)


def _arr(a: ArrayLike, shape: tuple[int, ...], name: str) -> F64:
    v = np.asarray(a, dtype=np.float64)
    if v.shape != shape:
        raise InputError(f"{name}: got shape {v.shape}; expected {shape}")
    if not np.all(np.isfinite(v)):
        raise InputError(f"{name}: expected finite numbers")
    return v
