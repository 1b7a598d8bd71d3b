"""The chain's airspace stage times a crossing from the tracker's covariance, not from a
per-axis sigma: a radar that sees the target cross a border head-on (its precise range across
the border) gives a tight window, one that sees the crossing from the side (its coarse
azimuth across the border) a wide one -- and the entry point's uncertainty the other way
round (``airspace.crossing``; the covariance is passed by ``chain.stages.AirspaceStage``).
The entry and exit events the operator is alerted with state the same windows at once."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from trk_helpers import FRAME, radar_z, sensors_at

from dronewall.airspace import AirspaceConfig, ZoneSet
from dronewall.airspace.events import AirspaceEvent, Entry, Exit, Violation
from dronewall.chain.records import StepRecord
from dronewall.chain.stages import AirspaceStage, TrackingStage
from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind
from dronewall.tracking import TrackerConfig

R = np.diag([15.0 ** 2, np.radians(0.5) ** 2, np.radians(1.0) ** 2])


def _zone() -> ZoneSet:
    """A sovereign strip between frame x = 20 and 30 km, y = -80 .. +80 km: its west and east
    edges run north-south."""
    corners = np.array([[20e3, -80e3, 0.0], [30e3, -80e3, 0.0], [30e3, 80e3, 0.0],
                        [20e3, 80e3, 0.0]])
    lat, lon, _ = FRAME.local_to_geodetic(corners)
    return ZoneSet.from_specs([{"id": "Z", "kind": "sovereign", "country": "POL",
                                "area": {"polygon": [[float(a), float(o)]
                                                     for a, o in zip(lat, lon, strict=True)]}}])


def _visit(y0_m: float) -> tuple[Violation, Entry, Exit]:
    """One radar at the frame origin; a target at y = ``y0_m`` flying east at 40 m/s from
    x = 10 km through the strip, one plot a second; the visit's violation record and the
    entry and exit events of the step they were declared in."""
    st = sensors_at(np.array([[0.0, 0.0, 10.0]]), [SensorKind.RADAR])
    track = TrackingStage(TrackerConfig(dims=3), FRAME, st)
    air = AirspaceStage(_zone(), AirspaceConfig(epoch=datetime(2026, 3, 1, tzinfo=UTC)), FRAME)
    v = np.array([40.0, 0.0, 0.0])
    out: list[AirspaceEvent] = []
    for k in range(560):
        p = np.array([10e3, y0_m, 300.0]) + v * k
        det = DetectionBatch.create(t=[float(k)], sensor=[0], meas_kind=[int(MeasKind.RADAR)],
                                    z=radar_z(st, 0, p, v)[None, :3], R=R[None])
        rec = air.step(track.step(StepRecord(t=float(k), detections=det)))
        out += [e for e in rec.events if isinstance(e, Violation | Entry | Exit)]
    assert [e.kind for e in out] == ["entry", "exit", "violation"]
    assert out[2].end_reason == "exit"
    return out[2], out[0], out[1]    # type: ignore[return-value]


def test_the_window_follows_the_error_across_the_border() -> None:
    head_on, entry, exit_ = _visit(0.0)   # the radar looks east, along the flight: range across
    side = _visit(40e3)[0]       # the radar looks ~north: azimuth error across the border
    # the operator's entry and exit alerts said the same while the visit was going on
    assert entry.declared_t_s < exit_.declared_t_s
    assert entry.evidence == "observed_crossing"
    assert entry.window_t_s == head_on.entry_window_t_s
    assert entry.point_95_m == head_on.entry_point_95_m
    assert exit_.window_t_s == head_on.exit_window_t_s
    assert entry.to_dict()["window_utc"] == head_on.entry_window_utc
    for v in (head_on, side):
        assert v.evidence == "observed_crossing" and v.exit_window_t_s is not None
    width = {n: (v.entry_window_t_s[1] - v.entry_window_t_s[0] - 1.0,
                 v.exit_window_t_s[1] - v.exit_window_t_s[0] - 1.0)
             for n, v in (("head_on", head_on), ("side", side))}
    # beyond the 1 s scan: the kinematic part of the 95 % windows
    assert width["side"][0] > 4.0 * width["head_on"][0] + 0.3
    assert width["side"][1] > 4.0 * width["head_on"][1] + 0.3
    # along the border it is the other way round: the head-on radar's azimuth error lies there
    # (both tracks filtered 250 plots by then, so the difference is smaller)
    assert head_on.entry_point_95_m > side.entry_point_95_m
    lo, hi = head_on.duration_bounds_s
    assert lo < head_on.duration_s < hi
