"""What the live picture sends besides alert text: which tracks count as named by Remote ID
alone, and which tracks the threat panel lists (``server.picture``)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np


def test_remote_id_only_picks_tracks_named_by_remote_id_alone() -> None:
    from dronewall.detections import SensorKind
    from dronewall.server.picture import remote_id_only

    ls = np.full((3, 7), np.nan)
    ls[0, int(SensorKind.REMOTE_ID)] = 5.0                      # a Remote ID drone
    ls[1, int(SensorKind.ADSB)] = 5.0                           # an airliner
    ls[2, int(SensorKind.REMOTE_ID)] = ls[2, int(SensorKind.ADSB)] = 5.0
    pic = SimpleNamespace(ids=np.array([4, 5, 6]), tracks=SimpleNamespace(last_seen=ls),
                          identity=np.array(["1596F5AB12", "4ca123", "4ca124"], dtype=object))
    assert remote_id_only(SimpleNamespace(picture=pic)) == {4: "1596F5AB12"}
    assert remote_id_only(SimpleNamespace(picture=None)) == {}


def test_the_threat_panel_lists_only_tracks_that_threaten_something() -> None:
    """Birds and trusted cooperative traffic score 0: the live threat list leaves them out
    (as simulate's threats.csv does) instead of ranking a dozen gulls under the drones."""
    from dronewall.engagement.threat import ThreatAssessment
    from dronewall.server.picture import StepView

    n = 4
    ta = ThreatAssessment(ids=np.array([10, 11, 12, 13]), score=np.array([0.0, 5e5, 0.0, 1e6]),
                          rank=np.array([3, 2, 4, 1]), lethality=np.zeros(n),
                          value_at_risk_eur=np.zeros(n), asset=np.full(n, -1),
                          t_go_s=np.full(n, np.nan), cpa_m=np.full(n, np.nan),
                          p_reach=np.zeros(n), inbound=np.zeros(n, bool),
                          violation_p=np.ones(n))
    rows = StepView.threats(SimpleNamespace(asset_names=[]), SimpleNamespace(threats=ta))
    assert [r["track_id"] for r in rows] == [13, 11]


def test_an_identity_judged_spoofed_is_alerted_once_per_track() -> None:
    """The trust monitor's verdict reaches the operator: a track whose broadcast identity
    becomes suspect gets one high 'suspected of spoofing' alert, not one per step."""
    from datetime import UTC, datetime

    from dronewall.server.alerts import spoof_alert
    from dronewall.server.picture import StepView

    a = spoof_alert("1-s9", 9, "4ca123", 600.0, "2026-03-01T00:10:00.000Z", "manned_aircraft",
                    0.9)
    assert a["severity"] == "high" and a["kind"] == "spoofing" and a["track_id"] == 9
    assert a["text"].startswith("track 9 (manned aircraft 0.90): broadcast identity 4ca123 "
                                "suspected of spoofing")
    # through the step view's bookkeeping: once per track while it lives
    view = SimpleNamespace(suspected=set(), live=SimpleNamespace(scenario=SimpleNamespace(
        time=SimpleNamespace(start=datetime(2026, 3, 1, tzinfo=UTC)))))
    tr = {"trust": ["suspect", "trusted"], "coop": ["4ca123", "4ca124"],
          "cls": ["manned_aircraft", "manned_aircraft"], "p": [0.9, 0.9]}
    first = StepView.spoof_alerts(view, [9, 10], tr, 600.0, 5)
    again = StepView.spoof_alerts(view, [9, 10], tr, 601.0, 6)
    assert [x["track_id"] for x in first] == [9] and again == []
    assert first[0]["time"] == "2026-03-01T00:10:00.000Z"


def test_spoofing_and_unlocated_link_alerts_are_recorded_when_raised() -> None:
    """An entry's alert is its recorded entry event and a sensor's its ``sensor`` event; a
    spoofing alert and an unlocated-link alert have no event of their own when raised, so
    each becomes a store event row then (kind ``spoofing`` under its track, ``unlocated``
    under its finder) carrying the alert's id, severity and text."""
    from dronewall.server.alerts import alert_events, spoof_alert

    sp = spoof_alert("7-s9", 9, "4ca123", 600.0, "2026-03-01T00:10:00.000Z")
    unl = {"id": "7-strobe-3", "kind": "strobe", "severity": "medium", "t_s": 600.0,
           "time": "2026-03-01T00:10:00.000Z", "track_id": None, "zone_id": "rf1#3",
           "zone_kind": "sensor", "text": "rf1 hears a DJI OcuSync link", "acked_by": None,
           "event": {"kind": "strobe", "id": 3, "sensor": "rf1", "brg": 41.0}}
    entry = {**sp, "id": "7-0", "kind": "entry", "event": {"kind": "entry"}}
    rows = alert_events([sp, entry, unl])
    assert [(r["kind"], r["track_id"], r["zone_id"]) for r in rows] == [
        ("spoofing", 9, ""), ("unlocated", -1, "rf1#3")]
    assert rows[0]["payload"]["alert_id"] == "7-s9" and rows[0]["payload"]["identity"] == "4ca123"
    assert rows[0]["payload"]["severity"] == "high" and "spoofing" in rows[0]["payload"]["text"]
    assert rows[1]["payload"]["brg"] == 41.0 and rows[1]["t_s"] == 600.0
