"""Uncertainty of an observed zone crossing (airspace.crossing): the stated 95 % intervals
hold their coverage, computed independently by intersecting noisy paths with the border."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from dronewall.airspace.crossing import MIN_NORMAL_FRACTION, WINDOW_Z, boundary_axes, crossing_sd


def _coverage(angle_deg: float, cov: np.ndarray, speed: float = 40.0, n: int = 20_000
              ) -> tuple[float, float]:
    """Share of noisy estimates of a straight crossing of the line y = 0 (border, normal +y)
    whose crossing time and point fall within the 95 % intervals of :func:`crossing_sd`.
    The estimate is the true path shifted by a position error drawn from ``cov``; its
    crossing is found by intersecting it with the border, not by the module's formula."""
    rng = np.random.default_rng(7)
    a = math.radians(angle_deg)
    v = speed * np.array([math.cos(a), math.sin(a)])      # crossing northwards at angle a
    p0 = np.array([0.0, -1000.0])                          # true path p0 + v t; crosses y=0
    t_true = -p0[1] / v[1]
    x_true = p0[0] + v[0] * t_true
    e = rng.multivariate_normal(np.zeros(2), cov, size=n)
    q = p0 + e                                             # the estimate's path q + v t
    t_est = -q[:, 1] / v[1]
    x_est = q[:, 0] + v[0] * t_est
    sd_t, sd_x = crossing_sd([0.0, 1.0], [1.0, 0.0], v, cov)
    in_t = np.abs(t_est - t_true) <= WINDOW_Z * sd_t
    in_x = np.abs(x_est - x_true) <= WINDOW_Z * sd_x
    return float(in_t.mean()), float(in_x.mean())


@pytest.mark.parametrize("angle_deg", [90.0, 45.0, 15.0])
@pytest.mark.parametrize("cov", [np.diag([600.0 ** 2, 40.0 ** 2]),
                                 np.array([[250.0 ** 2, 0.6 * 250 * 120],
                                           [0.6 * 250 * 120, 120.0 ** 2]])])
def test_the_95_percent_intervals_cover_95_percent_of_crossings(angle_deg, cov) -> None:
    cov_t, cov_x = _coverage(angle_deg, cov)
    assert abs(cov_t - 0.95) < 0.01 and abs(cov_x - 0.95) < 0.01


def test_speed_alone_understates_an_oblique_crossing() -> None:
    """sigma / speed -- the window before this module -- covers far less than 95 % of a 15 deg
    crossing's times; the error across the border over the speed across it does."""
    cov = np.diag([100.0 ** 2, 100.0 ** 2])
    sd_t, _ = crossing_sd([0.0, 1.0], [1.0, 0.0], [40.0 * math.cos(math.radians(15.0)),
                                                 40.0 * math.sin(math.radians(15.0))], cov)
    assert sd_t == pytest.approx(100.0 / (40.0 * math.sin(math.radians(15.0))))
    assert sd_t > 3.5 * 100.0 / 40.0


def test_a_crossing_along_the_border_gets_a_finite_wide_window() -> None:
    cov = np.diag([50.0 ** 2, 50.0 ** 2])
    sd_t, sd_x = crossing_sd([0.0, 1.0], [1.0, 0.0], [40.0, 0.0], cov)
    assert sd_t == pytest.approx(50.0 / (MIN_NORMAL_FRACTION * 40.0))
    assert np.isfinite(sd_x)
    assert all(math.isnan(x) for x in crossing_sd([0.0, 1.0], [1.0, 0.0], [0.0, 0.0], cov))


def test_boundary_axes_follow_the_nearest_edge() -> None:
    lat0 = 52.0
    k = math.cos(math.radians(lat0))
    # a diamond: its south-west edge runs south-east at 45 deg in metres (not in degrees)
    d = 0.1
    diamond = shapely.Polygon([(20.0, lat0 - d), (20.0 + d / k, lat0), (20.0, lat0 + d),
                               (20.0 - d / k, lat0)])
    n, u = boundary_axes(diamond, lat0 - d / 2, 20.0 - d / (2 * k))
    assert abs(abs(u @ np.array([1.0, -1.0]) / math.sqrt(2)) - 1.0) < 1e-6
    assert abs(n @ u) < 1e-12 and abs(np.hypot(*n) - 1.0) < 1e-12
    # a square with a hole, nearest the hole's east edge (a north-south line)
    outer = [(19.0, 51.0), (21.0, 51.0), (21.0, 53.0), (19.0, 53.0)]
    hole = [(19.8, 51.8), (20.2, 51.8), (20.2, 52.2), (19.8, 52.2)]
    n, u = boundary_axes(shapely.Polygon(outer, [hole]), 52.0, 20.25)
    assert abs(abs(n[0]) - 1.0) < 1e-9 and abs(u[0]) < 1e-9
    assert boundary_axes(shapely.Polygon(outer), float("nan"), 20.0) is None
