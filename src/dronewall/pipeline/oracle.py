"""The perfect-information ceiling: the ``oracle`` doctrine.

The oracle runs the **same** engagement stage as the planner -- same effectors, ROE, approval
delay, shoot-look-shoot, planner -- on information taken from the truth instead of the sensors,
so only the information differs:

* :class:`OracleStage` builds the step's :class:`~dronewall.chain.Picture` from the true
  positions and velocities of the platforms flying (ids = platform indices; a position error of
  ``ORACLE_SIGMA_M``, track age = time since launch) and a
  :class:`~dronewall.chain.Classified` with the **true class** (probability 1) and genuine
  cooperative identities trusted;
* the ordinary :class:`~dronewall.chain.AirspaceStage` turns it into airspace events (true
  border crossings);
* :class:`OracleThreatStage` knows each platform's **intent**: from its true future path, the
  first valued zone it will enter and when; its value is that zone's expected damage
  (class lethality x min(zone value, class damage cap): the threat model's, ``docs/threat.md``)
  with P(reach) 1; zero when it will reach none;
* :class:`TruthPredictor` gives the engagement windows the platforms' true future positions
  (the perfect route-aware prediction).

Truth trajectories do not depend on kills (a killed platform's motion is still integrated,
invisibly; :meth:`dronewall.sim.truth.TruthSimulator.kill`), so :class:`TruthFuture` computes
them once, up front, from a second simulator on the same seed; kills only decide who is still
flying (the live truth state each step, :meth:`OracleStage.observe_truth`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from dronewall.airspace import ZoneSet
from dronewall.airspace.events import AirspaceEvent, Entry, Exit
from dronewall.catalog import PlatformClass
from dronewall.chain.records import Classified, Picture, StepRecord
from dronewall.classify.coop_tracks import TRUST_NONE, TRUST_TRUSTED
from dronewall.classify.tracks import ClassStep
from dronewall.detections import SensorKind
from dronewall.engagement.threat import ThreatAssessment, ThreatConfig
from dronewall.geo import Frame
from dronewall.tracking import ATTR_NAMES, TrackSnapshot

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Position error the oracle's picture claims, per axis, m (a tiny positive figure keeps every
#: variance-based formula finite).
ORACLE_SIGMA_M = 1.0


class TruthFuture:
    """Every platform's true ENU position (T, P, 3) and flying flag (T, P) at the scenario's
    step times ``times`` (T,), from a truth simulator run to the end (``sim.run_arrays``)."""

    def __init__(self, sim: Any, frame: Frame) -> None:
        arr = sim.run_arrays(("active", "ecef", "lat_deg", "lon_deg"))
        self.times: F64 = np.asarray(arr["t"], dtype=np.float64)
        self.active: NDArray[np.bool_] = np.asarray(arr["active"], dtype=bool)
        ecef = np.asarray(arr["ecef"], dtype=np.float64)
        t_n, p_n = self.active.shape
        self.pos: F64 = frame.to_local(ecef.reshape(-1, 3)).reshape(t_n, p_n, 3)
        self.lat: F64 = np.asarray(arr["lat_deg"], dtype=np.float64)
        self.lon: F64 = np.asarray(arr["lon_deg"], dtype=np.float64)
        self.step = float(self.times[1] - self.times[0]) if t_n > 1 else 1.0
        flying = self.active.any(axis=0)
        self.launch_t: F64 = np.where(flying, self.times[np.argmax(self.active, axis=0)],
                                      np.inf)

    def index(self, t: float | F64) -> NDArray[np.int64]:
        """Nearest step index of time(s) ``t`` (clipped to the run)."""
        return np.clip(np.rint(np.asarray(t) / self.step).astype(np.int64), 0,
                       self.times.size - 1)

    def first_entries(self, zones: ZoneSet | None) -> tuple[NDArray[np.int64], F64]:
        """For each valued zone (value_eur > 0): (A, T, P) index of the next step at or after
        each step when each platform is inside it (T: never), and the zones' values (A,)."""
        assets = [z for z in (zones.zones if zones is not None else []) if z.value_eur > 0]
        t_n, p_n = self.active.shape
        nxt = np.full((len(assets), t_n, p_n), t_n, dtype=np.int64)
        for a, z in enumerate(assets):
            shapely.prepare(z.geometry)
            ins = shapely.contains_xy(z.geometry, self.lon.ravel(),
                                      self.lat.ravel()).reshape(t_n, p_n) & self.active
            idx = np.where(ins, np.arange(t_n)[:, None], t_n)
            nxt[a] = np.minimum.accumulate(idx[::-1], axis=0)[::-1]
        return nxt, np.array([float(z.value_eur) for z in assets])


class TruthPredictor:
    """True future positions of platforms (ids = platform indices) on the window samples."""

    def __init__(self, future: TruthFuture) -> None:
        self.future = future

    def path(self, ids: I64, t: float, tau: F64) -> F64:
        f = self.future
        k = f.index(t + tau)  # (K,)
        beyond = (t + tau) > f.times[-1] + 1e-9
        ids = np.asarray(ids, dtype=np.int64)
        out = f.pos[k[None, :], ids[:, None]]  # (N, K, 3)
        flying = f.active[k[None, :], ids[:, None]] & ~beyond[None, :]
        return np.where(flying[..., None], out, np.nan)


