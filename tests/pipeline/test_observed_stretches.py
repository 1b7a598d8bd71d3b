"""The part of a true violation episode the sensors observed (pipeline.airspace scoring)."""

from __future__ import annotations

import numpy as np

from dronewall.airspace.events import Violation
from dronewall.pipeline.airspace import AirspaceRecorder, ObservedStretches


def _violation(pid: object, t0: float, t1: float, zone: str = "POL") -> Violation:
    """A violation episode of ``pid`` in ``zone`` from t0 to t1 s (the other fields filler)."""
    return Violation(track_id=pid, zone_id=zone, zone_kind="sovereign", zone_name=zone,
                     country="POL", time="", t_s=t1, from_country="", entry_time="",
                     exit_time="", entry_t_s=t0, exit_t_s=t1, entry_point=[None, None],
                     exit_point=[None, None], entry_interpolated=True,
                     exit_interpolated=True, duration_s=t1 - t0, max_depth_m=10.0,
                     max_depth_point=[None, None], sigma_at_max_depth_m=1.0,
                     path_length_m=1.0, min_alt_m=0.0, max_alt_m=0.0, max_speed_mps=1.0,
                     p_inside=1.0, p_episode=1.0, confidence="confirmed", ongoing=False,
                     end_reason="exit", n_scans=1)


def _recorder(pids: list[str], truth: list[Violation]) -> AirspaceRecorder:
    """An AirspaceRecorder holding just what episode scoring reads."""
    rec = AirspaceRecorder.__new__(AirspaceRecorder)
    rec.pid = np.array(pids, dtype=object)
    rec.platform_cls = None
    rec.heard = np.zeros(len(pids), bool)
    rec.observed = ObservedStretches(len(pids))
    rec.ev_tracks = []
    rec.ev_truth = truth
    return rec


def test_an_episode_flown_on_beyond_coverage_is_observed_only_to_the_last_detection() -> None:
    obs = ObservedStretches(3, bridge_s=60.0)
    for t in range(0, 1001):
        ids = [0]                              # platform 0: seen all the time
        if t <= 400:
            ids.append(1)                      # platform 1: seen until 400 s, then gone
        if t % 50 == 0:
            ids.append(2)                      # platform 2: a plot every 50 s (bridged)
        obs.add(float(t), np.array(ids + [-1, -2]))   # false / spoofed plots count for none
    assert obs.part(0, 100.0, 900.0) == (100.0, 900.0)
    # entered at 300 s, still inside at the end of the run; sensors saw it to 400 s
    assert obs.part(1, 300.0, 1000.0) == (300.0, 400.0)
    # the sparse plots of platform 2 form one stretch
    assert obs.part(2, 120.0, 880.0) == (120.0, 880.0)
    # never observed inside the episode
    assert obs.part(1, 500.0, 900.0) is None


def test_a_platform_seen_again_after_a_long_gap_is_observed_from_its_first_stretch() -> None:
    obs = ObservedStretches(1, bridge_s=60.0)
    for t in list(range(0, 101)) + list(range(500, 601)):
        obs.add(float(t), np.array([0]))
    # first detected inside at 500 s (the entry at 200 s was unseen)
    assert obs.part(0, 200.0, 700.0) == (500.0, 600.0)
    assert obs.part(0, 50.0, 700.0) == (50.0, 600.0)


def test_true_violations_of_one_visit_are_joined_for_scoring() -> None:
    from dronewall.pipeline.airspace import _join_visits

    def v(pid: str, zone: str, t0: float, t1: float) -> Violation:
        return _violation(pid, t0, t1, zone)

    joined = _join_visits([v("a", "POL", 3333, 3374), v("a", "POL", 3259, 3312),
                           v("a", "POL", 3466, 4000), v("b", "POL", 3380, 3390),
                           v("a", "EPRZ", 3380, 3390)])
    spans = sorted((str(x.track_id), x.zone_id, x.entry_t_s, x.exit_t_s) for x in joined)
    assert spans == [("a", "EPRZ", 3380, 3390), ("a", "POL", 3259, 3374),
                     ("a", "POL", 3466, 4000), ("b", "POL", 3380, 3390)]
    assert next(x for x in joined if x.entry_t_s == 3259).duration_s == 3374 - 3259


