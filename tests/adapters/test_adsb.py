"""ADS-B in: Beast / AVR / SBS-1 framing, Mode S decoding (pyModeS) into position reports with
honest accuracy, and the detection rows the tracker reads."""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import modes_encode as enc  # noqa: E402

from dronewall.adapters.adsb import (  # noqa: E402
    NACP_EPU_M,
    NUCP_RCU_M,
    R95_PER_SIGMA,
    reports_to_batch,
)
from dronewall.adapters.adsb_feed import AdsbFeed  # noqa: E402
from dronewall.adapters.counters import MessageCounters  # noqa: E402
from dronewall.adapters.modes_wire import BeastDeframer, parse_avr, parse_sbs  # noqa: E402
from dronewall.detections import MeasKind  # noqa: E402
from dronewall.geo import ecef_to_geodetic  # noqa: E402

pytest.importorskip("pyModeS")

ICAO = 0x48AE01


def test_encoder_reproduces_the_published_example_message() -> None:
    # "The 1090 MHz Riddle": the even airborne position message of 40621D at 38,000 ft
    assert enc.airborne_position(0x40621D, 52.2572021484375, 3.91937255859375, 38000, 0) \
        == "8D40621D58C382D690C8AC2863A7"


def _flight(seconds: int = 40) -> list[tuple[float, str, tuple[float, float, float]]]:
    return enc.flight(ICAO, "LOT3920", 52.10, 21.00, 35000, 230.0, 15.0, seconds)


def _check_positions(reports: list, truth_at: dict[float, tuple[float, float, float]]) -> None:
    assert reports, "no position decoded"
    for r in reports:
        lat, lon, alt_ft = truth_at[round(r.t_s, 3)]
        north = (r.lat_deg - lat) * 111_200
        east = (r.lon_deg - lon) * 111_200 * math.cos(math.radians(lat))
        assert math.hypot(north, east) < 10.0          # CPR resolution ~5 m
        assert abs(r.alt_m - alt_ft * 0.3048) < 10.0   # 25 ft steps
        assert r.icao24 == "48ae01"


@pytest.mark.parametrize("fmt", ["beast", "avr"])
def test_raw_frames_decode_to_positions_with_identity_velocity_and_accuracy(fmt: str) -> None:
    msgs = _flight()
    if fmt == "beast":
        stream = b"".join(enc.beast(h, t) for t, h, _ in msgs)
    else:
        stream = "\n".join(enc.avr(h, t) for t, h, _ in msgs).encode() + b"\n"
    feed = AdsbFeed(fmt, receiver_clock=True)
    rng = random.Random(3)
    heard = []
    i = 0
    while i < len(stream):          # arbitrary TCP chunking
        n = rng.randint(1, 97)
        heard += feed.feed(stream[i:i + n], 0.0)
        i += n
    assert len(heard) == len(msgs)
    reports = [h.report for h in heard if h.report is not None]
    truth_at = {round(t, 3): tr for t, _, tr in msgs}
    _check_positions(reports, truth_at)
    # positions are held until three consistent CPR fixes (pyModeS), then every frame
    n_pos = sum(1 for _, h, _ in msgs if h[8:10] in ("58",))
    assert len(reports) >= n_pos - 6
    last = reports[-1]
    assert last.callsign == "LOT3920"
    assert last.gs_mps == pytest.approx(math.hypot(230, 15), abs=1.0)
    assert last.track_deg == pytest.approx(math.degrees(math.atan2(230, 15)), abs=0.5)
    # type code 11 = NUCp 7 (no NACp heard): 95 % bound 93 m
    assert last.sigma_h_m == pytest.approx(NUCP_RCU_M[7] / R95_PER_SIGMA)
    c = feed.counters.to_dict()
    assert c["accepted"] == len(msgs) and c["rejected"] == 0 and c["malformed"] == 0


