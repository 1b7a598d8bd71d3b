"""Nothing flies below the ground: the altitude constraint on 3-D track states.

Far out, a radar plot's elevation error spreads into hundreds of metres of height (0.5 deg at
50 km is 440 m), and a low drone's track -- whose height only radar elevation observes --
drifted to estimates a kilometre below the ground (flagship raid, seed 1: 9 % of reported track
rows below 0 m, 99 of 114 tracks at some time; docs/benchmarks.md s.6). Such a state is
impossible, and it is not harmless: a track's height enters every association with angle
measurements (camera elevation), the duplicate test and the classifier's altitude evidence.

The floor is a known inequality, applied as one by *estimate projection* (Simon 2010,
"Kalman filtering with state constraints: a survey of linear and nonlinear algorithms", IET
Control Theory & Applications 4(8), s.2.3): a state whose mean lies below the linearised
constraint ``alt(x) >= floor`` is moved onto it along the direction of least Mahalanobis
distance, ``x' = x + P h (floor - h.x) / (h' P h)`` -- so every component moves by its
regression on the height, and the vertical velocity that took the track down is corrected
with it. The covariance is kept: the projection says where the target cannot be, not how well
its height is known. Truncating the Gaussian instead (its mean moves to the truncated mean,
floor + ~0.8 sd) was tried: re-applied at every update it lifted a 60 m drone's track to a
median 220 m off against 175 m unconstrained (one seed of tests/tracking/test_ground.py's
case): a low target -- the ones the wall is for -- put where the data did not say it was.

The altitude is the WGS84 ellipsoidal height of the track's position; ``h`` is the local
vertical there (the state lives in a tangent-plane frame, whose "up" tilts with distance
from the origin). IMM tracks are projected model by model and recombined; lost tracks (one
prediction, models restarted at their next update) on their combined state.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.tracking import kernels as K
from dronewall.tracking.state import EngineState
from dronewall.tracking.table import LOST

F64 = NDArray[np.float64]
B8 = NDArray[np.bool_]
I64 = NDArray[np.int64]


def project_above(x: F64, P: F64, h: F64, s: F64, s_min: F64) -> tuple[F64, B8]:
    """Move means ``x`` (N, n) whose linear functional ``h . x`` (``h`` (N, n), its value at
    the mean ``s`` (N,) given, so a linearised nonlinear functional can be used) is below
    ``s_min`` (N,) onto ``h . x = s_min`` along ``P h`` (the minimum-Mahalanobis-distance
    projection with covariances ``P`` (N, n, n)); returns the new means and which rows
    moved (rows with no spread along ``h`` are left alone)."""
    Ph = np.einsum("nij,nj->ni", P, h)
    v = np.einsum("ni,ni->n", h, Ph)
    act = np.isfinite(v) & (v > 0.0) & np.isfinite(s) & (s < s_min)
    xn = x.copy()
    if act.any():
        xn[act] = x[act] + Ph[act] * ((s_min[act] - s[act]) / v[act])[:, None]
    return xn, act


class _GroundConstraint(EngineState):
    """The altitude floor (``TrackerConfig.ground_floor_m``) on the track table, for
    ``Engine``."""

    def _constrain_to_ground(self) -> int:
        """Project every 3-D track state whose height is below ``ground_floor_m``
        (ellipsoidal height, m) onto it; returns how many tracks were moved."""
        floor = float(self.cfg.ground_floor_m)
        T = self.T
        n = T.n
        if self.dims != 3 or n == 0 or not np.isfinite(floor):
            return 0
        # without IMM, and for lost tracks (models restarted at their next update), the one
        # state is the track; live IMM tracks are projected model by model (the next
        # prediction mixes from the models, not from their combination)
        one = T.status[:n] == LOST if self.r > 1 else np.ones(n, dtype=bool)
        rows = np.flatnonzero(one)
        moved = self._project(T.x, T.P, rows, floor)
        if self.r > 1:
            live = np.flatnonzero(~one)
            k, r = live.size, self.r
            xm = T.xm[live].reshape(k * r, self.ns)
            Pm = T.Pm[live].reshape(k * r, self.ns, self.ns)
            hit = self._project(xm, Pm, np.arange(k * r), floor)
            if hit.size:
                sel = np.unique(hit // r)
                T.xm[live[sel]] = xm.reshape(k, r, self.ns)[sel]
                T.x[live[sel]], T.P[live[sel]] = K.imm_combine(
                    T.xm[live[sel]], T.Pm[live[sel]], T.mu[live[sel]])
                moved = np.concatenate([moved, live[sel]])
        return int(moved.size)

    def _project(self, x: F64, P: F64, rows: I64, floor: float) -> I64:
        """Project states ``x[rows]`` (in place) whose height is below ``floor`` onto it, along
        the local vertical at each; returns the rows moved."""
        if rows.size == 0:
            return rows
        _, _, alt = self.frame.local_to_geodetic(x[rows, :3])
        below = rows[alt < floor]
        if below.size == 0:
            return below
        h = np.zeros((below.size, self.ns))
        h[:, :3] = self.frame.local_up(x[below, :3])
        xn, act = project_above(x[below], P[below], h, alt[alt < floor],
                                np.full(below.size, floor))
        x[below[act]] = xn[act]
        return below[act]
