"""Tracker options of a scenario (the ``tracking:`` section; ``docs/scenarios.md``): switches
for tracker behaviours measured on the shipped scenarios; the rest of the tracker's settings
follow from the sensors (``pipeline.tracking.tracker_config_for``)."""

from __future__ import annotations

from pydantic import Field

from dronewall.scenario.base import Strict


class TrackingSpec(Strict):
    """Tracker options of a scenario (``docs/tracking.md``); the rest follows from the sensors."""

    track_score: bool = Field(
        default=True,
        description="confirm radar tracks on a sequential track score (likelihood ratio of "
                    "target vs the radars' false-alarm density) as well as by M-of-N, and ask "
                    "M-of-N pairs of radar plots for a minimum score: long-range, low-Pd targets "
                    "confirm on consistent plots, pairs of false alarms do not; false: M-of-N "
                    "alone. Measured in docs/benchmarks.md s.6")
    acoustic_level_gate: bool = Field(
        default=False,
        description="drop a track as a candidate for an acoustic bearing when the bearing's "
                    "received level would make the track too loud or too quiet for the "
                    "signature class the node heard (catalogue source levels +- 15 dB): an "
                    "airliner's bearing is no flock's near the node. Off by default: on the "
                    "shipped scenarios it did not improve continuity (docs/benchmarks.md s.6, "
                    "'An acoustic bearing's loudness in the association')")
    ground_floor_m: float | None = Field(
        default=None, ge=-500.0, le=5000.0,
        description="WGS84 ellipsoidal height (m) below which no target can be: a track "
                    "state below it is projected onto it (docs/tracking.md, 'Nothing below "
                    "the ground'); 0 m lies below the lowest land of the EU and NATO's "
                    "eastern flank (-7 m MSL, where the geoid is some +40 m). Off (null) by "
                    "default: on "
                    "the flagship raid it removed the underground heights but moved "
                    "continuity both ways (docs/benchmarks.md s.6, 'Nothing below the "
                    "ground')")
    slow_coast: bool = Field(
        default=False,
        description="coast a confirmed track slower than 25 m/s (a bird, a hovering or "
                    "loitering multirotor) for at least max(10 s, 3 scans of the slowest "
                    "sensor) instead of max(4 s, 2 scans): its estimate runs off slowly, so "
                    "it is drawn through a few missed scans. Off by default: on the shipped "
                    "scenarios it moved ids and false tracks both ways (docs/benchmarks.md "
                    "s.6, 'A longer coast for slow targets')")
