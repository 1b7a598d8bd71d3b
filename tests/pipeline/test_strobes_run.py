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
