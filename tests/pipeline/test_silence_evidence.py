"""Silence as class evidence end to end: bird flocks inside a dense acoustic belt, seen by a
radar without micro-Doppler, are called engine-driven UAVs far less often when the classifier
knows what the nodes would have heard; Shaheds crossing the belt, heard, are unaffected."""

from __future__ import annotations

import numpy as np
from track_rows import flock_rows_with_and_without

ENGINE = ("attack_drone", "decoy", "recon_uav")

BELT = """\
name: silent-belt
seed: SEED
time: {start: "2026-01-01T00:00:00Z", duration_s: 400, step_s: 1}
origin: {lat_deg: 51.45, lon_deg: 23.40}
sensors:
  - {type: radar, id: r1, position: [51.45, 23.10], height_m: 20, range_ref_m: 35000,
     rcs_ref_m2: 1.0, max_range_m: 60000, scan_period_s: 2.0}
  - type: acoustic_grid
    id: belt
    area: {polygon: [[51.55, 23.25], [51.55, 23.55], [51.35, 23.55], [51.35, 23.25]]}
    spacing_m: 3000
    environment: rural
traffic:
  birds:
    - {id: flocks, count: 8, area: {center: [51.45, 23.40], radius_m: 6000}}
  raids:
    - {id: shahed, platform: shahed136, count: 3, window_s: [0, 60], spacing_s: 20,
       launch: {center: [51.45, 23.75], radius_m: 2000},
       target: {center: [51.45, 23.00], radius_m: 2000}}
"""


def test_silence_makes_flocks_birds_and_leaves_heard_drones_alone(tmp_path, monkeypatch) -> None:
    # two seeds pooled: how often a flock looks like a slow UAV depends on the flocks' paths
    # (since lost tracks are predicted by their own models, seed 4's flocks were almost never
    # called one: 0.2 % of rows without the hearing model); per row, whether it is classed as
    # an engine-driven UAV (attack drone, decoy, recon UAV): rows following a flock (nearest
    # truth within 1 km), rows following a Shahed
    got = flock_rows_with_and_without(tmp_path, monkeypatch, BELT, "acoustic_network",
                                      (100, 100))
    rows = {case: tuple(np.isin(r, ENGINE) for r in v) for case, v in got.items()}
    flock_with, shahed_with = (float(np.mean(r)) for r in rows["with"])
    flock_without, shahed_without = (float(np.mean(r)) for r in rows["without"])
    # without the hearing model a few % of flock rows are called an engine-driven UAV (speed,
    # size and a noisy height fit a slow reconnaissance UAV); silence removes most of them
    assert flock_without >= 0.02, flock_without
    assert flock_with <= 0.3 * flock_without, (flock_with, flock_without)
    # the Shaheds are heard crossing the belt: still engine-driven on every row
    assert shahed_with >= 0.95 and shahed_without >= 0.95, (shahed_with, shahed_without)
