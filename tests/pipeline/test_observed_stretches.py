"""The part of a true violation episode the sensors observed (pipeline.airspace scoring)."""

from __future__ import annotations

import numpy as np

from dronewall.pipeline.airspace import ObservedStretches


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
