"""Engagement planner: hard constraints, cost awareness, explanations, approval, magazines."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from dronewall.airspace.zones import ZoneSet
from dronewall.catalog import EFFECTORS, PlatformClass
from dronewall.engagement.planner import EffectorSite, EngagementPlanner, PlannerConfig
from dronewall.engagement.roe import Roe
from dronewall.engagement.windows import TrackArrays
from dronewall.errors import InputError
from dronewall.geo.frames import Frame

LAT0, LON0 = 51.5, 23.0
FRAME = Frame(LAT0, LON0)
CFG = PlannerConfig(time_limit_s=0.2, horizon_s=900.0, dt_s=2.0)
MISSILES = {"sam_short", "sam_medium", "fighter_aam", "manpads"}
C = PlatformClass


def raid(n: int, seed: int = 0, radius: float = 18_000.0, cls: int = C.ATTACK_DRONE,
         p: float = 0.9) -> tuple[TrackArrays, np.ndarray]:
    """n drones on a ring around the origin flying at it (Shahed speed), class probs p."""
    rng = np.random.default_rng(seed)
    az = rng.uniform(0, 2 * np.pi, n)
    r = radius * rng.uniform(0.7, 1.0, n)
    pos = np.column_stack([r * np.sin(az), r * np.cos(az), rng.uniform(100, 400, n)])
    vel = -pos / np.linalg.norm(pos, axis=1, keepdims=True) * 45.0
    vel[:, 2] = 0.0
    tr = TrackArrays(np.arange(100, 100 + n), pos, vel, np.full(n, 50.0))
    cp = np.full((n, 7), (1.0 - p) / 6.0)
    cp[:, cls] = p
    return tr, cp


def call(pl: EngagementPlanner, t: float, tr: TrackArrays, cp: np.ndarray, value=300_000.0,
         coop=None, **kw):
    n = len(tr)
    return pl.plan(t, tr, np.broadcast_to(np.asarray(value, float), (n,)).copy(), cp,
                   np.zeros(n, bool) if coop is None else coop, np.ones(n, bool),
                   np.zeros(n, bool), **kw)


def layered(stock_int: int = 8) -> list[EffectorSite]:
    return [EffectorSite("int-a", "interceptor_drone", LAT0, LON0, stock=stock_int),
            EffectorSite("gun-a", "gun_35mm", LAT0 + 0.01, LON0),
            EffectorSite("sam-a", "sam_short", LAT0, LON0 + 0.01, stock=4),
            EffectorSite("f16", "fighter_aam", LAT0, LON0 - 0.5, stock=4, fire_units=2)]


def in_zone(zs: ZoneSet, lat: float, lon: float, kinds: set[str]) -> bool:
    pt = shapely.Point(lon, lat)
    return any(z.kind in kinds and z.geometry.covers(pt) for z in zs.zones)


@pytest.mark.parametrize("seed", range(4))
def test_kinetic_never_planned_over_no_fire_or_airport(seed: int) -> None:
    zs = ZoneSet.from_specs([
        {"id": "city", "kind": "no_fire",
         "area": {"center": [LAT0 + 0.03, LON0], "radius_m": 6000}},
        {"id": "apt", "kind": "airport", "area": {"center": [LAT0 - 0.04, LON0 + 0.04],
                                                  "radius_m": 5000}}])
    sites = layered() + [EffectorSite("jam", "ew_jammer", LAT0, LON0),
                         EffectorSite("hmg", "hmg_fire_group", LAT0 + 0.03, LON0 + 0.02)]
    pl = EngagementPlanner(sites, Roe(approval="auto"), zs, FRAME, CFG)
    tr, cp = raid(12, seed)
    t = 0.0
    n_recs = 0
    for _ in range(6):  # several cycles, tracks move on
        plan = call(pl, t, tr, cp)
        for r in plan.recommendations:
            n_recs += 1
            if EFFECTORS[r.effector_type].kinetic:
                assert not in_zone(zs, r.lat_deg, r.lon_deg, {"no_fire", "airport"}), r.explain()
                assert not r.debris_over_no_fire
        t += 20.0
        tr = TrackArrays(tr.track_id, tr.pos_m + tr.vel_mps * 20.0, tr.vel_mps, tr.pos_sigma_m)
    assert n_recs > 0


def test_cooperative_trusted_never_engaged() -> None:
    pl = EngagementPlanner(layered(), Roe(weapons="free", approval="auto",
                                          require_violation=False), None, FRAME, CFG)
    tr, cp = raid(10, 1)
    coop = np.zeros(10, bool)
    coop[::2] = True
    for cycle in range(3):
        plan = call(pl, 0.0, tr, cp, value=1e6, coop=coop)
        engaged = {r.track_id for r in plan.recommendations}
        assert engaged or cycle > 0
        assert not engaged & set(tr.track_id[coop].tolist())
        for tid in tr.track_id[coop]:
            assert plan.unengaged[int(tid)] == "COOPERATIVE"


def test_magazines_never_exceeded_over_repeated_cycles() -> None:
    sites = [EffectorSite("int-a", "interceptor_drone", LAT0, LON0, stock=5, fire_units=3),
             EffectorSite("gun-a", "gun_35mm", LAT0, LON0 + 0.01, stock=3),
             EffectorSite("sam-a", "sam_short", LAT0 + 0.01, LON0, stock=2, fire_units=2)]
    pl = EngagementPlanner(sites, Roe(approval="auto"), None, FRAME, CFG)
    stock0 = pl.stock.copy()
    tr, cp = raid(30, 2, radius=12_000.0)
    fired = np.zeros(3, int)
    for cycle in range(40):
        # the raid flies on (2 s cycles); drones reaching the centre are left out
        dt = cycle * 2.0
        pos = tr.pos_m + tr.vel_mps * dt
        alive = np.linalg.norm(pos[:, :2], axis=1) > 1_000.0
        if not alive.any():
            break
        tr_t = TrackArrays(tr.track_id[alive], pos[alive], tr.vel_mps[alive],
                           tr.pos_sigma_m[alive])
        plan = call(pl, dt, tr_t, cp[alive], value=2e6)
        for r in plan.recommendations:
            # auto approval commits what is due now; later launches stay proposed
            due = r.t_decide_s <= dt + pl.config.auto_approve_lead_s
            assert r.status == ("approved" if due else "proposed")
            if due:
                fired[[s.id for s in sites].index(r.effector_id)] += r.shots
        assert np.all(pl.stock >= 0) and np.all(pl.loaded >= 0)
        assert np.all(pl.loaded <= pl.magazine[pl.unit_site])
        # each fire unit makes at most one engagement per cycle
        units = [r.fire_unit for r in plan.recommendations]
        assert len(units) == len(set(units))
    assert np.all(fired <= stock0)
    np.testing.assert_array_equal(pl.stock, stock0 - fired)
    np.testing.assert_array_equal(pl.fired, fired)
    assert fired.sum() > 0


@pytest.mark.parametrize("cls,value", [(C.ATTACK_DRONE, 50_000.0), (C.ATTACK_DRONE, 300_000.0),
                                       (C.ATTACK_DRONE, 1_000_000.0), (C.DECOY, 20_000.0),
                                       (C.DECOY, 300_000.0)])
@pytest.mark.parametrize("exact", [False, True])
def test_cheap_drone_never_gets_a_missile_when_cheap_effector_has_window(cls, value, exact) -> None:
    pl = EngagementPlanner(layered(), Roe(), None, FRAME, CFG)
    tr = TrackArrays(np.array([1]), np.array([[15_000.0, 2_000.0, 200.0]]),
                     np.array([[-45.0, 0.0, 0.0]]), np.array([40.0]))
    cp = np.zeros((1, 7))
    cp[0, cls] = 0.9
    cp[0, C.UNKNOWN] = 0.1
    plan = call(pl, 0.0, tr, cp, value=value, exact=exact, time_limit_s=5.0)
    w = plan.windows
    assert w is not None and w.feasible[0, 0] and w.feasible[1, 0]  # interceptor and gun
    types = {r.effector_type for r in plan.recommendations}
    assert not types & MISSILES, [r.explain() for r in plan.recommendations]
    assert plan.lower_bound <= plan.objective + 1e-6
    if value >= 50_000.0 and cls == C.ATTACK_DRONE:
        assert types  # a valuable threat is engaged


def test_explanations_name_cheaper_option_and_reason() -> None:
    # interceptor drones 60 km away (no window), the gun's only unit busy: the SAM engages,
    # and its recommendation says why the interceptors and the gun were not used
    sites = [EffectorSite("int-far", "interceptor_drone", LAT0, LON0 + 0.9, stock=4),
             EffectorSite("gun-a", "gun_35mm", LAT0, LON0 + 0.01),
             EffectorSite("sam-a", "sam_short", LAT0, LON0, stock=4)]
    pl = EngagementPlanner(sites, Roe(), None, FRAME, CFG)
    tr = TrackArrays(np.array([5]), np.array([[10_000.0, 500.0, 200.0]]),
                     np.array([[-45.0, 0.0, 0.0]]), np.array([40.0]))
    cp = np.array([[0, 0.95, 0.05, 0, 0, 0, 0]])
    busy = np.full(pl.n_fire_units, -np.inf)
    busy[pl.unit_site == 1] = 1e9
    plan = call(pl, 0.0, tr, cp, value=2_000_000.0, busy_until=busy)
    recs = plan.recommendations
    assert [r.effector_type for r in recs] == ["sam_short"]
    why = {a.effector_type: a for a in recs[0].why_not_cheaper}
    assert why["interceptor_drone"].reason in ("OUT_OF_RANGE", "TOO_LATE")
    assert why["interceptor_drone"].effector_id == "int-far"
    assert why["gun_35mm"].reason == "BUSY" and "window" in why["gun_35mm"].detail
    text = recs[0].explain()
    assert "interceptor_drone" in text and "gun_35mm" in text and "busy" in text


def test_explanation_when_cheaper_option_is_not_worth_it() -> None:
    # jammer has a window but pk 0.1 vs a Shahed; interceptor is chosen: the jammer is listed
    # only if cheaper -- it is, so its entry must say it was not worth it
    sites = [EffectorSite("jam", "ew_jammer", LAT0, LON0),
             EffectorSite("int-a", "interceptor_drone", LAT0, LON0, stock=4, fire_units=1)]
    static = PlannerConfig(time_limit_s=0.2, reserve=False, defer_to_cheaper=False)
    pl = EngagementPlanner(sites, Roe(), None, FRAME, static)
    tr = TrackArrays(np.array([9]), np.array([[12_000.0, 0.0, 150.0]]),
                     np.array([[-45.0, 0.0, 0.0]]), np.array([30.0]))
    cp = np.array([[0, 0.95, 0.05, 0, 0, 0, 0]])
    plan = call(pl, 0.0, tr, cp, value=300_000.0, exact=True, time_limit_s=5.0)
    by_type = {r.effector_type: r for r in plan.recommendations}
    assert "interceptor_drone" in by_type
    alts = {a.effector_type: a for a in by_type["interceptor_drone"].why_not_cheaper}
    if "ew_jammer" in by_type:
        assert alts["ew_jammer"].reason == "ALSO_ASSIGNED"
    else:
        assert alts["ew_jammer"].reason == "NOT_WORTH"


def test_human_approval_gates_consumption() -> None:
    pl = EngagementPlanner(layered(), Roe(), None, FRAME, CFG)
    tr, cp = raid(4, 5, radius=12_000.0)
    stock0 = pl.stock.copy()
    plan = call(pl, 0.0, tr, cp)
    assert plan.recommendations and all(r.status == "proposed" for r in plan.recommendations)
    np.testing.assert_array_equal(pl.stock, stock0)  # nothing fires without approval
    first = plan.recommendations[0]
    done = pl.approve([first.rec_id])
    assert [r.rec_id for r in done] == [first.rec_id] and first.status == "approved"
    assert pl.stock.sum() == stock0.sum() - first.shots
    assert pl.busy_until[first.fire_unit] >= first.t_intercept_s
    # the busy unit is not offered again in the next cycle
    plan2 = call(pl, 1.0, tr, cp)
    assert first.fire_unit not in {r.fire_unit for r in plan2.recommendations}
    with pytest.raises(InputError, match="stale"):
        pl.approve([first.rec_id + "x"])
    with pytest.raises(InputError, match="stale"):  # recommendations of an older plan
        pl.approve([plan.recommendations[-1].rec_id])


def test_roe_blocks_manned_and_low_confidence() -> None:
    pl = EngagementPlanner(layered(), Roe(), None, FRAME, CFG)
    tr, _ = raid(3, 7, radius=10_000.0)
    cp = np.zeros((3, 7))
    cp[0, C.MANNED_AIRCRAFT] = 1.0
    cp[1, C.ATTACK_DRONE] = 0.4
    cp[1, C.UNKNOWN] = 0.6
    cp[2, C.ATTACK_DRONE] = 0.9
    cp[2, C.DECOY] = 0.1
    plan = call(pl, 0.0, tr, cp, value=1e6)
    assert {r.track_id for r in plan.recommendations} == {int(tr.track_id[2])}
    assert plan.unengaged[int(tr.track_id[0])] == "ROE"
    assert plan.unengaged[int(tr.track_id[1])] == "ROE"


def test_empty_and_bad_inputs() -> None:
    pl = EngagementPlanner(layered(), Roe(), None, FRAME, CFG)
    tr, cp = raid(0)
    plan = call(pl, 0.0, tr, cp)
    assert plan.recommendations == [] and plan.status == "empty"
    tr, cp = raid(2)
    with pytest.raises(InputError, match="target_value"):
        pl.plan(0.0, tr, np.array([1.0]), cp, np.zeros(2, bool), np.ones(2, bool),
                np.zeros(2, bool))
    with pytest.raises(InputError, match="unknown effector type 'laser2'"):
        EngagementPlanner([EffectorSite("x", "laser2", LAT0, LON0)], None, None, FRAME)
    with pytest.raises(InputError, match="min_range_m"):
        EngagementPlanner([EffectorSite("x", "gun_35mm", LAT0, LON0,
                                        overrides={"min_range_m": 5000.0})], None, None, FRAME)


def test_sites_from_scenario_values() -> None:
    from pathlib import Path

    from dronewall.scenario import load_scenario

    path = (Path(__file__).resolve().parents[2]
            / "src/dronewall/data/scenarios/eastern-poland-raid.yaml")
    sc = load_scenario(path)
    sites = [EffectorSite.from_values(**e.model_dump()) for e in sc.effectors]
    types = {s.type_key for s in sites}
    assert {"interceptor_drone", "hmg_fire_group", "gun_35mm", "ew_jammer", "sam_short",
            "fighter_aam"} <= types
    pl = EngagementPlanner(sites, Roe.from_values(**sc.roe.model_dump()), None,
                           Frame(sc.origin.lat_deg, sc.origin.lon_deg), CFG)
    assert pl.stock[[s.id for s in sites].index("interceptors-wlodawa")] == 16
    assert pl.n_fire_units == sum(s.fire_units or EFFECTORS[s.type_key].fire_units for s in sites)
    over = EffectorSite.from_values(id="g", type="gun_35mm", position=[51.0, 23.0],
                                    max_range_m=3000.0, pk={"ATTACK_DRONE": 0.5}, min_alt_m=None)
    assert over.overrides == {"max_range_m": 3000.0, "pk": {"ATTACK_DRONE": 0.5}}
    with pytest.raises(InputError, match="unknown field"):
        EffectorSite.from_values(id="g", type="gun_35mm", position=[51.0, 23.0], rnage=1.0)
