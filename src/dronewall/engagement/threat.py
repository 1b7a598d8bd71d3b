"""Threat evaluation: which tracks matter most, now, and why.

For N tracks and A defended assets (zones with a value, :func:`assets_from_zones`), all as
(N, A) array operations:

1. **Lethality** L_n = sum_c P(c | track) * lethality_c: the expected harm of the class if it
   reaches an asset (attack drone 1, decoy 0.15, bird 0, ... :class:`ThreatConfig`).
2. **Predicted path**: constant velocity over ``horizon_s``. Per asset the closest point of
   approach (CPA) in the horizontal plane: ``t_cpa = clip(r.v / |v|^2, 0, horizon)``, miss
   distance ``m = max(|r - v t_cpa| - R_a, 0)`` (R_a the asset's radius) and time to go
   ``t_go`` (to the asset's edge, 0 if inside).
3. **Probability of reaching** P_na = exp(-m^2 / (2 sigma^2)), sigma^2 = sigma_pos^2 +
   (|v| t_cpa tan(heading_sd))^2 + sigma_floor^2: the track's position uncertainty grown by
   the heading changes a drone can still make before it arrives (Shaheds dog-leg on the way).
4. **Urgency** U_na = 1 / (1 + t_go / urgency_tau_s).
5. **Score** (EUR-equivalent expected damage, urgency-weighted)::

       D_na    = sum_c P(c | track) lethality_c min(V_a, max_damage_c)
       score_n = max_a(D_na P_na U_na) + V_sov * p_violation_n * (1 - P(bird)_n)

   where the second term gives weight to an unresolved violation of own airspace (gray-zone
   incursions: a fighter without transponder inside the border is a threat to sovereignty even
   when it threatens no asset). Trusted cooperative tracks get no violation term.
   ``value_at_risk_eur`` = max_a D_na P_na (no urgency) is the expected damage the track can
   still do, what engagement planning uses as the target value: one platform strikes one
   place, so each asset is counted once and nested assets (a hub inside an airport) are not
   added up; the per-class damage cap ``max_damage_c`` keeps a cheap drone near a precious
   asset from being worth a missile.
6. **Rank** 1 = highest score (ties: earlier ``t_go`` first, then track id).

Every figure in :class:`ThreatConfig` is an engineering estimate [E]; see
``docs/threat.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dronewall.catalog import PlatformClass

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

CLASS_NAMES = tuple(c.name.lower() for c in PlatformClass)


@dataclass(frozen=True)
class ThreatConfig:
    """Threat-evaluation parameters, all [E].

    ``lethality`` per class (``PlatformClass`` order): manned aircraft 0.02 (a threat through
    the violation term, not by default), Shahed-class 1.0 (~50 kg warhead [P]), decoy 0.15
    (most carry no warhead; some were reported with small charges), reconnaissance 0.4 (it
    directs strikes), multirotor 0.3 (can drop or carry a charge), bird 0, unknown 0.5.
    """

    lethality: tuple[float, ...] = (0.02, 1.0, 0.15, 0.4, 0.3, 0.0, 0.5)
    #: Most damage one platform of the class can do to an asset, EUR [E]: what a ~50 kg
    #: warhead destroys at a plant or airfield (a transformer, a hangar, aircraft on the ground)
    #: 50 M; a decoy's small charge, if any, 1 M; a reconnaissance UAV's cueing of a strike 5 M;
    #: a multirotor's dropped grenade or small charge 0.1 M; manned 50 M; bird 0; unknown 5 M.
    #: Expected damage = lethality x min(asset value, this): a EUR 2k quadcopter near a EUR 500 M
    #: hub does not justify a EUR 400 k missile.
    max_damage_eur: tuple[float, ...] = (5.0e7, 5.0e7, 1.0e6, 5.0e6, 1.0e5, 0.0, 5.0e6)
    horizon_s: float = 1800.0
    heading_sd_deg: float = 10.0
    sigma_floor_m: float = 200.0
    urgency_tau_s: float = 300.0
    #: Value (EUR-equivalent) of an unresolved airspace violation (sovereignty) [E].
    violation_value_eur: float = 1.0e6
    #: Below this ground speed a track is treated as stationary (no predicted path), m/s.
    min_speed_mps: float = 1.0

    def __post_init__(self) -> None:
        for name in ("lethality", "max_damage_eur"):
            if len(getattr(self, name)) != len(PlatformClass):
                raise ValueError(f"ThreatConfig.{name} needs {len(PlatformClass)} values")


@dataclass(frozen=True)
class AssetTable:
    """Defended assets: A rows. ``pos`` (A, 3) in the engine frame, m; ``radius_m`` (A,) the
    distance from ``pos`` that encloses the asset; ``value_eur`` (A,); ``ids``/``names``."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    pos: F64
    radius_m: F64
    value_eur: F64

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> AssetTable:
        return cls((), (), np.zeros((0, 3)), np.zeros(0), np.zeros(0))


