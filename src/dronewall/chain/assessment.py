"""What the engagement stage believes about each track between shots: whether it crossed into
own airspace, and whether it is still alive after the shots that reached it.

Two small per-track ledgers (only tracks that entered own airspace or were shot at have an
entry; a raid has tens of them, so plain dicts are the right size):

* :class:`Crossings` -- a track *violates* own airspace only after a border crossing that was
  **observed** (the airspace stage's sovereign ``Entry`` interpolated a crossing or names the
  country it came from) or **inferred**: first detected inside, but its straight path flown
  back leaves the zone within the distance its class can have come straight from the border
  (``INFER_BACK_M`` by MAP class: a one-way or reconnaissance drone on its inbound leg,
  first seen where the sensors begin tens of km inside; a multirotor only within its radio
  link's reach; never a bird or a manned aircraft), or within its age plus ``INFER_BACK_S``
  of flight whatever its class. The inference is retried every step while the track is
  inside (its class firms up after its first scans). A track first detected deep inside and
  never seen crossing (a local hobby quadcopter, a farmer's drone) is not a violator. An
  ``Exit`` ends the violation.
* :class:`KillAssessment` -- battle-damage assessment from the picture: every resolved shot
  multiplies the track's ``P(alive)`` by ``1 - pk``; after the look period the track's own
  updates say more (Bayes): an update after the intercept is evidence it still flies
  (likelihood ``P_UPDATE_ALIVE`` against ``P_UPDATE_DEAD`` for a wreck or a false
  association), no update is evidence it was destroyed -- until the track is updated again
  (a coverage gap during the look, not a kill). A track lost after a kill ends with a low
  ``P(alive)``; one that keeps flying is re-engaged at ``P(alive)`` near 1.

Both follow track breaks: a new track that inherited its class from an ended one (the
classifier's lineage) inherits its crossing and kill assessment (:meth:`inherit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray

from dronewall.airspace import ZoneSet
from dronewall.airspace.events import AirspaceEvent, Entry, Exit
from dronewall.geo import Frame

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Extra back-projection time of a track first detected inside own airspace, s [E]: a drone
#: detected within two minutes of flight (~6 km at 50 m/s) of the border, flying inwards, has
#: crossed it even if no sensor saw it do so.
INFER_BACK_S = 120.0
#: Below this ground speed no path is flown back (a hovering track says nothing), m/s.
MIN_SPEED_MPS = 3.0
#: How far back along its straight path a track of each MAP class may have come from the
#: border, m [E] (``PlatformClass`` order): manned aircraft 0 (a violation by a manned aircraft
#: must be observed), one-way attack drones, decoys and reconnaissance UAVs 150 km (a straight
#: inbound leg from the border; they fly 600-2,500 km: costs-and-wta.md s.1), multirotors
#: 10 km (within a DJI-class radio link of an operator across the border), birds 0, unknown
#: 20 km.
INFER_BACK_M: tuple[float, ...] = (0.0, 150_000.0, 150_000.0, 150_000.0, 10_000.0, 0.0,
                                   20_000.0)
#: Spacing of the points tested along the path flown back, m.
INFER_STEP_M = 2_000.0
#: Likelihood of at least one track update within the look period after the intercept, for a
#: target that still flies and for one that was destroyed (a falling wreck's last returns, a
#: clutter plot associated to the coasting track) [E].
P_UPDATE_ALIVE = 0.9
P_UPDATE_DEAD = 0.05
#: An update counts as evidence only when it is this much later than the intercept, s (the
#: target's last returns before the hit arrive with the same step).
UPDATE_AFTER_S = 0.5


class Crossings:
    """Violation of own sovereign airspace by observed or inferred crossing (module doc).
    ``own_zone_ids``: the own sovereign zones (None: every sovereign zone of ``zones``);
    entries into neighbours' zones are ignored."""

    def __init__(self, zones: ZoneSet | None, frame: Frame,
                 own_zone_ids: set[str] | None = None) -> None:
        self.frame = frame
        self.geoms: dict[str, shapely.Geometry] = {}
        if zones is not None:
            for z in zones.zones:
                if z.kind == "sovereign" and (own_zone_ids is None or z.id in own_zone_ids):
                    shapely.prepare(z.geometry)
                    self.geoms[z.id] = z.geometry
        self.crossed: dict[int, float] = {}   # track id -> time of the crossing, s
        self.inside: dict[int, str] = {}      # track id -> own sovereign zone it is inside
        self.inferred: set[int] = set()

    def update(self, events: tuple[AirspaceEvent, ...], ids: I64, pos: F64, vel: F64,
               t_created: F64, t: float, map_class: I64 | None = None) -> None:
        """Take the step's sovereign entries and exits, then infer the crossings of tracks
        inside that were not seen crossing (``ids``, ``pos``, ``vel`` (N, 3) engine frame,
        ``t_created`` (N,) s, ``map_class`` (N,) MAP class codes: the picture)."""
        for e in events:
            if e.zone_kind != "sovereign" or not isinstance(e, Entry | Exit) \
                    or e.zone_id not in self.geoms:
                continue
            tk = int(e.track_id)
            if isinstance(e, Exit):
                self.inside.pop(tk, None)
                continue
            self.inside[tk] = e.zone_id
            if tk not in self.crossed and (e.interpolated or e.from_country):
                self.crossed[tk] = float(e.t_s if e.t_s is not None else t)
        todo = [tk for tk in self.inside if tk not in self.crossed]
        if not todo:
            return
        row = {int(k): i for i, k in enumerate(ids.tolist())}
        for tk in todo:
            i = row.get(tk)
            if i is None:
                continue
            back = float(vel_norm(vel[i])) * (max(t - float(t_created[i]), 0.0) + INFER_BACK_S)
            if map_class is not None:
                back = max(back, INFER_BACK_M[int(map_class[i])])
            if self._flown_back_outside(self.inside[tk], pos[i], vel[i], back):
                self.crossed[tk] = t
                self.inferred.add(tk)

    def _flown_back_outside(self, zone_id: str, pos: F64, vel: F64, back_m: float) -> bool:
        g = self.geoms.get(zone_id)
        speed = float(vel_norm(vel))
        if g is None or speed < MIN_SPEED_MPS or back_m <= 0:
            return False
        u = np.array([vel[0], vel[1], 0.0]) / speed
        d = np.append(np.arange(INFER_STEP_M, back_m, INFER_STEP_M), back_m)
        pts = pos[None, :] - d[:, None] * u[None, :]
        lat, lon, _ = self.frame.local_to_geodetic(pts)
        return not bool(np.all(shapely.contains_xy(g, lon, lat)))

    def violating(self, ids: I64, require_crossing: bool = True) -> NDArray[np.bool_]:
        """(N,) inside own airspace (and, with ``require_crossing``, having crossed into it)."""
        ins = np.array([int(k) in self.inside for k in ids.tolist()], dtype=bool)
        if not require_crossing:
            return ins
        return ins & np.array([int(k) in self.crossed for k in ids.tolist()], dtype=bool)

    def inherit(self, new: int, old: int) -> None:
        """A track that continues an ended one keeps its crossing (not its inside state: the
        airspace stage reports that for the new id)."""
        if old in self.crossed and new not in self.crossed:
            self.crossed[new] = self.crossed[old]


