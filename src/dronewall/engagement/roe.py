"""Rules of engagement (core side) and the reason codes of the engagement layer.

:class:`Roe` mirrors the scenario's ``roe`` section (``dronewall.scenario.model.RoeSpec``) but
is built from plain values, so the core never imports the scenario layer. :func:`engageable`
decides, vectorised over N tracks, which tracks may be engaged at all (``docs/engagement.md``):

1. a track that is **cooperative and trusted** (valid ADS-B / Remote ID identity that passed
   the consistency checks of ``classify.coop_trust``) is never engageable (``COOPERATIVE``);
2. class and confidence (``ROE``):

   - *weapons tight*: the probability of at least one allowed class ``c`` is at least its
     threshold, ``P(c | track) >= engage_classes[c]``;
   - *weapons free*: additionally any track that is **not** assessed as manned aircraft or
     bird, i.e. ``P(MANNED_AIRCRAFT) + P(BIRD) < FREE_PROTECTED_P`` (0.5): unknown tracks may
     be engaged, a track that is more likely than not an aircraft or a bird may not;

3. ``require_violation``: only tracks that have violated own sovereign airspace or are inside
   an ``engagement`` zone (``NOT_VIOLATED``);
4. ``engagement_zones_only``: only tracks inside an ``engagement`` zone
   (``OUTSIDE_ENGAGEMENT_ZONE``); the window computation then also requires the intercept
   point to lie in one.

The first failing rule in this order is the reason reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.catalog.platforms import PlatformClass
from dronewall.errors import InputError

B = NDArray[np.bool_]
I8 = NDArray[np.int8]

N_CLASSES = len(PlatformClass)
CLASS_NAMES: tuple[str, ...] = tuple(c.name for c in PlatformClass)

#: Weapons free: a track is protected (not engaged) when P(manned) + P(bird) reaches this;
#: "more likely than not an aircraft or a bird" is the weakest defensible rule.
FREE_PROTECTED_P = 0.5

#: Default class thresholds [E]: decoys and attack drones at 0.6 (they look alike; both are
#: hostile), reconnaissance at 0.7, multirotors at 0.8 (hobby drones are common and usually
#: harmless: demand more certainty).
DEFAULT_ENGAGE_CLASSES: dict[str, float] = {
    "ATTACK_DRONE": 0.6, "DECOY": 0.6, "RECON_UAV": 0.7, "MULTIROTOR": 0.8,
}
DEFAULT_NO_KINETIC_KINDS: tuple[str, ...] = ("no_fire", "airport")


class Reason(IntEnum):
    """Why an effector-track pair (or a track, or an effector) cannot be engaged. 0: it can."""

    OK = 0
    OUT_OF_RANGE = 1  # never within [min, max] range during the horizon
    ALTITUDE = 2  # in range only outside the altitude band
    TOO_LATE = 3  # no window: the interceptor cannot reach the predicted point in time
    NO_FIRE_ZONE = 4  # every reachable intercept point lies over a no-fire (populated) zone
    AIRPORT_ZONE = 5  # ... over an airport zone
    ROE = 6  # class / confidence not allowed by the rules of engagement
    COOPERATIVE = 7  # cooperative and trusted track: never engaged
    MAGAZINE_EMPTY = 8  # no shots left at the site
    BUSY = 9  # every fire unit of the site is engaged or reloading
    WEATHER = 10  # outside the effector's weather limits
    NOT_VIOLATED = 11  # ROE require a violation of own airspace (or an engagement zone)
    OUTSIDE_ENGAGEMENT_ZONE = 12  # ROE allow engagements only inside engagement zones
    NO_PK = 13  # the effector cannot kill this class (pk = 0, e.g. a jammer vs a bird)
    LATER = 14  # a window exists, but launch is not due yet (re-planned every cycle)
    IMMATURE = 15  # track too young, too few hits, stale, or its class still the prior
    POOR_CUE = 16  # track position too uncertain to cue an effector
    ASSESSED_DEAD = 17  # kill assessment: the track is probably destroyed
    IN_FLIGHT = 18  # a shot is in flight at the track: look before shooting again
    CONFIDENCE = 19  # no single allowed class confident enough for an expensive effector
    RESERVED = 20  # the site's last rounds are kept for targets waiting for its later window


REASON_TEXT: dict[Reason, str] = {
    Reason.OK: "feasible",
    Reason.OUT_OF_RANGE: "out of range during the horizon",
    Reason.ALTITUDE: "target outside the altitude band",
    Reason.TOO_LATE: "no window: cannot reach the target in time",
    Reason.NO_FIRE_ZONE: "intercept point over a no-fire zone",
    Reason.AIRPORT_ZONE: "intercept point over an airport zone",
    Reason.ROE: "class or confidence not allowed by the ROE",
    Reason.COOPERATIVE: "cooperative, trusted track",
    Reason.MAGAZINE_EMPTY: "magazine empty",
    Reason.BUSY: "all fire units busy",
    Reason.WEATHER: "outside weather limits",
    Reason.LATER: "window opens later (launch not due this cycle)",
    Reason.NOT_VIOLATED: "ROE: no violation of own airspace",
    Reason.OUTSIDE_ENGAGEMENT_ZONE: "ROE: outside engagement zones",
    Reason.NO_PK: "cannot kill this class (pk 0)",
    Reason.IMMATURE: "track not mature (hits, age, fresh update, class evidence)",
    Reason.POOR_CUE: "track position too uncertain to cue an effector",
    Reason.ASSESSED_DEAD: "kill assessment: probably destroyed",
    Reason.IN_FLIGHT: "a shot is in flight: look before shooting again",
    Reason.CONFIDENCE: "class confidence too low for an expensive effector",
    Reason.RESERVED: "last rounds kept for targets waiting for this site's later window",
}


#: Track maturity [E]: hits, age (s) and the longest time since its last update (s) before a
#: track may be handed to an effector. Five hits and 10 s reject the one-scan false tracks and
#: clutter pairs that made up most of the early shots in our raids; 15 s spans the revisit of
#: a long-range radar track of a small drone (plots every 5-15 s).
DEFAULT_MIN_TRACK_HITS = 5
DEFAULT_MIN_TRACK_AGE_S = 10.0
DEFAULT_MAX_TRACK_STALE_S = 15.0
#: Effectors costing at least this per shot (EUR) need one allowed class to reach its own
#: threshold -- not the summed mass of look-alike classes [E]: a EUR 400k missile is not fired
#: at "Shahed or decoy, we cannot tell" (IRIS-T, AIM-9X, MANPADS; guns and interceptor drones
#: are below it).
DEFAULT_EXPENSIVE_EUR = 100_000.0
#: Simulated operator decision time, uniform between these bounds, s [E]: a trained C-UAS
#: operator confirming a recommendation on a console.
DEFAULT_APPROVAL_DELAY_S: tuple[float, float] = (15.0, 30.0)
VALUE_FLOORS = ("none", "threat_cost")


@dataclass(frozen=True)
class Roe:
    """Rules of engagement (see the module docstring). ``engage_classes``: class name ->
    minimum classification probability; ``approval``: ``human`` (default; nothing fires
    without an explicit approval) or ``auto`` (simulation only); ``approval_delay_s``: the
    simulated operator's decision time range (s); ``min_track_hits`` / ``min_track_age_s`` /
    ``max_track_stale_s``: track maturity; ``expensive_effector_eur``: the cost per shot from
    which per-class confidence is required; ``value_floor``: ``threat_cost`` values a hostile
    track at least at its expected purchase cost (doctrine: every violating hostile drone is to
    be destroyed), ``none`` at its expected damage only; ``require_crossing``: a track counts
    as violating own airspace only after an observed or inferred border crossing."""

    weapons: str = "tight"
    approval: str = "human"
    engage_classes: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_ENGAGE_CLASSES))
    require_violation: bool = True
    engagement_zones_only: bool = False
    no_kinetic_kinds: tuple[str, ...] = DEFAULT_NO_KINETIC_KINDS
    approval_delay_s: tuple[float, float] = DEFAULT_APPROVAL_DELAY_S
    min_track_hits: int = DEFAULT_MIN_TRACK_HITS
    min_track_age_s: float = DEFAULT_MIN_TRACK_AGE_S
    max_track_stale_s: float = DEFAULT_MAX_TRACK_STALE_S
    expensive_effector_eur: float = DEFAULT_EXPENSIVE_EUR
    value_floor: str = "none"
    require_crossing: bool = True

    def __post_init__(self) -> None:
        if self.weapons not in ("free", "tight"):
            raise InputError(f"roe.weapons: got {self.weapons!r}; expected 'free' or 'tight'")
        if self.approval not in ("human", "auto"):
            raise InputError(f"roe.approval: got {self.approval!r}; expected 'human' or 'auto'")
        for k, p in self.engage_classes.items():
            if k not in CLASS_NAMES:
                raise InputError(f"roe.engage_classes: unknown class {k!r}; expected one of "
                                 f"{', '.join(CLASS_NAMES)}")
            if not 0.0 <= float(p) <= 1.0:
                raise InputError(f"roe.engage_classes.{k}: got {p}; expected a probability "
                                 "in [0, 1]")
        object.__setattr__(self, "engage_classes", dict(self.engage_classes))
        object.__setattr__(self, "no_kinetic_kinds", tuple(self.no_kinetic_kinds))
        lo, hi = (float(v) for v in self.approval_delay_s)
        if not 0.0 <= lo <= hi:
            raise InputError(f"roe.approval_delay_s: got {list(self.approval_delay_s)}; expected "
                             "[low, high] seconds with 0 <= low <= high")
        object.__setattr__(self, "approval_delay_s", (lo, hi))
        if self.value_floor not in VALUE_FLOORS:
            raise InputError(f"roe.value_floor: got {self.value_floor!r}; expected one of "
                             f"{', '.join(VALUE_FLOORS)}")
        for name in ("min_track_age_s", "max_track_stale_s", "expensive_effector_eur"):
            if not float(getattr(self, name)) >= 0:
                raise InputError(f"roe.{name}: got {getattr(self, name)}; expected >= 0")
        if int(self.min_track_hits) < 1:
            raise InputError(f"roe.min_track_hits: got {self.min_track_hits}; expected >= 1")

    @classmethod
    def from_values(cls, weapons: str = "tight", approval: str = "human",
                    engage_classes: Mapping[str, float] | None = None,
                    require_violation: bool = True, engagement_zones_only: bool = False,
                    no_kinetic_kinds: Sequence[str] = DEFAULT_NO_KINETIC_KINDS,
                    approval_delay_s: Sequence[float] = DEFAULT_APPROVAL_DELAY_S,
                    min_track_hits: int = DEFAULT_MIN_TRACK_HITS,
                    min_track_age_s: float = DEFAULT_MIN_TRACK_AGE_S,
                    max_track_stale_s: float = DEFAULT_MAX_TRACK_STALE_S,
                    expensive_effector_eur: float = DEFAULT_EXPENSIVE_EUR,
                    value_floor: str = "none", require_crossing: bool = True) -> Roe:
        """Build from plain values (e.g. ``RoeSpec.model_dump()`` of a scenario)."""
        if len(approval_delay_s) != 2:
            raise InputError(f"roe.approval_delay_s: got {list(approval_delay_s)}; expected "
                             "[low, high] seconds")
        return cls(weapons=weapons, approval=approval,
                   engage_classes=dict(DEFAULT_ENGAGE_CLASSES if engage_classes is None
                                       else engage_classes),
                   require_violation=require_violation,
                   engagement_zones_only=engagement_zones_only,
                   no_kinetic_kinds=tuple(no_kinetic_kinds),
                   approval_delay_s=(float(approval_delay_s[0]), float(approval_delay_s[1])),
                   min_track_hits=int(min_track_hits), min_track_age_s=float(min_track_age_s),
                   max_track_stale_s=float(max_track_stale_s),
                   expensive_effector_eur=float(expensive_effector_eur),
                   value_floor=value_floor, require_crossing=require_crossing)

    @property
    def thresholds(self) -> NDArray[np.float64]:
        """(7,) minimum probability per class; inf for classes that may not be engaged."""
        thr = np.full(N_CLASSES, np.inf)
        for k, p in self.engage_classes.items():
            thr[PlatformClass[k]] = float(p)
        return thr

    @property
    def auto_approve(self) -> bool:
        return self.approval == "auto"

    def single_class_confident(self, class_prob: ArrayLike) -> B:
        """(N,) some allowed class reaches its own threshold on its own probability (no
        summing of look-alike classes): the confidence expensive effectors need."""
        p = np.asarray(class_prob, dtype=np.float64)
        thr = self.thresholds
        allowed = np.isfinite(thr) & (thr <= 1.0)
        return np.any(allowed[None, :] & (p >= thr[None, :]), axis=1)


def engageable(roe: Roe, class_prob: ArrayLike, cooperative_trusted: ArrayLike,
               violated: ArrayLike, in_engagement_zone: ArrayLike) -> tuple[B, I8]:
    """Which of N tracks the ROE allow engaging.

    ``class_prob`` (N, 7) class probabilities (rows sum to 1, ``PlatformClass`` order);
    ``cooperative_trusted``, ``violated`` (violated own sovereign airspace),
    ``in_engagement_zone`` (N,) bool. Returns ``ok`` (N,) bool and ``reason`` (N,) int8
    :class:`Reason` codes (``OK`` where engageable; else the first failing rule).
    """
    p = np.asarray(class_prob, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != N_CLASSES:
        raise InputError(f"class_prob: got shape {p.shape}; expected (N, {N_CLASSES})")
    n = p.shape[0]
    coop = _bool(cooperative_trusted, n, "cooperative_trusted")
    viol = _bool(violated, n, "violated")
    inz = _bool(in_engagement_zone, n, "in_engagement_zone")

    # An allowed class c passes when the probability of the allowed classes whose threshold is
    # no stricter than c's reaches c's threshold: "Shahed 0.45 / Gerbera 0.45" is a hostile
    # one-way drone at 0.9 even though the classifier cannot yet say which (they are built to
    # look alike); each class still needs the mass at its own confidence level.
    thr = roe.thresholds                                      # (C,) inf = not allowed
    allowed = np.isfinite(thr) & (thr <= 1.0)
    looser = allowed[None, :] & (thr[None, :] <= thr[:, None])  # (C, C): c' counts for c
    mass = p @ looser.T.astype(np.float64)                    # (N, C)
    class_ok = np.any(allowed[None, :] & (mass >= thr[None, :]), axis=1)
    if roe.weapons == "free":
        protected = (p[:, PlatformClass.MANNED_AIRCRAFT] + p[:, PlatformClass.BIRD]
                     >= FREE_PROTECTED_P)
        class_ok |= ~protected

    reason = np.zeros(n, dtype=np.int8)
    # assign in reverse priority so the first failing rule wins
    if roe.engagement_zones_only:
        reason[~inz] = Reason.OUTSIDE_ENGAGEMENT_ZONE
    if roe.require_violation:
        reason[~(viol | inz)] = Reason.NOT_VIOLATED
    reason[~class_ok] = Reason.ROE
    reason[coop] = Reason.COOPERATIVE
    return reason == Reason.OK, reason


def _bool(a: ArrayLike, n: int, name: str) -> B:
    v = np.asarray(a)
    if v.shape != (n,):
        raise InputError(f"{name}: got shape {v.shape}; expected ({n},)")
    return v.astype(bool)