def test_a_missed_visit_inside_a_longer_report_is_told_apart() -> None:
    # platform a visits POL twice, 40 s apart by truth (two visits); its track's exit was
    # declared late, so the re-entry continued one reported episode (0-300 s): the second
    # visit is missed as an episode of its own but lies inside the report; platform b's
    # visit was not reported at all
    from dataclasses import replace

    v = _violation

    rec = _recorder(["a", "b"], [v("a", 0.0, 100.0), v("a", 140.0, 300.0),
                                 v("b", 500.0, 600.0)])
    report = replace(v(7, 1.0, 300.0), episode_id="E1", fragments=[7],
                     cooperative="non_cooperative")
    ep = rec._episode_summary([report], {7: 0}, None)
    assert (ep["matched"], ep["missed"], ep["unmatched"]) == (1, 2, 0)
    assert ep["missed_inside_reported"] == 1
    assert sorted(m[0] for m in ep["missed_episodes"]) == ["a", "b"]
    # a report that ends before the second visit does not cover it
    ep = rec._episode_summary([replace(report, exit_t_s=120.0)], {7: 0}, None)
    assert ep["missed_inside_reported"] == 0


def test_an_episode_is_matched_through_the_platform_its_track_followed_during_it() -> None:
    # track 7 followed platform a for most of its life and platform b (flying beside it) when
    # b crossed into POL: the report is b's visit -- matched through the platform the track
    # followed during the episode; through its life-long platform it was "unmatched" and b's
    # visit "missed"
    from dataclasses import replace

    v = _violation

    rec = _recorder(["a", "b"], [v("b", 500.0, 700.0)])
    report = replace(v(7, 502.0, 700.0), episode_id="E1", fragments=[7],
                     cooperative="non_cooperative")
    ep = rec._episode_summary([report], {7: 0}, None)
    assert (ep["matched"], ep["missed"], ep["unmatched"]) == (0, 1, 1)

    def during(track: int, t0: float, t1: float) -> int | None:
        assert (track, t0, t1) == (7, 501.0, 701.0)
        return 1

    ep = rec._episode_summary([report], {7: 0}, None, during)
    assert (ep["matched"], ep["missed"], ep["unmatched"]) == (1, 0, 0)
    # a track that followed none during the episode falls back on its life-long platform
    ep = rec._episode_summary([report], {7: 1}, None, lambda *_: None)
    assert ep["matched"] == 1


def test_the_truth_monitor_counts_a_flight_that_ends_just_inside(tmp_path) -> None:
    """A platform whose last position lies one scan, 15 m, past a zone's edge (a drone that
    struck its target there) has a true episode: the truth is exact, so the tracks' report of
    that strike is matched, not "unmatched" (layered seed 11)."""
    from types import SimpleNamespace

    from dronewall.airspace import ZoneSet
    from dronewall.scenario import load_scenario

    sc = load_scenario("scenarios/rzeszow-layered-defence.yaml")
    lat0, lon0 = 50.117, 22.040
    zs = ZoneSet.from_specs([{"id": "hub", "kind": "infrastructure",
                              "area": {"center": [lat0, lon0], "radius_m": 1500.0}}])
    rec = AirspaceRecorder(sc, zs, np.array(["shahed-0"], dtype=object),
                           np.array([""], dtype=object), tmp_path)
    m_deg = 1.0 / (111_320.0 * np.cos(np.radians(lat0)))
    none = SimpleNamespace(truth_id=np.zeros(0, np.int64), identity=np.zeros(0, str))
    for k, r in enumerate((1625.0, 1585.0, 1545.0, 1505.0, 1485.0)):   # m from the centre
        st = SimpleNamespace(active=np.array([True]), lat_deg=np.array([lat0]),
                             lon_deg=np.array([lon0 - r * m_deg]), alt_m=np.array([150.0]),
                             vel_enu=np.array([[40.0, 0.0, 0.0]]))
        rec.observe(st, SimpleNamespace(t=float(k), picture=None, detections=none, events=[]))
    gone = SimpleNamespace(active=np.array([False]), lat_deg=np.array([np.nan]),
                           lon_deg=np.array([np.nan]), alt_m=np.array([np.nan]),
                           vel_enu=np.zeros((1, 3)))
    rec.observe(gone, SimpleNamespace(t=5.0, picture=None, detections=none, events=[]))
    (v,) = [e for e in rec.ev_truth if isinstance(e, Violation)]
    assert v.track_id == "shahed-0" and v.zone_id == "hub" and v.end_reason == "track_lost"
    assert v.exit_t_s == 4.0 and 0.0 < v.duration_s < 1.0
