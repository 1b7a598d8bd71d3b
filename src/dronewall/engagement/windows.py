r"""Engagement windows: when and where each effector can intercept each track.

Vectorised over E effector sites x N tracks x K time samples ``tau_k`` (:func:`tau_grid`,
``tau`` seconds after the planning time ``t_s``); no Python loop over tracks or effectors
(effectors are processed in blocks only to bound memory). See ``docs/engagement.md``.

Prediction. The predicted point ``P_nk`` is the track's constant-velocity extrapolation
``p_n + v_n tau_k`` in the scenario ENU frame (the IMM's combined state), or a path the caller
supplies (``TrackArrays.path_m``: a route-aware prediction, or the truth for the oracle).
The samples are ``DT_S`` apart up to ``FINE_HORIZON_S`` and ``COARSE_DT_S`` apart beyond it
(:func:`tau_grid`): a fighter's window 30 min ahead needs no 2 s resolution.

Position error. Per axis, with the track's covariance (``TrackArrays.cov_m``, position and
velocity blocks; else ``pos_sigma_m`` / ``vel_sigma_mps``) grown over ``tau`` by white-noise
acceleration ``q`` (m^2/s^3)::

    s^2(tau) = tr(Ppp)/3 + 2 tau tr(Ppv)/3 + tau^2 tr(Pvv)/3 + q tau^3 / 3

Two lead times matter. The **aim** of a shot is the cue it last receives, predicted to the
intercept: for ``launch`` guidance (the effector's own sensor locks on before firing: guns,
MANPADS, lasers, jammers) the cue at launch, predicted over the flight time ``t_f``; for
``terminal`` guidance (steered on the track's updates in flight: interceptor drones, SAMs,
fighters) the cue ``TERMINAL_UPDATE_S`` before the intercept. The 1-sigma **miss**
``miss_sigma_m = s(t_aim)`` is the error of that aim; ``pred_sigma_m = s(reaction + t_f)`` is
the error of the planned intercept point itself, predicted over the whole reaction and flight
(how far the target may be from where the window was planned; reported to the operator).
Altitude is the WGS84 height of ``P`` (the frame's up axis drifts from the local vertical by
~800 m at 100 km, so it is converted, not read from ``z``).

Feasibility of (e, n, k): slant range ``R = |P_nk - S_e|`` in ``[min_range, max_range]``;
altitude in ``[min_alt, max_alt]``; **timing** ``tau_k >= reaction_e + R / speed_e`` (the shot
must be fired after the reaction time and the interceptor must fly to the point); the point is
not over a zone kind the effector must avoid (kinetic: ``roe.no_kinetic_kinds``, default
``no_fire`` and ``airport``; non-kinetic: the type's ``restricted_zone_kinds``, e.g. lasers near
airports); with ``roe.engagement_zones_only`` the point must lie in an ``engagement`` zone. Zone
tests are on the ground projection of the point, ignoring zone altitude bands: what is hit
falls on the ground below.

The geometric factor of a sample is the probability that a target whose position error is an
isotropic 3-D Gaussian with per-axis ``s = miss_sigma_m`` lies within the effector's
acquisition basket ``b`` around the aim point (the Maxwell distribution; ``x = b / s``)::

    pk_geom = erf(x / sqrt(2)) - sqrt(2 / pi) x exp(-x^2 / 2)

the same cookie-cutter rule the simulated effects apply to the true 3-D miss [E]. The window of
a pair is ``[earliest, latest]`` feasible sample; the intercept is planned at the earliest
sample whose ``pk_geom`` reaches ``PK_GEOM_FRACTION`` of the best in the window (shoot early,
look, shoot again -- but not at the rim of a long-range interceptor's reach, where its long
flight on an old cue makes a miss likely). Reported with it: the point (ENU and WGS84), the
range, the launch time, the miss and prediction 1-sigma and ``pk_geom``; ``t_latest_launch_s``
is the launch time of the window's last sample (a later decision misses the window). A kinetic
effector's pair is flagged ``debris`` when its intercept point lies over a ``no_fire``
(populated) zone (only possible when the ROE allow it). Infeasible pairs get the first failing
:class:`Reason` in the order range -> altitude -> timing -> no-fire -> airport -> engagement
zone; track-level (ROE, cooperative) and effector-level (magazine, busy, weather) gates given
by the caller override it.
"""

from __future__ import annotations

