"""Simulated effects: a shot resolves against the platform it was aimed at, by its true 3-D
miss against the effector's acquisition basket; area effects only inside their radius; birds
and manned aircraft never; waste is named."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from dronewall.catalog import EFFECTORS, PlatformClass
from dronewall.chain import (
    DueEngagement,
    Engagement,
    EngagementStage,
    EngagementStep,
    StepRecord,
    TargetFix,
)
from dronewall.detections import DetectionBatch
from dronewall.engagement.planner import EffectorSite
from dronewall.engagement.roe import Roe
from dronewall.geo.frames import Frame
from dronewall.pipeline.engagement import SimulatedEffects

LAT0, LON0 = 51.5, 23.0
FRAME = Frame(LAT0, LON0)
C = PlatformClass


class _Rng:
    """A random stream that always draws ``u`` (0: every acquired shot kills)."""

    def __init__(self, u: float) -> None:
        self.u = u

    def random(self) -> float:
        return self.u


def world(positions: list[tuple[float, float, float]], classes: list[int]):
    """Platforms at ENU positions (m) with classes; a TruthState-like snapshot at t."""
    keys = {C.ATTACK_DRONE: "shahed136", C.DECOY: "gerbera", C.BIRD: "bird",
            C.MANNED_AIRCRAFT: "airliner", C.MULTIROTOR: "dji_multirotor"}
    plat = SimpleNamespace(cls=np.array(classes, np.int8),
                           ids=np.array([f"p{i}" for i in range(len(classes))], dtype=object),
                           platform=np.array([keys[c] for c in classes], dtype=object))
    pos = np.array(positions, dtype=float)

    def state(t: float, active=None):
        ecef = FRAME.from_local(pos)
        lat, lon, alt = FRAME.local_to_geodetic(pos)
        act = np.ones(len(classes), bool) if active is None else np.asarray(active)
        return SimpleNamespace(t=t, active=act, ecef=ecef, lat_deg=lat, lon_deg=lon, alt_m=alt)
    return plat, state


def setup(effector: str, positions, classes, u: float = 0.0):
    stage = EngagementStage([EffectorSite("e", effector, LAT0, LON0, stock=10)], Roe(), None,
                            FRAME)
    plat, state = world(positions, classes)
    fx = SimulatedEffects(stage, None, FRAME, plat, Path("."), "csv", _Rng(u))
    return stage, fx, state


def eng(seq: int, track: int, effector: str, kinetic: bool = True) -> Engagement:
    e = EFFECTORS[effector]
    return Engagement(seq=seq, t_plan_s=0.0, t_launch_s=1.0, t_intercept_s=10.0, site=0,
                      effector_id="e", effector_type=effector, fire_unit=0, track_id=track,
                      track_class="attack_drone", shots=1, cost_eur=e.cost_per_shot_eur,
                      value_eur=1e6, pk=0.5, pk_geom=1.0, lat_deg=LAT0, lon_deg=LON0,
                      alt_m=100.0, kinetic=kinetic)


def step(fx, state, t, track_ids, track_pos, stock, *, approved=(), launched=(), due=()):
    pic = SimpleNamespace(ids=np.asarray(track_ids, np.int64), pos=np.asarray(track_pos, float))
    es = EngagementStep(None, tuple(approved), tuple(due), 0, stock, launched=tuple(launched))
    rec = StepRecord(t=t, detections=DetectionBatch.empty(), picture=pic, engagement=es)
    return fx.observe(state(t), rec)


def due(e: Engagement, aim) -> DueEngagement:
    a = np.asarray(aim, float)
    return DueEngagement(e, a, TargetFix(10.0, a, np.zeros(3), 50.0))


def test_kill_only_the_aimed_platform_within_the_basket() -> None:
    # p0 (Shahed) is tracked by track 7; p1 (Shahed) flies 150 m from the aim point
    stage, fx, state = setup("interceptor_drone", [(5_000, 0, 150), (5_000, 150, 150)],
                             [C.ATTACK_DRONE, C.ATTACK_DRONE])
    e = eng(0, 7, "interceptor_drone")
    step(fx, state, 0.0, [7], [(5_020, 0, 150)], stage.stock, approved=[e], launched=[e])
    # the aim point sits on p1, 150 m from p0: p0 is within the 300 m basket -> killed,
    # p1 is never touched by a point effect
    killed = step(fx, state, 10.0, [7], [(5_020, 0, 150)], stage.stock,
                  due=[due(e, (5_000, 150, 150))])
    assert killed.tolist() == [0]
    row = fx.rows[-1]
    assert row["true_platform"] == "p0" and row["result"] == "kill"
    assert row["miss_m"] == pytest.approx(150.0) and row["acquired"]


def test_a_miss_beyond_the_basket_never_kills() -> None:
    stage, fx, state = setup("interceptor_drone", [(5_000, 0, 150)], [C.ATTACK_DRONE], u=0.0)
    e = eng(0, 7, "interceptor_drone")
    step(fx, state, 0.0, [7], [(5_000, 0, 150)], stage.stock, approved=[e], launched=[e])
    basket = EFFECTORS["interceptor_drone"].acquisition_basket_m
    killed = step(fx, state, 10.0, [7], [(5_000, 0, 150)], stage.stock,
                  due=[due(e, (5_000, 0, 150 + basket + 50))])  # 3-D: the altitude counts
    assert killed.size == 0
    assert fx.rows[-1]["result"] == "miss" and not fx.rows[-1]["acquired"]


def test_birds_aircraft_and_phantoms_are_never_resolved_against() -> None:
    stage, fx, state = setup("sam_short", [(5_000, 0, 150), (8_000, 0, 9_000)],
                             [C.BIRD, C.MANNED_AIRCRAFT])
    a, b, c = eng(0, 7, "sam_short"), eng(1, 8, "sam_short"), eng(2, 9, "sam_short")
    step(fx, state, 0.0, [7, 8, 9], [(5_000, 0, 150), (8_000, 0, 9_000), (40_000, 0, 300)],
         stage.stock, approved=[a, b, c], launched=[a, b, c])
    killed = step(fx, state, 10.0, [7, 8], [(5_000, 0, 150), (8_000, 0, 9_000)], stage.stock,
                  due=[due(a, (5_000, 0, 150)), due(b, (8_000, 0, 9_000)),
                       due(c, (40_000, 0, 300))])
    assert killed.size == 0
    res = {r["track_id"]: (r["result"], r["waste"]) for r in fx.rows}
    assert res == {7: ("non_hostile", "non_hostile"), 8: ("non_hostile", "non_hostile"),
                   9: ("no_target", "phantom")}
    m = fx.metrics()
    assert m["waste_eur"] == pytest.approx(m["spend_eur"]) and m["waste_share"] == 1.0


def test_area_effect_inside_its_radius_only() -> None:
    r = EFFECTORS["ew_jammer"].effect_radius_m
    # aimed at p0 (multirotor); p1 inside the jammer's beam, p2 outside it, p3 a bird inside
    stage, fx, state = setup("ew_jammer", [(3_000, 0, 100), (3_000, r - 200, 100),
                                           (3_000, r + 500, 100), (3_000, 300, 100)],
                             [C.MULTIROTOR, C.MULTIROTOR, C.MULTIROTOR, C.BIRD])
    e = eng(0, 7, "ew_jammer", kinetic=False)
    step(fx, state, 0.0, [7], [(3_000, 0, 100)], stage.stock, approved=[e], launched=[e])
    killed = step(fx, state, 10.0, [7], [(3_000, 0, 100)], stage.stock,
                  due=[due(e, (3_000, 0, 100))])
    assert sorted(killed.tolist()) == [0, 1]
    assert fx.rows[-1]["area_kills"] == 1


def test_second_shot_at_a_destroyed_platform_is_waste() -> None:
    stage, fx, state = setup("gun_35mm", [(3_000, 0, 150)], [C.ATTACK_DRONE])
    a, b = eng(0, 7, "gun_35mm"), eng(1, 7, "gun_35mm")
    step(fx, state, 0.0, [7], [(3_000, 0, 150)], stage.stock, approved=[a, b],
         launched=[a, b])
    step(fx, state, 10.0, [7], [(3_000, 0, 150)], stage.stock,
         due=[due(a, (3_000, 0, 150)), due(b, (3_000, 0, 150))])
    assert [(r["result"], r["waste"]) for r in fx.rows] == [("kill", ""),
                                                           ("dead_target", "overkill")]
    m = fx.metrics()
    assert m["neutralised"]["total"] == 1 and m["shots_per_kill"] == 2.0
    assert m["waste_by_reason_eur"]["overkill"] == pytest.approx(22_400.0)


def test_one_way_drones_still_flying_at_the_end_are_counted_as_open_not_stopped() -> None:
    """A run cut before the raid is over: a one-way drone still flying (undestroyed, short of
    every valued zone) is 'in flight at the end', one whose flight ended undestroyed elsewhere
    is not, and a destroyed one is neither -- so '0 leakers' is never read as 'the wall
    held' while drones still fly."""
    stage, fx, state = setup("interceptor_drone",
                             [(5_000, 0, 150), (6_000, 0, 150), (7_000, 0, 150),
                              (8_000, 0, 150)],
                             [C.ATTACK_DRONE, C.DECOY, C.DECOY, C.BIRD])
    e = eng(0, 7, "interceptor_drone")
    step(fx, state, 0.0, [7], [(5_000, 0, 150)], stage.stock, approved=[e], launched=[e])
    killed = step(fx, state, 10.0, [7], [(5_000, 0, 150)], stage.stock,
                  due=[due(e, (5_000, 0, 150))])
    assert killed.tolist() == [0]
    # p0 is gone (killed), p2's flight ends (inactive from now on), p1 flies on; p3 a bird
    fx.observe(state(20.0, active=[False, True, False, True]),
               StepRecord(t=20.0, detections=DetectionBatch.empty()))
    m = fx.metrics()
    ow = m["hostile_one_way"]
    assert (ow["flown"], ow["neutralised_before_valued_zone"]) == (3, 1)
    assert (ow["in_flight_at_end"], ow["ended_elsewhere"], ow["reached_valued_zone"]) == (1, 1, 0)
    assert m["threats_in_flight_at_end"] == 1 and m["leakers"]["total"] == 0
