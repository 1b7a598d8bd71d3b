"""Vectorised kernels vs the per-object reference (1e-9) and vs filterpy."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.tracking import kernels as K
from dronewall.tracking import reference as ref
from dronewall.tracking.association import jpda

TOL = 1e-9
N = 40


def rand_spd(rng: np.random.Generator, n: int, N: int, scale: float = 1.0) -> np.ndarray:
    A = rng.normal(size=(N, n, n)) * scale
    return A @ np.swapaxes(A, 1, 2) + scale ** 2 * n * np.eye(n)[None]


def rand_rot(rng: np.random.Generator, N: int) -> np.ndarray:
    Q, R = np.linalg.qr(rng.normal(size=(N, 3, 3)))
    return Q * np.sign(np.diagonal(R, axis1=1, axis2=2))[:, None, :]


def close(a: np.ndarray, b: np.ndarray, tol: float = TOL) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    if a.size == 0:
        return
    scale = max(1.0, float(np.max(np.abs(b))))
    assert np.max(np.abs(a - b)) <= tol * scale, np.max(np.abs(a - b))


@pytest.mark.parametrize("dims", [2, 3])
def test_cv_predict_matches_reference(dims: int) -> None:
    rng = np.random.default_rng(1 + dims)
    n = 2 * dims
    x = rng.normal(size=(N, n)) * 100
    P = rand_spd(rng, n, N, 10.0)
    dt = rng.uniform(0, 5, N)
    up = rng.normal(size=(N, 3))
    up /= np.linalg.norm(up, axis=1, keepdims=True)
    Qa = K.accel_density_matrix(3.0, 0.7, dims, up if dims == 3 else None, N)
    Q = K.cv_process_noise(dt, Qa)
    xf, Pf = K.cv_predict(x, P, dt, Q)
    xg, Pg = K.kf_predict(x, P, K.cv_transition(dt, dims), Q)
    for i in range(N):
        Fr = ref.cv_F(dt[i], dims)
        Qr = ref.cv_Q(dt[i], 3.0, 0.7, dims, up[i] if dims == 3 else None)
        xr, Pr = ref.predict(x[i], P[i], Fr, Qr)
        close(Q[i], Qr)
        close(xf[i], xr)
        close(Pf[i], Pr)
        close(xg[i], xr)
        close(Pg[i], Pr)


def test_vertical_noise_along_local_up() -> None:
    """3-D Q puts q_v along the given up vector and q_h across it."""
    up = np.array([[0.6, 0.0, 0.8]])
    Qa = K.accel_density_matrix(2.0, 0.1, 3, up, 1)[0]
    assert up[0] @ Qa @ up[0] == pytest.approx(0.1)
    h = np.array([0.8, 0.0, -0.6])
    assert h @ Qa @ h == pytest.approx(2.0)


@pytest.mark.parametrize("dims", [2, 3])
def test_ct_transition_matches_reference(dims: int) -> None:
    rng = np.random.default_rng(7)
    dt = rng.uniform(0.1, 3, N)
    w = rng.uniform(-0.1, 0.1, N)
    w[:3] = 0.0
    F = K.ct_transition(dt, w, dims)
    for i in range(N):
        close(F[i], ref.ct_F(dt[i], w[i], dims))


def test_ct_ekf_predict_matches_reference() -> None:
    rng = np.random.default_rng(8)
    x = np.column_stack([rng.normal(size=(N, 2)) * 1000, rng.normal(size=(N, 2)) * 40,
                         rng.uniform(-0.08, 0.08, N)])
    x[:4, 4] = rng.uniform(-1e-8, 1e-8, 4)          # near-zero branch
    P = rand_spd(rng, 5, N, 1.0)
    dt = rng.uniform(0.2, 2.0, N)
    xp, Pp = K.ct_predict_ekf(x, P, dt, 2.0, 1e-4)
    for i in range(N):
        xr, Pr = ref.ct_ekf_predict(x[i], P[i], dt[i], 2.0, 1e-4)
        close(xp[i], xr)
        close(Pp[i], Pr, 1e-6)     # reference Jacobian is a central difference


@pytest.mark.parametrize("joseph", [True, False])
@pytest.mark.parametrize("dims", [2, 3])
def test_linear_update_matches_reference(dims: int, joseph: bool) -> None:
    rng = np.random.default_rng(11 + dims)
    n = 2 * dims
    x = rng.normal(size=(N, n)) * 100
    P = rand_spd(rng, n, N, 20.0)
    H = K.position_matrix(dims)
    z = x[:, :dims] + rng.normal(size=(N, dims)) * 30
    R = rand_spd(rng, dims, N, 10.0)
    res = K.linear_update(x, P, z, R, H, joseph)
    assert res.ok.all()
    for i in range(N):
        xr, Pr, d2, ll = ref.kf_update(x[i], P[i], z[i], R[i], H @ x[i], H, [False] * dims, joseph)
        close(res.x[i], xr)
        close(res.P[i], Pr)
        close(res.d2[i], d2)
        close(res.loglik[i], ll)


def _geom(rng: np.random.Generator, dims: int):  # type: ignore[no-untyped-def]
    n = 2 * dims
    x = np.zeros((N, n))
    x[:, :dims] = rng.uniform(-8000, 8000, (N, dims))
    if dims == 3:
        x[:, 2] = rng.uniform(100, 3000, N)
    x[:, dims:] = rng.normal(size=(N, dims)) * 40
    sp = rng.uniform(-500, 500, (N, 3))
    A = rand_rot(rng, N) if dims == 3 else np.broadcast_to(np.eye(3), (N, 3, 3)).copy()
    return x, sp, A


@pytest.mark.parametrize("kind,dims", [("radar3", 3), ("radar4", 3), ("bearing", 3),
                                       ("azel", 3), ("bearing", 2)])
def test_ekf_update_matches_reference(kind: str, dims: int) -> None:
    # (radar and az/el need a vertical state: the 2-D engine quarantines them)
    rng = np.random.default_rng(["radar3", "radar4", "bearing", "azel"].index(kind) * 10 + dims)
    n = 2 * dims
    x, sp, A = _geom(rng, dims)
    P = rand_spd(rng, n, N, 5.0)
    if kind.startswith("radar"):
        rr = kind == "radar4"
        pr = K.radar_predict_meas(x, sp, A, dims, rr)

        def h(s: np.ndarray, i: int) -> np.ndarray:
            return ref.radar_h(s, sp[i], A[i], dims, rr)

        sd = np.array([20.0, 0.01, 0.01, 1.0])[: 4 if rr else 3]
        angle = [False, True, False, False][: 4 if rr else 3]
    elif kind == "bearing":
        pr = K.bearing_predict_meas(x, sp, A, dims)

        def h(s: np.ndarray, i: int) -> np.ndarray:
            return ref.bearing_h(s, sp[i], A[i], dims)

        sd = np.array([0.02])
        angle = [True]
    else:
        pr = K.azel_predict_meas(x, sp, A, dims)

        def h(s: np.ndarray, i: int) -> np.ndarray:
            return ref.azel_h(s, sp[i], A[i], dims)

        sd = np.array([0.01, 0.01])
        angle = [True, False]
    m = sd.size
    R = np.broadcast_to(np.diag(sd ** 2), (N, m, m)).copy()
    z = pr.zhat + rng.normal(size=(N, m)) * sd
    z[:, pr.angle] = K.wrap_angle(z[:, pr.angle] + 2 * np.pi)     # exercise wrapping
    res = K.ekf_update(x, P, z, R, pr.zhat, pr.H, pr.angle, True)
    for i in range(N):
        zr = h(x[i], i)
        close(pr.zhat[i], zr)
        Hn = ref.numeric_jacobian(lambda s, i=i: h(s, i), x[i], angle)
        np.testing.assert_allclose(pr.H[i], Hn, rtol=1e-5, atol=1e-9)
        xr, Pr, d2, _ = ref.kf_update(x[i], P[i], z[i], R[i], zr, pr.H[i], angle, True)
        close(res.x[i], xr)
        close(res.P[i], Pr)
        close(res.d2[i], d2)


def test_mahalanobis_and_chol_solve() -> None:
    rng = np.random.default_rng(3)
    S = rand_spd(rng, 4, N, 3.0)
    y = rng.normal(size=(N, 4))
    d2, logdet, ok = K.mahalanobis_sq(y, S)
    assert ok.all()
    for i in range(N):
        close(d2[i], y[i] @ np.linalg.inv(S[i]) @ y[i])
        close(logdet[i], np.log(np.linalg.det(S[i])))
    B = rng.normal(size=(N, 4, 3))
    L, _ = K.cholesky_batched(S)
    X = K.chol_solve(L, B)
    for i in range(N):
        close(X[i], np.linalg.inv(S[i]) @ B[i])


def test_cholesky_flags_bad_rows_without_raising() -> None:
    S = np.stack([np.eye(2), -np.eye(2), np.full((2, 2), np.nan), np.array([[1, 2], [2, 1.0]])])
    _, ok = K.cholesky_batched(S)
    assert ok.tolist() == [True, False, False, False]
    x = np.zeros((4, 4))
    P = np.broadcast_to(np.eye(4), (4, 4, 4)).copy()
    R = S.copy()
    R[0] = np.eye(2)
    R[1:] = -10 * np.eye(2)       # S = P_pos + R not PD
    res = K.linear_update(x, P, np.ones((4, 2)), R, K.position_matrix(2))
    assert res.ok.tolist() == [True, False, False, False]
    assert np.array_equal(res.x[1:], x[1:])       # bad rows unchanged


def test_imm_matches_reference() -> None:
    rng = np.random.default_rng(5)
    r, n = 3, 4
    xm = rng.normal(size=(N, r, n)) * 10
    Pm = rand_spd(rng, n, N * r, 2.0).reshape(N, r, n, n)
    mu = rng.dirichlet(np.ones(r), N)
    Pi = K.imm_switch_matrix(rng.uniform(0, 3, N), np.array([20.0, 5.0, 5.0]))
    np.testing.assert_allclose(Pi.sum(axis=2), 1.0)
    x0, P0, c = K.imm_mix(xm, Pm, mu, Pi)
    ll = rng.normal(size=(N, r)) * 3
    mu2 = K.imm_model_probs(c, ll)
    xc, Pc = K.imm_combine(xm, Pm, mu2)
    for i in range(N):
        x0r, P0r, cr = ref.imm_step_mix(list(xm[i]), list(Pm[i]), mu[i], Pi[i])
        close(c[i], cr)
        for j in range(r):
            close(x0[i, j], x0r[j])
            close(P0[i, j], P0r[j])
        mr = ref.imm_probs(cr, ll[i])
        close(mu2[i], mr)
        xr, Pr = ref.imm_combine(list(xm[i]), list(Pm[i]), mr)
        close(xc[i], xr)
        close(Pc[i], Pr)


def test_pda_update_matches_reference() -> None:
    rng = np.random.default_rng(9)
    n, m, J = 4, 2, 3
    x = rng.normal(size=(N, n)) * 10
    P = rand_spd(rng, n, N, 3.0)
    H = np.broadcast_to(K.position_matrix(2), (N, m, n))
    S = H @ P @ np.swapaxes(H, 1, 2) + 4 * np.eye(2)
    y = rng.normal(size=(N, J, m)) * 3
    beta = rng.dirichlet(np.ones(J + 1), N)
    xn, Pn = K.pda_update(x, P, y, S, H, beta)
    for i in range(N):
        xr, Pr = ref.pda_update(x[i], P[i], list(y[i]), S[i], H[i], beta[i])
        close(xn[i], xr)
        close(Pn[i], Pr)


def test_jpda_marginals_match_bruteforce() -> None:
    rng = np.random.default_rng(13)
    for _ in range(20):
        T, M = rng.integers(1, 5), rng.integers(1, 6)
        gated = rng.random((T, M)) < 0.6
        lik = rng.uniform(1e-8, 1e-5, (T, M))
        ti, mj = np.nonzero(gated)
        res = jpda(T, M, ti.astype(np.int64), mj.astype(np.int64), lik[ti, mj], -lik[ti, mj],
                   np.full(T, 16.0), 0.9, 0.99, 1e-7, max_tracks=10, max_hypotheses=10 ** 6)
        bf = ref.jpda_betas_bruteforce(lik, gated, 0.9, 0.99, 1e-7)
        close(res.beta0, bf[:, 0])
        close(res.edge_beta, bf[ti, mj + 1])
        np.testing.assert_allclose(bf.sum(axis=1), 1.0)


# ---------------------------------------------------------------------------------------------
# filterpy agreement
# ---------------------------------------------------------------------------------------------

def test_kf_agrees_with_filterpy() -> None:
    from filterpy.kalman import KalmanFilter

    rng = np.random.default_rng(21)
    dims, n = 2, 4
    kf = KalmanFilter(dim_x=n, dim_z=dims)
    kf.x = np.array([0.0, 0.0, 10.0, -5.0])
    kf.P = np.diag([100.0, 100.0, 400.0, 400.0])
    kf.H = K.position_matrix(dims)
    kf.R = np.diag([50.0 ** 2, 30.0 ** 2])
    x, P = kf.x.copy()[None], kf.P.copy()[None]
    for k in range(50):
        dt = float(rng.uniform(0.5, 2.0))
        F = ref.cv_F(dt, dims)
        Q = ref.cv_Q(dt, 3.0, 3.0, dims)
        kf.F, kf.Q = F, Q
        kf.predict()
        x, P = K.cv_predict(x, P, np.array([dt]), Q[None])
        z = rng.normal(size=2) * 50 + np.array([10 * k, -5 * k])
        kf.update(z)
        res = K.linear_update(x, P, z[None], kf.R[None], kf.H, joseph=True)
        x, P = res.x, res.P
        close(x[0], kf.x)
        close(P[0], kf.P, 1e-8)


def test_ekf_radar_agrees_with_filterpy() -> None:
    from filterpy.kalman import ExtendedKalmanFilter

    rng = np.random.default_rng(22)
    dims, n = 3, 6
    sp = np.zeros((1, 3))
    A = np.eye(3)[None]
    ekf = ExtendedKalmanFilter(dim_x=n, dim_z=4)
    ekf.x = np.array([5000.0, 8000.0, 500.0, -30.0, -20.0, 0.0])
    ekf.P = np.diag([200.0, 200.0, 200.0, 20.0, 20.0, 5.0]) ** 2
    ekf.R = np.diag([30.0, 0.005, 0.005, 1.0]) ** 2
    x, P = ekf.x.copy()[None], ekf.P.copy()[None]
    truth = np.array([5100.0, 7900.0, 450.0, -32.0, -18.0, 0.5])

    def hx(s: np.ndarray) -> np.ndarray:
        return K.radar_predict_meas(s[None], sp, A, dims, True).zhat[0]

    def HJ(s: np.ndarray) -> np.ndarray:
        return K.radar_predict_meas(s[None], sp, A, dims, True).H[0]

    for _ in range(30):
        dt = 1.0
        ekf.F = ref.cv_F(dt, dims)
        ekf.Q = ref.cv_Q(dt, 1.0, 0.2, dims)
        ekf.predict()
        x, P = K.cv_predict(x, P, np.array([dt]), ekf.Q[None])
        truth = ref.cv_F(dt, dims) @ truth
        z = ref.radar_h(truth, sp[0], A[0], dims, True) + rng.normal(size=4) * np.sqrt(
            np.diag(ekf.R))
        ekf.update(z, HJ, hx)       # filterpy's EKF uses the (I-KH)P(I-KH)'+KRK' form
        pr = K.radar_predict_meas(x, sp, A, dims, True)
        res = K.ekf_update(x, P, z[None], ekf.R[None], pr.zhat, pr.H, None, joseph=True)
        x, P = res.x, res.P
        close(x[0], ekf.x, 1e-8)
        close(P[0], ekf.P, 1e-8)