class OracleStage:
    """The true picture and classes (module docstring). ChainRun hands it the live truth state
    (with kills) before each chain step."""

    name = "oracle"

    def __init__(self, plat: Any, future: TruthFuture, frame: Frame) -> None:
        self.plat, self.future, self.frame = plat, future, frame
        self.cls = np.asarray(plat.cls, dtype=np.int64)
        self.icao = np.asarray(plat.icao24, dtype=object)
        self.coop = np.asarray(plat.adsb, dtype=bool) | np.asarray(plat.remote_id, dtype=bool)
        self._st: Any = None

    def observe_truth(self, st: Any) -> None:
        self._st = st

    def step(self, rec: StepRecord) -> StepRecord:
        st = self._st
        assert st is not None and abs(float(st.t) - rec.t) < 1e-6, "oracle needs the truth"
        ids = np.flatnonzero(st.active).astype(np.int64)
        n = ids.size
        pos = self.frame.to_local(st.ecef[ids]) if n else np.zeros((0, 3))
        vel = np.asarray(st.vel_ecef[ids], dtype=np.float64) @ self.frame.rot.T if n \
            else np.zeros((0, 3))
        x = np.concatenate([pos, vel], axis=1)
        P = np.zeros((n, 6, 6))
        P[:, np.arange(3), np.arange(3)] = ORACLE_SIGMA_M ** 2
        P[:, np.arange(3, 6), np.arange(3, 6)] = 0.01
        t = rec.t
        full = np.full(n, t)
        snap = TrackSnapshot(
            t=t, ids=ids, status=np.full(n, 2, np.int8), x=x, P=P, t_state=full,
            t_update=full.copy(), t_created=np.minimum(self.future.launch_t[ids], t),
            hits=np.full(n, 10_000, np.int32),
            identity=np.where(self.coop[ids], self.icao[ids], "").astype(object),
            last_seen=np.full((n, len(SensorKind)), t), model_prob=np.ones((n, 1)),
            attr=np.full((n, len(ATTR_NAMES)), np.nan),
            attr_t=np.full((n, len(ATTR_NAMES)), np.nan))
        pic = Picture(t=t, tracks=snap, pos=pos, vel=vel, lat_deg=np.asarray(st.lat_deg[ids]),
                      lon_deg=np.asarray(st.lon_deg[ids]), alt_m=np.asarray(st.alt_m[ids]),
                      cov_h=P[:, :2, :2].copy())
        prob = np.zeros((n, len(PlatformClass)))
        prob[np.arange(n), self.cls[ids]] = 1.0
        classes = ClassStep(ids.copy(), prob, self.cls[ids].copy(),
                            np.full(n, "truth", dtype=object), np.full(n, -1, np.int64))
        trust = np.where(self.coop[ids], TRUST_TRUSTED, TRUST_NONE).astype(np.int8)
        return rec.with_(picture=pic, classified=Classified(classes, trust))

    def finish(self) -> None:
        return None


class OracleThreatStage:
    """Threat assessment with known intent (module docstring); the violation state from the
    airspace events of own sovereign zones, as the threat stage's."""

    name = "threat"

    def __init__(self, future: TruthFuture, zones: ZoneSet | None, own_zone_ids: set[str],
                 config: ThreatConfig | None = None) -> None:
        self.future = future
        self.config = config or ThreatConfig()
        self.next_in, self.values = future.first_entries(zones)
        leth = np.asarray(self.config.lethality)
        cap = np.asarray(self.config.max_damage_eur)
        self.damage = leth[:, None] * np.minimum(self.values[None, :], cap[:, None])  # (C, A)
        self.own = own_zone_ids
        self.viol: dict[int, float] = {}

    def _events(self, events: tuple[AirspaceEvent, ...]) -> None:
        for e in events:
            if e.zone_kind == "sovereign" and e.zone_id in self.own and \
                    isinstance(e, Entry | Exit):
                self.viol[int(e.track_id)] = float(e.p_inside or 0.0) \
                    if isinstance(e, Entry) else 0.0

    def step(self, rec: StepRecord) -> StepRecord:
        self._events(rec.events)
        pic, cl = rec.picture, rec.classified
        assert pic is not None and cl is not None
        n = len(pic)
        if n == 0:
            return rec.with_(threats=None)
        ids = pic.ids
        f = self.future
        i = int(f.index(rec.t))
        a_n = self.values.size
        cls = np.asarray(cl.classes.map_class, dtype=np.int64)
        if a_n:
            nxt = self.next_in[:, i, ids]  # (A, N)
            will = nxt < f.times.size
            dmg = np.where(will, self.damage[cls].T, 0.0)  # (A, N)
            asset = np.argmax(dmg, axis=0)
            cols = np.arange(n)
            var = dmg[asset, cols]
            t_go = np.where(will[asset, cols], f.times[np.minimum(nxt[asset, cols],
                                                                  f.times.size - 1)] - rec.t,
                            np.inf)
            p_reach = will[asset, cols].astype(np.float64)
            asset = np.where(var > 0, asset, -1)
        else:
            var, t_go, p_reach = np.zeros(n), np.full(n, np.inf), np.zeros(n)
            asset = np.full(n, -1, np.int64)
        vp = np.array([self.viol.get(int(k), 0.0) for k in ids.tolist()])
        leth = np.asarray(self.config.lethality)[cls]
        urg = 1.0 / (1.0 + np.nan_to_num(t_go, posinf=1e9) / self.config.urgency_tau_s)
        score = var * urg + self.config.violation_value_eur * vp * ~cl.trusted
        order = np.lexsort((ids, np.nan_to_num(t_go, posinf=1e18), -score))
        rank = np.empty(n, np.int64)
        rank[order] = np.arange(1, n + 1)
        ta = ThreatAssessment(ids, score, rank, leth, var, asset.astype(np.int64), t_go,
                              np.where(p_reach > 0, 0.0, np.inf), p_reach,
                              p_reach > 0, vp, self.config)
        return rec.with_(threats=ta)

    def finish(self) -> None:
        return None
