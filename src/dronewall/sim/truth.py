"""Truth simulator: all platforms of a scenario flying, one :class:`TruthState` per step.

Usage::

    sim = TruthSimulator(scenario, np.random.default_rng(scenario.seed))
    sim.platforms            # PlatformTable (static, P rows)
    for state in sim.states():   # streaming: one TruthState per time in sim.times
        ...

Motion models, guidance limits, the GNSS-jamming model and the expansion rules are described in
``docs/simulation.md``. Everything is vectorised over platforms; the per-step cost is a fixed
number of numpy calls per motion model plus one per jamming area / bird area.

Determinism: the generator passed in is used to expand the traffic and then to draw one seed
for the in-flight randomness (multirotor jitter and patrol points, bird wander). Every call of
:meth:`TruthSimulator.states` restarts from that seed, so repeated runs of the same simulator --
and runs of two simulators built from the same scenario and seed -- are bit-identical.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.catalog import MotionModel
from dronewall.scenario.model import Scenario
from dronewall.sim.areas import GEOD, SimArea
from dronewall.sim.expand import PATTERN_PATROL, Expansion, expand_traffic
from dronewall.sim.kinematics import (
    PATROL_HOVER_S,
    MotionState,
    bird_step,
    enu_to_ecef_vec,
    fixed_wing_step,
    geodetic_to_ecef_rad,
    multirotor_step,
)
from dronewall.sim.state import PlatformTable, TruthState

F64 = NDArray[np.float64]

#: Relative tolerance when laying out step times, so 0..duration includes duration itself
#: despite floating-point division (e.g. 3600 / 0.1).
_TIME_EPS = 1e-9

#: Fields :meth:`TruthSimulator.run_arrays` returns by default.
DEFAULT_FIELDS: tuple[str, ...] = ("active", "lat_deg", "lon_deg", "alt_m", "ecef", "vel_enu",
                                   "jammed")


@dataclass(frozen=True)
class _Jammer:
    area: SimArea
    t0_s: float
    t1_s: float
    bias_rad: float
    drift_e_mps: float
    drift_n_mps: float


class TruthSimulator:
    """Ground truth for a scenario (see module docstring).

    ``nav_recovery_tau_s``: time constant (s) with which a platform's accumulated GNSS-jamming
    navigation error decays once it is outside every active jamming area. The default,
    ``inf``, keeps the error for the rest of the flight: the platform has no absolute position
    fix to correct it with (see ``docs/simulation.md``, "GNSS jamming").
    """

    def __init__(self, scenario: Scenario, rng: np.random.Generator,
                 nav_recovery_tau_s: float = math.inf) -> None:
        if not nav_recovery_tau_s > 0:
            raise ValueError("nav_recovery_tau_s must be > 0 (inf: no recovery)")
        self.scenario = scenario
        self.expansion: Expansion = expand_traffic(scenario, rng)
        self.platforms: PlatformTable = self.expansion.table
        step = scenario.time.step_s
        n_steps = int(math.floor(scenario.time.duration_s / step * (1.0 + _TIME_EPS)))
        self.times: F64 = np.arange(n_steps + 1, dtype=np.float64) * step
        self.nav_recovery_tau_s = float(nav_recovery_tau_s)
        self._dynamics_seed = int(rng.integers(0, 2**63 - 1))
        self._jammers = tuple(
            _Jammer(SimArea.from_spec(j.area), float(j.window_s[0]), float(j.window_s[1]),
                    math.radians(j.bias_deg),
                    j.drift_mps * math.sin(math.radians(j.drift_bearing_deg)),
                    j.drift_mps * math.cos(math.radians(j.drift_bearing_deg)))
            for j in scenario.jamming)
        ex = self.expansion
        self._is_fw = ex.motion == int(MotionModel.FIXED_WING)
        self._is_mr = ex.motion == int(MotionModel.MULTIROTOR)
        self._is_bird = ex.motion == int(MotionModel.BIRD)
        op = ex.operator_ecef.copy()
        op.flags.writeable = False  # shared by every TruthState: constant over the run
        self._operator_ecef = op
        #: time each platform was killed (inf: never); see :meth:`kill`
        self.kill_t: F64 = np.full(len(self.platforms), np.inf)

    def __len__(self) -> int:
        return len(self.platforms)

    # ------------------------------------------------------------------------- public API

    def states(self) -> Iterator[TruthState]:
        """Generator of one :class:`TruthState` per time of :attr:`times` (memory O(P))."""
        return self._run()

    def kill(self, platform_index: int | Sequence[int] | NDArray[np.integer], t: float) -> None:
        """Mark platform(s) destroyed at time ``t`` (simulated engagements): from the first step
        after ``t`` on they are inactive (``TruthState.active`` False), so no sensor sees them
        and they leave the truth. The state yielded at ``t`` itself is unchanged.

        Deterministic and cheap: one vectorised mask per step. The killed platform's motion is
        still integrated (invisibly), so the random draws of every other platform -- and hence
        their trajectories -- are exactly those of a run without the kill. An earlier kill time
        wins. Kills persist on this simulator: a later :meth:`states` call replays them.
        """
        idx = np.atleast_1d(np.asarray(platform_index, dtype=np.int64))
        if idx.size and (idx.min() < 0 or idx.max() >= len(self.platforms)):
            raise IndexError(f"kill: platform index out of range 0..{len(self.platforms) - 1}")
        np.minimum.at(self.kill_t, idx, float(t))

    def run_arrays(self, fields: Sequence[str] = DEFAULT_FIELDS) -> dict[str, NDArray]:
        """Run the whole scenario and stack ``fields`` of every state: ``(T, P, ...)`` arrays,
        plus ``"t"`` (T,) s. For tests and small scenarios (memory grows with T)."""
        out: dict[str, list[NDArray]] = {f: [] for f in fields}
        for s in self.states():
            for f in fields:
                out[f].append(getattr(s, f))
        res: dict[str, NDArray] = {f: np.stack(v) for f, v in out.items()}
        res["t"] = self.times.copy()
        return res

    # ------------------------------------------------------------------------- internals

    def _initial_state(self) -> MotionState:
        ex = self.expansion
        p = len(ex.table)
        hdg = np.radians(ex.heading0_deg)
        vel = np.zeros((p, 3))
        moving_start = ~self._is_mr  # multirotors start hovering
        vel[moving_start, 0] = (ex.speed_mps * np.sin(hdg))[moving_start]
        vel[moving_start, 1] = (ex.speed_mps * np.cos(hdg))[moving_start]
        tgt_alt = np.where(self._is_bird, ex.alt0_m, ex.route_alt_m[:, 0] if p else ex.alt0_m)
        return MotionState(
            lat_rad=np.radians(ex.lat0_deg),
            lon_rad=np.radians(ex.lon0_deg),
            alt_m=ex.alt0_m.copy(),
            heading_rad=hdg,
            speed_mps=np.where(self._is_mr, 0.0, ex.speed_mps),
            vel_enu=vel,
            wp_idx=ex.wp_start.copy(),
            finished=np.zeros(p, dtype=bool),
            nav_err_en_m=np.zeros((p, 2)),
            tgt_lat_rad=np.radians(ex.route_lat_deg[:, 0]) if p else np.zeros(0),
            tgt_lon_rad=np.radians(ex.route_lon_deg[:, 0]) if p else np.zeros(0),
            tgt_alt_m=np.asarray(tgt_alt, dtype=np.float64).copy(),
            hover_until_s=np.full(p, np.nan),
            jitter_en_m=np.zeros((p, 2)),
            jammed=np.zeros(p, dtype=bool),
        )

    def _jam_assignment(self, st: MotionState, active: NDArray[np.bool_],
                        t: float) -> NDArray[np.intp]:
        """Index (P,) of the first active jammer whose area holds each active GNSS-navigated
        platform, -1 for none."""
        which = np.full(active.shape[0], -1, dtype=np.intp)
        cand = np.flatnonzero(active & self.platforms.gnss_navigated)
        if cand.size == 0:
            return which
        lat_deg, lon_deg = np.degrees(st.lat_rad[cand]), np.degrees(st.lon_rad[cand])
        for j, jam in enumerate(self._jammers):
            if not jam.t0_s <= t <= jam.t1_s:
                continue
            free = which[cand] < 0
            inside = np.zeros(cand.shape[0], dtype=bool)
            inside[free] = jam.area.contains(lat_deg[free], lon_deg[free])
            which[cand[inside]] = j
        return which

    def _patrol_update(self, st: MotionState, idx: NDArray[np.intp],
                       arrived: NDArray[np.bool_], t: float, rng: np.random.Generator) -> None:
        """Patrol multirotors: hover a random time at each reached point, then pick a new
        random point within the patrol radius of home."""
        ex = self.expansion
        pat = ex.pattern[idx] == PATTERN_PATROL
        start_hover = pat & arrived & np.isnan(st.hover_until_s[idx])
        if start_hover.any():
            i = idx[start_hover]
            st.hover_until_s[i] = t + rng.uniform(PATROL_HOVER_S[0], PATROL_HOVER_S[1], i.shape[0])
        done = pat & (st.hover_until_s[idx] <= t)
        if done.any():
            i = idx[done]
            n = i.shape[0]
            r = ex.radius_m[i] * np.sqrt(rng.random(n))
            lon, lat, _ = GEOD.fwd(ex.home_lon_deg[i], ex.home_lat_deg[i], 360.0 * rng.random(n), r)
            st.tgt_lat_rad[i], st.tgt_lon_rad[i] = np.radians(lat), np.radians(lon)
            st.hover_until_s[i] = np.nan

    def _snapshot(self, t: float, active: NDArray[np.bool_], st: MotionState) -> TruthState:
        vel_enu = st.vel_enu.copy()
        return TruthState(
            t=float(t),
            active=active,
            lat_deg=np.degrees(st.lat_rad),
            lon_deg=np.degrees(st.lon_rad),
            alt_m=st.alt_m.copy(),
            ecef=geodetic_to_ecef_rad(st.lat_rad, st.lon_rad, st.alt_m),
            vel_ecef=enu_to_ecef_vec(st.lat_rad, st.lon_rad, vel_enu),
            vel_enu=vel_enu,
            operator_ecef=self._operator_ecef,
            jammed=st.jammed.copy(),
        )

    def _run(self) -> Iterator[TruthState]:
        ex = self.expansion
        p = len(ex.table)
        rng = np.random.default_rng(self._dynamics_seed)
        st = self._initial_state()
        launch, end = ex.launch_s, ex.end_s
        jam_bias = np.array([j.bias_rad for j in self._jammers] + [0.0])
        jam_drift = np.array([[j.drift_e_mps, j.drift_n_mps] for j in self._jammers] + [[0.0, 0.0]])
        jam_idx = np.full(p, -1, dtype=np.intp)  # index -1 hits the zero row above
        decay = self.nav_recovery_tau_s
        t_prev = 0.0
        for k, t_np in enumerate(self.times):
            t = float(t_np)
            if k > 0:
                alive = (launch <= t) & ~st.finished & (t_prev < end)
                dt = t - np.maximum(t_prev, launch)
                moving = alive & (dt > 0.0)
                bias = jam_bias[jam_idx]
                fw = np.flatnonzero(moving & self._is_fw)
                if fw.size:
                    fixed_wing_step(st, fw, dt[fw], bias[fw], ex.route_lat_deg[fw],
                                    ex.route_lon_deg[fw], ex.route_alt_m[fw], ex.route_len[fw],
                                    ex.speed_mps[fw], ex.turn_rate_rps[fw], ex.climb_mps[fw])
                mr = np.flatnonzero(moving & self._is_mr)
                if mr.size:
                    arrived = multirotor_step(st, mr, dt[mr], bias[mr], ex.speed_mps[mr],
                                              ex.climb_mps[mr], rng)
                    self._patrol_update(st, mr, arrived, t, rng)
                bd = np.flatnonzero(moving & self._is_bird)
                if bd.size:
                    outside = np.zeros(bd.shape[0], dtype=bool)
                    lat_d, lon_d = np.degrees(st.lat_rad[bd]), np.degrees(st.lon_rad[bd])
                    for a, area in enumerate(ex.bird_areas):
                        sel = ex.area_idx[bd] == a
                        outside[sel] = ~area.contains(lat_d[sel], lon_d[sel])
                    bird_step(st, bd, dt[bd], outside, np.radians(ex.home_lat_deg[bd]),
                              np.radians(ex.home_lon_deg[bd]), ex.band_speed_mps[bd, 0],
                              ex.band_speed_mps[bd, 1], ex.band_alt_m[bd, 0],
                              ex.band_alt_m[bd, 1], ex.turn_rate_rps[bd], ex.climb_mps[bd], rng)
                if self._jammers:
                    mv = np.flatnonzero(moving)
                    st.nav_err_en_m[mv] += jam_drift[jam_idx[mv]] * dt[mv, None]
                    if math.isfinite(decay):
                        free = mv[jam_idx[mv] < 0]
                        st.nav_err_en_m[free] *= np.exp(-dt[free] / decay)[:, None]
            active = (launch <= t) & ~st.finished & (t <= end) & (self.kill_t >= t)
            if self._jammers:
                jam_idx = self._jam_assignment(st, active, t)
                st.jammed = jam_idx >= 0
            t_prev = t
            yield self._snapshot(t, active, st)
