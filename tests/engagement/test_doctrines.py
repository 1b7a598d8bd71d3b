"""Naive doctrines: same hard constraints as the planner; the planner's optimum beats them."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from dronewall.airspace.zones import ZoneSet
from dronewall.catalog import EFFECTORS, PlatformClass
from dronewall.engagement.doctrines import missile_first, nearest_capable
from dronewall.engagement.planner import EffectorSite, EngagementPlanner, PlannerConfig
from dronewall.engagement.roe import Roe
from dronewall.engagement.windows import TrackArrays
from dronewall.geo.frames import Frame

LAT0, LON0 = 51.5, 23.0
FRAME = Frame(LAT0, LON0)
CFG = PlannerConfig(time_limit_s=0.2)
C = PlatformClass


def sites() -> list[EffectorSite]:
    return [EffectorSite("int-a", "interceptor_drone", LAT0, LON0, stock=8),
            EffectorSite("gun-a", "gun_35mm", LAT0 + 0.02, LON0),
            EffectorSite("jam", "ew_jammer", LAT0, LON0 + 0.02),
            EffectorSite("sam-a", "sam_short", LAT0 - 0.05, LON0, stock=4)]


def tracks(n: int, seed: int) -> tuple[TrackArrays, np.ndarray]:
    rng = np.random.default_rng(seed)
    az = rng.uniform(0, 2 * np.pi, n)
    r = rng.uniform(6_000, 12_000, n)
    pos = np.column_stack([r * np.sin(az), r * np.cos(az), rng.uniform(100, 400, n)])
    vel = -pos / np.linalg.norm(pos, axis=1, keepdims=True) * 45.0
    vel[:, 2] = 0
    cp = np.zeros((n, 7))
    cp[:, C.ATTACK_DRONE] = 0.8
    cp[:, C.DECOY] = 0.2
    return TrackArrays(np.arange(n), pos, vel, np.full(n, 40.0)), cp


def args(tr: TrackArrays, cp: np.ndarray, coop=None, value=400_000.0):
    n = len(tr)
    return (tr, np.full(n, value), cp, np.zeros(n, bool) if coop is None else coop,
            np.ones(n, bool), np.zeros(n, bool))


def test_missile_first_picks_the_most_capable() -> None:
    pl = EngagementPlanner(sites(), Roe(), None, FRAME, CFG)
    tr, cp = tracks(1, 0)
    plan = missile_first(pl, 0.0, *args(tr, cp))
    assert [r.effector_type for r in plan.recommendations] == ["sam_short"]
    assert plan.status == "doctrine" and np.isnan(plan.lower_bound)


def test_nearest_capable_picks_the_nearest_with_a_window() -> None:
    pl = EngagementPlanner(sites(), Roe(), None, FRAME, CFG)
    # a target 8 km north of the gun site (LAT0 + 0.02): the gun is nearest
    tr = TrackArrays(np.array([1]), np.array([[0.0, 10_000.0, 200.0]]),
                     np.array([[0.0, -45.0, 0.0]]), np.array([40.0]))
    cp = np.array([[0, 0.9, 0.1, 0, 0, 0, 0]])
    plan = nearest_capable(pl, 0.0, *args(tr, cp))
    assert [r.effector_id for r in plan.recommendations] == ["gun-a"]


@pytest.mark.parametrize("doctrine", [missile_first, nearest_capable])
def test_doctrines_respect_hard_constraints(doctrine) -> None:
    zs = ZoneSet.from_specs([{"id": "city", "kind": "no_fire",
                              "area": {"center": [LAT0 + 0.04, LON0], "radius_m": 5000}}])
    pl = EngagementPlanner(sites(), Roe(approval="auto"), zs, FRAME, CFG)
    tr, cp = tracks(15, 1)
    coop = np.zeros(15, bool)
    coop[:4] = True
    stock0 = pl.stock.copy()
    for cycle in range(10):
        plan = doctrine(pl, cycle * 15.0, *args(tr, cp, coop=coop))
        for r in plan.recommendations:
            assert r.track_id not in set(tr.track_id[coop].tolist())
            if EFFECTORS[r.effector_type].kinetic:
                assert not zs.zones[0].geometry.covers(shapely.Point(r.lon_deg, r.lat_deg))
        units = [r.fire_unit for r in plan.recommendations]
        assert len(units) == len(set(units))
        assert np.all(pl.stock >= 0)
        tr = TrackArrays(tr.track_id, tr.pos_m + tr.vel_mps * 15.0, tr.vel_mps, tr.pos_sigma_m)
    assert np.all(stock0 - pl.stock == pl.fired)


@pytest.mark.parametrize("seed", range(3))
def test_exact_planner_never_worse_than_doctrines(seed: int) -> None:
    """Each doctrine's assignment is feasible for the planner's WTA, so the exact optimum is
    at most its objective (an oracle for both)."""
    tr, cp = tracks(6, seed)
    a = args(tr, cp)
    # the static problem of one cycle: no magazine reserve, no waiting for cheaper windows
    static = PlannerConfig(time_limit_s=0.2, reserve=False, defer_to_cheaper=False)
    pl = EngagementPlanner(sites(), Roe(), None, FRAME, static)
    best = pl.plan(0.0, *a, time_limit_s=20.0, exact=True)
    for doctrine in (missile_first, nearest_capable):
        d = doctrine(EngagementPlanner(sites(), Roe(), None, FRAME, CFG), 0.0, *a)
        assert best.objective <= d.objective + 1e-6 * max(1.0, d.objective)
    assert best.lower_bound <= best.objective + 1e-6
    # missile-first spends more on the same raid
    mf = missile_first(EngagementPlanner(sites(), Roe(), None, FRAME, CFG), 0.0, *a)
    assert mf.total_cost_eur >= best.total_cost_eur