#: The hostile uncrewed classes whose own purchase cost can floor a target's value.
HOSTILE_CLASSES = (PlatformClass.ATTACK_DRONE, PlatformClass.DECOY, PlatformClass.RECON_UAV,
                   PlatformClass.MULTIROTOR)


def class_unit_cost_eur() -> F64:
    """(C,) expected purchase cost of one platform of each class, EUR: the median catalogue
    ``unit_cost_usd`` of the class's platform types (``docs/catalogue.md``; Shahed-class $35k,
    Gerbera $6k, Orlan-10 $100k, multirotors $0.4-2k) at ``USD_PER_EUR``; 0 for classes that are
    not hostile drones (manned aircraft, birds, unknown). The value floor of ROE
    ``value_floor: threat_cost``."""
    from dronewall.catalog.effectors import USD_PER_EUR
    from dronewall.catalog.platforms import PLATFORMS

    out = np.zeros(len(PlatformClass))
    for c in HOSTILE_CLASSES:
        v = [p.unit_cost_usd for p in PLATFORMS.values()
             if p.platform_class == c and np.isfinite(p.unit_cost_usd)]
        if v:
            out[c] = float(np.median(v)) / USD_PER_EUR
    return out


def assets_from_zones(zones: object, frame: object) -> AssetTable:
    """Assets from the zones of a :class:`ZoneSet` that carry ``value_eur`` > 0: centre = the
    polygon's centroid, radius = the farthest boundary vertex from it (conservative)."""
    import shapely

    ids, names, pos, rad, val = [], [], [], [], []
    for z in zones.zones:  # type: ignore[attr-defined]
        if not z.value_eur > 0:
            continue
        c = z.geometry.centroid
        p = frame.geodetic_to_local(np.array([c.y]), np.array([c.x]),  # type: ignore[attr-defined]
                                    np.zeros(1))[0]
        xy = shapely.get_coordinates(z.geometry.boundary)
        b = frame.geodetic_to_local(xy[:, 1], xy[:, 0], np.zeros(len(xy)))  # type: ignore[attr-defined]
        ids.append(z.id)
        names.append(z.name or z.id)
        pos.append(p)
        rad.append(float(np.max(np.linalg.norm(b[:, :2] - p[:2], axis=1))))
        val.append(float(z.value_eur))
    if not ids:
        return AssetTable.empty()
    return AssetTable(tuple(ids), tuple(names), np.asarray(pos), np.asarray(rad),
                      np.asarray(val))


@dataclass(frozen=True)
class ThreatAssessment:
    """Per-track results, (N,) each, in the order of the input tracks.

    ``asset`` index of the most threatened asset (-1: none), ``t_go_s`` / ``cpa_m`` (miss distance
    to its edge) / ``p_reach`` for that asset, ``lethality``, ``value_at_risk_eur`` (expected
    damage it can still do: max over assets of damage x P(reach)), ``score``,
    ``rank`` (1 = most urgent), ``inbound`` (closing on that asset).
    """

    ids: I64
    score: F64
    rank: I64
    lethality: F64
    value_at_risk_eur: F64
    asset: I64
    t_go_s: F64
    cpa_m: F64
    p_reach: F64
    inbound: NDArray[np.bool_]
    violation_p: F64
    config: ThreatConfig = field(repr=False, default_factory=ThreatConfig)

    def order(self) -> I64:
        """Row indices by rank (most urgent first)."""
        return np.argsort(self.rank, kind="stable")


