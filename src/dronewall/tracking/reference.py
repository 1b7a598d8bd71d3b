"""Slow, obviously-correct per-object reference filters (test oracle only).

One track at a time, plain Python loops, textbook equations, ``numpy.linalg.inv`` allowed. The
engine never imports this module; ``tests/tracking`` compares the vectorised kernels in
:mod:`dronewall.tracking.kernels` against it on seeded random inputs.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]


def wrap(a: float) -> float:
    """Wrap one angle to [-pi, pi)."""
    return (a + math.pi) % (2.0 * math.pi) - math.pi


def cv_F(dt: float, dims: int) -> F64:
    n = 2 * dims
    F = np.eye(n)
    for k in range(dims):
        F[k, dims + k] = dt
    return F


def cv_Q(dt: float, q_h: float, q_v: float, dims: int, up: F64 | None = None) -> F64:
    """Continuous white-noise-acceleration Q built element by element."""
    if dims == 2:
        Qa = q_h * np.eye(2)
    else:
        u = np.array([0.0, 0.0, 1.0]) if up is None else np.asarray(up, dtype=float)
        Qa = np.zeros((3, 3))
        for i in range(3):
            for j in range(3):
                Qa[i, j] = q_h * ((1.0 if i == j else 0.0) - u[i] * u[j]) + q_v * u[i] * u[j]
    n = 2 * dims
    Q = np.zeros((n, n))
    for i in range(dims):
        for j in range(dims):
            Q[i, j] = dt ** 3 / 3.0 * Qa[i, j]
            Q[i, dims + j] = dt ** 2 / 2.0 * Qa[i, j]
            Q[dims + i, j] = dt ** 2 / 2.0 * Qa[i, j]
            Q[dims + i, dims + j] = dt * Qa[i, j]
    return Q


def predict(x: F64, P: F64, F: F64, Q: F64) -> tuple[F64, F64]:
    return F @ x, F @ P @ F.T + Q


def ct_F(dt: float, w: float, dims: int) -> F64:
    F = cv_F(dt, dims)
    if abs(w) < 1e-9:
        return F
    s, c = math.sin(w * dt), math.cos(w * dt)
    vx, vy = dims, dims + 1
    F[0, vx], F[0, vy] = s / w, -(1 - c) / w
    F[1, vx], F[1, vy] = (1 - c) / w, s / w
    F[vx, vx], F[vx, vy] = c, -s
    F[vy, vx], F[vy, vy] = s, c
    return F


def ct_ekf_predict(x: F64, P: F64, dt: float, q_acc: float, q_omega: float) -> tuple[F64, F64]:
    """Nearly-coordinated turn with omega in the state; Jacobian by central differences."""

    def f(s: F64) -> F64:
        px, py, vx, vy, w = s
        if abs(w) < 1e-6:
            # second-order expansion, as the kernel
            return np.array([px + dt * vx - 0.5 * w * dt * dt * vy,
                             py + 0.5 * w * dt * dt * vx + dt * vy,
                             math.cos(w * dt) * vx - math.sin(w * dt) * vy,
                             math.sin(w * dt) * vx + math.cos(w * dt) * vy, w])
        sn, cs = math.sin(w * dt), math.cos(w * dt)
        return np.array([px + sn / w * vx - (1 - cs) / w * vy,
                         py + (1 - cs) / w * vx + sn / w * vy,
                         cs * vx - sn * vy, sn * vx + cs * vy, w])

    F = np.zeros((5, 5))
    for j in range(5):
        # omega: an absolute step well above the |w| < 1e-6 series branch (cancellation in
        # (1 - cos w dt) / w would swamp a tiny step); others relative
        h = 1e-4 if j == 4 else 1e-4 * max(1.0, abs(x[j]))
        e = np.zeros(5)
        e[j] = h
        F[:, j] = (f(x + e) - f(x - e)) / (2 * h)
    Q = np.zeros((5, 5))
    Q[:4, :4] = cv_Q(dt, q_acc, q_acc, 2)
    Q[4, 4] = q_omega * dt
    return f(x), F @ P @ F.T + Q


def radar_h(x: F64, s: F64, A: F64, dims: int, rr: bool) -> F64:
    p = np.zeros(3)
    p[:dims] = x[:dims] - s[:dims]
    d = A @ p
    e, n, u = d
    r = math.sqrt(e * e + n * n + u * u)
    out = [r, math.atan2(e, n), math.atan2(u, math.hypot(e, n))]
    if rr:
        v = np.zeros(3)
        v[:dims] = x[dims:]
        out.append(float(d @ (A @ v)) / r)
    return np.array(out)


def bearing_h(x: F64, s: F64, A: F64, dims: int) -> F64:
    p = np.zeros(3)
    p[:dims] = x[:dims] - s[:dims]
    e, n, _ = A @ p
    return np.array([math.atan2(e, n)])


def azel_h(x: F64, s: F64, A: F64, dims: int) -> F64:
    p = np.zeros(3)
    p[:dims] = x[:dims] - s[:dims]
    e, n, u = A @ p
    return np.array([math.atan2(e, n), math.atan2(u, math.hypot(e, n))])


def numeric_jacobian(h, x: F64, angle: list[bool], eps: float = 1e-5) -> F64:  # type: ignore[no-untyped-def]
    z0 = h(x)
    H = np.zeros((z0.size, x.size))
    for j in range(x.size):
        step = eps * max(1.0, abs(x[j]))
        e = np.zeros(x.size)
        e[j] = step
        dz = h(x + e) - h(x - e)
        for i in range(z0.size):
            if angle[i]:
                dz[i] = wrap(dz[i])
        H[:, j] = dz / (2 * step)
    return H


def kf_update(x: F64, P: F64, z: F64, R: F64, zhat: F64, H: F64, angle: list[bool],
              joseph: bool = True) -> tuple[F64, F64, float, float]:
    """Textbook update with an explicit inverse. Returns x+, P+, d2, loglik."""
    y = z - zhat
    for i in range(y.size):
        if angle[i]:
            y[i] = wrap(y[i])
    S = H @ P @ H.T + R
    Si = np.linalg.inv(S)
    K = P @ H.T @ Si
    xn = x + K @ y
    eye = np.eye(x.size)
    if joseph:
        Pn = (eye - K @ H) @ P @ (eye - K @ H).T + K @ R @ K.T
    else:
        Pn = P - K @ S @ K.T
    d2 = float(y @ Si @ y)
    ll = -0.5 * (d2 + math.log(np.linalg.det(S)) + y.size * math.log(2 * math.pi))
    return xn, 0.5 * (Pn + Pn.T), d2, ll


def imm_step_mix(xm: list[F64], Pm: list[F64], mu: F64, Pi: F64):  # type: ignore[no-untyped-def]
    r = len(xm)
    c = np.array([sum(Pi[i, j] * mu[i] for i in range(r)) for j in range(r)])
    x0, P0 = [], []
    for j in range(r):
        wj = [Pi[i, j] * mu[i] / c[j] for i in range(r)]
        xj = sum(wj[i] * xm[i] for i in range(r))
        Pj = sum(wj[i] * (Pm[i] + np.outer(xm[i] - xj, xm[i] - xj)) for i in range(r))
        x0.append(xj)
        P0.append(Pj)
    return x0, P0, c


def imm_probs(c: F64, loglik: F64) -> F64:
    w = np.array([c[j] * math.exp(loglik[j]) for j in range(c.size)])
    return w / w.sum()


def imm_combine(xm: list[F64], Pm: list[F64], mu: F64) -> tuple[F64, F64]:
    x = sum(mu[j] * xm[j] for j in range(len(xm)))
    P = sum(mu[j] * (Pm[j] + np.outer(xm[j] - x, xm[j] - x)) for j in range(len(xm)))
    return x, P


def pda_update(x: F64, P: F64, ys: list[F64], S: F64, H: F64, beta: F64) -> tuple[F64, F64]:
    K = P @ H.T @ np.linalg.inv(S)
    ybar = sum(beta[1 + j] * ys[j] for j in range(len(ys))) if ys else np.zeros(S.shape[0])
    spread = sum(beta[1 + j] * np.outer(ys[j], ys[j]) for j in range(len(ys))) \
        if ys else np.zeros(S.shape)
    spread = spread - np.outer(ybar, ybar)
    Pc = P - K @ S @ K.T
    return x + K @ ybar, beta[0] * P + (1 - beta[0]) * Pc + K @ spread @ K.T


def jpda_betas_bruteforce(lik: F64, gated: NDArray[np.bool_], pd: float, pg: float,
                          clutter_density: float) -> F64:
    """Exact JPDA marginals by enumerating every feasible joint event.

    lik: (T, M) Gaussian likelihoods N(y_tm; 0, S_t); gated: (T, M). Returns (T, M + 1).
    """
    T, M = lik.shape
    beta = np.zeros((T, M + 1))
    total = 0.0

    def rec(t: int, used: set[int], w: float, choice: list[int]) -> None:
        nonlocal total
        if t == T:
            total += w
            for tt, c in enumerate(choice):
                beta[tt, c + 1] += w
            return
        rec(t + 1, used, w * (1.0 - pd * pg), choice + [-1])
        for mm in range(M):
            if gated[t, mm] and mm not in used:
                rec(t + 1, used | {mm}, w * pd * lik[t, mm] / clutter_density, choice + [mm])

    rec(0, set(), 1.0, [])
    return beta / total
