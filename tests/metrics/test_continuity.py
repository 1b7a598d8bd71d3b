"""ContinuityScorer: switches vs handovers vs re-acquisitions, memory, false tracks."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.metrics.continuity import ContinuityScorer
from dronewall.metrics.origin import MIXED


def _run(scans: list[tuple[float, list[int], list[float], list[int], list[float]]],
         n: int = 2, other: dict[float, list[float]] | None = None) -> ContinuityScorer:
    s = ContinuityScorer(n)
    for t, ti, tx, ki, kx in scans:
        o = (other or {}).get(t)
        s.scan(t, ti, np.c_[tx, np.zeros(len(tx))], ki, np.c_[kx, np.zeros(len(kx))],
               None if o is None else np.c_[o, np.zeros(len(o))])
    return s


def test_steady_track_has_no_change_and_full_completeness() -> None:
    s = _run([(float(t), [0], [10.0 * t], [7], [10.0 * t + 50]) for t in range(20)], n=1)
    r = s.summary()
    assert (r["identity_switches"], r["handovers"], r["reacquisitions"]) == (0, 0, 0)
    assert r["completeness"] == 1.0
    assert r["fragments_per_truth_mean"] == 1.0
    assert r["confirm_latency_median_s"] == 0.0


def test_memory_keeps_the_old_track_when_a_closer_one_appears() -> None:
    # track 1 follows truth 0 at 300 m; from t=5 a second track sits 10 m from the truth:
    # CLEAR-MOT keeps the existing correspondence (no switch); the newcomer is a duplicate
    scans = [(float(t), [0], [0.0], [1], [300.0]) for t in range(5)]
    scans += [(float(t), [0], [0.0], [1, 2], [300.0, 10.0]) for t in range(5, 10)]
    r = _run(scans, n=1).summary()
    assert r["identity_switches"] == 0
    assert r["duplicate_track_steps_per_scan"] == 0.5


def test_swap_while_old_track_alive_is_a_switch() -> None:
    # track 1 drifts away (still reported, 5 km off); track 2 takes over the truth
    scans = [(0.0, [0], [0.0], [1], [0.0]), (1.0, [0], [0.0], [1, 2], [5000.0, 5.0])]
    r = _run(scans, n=1).summary()
    assert r["identity_switches"] == 1 and r["handovers"] == 0
    assert r["identity_switches_after_gap"] == 0
    # the same after the truth went unmatched for 60 s: a switch after a gap
    scans = [(0.0, [0], [0.0], [1], [0.0]), (61.0, [0], [0.0], [1, 2], [5000.0, 5.0])]
    s = _run(scans, n=1)
    r = s.summary()
    assert r["identity_switches"] == 1 and r["identity_switches_after_gap"] == 1
    assert s.by_group([0], ["drone"])["drone"]["identity_switches_after_gap"] == 1


def test_restart_after_short_gap_is_a_handover_long_gap_a_reacquisition() -> None:
    scans = [(0.0, [0, 1], [0.0, 1e5], [1, 3], [0.0, 1e5]),
             (10.0, [0, 1], [0.0, 1e5], [], []),                 # both lost
             (20.0, [0], [0.0], [2], [0.0]),                      # truth 0: 20 s gap
             (100.0, [1], [1e5], [4], [1e5])]                     # truth 1: 100 s gap
    r = _run(scans).summary()
    assert (r["identity_switches"], r["handovers"], r["reacquisitions"]) == (0, 1, 1)
    assert r["fragments_per_truth_mean"] == 2.0


def test_a_track_that_comes_back_on_another_platform_is_a_wrong_rejoin() -> None:
    # two platforms 5 km apart. Track 1 follows truth 0 until t=9, is not reported for 60 s,
    # and comes back at t=70 on truth 1: a wrong re-join (a stitch or re-acquisition onto
    # the neighbour). Track 2 follows truth 1, slides onto truth 0 at t=75 after a 2 s
    # gap: a change of platform, not a re-join.
    scans = [(float(t), [0, 1], [0.0, 5000.0], [1], [0.0]) for t in range(10)]
    scans += [(float(t), [0, 1], [0.0, 5000.0], [2], [5000.0]) for t in range(10, 70)]
    scans += [(70.0, [0, 1], [0.0, 5000.0], [1, 2], [5000.0, 5100.0])]
    scans += [(float(t), [0, 1], [0.0, 5000.0], [1], [5000.0]) for t in range(71, 73)]
    scans += [(float(t), [0, 1], [0.0, 5000.0], [1, 2], [5000.0, 0.0]) for t in range(75, 80)]
    r = _run(scans).summary()
    assert r["track_rejoins"] == 1 and r["track_rejoins_wrong"] == 1
    assert r["track_platform_changes"] == 1
    # the same track coming back on its own platform is a right re-join
    ok = [(float(t), [0], [0.0], [1], [0.0]) for t in range(10)]
    ok += [(float(t), [0], [0.0], [1], [0.0]) for t in range(70, 75)]
    r = _run(ok, n=1).summary()
    assert (r["track_rejoins"], r["track_rejoins_wrong"], r["track_platform_changes"]) == (1, 0, 0)


def test_false_tracks_only_far_from_every_platform() -> None:
    # track 9 is 300 m from a platform that is not scored now (unscored), track 8 is far
    scans = [(0.0, [0], [0.0], [1, 8, 9], [0.0, 50_000.0, 20_300.0])]
    r = _run(scans, n=2, other={0.0: [20_000.0]}).summary()
    assert r["false_track_steps_per_scan"] == 1.0
    assert r["unscored_track_steps_per_scan"] == 1.0
    assert r["duplicate_track_steps_per_scan"] == 0.0


def test_latency_from_fixable_time() -> None:
    scans = [(float(t), [0], [0.0], [1] if t >= 7 else [], [0.0] if t >= 7 else [])
             for t in range(10)]
    s = _run(scans, n=1)
    assert s.summary()["confirm_latency_median_s"] == 7.0
    assert s.summary(fixable_time=np.array([4.0]))["confirm_latency_median_s"] == 3.0


def test_a_truth_cannot_take_back_by_memory_a_track_that_has_since_followed_another() -> None:
    # truth 0 is matched with track 1, then goes unscored while track 1 follows truth 1 (200 m
    # away). When both are scored again, track 1 stays with truth 1 -- the correspondence of
    # truth 0 ended when its track was matched with truth 1 -- and truth 0 takes track 2.
    # (Before, the older claim of truth 0 won and truth 1 was counted a switch, again at every
    # such return, while track 1 never left it.)
    scans = [(0.0, [0], [0.0], [1], [0.0]),
             (1.0, [1], [200.0], [1], [200.0]),
             (2.0, [0, 1], [0.0, 200.0], [1, 2], [200.0, 0.0])]
    s = _run(scans)
    mt, mk = s.scan(3.0, [0, 1], np.c_[[0.0, 200.0], [0.0, 0.0]], [1, 2],
                    np.c_[[200.0, 0.0], [0.0, 0.0]])
    assert dict(zip(mt.tolist(), mk.tolist(), strict=True)) == {0: 2, 1: 1}
    assert s.switches_by_truth.tolist() == [1, 0]     # truth 0's track changed, truth 1's not


def test_a_track_on_a_platform_not_scored_now_is_not_handed_to_its_neighbour() -> None:
    # Two platforms 950 m apart, tracks 1 (on truth 0) and 2 (on truth 1). Truth 1 goes
    # unscored for a while (no sensor saw it in the scoring window) and track 1 ends; truth 0
    # is free. Track 2 sits 10 m from truth 1 and 940 m from truth 0 -- within the match
    # radius of both. It stays truth 1's: truth 0 is unmatched meanwhile, and when truth 1 is
    # scored again nothing has changed (flagship seed 1: gerbera-16 took gerbera-24's track
    # that way, and two phantom switches followed 400 s later when the pair drew apart).
    scans = [(0.0, [0, 1], [0.0, 950.0], [1, 2], [0.0, 940.0]),
             (1.0, [0], [0.0], [2], [940.0]),
             (2.0, [0, 1], [0.0, 950.0], [2, 3], [940.0, 10.0]),
             (3.0, [0, 1], [0.0, 1200.0], [2, 3], [1190.0, 10.0])]
    s = _run(scans, other={1.0: [950.0]})
    r = s.summary()
    assert r["identity_switches"] == 0
    assert s.prev_track.tolist() == [3, 2]
    # the same without the unscored platform's position: truth 0 takes track 2 at t = 1, and
    # the wrong correspondence ends in switches (control: the position is what prevents it)
    r = _run(scans).summary()
    assert r["identity_switches"] >= 1


def test_figures_by_group_say_where_fragments_and_switches_come_from() -> None:
    # truth 0 (group "drone") keeps one track; truth 1 (group "bird") is tracked by three in
    # turn with long gaps; truth 2 (group "bird") is never matched; group "aircraft" is absent
    scans = [(0.0, [0, 1, 2], [0.0, 1e5, 5e5], [7, 1], [0.0, 1e5]),
             (50.0, [0, 1, 2], [0.0, 1e5, 5e5], [7, 2], [0.0, 1e5]),
             (100.0, [0, 1, 2], [0.0, 1e5, 5e5], [7, 3], [0.0, 1e5])]
    s = _run(scans, n=3)
    g = s.by_group([0, 1, 1], ["drone", "bird", "aircraft"])
    assert set(g) == {"drone", "bird"}
    assert g["drone"]["fragments_per_truth_mean"] == 1.0
    assert g["bird"]["fragments_per_truth_mean"] == 3.0
    assert g["bird"]["truths_scored"] == 2 and g["bird"]["truths_never_matched"] == 1
    assert g["bird"]["completeness"] == 0.5
    assert g["drone"]["identity_switches"] == 0

    with pytest.raises(ValueError, match="group has 2 entries for 3 truths"):
        s.by_group([0, 1], ["a", "b"])


@pytest.mark.parametrize(("sep_m", "close"), [(1500.0, 2), (5000.0, 0)])
def test_switches_between_closely_spaced_platforms_are_counted_apart(sep_m: float,
                                                                     close: int) -> None:
    # two platforms sep_m apart exchange their tracks: two switches; they are close-pair
    # switches only when the platforms are within close_pair_radius_m (2 km)
    scans = [(0.0, [0, 1], [0.0, sep_m], [1, 2], [0.0, sep_m]),
             (1.0, [0, 1], [0.0, sep_m], [1, 2], [sep_m, 0.0])]
    s = _run(scans)
    r = s.summary()
    assert r["identity_switches"] == 2
    assert r["identity_switches_close_pair"] == close
    # per group: each platform's own switch, close-pair or not
    g = s.by_group([0, 1], ["shahed", "gerbera"])
    assert [g[k]["identity_switches_close_pair"] for k in ("shahed", "gerbera")] == \
        [close // 2, close // 2]
    assert g["shahed"]["identity_switches_after_gap"] == 0


def test_latency_after_the_third_fix_is_the_trackers_own_delay() -> None:
    # truth 0 first matched at 10 s, its third fix at 8 s -> 2 s; truth 1 matched at 3 s,
    # before its third fix (confirmed on fewer plots) -> 0 s; truth 2 never had three fixes
    scans = []
    for t in range(12):
        ki = ([7] if t >= 10 else []) + ([8] if t >= 3 else [])
        kx = ([0.0] if t >= 10 else []) + ([1e5] if t >= 3 else [])
        scans.append((float(t), [0, 1, 2], [0.0, 1e5, 5e5], ki, kx))
    s = _run(scans, n=3)
    r = s.summary(third_fix_time=np.array([8.0, 6.0, np.nan]))
    assert r["truths_with_third_fix"] == 2
    assert r["confirm_latency_after_third_fix_median_s"] == 1.0   # median of 2 and 0
    assert r["confirm_latency_after_third_fix_p90_s"] == 1.8
    assert "confirm_latency_after_third_fix_median_s" not in s.summary()
    # the wait for the sensors' data: fixable at 5 s and 2 s, third fix at 8 s and 6 s
    r = s.summary(np.array([5.0, 2.0, 1.0]), np.array([8.0, 6.0, np.nan]))
    assert r["third_fix_after_fixable_median_s"] == 3.5
    assert r["third_fix_after_fixable_p90_s"] == 3.9
    assert "third_fix_after_fixable_median_s" not in s.summary(third_fix_time=np.array(
        [8.0, 6.0, np.nan]))
    g = s.by_group([0, 0, 1], ["a", "b"], np.array([5.0, 2.0, 1.0]), np.array([8.0, 6.0, np.nan]))
    assert g["a"]["third_fix_after_fixable_median_s"] == 3.5


def test_two_tracks_following_their_own_platforms_are_not_switched_by_estimate_error() -> None:
    # Two drones 900 m apart, each followed by its own track (the detections that update
    # track 1 come from truth 0, track 2's from truth 1), whose estimates wander by up to
    # 1,050 m -- cross-range error at long range. By distance alone the scorer loses truth 0
    # (track 1 beyond the radius), then truth 1, and re-pairs them crosswise: two phantom
    # switches that stay. With the detection origins each truth keeps the track that
    # follows it.
    tx = [0.0, 900.0]
    scans = [(float(t), [0, 1], tx, [1, 2], [100.0, 800.0]) for t in range(3)]
    scans += [(3.0, [0, 1], tx, [1, 2], [1050.0, 300.0]),
              (4.0, [0, 1], tx, [1, 2], [1050.0, -150.0])]
    scans += [(float(t), [0, 1], tx, [1, 2], [100.0, 800.0]) for t in range(5, 8)]
    s = _run(scans)
    assert s.summary()["identity_switches"] == 2           # control: distance alone
    assert s.prev_track.tolist() == [2, 1]
    s = ContinuityScorer(2)
    for t, ti, x, ki, kx in scans:
        s.scan(t, ti, np.c_[x, np.zeros(2)], ki, np.c_[kx, np.zeros(2)], track_origin=[0, 1])
    r = s.summary()
    assert r["identity_switches"] == 0 and r["handovers"] == 0
    assert s.prev_track.tolist() == [1, 2]


def test_a_track_whose_detections_come_from_another_platform_is_not_kept_by_memory() -> None:
    # truth 0 is matched with track 1; track 1 then takes truth 1's detections (a real swap)
    # while still within the radius of truth 0: the correspondence ends (truth 0 is unmatched
    # and track 1 is truth 1's), though distance alone would have kept it
    s = ContinuityScorer(2)
    s.scan(0.0, [0], [[0.0, 0.0]], [1], [[0.0, 0.0]], track_origin=[0])
    mt, mk = s.scan(1.0, [0, 1], [[0.0, 0.0], [900.0, 0.0]], [1], [[400.0, 0.0]],
                    track_origin=[1])
    assert dict(zip(mt.tolist(), mk.tolist(), strict=True)) == {1: 1}
    # an unknown origin (-1: too few true detections) leaves the distance rules alone
    s = ContinuityScorer(2)
    s.scan(0.0, [0], [[0.0, 0.0]], [1], [[0.0, 0.0]], track_origin=[0])
    mt, mk = s.scan(1.0, [0, 1], [[0.0, 0.0], [900.0, 0.0]], [1], [[400.0, 0.0]],
                    track_origin=[-1])
    assert dict(zip(mt.tolist(), mk.tolist(), strict=True)) == {0: 1}


def test_a_track_following_an_unscored_platform_is_not_given_to_a_scored_one() -> None:
    # track 1 follows truth 1 (not scored this scan: no recent detection) and sits 300 m from
    # scored truth 0: with the unscored truth's id it stays unmatched (unscored, not a match)
    s = ContinuityScorer(2)
    mt, _ = s.scan(0.0, [0], [[0.0, 0.0]], [1], [[300.0, 0.0]], [[900.0, 0.0]],
                   track_origin=[1], other_ids=[1])
    assert mt.size == 0
    assert s.summary()["unscored_track_steps_per_scan"] == 1.0


def test_a_track_built_from_a_platforms_detections_follows_it_up_to_the_origin_radius() -> None:
    # 1.5 km off (a far radar's cross-range error) a track fed by the platform's detections
    # is still its track; one of unknown origin is not, nor one 2.5 km off (a track coasting
    # long after the platform's last detection)
    for origin, x, matched in [(0, 1500.0, True), (-1, 1500.0, False), (0, 2500.0, False)]:
        s = ContinuityScorer(1)
        mt, mk = s.scan(0.0, [0], [[0.0, 0.0]], [1], [[x, 0.0]], track_origin=[origin])
        assert (mt.size == 1) is matched, (origin, x)
    # and the memory holds it there too: matched at 100 m, then its estimate strays 1.8 km
    s = ContinuityScorer(1)
    s.scan(0.0, [0], [[0.0, 0.0]], [1], [[100.0, 0.0]], track_origin=[0])
    s.scan(1.0, [0], [[0.0, 0.0]], [1, 2], [[1800.0, 0.0], [900.0, 0.0]], track_origin=[0, -1])
    assert s.summary()["identity_switches"] == 0 and s.prev_track.tolist() == [1]


def test_switches_are_broken_down_by_what_fed_the_old_track() -> None:
    # matched by distance (the acceptance scoring), the origins only say what fed the old
    # track at each switch: the track drifts 5 km off (fed by the platform, by a mix of two,
    # by another platform, by too few true detections) and a new one takes the platform over
    for origin, kind in [(0, "own"), (MIXED, "mixed"), (1, "other"), (-1, "unknown")]:
        s = ContinuityScorer(2, match_by_origin=False)
        s.scan(0.0, [0], [[0.0, 0.0]], [1], [[0.0, 0.0]], track_origin=[origin])
        s.scan(1.0, [0], [[0.0, 0.0]], [1, 2], [[5000.0, 0.0], [5.0, 0.0]],
               track_origin=[origin, -1])
        r = s.summary()
        assert r["identity_switches"] == 1
        assert r[f"identity_switches_old_track_{kind}"] == 1
        assert sum(r[f"identity_switches_old_track_{k}"]
                   for k in ("own", "other", "mixed", "unknown")) == 1
    # a track fed by another platform is still matched by distance here (origins not used)
    s = ContinuityScorer(2, match_by_origin=False)
    mt, _ = s.scan(0.0, [0], [[0.0, 0.0]], [1], [[100.0, 0.0]], track_origin=[1])
    assert mt.tolist() == [0]
    # without origins there is no breakdown
    assert "identity_switches_old_track_own" not in ContinuityScorer(1).summary()


def test_origins_of_the_wrong_length_are_refused() -> None:
    s = ContinuityScorer(2)
    with pytest.raises(ValueError, match="track_origin"):
        s.scan(0.0, [0], [[0.0, 0.0]], [1, 2], [[0.0, 0.0], [5.0, 0.0]], track_origin=[0])
    with pytest.raises(ValueError, match="other_ids"):
        s.scan(0.0, [0], [[0.0, 0.0]], [1], [[0.0, 0.0]], [[900.0, 0.0]], track_origin=[0],
               other_ids=[1, 2])