def evaluate(ids: I64, pos: F64, vel: F64, pos_sd_m: F64, class_prob: F64, assets: AssetTable,
             violation_p: F64 | None = None, coop_trusted: NDArray[np.bool_] | None = None,
             config: ThreatConfig = ThreatConfig()) -> ThreatAssessment:
    """Evaluate N tracks (positions/velocities (N, 3) in the engine frame, m and m/s;
    ``pos_sd_m`` (N,) 1-sigma horizontal position error; ``class_prob`` (N, C)) against the
    assets. ``violation_p`` (N,) probability the track is in an unresolved violation of own
    airspace (None: 0). ``coop_trusted`` (N,) trusted cooperative identity (None: none)."""
    ids = np.asarray(ids, dtype=np.int64)
    n, a = ids.size, len(assets)
    cp = np.asarray(class_prob, dtype=np.float64).reshape(n, len(PlatformClass))
    leth = cp @ np.asarray(config.lethality)
    vp = np.zeros(n) if violation_p is None else np.nan_to_num(np.asarray(violation_p, float))
    trusted = np.zeros(n, bool) if coop_trusted is None else np.asarray(coop_trusted, bool)

    asset = np.full(n, -1, np.int64)
    t_go = np.full(n, np.inf)
    cpa = np.full(n, np.inf)
    p_best = np.zeros(n)
    inbound = np.zeros(n, bool)
    var = np.zeros(n)
    if n and a:
        r = assets.pos[None, :, :2] - pos[:, None, :2]                       # (N, A, 2)
        v = vel[:, None, :2]                                                 # (N, 1, 2)
        v2 = np.sum(v * v, axis=2)                                           # (N, 1)
        speed = np.sqrt(v2)
        moving = speed > config.min_speed_mps
        t_cpa = np.where(moving, np.sum(r * v, axis=2) / np.maximum(v2, 1e-12), 0.0)
        t_cpa = np.clip(t_cpa, 0.0, config.horizon_s)                        # (N, A)
        d_cpa = np.linalg.norm(r - v * t_cpa[:, :, None], axis=2)
        rad = assets.radius_m[None, :]
        miss = np.maximum(d_cpa - rad, 0.0)
        dist0 = np.linalg.norm(r, axis=2)
        inside = dist0 <= rad
        half_chord = np.sqrt(np.maximum(rad ** 2 - d_cpa ** 2, 0.0))
        tg = np.where(inside, 0.0,
                      np.where(d_cpa <= rad,
                               np.maximum(t_cpa - half_chord / np.maximum(speed, 1e-9), 0.0),
                               t_cpa))
        sig2 = (np.asarray(pos_sd_m, float)[:, None] ** 2
                + (speed * t_cpa * np.tan(np.radians(config.heading_sd_deg))) ** 2
                + config.sigma_floor_m ** 2)
        p = np.where(inside, 1.0, np.exp(-0.5 * miss ** 2 / sig2))
        urg = 1.0 / (1.0 + tg / config.urgency_tau_s)
        # expected damage if it arrives, (N, A): sum_c P(c) lethality_c min(V_a, D_c)
        dmg = np.minimum(assets.value_eur[None, :],
                         np.asarray(config.max_damage_eur)[:, None])           # (C, A)
        exp_dmg = cp @ (np.asarray(config.lethality)[:, None] * dmg)         # (N, A)
        crit = exp_dmg * p * urg                                             # (N, A)
        asset = np.argmax(crit, axis=1)
        rows = np.arange(n)
        t_go, cpa, p_best = tg[rows, asset], miss[rows, asset], p[rows, asset]
        inbound = (t_cpa[rows, asset] > 0) | inside[rows, asset]
        var = np.max(exp_dmg * p, axis=1)  # one strike: the most threatened asset, once
        score = crit[rows, asset]
        none = crit[rows, asset] <= 0
        asset[none] = -1
    else:
        score = np.zeros(n)
    p_bird = cp[:, PlatformClass.BIRD] if cp.shape[1] > PlatformClass.BIRD else np.zeros(n)
    score = score + config.violation_value_eur * vp * (1.0 - p_bird) * ~trusted
    order = np.lexsort((ids, t_go, -score))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(1, n + 1)
    return ThreatAssessment(ids, score, rank, leth, var, asset, t_go, cpa, p_best, inbound, vp,
                            config)


