"""Planner over time: shoot-look-shoot (look periods, salvos when no window is left), per-class
confidence for expensive effectors, waiting for a cheaper layer only while it has capacity and
the dearer fallback remains, magazine shadow prices, deadlines."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dronewall.catalog import PlatformClass
from dronewall.engagement.planner import EffectorSite, EngagementPlanner, PlannerConfig
from dronewall.engagement.roe import Reason, Roe
from dronewall.engagement.windows import TrackArrays
from dronewall.geo.frames import Frame

LAT0, LON0 = 51.5, 23.0
FRAME = Frame(LAT0, LON0)
C = PlatformClass
CFG = PlannerConfig(time_limit_s=5.0)


def inbound(n: int, x0: float, spacing: float = 3_000.0) -> tuple[TrackArrays, np.ndarray]:
    """n Shaheds east of the origin, flying west at 45 m/s, ``spacing`` m apart north-south."""
    pos = np.column_stack([np.full(n, x0), np.arange(n) * spacing - (n - 1) * spacing / 2,
                           np.full(n, 200.0)])
    vel = np.tile([-45.0, 0.0, 0.0], (n, 1))
    cp = np.zeros((n, 7))
    cp[:, C.ATTACK_DRONE] = 0.95
    cp[:, C.DECOY] = 0.05
    return TrackArrays(np.arange(10, 10 + n), pos, vel, np.full(n, 30.0)), cp


def plan(pl: EngagementPlanner, tr: TrackArrays, cp: np.ndarray, value: float = 5e6, **kw):
    n = len(tr)
    return pl.plan(0.0, tr, np.full(n, value), cp, np.zeros(n, bool), np.ones(n, bool),
                   np.zeros(n, bool), **kw)


def test_look_period_then_salvo_when_no_window_is_left() -> None:
    sites = [EffectorSite("gun", "gun_35mm", LAT0, LON0, stock=16)]
    pl = EngagementPlanner(sites, Roe(), None, FRAME, CFG)
    tr, cp = inbound(1, 3_000.0)  # inside the gun's envelope, flying through it for ~150 s
    assert plan(pl, tr, cp).recommendations  # free to shoot
    p = plan(pl, tr, cp, look_until_s=np.array([20.0]))  # a shot in flight until t=20 s
    assert not p.recommendations and p.unengaged[10] == "IN_FLIGHT"
    # a target leaving the envelope: no window after the look -> another shot now (salvo)
    tr2 = TrackArrays(tr.track_id, np.array([[-3_500.0, 0.0, 200.0]]), tr.vel_mps,
                      tr.pos_sigma_m)
    p = plan(pl, tr2, cp, look_until_s=np.array([20.0]))
    assert [r.effector_id for r in p.recommendations] == ["gun"]


def test_expensive_effectors_need_one_confident_class() -> None:
    sites = [EffectorSite("sam", "sam_short", LAT0, LON0, stock=4),
             EffectorSite("int", "interceptor_drone", LAT0, LON0 + 0.02, stock=8)]
    pl = EngagementPlanner(sites, Roe(), None, FRAME,
                           PlannerConfig(time_limit_s=5.0, defer_to_cheaper=False))
    tr, cp = inbound(1, 9_000.0)
    cp[:] = 0.0
    cp[0, C.ATTACK_DRONE] = 0.5  # "Shahed or decoy": hostile one-way drone at 1.0
    cp[0, C.DECOY] = 0.5
    p = plan(pl, tr, cp, expensive_ok=np.array([False]))
    assert p.windows is not None
    assert p.recommendations and {r.effector_type for r in p.recommendations} == {
        "interceptor_drone"}
    ctx = pl._prepare(0.0, tr, np.array([5e6]), cp, [False], [True], [False], None,
                      expensive_ok=np.array([False]))
    assert ctx.reason[0, 0] == Reason.CONFIDENCE
    assert Roe().single_class_confident(cp).tolist() == [False]
    cp2 = cp.copy()
    cp2[0] = [0, 0.7, 0.3, 0, 0, 0, 0]
    assert Roe().single_class_confident(cp2).tolist() == [True]


def test_waits_for_the_cheaper_layer_only_with_capacity_and_a_fallback() -> None:
    # a SAM can shoot now; a gun nearer the targets' path will have a window later
    sam = EffectorSite("sam", "sam_short", LAT0, LON0, stock=4)
    gun = EffectorSite("gun", "gun_35mm", LAT0, LON0 - 0.02, stock=16)
    tr, cp = inbound(1, 10_000.0)
    alone = plan(EngagementPlanner([sam], Roe(), None, FRAME, CFG), tr, cp)
    assert [r.effector_id for r in alone.recommendations] == ["sam"]
    both = plan(EngagementPlanner([sam, gun], Roe(), None, FRAME, CFG), tr, cp)
    # only the gun's later window is planned (its decision is not due now)
    assert [r.effector_id for r in both.recommendations] == ["gun"]
    assert both.recommendations[0].t_decide_s > CFG.cycle_s
    # the gun has one burst left: one target waits for it, the other gets the SAM now
    tr2, cp2 = inbound(2, 10_000.0, spacing=500.0)
    short = EffectorSite("gun", "gun_35mm", LAT0, LON0 - 0.02, stock=1)
    p = plan(EngagementPlanner([sam, short], Roe(), None, FRAME, CFG), tr2, cp2)
    now = [r for r in p.recommendations if r.t_decide_s <= CFG.cycle_s]
    assert [r.effector_id for r in now] == ["sam"]
    # without a dear fallback after the cheap shot nothing waits for it: the SAM's window ends
    # before the gun's intercept, and one gun burst later is no match for the SAM now ...
    far = EffectorSite("gun", "gun_35mm", LAT0, LON0 - 0.3, stock=1)
    p = plan(EngagementPlanner([sam, far], Roe(), None, FRAME, CFG), tr, cp)
    now = [r for r in p.recommendations if r.t_decide_s <= CFG.cycle_s]
    assert [r.effector_id for r in now] == ["sam"]
    # ... and without the continuation value (the default) neither do four bursts; with it
    # they are worth waiting for (98 % kill later for EUR 30k expected beats EUR 400k now)
    far = EffectorSite("gun", "gun_35mm", LAT0, LON0 - 0.3, stock=16)
    p = plan(EngagementPlanner([sam, far], Roe(), None, FRAME, CFG), tr, cp)
    assert [r.effector_id for r in p.recommendations if r.t_decide_s <= CFG.cycle_s] == ["sam"]
    # (the continuation values the target at the expected cost of those later bursts, so the
    # SAM is not worth it now; the gun is planned when its decision falls due)
    cont = dataclasses.replace(CFG, continuation=True)
    p = plan(EngagementPlanner([sam, far], Roe(), None, FRAME, cont), tr, cp)
    assert not p.recommendations and set(p.unengaged.values()) == {"NOT_WORTH"}


def test_shadow_prices_keep_scarce_rounds_for_the_valuable_targets() -> None:
    # two launch crews with one interceptor each (a crew's magazine is filled first)
    sites = [EffectorSite("int-a", "interceptor_drone", LAT0, LON0, stock=1, fire_units=1),
             EffectorSite("int-b", "interceptor_drone", LAT0, LON0, stock=1, fire_units=1)]
    tr, cp = inbound(4, 15_000.0)
    value = np.array([5e6, 5e6, 6e3, 6e3])  # two Shaheds, two decoys worth their cost
    n = len(tr)
    args = (cp, np.zeros(n, bool), np.ones(n, bool), np.zeros(n, bool))
    scarce = EngagementPlanner(sites, Roe(), None, FRAME, CFG)
    p = scarce.plan(0.0, tr, value, *args)
    assert {r.track_id for r in p.recommendations} == {10, 11}
    assert all(r.shadow_cost_eur > 0 for r in p.recommendations)
    # plenty of rounds: no shadow price, the decoys are engaged as well
    sites = [EffectorSite("int", "interceptor_drone", LAT0, LON0, stock=40, fire_units=10)]
    p = EngagementPlanner(sites, Roe(), None, FRAME, CFG).plan(0.0, tr, value, *args)
    assert {r.track_id for r in p.recommendations} == {10, 11, 12, 13}
    assert all(r.shadow_cost_eur == pytest.approx(0.0, abs=1.0) for r in p.recommendations)


def test_recommendations_carry_deadline_and_value_saved() -> None:
    sites = [EffectorSite("gun", "gun_35mm", LAT0, LON0, stock=16)]
    tr, cp = inbound(1, 3_000.0)
    r = plan(EngagementPlanner(sites, Roe(), None, FRAME, CFG), tr, cp, value=2e6) \
        .recommendations[0]
    assert r.t_decide_s <= r.deadline_s and r.deadline_s > 60.0
    assert r.value_saved_eur == pytest.approx(2e6 * r.pk)
    text = r.explain()
    assert "expires" in text and "to save" in text


def test_the_wait_goes_to_the_cheapest_layer_that_keeps_a_fallback() -> None:
    """The cheapest layer per kill (interceptor drones) has both crews busy: until t=300 s its
    shot comes too late for the SAM to follow it after the look, and until t=5000 s it comes
    after the target's last window. Either way the target waits for the gun further on, not
    for the SAM now (the SAM stays the fallback after the gun's look). Before, only the
    cheapest layer was considered, so the SAM fired at once (seen on the layered scenario: the
    oracle's SAM shots at Shaheds a gun would meet 140 s later, because a jammer -- EUR 100
    per expected kill -- had a window too late for the SAM to follow)."""
    sam = EffectorSite("sam", "sam_short", LAT0, LON0, stock=4)
    gun = EffectorSite("gun", "gun_35mm", LAT0, LON0 - 0.02, stock=16)
    ints = EffectorSite("int", "interceptor_drone", LAT0, LON0 - 0.05, stock=8)
    tr, cp = inbound(1, 10_000.0)
    pl = EngagementPlanner([sam, gun, ints], Roe(), None, FRAME, CFG)
    for until in (300.0, 5_000.0):
        busy = np.where(pl.unit_site == 2, until, -np.inf)   # both crews busy until then
        ctx = pl._prepare(0.0, tr, np.array([5e6]), cp, [False], [True], [False], busy)
        assert ctx.pk_h[2, 0] > 0 and ctx.reason[2, 0] == Reason.BUSY
        pl._defer_to_cheaper(ctx)
        assert ctx.reason[0, 0] == Reason.LATER, until   # the SAM waits
        p = plan(pl, tr, cp, busy_until=busy)
        assert [r.effector_id for r in p.recommendations] == ["gun"]
        assert p.recommendations[0].t_decide_s > CFG.cycle_s
    # crews free: the target waits for the interceptors (cheapest per kill), as before
    ctx = pl._prepare(0.0, tr, np.array([5e6]), cp, [False], [True], [False], None)
    pl._defer_to_cheaper(ctx)
    assert ctx.reason[0, 0] == Reason.LATER
    assert [r.effector_id for r in plan(pl, tr, cp).recommendations] == ["int"]


def test_a_salvo_of_interceptor_drones_flies_in_trail() -> None:
    """A Shahed flying away from an interceptor site leaves no window for a follow-up after the
    look, so both crews launch at it (a salvo). The second interceptor flies SALVO_TRAIL_S
    behind the first -- launch, decision and intercept later by that, its intercept point
    further along the target's path -- so that the look after the lead's intercept comes
    before it arrives and it can be retasked if the lead killed. Before, both struck at the
    same second and the second hit a wreck (the layered scenario's 'overkill' waste)."""
    from dronewall.engagement.dynamics import LOOK_S, SALVO_TRAIL_S

    assert SALVO_TRAIL_S > LOOK_S
    ints = EffectorSite("int", "interceptor_drone", LAT0, LON0, stock=8)
    pl = EngagementPlanner([ints], Roe(), None, FRAME, CFG)
    tr, cp = inbound(1, -2_000.0)
    recs = sorted(plan(pl, tr, cp).recommendations, key=lambda r: r.t_intercept_s)
    assert len(recs) == 2
    lead, trail = recs
    for a in ("t_launch_s", "t_decide_s", "t_intercept_s"):
        assert getattr(trail, a) - getattr(lead, a) == pytest.approx(SALVO_TRAIL_S, abs=1.0)
    assert trail.t_decide_s <= trail.deadline_s
    x_lead = FRAME.geodetic_to_local(lead.lat_deg, lead.lon_deg, lead.alt_m)
    x_trail = FRAME.geodetic_to_local(trail.lat_deg, trail.lon_deg, trail.alt_m)
    moved = np.ravel(x_trail - x_lead)
    assert moved[0] == pytest.approx(-45.0 * (trail.t_intercept_s - lead.t_intercept_s), rel=0.1)
    # a shot decided in an earlier cycle is in flight (its intercept + look given): the new one
    # trails it too, not only the shots of the same cycle
    pl = EngagementPlanner([ints], Roe(), None, FRAME, CFG)
    first = lead.t_intercept_s
    recs = plan(pl, tr, cp, look_until_s=np.array([first + LOOK_S])).recommendations
    assert recs and min(r.t_intercept_s for r in recs) >= first + SALVO_TRAIL_S - 1e-6
    # 1 km further out the window's last decision comes 11 s from now: no room for the trail
    # behind the lead, so the two go together
    tr, cp = inbound(1, -3_000.0)
    recs = plan(EngagementPlanner([ints], Roe(), None, FRAME, CFG), tr, cp).recommendations
    assert len(recs) == 2 and recs[0].deadline_s < recs[0].t_decide_s + SALVO_TRAIL_S
    assert len({round(r.t_intercept_s, 6) for r in recs}) == 1
