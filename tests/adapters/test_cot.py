"""Cursor-on-Target out: step deltas become CoT 2.0 track and alert events; the live server
sends them over UDP to a TAK client (here a loopback socket)."""

from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dronewall.adapters.cot import alert_events, cot_type, track_events

BORDER_PAIR = Path(__file__).resolve().parents[1] / "server" / "data" / "border-pair.yaml"


def _delta() -> dict:
    return {"t": 10.0, "tracks": {
        "id": [7, 8], "lat": [51.5, 51.6], "lon": [23.5, 23.6], "alt": [120.0, 10600.0],
        "ve": [-30.0, 0.0], "vn": [0.0, 200.0], "vu": [0.0, 0.0], "sig": [45.0, None],
        "cls": ["attack_drone", "manned_aircraft"], "p": [0.93, 0.99],
        "ev": ["acoustic+rcs", "coop"], "aff": ["hostile", "neutral"],
        "coop": ["", "48ae01"], "trust": ["none", "trusted"], "hits": [30, 80],
        "upd": [0.0, 1.0]},
        "alerts": [{"id": "a1", "kind": "entry", "severity": "critical", "track_id": 7,
                    "zone_id": "POL", "text": "attack_drone entered Poland from BLR"}]}


def test_track_events_carry_type_position_errors_course_and_stale() -> None:
    now = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)
    evs = [ET.fromstring(x) for x in track_events(_delta(), now, stale_s=30)]
    assert [e.get("uid") for e in evs] == ["dronewall-track-7", "dronewall-track-8"]
    drone, jet = evs
    assert drone.get("type") == "a-h-A-M-F-Q" and jet.get("type") == "a-n-A-C-F"
    assert drone.get("how") == "m-f" and drone.get("version") == "2.0"
    assert drone.get("time") == "2026-12-02T10:00:00.000Z"
    assert drone.get("stale") == "2026-12-02T10:00:30.000Z"
    pt = drone.find("point")
    assert (pt.get("lat"), pt.get("lon"), pt.get("hae"), pt.get("ce")) == (
        "51.5000000", "23.5000000", "120.0", "45.0")
    assert jet.find("point").get("ce") == "9999999.0"     # unknown error
    assert drone.find("detail/track").get("course") == "270.0"   # flying west
    assert drone.find("detail/track").get("speed") == "30.0"
    assert "identity=48ae01 trust=trusted" in jet.find("detail/remarks").text


def test_alert_events_are_geofence_breaches_linked_to_the_track() -> None:
    now = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)
    (a,) = [ET.fromstring(x) for x in alert_events(_delta(), now)]
    assert a.get("type") == "b-a-g" and a.get("uid") == "dronewall-alert-a1"
    assert a.find("detail/link").get("uid") == "dronewall-track-7"
    assert "[critical] attack_drone entered Poland" in a.find("detail/remarks").text
    assert a.find("detail/contact").get("callsign") == "DW alert entry POL"


def test_a_spoofing_alert_goes_to_tak_too() -> None:
    """An alert about a track's identity (no zone) is sent like the others, named cleanly."""
    from dronewall.server.alerts import spoof_alert

    d = _delta()
    d["alerts"] = [spoof_alert("s8", 8, "48ae01", 10.0, "2026-12-02T10:00:00.000Z")]
    (a,) = [ET.fromstring(x) for x in alert_events(d, datetime(2026, 12, 2, 10, tzinfo=UTC))]
    assert a.find("detail/contact").get("callsign") == "DW alert spoofing"
    assert a.find("detail/link").get("uid") == "dronewall-track-8"
    assert "[high] track 8: broadcast identity 48ae01 suspected of spoofing" in a.find(
        "detail/remarks").text


@pytest.mark.parametrize("aff,cls,typ", [("suspect", "decoy", "a-s-A-M-F-Q"),
                                          ("pending", "unknown", "a-p-A"),
                                          ("unknown", "multirotor", "a-u-A-M-H-Q"),
                                          ("neutral", "bird", "a-n-A")])
def test_cot_types(aff: str, cls: str, typ: str) -> None:
    assert cot_type(aff, cls) == typ


def test_the_server_sends_the_simulated_picture_to_a_tak_client(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from dronewall.server.app import build_state
    from dronewall.server.settings import Settings

    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(0.5)
    cfg = tmp_path / "live.yaml"
    cfg.write_text("outputs:\n"
                   f"  - {{protocol: cot, send: '127.0.0.1:{rx.getsockname()[1]}', "
                   "every_s: 5}\n")
    st = build_state(Settings(db=str(tmp_path / "s.db"), scenario=BORDER_PAIR, live=cfg,
                              speed=200.0, engage=False))
    st.hub.publish = lambda kind, msg: None  # type: ignore[method-assign]
    got: list[ET.Element] = []
    try:
        st.runner.start()
        t_end = time.time() + 60
        while time.time() < t_end and not (
                any(e.get("type") == "b-a-g" for e in got)
                and any(e.get("uid", "").startswith("dronewall-track-") for e in got)):
            try:
                got.append(ET.fromstring(rx.recv(65536)))
            except TimeoutError:
                continue
    finally:
        st.runner.stop()
        rx.close()
    assert st.source_desc["mode"] == "scenario"   # outputs only: the simulation stays
    tracks = [e for e in got if e.get("uid", "").startswith("dronewall-track-")]
    assert tracks and all(e.get("type").startswith("a-") for e in tracks)
    alerts = [e for e in got if e.get("type") == "b-a-g"]
    assert alerts, "the drones' entry into Poland is alerted"
    out = st.runner.sinks[0].status()
    assert out["messages"]["accepted"] >= len(got) and st.runner.sink_errors == 0
