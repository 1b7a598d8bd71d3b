"""Pure, batched Kalman-filter kernels on struct-of-arrays track state.

Every function here is a pure function of arrays: no engine state, no per-track Python objects,
no module-level mutable state. Shapes use ``N`` for the batch (tracks or track/measurement
pairs), ``n`` for the state dimension and ``m`` for the measurement dimension.

State layout (constant-velocity family), engine frame = ENU tangent frame at the scenario origin:

* ``dims = 2``: ``x = [x, y, vx, vy]``           (m, m, m/s, m/s), n = 4
* ``dims = 3``: ``x = [x, y, z, vx, vy, vz]``    (m, m, m, m/s, m/s, m/s), n = 6

Linear algebra policy: no explicit inverses. Innovation covariances are factorised with a batched
Cholesky (:func:`cholesky_batched`, vectorised over ``N`` with Python loops only over the tiny
matrix dimension) and systems are solved by forward/back substitution (:func:`chol_solve`). A
factorisation failure is reported per row through an ``ok`` mask instead of an exception, so one
bad covariance can never stop the whole batch.

Equations (standard Kalman filter, Bar-Shalom et al. 2001, ch. 5):

    predict:  x' = F x,              P' = F P F^T + Q
    update:   y = z - h(x)  (angles wrapped to [-pi, pi)),  S = H P H^T + R
              K = P H^T S^-1,        x+ = x + K y
              Joseph:  P+ = (I - K H) P (I - K H)^T + K R K^T
              symmetric ("short") form: P+ = P - K S K^T, then symmetrised
    d^2 = y^T S^-1 y (Mahalanobis),  log N(y; 0, S) = -(d^2 + log|S| + m log 2 pi) / 2
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
B8 = NDArray[np.bool_]

TWO_PI = 2.0 * np.pi
LOG_2PI = float(np.log(2.0 * np.pi))


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------

def wrap_angle(a: F64) -> F64:
    """Wrap angles (rad) to [-pi, pi)."""
    return (np.asarray(a, dtype=np.float64) + np.pi) % TWO_PI - np.pi


def state_dim(dims: int) -> int:
    """State dimension n of the CV family for ``dims`` spatial dimensions (2 -> 4, 3 -> 6)."""
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, got {dims}")
    return 2 * dims


def position_matrix(dims: int) -> F64:
    """H (dims, 2*dims) selecting the position part of a CV state."""
    return np.hstack([np.eye(dims), np.zeros((dims, dims))])


def symmetrize(P: F64) -> F64:
    """(P + P^T) / 2 over the last two axes."""
    return 0.5 * (P + np.swapaxes(P, -1, -2))


def cholesky_batched(A: F64) -> tuple[F64, B8]:
    """Lower Cholesky factors of a batch of symmetric matrices, without raising.

    A: (N, m, m). Returns ``L`` (N, m, m) with ``A = L L^T`` and ``ok`` (N,) False where a pivot
    is not strictly positive or not finite (the row of ``L`` is then meaningless: callers mask it).
    Vectorised over N; the Python loops run over m (<= 6 here).
    """
    A = np.asarray(A, dtype=np.float64)
    N, m, _ = A.shape
    L = np.zeros_like(A)
    ok = np.ones(N, dtype=bool)
    for j in range(m):
        s = A[:, j, j] - np.einsum("nk,nk->n", L[:, j, :j], L[:, j, :j])
        good = np.isfinite(s) & (s > 0.0)
        ok &= good
        d = np.sqrt(np.where(good, s, 1.0))
        L[:, j, j] = d
        if j + 1 < m:
            prev = np.einsum("nik,nk->ni", L[:, j + 1:, :j], L[:, j, :j])  # earlier columns
            L[:, j + 1:, j] = (A[:, j + 1:, j] - prev) / d[:, None]
    return L, ok


def forward_sub(L: F64, B: F64) -> F64:
    """Solve L Y = B for lower-triangular L (N, m, m); B (N, m, k) -> Y (N, m, k)."""
    m = L.shape[1]
    Y = np.empty(np.broadcast_shapes(B.shape, (L.shape[0], m, B.shape[-1])), dtype=np.float64)
    for i in range(m):
        acc = B[:, i, :] - np.einsum("nk,nkj->nj", L[:, i, :i], Y[:, :i, :])
        Y[:, i, :] = acc / L[:, i, i][:, None]
    return Y


def back_sub_transposed(L: F64, Y: F64) -> F64:
    """Solve L^T X = Y for lower-triangular L (N, m, m); Y (N, m, k) -> X (N, m, k)."""
    m = L.shape[1]
    X = np.empty_like(Y)
    for i in range(m - 1, -1, -1):
        acc = Y[:, i, :] - np.einsum("nk,nkj->nj", L[:, i + 1:, i], X[:, i + 1:, :])
        X[:, i, :] = acc / L[:, i, i][:, None]
    return X


def chol_solve(L: F64, B: F64) -> F64:
    """Solve (L L^T) X = B given the Cholesky factor L (N, m, m); B (N, m, k)."""
    return back_sub_transposed(L, forward_sub(L, B))


def mahalanobis_sq(y: F64, S: F64) -> tuple[F64, F64, B8]:
    """Batched squared Mahalanobis distance y^T S^-1 y via Cholesky.

    y: (N, m), S: (N, m, m). Returns (d2 (N,), logdet_S (N,), ok (N,)). Rows whose S is not
    positive definite get d2 = +inf and ok = False.
    """
    L, ok = cholesky_batched(S)
    w = forward_sub(L, y[:, :, None])[:, :, 0]
    d2 = np.einsum("ni,ni->n", w, w)
    logdet = 2.0 * np.log(np.abs(np.diagonal(L, axis1=1, axis2=2))).sum(axis=1)
    d2 = np.where(ok, d2, np.inf)
    return d2, logdet, ok


def gaussian_loglik(d2: F64, logdet: F64, m: int | F64) -> F64:
    """log N(y; 0, S) from d2 = y^T S^-1 y and log|S|."""
    return -0.5 * (d2 + logdet + np.asarray(m) * LOG_2PI)


# ----------------------------------------------------------------------------------------------
# motion models
# ----------------------------------------------------------------------------------------------

def cv_transition(dt: F64, dims: int) -> F64:
    """CV transition matrices F (N, n, n) for time steps dt (N,) s: pos += dt * vel."""
    dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    n = state_dim(dims)
    F = np.broadcast_to(np.eye(n), (dt.shape[0], n, n)).copy()
    for k in range(dims):
        F[:, k, dims + k] = dt
    return F


def accel_density_matrix(q_h: float, q_v: float, dims: int, up: F64 | None = None,
                         n_rows: int = 1) -> F64:
    """Acceleration spectral-density matrices Qa (N, dims, dims) in m^2/s^3.

    2-D: ``q_h I``. 3-D: ``q_h (I - u u^T) + q_v u u^T`` where ``u`` (N, 3) is the unit local
    vertical at each track (frame coordinates; see :meth:`Frame.local_up`), so horizontal and
    vertical manoeuvres get their own intensity even far from the frame origin where the frame z
    axis is tilted from the local vertical. ``up=None`` uses the frame z axis.
    """
    if dims == 2:
        return np.broadcast_to(q_h * np.eye(2), (n_rows, 2, 2)).copy()
    if up is None:
        up = np.broadcast_to(np.array([0.0, 0.0, 1.0]), (n_rows, 3))
    up = np.asarray(up, dtype=np.float64)
    uu = up[:, :, None] * up[:, None, :]
    return q_h * (np.eye(3)[None] - uu) + q_v * uu


def cv_process_noise(dt: F64, Qa: F64) -> F64:
    """White-noise-acceleration (continuous) process noise Q (N, n, n) for the CV model.

    dt: (N,) s, Qa: (N, d, d) acceleration spectral density m^2/s^3 (see
    :func:`accel_density_matrix`). Q = [[dt^3/3 Qa, dt^2/2 Qa], [dt^2/2 Qa, dt Qa]].
    """
    dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    d = Qa.shape[-1]
    N = dt.shape[0]
    Q = np.empty((N, 2 * d, 2 * d))
    Q[:, :d, :d] = (dt ** 3 / 3.0)[:, None, None] * Qa
    Q[:, :d, d:] = (dt ** 2 / 2.0)[:, None, None] * Qa
    Q[:, d:, :d] = Q[:, :d, d:]
    Q[:, d:, d:] = dt[:, None, None] * Qa
    return Q


def kf_predict(x: F64, P: F64, F: F64, Q: F64) -> tuple[F64, F64]:
    """Generic linear predict. x (N, n), P (N, n, n), F (N, n, n), Q (N, n, n)."""
    xp = np.einsum("nij,nj->ni", F, x)
    Pp = F @ P @ np.swapaxes(F, -1, -2) + Q
    return xp, symmetrize(Pp)


def cv_predict(x: F64, P: F64, dt: F64, Q: F64) -> tuple[F64, F64]:
    """CV predict with the block structure of F exploited (no (N, n, n) matmul).

    x: (N, 2d) [pos, vel] m, m/s; P: (N, 2d, 2d); dt: (N,) s; Q: (N, 2d, 2d).
    Identical (to rounding) to ``kf_predict(x, P, cv_transition(dt), Q)``.
    """
    d = x.shape[1] // 2
    dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    t1 = dt[:, None]
    t2 = dt[:, None, None]
    xp = x.copy()
    xp[:, :d] += t1 * x[:, d:]
    Ppp, Ppv, Pvv = P[:, :d, :d], P[:, :d, d:], P[:, d:, d:]
    Pp = np.empty_like(P)
    Pp[:, :d, :d] = Ppp + t2 * (Ppv + np.swapaxes(Ppv, -1, -2)) + (t2 * t2) * Pvv
    Pp[:, :d, d:] = Ppv + t2 * Pvv
    Pp[:, d:, :d] = np.swapaxes(Pp[:, :d, d:], -1, -2)
    Pp[:, d:, d:] = Pvv
    Pp += Q
    return xp, symmetrize(Pp)


def ct_transition(dt: F64, omega: F64, dims: int) -> F64:
    """Coordinated-turn transition with a *known* turn rate (linear in the CV state).

    dt: (N,) s, omega: (N,) rad/s (positive = counter-clockwise seen from above, i.e. turning
    left in ENU). The horizontal velocity rotates by omega*dt; vertical (3-D) is CV. For
    |omega| < 1e-9 rad/s the CV matrix is used (the limit).
    """
    dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    w = np.broadcast_to(np.asarray(omega, dtype=np.float64), dt.shape)
    F = cv_transition(dt, dims)
    small = np.abs(w) < 1e-9
    ws = np.where(small, 1.0, w)
    wt = w * dt
    s, c = np.sin(wt), np.cos(wt)
    a = np.where(small, dt, s / ws)              # sin(wT)/w
    b = np.where(small, 0.0, (1.0 - c) / ws)     # (1-cos(wT))/w
    ix, iy = 0, 1
    ivx, ivy = dims, dims + 1
    F[:, ix, ivx] = a
    F[:, ix, ivy] = -b
    F[:, iy, ivx] = b
    F[:, iy, ivy] = a
    F[:, ivx, ivx] = c
    F[:, ivx, ivy] = -s
    F[:, ivy, ivx] = s
    F[:, ivy, ivy] = c
    return F


def ct_predict_ekf(x: F64, P: F64, dt: F64, q_acc: float, q_omega: float) -> tuple[F64, F64]:
    """Nearly-coordinated-turn EKF predict with the turn rate in the state.

    x: (N, 5) [x, y, vx, vy, omega] (m, m, m/s, m/s, rad/s); P: (N, 5, 5); dt: (N,) s.
    q_acc: horizontal acceleration spectral density m^2/s^3 (white noise on vx, vy);
    q_omega: turn-rate spectral density rad^2/s^3. Jacobian evaluated at the prior mean
    (Bar-Shalom, Li, Kirubarajan 2001, sec. 11.7).
    """
    dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    px, py, vx, vy, w = (x[:, k] for k in range(5))
    small = np.abs(w) < 1e-6
    ws = np.where(small, 1.0, w)
    wt = w * dt
    s, c = np.sin(wt), np.cos(wt)
    a = np.where(small, dt, s / ws)
    b = np.where(small, 0.5 * w * dt * dt, (1.0 - c) / ws)
    xp = np.empty_like(x)
    xp[:, 0] = px + a * vx - b * vy
    xp[:, 1] = py + b * vx + a * vy
    xp[:, 2] = c * vx - s * vy
    xp[:, 3] = s * vx + c * vy
    xp[:, 4] = w
    # derivatives of a, b wrt omega (series expansion near 0)
    da = np.where(small, -w * dt ** 3 / 3.0, (dt * c - a) / ws)
    db = np.where(small, 0.5 * dt * dt, (dt * s - b) / ws)
    F = np.zeros((x.shape[0], 5, 5))
    F[:, 0, 0] = 1.0
    F[:, 1, 1] = 1.0
    F[:, 4, 4] = 1.0
    F[:, 0, 2], F[:, 0, 3] = a, -b
    F[:, 1, 2], F[:, 1, 3] = b, a
    F[:, 2, 2], F[:, 2, 3] = c, -s
    F[:, 3, 2], F[:, 3, 3] = s, c
    F[:, 0, 4] = da * vx - db * vy
    F[:, 1, 4] = db * vx + da * vy
    F[:, 2, 4] = -dt * (s * vx + c * vy)
    F[:, 3, 4] = dt * (c * vx - s * vy)
    Qa = accel_density_matrix(q_acc, q_acc, 2, n_rows=x.shape[0])
    Q = np.zeros_like(F)
    Q[:, :4, :4] = cv_process_noise(dt, Qa)
    Q[:, 4, 4] = q_omega * dt
    Pp = F @ P @ np.swapaxes(F, -1, -2) + Q
    return xp, symmetrize(Pp)


# ----------------------------------------------------------------------------------------------
# measurement models (frame coordinates -> sensor-local measurement)
# ----------------------------------------------------------------------------------------------

class MeasPrediction(NamedTuple):
    """Predicted measurement ``zhat`` (N, m), Jacobian ``H`` (N, m, n), angle-column mask (m,)."""

    zhat: F64
    H: F64
    angle: B8


def _local(x: F64, sensor_pos: F64, A: F64, dims: int) -> F64:
    """Target position relative to the sensor in sensor-local ENU: d = A (p - s), (N, 3)."""
    p = x[:, :dims]
    rel = p - sensor_pos[:, :dims]
    if dims == 2:
        rel = np.concatenate([rel, np.zeros((rel.shape[0], 1))], axis=1)
    return np.einsum("nij,nj->ni", A, rel)


def _chain(Jd: F64, A: F64, dims: int, n: int) -> F64:
    """Map d(meas)/d(d_local) (N, m, 3) to d(meas)/d(state position) (N, m, n)."""
    H = np.zeros((Jd.shape[0], Jd.shape[1], n))
    H[:, :, :dims] = (Jd @ A)[:, :, :dims]
    return H


def radar_predict_meas(x: F64, sensor_pos: F64, A: F64, dims: int,
                       with_range_rate: bool) -> MeasPrediction:
    """Radar h(x) = [range, az, el(, range_rate)] and its Jacobian.

    x: (N, n) frame state; sensor_pos: (N, 3) m in the frame; A: (N, 3, 3) rotation frame ->
    sensor-local ENU. az = atan2(e, n_), el = atan2(u, rho), rr = d.(A v) / range.
    """
    n = x.shape[1]
    d = _local(x, sensor_pos, A, dims)
    e, nn, u = d[:, 0], d[:, 1], d[:, 2]
    rho2 = e * e + nn * nn
    rho = np.sqrt(rho2)
    r2 = rho2 + u * u
    r = np.sqrt(r2)
    m = 4 if with_range_rate else 3
    zhat = np.empty((x.shape[0], m))
    zhat[:, 0] = r
    zhat[:, 1] = np.arctan2(e, nn)
    zhat[:, 2] = np.arctan2(u, rho)
    Jd = np.zeros((x.shape[0], m, 3))
    Jd[:, 0, :] = d / r[:, None]
    Jd[:, 1, 0] = nn / rho2
    Jd[:, 1, 1] = -e / rho2
    Jd[:, 2, 0] = -e * u / (r2 * rho)
    Jd[:, 2, 1] = -nn * u / (r2 * rho)
    Jd[:, 2, 2] = rho / r2
    H = _chain(Jd, A, dims, n)
    if with_range_rate:
        vel = x[:, dims:]
        if dims == 2:
            vel = np.concatenate([vel, np.zeros((vel.shape[0], 1))], axis=1)
        w = np.einsum("nij,nj->ni", A, vel)
        dw = np.einsum("ni,ni->n", d, w)
        zhat[:, 3] = dw / r
        drr_dd = w / r[:, None] - (dw / (r2 * r))[:, None] * d
        H[:, 3, :dims] = (drr_dd[:, None, :] @ A)[:, 0, :dims]
        H[:, 3, dims:] = ((d / r[:, None])[:, None, :] @ A)[:, 0, :dims]
    angle = np.zeros(m, dtype=bool)
    angle[1] = True
    return MeasPrediction(zhat, H, angle)


def bearing_predict_meas(x: F64, sensor_pos: F64, A: F64, dims: int) -> MeasPrediction:
    """Bearing-only h(x) = [az], az = atan2(e, n) in sensor-local ENU, and its Jacobian."""
    n = x.shape[1]
    d = _local(x, sensor_pos, A, dims)
    e, nn = d[:, 0], d[:, 1]
    rho2 = e * e + nn * nn
    zhat = np.arctan2(e, nn)[:, None]
    Jd = np.zeros((x.shape[0], 1, 3))
    Jd[:, 0, 0] = nn / rho2
    Jd[:, 0, 1] = -e / rho2
    return MeasPrediction(zhat, _chain(Jd, A, dims, n), np.array([True]))


def azel_predict_meas(x: F64, sensor_pos: F64, A: F64, dims: int) -> MeasPrediction:
    """EO/IR h(x) = [az, el] in sensor-local ENU and its Jacobian."""
    n = x.shape[1]
    d = _local(x, sensor_pos, A, dims)
    e, nn, u = d[:, 0], d[:, 1], d[:, 2]
    rho2 = e * e + nn * nn
    rho = np.sqrt(rho2)
    r2 = rho2 + u * u
    zhat = np.stack([np.arctan2(e, nn), np.arctan2(u, rho)], axis=1)
    Jd = np.zeros((x.shape[0], 2, 3))
    Jd[:, 0, 0] = nn / rho2
    Jd[:, 0, 1] = -e / rho2
    Jd[:, 1, 0] = -e * u / (r2 * rho)
    Jd[:, 1, 1] = -nn * u / (r2 * rho)
    Jd[:, 1, 2] = rho / r2
    return MeasPrediction(zhat, _chain(Jd, A, dims, n), np.array([True, False]))


def radar_to_cartesian(z: F64, R: F64, sensor_pos: F64, A: F64) -> tuple[F64, F64]:
    """Convert radar (range, az, el) to a frame position (N, 3) and its linearised covariance.

    z: (N, >=3) [range m, az rad, el rad, ...]; R: (N, >=3, >=3); A: frame -> sensor ENU.
    p = s + A^T [r cos el sin az, r cos el cos az, r sin el];  C = (A^T J) R (A^T J)^T.
    """
    r, az, el = z[:, 0], z[:, 1], z[:, 2]
    ce, se, sa, ca = np.cos(el), np.sin(el), np.sin(az), np.cos(az)
    d = np.stack([r * ce * sa, r * ce * ca, r * se], axis=1)
    J = np.zeros((z.shape[0], 3, 3))
    J[:, :, 0] = np.stack([ce * sa, ce * ca, se], axis=1)
    J[:, :, 1] = np.stack([r * ce * ca, -r * ce * sa, np.zeros_like(r)], axis=1)
    J[:, :, 2] = np.stack([-r * se * sa, -r * se * ca, r * ce], axis=1)
    At = np.swapaxes(A, -1, -2)
    p = sensor_pos + np.einsum("nij,nj->ni", At, d)
    G = At @ J
    C = G @ R[:, :3, :3] @ np.swapaxes(G, -1, -2)
    return p, symmetrize(C)


# ----------------------------------------------------------------------------------------------
# updates
# ----------------------------------------------------------------------------------------------

class UpdateResult(NamedTuple):
    """Posterior and innovation statistics of a batched update.

    x (N, n), P (N, n, n), y (N, m) innovation, S (N, m, m), d2 (N,) Mahalanobis^2,
    loglik (N,) log N(y; 0, S), ok (N,) False where S was not positive definite (x, P are then
    returned unchanged for that row).
    """

    x: F64
    P: F64
    y: F64
    S: F64
    d2: F64
    loglik: F64
    ok: B8


def ekf_update(x: F64, P: F64, z: F64, R: F64, zhat: F64, H: F64,
               angle: B8 | None = None, joseph: bool = True) -> UpdateResult:
    """Batched (E)KF update given predicted measurement and Jacobian.

    x: (N, n), P: (N, n, n), z: (N, m), R: (N, m, m), zhat: (N, m), H: (N, m, n) (or (m, n)),
    angle: (m,) bool, columns whose innovation is wrapped to [-pi, pi).
    """
    N, n = x.shape
    H = np.broadcast_to(H, (N,) + H.shape[-2:])
    m = H.shape[1]
    y = z - zhat
    if angle is not None and np.any(angle):
        y[:, angle] = wrap_angle(y[:, angle])
    PHt = P @ np.swapaxes(H, -1, -2)                     # (N, n, m)
    S = symmetrize(H @ PHt + R)
    L, ok = cholesky_batched(S)
    # K^T = S^-1 H P  ->  K = (S^-1 (P H^T)^T)^T
    Kt = chol_solve(L, np.swapaxes(PHt, -1, -2))         # (N, m, n)
    K = np.swapaxes(Kt, -1, -2)                          # (N, n, m)
    w = forward_sub(L, y[:, :, None])[:, :, 0]
    d2 = np.einsum("ni,ni->n", w, w)
    logdet = 2.0 * np.log(np.abs(np.diagonal(L, axis1=1, axis2=2))).sum(axis=1)
    xn = x + np.einsum("nij,nj->ni", K, y)
    if joseph:
        IKH = np.eye(n)[None] - K @ H
        Pn = IKH @ P @ np.swapaxes(IKH, -1, -2) + K @ R @ Kt
    else:
        Pn = P - K @ (S @ Kt)
    Pn = symmetrize(Pn)
    xn = np.where(ok[:, None], xn, x)
    Pn = np.where(ok[:, None, None], Pn, P)
    d2 = np.where(ok, d2, np.inf)
    loglik = np.where(ok, gaussian_loglik(d2, logdet, m), -np.inf)
    return UpdateResult(xn, Pn, y, S, d2, loglik, ok)


def linear_update(x: F64, P: F64, z: F64, R: F64, H: F64, joseph: bool = True) -> UpdateResult:
    """Batched linear KF update, H (m, n) or (N, m, n)."""
    N = x.shape[0]
    Hb = np.broadcast_to(H, (N,) + H.shape[-2:])
    zhat = np.einsum("nij,nj->ni", Hb, x)
    return ekf_update(x, P, z, R, zhat, Hb, None, joseph)


def innovation_stats(x: F64, P: F64, z: F64, R: F64, zhat: F64, H: F64,
                     angle: B8 | None = None) -> tuple[F64, F64, F64, F64]:
    """Innovation y (N, m), S (N, m, m), d2 (N,), log N(y; 0, S) (N,) without updating."""
    N = x.shape[0]
    H = np.broadcast_to(H, (N,) + H.shape[-2:])
    y = z - zhat
    if angle is not None and np.any(angle):
        y[:, angle] = wrap_angle(y[:, angle])
    S = symmetrize(H @ P @ np.swapaxes(H, -1, -2) + R)
    d2, logdet, _ = mahalanobis_sq(y, S)
    return y, S, d2, gaussian_loglik(d2, logdet, H.shape[1])


def pda_update(x: F64, P: F64, y: F64, S: F64, H: F64, beta: F64) -> tuple[F64, F64]:
    """(J)PDA combined update for a batch of tracks with J candidate measurements each.

    x: (N, n), P: (N, n, n), y: (N, J, m) innovations (padded rows have beta = 0),
    S: (N, m, m) innovation covariance (same for all candidates of a track), H: (N, m, n),
    beta: (N, J + 1) association probabilities, column 0 = "no measurement from the target".
    Bar-Shalom & Li (1995):  ybar = sum_j b_j y_j,  x+ = x + K ybar,
    P+ = b0 P + (1 - b0)(P - K S K^T) + K (sum_j b_j y_j y_j^T - ybar ybar^T) K^T.
    """
    PHt = P @ np.swapaxes(H, -1, -2)
    L, ok = cholesky_batched(S)
    Kt = chol_solve(L, np.swapaxes(PHt, -1, -2))
    K = np.swapaxes(Kt, -1, -2)
    b = beta[:, 1:]
    b0 = beta[:, 0]
    ybar = np.einsum("nj,nji->ni", b, y)
    spread = np.einsum("nj,nji,njk->nik", b, y, y) - ybar[:, :, None] * ybar[:, None, :]
    xn = x + np.einsum("nij,nj->ni", K, ybar)
    Pc = P - K @ S @ Kt
    Pn = (b0[:, None, None] * P + (1.0 - b0)[:, None, None] * Pc + K @ spread @ Kt)
    Pn = symmetrize(Pn)
    xn = np.where(ok[:, None], xn, x)
    Pn = np.where(ok[:, None, None], Pn, P)
    return xn, Pn


# ----------------------------------------------------------------------------------------------
# IMM
# ----------------------------------------------------------------------------------------------

def imm_mix(xm: F64, Pm: F64, mu: F64, Pi: F64) -> tuple[F64, F64, F64]:
    """IMM interaction (mixing) step.

    xm: (N, r, n) model-conditioned means, Pm: (N, r, n, n), mu: (N, r) model probabilities,
    Pi: (r, r) or (N, r, r) Markov switching matrix, Pi[i, j] = P(model j at k | model i at
    k-1) (per track when the time steps differ).
    Returns mixed x0 (N, r, n), P0 (N, r, n, n) and predicted model probabilities c (N, r):
    c_j = sum_i Pi_ij mu_i;  mu_{i|j} = Pi_ij mu_i / c_j;  x0_j = sum_i mu_{i|j} x_i;
    P0_j = sum_i mu_{i|j} (P_i + (x_i - x0_j)(x_i - x0_j)^T).
    """
    Pi = np.broadcast_to(Pi, (mu.shape[0],) + Pi.shape[-2:])
    c = np.einsum("ni,nij->nj", mu, Pi)                           # (N, r)
    cs = np.where(c > 0.0, c, 1.0)
    w = mu[:, :, None] * Pi / cs[:, None, :]                      # (N, i, j)
    x0 = np.einsum("nij,nik->njk", w, xm)
    dx = xm[:, :, None, :] - x0[:, None, :, :]                    # (N, i, j, n)
    P0 = np.einsum("nij,nikl->njkl", w, Pm) + np.einsum("nij,nijk,nijl->njkl", w, dx, dx)
    return x0, symmetrize(P0), c


def imm_switch_matrix(dt: F64, sojourn_s: F64) -> F64:
    """Per-track Markov matrices (N, r, r) for time steps dt (N,) s.

    Continuous-time switching: model j is left at rate 1 / sojourn_s[j] and the exit goes
    uniformly to the other r - 1 models, so P(stay) = exp(-dt / sojourn) (identity for dt = 0,
    which keeps asynchronous zero-length steps consistent).
    """
    dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    soj = np.asarray(sojourn_s, dtype=np.float64)
    r = soj.size
    stay = np.exp(-dt[:, None] / soj[None, :])                    # (N, r)
    Pi = np.repeat(((1.0 - stay) / max(r - 1, 1))[:, :, None], r, axis=2)
    idx = np.arange(r)
    Pi[:, idx, idx] = stay
    return Pi


def imm_model_probs(c: F64, loglik: F64) -> F64:
    """Posterior model probabilities mu_j ∝ c_j exp(loglik_j), normalised in log space.

    c: (N, r) predicted probabilities, loglik: (N, r). Rows where every likelihood is -inf keep c.
    """
    with np.errstate(divide="ignore"):
        lw = np.log(np.maximum(c, 1e-300)) + loglik
    mx = lw.max(axis=1, keepdims=True)
    bad = ~np.isfinite(mx[:, 0])
    w = np.exp(lw - np.where(np.isfinite(mx), mx, 0.0))
    s = w.sum(axis=1, keepdims=True)
    mu = w / np.where(s > 0, s, 1.0)
    mu[bad] = c[bad]
    return mu


def imm_combine(xm: F64, Pm: F64, mu: F64) -> tuple[F64, F64]:
    """Moment-matched combination: x = sum mu_j x_j, P = sum mu_j (P_j + dx dx^T)."""
    x = np.einsum("nj,njk->nk", mu, xm)
    dx = xm - x[:, None, :]
    P = np.einsum("nj,njkl->nkl", mu, Pm) + np.einsum("nj,njk,njl->nkl", mu, dx, dx)
    return x, symmetrize(P)


def max_horizontal_var(P: F64) -> F64:
    """(n,) largest eigenvalue of each covariance's horizontal (x, y) block, m^2: the squared
    major semi-axis of the 1-sigma position ellipse. The closed form of the symmetric 2x2
    eigenproblem: a NaN covariance gives NaN (compares False) where eigvalsh would raise."""
    a, d, b = P[:, 0, 0], P[:, 1, 1], P[:, 0, 1]
    return 0.5 * (a + d) + np.sqrt(0.25 * (a - d) ** 2 + b * b)
