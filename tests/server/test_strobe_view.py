"""Strobes for the operator (``server/strobe_view.py``): client rows and the unlocated-link
alert."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.catalog.platforms import AcousticClass, RFProtocol
from dronewall.chain.strobes import KIND_ACOUSTIC, KIND_RF, Strobes
from dronewall.detections import SensorKind, SensorTable
from dronewall.server.strobe_view import (
    MAX_STROBES_SENT,
    strobe_alerts,
    strobe_rows,
    strobes_at,
)


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
    # the time slider draws it at a recorded moment: from its first bearing to 30 s (the
    # hold) after its last, at its mean bearing over its life
    for t, shown in ((45.0, True), (p["t_last_s"] + 29.0, True), (p["t_last_s"] + 31.0, False),
                     (200.0, False)):
        rows = strobes_at(t, [p], [], 300.0, live.sensors)
        assert len(rows) == int(shown), (t, rows)
    (r,) = strobes_at(45.0, [p], [], 300.0, live.sensors)
    assert (r["sensor"], r["kind"], r["on_track"], r["brg"]) == ("rf1", "rf", None,
                                                                 round(p["bearing_deg"], 1))
    assert r["since_s"] == 45.0 - p["t_first_s"] and r["t_last_s"] == p["t_last_s"]
    assert r["end"] == strobe_rows(_one(p["bearing_deg"], p["reach_m"]), live.sensors,
                                   45.0)[0]["end"]


def _one(brg: float, reach_m: float) -> Strobes:
    """One shown, unlocated RF strobe at rf1 (row 0 of the live scenario's sensors)."""
    s = _strobes(1, [-1], [KIND_RF], brg=brg)
    return Strobes(**{**s.__dict__, "reach_m": np.array([reach_m])})


def test_the_time_slider_draws_recorded_and_still_heard_strobes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """At a recorded moment: the ended strobes heard then (from the store's ``strobe``
    events, at their mean bearing), the ones still heard at the last step that began by
    then, unlocated first; a strobe of a sensor the site no longer has is left out."""
    import json

    from dronewall.store import StepRows, Store, query

    tab = _table()
    rec = [{"strobe_id": 11, "sensor": "node-1", "sensor_kind": "acoustic",
            "signature": "acoustic:piston_prop", "what": "piston engine", "t_first_s": 10.0,
            "t_last_s": 50.0, "bearings": 30, "bearing_deg": 45.0, "bearing_sd_deg": 2.0,
            "reach_m": 7000, "on_track": None},
           {"strobe_id": 12, "sensor": "rf-1", "sensor_kind": "rf",
            "signature": "rf:dji_ocusync", "what": "DJI OcuSync link", "t_first_s": 20.0,
            "t_last_s": 200.0, "bearings": 90, "bearing_deg": 90.0, "bearing_sd_deg": 3.0,
            "reach_m": 10000, "on_track": 7},
           {**{"strobe_id": 13, "sensor": "gone-1", "sensor_kind": "rf", "t_first_s": 0.0,
               "t_last_s": 300.0, "bearings": 5, "bearing_deg": 10.0, "reach_m": 1000}}]
    live = strobe_rows(_strobes(1, [-1], [KIND_RF]), tab, 100.0)     # heard since 40 s
    rows = strobes_at(60.0, rec, live, 100.0, tab)
    assert [r["id"] for r in rows] == [1, 11, 12]                     # unlocated first
    assert rows[0]["kind"] == "rf" and rows[0]["t_last_s"] is None    # still heard
    assert rows[0]["t_first_s"] == 40.0 and rows[0]["since_s"] == 20.0
    assert rows[1]["kind"] == "acoustic" and rows[1]["age_s"] == 10.0
    assert rows[1]["end"][1] > 51.0 and rows[1]["end"][0] > 23.1      # NE of the node
    assert [r["id"] for r in strobes_at(30.0, rec, live, 100.0, tab)] == [11, 12]
    # a strobe still heard that the record already holds (a finished session records those
    # heard at its end) is drawn once, from the record
    ended = {**rec[1], "strobe_id": 1, "t_first_s": 40.0, "t_last_s": 100.0,
             "heard_at_end": True}
    rows = strobes_at(60.0, [ended], live, 100.0, tab)
    assert [(r["id"], r["t_last_s"]) for r in rows] == [(1, 100.0)]
    # the store's side: strobe events ending after a time, earliest end first, bounded
    store = Store(str(tmp_path / "s.db"))
    try:
        sid = store.start_session(mode="scenario", source="test",
                                  epoch_utc="2026-03-01T01:00:00Z", config={}).session_id
        ev = [{"t_s": p["t_last_s"], "kind": "strobe", "track_id": -1, "zone_id": p["sensor"],
               "zone_kind": "sensor", "payload": json.dumps(p)} for p in rec]
        ev.append({"t_s": 60.0, "kind": "unlocated", "track_id": -1, "zone_id": "rf-1",
                   "zone_kind": "sensor", "payload": "{}"})
        store.write_step(sid, 1, 300.0, StepRows(events=ev))
        got, more = query.strobes_ended_after(store, sid, 40.0, 10)
        assert [g["strobe_id"] for g in got] == [11, 12, 13] and not more
        got, more = query.strobes_ended_after(store, sid, 60.0, 1)
        assert [g["strobe_id"] for g in got] == [12] and more
    finally:
        store.close()


@contextmanager
def _served_to_its_end(tmp_path: Path, scenario: str) -> Iterator[tuple[Any, dict[str, str], Any]]:
    """Serve ``scenario`` in-process, flat out, until its session is finished; yields the API
    client, the operator's auth header and the server state (its store closed after)."""
    from fastapi.testclient import TestClient

    from dronewall.server.app import build_state, create_app
    from dronewall.server.settings import Settings

    sc = tmp_path / "live.yaml"
    sc.write_text(scenario, encoding="utf-8")
    st = build_state(Settings(db=str(tmp_path / "s.db"), scenario=sc, speed=1000.0,
                              record_period_s=5.0))
    h = {"Authorization": f"Bearer {st.first_token}"}
    try:
        with TestClient(create_app(state=st)) as c:
            t_end = time.time() + 120
            while st.runner.state.status != "finished" and time.time() < t_end:
                time.sleep(0.1)
            assert st.runner.state.status == "finished"
            yield c, h, st
    finally:
        st.store.close()


def test_a_served_session_answers_the_time_slider_with_the_strobes_heard_then(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """End to end, in-process: the one-finder scenario served flat out to its end; the
    recorded moment 45 s in has the quadcopter's line of bearing (recorded when it ended), 2 min
    after the link fell silent none, and the unlocated-link alert is in the session's events
    from the step it was raised."""
    with _served_to_its_end(tmp_path, LIVE) as (c, h, st):
        p = c.get("/api/v1/picture", params={"t": 45}, headers=h).json()
        (r,) = p["strobes"]
        assert (r["sensor"], r["kind"], r["on_track"]) == ("rf1", "rf", None)
        assert r["t_first_s"] < 5 and 80 < r["t_last_s"] <= 91 and 20 < r["brg"] < 50
        assert p["strobes_truncated"] is False
        assert c.get("/api/v1/picture", params={"t": 140}, headers=h).json()["strobes"] == []
        for bad in ("nan", "inf"):                     # a clear 422, not an empty answer
            r = c.get("/api/v1/picture", params={"t": bad}, headers=h)
            assert r.status_code == 422 and "finite" in r.text
        ev = c.get("/api/v1/events", params={"kind": "unlocated"}, headers=h).json()
        assert ev["total"] == 1 and ev["items"][0]["t_s"] < 10
        (a,) = [x for x in st.runner.alert_list() if x["kind"] == "strobe"]
        assert ev["items"][0]["payload"]["alert_id"] == a["id"]


def test_a_line_of_bearing_still_heard_when_a_served_session_ends_is_recorded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The quadcopter's link is still heard when the scenario ends (60 s of a 90 s flight).
    The session's last step records its line of bearing, marked as heard to the end, as
    ``simulate`` ends it with the run; without it the session kept no trace of it."""
    with _served_to_its_end(tmp_path, LIVE.replace("duration_s: 150", "duration_s: 60")
                            ) as (c, h, _):
        ev = c.get("/api/v1/events", params={"kind": "strobe"}, headers=h).json()
        (e,) = ev["items"]
        p = e["payload"]
        assert p["heard_at_end"] is True and p["sensor"] == "rf1" and p["on_track"] is None
        assert 55 <= p["t_last_s"] <= 60 and e["t_s"] == p["t_last_s"] and p["bearings"] > 20
        # the time slider at the end draws it from the record
        (r,) = c.get("/api/v1/picture", params={"t": 59}, headers=h).json()["strobes"]
        assert r["sensor"] == "rf1"


def test_sources_say_when_their_last_step_was_taken(tmp_path: Path) -> None:
    from dronewall.detections.batch import DetectionBatch
    from dronewall.scenario import parse_scenario
    from dronewall.server.live import DetectionsSource, ScenarioSource, build_live_chain

    src = DetectionsSource(iter([(float(t), DetectionBatch.empty()) for t in range(3)]))
    seen = []
    while (item := src.next()) is not None:
        seen.append((item[0], src.exhausted()))
    assert seen == [(0.0, False), (1.0, False), (2.0, True)] and src.exhausted()
    empty = DetectionsSource(iter([]))
    assert empty.next() is None and empty.exhausted()

    live = build_live_chain(parse_scenario(LIVE.replace("duration_s: 150", "duration_s: 3")),
                            None, 1, None, tmp_path, engage=False)  # type: ignore[arg-type]
    ss = ScenarioSource(live)
    flags = []
    while (item := ss.next()) is not None:
        flags.append((item[0], ss.exhausted()))
    assert flags == [(0.0, False), (1.0, False), (2.0, False), (3.0, True)]