def reasons(ta: ThreatAssessment, rows: I64, class_prob: F64, assets: AssetTable,
            class_evidence: NDArray[np.object_] | None = None,
            coop_note: NDArray[np.object_] | None = None) -> list[str]:
    """One plain-language line per requested row (for the ranked list shown to an operator)."""
    out = []
    cp = np.asarray(class_prob)
    for k in np.asarray(rows, dtype=np.int64).tolist():
        c = int(np.argmax(cp[k]))
        parts = [f"{CLASS_NAMES[c]} p={cp[k, c]:.2f}"
                 + (f" ({class_evidence[k]})" if class_evidence is not None else "")]
        j = int(ta.asset[k])
        if j >= 0 and ta.p_reach[k] >= 0.01:
            when = ("inside" if ta.t_go_s[k] == 0 else f"in {ta.t_go_s[k] / 60:.1f} min")
            parts.append(f"{assets.names[j]} (EUR {assets.value_eur[j] / 1e6:.0f}M) {when}, "
                         f"miss {ta.cpa_m[k] / 1e3:.1f} km, P(reach) {ta.p_reach[k]:.2f}")
        if ta.violation_p[k] > 0.01:
            parts.append(f"airspace violation p={ta.violation_p[k]:.2f}")
        if coop_note is not None and coop_note[k]:
            parts.append(str(coop_note[k]))
        out.append("; ".join(parts))
    return out


#: Destroy-all doctrine: a hostile one-way drone this close (s) to reaching a valued asset is
#: worth any shot (:func:`leak_guard_value`) [E]: about an operator decision (15-30 s) plus a
#: SAM's reaction and flight, so the guard opens while the last layer can still fire.
LEAK_GUARD_S = 180.0
#: ... worth this many times the dearest shot, so that even with the magazine's shadow price
#: the shot pays [E].
LEAK_GUARD_FACTOR = 2.0


def leak_guard_value(class_prob: F64, ta: ThreatAssessment, cost_per_shot_eur: F64) -> F64:
    """Under the destroy-all doctrine (ROE ``value_floor: threat_cost``), the value (EUR) of a
    hostile one-way drone (attack drone or decoy, p >= 0.5) inbound to a valued asset it is
    likely to reach (P(reach) >= 0.5) within ``LEAK_GUARD_S``: ``LEAK_GUARD_FACTOR`` x the
    dearest shot the site holds -- no cheaper layer is left, and a decoy over an airport closes
    it for hours whatever it carries. 0 elsewhere (the caller keeps the larger value)."""
    costs = np.asarray(cost_per_shot_eur, dtype=np.float64)
    cp = np.asarray(class_prob, dtype=np.float64)
    if costs.size == 0:
        return np.zeros(cp.shape[0])
    oneway = cp[:, int(PlatformClass.ATTACK_DRONE)] + cp[:, int(PlatformClass.DECOY)]
    t_go = np.nan_to_num(np.asarray(ta.t_go_s, dtype=np.float64), nan=np.inf)
    near = ((oneway >= 0.5) & np.asarray(ta.inbound, dtype=bool)
            & (np.nan_to_num(np.asarray(ta.p_reach, dtype=np.float64)) >= 0.5)
            & (t_go <= LEAK_GUARD_S))
    return np.where(near, LEAK_GUARD_FACTOR * float(costs.max()), 0.0)
