"""Remote ID in (ASTM F3411 / Open Drone ID): messages, packs and decoded JSON from a receiver
become position reports with the UAS ID, the operator position and honest accuracy."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
import rid_encode as rid  # noqa: E402

from dronewall.adapters.remote_id import (  # noqa: E402
    H_ACC_M,
    R95_PER_SIGMA,
    RemoteIdDecoder,
    RemoteIdFeed,
    rid_reports_to_batch,
)
from dronewall.detections import MeasKind  # noqa: E402
from dronewall.geo import ecef_to_geodetic  # noqa: E402

SERIAL = "1581F5FKD229C00A0BY1"


def test_a_message_pack_gives_position_identity_operator_and_accuracy() -> None:
    d = RemoteIdDecoder()
    line = rid.pack(rid.basic_id(SERIAL), rid.system(50.0912, 22.0133, 205.0),
                    rid.operator_id("POL87astrdge12k8"),
                    rid.location(50.1003, 22.0051, 152.5, speed=12.25, course=271.0,
                                 vspeed=-1.5, h_acc=10, v_acc=4)).hex()
    (r,) = d.line(line, 42.0)
    assert (r.uas_id, r.ua_type, r.t_s) == (SERIAL, "helicopter_or_multirotor", 42.0)
    assert r.lat_deg == pytest.approx(50.1003, abs=1e-7)
    assert r.lon_deg == pytest.approx(22.0051, abs=1e-7)
    assert r.alt_m == pytest.approx(152.5)                    # geodetic, 0.5 m steps
    assert r.sigma_h_m == pytest.approx(H_ACC_M[10] / R95_PER_SIGMA)   # "< 10 m" category
    assert r.sigma_v_m == pytest.approx(10.0 / R95_PER_SIGMA)          # "< 10 m" vertical
    assert r.speed_mps == pytest.approx(12.25) and r.course_deg == pytest.approx(271.0)
    assert r.vspeed_mps == pytest.approx(-1.5)
    assert r.operator == pytest.approx((50.0912, 22.0133, 205.0))
    assert r.operator_id == "POL87astrdge12k8"
    assert d.counters.to_dict()["accepted"] == 4


def test_single_messages_are_joined_per_transmitter() -> None:
    d = RemoteIdDecoder()
    mac_a, mac_b = "60:60:1f:aa:00:01", "60:60:1f:aa:00:02"
    assert d.line(json.dumps({"msg": rid.basic_id("AAA111").hex(), "mac": mac_a}), 1.0) == []
    assert d.line(json.dumps({"msg": rid.basic_id("BBB222").hex(), "mac": mac_b}), 1.0) == []
    (ra,) = d.line(json.dumps({"msg": rid.location(50.0, 22.0, 100).hex(), "mac": mac_a}), 2.0)
    (rb,) = d.line(json.dumps({"msg": rid.location(50.2, 22.2, 100).hex(), "mac": mac_b}), 2.0)
    assert (ra.uas_id, rb.uas_id) == ("AAA111", "BBB222")
    assert ra.transmitter == mac_a and ra.operator is None


@pytest.mark.parametrize("msg,reason", [
    (rid.location(50.0, 22.0, 100), "position before any basic id"),
    (rid.pack(rid.basic_id("X1"), rid.location(50.0, 22.0, 100, h_acc=0)),
     "position without accuracy"),
    (rid.pack(rid.basic_id("X1"), rid.location(0.0, 0.0, 100)), "location unknown"),
])
def test_unusable_positions_are_rejected_with_a_reason(msg: bytes, reason: str) -> None:
    d = RemoteIdDecoder()
    assert d.line(msg.hex(), 0.0) == []
    assert any(reason in k for k in d.counters.rejected)


@pytest.mark.parametrize("line,reason", [
    ("0102", "message of # bytes"),
    ("zz", "non-hexadecimal"),
    (rid.pack(rid.basic_id("X")).hex()[:-10], "message pack header"),
    ("{not json", "not JSON"),
    ("[1, 2]", "non-hexadecimal"),
    ((bytes([0x70]) + b"\0" * 24).hex(), "unknown message type #"),
])
def test_malformed_lines_are_counted_with_a_reason(line: str, reason: str) -> None:
    d = RemoteIdDecoder()
    assert d.line(line, 0.0) == []
    assert d.counters.n_malformed == 1
    assert reason in next(iter(d.counters.malformed)), d.counters.malformed


def test_decoded_open_drone_id_json() -> None:
    d = RemoteIdDecoder()
    obj = {"Version": "1.1", "Response": {
        "BasicID": {"UAType": 2, "IDType": 1, "UASID": SERIAL},
        "Location": {"Status": 2, "Direction": 90.0, "SpeedHorizontal": 5.0,
                     "Latitude": 50.05, "Longitude": 22.1, "AltitudeGeo": 130.0,
                     "HorizAccuracy": 9, "VertAccuracy": 3},
        "System": {"OperatorLatitude": 50.04, "OperatorLongitude": 22.09}}}
    (r,) = d.line(json.dumps(obj), 3.0)
    assert r.uas_id == SERIAL and r.alt_m == 130.0
    assert r.sigma_h_m == pytest.approx(30.0 / R95_PER_SIGMA)
    assert r.operator == (50.04, 22.09, 0.0)


def test_reports_become_position_detections_with_the_operator_in_aux() -> None:
    feed = RemoteIdFeed()
    text = "\n".join([rid.pack(rid.basic_id(SERIAL), rid.system(50.09, 22.01, 200.0),
                               rid.location(50.1, 22.0, 120.0)).hex(),
                      rid.pack(rid.basic_id("NOOP"), rid.location(50.2, 22.1, 90.0)).hex()])
    reps = feed.feed(text.encode() + b"\n", 7.0)
    b = rid_reports_to_batch(reps, sensor_row=2)
    assert (b.meas_kind == MeasKind.POSITION).all() and list(b.identity) == [SERIAL, "NOOP"]
    lat, lon, alt = ecef_to_geodetic(b.aux[:1])
    assert (lat[0], lon[0], alt[0]) == pytest.approx((50.09, 22.01, 200.0), abs=1e-6)
    assert np.isnan(b.aux[1]).all()       # no System message heard for the second drone


def test_random_lines_never_raise() -> None:
    rng = np.random.default_rng(1)
    feed = RemoteIdFeed()
    for _ in range(300):
        n = int(rng.integers(1, 120))
        raw = rng.integers(0, 256, n).astype(np.uint8).tobytes()
        feed.feed(raw.hex().encode() + b"\n", 0.0)
        feed.feed(raw + b"\n", 0.0)
        feed.feed(bytes([0xF2, 25, int(rng.integers(0, 12))]).hex().encode() + raw.hex().encode()
                  + b"\n", 0.0)
    c = feed.counters.to_dict()
    assert c["malformed"] > 0


def test_listen_remote_id_reads_a_recording(tmp_path: Path) -> None:
    from dronewall.cli.main import app

    f = tmp_path / "rid.txt"
    f.write_text("\n".join([
        rid.pack(rid.basic_id(SERIAL), rid.location(50.1, 22.0, 120.0)).hex(),
        json.dumps({"msg": rid.operator_id("OP1").hex(), "mac": "aa"}),
        "garbage"]) + "\n")
    res = CliRunner().invoke(app, ["listen", "remote-id", "--file", str(f)])
    assert res.exit_code == 0, res.output
    assert "basic_id+location" in res.output and SERIAL in res.output and "50.10000" in res.output
    assert "total: accepted 3  rejected 0  malformed 1" in res.output


def test_a_live_drone_in_an_airport_zone_carries_its_pilots_position() -> None:
    """The live path end to end: packs decoded from a receiver's stream, tracked, and the
    airport zone's entry and visit state where the broadcast puts the pilot -- as the
    simulated receivers' do (``airspace.operators``)."""
    from datetime import UTC, datetime

    from dronewall.airspace import AirspaceConfig, ZoneSet
    from dronewall.airspace.events import Entry, Violation
    from dronewall.chain.records import StepRecord
    from dronewall.chain.stages import AirspaceStage, TrackingStage
    from dronewall.detections import SensorKind, SensorTable
    from dronewall.geo import Frame
    from dronewall.tracking import TrackerConfig

    frame = Frame(55.60, 12.60, 0.0)
    st = SensorTable.build(["rid"], [SensorKind.REMOTE_ID], [55.60], [12.60], [10.0])
    zones = ZoneSet.from_specs([{"id": "APT", "kind": "airport", "name": "Airport",
                                 "area": {"center": [55.60, 12.60], "radius_m": 1000}}])
    track = TrackingStage(TrackerConfig(dims=3), frame, st)
    air = AirspaceStage(zones, AirspaceConfig(epoch=datetime(2026, 3, 1, tzinfo=UTC)), frame)
    feed = RemoteIdFeed()
    events = []
    for k in range(240):   # 10 m/s north from 1.5 km south of the airport's centre
        lat = 55.60 + (-1500.0 + 10.0 * k) / 111_320.0
        line = rid.pack(rid.basic_id(SERIAL), rid.system(55.585, 12.61, 2.0),
                        rid.location(lat, 12.60, 60.0)).hex()
        det = rid_reports_to_batch(feed.feed(line.encode() + b"\n", float(k)), sensor_row=0)
        rec = air.step(track.step(StepRecord(t=float(k), detections=det)))
        events += list(rec.events)
    events += air.finish()
    entry = next(e for e in events if isinstance(e, Entry))
    visit = next(e for e in events if isinstance(e, Violation))
    for e in (entry, visit):
        assert e.operator_point == pytest.approx([55.585, 12.61], abs=1e-5)
    assert entry.operator_t_s <= entry.declared_t_s + 1e-6    # heard by the declaration
    assert visit.operator_t_s <= float(visit.t_s) + 1e-6
