"""Strobes for the operator (``server/strobe_view.py``): client rows and the unlocated-link
alert."""

from __future__ import annotations

import math

import numpy as np

from dronewall.catalog.platforms import AcousticClass, RFProtocol
from dronewall.chain.strobes import KIND_ACOUSTIC, KIND_RF, Strobes
from dronewall.detections import SensorKind, SensorTable
from dronewall.server.strobe_view import MAX_STROBES_SENT, strobe_alerts, strobe_rows


def _table() -> SensorTable:
    return SensorTable.build(["rf-1", "node-1"], [SensorKind.RF, SensorKind.ACOUSTIC],
                             [51.0, 51.0], [23.0, 23.1], [10.0, 2.0])


def _strobes(n: int, on: list[int], kind: list[int], shown: list[bool] | None = None,
             brg: float = 90.0) -> Strobes:
    return Strobes(
        t=100.0, id=np.arange(1, n + 1, dtype=np.int64),
        sensor=np.array([0 if k == KIND_RF else 1 for k in kind], np.int64),
        kind=np.asarray(kind, np.int8),
        code=np.array([int(RFProtocol.DJI_OCUSYNC) if k == KIND_RF
                       else int(AcousticClass.PISTON_PROP) for k in kind], np.int64),
        bearing_deg=np.full(n, brg), sd_deg=np.full(n, 3.0), t_first_s=np.full(n, 40.0),
        t_last_s=np.full(n, 99.0), n=np.arange(n, dtype=np.int64) + 5,
        shown=np.asarray(shown if shown is not None else [True] * n),
        on_track=np.asarray(on, np.int64), reach_m=np.full(n, 10_000.0),
        det_strobe=np.zeros(0, np.int64))


def test_rows_put_unlocated_first_and_draw_the_line_to_the_reach() -> None:
    s = _strobes(3, [12, -1, -1], [KIND_RF, KIND_ACOUSTIC, KIND_RF], [True, True, True])
    rows = strobe_rows(s, _table(), 100.0)
    # unlocated RF, unlocated acoustic, then the one on a track
    assert [r["id"] for r in rows] == [3, 2, 1]
    r = rows[0]
    assert r["what"] == "DJI OcuSync link" and r["sensor"] == "rf-1" and r["on_track"] is None
    assert r["since_s"] == 60.0 and r["age_s"] == 1.0
    # due east, 10 km: the end point's longitude grows by 10 km / (111.32 km cos 51 deg)
    assert r["end"][1] == r["lat"]
    assert math.isclose(r["end"][0] - r["lon"], 10_000 / (111_320 * math.cos(math.radians(51))),
                        rel_tol=1e-3)
    assert rows[2]["on_track"] == 12
    assert strobe_rows(_strobes(1, [-1], [KIND_RF], [False]), _table(), 100.0) == []
    assert strobe_rows(None, _table(), 100.0) == []


def test_rows_are_capped() -> None:
    n = MAX_STROBES_SENT + 50
    s = _strobes(n, [-1] * n, [KIND_RF] * n)
    assert len(strobe_rows(s, _table(), 100.0)) == MAX_STROBES_SENT


def test_an_unlocated_rf_link_is_alerted_once_and_nothing_else_is() -> None:
    s = _strobes(3, [-1, 12, -1], [KIND_RF, KIND_RF, KIND_ACOUSTIC])
    rows = strobe_rows(s, _table(), 100.0)
    seen: set[int] = set()
    a = strobe_alerts(rows, seen, 100.0, "2026-01-01T00:01:40.000Z", 7)
    assert len(a) == 1 and a[0]["severity"] == "medium" and a[0]["kind"] == "strobe"
    assert "rf-1 hears a DJI OcuSync link on bearing 90" in a[0]["text"]
    assert "range is not known" in a[0]["text"]
    assert strobe_alerts(rows, seen, 101.0, "2026-01-01T00:01:41.000Z", 8) == []
    # two unlocated links at one finder: two alert lines (the client keys kind, track, zone)
    two = strobe_rows(_strobes(2, [-1, -1], [KIND_RF, KIND_RF]), _table(), 100.0)
    b = strobe_alerts(two, set(), 100.0, "2026-01-01T00:01:40.000Z", 9)
    assert len({(x["kind"], x["track_id"], x["zone_id"]) for x in b}) == 2


LIVE = """\
name: one-finder-live
seed: 3
time: {start: "2026-01-01T00:00:00Z", duration_s: 150, step_s: 1}
origin: {lat_deg: 51.45, lon_deg: 23.40}
sensors:
  - {type: rf, id: rf1, position: [51.45, 23.40], height_m: 15}
traffic:
  multirotors:
    - {id: quad, platform: dji_multirotor, home: [51.50, 23.45], radius_m: 300,
       pattern: patrol, window_s: [0, 90], altitude_m: 100}
"""


def test_the_live_picture_alerts_an_unlocated_link_once_and_records_the_strobe(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dronewall.scenario import parse_scenario
    from dronewall.server.live import ScenarioSource, build_live_chain
    from dronewall.server.picture import StepView

    live = build_live_chain(parse_scenario(LIVE), None, 1, None, tmp_path,  # type: ignore[arg-type]
                            engage=False)
    view = StepView(live, 5.0)
    src = ScenarioSource(live)
    alerts, events, told, shown, seq = [], [], [], 0, 0
    while (item := src.next()) is not None:
        t, batch = item
        rec = live.chain.step(t, batch, live.status(t) if live.status else None)
        seq += 1
        rows, delta = view.step(rec, seq, [])
        alerts += [a for a in delta["alerts"] if a["kind"] == "strobe"]
        events += [e for e in rows.events if e["kind"] == "strobe"]
        told += [e for e in rows.events if e["kind"] == "unlocated"]
        shown = max(shown, sum(1 for x in delta["strobes"] if x["on_track"] is None))
    # the quadcopter's link, NE of rf1, heard while it flies (0-90 s): one line, one alert
    assert shown == 1
    assert len(alerts) == 1 and alerts[0]["severity"] == "medium", alerts
    assert "rf1 hears a DJI OcuSync link on bearing" in alerts[0]["text"]
    # ... recorded with the session the step it was raised (the strobe itself only when it
    # ends): what the operator was told, under the id its acknowledgement is audited with
    import json

    assert len(told) == 1 and told[0]["t_s"] == alerts[0]["t_s"]
    q = json.loads(told[0]["payload"])
    assert (q["alert_id"], q["text"], q["severity"]) == (alerts[0]["id"], alerts[0]["text"],
                                                         "medium")
    assert told[0]["zone_id"] == alerts[0]["zone_id"] and told[0]["track_id"] == -1
    # the strobe ended 30 s after the link fell silent and is in the session's record
    assert len(events) == 1, events

    p = json.loads(events[0]["payload"])
    assert p["sensor"] == "rf1" and p["what"] == "DJI OcuSync link" and p["on_track"] is None
    assert p["t_first_s"] < 5 and 80 < p["t_last_s"] <= 91 and p["bearings"] > 20
    assert 20.0 < p["bearing_deg"] < 50.0
