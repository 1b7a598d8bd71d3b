"""The pilot's link through the whole chain (``simulate``): a DJI quadcopter flown near Lublin,
~100 km inside Poland, whose link an RF finder hears, is recorded as flown from inside; one
flown by the Bug, ~6 km from the border, may have been flown from Belarus or Ukraine."""

from __future__ import annotations

import json

from dronewall.pipeline.simulate import run_simulation
from dronewall.scenario import parse_scenario

SITE = """\
name: pilot-link-site
seed: 5
time: {{start: "2026-02-01T18:00:00Z", duration_s: 240, step_s: 1}}
origin: {{lat_deg: {lat}, lon_deg: {lon}}}
zones:
  - {{builtin: sovereign-maritime, only: [POL]}}
sensors:
  - {{type: radar, id: r1, position: [{lat}, {lon}], height_m: 20, scan_period_s: 1,
     rcs_ref_m2: 0.01, range_ref_m: 8000, max_range_m: 15000}}
  - {{type: rf, id: rf1, position: [{lat}, {lon}], height_m: 15}}
traffic:
  multirotors:
    - {{id: quad, platform: dji_multirotor, home: [{qlat}, {qlon}], radius_m: 500,
       pattern: patrol, window_s: [0, 240], altitude_m: 100}}
"""


def _pol_link(tmp_path, name: str, lat: float, lon: float) -> dict | None:  # type: ignore[no-untyped-def]
    sc = parse_scenario(SITE.format(lat=lat, lon=lon, qlat=lat + 0.01, qlon=lon + 0.01))
    run_simulation(sc, tmp_path / name, track=True, engage=False)
    recs = [json.loads(x) for x in (tmp_path / name / "episodes.jsonl").read_text().splitlines()]
    pol = [r for r in recs if r["zone_id"] == "POL" and r.get("pilot_link")]
    assert len(pol) == 1, [(r["zone_id"], r.get("pilot_link")) for r in recs]
    return pol[0]


def test_a_quadcopter_deep_inside_was_flown_from_inside_and_one_by_the_border_may_not(
        tmp_path) -> None:  # type: ignore[no-untyped-def]
    deep = _pol_link(tmp_path, "lublin", 51.25, 22.57)
    link = deep["pilot_link"]
    assert link["protocol"] == "DJI OcuSync link" and link["pilot_inside"] is True
    assert link["least_depth_m"] > 60_000 and link["reports"] >= 3
    assert any(r.startswith("flown from inside Poland: its DJI OcuSync link")
               for r in deep["confidence_reasons"])
    border = _pol_link(tmp_path, "bug", 51.49, 23.49)
    assert border["pilot_link"]["pilot_inside"] is False
    assert border["pilot_link"]["least_depth_m"] < 15_000
    assert not any(r.startswith("flown from inside") for r in border["confidence_reasons"])
