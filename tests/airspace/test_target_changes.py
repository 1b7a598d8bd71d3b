"""A track that moved from one body to another without a gap (airspace.target_changes)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from dronewall.airspace import target_changes as tc
from dronewall.catalog import PlatformClass

EPOCH = datetime(2026, 3, 1, tzinfo=UTC)
BIRD, DECOY, DRONE = int(PlatformClass.BIRD), int(PlatformClass.DECOY), \
    int(PlatformClass.ATTACK_DRONE)


def _runs(stretches: list[tuple[int, float, float]]) -> tc.BodyRuns:
    """Feed 1-s steps: [(class, speed m/s, seconds), ...]."""
    r = tc.BodyRuns()
    t = 0.0
    for cls, v, n in stretches:
        for _ in range(int(n)):
            r.note(t, cls, v)
            t += 1.0
    return r


def test_a_flock_track_that_took_a_drone_changed_target() -> None:
    r = _runs([(BIRD, 12.0, 1800), (DECOY, 40.0, 600)])
    assert len(r.changes) == 1
    t_old, t_new, c_old, c_new, v_old, v_new, t_sp = r.changes[0][:7]
    assert (t_old, t_new, c_old, c_new) == (1799.0, 1800.0, BIRD, DECOY)
    assert (v_old, v_new, t_sp) == (12.0, 40.0, 1800.0)
    # the other way round too: a drone's track that slid onto a flock
    assert len(_runs([(DRONE, 45.0, 600), (BIRD, 11.0, 600)]).changes) == 1


def test_a_class_that_sharpens_on_one_body_is_no_change_of_target() -> None:
    # a far drone first called a bird, then a drone, at one speed: classification sharpening
    assert _runs([(BIRD, 40.0, 600), (DRONE, 42.0, 600)]).changes == []
    # a flock called a decoy for a while at a flock's speed
    assert _runs([(BIRD, 12.0, 600), (DECOY, 15.0, 600)]).changes == []
    # too short a stretch on either side: a flicker while evidence arrives
    assert _runs([(BIRD, 12.0, 100), (DECOY, 40.0, 600)]).changes == []
    assert _runs([(BIRD, 12.0, 600), (DECOY, 40.0, 100)]).changes == []
    # unclassified steps and UNKNOWN calls neither break nor make a stretch
    r = _runs([(BIRD, 12.0, 600), (-1, 40.0, 300), (int(PlatformClass.UNKNOWN), 40.0, 300)])
    assert r.changes == []


def test_a_short_flicker_between_two_bodies_does_not_hide_the_change() -> None:
    r = _runs([(BIRD, 12.0, 900), (DECOY, 30.0, 40), (BIRD, 12.0, 30), (DECOY, 40.0, 600)])
    assert len(r.changes) == 1 and r.changes[0][0] == 899.0


def test_records_place_the_change_against_the_entry_and_say_what_it_puts_in_doubt() -> None:
    r = _runs([(BIRD, 12.0, 1800), (DECOY, 40.0, 600)])
    inside = tc.change_records(r, 1000.0, 2400.0, EPOCH, 39)
    assert inside == [{"track_id": 39, "old_until_t_s": 1799.0, "new_from_t_s": 1800.0,
                       "old_until_utc": "2026-03-01T00:29:59.000Z",
                       "new_from_utc": "2026-03-01T00:30:00.000Z", "old_class": "bird",
                       "new_class": "decoy", "old_speed_mps": 12.0, "new_speed_mps": 40.0,
                       "speed_changed_t_s": 1800.0,
                       "speed_changed_utc": "2026-03-01T00:30:00.000Z", "where": "inside"}]
    (line,) = tc.reasons(inside)
    assert line.startswith("target changed: track 39 was called a bird (12 m/s mean) until "
                           "00:29:59 UTC and called decoy (40 m/s mean) from 00:30:00 UTC "
                           "(its speed changed at 00:30:00), inside the zone -- a flock does "
                           "not turn into a drone: the track moved from one target to another "
                           "about that time")
    assert "the entry, depth and duration may join two targets" in line
    before = tc.change_records(r, 2000.0, 2400.0, EPOCH, 39)
    assert before[0]["where"] == "before_entry"
    assert "where it came from, is another target's" in tc.reasons(before)[0]
    assert "about each of those times" in tc.reasons(inside + before)[0]
    # a change after the violation's end is not its business
    assert tc.change_records(r, 100.0, 1500.0, EPOCH, 39) == []
    assert tc.reasons(None) == [] and tc.merge([None, []]) is None
    # merged across fragments, placed against the episode's entry: a fragment that began at
    # or after its change took up the episode's target there (nothing of it is mixed)
    (m,) = tc.merge([before, before], entry_t_s=1000.0) or []
    assert m["where"] == "took_up"
    assert "where it took up this episode's target" in tc.reasons([m])[0]
    assert "not part of this episode" in tc.reasons([m])[0]
    assert tc.merge([before], entry_t_s=2000.0)[0]["where"] == "before_entry"
    assert tc.merge([inside], entry_t_s=500.0)[0]["where"] == "inside"


def test_the_speed_dates_a_change_the_class_dates_late() -> None:
    """The plots change first: a flock's track takes a decoy at 1800 s, the class follows 45 s
    later (the decoy's first 45 s still called a bird, at the decoy's speed, with noise)."""
    rng = np.random.default_rng(3)
    r = tc.BodyRuns()
    for k in range(2400):
        t = float(k)
        fast = t >= 1800.0
        v = (40.0 if fast else 12.0) + rng.normal(0.0, 2.0)
        r.note(t, DECOY if t >= 1845.0 else BIRD, v)
    (ch,) = r.changes
    t_old, t_new, t_sp = ch.t_old, ch.t_new, ch.t_speed
    assert (t_old, t_new) == (1844.0, 1845.0)
    assert abs(t_sp - 1800.0) <= 2.0
    rec = tc.change_records(r, 1000.0, 2400.0, EPOCH, 7)[0]
    assert abs(rec["speed_changed_t_s"] - 1800.0) <= 2.0
    assert "(its speed changed at 00:30:0" in tc.reasons([rec])[0]
    # the samples kept are bounded in time
    assert r.speeds[0][0] >= 2399.0 - tc.SPEED_HISTORY_S


def test_the_speed_change_point_and_its_fallback() -> None:
    s = [(float(t), 10.0) for t in range(50)] + [(float(t), 30.0) for t in range(50, 80)]
    assert tc.speed_change_t(s, 0.0, -1.0) == 50.0
    assert tc.speed_change_t(s, 60.0, -1.0) in {float(t) for t in range(61, 80)}
    assert tc.speed_change_t(s[:1], 0.0, -1.0) == -1.0   # one sample: no split
    assert tc.speed_change_t([], 0.0, 5.0) == 5.0


def test_when_the_track_took_up_the_body_it_follows() -> None:
    r = _runs([(BIRD, 12.0, 1800), (DECOY, 40.0, 600)])
    assert tc.took_up_by(r, 2000.0) == 1800.0          # the decoy since the change
    assert tc.took_up_by(r, 1800.0) == 1800.0          # an entry at the change itself
    assert tc.took_up_by(r, 1500.0) is None            # the flock: its first body
    assert tc.took_up_by(None, 2000.0) is None and tc.took_up_by(r, None) is None
