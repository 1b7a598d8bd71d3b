"""What the engagement stage believes between shots: border crossings (observed, inferred, not
from being first seen inside) and kill assessment from the picture."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.airspace.events import Entry, Exit
from dronewall.airspace.zones import ZoneSet
from dronewall.chain.assessment import (
    INFER_BACK_S,
    P_UPDATE_ALIVE,
    P_UPDATE_DEAD,
    Crossings,
    KillAssessment,
)
from dronewall.geo.frames import Frame

LAT0, LON0 = 51.5, 23.0
FRAME = Frame(LAT0, LON0)


def own_and_neighbour() -> ZoneSet:
    """Own country west of lon 23.0 (a 200 x 200 km square), the neighbour east of it."""
    return ZoneSet.from_specs([
        {"id": "OWN", "kind": "sovereign", "country": "OWN",
         "area": {"polygon": [[52.4, 21.6], [52.4, 23.0], [50.6, 23.0], [50.6, 21.6]]}},
        {"id": "NBR", "kind": "sovereign", "country": "NBR",
         "area": {"polygon": [[52.4, 23.0], [52.4, 24.4], [50.6, 24.4], [50.6, 23.0]]}},
    ])


def entry(track: int, zone: str = "OWN", *, interpolated: bool = False,
          from_country: str = "") -> Entry:
    return Entry(track_id=track, zone_id=zone, zone_kind="sovereign", zone_name=zone,
                 country=zone, time="", t_s=100.0, lat=None, lon=None, alt_m=None,
                 p_inside=0.9, declared_t_s=100.0, interpolated=interpolated,
                 from_country=from_country)


def test_observed_inferred_and_first_seen_inside() -> None:
    c = Crossings(own_and_neighbour(), FRAME, own_zone_ids={"OWN"})
    ids = np.array([1, 2, 3, 4])
    # 1: crossing seen; 2: first seen 2 km inside, flying west at 50 m/s (it came across);
    # 3: first seen 60 km inside, flying west (a domestic drone); 4: hovering just inside
    pos = np.array([[-1_000.0, 0, 150], [-2_000.0, 0, 150], [-60_000.0, 0, 150],
                    [-500.0, 0, 100]])
    vel = np.array([[-50.0, 0, 0], [-50.0, 0, 0], [-50.0, 0, 0], [0.0, 0, 0]])
    c.update((entry(1, from_country="NBR"), entry(2), entry(3), entry(4)), ids, pos, vel,
             np.full(4, 100.0), 100.0)
    assert c.violating(ids).tolist() == [True, True, False, False]
    assert c.inferred == {2}
    # without the crossing rule every track inside counts
    assert c.violating(ids, require_crossing=False).all()
    # the back-projection is age + INFER_BACK_S: a track 3 km inside first seen 30 s ago
    c2 = Crossings(own_and_neighbour(), FRAME)
    far = 50.0 * (30.0 + INFER_BACK_S) + 1_000.0
    c2.update((entry(7),), np.array([7]), np.array([[-far, 0, 150]]),
              np.array([[-50.0, 0, 0]]), np.array([70.0]), 100.0)
    assert not c2.violating(np.array([7]))[0]
    # an exit ends the violation; a neighbour's zone never counts
    c.update((Exit(track_id=1, zone_id="OWN", zone_kind="sovereign", zone_name="OWN",
                   country="OWN", time="", t_s=200.0, lat=None, lon=None, alt_m=None,
                   p_inside=0.1, declared_t_s=200.0, interpolated=True),
              entry(5, "NBR", interpolated=True)), np.array([1, 5]), pos[:2], vel[:2],
             np.zeros(2), 200.0)
    assert c.violating(np.array([1, 5])).tolist() == [False, False]
    # a new track continuing a crossed one keeps its crossing
    c.inherit(9, 2)
    c.update((entry(9),), np.array([9]), np.array([[-60_000.0, 0, 150]]),
             np.array([[-50.0, 0, 0]]), np.array([300.0]), 300.0)
    assert c.violating(np.array([9]))[0]


def test_kill_assessment_updates_from_the_picture() -> None:
    ka = KillAssessment(look_s=8.0)
    ka.intercept(1, 100.0, 0.7)
    ka.intercept(2, 100.0, 0.7)
    assert ka.p(np.array([1, 2, 3])).tolist() == pytest.approx([0.3, 0.3, 1.0])
    assert ka.looking_until(1) == 108.0
    # track 1 gets an update 2 s after the intercept: it still flies
    ka.step(102.0, {1: 102.0, 2: 99.5})
    p_alive = 0.3 * P_UPDATE_ALIVE / (0.3 * P_UPDATE_ALIVE + 0.7 * P_UPDATE_DEAD)
    assert ka.p_alive[1] == pytest.approx(p_alive)
    assert ka.looking_until(1) == -np.inf and ka.looking_until(2) == 108.0
    # track 2 stays silent through the look period (it coasts, then ends): destroyed
    ka.step(108.0, {})
    p_dead = 0.3 * (1 - P_UPDATE_ALIVE) / (0.3 * (1 - P_UPDATE_ALIVE)
                                           + 0.7 * (1 - P_UPDATE_DEAD))
    assert ka.p_alive[2] == pytest.approx(p_dead) and ka.p_alive[2] < 0.1
    assert ka.p_alive[1] > 0.8
    ka.inherit(5, 2)
    assert ka.p(np.array([5]))[0] == pytest.approx(p_dead)
    ka.forget({5})
    assert set(ka.p_alive) == {5}


def test_inference_reaches_as_far_as_the_class_can_have_come() -> None:
    """First seen 40 km inside flying west: a one-way drone came across the border, a
    multirotor (radio link ~10 km) did not; a multirotor 5 km inside flying in did."""
    from dronewall.catalog import PlatformClass as C

    c = Crossings(own_and_neighbour(), FRAME)
    ids = np.array([1, 2, 3])
    pos = np.array([[-40_000.0, 0, 150], [-40_000.0, 0, 100], [-5_000.0, 0, 100]])
    vel = np.array([[-45.0, 0, 0], [-15.0, 0, 0], [-15.0, 0, 0]])
    cls = np.array([C.ATTACK_DRONE, C.MULTIROTOR, C.MULTIROTOR])
    c.update((entry(1), entry(2), entry(3)), ids, pos, vel, np.full(3, 100.0), 100.0, cls)
    assert c.violating(ids).tolist() == [True, False, True]
    # retried while inside: the class firms up later
    cls2 = np.array([C.ATTACK_DRONE, C.DECOY, C.MULTIROTOR])
    c.update((), ids, pos, vel, np.full(3, 100.0), 110.0, cls2)
    assert c.violating(ids).tolist() == [True, True, True]


def test_silent_look_then_updates_again_means_alive() -> None:
    """No update during the look (a coverage gap) says destroyed -- until the track is
    updated again, which says it still flies."""
    ka = KillAssessment(look_s=8.0)
    ka.intercept(1, 100.0, 0.5)
    ka.step(108.0, {1: 99.0})
    assert ka.p_alive[1] < 0.1
    ka.step(112.0, {1: 111.0})
    assert ka.p_alive[1] == pytest.approx(0.5 * P_UPDATE_ALIVE
                                          / (0.5 * P_UPDATE_ALIVE + 0.5 * P_UPDATE_DEAD))
    assert 1 not in ka.silent