def test_beast_deframer_unescapes_resyncs_and_counts_garbage() -> None:
    c = MessageCounters()
    d = BeastDeframer(c)
    good = enc.airborne_position(ICAO, 52.1, 21.0, 35000, 0)
    # a clock containing 0x1a bytes must be escaped on the wire and restored
    clock = int.from_bytes(b"\x00\x1a\x1a\x00\x00\x1a", "big") / 12e6
    frame = enc.beast(good, clock)
    assert frame.count(b"\x1a\x1a") >= 3
    stream = b"garbage" + frame + b"\x1a\x39junk" + frame + b"\x1a\x32\x00\x01" + frame
    out = d.feed(stream)
    assert [f.hex for f in out] == [good, good, good]
    assert out[0].rx_clock_s == pytest.approx(clock)
    assert c.n_malformed >= 3     # leading garbage, unknown type, truncated frame
    assert any("unknown frame type" in k for k in c.malformed)


def test_a_corrupted_frame_fails_its_crc_and_is_rejected_not_used() -> None:
    good = enc.airborne_position(ICAO, 52.1, 21.0, 35000, 0)
    bad = good[:10] + ("0" if good[10] != "0" else "1") + good[11:]
    feed = AdsbFeed("avr")
    heard = feed.feed(f"*{bad};\n".encode(), 1.0)
    assert all(h.report is None for h in heard)
    assert feed.counters.rejected.get("mode s: CRC failed") == 1


@pytest.mark.parametrize("line,reason", [
    ("*8D40621D58C382D690C8AC2863A7", "expected"),        # no ';'
    ("*8D40621D58C382D690C8AC2863AZ;", "non-hex"),
    ("*8D40621D58C3;", "length"),
    ("@0000;", "short clock"),
    ("x" * 2000, "too long"),
])
def test_avr_garbage_is_counted_malformed_with_a_reason(line: str, reason: str) -> None:
    c = MessageCounters()
    assert parse_avr(line, c) is None
    assert c.n_malformed == 1 and reason in next(iter(c.malformed))


SBS = [
    "MSG,1,111,11111,4CA2D6,111111,2026/12/02,10:00:00.000,2026/12/02,10:00:00.000,RYR4PZ,,,,,,,,,,,0",
    "MSG,4,111,11111,4CA2D6,111111,2026/12/02,10:00:00.500,2026/12/02,10:00:00.500,,,452,93.0,,,-64,,,,,0",
    "MSG,3,111,11111,4CA2D6,111111,2026/12/02,10:00:01.000,2026/12/02,10:00:01.000,,37000,,,51.45735,-1.02826,,,0,0,0,0",
    "MSG,5,111,11111,4CA2D6,111111,2026/12/02,10:00:01.200,2026/12/02,10:00:01.200,,37000,,,,,,,0,,0,0",
    "STA,,5,179,400AE7,10103,2026/12/02,10:00:01.300,2026/12/02,10:00:01.300,RM",
    "MSG,3,1,1,4CA2D6,1,2026/12/02,10:00:02.000,,,,37000,,,95.0,-1.0,,,,,,0",
    "MSG,9,1,1,4CA2D6,1,,,,,,,,,,,,,,,,",
    "MSG,3,1,1,ZZZZZZ,1,,,,,,,,,51.0,0.0,,,,,,",
    "hello",
]


def test_sbs_lines_become_reports_in_si_with_the_receivers_sigma() -> None:
    feed = AdsbFeed("sbs", sigma_m=12.0)
    heard = feed.feed(("\r\n".join(SBS) + "\r\n").encode(), 50.0)
    reps = [h.report for h in heard if h.report is not None]
    assert len(reps) == 1
    r = reps[0]
    assert (r.icao24, r.callsign, r.t_s) == ("4ca2d6", "RYR4PZ", 50.0)
    assert r.lat_deg == pytest.approx(51.45735) and r.lon_deg == pytest.approx(-1.02826)
    assert r.alt_m == pytest.approx(37000 * 0.3048)
    assert r.gs_mps == pytest.approx(452 * 1852 / 3600)
    assert r.vr_mps == pytest.approx(-64 * 0.3048 / 60)
    assert r.sigma_h_m == 12.0
    c = feed.counters.to_dict()
    assert c["accepted"] == 4
    assert c["rejected_by_reason"] == {"sbs: STA record (no kinematics)": 1}
    assert set(c["malformed_by_reason"]) == {
        "sbs: field lat not a number in range", "sbs: transmission type not 1-8",
        "sbs: hex ident not 6 hex digits", "sbs: expected 'MSG,<type>,...' with at least 11 "
        "fields"}


