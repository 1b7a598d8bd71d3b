"""The operator is told when a sensor goes down and comes back (``server.alerts.sensor_alerts``
fed by the chain's sensor health), and the event is recorded with the session."""

from __future__ import annotations

import numpy as np

from dronewall.detections import SensorKind, SensorTable

SCENARIO = """\
name: outage
seed: 1
time: {start: "2026-01-01T00:00:00Z", duration_s: 80, step_s: 1}
origin: {lat_deg: 51.50, lon_deg: 23.05}
sensors:
  - {type: radar, id: r1, position: [51.50, 23.05], height_m: 20}
  - {type: acoustic_grid, id: belt, spacing_m: 2000, area: {center: [51.52, 23.10], radius_m: 2500}}
  - {type: adsb, id: a1, position: [51.50, 23.00]}
outages:
  - {sensor: r1, window_s: [5, 60]}
  - {sensor: belt, window_s: [10, 80], announced: true}
"""


def test_sensor_alerts_group_grid_nodes_and_rank_radars_high() -> None:
    from dronewall.server.alerts import sensor_alerts

    t = SensorTable.build(["r1", "g-0", "g-1", "g-2", "rf1"],
                          [SensorKind.RADAR, SensorKind.ACOUSTIC, SensorKind.ACOUSTIC,
                           SensorKind.ACOUSTIC, SensorKind.RF], [51.5] * 5, [23.0] * 5, [0.0] * 5)
    ch = [(0, 40.0, False, "no status or report for 30 s"), (1, 40.0, False, "stopped (status)"),
          (2, 40.0, False, "stopped (status)"), (4, 40.0, True, "status or report")]
    got = {a["zone_id"]: a for a in sensor_alerts(ch, t, {"g"}, 40.0, "00:00:40Z", 7)}
    assert set(got) == {"r1", "g", "rf1"}
    assert got["r1"]["severity"] == "high" and "not read as evidence" in got["r1"]["text"]
    assert got["g"]["severity"] == "medium" and "2 of 3 nodes down now" in got["g"]["text"]
    now = np.array([True, False, False, False, True])         # the third node went down before
    (g,) = [a for a in sensor_alerts(ch, t, {"g"}, 40.0, "00:00:40Z", 7, now)
            if a["zone_id"] == "g"]
    assert "3 of 3 nodes down now, 2 went down at this step" in g["text"]
    assert got["rf1"]["severity"] == "info" and "back" in got["rf1"]["text"]
    assert all(a["kind"] == "sensor" and a["track_id"] is None for a in got.values())


def test_the_live_picture_alerts_and_records_a_sensor_going_down(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dronewall.scenario import parse_scenario
    from dronewall.server.live import ScenarioSource, build_live_chain
    from dronewall.server.picture import StepView

    live = build_live_chain(parse_scenario(SCENARIO), None, 1, None, tmp_path,  # type: ignore[arg-type]
                            engage=False)
    view = StepView(live, 5.0)
    src = ScenarioSource(live)
    alerts, events, seq = [], [], 0
    down_at_40 = None
    while (item := src.next()) is not None:
        t, batch = item
        assert live.status is not None
        rec = live.chain.step(t, batch, live.status(t))
        seq += 1
        rows, delta = view.step(rec, seq, [])
        alerts += delta["alerts"]
        events += rows.events
        if t == 40.0:
            down_at_40 = {x["id"]: x["listening"] for x in view.sensor_health(t)}
    by = [(a["zone_id"], a["severity"], round(a["t_s"])) for a in alerts if a["kind"] == "sensor"]
    # the announced belt outage at once (10 s), the silent radar failure within 30 s of its
    # last status (5-35 s), the radar back at 60 s
    assert ("belt", "medium", 10) in by, by
    r1 = [x for x in by if x[0] == "r1"]
    assert len(r1) == 2 and r1[0][1] == "high" and 25 <= r1[0][2] <= 36, r1
    assert r1[1][1] == "info" and r1[1][2] == 60, r1
    assert down_at_40 is not None and down_at_40["r1"] is False and down_at_40["a1"] is True
    assert not any(v for k, v in down_at_40.items() if k.startswith("belt-"))
    ev = [e for e in events if e["kind"] == "sensor"]
    assert len(ev) == len(by) and all(e["track_id"] == -1 for e in ev)
    assert np.isfinite([a["t_s"] for a in alerts]).all()