@dataclass
class _Look:
    t_intercept_s: float
    t_end_s: float


@dataclass
class KillAssessment:
    """``P(alive)`` per track from resolved shots and the picture (module doc)."""

    look_s: float
    p_alive: dict[int, float] = field(default_factory=dict)
    looks: dict[int, _Look] = field(default_factory=dict)
    #: tracks judged destroyed because they fell silent, and when: an update after that
    #: revives them (the picture still sees them fly)
    silent: dict[int, float] = field(default_factory=dict)

    def p(self, ids: I64) -> F64:
        """(N,) P(alive) of each track (1 for tracks never shot at)."""
        return np.array([self.p_alive.get(int(k), 1.0) for k in ids.tolist()])

    def intercept(self, track: int, t: float, pk: float) -> None:
        """A shot with kill probability ``pk`` reached ``track`` at ``t``: P(alive) x (1-pk);
        a look until ``t + look_s`` (extended when several shots arrive)."""
        self.p_alive[track] = self.p_alive.get(track, 1.0) * (1.0 - float(pk))
        lk = self.looks.get(track)
        self.looks[track] = _Look(t, t + self.look_s) if lk is None else \
            _Look(max(lk.t_intercept_s, t), max(lk.t_end_s, t + self.look_s))

    def step(self, t: float, t_update: Mapping[int, float]) -> None:
        """Close the looks: an update after the intercept says alive; none by the end of the
        look period says destroyed (``t_update``: last update time of each track in the
        picture; a track missing from it got no update)."""
        done = []
        for tk, lk in self.looks.items():
            tu = t_update.get(tk, -np.inf)
            if tu > lk.t_intercept_s + UPDATE_AFTER_S:
                self.p_alive[tk] = _bayes(self.p_alive.get(tk, 1.0), True)
                done.append(tk)
            elif t >= lk.t_end_s:
                self.p_alive[tk] = _bayes(self.p_alive.get(tk, 1.0), False)
                self.silent[tk] = t
                done.append(tk)
        for tk in done:
            del self.looks[tk]
        for tk in [k for k, ts in self.silent.items() if t_update.get(k, -np.inf) > ts]:
            # silent through the look, updated since: it still flies (undo the silence, then
            # count the update)
            p = self.p_alive.get(tk, 1.0)
            self.p_alive[tk] = _bayes(_unbayes(p, False), True)
            del self.silent[tk]

    def looking_until(self, track: int) -> float:
        """End of the open look period of ``track`` (-inf: none)."""
        lk = self.looks.get(track)
        return lk.t_end_s if lk is not None else -np.inf

    def inherit(self, new: int, old: int) -> None:
        if old in self.p_alive and new not in self.p_alive:
            self.p_alive[new] = self.p_alive[old]
        if old in self.looks and new not in self.looks:
            self.looks[new] = self.looks[old]
        if old in self.silent and new not in self.silent:
            self.silent[new] = self.silent[old]

    def forget(self, keep: set[int]) -> None:
        """Drop tracks no longer of interest (ended and not referenced)."""
        for d in (self.p_alive, self.looks, self.silent):
            for k in [k for k in d if k not in keep]:
                del d[k]


def vel_norm(v: F64) -> float:
    """Ground speed of an engine-frame velocity (3,), m/s."""
    return float(np.hypot(v[0], v[1]))


def _likelihoods(updated: bool) -> tuple[float, float]:
    return (P_UPDATE_ALIVE, P_UPDATE_DEAD) if updated else (1 - P_UPDATE_ALIVE,
                                                            1 - P_UPDATE_DEAD)


def _bayes(p: float, updated: bool) -> float:
    la, ld = _likelihoods(updated)
    num = p * la
    den = num + (1.0 - p) * ld
    return num / den if den > 0 else p


def _unbayes(p: float, updated: bool) -> float:
    """The prior of :func:`_bayes` given its posterior ``p`` (undo one update)."""
    la, ld = _likelihoods(updated)
    num = p * ld
    den = num + (1.0 - p) * la
    return num / den if den > 0 else p