def test_sbs_record_time_is_used_when_replaying_a_recording() -> None:
    c = MessageCounters()
    r = parse_sbs(SBS[2], c)
    assert r is not None and r.time_utc is not None
    assert r.time_utc.isoformat() == "2026-12-02T10:00:01+00:00"
    feed = AdsbFeed("sbs", receiver_clock=True)
    heard = feed.feed("\n".join(SBS[:4]).encode() + b"\n", 999.0)
    assert [h.report.t_s for h in heard if h.report] == [pytest.approx(1.0)]


def test_reports_become_position_detections_with_a_covariance_in_ecef() -> None:
    msgs = _flight(20)
    feed = AdsbFeed("avr", receiver_clock=True)
    stream = "\n".join(enc.avr(h, t) for t, h, _ in msgs).encode() + b"\n"
    reps = [h.report for h in feed.feed(stream, 0.0) if h.report is not None]
    batch = reports_to_batch(reps, sensor_row=3)
    assert len(batch) == len(reps)
    assert (batch.meas_kind == MeasKind.POSITION).all() and (batch.sensor == 3).all()
    lat, lon, alt = ecef_to_geodetic(batch.z[:, :3])
    assert np.allclose(lat, [r.lat_deg for r in reps]) and np.allclose(alt, [r.alt_m for r in reps])
    # the covariance is the ENU diag(sh^2, sh^2, sv^2) rotated into ECEF: same eigenvalues
    ev = np.linalg.eigvalsh(batch.R[0, :3, :3])
    sh, sv = reps[0].sigma_h_m, reps[0].sigma_v_m
    assert np.allclose(sorted(ev), sorted([sh**2, sh**2, sv**2]))
    assert list(batch.identity) == ["48ae01"] * len(reps)


def test_nacp_from_an_operational_status_message_sets_the_accuracy() -> None:
    msgs = _flight(20)
    t_status = 3.05
    msgs.append((t_status, enc.operational_status(ICAO, nacp=9), msgs[0][2]))
    msgs.sort(key=lambda m: m[0])
    feed = AdsbFeed("avr", receiver_clock=True)
    stream = "\n".join(enc.avr(h, t) for t, h, _ in msgs).encode() + b"\n"
    reps = [h.report for h in feed.feed(stream, 0.0) if h.report is not None]
    after = [r for r in reps if r.t_s > t_status]
    assert after and all(r.nacp == 9 for r in after)
    assert all(r.sigma_h_m == pytest.approx(NACP_EPU_M[9] / R95_PER_SIGMA) for r in after)
    assert NACP_EPU_M[9] == 30.0 and NACP_EPU_M[8] == 93.0   # DO-260B table


def test_random_bytes_never_raise_in_any_format() -> None:
    rng = np.random.default_rng(0)
    for fmt in ("beast", "avr", "sbs"):
        feed = AdsbFeed(fmt)
        for _ in range(200):
            feed.feed(rng.integers(0, 256, rng.integers(1, 300)).astype(np.uint8).tobytes(), 0.0)
        for _ in range(50):  # plausible-looking but wrong frames
            feed.feed(b"\x1a3" + rng.integers(0, 256, 21).astype(np.uint8).tobytes(), 0.0)
            feed.feed(("*" + "".join(rng.choice(list("0123456789ABCDEF"), 28)) + ";\n").encode(),
                      0.0)
        c = feed.counters.to_dict()
        assert c["malformed"] + c["rejected"] + c["accepted"] > 0