import math
import weakref
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
#: Default prediction horizon and time step, s: 15 min; planners extend the horizon to the
#: longest reaction plus flight time of their sites (a fighter's scramble and transit). 2 s is
#: finer than a gun's reaction time and a drone's 100 m of flight.
HORIZON_S = 900.0
DT_S = 2.0
#: Beyond this much look-ahead the samples are COARSE_DT_S apart, s [E]: 10 s of a drone's
#: flight (~500 m) is within a fighter's or long-range SAM's acquisition basket.
FINE_HORIZON_S = 600.0
COARSE_DT_S = 10.0
#: Age of the last cue update a terminally guided shot (datalink, operator, ground control)
#: flies on when its seeker locks on, s [E].
TERMINAL_UPDATE_S = 2.0
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
    position error now, per axis; ``vel_sigma_mps`` (N,) 1-sigma velocity error per axis
    (default 0). ``cov_m`` (N, 6, 6) optional position-velocity covariance (m, m/s), which
    replaces the two sigmas in the miss model. ``path_m`` (N, K, 3) optional predicted positions
    on the window samples ``tau_grid(horizon_s, dt_s)`` (NaN: the platform is not flying then),
    which replaces the constant-velocity prediction. ``until_s`` (N,) optional absolute time
    after which an intercept is of no use (the track reaches the asset it threatens; inf: no
    limit); later samples are ``TOO_LATE``.
    """

    track_id: NDArray[Any]
    pos_m: F64
    vel_mps: F64
    pos_sigma_m: F64
    vel_sigma_mps: F64 | None = None
    cov_m: F64 | None = None
    path_m: F64 | None = None
    until_s: F64 | None = None

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
        if self.cov_m is not None:
            object.__setattr__(self, "cov_m", _arr(self.cov_m, (n, 6, 6), "tracks.cov_m"))
        if self.until_s is not None:
            u = np.asarray(self.until_s, dtype=np.float64)
            if u.shape != (n,) or np.any(np.isnan(u)):
                raise InputError(f"tracks.until_s: got shape {u.shape}; expected ({n},) times")
            object.__setattr__(self, "until_s", u)
        if self.path_m is not None:
            path = np.asarray(self.path_m, dtype=np.float64)
            if path.ndim != 3 or path.shape[0] != n or path.shape[2] != 3:
                raise InputError(f"tracks.path_m: got shape {path.shape}; expected ({n}, K, 3)")
            object.__setattr__(self, "path_m", path)

    def variance_terms(self) -> tuple[F64, F64, F64]:
        """Per-axis position variance (m^2), position-velocity covariance (m^2/s) and velocity
        variance (m^2/s^2), (N,) each: traces of the covariance blocks / 3, or the sigmas."""
        if self.cov_m is not None:
            c = self.cov_m
            tr = np.trace
            return (tr(c[:, :3, :3], axis1=1, axis2=2) / 3.0,
                    tr(c[:, :3, 3:], axis1=1, axis2=2) / 3.0,
                    tr(c[:, 3:, 3:], axis1=1, axis2=2) / 3.0)
        vs = self.vel_sigma_mps if self.vel_sigma_mps is not None else np.zeros(len(self))
        return self.pos_sigma_m ** 2, np.zeros(len(self)), vs ** 2

    def __len__(self) -> int:
        return int(self.pos_m.shape[0])

    def subset(self, idx: NDArray[np.int64]) -> TrackArrays:
        return TrackArrays(self.track_id[idx], self.pos_m[idx], self.vel_mps[idx],
                           self.pos_sigma_m[idx], None if self.vel_sigma_mps is None
                           else self.vel_sigma_mps[idx],
                           None if self.cov_m is None else self.cov_m[idx],
                           None if self.path_m is None else self.path_m[idx],
                           None if self.until_s is None else self.until_s[idx])


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
    terminal: B  # (E,) terminal guidance (cue updates in flight), else aimed at launch
    effect_radius_m: F64  # (E,) area effect radius (0: point effect)
    retaskable: B  # (E,) a shot in flight can be steered to another track
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
            terminal=np.array([t.guidance == "terminal" for t in types], dtype=bool),
            effect_radius_m=np.array([t.effect_radius_m for t in types], dtype=np.float64),
            retaskable=np.array([t.retaskable for t in types], dtype=bool),
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
    ``miss_sigma_m`` per-axis 1-sigma error of the shot's aim at intercept; ``pred_sigma_m``
    per-axis 1-sigma error of the planned point, predicted over reaction + flight;
    ``pk_geom`` acquisition factor in [0, 1] (0 where infeasible); ``debris`` kinetic intercept
    over a no-fire zone; ``t_latest_launch_s`` launch time of the window's last sample;
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
    pred_sigma_m: F64
    t_latest_launch_s: F64


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


def tau_grid(horizon_s: float = HORIZON_S, dt_s: float = DT_S) -> F64:
    """Look-ahead times of the window samples, s (K,): ``dt_s`` apart up to
    ``FINE_HORIZON_S`` (or the horizon), then ``max(COARSE_DT_S, dt_s)`` apart to the horizon."""
    if not (math.isfinite(horizon_s) and horizon_s > 0 and math.isfinite(dt_s) and dt_s > 0):
        raise InputError(f"horizon_s and dt_s must be > 0; got {horizon_s}, {dt_s}")
    fine_end = min(horizon_s, FINE_HORIZON_S)
    fine = np.arange(math.floor(fine_end / dt_s + 1e-9) + 1, dtype=np.float64) * dt_s
    if horizon_s <= FINE_HORIZON_S + 1e-9:
        return fine
    step = max(COARSE_DT_S, dt_s)
    n = math.floor((horizon_s - fine[-1]) / step + 1e-9)
    return np.concatenate([fine, fine[-1] + step * np.arange(1, n + 1)])


def sigma_axis(var0: F64, cov_pv: F64, var_v: F64, tau: ArrayLike,
               process_noise: float) -> F64:
    """Per-axis 1-sigma position error (m) after predicting ``tau`` s ahead (broadcast):
    ``sqrt(var0 + 2 tau cov_pv + tau^2 var_v + q tau^3 / 3)`` (module docstring)."""
    t = np.asarray(tau, dtype=np.float64)
    v = var0 + 2.0 * t * cov_pv + t * t * var_v + process_noise * t ** 3 / 3.0
    return np.sqrt(np.maximum(v, 0.0))


def p_within(radius_m: ArrayLike, sigma_m: ArrayLike) -> F64:
    """Probability that an isotropic 3-D Gaussian error with per-axis ``sigma_m`` lies within
    ``radius_m`` (the Maxwell distribution's CDF at ``x = radius / sigma``)."""
    from scipy.special import erf

    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.asarray(radius_m, dtype=np.float64) / np.maximum(
            np.asarray(sigma_m, dtype=np.float64), 1e-9)
    x = np.minimum(x, 50.0)
    return np.clip(erf(x / math.sqrt(2.0)) - math.sqrt(2.0 / math.pi) * x * np.exp(-x * x / 2),
                   0.0, 1.0)


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
    for sites outside their limits. ``tracks.path_m``, when given, must be sampled on
    ``tau_grid(horizon_s, dt_s)``.
    """
    roe = roe or Roe()
    e_n, n_n = len(eff), len(tracks)
    tau = tau_grid(horizon_s, dt_s)  # (K,)
    k_n = tau.size

    # ---- track prediction, shared by all effectors
    if tracks.path_m is not None:
        if tracks.path_m.shape[1] != k_n:
            raise InputError(f"tracks.path_m: {tracks.path_m.shape[1]} samples; the window "
                             f"grid of horizon {horizon_s} s, step {dt_s} s has {k_n}")
        pts = tracks.path_m
        flying = np.all(np.isfinite(pts), axis=2)  # (N,K)
        pts = np.where(flying[..., None], pts, 0.0)
    else:
        pts = tracks.pos_m[:, None, :] + tracks.vel_mps[:, None, :] * tau[None, :, None]
        flying = np.ones((n_n, k_n), dtype=bool)
    var0, cpv, var_v = tracks.variance_terms()
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

    out = {k: np.full((e_n, n_n), np.nan) for k in ("t_int", "t_last", "t_launch", "lat",
                                                     "lon", "alt", "rng", "sig", "pred",
                                                     "t_last_launch")}
    feasible = np.zeros((e_n, n_n), dtype=bool)
    reason = np.zeros((e_n, n_n), dtype=np.int8)
    point = np.full((e_n, n_n, 3), np.nan)
    debris = np.zeros((e_n, n_n), dtype=bool)
    pk_geom = np.zeros((e_n, n_n))

    block = max(1, BLOCK_ELEMENTS // max(1, n_n * k_n))
    p2 = np.einsum("nkj,nkj->nk", pts, pts)  # (N,K) |P|^2
    for e0 in range(0, e_n, block):
        sl = slice(e0, min(e_n, e0 + block))
        s = eff.pos_m[sl]  # (b,3)
        # |P - S|^2 = |P|^2 + |S|^2 - 2 P.S  (no (b,N,K,3) temporary)
        r2 = p2[None] + np.einsum("bj,bj->b", s, s)[:, None, None] \
            - 2.0 * np.einsum("nkj,bj->bnk", pts, s)
        rng = np.sqrt(np.maximum(r2, 0.0))  # (b,N,K)
        m_range = (rng >= eff.min_range_m[sl, None, None]) \
            & (rng <= eff.max_range_m[sl, None, None]) & flying[None]
        m_alt = m_range & (alt[None] >= eff.min_alt_m[sl, None, None]) \
            & (alt[None] <= eff.max_alt_m[sl, None, None])
        with np.errstate(invalid="ignore"):
            flight = rng / eff.speed_mps[sl, None, None]  # (b,N,K) flight time (0: light)
        m_time = m_alt & (tau[None, None, :] >= eff.reaction_s[sl, None, None] + flight)
        if tracks.until_s is not None:  # no use intercepting after it reached its asset
            m_time &= (t_s + tau[None, :] <= tracks.until_s[:, None])[None]
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
        # aim lead: flight time (aimed at launch) or the terminal update age (guided in flight)
        lead = np.where(eff.terminal[sl, None, None], TERMINAL_UPDATE_S, flight)
        sig = sigma_axis(var0[None, :, None], cpv[None, :, None], var_v[None, :, None], lead,
                         process_noise)
        pkg = p_within(eff.basket_m[sl, None, None], sig)
        pkg = np.where(m_ez, pkg, -1.0)
        best = pkg.max(axis=2, initial=-1.0)  # (b,N)
        first = np.argmax(pkg >= PK_GEOM_FRACTION * best[..., None], axis=2)  # (b,N)
        last = k_n - 1 - np.argmax(m_ez[:, :, ::-1], axis=2)
        bi, ni = np.indices(first.shape)
        r_at = rng[bi, ni, first]
        f_at = flight[bi, ni, first]
        t_int = t_s + tau[first]
        out["t_int"][sl] = np.where(ok, t_int, np.nan)
        out["t_last"][sl] = np.where(ok, t_s + tau[last], np.nan)
        out["t_last_launch"][sl] = np.where(ok, t_s + tau[last] - flight[bi, ni, last], np.nan)
        out["t_launch"][sl] = np.where(ok, t_int - f_at, np.nan)
        out["rng"][sl] = np.where(ok, r_at, np.nan)
        out["lat"][sl] = np.where(ok, lat[ni, first], np.nan)
        out["lon"][sl] = np.where(ok, lon[ni, first], np.nan)
        out["alt"][sl] = np.where(ok, alt[ni, first], np.nan)
        out["sig"][sl] = np.where(ok, sig[bi, ni, first], np.nan)
        out["pred"][sl] = np.where(ok, sigma_axis(var0[None, :], cpv[None, :], var_v[None, :],
                                                  eff.reaction_s[sl, None] + f_at,
                                                  process_noise), np.nan)
        pk_geom[sl] = np.where(ok, pkg[bi, ni, first], 0.0)
        point[sl] = np.where(ok[..., None], pts[ni, first], np.nan)
        debris[sl] = ok & (eff.kinetic[sl, None] & eff.debris[sl, None]) & nofire[ni, first]
        feasible[sl] = ok
        reason[sl] = rsn
        del rng, flight, sig, pkg

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
    for k in out:
        out[k][~feasible] = np.nan
    point[~feasible] = np.nan
    debris &= feasible
    pk_geom[~feasible] = 0.0
    d_now = np.linalg.norm(tracks.pos_m[None, :, :] - eff.pos_m[:, None, :], axis=2) \
        if e_n and n_n else np.zeros((e_n, n_n))
    return Windows(feasible=feasible, reason=reason, t_intercept_s=out["t_int"],
                   t_latest_s=out["t_last"], t_launch_s=out["t_launch"], point_enu_m=point,
                   lat_deg=out["lat"], lon_deg=out["lon"], alt_m=out["alt"], range_m=out["rng"],
                   miss_sigma_m=out["sig"], pk_geom=pk_geom, debris=debris,
                   distance_now_m=d_now, pred_sigma_m=out["pred"],
                   t_latest_launch_s=out["t_last_launch"])


def _arr(a: ArrayLike, shape: tuple[int, ...], name: str) -> F64:
    v = np.asarray(a, dtype=np.float64)
    if v.shape != shape:
        raise InputError(f"{name}: got shape {v.shape}; expected {shape}")
    if not np.all(np.isfinite(v)):
        raise InputError(f"{name}: expected finite numbers")
    return v
