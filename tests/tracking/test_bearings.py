"""Bearing triangulation: statistical consistency and ghost suppression."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from dronewall.tracking.bearings import TriangulationParams, triangulate

NODES = np.array([[0.0, 0.0], [1200.0, 0.0], [0.0, 1100.0], [1300.0, 1200.0], [600.0, -500.0]])


def bearings_to(targets: np.ndarray, nodes: np.ndarray, sd: float,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q, az, s = [], [], []
    for i, n in enumerate(nodes):
        for t in targets:
            d = t - n
            q.append(n)
            az.append(np.arctan2(d[0], d[1]) + rng.normal() * sd)
            s.append(i)
    return np.array(q), np.array(az), np.array(s, dtype=np.int64)


def test_triangulation_covariance_is_consistent() -> None:
    """Over 400 seeded trials the NEES of the fix follows chi-square(2)."""
    rng = np.random.default_rng(2024)
    sd = np.radians(1.0)
    truth = np.array([500.0, 650.0])
    nees = []
    for _ in range(400):
        q, az, s = bearings_to(truth[None], NODES[:4], sd, rng)
        res = triangulate(q, az, np.full(az.size, sd), s, TriangulationParams())
        assert res.pos.shape == (1, 2)
        e = res.pos[0] - truth
        nees.append(float(e @ np.linalg.solve(res.cov[0], e)))
    nees_a = np.array(nees)
    # mean of 400 chi2(2) samples: sd = 2/sqrt(400) = 0.1 -> 99.9 % band about +-0.33
    assert 1.67 < nees_a.mean() < 2.33, nees_a.mean()
    inside95 = np.mean(nees_a <= chi2.ppf(0.95, 2))
    assert 0.92 < inside95 < 0.98, inside95


def test_triangulation_rejects_poor_geometry() -> None:
    """Nearly collinear nodes looking broadside along their baseline give no fix."""
    rng = np.random.default_rng(1)
    nodes = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]])
    q, az, s = bearings_to(np.array([[15.0, 4000.0]]), nodes, np.radians(1.0), rng)
    res = triangulate(q, az, np.full(az.size, np.radians(1.0)), s, TriangulationParams())
    assert res.pos.shape[0] == 0


def test_ghost_suppression_three_targets() -> None:
    """3 targets x 5 nodes: exactly the 3 true points, each bearing used at most once."""
    rng = np.random.default_rng(77)
    sd = np.radians(0.5)
    targets = np.array([[300.0, 400.0], [900.0, 700.0], [500.0, 1000.0]])
    misses = 0
    for trial in range(20):
        q, az, s = bearings_to(targets, NODES, sd, rng)
        order = rng.permutation(az.size)
        q, az, s = q[order], az[order], s[order]
        res = triangulate(q, az, np.full(az.size, sd), s, TriangulationParams())
        # pairwise intersections alone would give C(5,2)*9 = 90 candidates, most of them ghosts
        assert res.seeds >= 3
        found = res.pos
        assert found.shape[0] <= 3
        for p, c in zip(found, res.cov, strict=True):
            d = np.linalg.norm(targets - p, axis=1)
            k = int(np.argmin(d))
            e = p - targets[k]
            assert e @ np.linalg.solve(c, e) < chi2.ppf(0.9999, 2), (trial, p)
        misses += 3 - found.shape[0]
        allm = np.concatenate(res.members) if res.members else np.zeros(0, int)
        assert np.unique(allm).size == allm.size          # each bearing used once
    assert misses <= 2


def test_two_bearing_mode_would_produce_ghosts() -> None:
    """Control: with min_bearings = 2 and 2 nodes, ghost intersections are accepted, which is
    why the default needs >= 3 supporting sensors."""
    rng = np.random.default_rng(5)
    sd = np.radians(0.5)
    targets = np.array([[300.0, 400.0], [900.0, 700.0], [500.0, 1000.0]])
    q, az, s = bearings_to(targets, NODES[:2], sd, rng)
    res = triangulate(q, az, np.full(az.size, sd), s, TriangulationParams(min_bearings=2))
    d = np.min(np.linalg.norm(res.pos[:, None, :] - targets[None], axis=2), axis=1)
    assert np.sum(d > 100.0) >= 1          # at least one ghost
    res3 = triangulate(q, az, np.full(az.size, sd), s, TriangulationParams())
    assert res3.pos.shape[0] == 0          # 2 nodes cannot confirm anything with >= 3
