"""Motion models of *lost* tracks (``TrackerConfig.lost_window_s``): confirmed tracks past
their coast time, unreported, kept for re-acquisition and stitching over gaps of minutes.

Over such gaps the IMM's mixture of turning and manoeuvring models averages velocity vectors
that point apart: the combined speed decays (on the flagship raid a 45 m/s drone's lost track
slowed to 22-25 m/s within 75-160 s) and the covariance swells with the spread of the model
means, so the lost track fell behind its target and was dropped before the target's next
plots. A lost track is predicted instead as what it is over such gaps:

* fast (horizontal speed >= ``lost_fast_speed_mps``: one-way drones, aircraft, which fly on
  along their course) -- constant velocity with acceleration density
  ``lost_q_horizontal_m2ps3`` (vertical scaled like the quiet model);
* slow (``lost_slow_tau_s`` > 0: birds, loitering multirotors, which wander) -- an
  Ornstein-Uhlenbeck velocity (:func:`ou_transition`) that forgets its direction in
  ``lost_slow_tau_s`` with sd ``lost_slow_speed_sd_mps`` per axis: the target is near where
  it was last seen, spread like a random walk, not far along its last heading.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.tracking import kernels as K
from dronewall.tracking.config import TrackerConfig

F64 = NDArray[np.float64]


def predict_lost(x: F64, P: F64, dt: F64, up: F64 | None,
                 cfg: TrackerConfig) -> tuple[F64, F64]:
    """Predict lost tracks' states x (N, 2d) and covariances P (N, 2d, 2d) over dt (N,) s
    with the lost-track models above; ``up`` (N, 3) their local vertical (3-D) or None."""
    dims = x.shape[1] // 2
    qh = cfg.lost_q_horizontal_m2ps3 if cfg.lost_q_horizontal_m2ps3 > 0 \
        else cfg.q_horizontal_m2ps3
    qv = cfg.q_vertical_m2ps3 * qh / cfg.q_horizontal_m2ps3
    Q = K.cv_process_noise(dt, K.accel_density_matrix(qh, qv, dims, up, x.shape[0]))
    xp, Pp = K.cv_predict(x, P, dt, Q)
    if cfg.lost_slow_tau_s > 0:
        slow = np.hypot(x[:, dims], x[:, dims + 1]) < cfg.lost_fast_speed_mps
        if slow.any():
            F, Qo = ou_transition(dt[slow], cfg.lost_slow_tau_s, cfg.lost_slow_speed_sd_mps,
                                  cfg.q_vertical_m2ps3, dims)
            xp[slow], Pp[slow] = K.kf_predict(x[slow], P[slow], F, Qo)
    return xp, Pp


def ou_transition(dt: F64, tau_s: float, sd_mps: float, q_v: float,
                  dims: int) -> tuple[F64, F64]:
    """Transition F and process noise Q (N, 2d, 2d) of a target whose horizontal velocity is
    an Ornstein-Uhlenbeck process -- it forgets its direction with correlation time ``tau_s``
    (s) about zero with stationary sd ``sd_mps`` (m/s, per axis) -- and whose vertical motion
    (dims 3) is constant velocity with acceleration density ``q_v`` (m^2/s^3).

    Over gaps much longer than ``tau_s`` the position spreads like a random walk (variance
    ~ 2 sd^2 tau dt) instead of the cubic growth of a constant-velocity model: a wandering
    slow target (a bird, a loitering multirotor) is near where it was last seen, not along
    its last heading. Integrated-OU moments: E = exp(-dt/tau); Var v = sd^2 (1 - E^2);
    Cov(p, v) = sd^2 tau (1 - E)^2; Var p = sd^2 tau^2 (2 dt/tau - 3 + 4 E - E^2).
    """
    dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    N, d = dt.shape[0], dims
    E = np.exp(-dt / tau_s)
    s2 = sd_mps * sd_mps
    F = np.broadcast_to(np.eye(2 * d), (N, 2 * d, 2 * d)).copy()
    Q = np.zeros((N, 2 * d, 2 * d))
    vpp = s2 * tau_s * tau_s * (2.0 * dt / tau_s - 3.0 + 4.0 * E - E * E)
    vpv = s2 * tau_s * (1.0 - E) ** 2
    vvv = s2 * (1.0 - E * E)
    for i in range(min(d, 2)):
        F[:, i, d + i] = tau_s * (1.0 - E)
        F[:, d + i, d + i] = E
        Q[:, i, i], Q[:, i, d + i], Q[:, d + i, i], Q[:, d + i, d + i] = vpp, vpv, vpv, vvv
    if d == 3:
        F[:, 2, 5] = dt
        Q[:, 2, 2] = q_v * dt ** 3 / 3.0
        Q[:, 2, 5] = Q[:, 5, 2] = q_v * dt ** 2 / 2.0
        Q[:, 5, 5] = q_v * dt
    return F, Q
