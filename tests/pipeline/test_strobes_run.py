"""Lines of bearing in a simulated run (``pipeline/strobes.py``): a quadcopter that only one RF
finder hears gets no track (one bearing line does not locate it) but is on the operator's
display as an unlocated strobe, and the run's record and summary say so."""

from __future__ import annotations

import json

from dronewall.pipeline.simulate import run_simulation
from dronewall.scenario import parse_scenario

SCENARIO = """\
name: one-finder
seed: 3
time: {start: "2026-01-01T00:00:00Z", duration_s: 300, step_s: 1}
origin: {lat_deg: 51.45, lon_deg: 23.40}
sensors:
  - {type: radar, id: r1, position: [51.45, 23.10], height_m: 20, range_ref_m: 20000,
     rcs_ref_m2: 1.0, max_range_m: 60000, scan_period_s: 2.0}
  - {type: rf, id: rf1, position: [51.45, 23.40], height_m: 15}
traffic:
  birds:
    - {id: flocks, count: 4, area: {center: [51.40, 23.30], radius_m: 3000}}
  multirotors:
    - {id: quad, platform: dji_multirotor, home: [51.50, 23.45], radius_m: 300,
       pattern: patrol, window_s: [0, 300], altitude_m: 100}
"""


def test_a_quadcopter_one_finder_hears_is_an_unlocated_strobe_not_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_simulation(parse_scenario(SCENARIO), tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    mr = summary["strobes"]["by_class"]["multirotor"]
    # no track locates it, but the operator sees its line of bearing nearly all the time
    assert mr["share_tracked"] < 0.05
    assert mr["share_strobe_only"] > 0.9 and mr["share_seen"] > 0.9
    assert summary["strobes"]["strobes_shown_false"] == 0
    lines = [json.loads(x) for x in (tmp_path / "strobes.jsonl").read_text().splitlines()]
    quad = [r for r in lines if r["truth_platform"].startswith("quad")]
    assert quad and all(r["signature"] == "rf:dji_ocusync" and r["sensor"] == "rf1"
                        and r["what"] == "DJI OcuSync link" for r in quad)
    # one strobe holds it for most of the run, on its true bearing (the quad is NE of rf1)
    longest = max(quad, key=lambda r: r["t_last_s"] - r["t_first_s"])
    assert longest["t_last_s"] - longest["t_first_s"] > 200
    assert 20.0 < longest["bearing_deg"] < 50.0
    assert longest["on_track_share"] < 0.05 and longest["truth_share"] > 0.95
    assert longest["time_first"].startswith("2026-01-01T00:0")
    # and no track was ever taken for it
    assert not any(r["tracks"] for r in quad)


def test_only_an_unlocated_line_shows_a_platform_no_track_follows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A strobe a track explains is that track's (faint or not drawn): it does not put the
    platform whose bearings fed it on the display; an unlocated one does."""
    import numpy as np

    from dronewall.chain.records import StepRecord
    from dronewall.chain.strobes import KIND_RF, Strobes
    from dronewall.detections import DetectionBatch, MeasKind, SensorKind, SensorTable
    from dronewall.pipeline.strobes import StrobeRecorder

    table = SensorTable.build(["rf1"], [SensorKind.RF], [51.0], [23.0], [10.0])
    det = DetectionBatch.create(t=[5.0], sensor=np.array([0], np.int32),
                                meas_kind=MeasKind.BEARING, z=[[0.5]], R=np.full((1, 1, 1), 1e-3),
                                rf_protocol=[0], truth_id=[1])
    share = {}
    for on in (7, -1):
        rec = StrobeRecorder(tmp_path, table, __import__("datetime").datetime(2026, 1, 1),
                             2, np.array(["a", "quad"], object), np.array([4, 4]),
                             ["c0", "c1", "c2", "c3", "multirotor", "c5", "c6"])
        s = Strobes(t=5.0, id=np.array([1]), sensor=np.array([0]),
                    kind=np.array([KIND_RF], np.int8), code=np.array([0]),
                    bearing_deg=np.array([28.6]), sd_deg=np.array([2.0]),
                    t_first_s=np.array([0.0]), t_last_s=np.array([5.0]), n=np.array([6]),
                    shown=np.array([True]), on_track=np.array([on]),
                    reach_m=np.array([10_000.0]), det_strobe=np.array([1]))
        rec.observe(5.0, det, StepRecord(t=5.0, detections=det, strobes=s),
                    np.zeros(0, np.int64))
        share[on] = rec.finish()[0]["by_class"]["multirotor"]["share_strobe_only"]
    assert share == {7: 0.0, -1: 1.0}
